"""The translator exchange, format-free: every patient text by id, and checking an import.

``cam-workbench translation export`` writes each text a patient reads, in the source
language and its translation, as an :class:`Entry` (PO and XLIFF are
:mod:`cam_workbench.review.exchange`); ``translation import`` checks the entries it reads back
against the content as it is now (:func:`plan_import`) before anything is written.

- **Ids** are stable and readable: ``acupuncture.yaml#sections/why_it_is_done/body[2]``: the
  file's name (the same in every language folder), then the place in the file, where a list
  of entries with ids is addressed by id (as translations are matched,
  :mod:`~cam_workbench.content.checks.translations`) and any other list by position.
- **Which texts**: every string a patient reads: ``meta.title`` and everything but ``meta``,
  ``sources`` and the keys that hold ids, rules and settings (:data:`parts.NOT_TEXT`).
- **Stale**: a text is stale when the source *section* holding it changed since the
  translation was stamped (``meta.translation_of.source_sections``), or when it has no
  translation yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cam_workbench.content.checks.translations import Pair, translation_of
from cam_workbench.content.fingerprints import section_hashes
from cam_workbench.content.parts import NOT_PATIENT, NOT_TEXT

#: ``{placeholder}`` in a text: the translation must keep the same ones.
PLACEHOLDER: Final = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

DataPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Entry:
    """One patient text: its id, the source text, the translation (may be empty), if stale."""

    id: str
    source: str
    target: str
    stale: bool
    note: str = ""
    line: int = 0  # where the translation is, for translators' tools (0: not known)


class ImportRefused(ValueError):
    """Entries of a translator's file do not match the content; ``reasons`` names each id."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        """Keep every id and its reason."""
        self.reasons = dict(reasons)
        lines = "\n".join(f"  {i}: {why}" for i, why in self.reasons.items())
        count = len(self.reasons)
        super().__init__(f"{count} text{'s' if count != 1 else ''} do not match\n{lines}")


def _has_ids(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in value)
    )


def texts(data: Any) -> dict[str, tuple[DataPath, str]]:
    """Every patient text of a file's YAML data: id (without the file) → (data path, text)."""
    found: dict[str, tuple[DataPath, str]] = {}

    def walk(value: Any, path: DataPath, name: str) -> None:
        if isinstance(value, str):
            found[name] = (path, value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key not in NOT_TEXT:
                    walk(inner, (*path, key), f"{name}/{key}")
        elif isinstance(value, list):
            by_id = _has_ids(value)
            for index, inner in enumerate(value):
                part = f"{name}/{inner['id']}" if by_id else f"{name}[{index}]"
                walk(inner, (*path, index), part)

    if not isinstance(data, dict):
        return found
    for key, value in data.items():
        if key == "meta" and isinstance(value, dict) and isinstance(value.get("title"), str):
            found["meta/title"] = (("meta", "title"), value["title"])
        elif key not in NOT_PATIENT and key not in NOT_TEXT:
            walk(value, (key,), str(key))
    return found


def section_of(text_id: str, data: Any) -> str:
    """The sign-off section a text id belongs to (``sections/about_cam``, ``intro``, ``meta``)."""
    head, _, rest = text_id.partition("/")
    head = head.split("[", 1)[0]
    if isinstance(data, dict) and _has_ids(data.get(head)) and rest:
        return f"{head}/{rest.split('/', 1)[0].split('[', 1)[0]}"
    return head


def stale_sections(pair: Pair) -> set[str]:
    """Source sections changed since the translation's stamp (every one without a stamp)."""
    now = section_hashes(pair.source.model)
    stamp = translation_of(pair.translation.model)
    recorded = (stamp.source_sections or {}) if stamp is not None else {}
    return {s for s, h in now.items() if recorded.get(s) != h}


def file_name(pair: Pair) -> str:
    """The name ids start with: the source file's name (``acupuncture.yaml``)."""
    return pair.source.path.name


def _data(pair_file: Any) -> Any:
    return pair_file.parsed.data if pair_file.parsed is not None else None


def entries(pair: Pair) -> list[Entry]:
    """The texts of a source file paired with its translation's, in source order."""
    source, translation = _data(pair.source), _data(pair.translation)
    theirs = texts(translation)
    stale = stale_sections(pair)
    found: list[Entry] = []
    for text_id, (_, text) in texts(source).items():
        path, target = theirs.get(text_id, ((), ""))
        section = section_of(text_id, source)
        if not target:
            note, is_stale = "no translation yet", True
        elif section in stale:
            note, is_stale = f"the source of section '{section}' changed since translated", True
        else:
            note, is_stale = "", False
        line = pair.translation.line_of(path) if path else 0
        found.append(Entry(f"{file_name(pair)}#{text_id}", text, target, is_stale, note, line))
    return found


@dataclass(frozen=True)
class ImportPlan:
    """What importing a translator's entries does to one translation file."""

    pair: Pair
    updates: dict[DataPath, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # id → why it is not written
    complete: bool = False  # every source text came back, translated and not marked stale


def plan_import(pair: Pair, imported: Sequence[Entry]) -> tuple[ImportPlan, dict[str, str]]:
    """Check a translator's entries for one file against the content now; plan the writes.

    Returns the plan and the refusals (id → why): an entry whose source text differs from the
    current source (it changed after the export), an id the source does not have, or a
    translation whose ``{placeholders}`` differ from the source's. Entries marked stale
    (fuzzy, needs review) or left empty are skipped, never written.
    """
    source, translation = _data(pair.source), _data(pair.translation)
    ours, theirs = texts(source), texts(translation)
    prefix = f"{file_name(pair)}#"
    refused: dict[str, str] = {}
    updates: dict[DataPath, str] = {}
    skipped: dict[str, str] = {}
    seen: set[str] = set()
    for entry in imported:
        text_id = entry.id.removeprefix(prefix)
        if text_id not in ours:
            refused[entry.id] = "no such text in the source file (removed or renamed)"
            continue
        seen.add(text_id)
        original = ours[text_id][1]
        if entry.source != original:
            refused[entry.id] = "the source text changed since the export: export again"
        elif entry.target and sorted(PLACEHOLDER.findall(entry.target)) != sorted(
            PLACEHOLDER.findall(original)
        ):
            refused[entry.id] = "the translation's {placeholders} differ from the source's"
        elif not entry.target:
            skipped[entry.id] = "no translation"
        elif entry.stale:
            skipped[entry.id] = "marked for review (fuzzy): not imported"
        elif text_id not in theirs:
            skipped[entry.id] = "the translation file has no such place yet: add it by hand"
        elif theirs[text_id][1] != entry.target:
            updates[theirs[text_id][0]] = entry.target
    missing = [i for i in ours if i not in seen]
    complete = not skipped and not missing
    return ImportPlan(pair, updates, skipped, complete), refused
