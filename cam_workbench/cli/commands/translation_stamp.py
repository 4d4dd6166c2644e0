"""``cam-workbench translation-stamp FILE ...``: record what each translation's source is now."""

from __future__ import annotations

import argparse
from typing import Final

from cam_workbench.cli.common import EXIT_OK, UsageError, load, print_warnings

NAME: Final = "translation-stamp"
HELP: Final = "record that translations match their source as it is now"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The files, and ``--source-language``."""
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="translations, e.g. es/acupuncture.yaml"
    )
    parser.add_argument(
        "--source-language",
        default="en",
        metavar="LANG",
        help="for a file without meta.translation_of: the language it translates (default en)",
    )


def run(args: argparse.Namespace) -> int:
    """Record in each translation the current hash of its source (after updating it)."""
    from cam_workbench.content.stamp import stamp_translation

    content = load(args)
    try:
        for file in args.files:
            print(stamp_translation(content, file, args.source_language))
    except ValueError as exc:  # not a translation, no source, or a file we cannot stamp
        raise UsageError(str(exc)) from None
    print_warnings(load(args))
    return EXIT_OK
