"""The ``cam-workbench`` command.

Every subcommand takes ``--content DIR``. Exit codes: 0 success, 1 content problems,
2 usage errors. A person's mistake never produces a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from cam_workbench.errors import ContentError
from cam_workbench.loading import ContentSet, load_content
from cam_workbench.paths import default_content_dir, schema_path

EXIT_OK: Final = 0
EXIT_PROBLEMS: Final = 1
EXIT_USAGE: Final = 2


class UsageError(Exception):
    """A wrong argument: reported with the usage hint and exit code 2."""


def _content_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content",
        metavar="DIR",
        type=Path,
        default=None,
        help="content folder (default: $CAM_WORKBENCH_CONTENT or the repository's content/)",
    )


def _content_dir(args: argparse.Namespace) -> Path:
    directory: Path = args.content or default_content_dir()
    if not directory.is_dir():
        raise UsageError(f"content folder not found: {directory} — pass --content DIR")
    return directory


def _load(args: argparse.Namespace) -> ContentSet:
    """Load the content or raise ContentError (the caller prints it)."""
    return load_content(_content_dir(args))


def _print_problems(error: ContentError) -> int:
    for found in error.problems:
        print(found, file=sys.stderr)
    count = len(error.problems)
    print(f"{count} problem{'s' if count != 1 else ''} found.", file=sys.stderr)
    return EXIT_PROBLEMS


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the content folder and print a summary or every problem."""
    content = _load(args)
    print(f"Content is valid: {content.summary()}.")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Write (or with --check, compare) the generated JSON Schema for content files."""
    from cam_workbench.model import content_json_schema

    target = schema_path(_content_dir(args))
    text = json.dumps(content_json_schema(), indent=2, sort_keys=True) + "\n"
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date — run 'cam-workbench schema'", file=sys.stderr)
            return EXIT_PROBLEMS
        print(f"{target} matches the model.")
        return EXIT_OK
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the patient dashboard with Voila (production settings)."""
    from cam_workbench.serve_cli import serve_dashboard

    return serve_dashboard(args, _load(args), _content_dir(args))


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="cam-workbench",
        description="Clinical content workbench: validate content, serve the patient dashboard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
        "validate": ("check every content file and report every problem", cmd_validate),
        "schema": ("regenerate the JSON Schema for content files from the model", cmd_schema),
        "serve": ("serve the patient dashboard with Voila", cmd_serve),
    }
    subparsers = {}
    for name, (help_text, func) in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _content_arg(p)
        p.set_defaults(func=func)
        subparsers[name] = p
    subparsers["schema"].add_argument(
        "--check", action="store_true", help="only check the committed schema is up to date"
    )
    serve = subparsers["serve"]
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8866, help="port (default 8866)")
    serve.add_argument(
        "--max-kernels",
        type=int,
        default=None,
        help="most patient sessions at once; past it a 'busy' page (default 40)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"cam-workbench {args.command}: error: {exc}\n")
    except ContentError as exc:
        return _print_problems(exc)
    except KeyboardInterrupt:
        return 130
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
