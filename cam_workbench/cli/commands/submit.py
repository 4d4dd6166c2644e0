"""``cam-workbench submit --author ID --key KEY [FILE ...]``: sign your change for review.

The first half of the two-person rule: the author of a change vouches for the content as it
is now, with their SSH key; another reviewer then approves it (``approve``).
"""

from __future__ import annotations

import argparse
from typing import Final

from cam_workbench.cli.common import EXIT_OK, UsageError, add_signer_arguments, load

NAME: Final = "submit"
HELP: Final = "sign that you changed content files, for another reviewer to approve"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--author``, ``--key`` and the files."""
    add_signer_arguments(
        parser,
        "author",
        "files you changed, e.g. en/acupuncture.yaml (default: every file that needs "
        "approval and has not been submitted as it is)",
    )


def run(args: argparse.Namespace) -> int:
    """Record the author's signed submission of files as they are now."""
    from cam_workbench.content.signing import SigningError, SigningUnavailable
    from cam_workbench.review import signoff

    content = load(args)
    try:
        record, names, notes = signoff.submit(content, args.author, args.key, args.files)
    except (ValueError, SigningError, SigningUnavailable) as exc:
        raise UsageError(str(exc)) from None
    for note in notes:
        print(note)
    if not names:
        print("Nothing to submit.")
        return EXIT_OK
    path = signoff.write_signoff(content, record)
    for name in names:
        print(f"submitted {name} (author: {args.author}, signed): another reviewer approves it")
    print(f"wrote {path}")
    return EXIT_OK
