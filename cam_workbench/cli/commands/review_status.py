"""``cam-workbench review-status``: exit 0 when every patient file is approved and in date.

Every approval's and submission's SSH signature is verified against
``content/review/allowed_signers``; a bad one is named, and the command exits 1.
"""

from __future__ import annotations

import argparse
from typing import Final

from cam_workbench.cli.common import EXIT_OK, EXIT_PROBLEMS, load

NAME: Final = "review-status"
HELP: Final = "check every patient file is approved and unchanged"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--diff``."""
    parser.add_argument(
        "--diff",
        action="store_true",
        help="also show what changed since each approval word by word: [-deleted-]{+inserted+}",
    )


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every patient file is approved and unchanged; else 1 and what changed."""
    from cam_workbench.content.signoff import file_status, overdue_files, stale_approvals
    from cam_workbench.review.signoff import signature_lines, status_lines

    content = load(args)
    statuses = file_status(content)
    for line in status_lines(statuses, stale_approvals(content)):
        print(line)
    signatures = signature_lines(content)
    for line in signatures:
        print(line)
    if args.diff:
        from cam_workbench.review.changes import terminal_lines, word_changes

        for line in terminal_lines(word_changes(content)):
            print(line)
    overdue = overdue_files(content)
    for late in overdue:
        print(f"{late.file}: next clinical review was due on {late.due.isoformat()} (overdue)")
    blocked = [s.file for s in statuses if not s.ok]
    if blocked:
        print(
            f"{len(blocked)} of {len(statuses)} patient content files need a clinical "
            f"reviewer's approval: {', '.join(blocked)}. After reviewing them, run "
            "'cam-workbench approve --reviewer ID --key KEY [FILE ...]' (a file that needs two "
            "people: its author runs 'cam-workbench submit' first)."
        )
    if overdue:
        print(
            f"{len(overdue)} patient content file(s) are past their review date: a clinical "
            "reviewer reviews each one, sets meta.last_reviewed and a new meta.next_review_due "
            "in it, and approves it again."
        )
    if signatures:
        print(
            f"{len(signatures)} signature problem(s): see above; allowed_signers is explained "
            "in the README (Clinical review)."
        )
    if blocked or overdue or signatures:
        return EXIT_PROBLEMS
    print(
        f"All {len(statuses)} patient content files are approved, unchanged and within "
        "their review dates."
    )
    return EXIT_OK
