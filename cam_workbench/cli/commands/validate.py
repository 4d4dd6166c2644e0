"""``cam-workbench validate``: check every content file and report every problem."""

from __future__ import annotations

import argparse
from typing import Final

from cam_workbench.cli.common import EXIT_OK, load, print_warnings, warnings_word

NAME: Final = "validate"
HELP: Final = "check every content file and report every problem"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments but ``--content``."""


def run(args: argparse.Namespace) -> int:
    """Validate the content folder and print a summary or every problem."""
    content = load(args)
    print_warnings(content)
    count = len(content.warnings)
    warnings = warnings_word(count) if count else "no warnings"
    print(f"Content is valid: {content.summary()}; {warnings}.")
    return EXIT_OK
