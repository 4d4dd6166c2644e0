"""Translations of patient content: what each translates, what is missing, what is stale.

A translation is a content file in another language (``content/es/acupuncture.yaml``)
whose ``meta.translation_of`` names its source file (id and language) and the sha256 of
the source's *normalised* content when it was translated: the same hash the clinical
sign-off uses (:func:`cam_workbench.content.fingerprints.file_hash`), so layout and
comments in the English file are not changes, and neither is the review bookkeeping in
``meta``.

:func:`check_translations` runs in :func:`~cam_workbench.content.loading.load_content` and
returns catalogue problems:

- **errors**: a ``translation_of`` naming no file; rules, tiers or gates that differ from
  the source (the logic must be the same in every language);
- **reviewer warnings** (content still loads): an entry or key of the source with no
  counterpart in the translation and vice versa (lists of entries with ids are matched by
  id, mappings by key, paragraphs and bullets by position), a source file with no
  translation, a translation that does not say what it translates, and a translation whose
  source changed after it was translated (stale), naming the source sections that changed.

After updating a translation, ``cam-workbench translation-stamp FILE`` records the
source's current hash (:mod:`cam_workbench.content.stamp`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cam_workbench.content.contentset import LoadedFile
from cam_workbench.content.fingerprints import file_hash, normalised, section_hashes
from cam_workbench.content.model import TranslationOf
from cam_workbench.content.problems import Problem, ProblemCode, problem

#: The language translations are made from when a file does not say (``translation_of``).
SOURCE_LANGUAGE: Final = "en"

#: Language code → its English name, for messages. Others are shown as the code.
LANGUAGE_NAMES: Final[Mapping[str, str]] = {"en": "English", "es": "Spanish"}

#: Lists of entries with ids → what one entry is called in messages.
ENTRY_NAMES: Final[Mapping[str, str]] = {
    "sections": "section",
    "items": "item",
    "outcomes": "outcome",
    "rules": "rule",
    "sources": "source",
    "bands": "band",
}

#: Keys that hold the screening logic: compared exactly (differences are errors).
LOGIC_KEYS: Final = frozenset({"rules", "tier", "gate", "stop"})

#: Keys whose values are references, never translated: compared by value (warnings).
REFERENCE_KEYS: Final = frozenset({"sources"})

#: Keys that are not compared at all: file bookkeeping, and links a translation may change.
SKIPPED_KEYS: Final = frozenset({"kind", "meta", "url"})


def language_name(code: str) -> str:
    """Return ``Spanish`` for ``es``; an unknown code as ``'xx'``."""
    return LANGUAGE_NAMES.get(code.split("-")[0], f"'{code}'")


@dataclass(frozen=True)
class Pair:
    """A source file and one translation of it."""

    source: LoadedFile
    translation: LoadedFile

    @property
    def marked(self) -> bool:
        """Whether the translation says what it translates (``meta.translation_of``)."""
        return translation_of(self.translation.model) is not None


def translation_of(model: Any) -> TranslationOf | None:
    """Return a file's ``meta.translation_of`` (None for an original file)."""
    meta = getattr(model, "meta", None)
    return getattr(meta, "translation_of", None)


def file_key(model: Any) -> tuple[str, str, str] | None:
    """(kind, meta.id, language) of a file with meta, else None."""
    meta = getattr(model, "meta", None)
    return (str(model.kind), meta.id, meta.language) if meta is not None else None


def find_pairs(files: Sequence[LoadedFile]) -> tuple[list[Pair], list[Problem]]:
    """Pair each translation with its source; problems for sources that do not exist.

    A file with ``meta.translation_of`` is paired with the file of the same kind it names.
    A patient file in another language without it is paired with the English
    (:data:`SOURCE_LANGUAGE`) file of the same kind and id, when there is one.
    """
    by_key = {k: f for f in files if (k := file_key(f.model)) is not None}
    pairs: list[Pair] = []
    problems: list[Problem] = []
    for f in files:
        key = file_key(f.model)
        if key is None:
            continue
        kind, file_id, language = key
        marked = translation_of(f.model)
        if marked is not None:
            source = by_key.get((kind, marked.id, marked.language))
            if source is None or marked.language == language or translation_of(source.model):
                choices = sorted(
                    f"{i} ({lang})"
                    for (k, i, lang) in by_key
                    if k == kind and lang != language and translation_of(by_key[k, i, lang]) is None
                )
                problems.append(
                    problem(
                        ProblemCode.unknown_translation_source,
                        f.relpath,
                        f.line_of(("meta", "translation_of")),
                        kind=kind,
                        id=marked.id,
                        language=marked.language,
                        choices=", ".join(choices) or "(none)",
                    )
                )
            else:
                pairs.append(Pair(source, f))
        elif language != SOURCE_LANGUAGE and getattr(f.model, "patient_facing", False):
            source = by_key.get((kind, file_id, SOURCE_LANGUAGE))
            if source is not None:
                pairs.append(Pair(source, f))
    return pairs, problems


def check_translations(files: Sequence[LoadedFile]) -> list[Problem]:
    """Return every translation problem: errors and reviewer warnings (see the module)."""
    pairs, problems = find_pairs(files)
    for pair in pairs:
        problems += check_logic(pair)
        problems += compare(pair)
        if not pair.marked:
            problems.append(
                problem(
                    ProblemCode.translation_unmarked,
                    pair.translation.relpath,
                    pair.translation.id_line,
                    source=pair.source.relpath,
                    translation=pair.translation.relpath,
                )
            )
        elif (stale := check_stale(pair)) is not None:
            problems.append(stale)
    problems += missing_files(files, pairs)
    return problems


# --- the logic is the same in every language (errors) ---------------------------------------


def check_logic(pair: Pair) -> Iterator[Problem]:
    """Rules (in order), and each outcome's tier and gate, must equal the source's."""
    source, translation = normalised(pair.source.model), normalised(pair.translation.model)
    where, name = pair.translation, pair.source.relpath

    def differs(path: tuple[str | int, ...], what: str) -> Problem:
        return problem(
            ProblemCode.translation_logic_differs,
            where.relpath,
            where.line_of(path),
            what=what,
            source=name,
        )

    source_rules = _by_id(source.get("rules"))
    translated_rules = _by_id(translation.get("rules"))
    found = False
    for rule_id, (index, rule) in translated_rules.items():
        original = source_rules.get(rule_id)
        if original is None or original[1] != rule:
            found = True
            missing = " (it has no such rule)" if original is None else ""
            yield differs(("rules", index), f"rule '{rule_id}'{missing}")
    for rule_id in source_rules.keys() - translated_rules.keys():
        found = True
        yield differs(("rules",), f"rules (rule '{rule_id}' is missing)")
    if not found and list(source_rules) != list(translated_rules):
        yield differs(("rules",), "the order of the rules (it decides between equal tiers)")
    source_outcomes = _by_id(source.get("outcomes"))
    for outcome_id, (index, outcome) in _by_id(translation.get("outcomes")).items():
        twin = source_outcomes.get(outcome_id)
        for key in ("tier", "gate", "stop"):
            if twin is not None and outcome.get(key) != twin[1].get(key):
                yield differs(("outcomes", index, key), f"{key} of outcome '{outcome_id}'")


def _by_id(value: Any) -> dict[str, tuple[int, dict[str, Any]]]:
    """Entries of a list by id, with their index (empty for anything else)."""
    if not isinstance(value, list):
        return {}
    return {e["id"]: (i, e) for i, e in enumerate(value) if isinstance(e, dict) and "id" in e}


# --- every entry has a counterpart (warnings) -----------------------------------------------


@dataclass(frozen=True)
class _Walk:
    """Where the comparison is, in both files: data paths and a name for messages."""

    pair: Pair
    source_path: tuple[str | int, ...] = ()
    translation_path: tuple[str | int, ...] = ()
    entry: str = ""  # e.g. "section 'side_effects'"
    keys: str = ""  # e.g. "body[2].bullets", below the entry

    def into_key(self, key: str) -> _Walk:
        return _Walk(
            self.pair,
            (*self.source_path, key),
            (*self.translation_path, key),
            self.entry,
            f"{self.keys}.{key}" if self.keys else key,
        )

    def into_index(self, index: int) -> _Walk:
        return _Walk(
            self.pair,
            (*self.source_path, index),
            (*self.translation_path, index),
            self.entry,
            f"{self.keys}[{index}]",
        )

    def into_entry(self, list_key: str, entry_id: str, si: int, ti: int) -> _Walk:
        entry = f"{ENTRY_NAMES.get(list_key, 'entry')} '{entry_id}'"
        return _Walk(
            self.pair,
            (*self.source_path, si),
            (*self.translation_path, ti),
            f"{entry} in {self.name}" if self.entry or "." in self.keys else entry,
            "",
        )

    @property
    def name(self) -> str:
        """Name the place for a message: ``key 'cleared_label' of outcome 'see_doctor'``."""
        if self.entry and self.keys:
            return f"key '{self.keys}' of {self.entry}"
        return self.entry or (f"key '{self.keys}'" if self.keys else "the file")


def compare(pair: Pair) -> list[Problem]:
    """Warn about every entry, key, paragraph or bullet with no counterpart on the other side."""
    source = normalised(pair.source.model)
    translation = normalised(pair.translation.model)
    return list(_compare(source, translation, _Walk(pair)))


def _compare(source: Any, translation: Any, at: _Walk) -> Iterator[Problem]:
    if isinstance(source, dict) and isinstance(translation, dict):
        yield from _compare_mappings(source, translation, at)
    elif isinstance(source, list) and isinstance(translation, list):
        yield from _compare_lists(source, translation, at)
    elif _shape(source) != _shape(translation):
        yield _shape_problem(at, _shape(translation), _shape(source))
    elif not isinstance(source, str) and source != translation:  # numbers, true/false
        yield _shape_problem(at, repr(translation), repr(source))


def _compare_mappings(
    source: dict[str, Any], translation: dict[str, Any], at: _Walk
) -> Iterator[Problem]:
    for key, value in source.items():
        if key in SKIPPED_KEYS or key in LOGIC_KEYS:
            continue
        inner = at.into_key(key)
        if key not in translation:
            yield _missing(inner)
        elif key in REFERENCE_KEYS and not _has_ids(value):
            if value != translation[key]:
                yield _shape_problem(inner, _refs(translation[key]), _refs(value))
        else:
            yield from _compare(value, translation[key], inner)
    for key in translation:
        if key not in source and key not in SKIPPED_KEYS and key not in LOGIC_KEYS:
            yield _extra(at.into_key(key))


def _compare_lists(source: list[Any], translation: list[Any], at: _Walk) -> Iterator[Problem]:
    list_key = str(at.source_path[-1]) if at.source_path else ""
    if source and _has_ids(source) or translation and _has_ids(translation):
        ours = _by_id(source)
        theirs = _by_id(translation)
        for entry_id, (si, entry) in ours.items():
            if entry_id not in theirs:
                yield _missing(at.into_entry(list_key, entry_id, si, si))
            else:
                ti, other = theirs[entry_id]
                yield from _compare(entry, other, at.into_entry(list_key, entry_id, si, ti))
        for entry_id, (ti, _) in theirs.items():
            if entry_id not in ours:
                yield _extra(at.into_entry(list_key, entry_id, ti, ti))
        shared = [i for i in ours if i in theirs]
        if shared != [i for i in theirs if i in ours]:  # patients would read another order
            order = [i for i in theirs if i in ours]
            yield _shape_problem(at, f"the order {_refs(order)}", f"{_refs(shared)}")
        return
    if len(source) != len(translation):  # said once: position by position would repeat it
        what = "bullets" if list_key == "bullets" else "paragraphs and lists"
        yield _shape_problem(at, f"{len(translation)} {what}", f"{len(source)}")
        return
    for index, (ours_, theirs_) in enumerate(zip(source, translation, strict=True)):
        yield from _compare(ours_, theirs_, at.into_index(index))


def _has_ids(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in value)
    )


def _shape(value: Any) -> str:
    if isinstance(value, str):
        return "a paragraph"
    if isinstance(value, dict):
        return (
            "a bullet list"
            if "bullets" in value and set(value) <= {"bullets", "style"}
            else ("a mapping")
        )
    if isinstance(value, list):
        return "a list"
    return (
        "a number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else ("true/false")
    )


def _refs(value: Any) -> str:
    return f"[{', '.join(map(str, value))}]" if isinstance(value, list) else repr(value)


def _missing(at: _Walk) -> Problem:
    pair = at.pair
    return problem(
        ProblemCode.translation_missing_entry,
        pair.source.relpath,
        pair.source.line_of(at.source_path),
        what=at.name,
        language=language_name(pair.translation.model.meta.language),
        translation=pair.translation.relpath,
    )


def _extra(at: _Walk) -> Problem:
    pair = at.pair
    return problem(
        ProblemCode.translation_extra_entry,
        pair.translation.relpath,
        pair.translation.line_of(at.translation_path),
        what=at.name,
        source_language=language_name(pair.source.model.meta.language),
        source=pair.source.relpath,
    )


def _shape_problem(at: _Walk, found: str, expected: str) -> Problem:
    pair = at.pair
    return problem(
        ProblemCode.translation_shape_differs,
        pair.translation.relpath,
        pair.translation.line_of(at.translation_path),
        what=at.name,
        found=found,
        expected=expected,
        translation=pair.translation.relpath,
        source=pair.source.relpath,
    )


def missing_files(files: Sequence[LoadedFile], pairs: Sequence[Pair]) -> Iterator[Problem]:
    """Warn about each original patient file with no translation in a translated language.

    A language counts as translated when at least one of its files translates a file
    of the source's language.
    """
    translated = {(p.source.path, p.translation.model.meta.language) for p in pairs}
    targets: dict[str, set[str]] = {}
    for p in pairs:
        targets.setdefault(p.source.model.meta.language, set()).add(
            p.translation.model.meta.language
        )
    for f in files:
        if not getattr(f.model, "patient_facing", False) or translation_of(f.model) is not None:
            continue
        for language in sorted(targets.get(f.model.meta.language, ())):
            if (f.path, language) not in translated:
                yield problem(
                    ProblemCode.translation_missing_file,
                    f.relpath,
                    f.id_line,
                    source=f.relpath,
                    language=language_name(language),
                    language_code=language,
                    name=f.path.name,
                )


# --- stale translations (warnings) -------------------------------------------------------


def changed_sections(recorded: Mapping[str, str], source: Any) -> list[str]:
    """Name the source sections changed, added or removed since ``recorded`` hashes."""
    now = section_hashes(source)
    changed = [s for s in now if s in recorded and recorded[s] != now[s]]
    added = [s for s in now if s not in recorded]
    removed = [s for s in recorded if s not in now]
    words = []
    for label, names in (("changed", changed), ("added", added), ("removed", removed)):
        if names:
            words.append(f"{label}: {', '.join(names)}")
    return words


def check_stale(pair: Pair) -> Problem | None:
    """A warning when the source changed after the translation was made, else None."""
    stamp = translation_of(pair.translation.model)
    if stamp is None or stamp.source_hash == file_hash(pair.source.model):
        return None
    changes = ""
    if stamp.source_sections is not None:
        words = changed_sections(stamp.source_sections, pair.source.model)
        changes = f" (sections {'; '.join(words)})" if words else ""
    return problem(
        ProblemCode.translation_stale,
        pair.translation.relpath,
        pair.translation.line_of(("meta", "translation_of", "source_hash")),
        source=pair.source.relpath,
        changes=changes,
        translation=pair.translation.relpath,
    )
