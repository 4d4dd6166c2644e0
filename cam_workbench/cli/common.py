"""What every command shares: the exit codes, usage errors, the content folder and its problems.

Exit codes: :data:`EXIT_OK` success, :data:`EXIT_PROBLEMS` content problems,
:data:`EXIT_USAGE` usage errors. A person's mistake never produces a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content
from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.problems import ContentError
from cam_workbench.paths import default_content_dir

EXIT_OK: Final = 0
EXIT_PROBLEMS: Final = 1
EXIT_USAGE: Final = 2


class UsageError(Exception):
    """A wrong argument: reported with the usage hint and exit code 2."""


def add_content_argument(parser: argparse.ArgumentParser) -> None:
    """``--content DIR``, which every command takes."""
    parser.add_argument(
        "--content",
        metavar="DIR",
        type=Path,
        default=None,
        help="content folder (default: $CAM_WORKBENCH_CONTENT or the repository's content/)",
    )


def add_signer_arguments(parser: argparse.ArgumentParser, who: str, files_help: str) -> None:
    """``--<who> ID``, ``--key KEY`` and the files, as ``submit`` and ``approve`` take them."""
    parser.add_argument(
        f"--{who}",
        required=True,
        metavar="ID",
        help="your reviewer id: the first word of your line in content/review/allowed_signers",
    )
    parser.add_argument(
        "--key",
        required=True,
        type=Path,
        metavar="KEY",
        help="your SSH private key (or its .pub, with the key in ssh-agent)",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help=files_help)


def port_number(value: str) -> int:
    """A TCP port from the command line (an argparse ``type``)."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def content_dir(args: argparse.Namespace) -> Path:
    """The content folder the command works on.

    Raises:
        UsageError: it does not exist.
    """
    directory: Path = args.content or default_content_dir()
    if not directory.is_dir():
        raise UsageError(f"content folder not found: {directory} — pass --content DIR")
    return directory


def load(args: argparse.Namespace) -> ContentSet:
    """Load the content or raise ContentError (``main`` prints it)."""
    return load_content(content_dir(args))


def print_problems(error: ContentError) -> int:
    """Print every problem, then how many; return :data:`EXIT_PROBLEMS`."""
    for found in error.problems:
        print(found, file=sys.stderr)
    count = sum(not p.is_warning for p in error.problems)
    warnings = len(error.problems) - count
    also = f" and {warnings_word(warnings)}" if warnings else ""
    print(f"{count} problem{'s' if count != 1 else ''}{also} found.", file=sys.stderr)
    return EXIT_PROBLEMS


def warnings_word(count: int) -> str:
    """``1 reviewer warning`` / ``3 reviewer warnings``."""
    return f"{count} reviewer warning{'s' if count != 1 else ''}"


def print_warnings(content: ContentSet) -> None:
    """Print the content's reviewer warnings (they do not fail a command)."""
    for warning in content.warnings:
        print(warning, file=sys.stderr)


def screening_in(content: ContentSet, language: str) -> ScreeningFile:
    """The screening in ``language``.

    Raises:
        UsageError: there is none, naming the languages there are.
    """
    found = content.of_kind(ScreeningFile, language)
    if not found:
        have = sorted({s.meta.language for s in content.of_kind(ScreeningFile)})
        raise UsageError(
            f"no screening in language '{language}' — available: {', '.join(have) or 'none'}"
        )
    return found[0]
