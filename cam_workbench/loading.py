"""Load a content folder: read → parse → validate → cross-check → build.

Every problem in every file is collected before failing, so a reviewer fixes them all in
one pass. :func:`load_content` returns a :class:`ContentSet` or raises
:class:`~cam_workbench.content.problems.ContentError`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from cam_workbench.content import rules
from cam_workbench.content.model import (
    KIND_MODELS,
    GuideFile,
    Outcome,
    PematFile,
    ScreeningFile,
    SharedFile,
    SignoffFile,
)
from cam_workbench.content.problems import ContentError, Problem, ProblemCode, problem
from cam_workbench.content.yamlsafe import Parsed, decode, parse

SCHEMA_DIR: Final = "schema"
SUFFIXES: Final = (".yaml", ".yml")
MAX_FILES: Final = 200

F = TypeVar("F", bound=BaseModel)


@dataclass(frozen=True)
class LoadedFile:
    """One validated content file and where it came from."""

    path: Path
    relpath: str
    model: Any
    id_line: int = 1  # line of meta.id, for problems found across files
    parsed: Parsed | None = field(default=None, compare=False, repr=False)  # lines of values


@dataclass(frozen=True)
class ContentSet:
    """All validated content of one folder."""

    root: Path
    files: tuple[LoadedFile, ...]
    #: Reviewer warnings (``Problem.severity == "warning"``): reported, but not a failure.
    warnings: tuple[Problem, ...] = ()

    def of_kind(self, kind: type[F], language: str | None = None) -> list[F]:
        """Return the models of one kind, optionally in one language."""
        return [
            f.model
            for f in self.files
            if isinstance(f.model, kind) and (language is None or language_of(f.model) == language)
        ]

    def _one(self, kind: type[F], language: str) -> F:
        found = self.of_kind(kind, language)
        if not found:
            raise LookupError(f"no {kind.__name__} in language {language!r}")
        return found[0]

    def screening(self, language: str = "en") -> ScreeningFile:
        """Return the screening in ``language``."""
        return self._one(ScreeningFile, language)

    def guide(self, language: str = "en") -> GuideFile:
        """Return the (first) patient guide in ``language``."""
        return self._one(GuideFile, language)

    def shared(self, language: str = "en") -> SharedFile:
        """Return the shared page texts in ``language``."""
        return self._one(SharedFile, language)

    @property
    def languages(self) -> list[str]:
        """Languages that have content, sorted."""
        return sorted({lang for f in self.files if (lang := language_of(f.model)) is not None})

    def summary(self) -> str:
        """One line: how many files, and screening items and guide sections per language."""
        per_language = []
        for language in self.languages:
            items = sum(len(s.items) for s in self.of_kind(ScreeningFile, language))
            sections = sum(len(g.sections) for g in self.of_kind(GuideFile, language))
            per_language.append(f"{language}: {items} screening items, {sections} guide sections")
        return f"{len(self.files)} files ({'; '.join(per_language)})"


def language_of(model: Any) -> str | None:
    """Return a file's language: ``meta.language``, a top-level ``language``, or None."""
    meta = getattr(model, "meta", None)
    return meta.language if meta is not None else getattr(model, "language", None)


def content_files(root: Path) -> list[Path]:
    """List the YAML files under ``root`` (not the generated schema), sorted."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in SUFFIXES and p.is_file() and SCHEMA_DIR not in p.relative_to(root).parts
    )


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
        problems += _check_across_files(loaded)
    if not problems:
        problems += _check_translations(loaded)
    if any(not p.is_warning for p in problems):
        raise ContentError(problems)
    return ContentSet(root=root, files=tuple(loaded), warnings=tuple(sorted(problems)))


def _check_translations(files: list[LoadedFile]) -> list[Problem]:
    """Translations: same logic as the source (errors); complete and fresh (warnings)."""
    from cam_workbench.translation import check_translations  # it builds on this module

    return check_translations(files)


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
    model, found = _validate(parsed, relpath)
    problems += found
    if isinstance(parsed.data, dict):
        problems += _check_file(parsed.data, parsed, relpath)
    if model is None or problems:
        return None, problems
    problems += _check_model(model, parsed, relpath)
    if problems:
        return None, problems
    return LoadedFile(path, relpath, model, parsed.line_of(("meta", "id")), parsed), problems


def _validate(parsed: Parsed, path: str) -> tuple[Any, list[Problem]]:
    """Pick the model by ``kind`` and validate the data against it."""
    data = parsed.data
    if data is None:  # '---', 'null' or '~' alone: nothing in the file
        return None, [problem(ProblemCode.empty_file, path, 1)]
    if not isinstance(data, dict):
        found = _TYPE_NAMES.get(type(data), type(data).__name__)
        return None, [problem(ProblemCode.top_level_type, path, 1, found=found)]
    choices = " | ".join(KIND_MODELS)
    if "kind" not in data:
        return None, [problem(ProblemCode.missing_kind, path, 1, choices=choices)]
    kind = data["kind"]
    model_cls = KIND_MODELS.get(kind) if isinstance(kind, str) else None
    if model_cls is None:
        return None, [
            problem(
                ProblemCode.unknown_kind,
                path,
                parsed.line_of(("kind",)),
                kind=kind,
                choices=", ".join(KIND_MODELS),
                suggestion=_did_you_mean(str(kind), KIND_MODELS, prefix="; did you mean "),
            )
        ]
    try:
        return model_cls.model_validate(data), []
    except ValidationError as exc:
        return None, [_from_pydantic(err, parsed, path, model_cls) for err in exc.errors()]


_TYPE_NAMES: Final = {
    list: "list",
    str: "piece of text",
    int: "number",
    float: "number",
    bool: "true/false value",
}


def _did_you_mean(word: str, choices: Iterable[str], prefix: str = "did you mean ") -> str:
    """Suggest the closest spelling, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"{prefix}'{close[0]}'?" if close else ""


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """Keep the parts of a pydantic ``loc`` that are real keys/indices in the data."""
    path: list[str | int] = []
    here = data
    for step in loc:
        if (
            isinstance(here, dict)
            and step in here
            or isinstance(here, list)
            and isinstance(step, int)
            and 0 <= step < len(here)
        ):
            path.append(step)
            here = here[step]
    return tuple(path)


def _where(path: tuple[str | int, ...]) -> str:
    """Render a data path like ``sections[2].body`` for messages."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return f" in {text}" if text else ""


def _from_pydantic(err: Any, parsed: Parsed, path: str, root: type[BaseModel]) -> Problem:
    """Translate one pydantic error into a catalogue problem with a line."""
    loc = tuple(err["loc"])
    kind = err["type"]
    line = parsed.line_of(_data_path(loc, parsed.data))
    if kind == "extra_forbidden":
        parent = _data_path(loc[:-1], parsed.data)
        allowed = _allowed_keys(root, loc[:-1])
        key = str(loc[-1])
        suggestion = _did_you_mean(key, allowed, prefix="did you mean ")
        fix = suggestion or "remove it"
        if allowed:
            fix += f" (allowed here: {', '.join(sorted(allowed))})"
        return problem(
            ProblemCode.unknown_key, path, line, key=key, where=_where(parent), suggestion=fix
        )
    if kind == "missing":
        key = str(loc[-1])
        parent = _data_path(loc[:-1], parsed.data)
        if key == "sources":
            return problem(ProblemCode.no_source, path, line, what=_name(parent, parsed), where="")
        return problem(ProblemCode.missing_key, path, line, key=key, where=_where(parent))
    data_path = _data_path(loc, parsed.data)
    if kind == "too_short" and data_path and data_path[-1] == "sources":
        return problem(
            ProblemCode.no_source, path, line, what=_name(data_path[:-1], parsed), where=""
        )
    detail = err["msg"]
    if "input" in err and not isinstance(err["input"], dict | list):
        detail += f" (found {err['input']!r})"
    return problem(
        ProblemCode.wrong_value,
        path,
        line,
        detail=detail,
        where=_where(data_path),
        fix=_fix_for(kind),
    )


_FIXES: Final = {
    "string_type": "write it as text; put quotes around it if it looks like a number or date",
    "string_pattern_mismatch": "use lowercase letters, digits and '-' or '_' (e.g. 'leg_symptoms')",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "enum": "use one of the values listed",
    "literal_error": "use one of the values listed",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "list_type": "write a list (lines starting with '- ')",
    "model_type": "write a mapping of keys (key: value lines)",
    "dict_type": "write a mapping of keys (key: value lines)",
    "too_short": "add at least one entry",
    "string_too_short": "write some text here",
    "string_too_long": "shorten it or split it into several paragraphs",
}


def _name(at: tuple[str | int, ...], parsed: Parsed) -> str:
    """Name an entry for a message: ``section 'why_it_is_done'`` or ``emergency``."""
    entry: Any = parsed.data
    for step in at:
        entry = entry[step]
    label = {"sections": "section", "items": "item", "outcomes": "outcome"}.get(
        str(at[-2]) if len(at) >= 2 else "", ""
    )
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return f"{label or 'entry'} '{entry['id']}'"
    return _where(at).removeprefix(" in ") or "the file"


def _fix_for(kind: str) -> str:
    """How to fix a pydantic error type, in words."""
    return _FIXES.get(kind, "see content/schema/content.schema.json for what belongs here")


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Walk the model along ``loc`` and list the keys allowed at its end."""
    here: Any = root
    for step in loc:
        here = _unwrap(here)
        if isinstance(here, type) and issubclass(here, BaseModel) and isinstance(step, str):
            field = next(
                (f for n, f in here.model_fields.items() if (f.alias or n) == step),
                None,
            )
            if field is None:
                return []
            here = field.annotation
        elif isinstance(step, int):
            args = typing.get_args(here)
            here = args[0] if args else here
    here = _unwrap(here)
    if isinstance(here, type) and issubclass(here, BaseModel):
        return [f.alias or n for n, f in here.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """Strip Annotated / Optional / list wrappers down to a model class where there is one."""
    for _ in range(10):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(tp) if _unwrap(a) is not type(None)]
            tp = models[-1] if models else tp
        elif origin is list:
            return tp
        else:
            return tp
    return tp


# --- cross-checks within one file -------------------------------------------------------
# These read the raw data defensively, so they run (and report) even when the schema
# check of the same file found problems: one run shows every problem.


def _entries(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mapping entries of the list under ``key`` (others are schema problems)."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, e) for i, e in enumerate(value) if isinstance(e, dict)]


def _ids(data: Any, key: str) -> list[str]:
    return [e["id"] for _, e in _entries(data, key) if isinstance(e.get("id"), str)]


def _check_file(data: Any, parsed: Parsed, path: str) -> Iterator[Problem]:
    """Checks the schema cannot express: unique ids, source references, rules."""
    yield from _check_unique(parsed, path, ("sources",), "source")
    yield from _check_source_refs(parsed, path)
    kind = data.get("kind")
    model_cls = KIND_MODELS.get(kind) if isinstance(kind, str) else None
    if model_cls is not None and getattr(model_cls, "patient_facing", False):
        yield from _check_placeholders(parsed, path)
    if kind == "screening":
        yield from _check_unique(parsed, path, ("items", "outcomes", "rules"), "entry")
        yield from _check_rules(parsed, path)
    elif kind == "guide":
        yield from _check_unique(parsed, path, ("sections",), "section")


#: Text that marks a placeholder (``import fhir`` writes ``TODO: write this text``).
#: Capitals only: Spanish "todo" (all) is a word, not a placeholder.
PLACEHOLDER_MARK: Final = re.compile(r"\b(?:TODO|FIXME|TBD|XXX)\b|[Ll]orem ipsum")


def _check_placeholders(parsed: Parsed, path: str) -> Iterator[Problem]:
    """No placeholder text anywhere a patient could read it (all but ``meta`` and sources)."""
    data = parsed.data
    for key in data if isinstance(data, dict) else ():
        if key in ("meta", "sources", "kind"):
            continue
        for at, text in _strings(data[key], (key,)):
            found = PLACEHOLDER_MARK.search(text)
            if found:
                yield problem(
                    ProblemCode.placeholder_text,
                    path,
                    parsed.line_of(at),
                    text=found.group(0),
                    where=_where(at),
                )


def _strings(data: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Yield (path, text) for every string value in the data."""
    if isinstance(data, str):
        yield at, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _strings(v, (*at, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _strings(v, (*at, i))


def _check_unique(parsed: Parsed, path: str, keys: tuple[str, ...], what: str) -> Iterator[Problem]:
    """Every entry of the lists under ``keys`` has its own ``id``."""
    seen: dict[str, int] = {}
    for key in keys:
        for index, entry in _entries(parsed.data, key):
            entry_id = entry.get("id")
            if not isinstance(entry_id, str):
                continue
            line = parsed.line_of((key, index, "id"))
            if entry_id in seen:
                yield problem(
                    ProblemCode.duplicate_id,
                    path,
                    line,
                    id=entry_id,
                    first_line=seen[entry_id],
                    what=what,
                )
            else:
                seen[entry_id] = line


def _check_source_refs(parsed: Parsed, path: str) -> Iterator[Problem]:
    """Every ``sources: [...]`` reference names a source of this file."""
    known = set(_ids(parsed.data, "sources"))
    for at, refs in _find_key(parsed.data, "sources", ()):
        if at == ("sources",) or not isinstance(refs, list):
            continue  # the catalogue itself, or a schema problem reported elsewhere
        for index, ref in enumerate(refs):
            if isinstance(ref, str) and ref not in known:
                yield problem(
                    ProblemCode.unknown_source,
                    path,
                    parsed.line_of((*at, index)),
                    id=ref,
                    choices=", ".join(sorted(known)) or "(none yet)",
                )


def _find_key(data: Any, key: str, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Yield (path, value) for every mapping key named ``key`` in the data."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield (*at, k), v
            yield from _find_key(v, key, (*at, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _find_key(v, key, (*at, i))


def _check_rules(parsed: Parsed, path: str) -> Iterator[Problem]:
    """Rules name real items and outcomes and have a condition."""
    items = _ids(parsed.data, "items")
    outcomes = _ids(parsed.data, "outcomes")
    for index, rule in _entries(parsed.data, "rules"):
        line = parsed.line_of(("rules", index))
        name = rule.get("id", f"#{index + 1}")
        when = rule.get("when") if isinstance(rule.get("when"), dict) else {}
        if not (when.get("any_of") or when.get("all_of") or when.get("none_of_these")):
            yield problem(ProblemCode.empty_rule, path, line, rule=name)
        for key in ("any_of", "all_of"):
            refs = when.get(key) if isinstance(when.get(key), list) else []
            for ref_index, ref in enumerate(refs):
                if isinstance(ref, str) and ref not in items:
                    yield problem(
                        ProblemCode.unknown_item,
                        path,
                        parsed.line_of(("rules", index, "when", key, ref_index)),
                        rule=name,
                        id=ref,
                        suggestion=_did_you_mean(ref, items) or f"use one of: {', '.join(items)}",
                    )
        target = rule.get("outcome")
        if isinstance(target, str) and target not in outcomes:
            yield problem(
                ProblemCode.unknown_outcome,
                path,
                parsed.line_of(("rules", index, "outcome")),
                rule=name,
                id=target,
                suggestion=_did_you_mean(target, outcomes) or f"use one of: {', '.join(outcomes)}",
            )


def _check_model(model: Any, parsed: Parsed, path: str) -> Iterator[Problem]:
    """Checks that need a fully valid model (tiers, gates, coverage of every answer)."""
    if not isinstance(model, ScreeningFile):
        return
    tiers: dict[int, str] = {}
    for index, outcome in enumerate(model.outcomes):
        line = parsed.line_of(("outcomes", index))
        if outcome.tier in tiers:
            yield problem(
                ProblemCode.duplicate_tier,
                path,
                line,
                tier=outcome.tier,
                first=tiers[outcome.tier],
                second=outcome.id,
            )
        tiers[outcome.tier] = outcome.id
        yield from _check_way_on(outcome, model.meta.language, line, path)
    yield from _check_coverage(model, parsed, path)


def _check_way_on(outcome: Outcome, language: str, line: int, path: str) -> Iterator[Problem]:
    """Gate, stop and clearance agree: a gate has a way on (clearance) unless it stops."""
    clearance = ("cleared_label", "cleared_message")
    if outcome.stop:
        if not outcome.gate:
            yield problem(ProblemCode.stop_needs_gate, path, line, id=outcome.id)
        for key in clearance:
            if getattr(outcome, key) is not None:
                yield problem(ProblemCode.stop_with_clearance, path, line, id=outcome.id, key=key)
        return
    if not outcome.gate:
        return
    for key in clearance:
        if getattr(outcome, key) is None:
            yield problem(ProblemCode.gate_needs_clearance, path, line, id=outcome.id, key=key)
    label = outcome.cleared_label or ""
    if label and language == "en" and not label.startswith(("I ", "I'")):
        yield problem(ProblemCode.cleared_label_own_words, path, line, id=outcome.id)


def _check_coverage(model: ScreeningFile, parsed: Parsed, path: str) -> Iterator[Problem]:
    """Every item is used, every answer set is decided, every outcome is reachable."""
    used = {
        ref for rule in model.rules for ref in (rule.when.any_of or []) + (rule.when.all_of or [])
    }
    for index, item in enumerate(model.items):
        if item.id not in used:
            yield problem(
                ProblemCode.unused_item, path, parsed.line_of(("items", index)), id=item.id
            )
    if not any(rule.when.none_of_these for rule in model.rules):
        yield problem(ProblemCode.no_none_rule, path, parsed.line_of(("rules",)))
    reached: set[str] = set()
    for answers in rules.all_answer_sets(model):
        decision = rules.decide(model, answers)
        if decision is None:
            yield problem(
                ProblemCode.uncovered_answers,
                path,
                parsed.line_of(("rules",)),
                answer=answers.describe(),
            )
        else:
            reached.add(decision.outcome.id)
    for index, outcome in enumerate(model.outcomes):
        if outcome.id not in reached:
            yield problem(
                ProblemCode.unreached_outcome,
                path,
                parsed.line_of(("outcomes", index)),
                id=outcome.id,
            )


# --- checks across files ---------------------------------------------------------------


def _check_across_files(files: list[LoadedFile]) -> Iterator[Problem]:
    """File ids are unique per language; each language has its screening and shared texts."""
    seen: dict[tuple[str, str], str] = {}
    yield from _check_review_files(files)
    for f in files:
        if getattr(f.model, "meta", None) is None:
            continue  # reviewer files without meta (sign-off, PEMAT) have no file id
        key = (f.model.meta.id, f.model.meta.language)
        if key in seen:
            yield problem(
                ProblemCode.duplicate_file_id,
                f.relpath,
                f.id_line,
                id=key[0],
                language=key[1],
                other=seen[key],
            )
        else:
            seen[key] = f.relpath
    patient = [f for f in files if getattr(f.model, "patient_facing", False)]
    languages = {f.model.meta.language for f in patient}
    for language in sorted(languages):
        kinds = {f.model.kind for f in patient if f.model.meta.language == language}
        for needed in ("screening", "shared", "guide"):
            if needed not in kinds:
                first = next(f.relpath for f in patient if f.model.meta.language == language)
                yield problem(
                    ProblemCode.missing_file_kind, first, 1, kind=needed, language=language
                )


def _check_review_files(files: list[LoadedFile]) -> Iterator[Problem]:
    """One sign-off file at most; each PEMAT checklist names a guide that exists."""
    signoffs = [f for f in files if isinstance(f.model, SignoffFile)]
    for extra in signoffs[1:]:
        yield problem(ProblemCode.second_signoff, extra.relpath, 1, first=signoffs[0].relpath)
    guides = {(g.model.meta.id, g.model.meta.language) for g in files if g.model.kind == "guide"}
    for f in files:
        if isinstance(f.model, PematFile) and (f.model.guide, f.model.language) not in guides:
            choices = ", ".join(sorted(f"{i} ({lang})" for i, lang in guides)) or "(none)"
            yield problem(
                ProblemCode.unknown_guide,
                f.relpath,
                1,
                id=f.model.guide,
                language=f.model.language,
                choices=choices,
            )
