"""``cam-workbench export fhir``: the screening as a FHIR Questionnaire."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Final

from cam_workbench.cli.common import EXIT_OK, UsageError, load, screening_in

NAME: Final = "export"
HELP: Final = "export the screening as a FHIR Questionnaire"


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"write the date as YYYY-MM-DD, not {value!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """What to export (``fhir``), ``--out``, ``--fhir-version``, ``--lang``, ``--date``."""
    parser.add_argument("format", choices=["fhir"], help="what to export: fhir")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    parser.add_argument(
        "--fhir-version",
        type=str.upper,
        choices=["R4", "R5"],
        default="R4",
        help="FHIR release (default R4)",
    )
    parser.add_argument("--lang", default="en", help="primary language (default en)")
    parser.add_argument(
        "--date", type=_iso_date, default=None, help="publication date (default: today, UTC)"
    )


def run(args: argparse.Namespace) -> int:
    """Write the screening as a FHIR Questionnaire (stdout or --out FILE)."""
    from cam_workbench.content.model import ScreeningFile
    from cam_workbench.fhir.questionnaire import questionnaire
    from cam_workbench.fhir.review_dates import review_dates

    content = load(args)
    screening = screening_in(content, args.lang)
    translations = [
        s for s in content.of_kind(ScreeningFile) if s.meta.language != screening.meta.language
    ]
    review, notes = review_dates(content, screening)
    date = args.date or dt.datetime.now(dt.UTC).date()
    result = questionnaire(
        screening,
        date=date,
        translations=translations,
        fhir_version=args.fhir_version,
        review=review,
    )
    for note in [*notes, *result.notes]:
        print(f"note: {note}", file=sys.stderr)
    text = json.dumps(result.resource, indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    out: Path = args.out
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: give a file name in an existing folder")
    out.write_text(text, encoding="utf-8")
    print(
        f"wrote {out} (FHIR {args.fhir_version} Questionnaire, {len(translations)} translation(s))"
    )
    return EXIT_OK
