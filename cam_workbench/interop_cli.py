"""The ``screen``, ``export fhir`` and ``import fhir`` subcommands (wired up in :mod:`cli`).

Kept apart from ``cli.py`` so that file stays small; heavy imports stay inside the
functions, so ``cam-workbench --help`` stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from cam_workbench.content.contentset import ContentSet
    from cam_workbench.content.model import ScreeningFile

#: Largest Questionnaire file ``import fhir`` reads.
MAX_IMPORT_BYTES: Final = 5 * 1024 * 1024


def _usage(message: str) -> Exception:
    from cam_workbench.cli import UsageError

    return UsageError(message)


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"write the date as YYYY-MM-DD, not {value!r}") from None


def add_arguments(subparsers: dict[str, argparse.ArgumentParser]) -> None:
    """Add the options of ``screen``, ``export`` and ``import``."""
    screen = subparsers["screen"]
    screen.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="ID=yes|no",
        help="one answer per item (repeat it); all 'no', or none=yes, means none of these apply",
    )
    screen.add_argument("--lang", default="en", help="content language (default en)")
    form = screen.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the decision as JSON")
    form.add_argument("--fhir", action="store_true", help="print a FHIR QuestionnaireResponse")

    export = subparsers["export"]
    export.add_argument("format", choices=["fhir"], help="what to export: fhir")
    export.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    export.add_argument(
        "--fhir-version",
        type=str.upper,
        choices=["R4", "R5"],
        default="R4",
        help="FHIR release (default R4)",
    )
    export.add_argument("--lang", default="en", help="primary language (default en)")
    export.add_argument(
        "--date", type=_iso_date, default=None, help="publication date (default: today, UTC)"
    )

    imp = subparsers["import"]
    imp.add_argument("format", choices=["fhir"], help="what to import: fhir")
    imp.add_argument("file", type=Path, metavar="FILE", help="a FHIR Questionnaire (JSON)")
    imp.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write DIR/<lang>/screening.yaml per language (default: primary file to stdout)",
    )
    imp.add_argument("--force", action="store_true", help="overwrite existing files")


def _screening_in(content: ContentSet, language: str) -> ScreeningFile:
    from cam_workbench.content.model import ScreeningFile

    found = content.of_kind(ScreeningFile, language)
    if not found:
        have = sorted({s.meta.language for s in content.of_kind(ScreeningFile)})
        raise _usage(
            f"no screening in language '{language}' — available: {', '.join(have) or 'none'}"
        )
    return found[0]


def screen(args: argparse.Namespace, content: ContentSet) -> int:
    """Evaluate one set of answers; print the outcome (plain, --json or --fhir)."""
    from cam_workbench.fhir.response import questionnaire_response
    from cam_workbench.logic.answers import NONE_KEY, AnswerInputError, answer_map, parse_answers
    from cam_workbench.logic.screening import AnswerError, evaluate, way_on
    from cam_workbench.render.text import body_text

    screening = _screening_in(content, args.lang)
    try:
        answers = parse_answers(screening, args.answer)
        decision = evaluate(screening, answers)
    except AnswerInputError as exc:
        count = len(exc.problems)
        lines = "\n".join(f"  {p}" for p in exc.problems)
        raise _usage(
            f"{count} problem{'s' if count != 1 else ''} with --answer:\n{lines}"
        ) from None
    except AnswerError as exc:  # parse_answers prevents these; kept as a safety net
        raise _usage(str(exc)) from None
    outcome = decision.outcome
    if args.fhir:
        now = dt.datetime.now(dt.UTC)
        print(json.dumps(questionnaire_response(screening, answers, decision, now), indent=2))
    elif args.json:
        result: dict[str, Any] = {
            "outcome": outcome.id,
            "tier": outcome.tier,
            "heading": outcome.heading,
            "message": body_text(outcome.message),
            "if_worse": outcome.if_worse,
            "way_on": way_on(outcome).value,
            "rule": decision.rule.id,
            "language": screening.meta.language,
            "answers": {
                **answer_map(screening, answers),
                NONE_KEY: answers.none_of_these and not answers.flags,
            },
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(f"{outcome.heading}\n\n{body_text(outcome.message)}\n\n{outcome.if_worse}")
    return 0


def export(args: argparse.Namespace, content: ContentSet) -> int:
    """Write the screening as a FHIR Questionnaire (stdout or --out FILE)."""
    from cam_workbench.content.model import ScreeningFile
    from cam_workbench.fhir.questionnaire import questionnaire
    from cam_workbench.fhir.review_dates import review_dates

    screening = _screening_in(content, args.lang)
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
        return 0
    out: Path = args.out
    if out.is_dir() or not out.parent.is_dir():
        raise _usage(f"cannot write {out}: give a file name in an existing folder")
    out.write_text(text, encoding="utf-8")
    print(
        f"wrote {out} (FHIR {args.fhir_version} Questionnaire, {len(translations)} translation(s))"
    )
    return 0


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise _usage(f"file not found: {path}")
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise _usage(f"{path} is larger than {MAX_IMPORT_BYTES} bytes; is it a Questionnaire?")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _usage(f"{path} is not UTF-8 text; save it as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise _usage(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def _check_files(texts: dict[str, str]) -> list[str]:
    """Load each generated file as the workbench would; return its problems."""
    from cam_workbench.content.loading import load_file

    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang, text in texts.items():
            path = Path(tmp) / lang / "screening.yaml"
            path.parent.mkdir()
            path.write_text(text, encoding="utf-8")
            _, found = load_file(path, f"{lang}/screening.yaml")
            problems += [str(p) for p in found]
    return problems


def import_(args: argparse.Namespace) -> int:
    """Read a FHIR Questionnaire into screening content; report what was not kept."""
    from cam_workbench.fhir.importer import (
        ImportProblem,
        import_questionnaire,
        screening_yaml,
    )

    data = _read_json(args.file)
    try:
        result = import_questionnaire(data, today=dt.datetime.now(dt.UTC).date())
    except ImportProblem as exc:
        print(f"cam-workbench import: {args.file}: {exc}", file=sys.stderr)
        return 1
    texts = {lang: screening_yaml(d) for lang, d in result.files.items()}
    if args.out is None:
        texts = {result.language: texts[result.language]}
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    problems = _check_files(texts)
    if args.out is None:
        sys.stdout.write(texts[result.language])
        others = [lang for lang in result.files if lang != result.language]
        if others:
            print(
                f"note: translations ({', '.join(others)}) are written with --out DIR",
                file=sys.stderr,
            )
    else:
        targets = {lang: args.out / lang / "screening.yaml" for lang in texts}
        existing = [str(p) for p in targets.values() if p.exists()]
        if existing and not args.force:
            raise _usage(f"{', '.join(existing)} already exist(s) — use --force to overwrite")
        for lang, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(texts[lang], encoding="utf-8")
            print(f"wrote {target}")
    for found in problems:
        print(found, file=sys.stderr)
    if problems:
        print(
            f"{len(problems)} problem(s) in the imported content: fix them, then run "
            "'cam-workbench validate'.",
            file=sys.stderr,
        )
        return 1
    return 0
