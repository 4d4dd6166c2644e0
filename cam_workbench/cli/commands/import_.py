"""``cam-workbench import fhir FILE``: a FHIR Questionnaire → screening content (YAML)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from cam_workbench.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError

NAME: Final = "import"
HELP: Final = "import a FHIR Questionnaire as screening content"

#: Largest Questionnaire file ``import fhir`` reads.
MAX_IMPORT_BYTES: Final = 5 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """What to import (``fhir``), the file, ``--out`` and ``--force``."""
    parser.add_argument("format", choices=["fhir"], help="what to import: fhir")
    parser.add_argument("file", type=Path, metavar="FILE", help="a FHIR Questionnaire (JSON)")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write DIR/<lang>/screening.yaml per language (default: primary file to stdout)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"file not found: {path}")
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise UsageError(f"{path} is larger than {MAX_IMPORT_BYTES} bytes; is it a Questionnaire?")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; save it as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise UsageError(
            f"{path}: nested too deeply to be a Questionnaire (thousands of levels); "
            "is this the right file?"
        ) from None
    except ValueError as exc:  # e.g. a number of more than 4300 digits
        raise UsageError(f"{path}: not a JSON file we can read: {exc}") from None
    from cam_workbench.fhir.shape import shape_problem

    problem = shape_problem(data)
    if problem is not None:
        raise UsageError(f"{path}: {problem}")
    return data


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


def run(args: argparse.Namespace) -> int:
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
        return EXIT_PROBLEMS
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
            raise UsageError(f"{', '.join(existing)} already exist(s) — use --force to overwrite")
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
        return EXIT_PROBLEMS
    return EXIT_OK
