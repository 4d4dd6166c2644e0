"""``cam-workbench approve --reviewer NAME [FILE ...]``: record a clinical reviewer's approval."""

from __future__ import annotations

import argparse
from typing import Final

from cam_workbench.cli.common import EXIT_OK, UsageError, load

NAME: Final = "approve"
HELP: Final = "record a clinical reviewer's approval of content files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--reviewer`` and the files."""
    parser.add_argument("--reviewer", required=True, metavar="NAME", help="who approves")
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files to approve, e.g. en/acupuncture.yaml (default: every file that needs it)",
    )


def run(args: argparse.Namespace) -> int:
    """Record a clinical reviewer's approval of patient content files as they are now."""
    from cam_workbench.review import signoff

    content = load(args)
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
