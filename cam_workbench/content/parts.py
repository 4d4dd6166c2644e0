"""Content files as the sections a reviewer reads, checks and signs off (:class:`Part`).

One decomposition (:func:`~cam_workbench.content.fingerprints.sections_of`) serves every
reviewer tool, so the inventory, readability, jargon and sign-off tables name the same
sections: a list of entries with ids becomes one section per entry
(``sections/why_it_is_done``, ``items/leg_symptoms``, ``rules/any_red_flag``), any other
top-level key one section (``intro``, ``question``, ``emergency``, ``ui``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from cam_workbench.content.contentset import ContentSet, relpath
from cam_workbench.content.fingerprints import sections_of

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
