"""``cam-workbench translation export|import``: files for translators, and back.

``translation export --lang es --format po|xliff [--out FILE]`` writes every patient text
with its id, the source text and whether it is stale; ``translation import FILE`` writes the
translations back into the content (refusing, and writing nothing, when any text no longer
matches), then stamps each translation it completes. ``translation-stamp`` is its own command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from cam_workbench.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
    add_content_argument,
    load,
    print_warnings,
)

NAME: Final = "translation"
HELP: Final = "export patient texts for translators (PO or XLIFF) and import their work"


def _content_option(parser: argparse.ArgumentParser) -> None:
    """``--content`` after the action too, without hiding one given before it."""
    add_content_argument(parser)
    for action in parser._actions:
        if action.dest == "content":
            action.default = argparse.SUPPRESS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``export`` and ``import`` actions and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    out = actions.add_parser(
        "export", help="write every patient text for translators", description=HELP
    )
    out.add_argument("--lang", required=True, metavar="LANG", help="the translation, e.g. es")
    out.add_argument(
        "--format", choices=["po", "xliff"], default="po", help="PO (gettext) or XLIFF 1.2"
    )
    out.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    _content_option(out)
    back = actions.add_parser(
        "import", help="write a translator's file back into the content, then stamp"
    )
    back.add_argument("file", type=Path, metavar="FILE", help="a .po or .xlf file from export")
    _content_option(back)


def run(args: argparse.Namespace) -> int:
    """Run ``export`` or ``import``."""
    from cam_workbench.content.exchange import ImportRefused
    from cam_workbench.review import exchange

    content = load(args)
    if args.action == "export":
        try:
            data = exchange.export(content, args.lang, args.format)
        except exchange.TranslatorFileError as exc:
            raise UsageError(str(exc)) from None
        if args.out is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return EXIT_OK
        out: Path = args.out
        if out.is_dir() or not out.parent.is_dir():
            raise UsageError(f"cannot write {out}: give a file name in an existing folder")
        out.write_bytes(data)
        print(f"wrote {out} ({args.format}, language {args.lang})")
        return EXIT_OK
    try:
        result = exchange.import_file(content, args.file)
    except exchange.TranslatorFileError as exc:
        raise UsageError(str(exc)) from None
    except ImportRefused as exc:
        print(f"cam-workbench translation import: refused {args.file}: {exc}", file=sys.stderr)
        print(
            "Nothing was written. Export again ('cam-workbench translation export') and carry "
            "the translations over, or fix the entries named.",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    for line in result.lines:
        print(line)
    print_warnings(load(args))
    return EXIT_OK
