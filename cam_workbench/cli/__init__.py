"""The ``cam-workbench`` command: dispatch only.

Each command is a module of :mod:`cam_workbench.cli.commands` that registers its own
arguments and runs; every one takes ``--content DIR``. Exit codes (defined once, in
:mod:`cam_workbench.cli.common`): 0 success, 1 content problems, 2 usage errors. A person's
mistake never produces a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

from cam_workbench.cli.commands import (
    approve,
    export,
    import_,
    lab,
    report,
    review_status,
    schema,
    screen,
    serve,
    submit,
    translation,
    translation_stamp,
    validate,
)
from cam_workbench.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    UsageError,
    add_content_argument,
    print_problems,
)
from cam_workbench.content.problems import ContentError

#: The commands, in the order ``--help`` lists them.
COMMANDS: Final[tuple[ModuleType, ...]] = (
    validate,
    schema,
    serve,
    submit,
    approve,
    review_status,
    report,
    lab,
    screen,
    export,
    import_,
    translation,
    translation_stamp,
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="cam-workbench",
        description="Clinical content workbench: validate content, serve the patient dashboard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        add_content_argument(p)
        command.add_arguments(p)
        p.set_defaults(func=command.run, command_parser=p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # told by the command's own parser: its usage, and where to read its options
        args.command_parser.error(
            f"unrecognized arguments: {' '.join(extras)}"
            f" (see 'cam-workbench {args.command} --help' for its options)"
        )
    try:
        return int(args.func(args))
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"cam-workbench {args.command}: error: {exc}\n")
    except ContentError as exc:
        return print_problems(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as cat does
        _quiet_stdout()
        return 141
    except OSError as exc:  # e.g. writing to a full disk: say so, no traceback
        parser.exit(EXIT_PROBLEMS, f"cam-workbench {args.command}: error: {exc}\n")
    return EXIT_OK


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


__all__ = ["build_parser", "main"]

if __name__ == "__main__":  # pragma: no cover - ``python -m cam_workbench.cli`` uses __main__
    sys.exit(main())
