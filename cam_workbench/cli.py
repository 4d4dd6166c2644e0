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

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content
from cam_workbench.content.problems import ContentError
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
    count = sum(not p.is_warning for p in error.problems)
    warnings = len(error.problems) - count
    also = f" and {_warnings(warnings)}" if warnings else ""
    print(f"{count} problem{'s' if count != 1 else ''}{also} found.", file=sys.stderr)
    return EXIT_PROBLEMS


def _warnings(count: int) -> str:
    return f"{count} reviewer warning{'s' if count != 1 else ''}"


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the content folder and print a summary or every problem."""
    content = _load(args)
    for warning in content.warnings:
        print(warning, file=sys.stderr)
    count = len(content.warnings)
    print(f"Content is valid: {content.summary()}; {_warnings(count) if count else 'no warnings'}.")
    return EXIT_OK


def cmd_translation_stamp(args: argparse.Namespace) -> int:
    """Record in each translation the current hash of its source (after updating it)."""
    from cam_workbench.content.stamp import stamp_translation

    content = _load(args)
    try:
        for file in args.files:
            print(stamp_translation(content, file, args.source_language))
    except ValueError as exc:  # not a translation, no source, or a file we cannot stamp
        raise UsageError(str(exc)) from None
    content = _load(args)
    for warning in content.warnings:
        print(warning, file=sys.stderr)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Write (or with --check, compare) the generated JSON Schema for content files."""
    from cam_workbench.content.model import content_json_schema

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
    content_dir = _content_dir(args).resolve()
    content = load_content(content_dir)
    if args.production:
        from cam_workbench.content.signoff import publication_blockers

        blocking = publication_blockers(content)
        if blocking:
            print(
                "cam-workbench serve: refusing --production: patient content not approved, "
                "changed since approval, or past its review date:",
                file=sys.stderr,
            )
            for line in blocking:
                print(f"  {line}", file=sys.stderr)
            print(
                "Have a clinical reviewer check it (see 'cam-workbench review-status') and run "
                "'cam-workbench approve --reviewer NAME', or serve without --production (a "
                "preview banner is shown).",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS

    from cam_workbench.paths import CONTENT_ENV, notebooks_dir
    from cam_workbench.serving import ServeOptions, ServerTexts, serve

    ui = content.shared("en").ui
    texts = ServerTexts(
        page_title=ui.page_title,
        busy_title=ui.busy_title,
        busy_message=ui.busy_message,
        error_title=ui.error_title,
        error_message=ui.error_message,
        session_lost=ui.session_lost,
        language="en",
        loading=ui.loading,
    )
    extra = {} if args.max_kernels is None else {"max_kernels": args.max_kernels}
    notebook = "patient_dashboard.ipynb"
    if args.workshop:  # the educators' workshop notebook as slides
        from cam_workbench.serving import workshop_options

        notebook, extra = "workshop.ipynb", {**workshop_options(), **extra}
    try:
        options = ServeOptions(
            notebook=notebooks_dir() / notebook,
            texts=texts,
            host=args.host,
            port=args.port,
            env={CONTENT_ENV: str(content_dir)},
            **extra,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    what = "the workshop slides" if args.workshop else "the patient dashboard"
    print(f"Serving {what} on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    return serve(options)


def cmd_approve(args: argparse.Namespace) -> int:
    """Record a clinical reviewer's approval of patient content files as they are now."""
    from cam_workbench.review import signoff

    content = _load(args)
    try:
        record, names = signoff.approve(content, args.reviewer, args.files)
    except ValueError as exc:  # an empty name, or a file that is not patient content
        raise UsageError(str(exc)) from None
    if not names:
        print("Nothing to approve: every patient content file is approved and unchanged.")
        return EXIT_OK
    path = signoff.write_signoff(content, record)
    approvals = {a.file: a for a in record.approvals}
    for name in names:
        a = approvals[name]
        print(f"approved {name} (reviewer: {a.reviewer}, date: {a.date}, sha256: {a.sha256[:12]})")
    print(f"wrote {path}")
    return EXIT_OK


def cmd_review_status(args: argparse.Namespace) -> int:
    """Exit 0 when every patient file is approved and unchanged; else 1 and what changed."""
    from cam_workbench.content.signoff import file_status, overdue_files, stale_approvals
    from cam_workbench.review.signoff import status_lines

    content = _load(args)
    statuses = file_status(content)
    for line in status_lines(statuses, stale_approvals(content)):
        print(line)
    overdue = overdue_files(content)
    for late in overdue:
        print(f"{late.file}: next clinical review was due on {late.due.isoformat()} (overdue)")
    blocked = [s.file for s in statuses if not s.ok]
    if blocked:
        print(
            f"{len(blocked)} of {len(statuses)} patient content files need a clinical "
            f"reviewer's approval: {', '.join(blocked)}. After reviewing them, run "
            "'cam-workbench approve --reviewer NAME [FILE ...]'."
        )
    if overdue:
        print(
            f"{len(overdue)} patient content file(s) are past their review date: a clinical "
            "reviewer reviews each one, sets meta.last_reviewed and a new meta.next_review_due "
            "in it, and approves it again."
        )
    if blocked or overdue:
        return EXIT_PROBLEMS
    print(
        f"All {len(statuses)} patient content files are approved, unchanged and within "
        "their review dates."
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write the clinical review packet as one self-contained HTML file."""
    from cam_workbench.review.report import write_report

    out: Path = args.out
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: give a file name in an existing folder")
    content = _load(args)
    write_report(content, out)
    print(f"wrote {out}")
    return EXIT_OK


def _add_review_arguments(subparsers: dict[str, argparse.ArgumentParser]) -> None:
    approve = subparsers["approve"]
    approve.add_argument("--reviewer", required=True, metavar="NAME", help="who approves")
    approve.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files to approve, e.g. en/acupuncture.yaml (default: every file that needs it)",
    )
    subparsers["report"].add_argument(
        "--out", required=True, type=Path, metavar="FILE.html", help="where to write the packet"
    )


def cmd_screen(args: argparse.Namespace) -> int:
    """Evaluate one set of answers with the dashboard's logic and print the outcome."""
    from cam_workbench.interop_cli import screen

    return screen(args, _load(args))


def cmd_export(args: argparse.Namespace) -> int:
    """Export the screening as a FHIR Questionnaire."""
    from cam_workbench.interop_cli import export

    return export(args, _load(args))


def cmd_import(args: argparse.Namespace) -> int:
    """Import a FHIR Questionnaire as screening content."""
    from cam_workbench.interop_cli import import_

    return import_(args)


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
        "approve": ("record a clinical reviewer's approval of content files", cmd_approve),
        "review-status": ("check every patient file is approved and unchanged", cmd_review_status),
        "report": ("write the clinical review packet as one HTML file", cmd_report),
        "screen": ("evaluate one set of screening answers, as the dashboard does", cmd_screen),
        "export": ("export the screening as a FHIR Questionnaire", cmd_export),
        "import": ("import a FHIR Questionnaire as screening content", cmd_import),
        "translation-stamp": (
            "record that translations match their source as it is now",
            cmd_translation_stamp,
        ),
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
    serve.add_argument(
        "--production",
        action="store_true",
        help="refuse to start unless every patient file is approved and unchanged",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8866, help="port (default 8866)")
    serve.add_argument(
        "--max-kernels",
        type=int,
        default=None,
        help="most patient sessions at once; past it a 'busy' page (default 40)",
    )
    serve.add_argument(
        "--workshop",
        action="store_true",
        help="serve the educators' workshop notebook as slides instead of the patient page",
    )
    _add_review_arguments(subparsers)
    stamp = subparsers["translation-stamp"]
    stamp.add_argument(
        "files", nargs="+", metavar="FILE", help="translations, e.g. es/acupuncture.yaml"
    )
    stamp.add_argument(
        "--source-language",
        default="en",
        metavar="LANG",
        help="for a file without meta.translation_of: the language it translates (default en)",
    )
    from cam_workbench.interop_cli import add_arguments as _add_interop_arguments

    _add_interop_arguments(subparsers)
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
