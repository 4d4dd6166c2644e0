"""Split content files into the sections a reviewer reads, checks and signs off.

One decomposition serves every reviewer tool, so the inventory, readability, jargon and
sign-off tables name the same sections: a list of entries with ids becomes one section per
entry (``sections/why_it_is_done``, ``items/leg_symptoms``, ``rules/any_red_flag``), any
other top-level key one section (``intro``, ``question``, ``emergency``, ``ui``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cam_workbench.loading import ContentSet, LoadedFile

#: Keys of ``meta`` that are review bookkeeping, not content: changing them does not
#: change what a patient reads, so they are left out of hashes and diffs.
BOOKKEEPING: Final = frozenset(
    {"version", "status", "owner_role", "last_reviewed", "next_review_due"}
)

#: Keys whose values are ids, references or settings, never text a patient reads.
NOT_TEXT: Final = frozenset(
    {"id", "sources", "when", "outcome", "tier", "gate", "stop", "style", "kind", "url"}
)

#: Top-level parts that hold no patient text (reviewer-facing metadata and citations).
NOT_PATIENT: Final = frozenset({"meta", "sources"})


@dataclass(frozen=True)
class Part:
    """One section of one content file."""

    file: str
    kind: str
    file_id: str
    language: str
    id: str
    heading: str | None
    blocks: tuple[str, ...]
    sources: int
    data: Any

    @property
    def patient_text(self) -> bool:
        """Whether patients read this section (it has text and is not metadata)."""
        return bool(self.blocks or self.heading) and self.id.split("/")[0] not in NOT_PATIENT

    @property
    def text(self) -> str:
        """Heading and blocks as one text, one block per line."""
        return "\n".join(([self.heading] if self.heading else []) + list(self.blocks))


def relpath(content: ContentSet, loaded: LoadedFile) -> str:
    """Path of a file relative to the content folder, with '/' (``en/acupuncture.yaml``)."""
    try:
        rel = loaded.path.resolve().relative_to(Path(content.root).resolve())
    except ValueError:
        rel = Path(loaded.relpath)
    return rel.as_posix()


def normalised(model: Any) -> dict[str, Any]:
    """Return the content of a validated file as plain JSON data, without bookkeeping."""
    # Defaults left out: a new optional field (with its default) changes no file's hash.
    data: dict[str, Any] = model.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_defaults=True
    )
    if isinstance(data.get("meta"), dict):
        data["meta"] = {k: v for k, v in data["meta"].items() if k not in BOOKKEEPING}
    return data


def canonical_hash(data: Any) -> str:
    """Return the sha256 of data as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sections_of(model: Any) -> list[tuple[str, Any]]:
    """Split a file's normalised data into ``(section id, data)`` pairs, in file order."""
    sections: list[tuple[str, Any]] = []
    for key, value in normalised(model).items():
        if key == "kind":
            continue
        if isinstance(value, list) and value and all(_has_id(v) for v in value):
            sections += [(f"{key}/{entry['id']}", entry) for entry in value]
        else:
            sections.append((key, value))
    return sections


def _has_id(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str)


def flatten(value: Any, prefix: str = "") -> list[str]:
    """Render data as ``path: value`` lines, one per text or setting (for diffs)."""
    if isinstance(value, dict):
        return [
            line for k, v in value.items() for line in flatten(v, f"{prefix}.{k}" if prefix else k)
        ]
    if isinstance(value, list):
        if all(isinstance(v, str | int | float) and " " not in str(v) for v in value):
            return [f"{prefix}: [{', '.join(str(v) for v in value)}]"]  # ids, e.g. any_of
        return [line for i, v in enumerate(value) for line in flatten(v, f"{prefix}[{i}]")]
    return [f"{prefix}: {value}" if prefix else str(value)]


def _texts(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(key, text)`` for every patient-readable string in the data, in order."""
    if key in NOT_TEXT:
        return
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(v, k if k != "bullets" else key)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v, key)


def parts(content: ContentSet, patient_only: bool = True) -> list[Part]:
    """Every section of every file (by default only of patient content), in file order."""
    found: list[Part] = []
    for loaded in content.files:
        model = loaded.model
        if patient_only and not getattr(model, "patient_facing", False):
            continue
        meta = getattr(model, "meta", None)
        for section_id, data in sections_of(model):
            heading: str | None = None
            blocks: list[str] = []
            for key, text in _texts(data):
                if key == "heading" and heading is None:
                    heading = text
                else:
                    blocks.append(text)
            refs = data.get("sources") if isinstance(data, dict) else None
            found.append(
                Part(
                    file=relpath(content, loaded),
                    kind=str(model.kind),
                    file_id=meta.id if meta else "",
                    language=meta.language if meta else "",
                    id=section_id,
                    heading=heading,
                    blocks=tuple(blocks),
                    sources=len(refs) if isinstance(refs, list) else 0,
                    data=data,
                )
            )
    return found


def patient_parts(content: ContentSet) -> list[Part]:
    """Return the sections of patient content that hold text patients read."""
    return [p for p in parts(content) if p.patient_text]
