"""``cam-workbench approve --reviewer ID --key KEY [FILE ...]``: a signed clinical approval."""

from __future__ import annotations

import argparse
from typing import Final

from cam_workbench.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_signer_arguments, load

NAME: Final = "approve"
HELP: Final = "record a clinical reviewer's approval of content files, signed with their SSH key"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--reviewer``, ``--key`` and the files."""
    add_signer_arguments(
        parser,
        "reviewer",
        "files to approve, e.g. en/acupuncture.yaml (default: every file that needs it)",
    )


def run(args: argparse.Namespace) -> int:
    """Record a clinical reviewer's signed approval of patient content files as they are now."""
    import sys

    from cam_workbench.content.signing import SigningError, SigningUnavailable
    from cam_workbench.review import signoff

    content = load(args)
    try:
        record, names = signoff.approve(content, args.reviewer, args.key, args.files)
    except signoff.TwoPersonRefused as exc:  # the content's rule, not a typing mistake
        print(f"cam-workbench approve: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except (ValueError, SigningError, SigningUnavailable) as exc:  # id, key, file, ssh-keygen
        raise UsageError(str(exc)) from None
    if not names:
        print("Nothing to approve: every patient content file is approved and unchanged.")
        return EXIT_OK
    path = signoff.write_signoff(content, record)
    approvals = {a.file: a for a in record.approvals}
    for name in names:
        a = approvals[name]
        print(
            f"approved {name} (reviewer: {a.reviewer}, date: {a.date}, sha256: {a.sha256[:12]}, "
            "signed)"
        )
    print(f"wrote {path}")
    return EXIT_OK
