"""Load a content folder: read → parse → validate → cross-check → build.

Every problem in every file is collected before failing, so a reviewer fixes them all in
one pass. :func:`load_content` returns a :class:`~cam_workbench.content.contentset.ContentSet`
or raises :class:`~cam_workbench.content.problems.ContentError`. The stages:

1. read: size and encoding (:func:`~cam_workbench.content.yamlsafe.decode`);
2. parse: strict YAML with the line of every value (:func:`~cam_workbench.content.yamlsafe.parse`);
3. validate: the model picked by ``kind`` (:func:`~cam_workbench.content.validation.validate`),
   and the file-level checks on the raw data (:func:`check_file`), side by side;
4. cross-check: what needs a valid model (:func:`check_model`), then, once every file is
   valid, the checks across files and of translations;
5. build: the :class:`~cam_workbench.content.contentset.ContentSet`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from cam_workbench.content.checks.across import check_across_files
from cam_workbench.content.checks.file import check_source_refs, check_unique
from cam_workbench.content.checks.placeholders import check_placeholders
from cam_workbench.content.checks.screening import check_rules, check_screening
from cam_workbench.content.checks.translations import check_translations
from cam_workbench.content.contentset import ContentSet, LoadedFile
from cam_workbench.content.model import KIND_MODELS, ScreeningFile
from cam_workbench.content.problems import ContentError, Problem, ProblemCode, problem
from cam_workbench.content.validation import validate
from cam_workbench.content.yamlsafe import Parsed, decode, parse

SCHEMA_DIR: Final = "schema"
SUFFIXES: Final = (".yaml", ".yml")
MAX_FILES: Final = 200


def content_files(root: Path) -> list[Path]:
    """List the YAML files under ``root`` (not the generated schema), sorted."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in SUFFIXES and p.is_file() and SCHEMA_DIR not in p.relative_to(root).parts
    )


def content_stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What the content files are now: (path, size, modification time) of each, sorted.

    Equal stamps mean :func:`load_content` would read the same files as before (a cache of
    loaded content is still good); any edit, new or removed file changes it.
    """
    root = Path(root)
    stamp = []
    for path in content_files(root) if root.is_dir() else []:
        info = path.stat()
        stamp.append((path.relative_to(root).as_posix(), info.st_size, info.st_mtime_ns))
    return tuple(stamp)


def load_content(root: Path) -> ContentSet:
    """Load and validate every content file under ``root``.

    Raises:
        ContentError: with every problem found, as ``path:line: what — fix``.
    """
    root = Path(root)
    paths = content_files(root) if root.is_dir() else []
    if not paths:
        raise ContentError([problem(ProblemCode.no_content, str(root), 1)])
    problems: list[Problem] = []
    loaded: list[LoadedFile] = []
    if len(paths) > MAX_FILES:  # refuse rather than silently skip the rest
        raise ContentError(
            [problem(ProblemCode.too_many_files, str(root), 1, count=len(paths), limit=MAX_FILES)]
        )
    for path in paths:
        relpath = _display(path)
        file, found = load_file(path, relpath)
        problems += found
        if file is not None:
            loaded.append(file)
    if not problems:
        problems += check_across_files(loaded)
    if not problems:  # translations: same logic (errors); complete and fresh (warnings)
        problems += check_translations(loaded)
    if any(not p.is_warning for p in problems):
        raise ContentError(problems)
    return ContentSet(root=root, files=tuple(loaded), warnings=tuple(sorted(problems)))


def _display(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_file(path: Path, relpath: str) -> tuple[LoadedFile | None, list[Problem]]:
    """Read, parse, validate and cross-check one file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [
            problem(ProblemCode.yaml_syntax, relpath, 1, detail=f"cannot read: {exc.strerror}")
        ]
    text, problems = decode(raw, relpath)
    if text is None:
        return None, problems
    parsed, problems = parse(text, relpath)
    if parsed is None:
        return None, problems
    model, found = validate(parsed, relpath)
    problems += found
    if isinstance(parsed.data, dict):
        problems += check_file(parsed.data, parsed, relpath)
    if model is None or problems:
        return None, problems
    problems += check_model(model, parsed, relpath)
    if problems:
        return None, problems
    return LoadedFile(path, relpath, model, parsed.line_of(("meta", "id")), parsed), problems


def check_file(data: dict[str, Any], parsed: Parsed, path: str) -> Iterator[Problem]:
    """Checks the schema cannot express: unique ids, source references, placeholders, rules."""
    yield from check_unique(parsed, path, ("sources",), "source")
    yield from check_source_refs(parsed, path)
    kind = data.get("kind")
    model_cls = KIND_MODELS.get(kind) if isinstance(kind, str) else None
    if model_cls is not None and getattr(model_cls, "patient_facing", False):
        yield from check_placeholders(parsed, path)
    if kind == "screening":
        yield from check_unique(parsed, path, ("items", "outcomes", "rules"), "entry")
        yield from check_rules(parsed, path)
    elif kind == "guide":
        yield from check_unique(parsed, path, ("sections",), "section")


def check_model(model: object, parsed: Parsed, path: str) -> Iterator[Problem]:
    """Checks that need a fully valid model (a screening's tiers, gates and coverage)."""
    if isinstance(model, ScreeningFile):
        yield from check_screening(model, parsed, path)
