"""Fingerprints of content: what counts as a change, for sign-off and translations alike.

A file's *normalised* content is its validated model as plain JSON data, without the review
bookkeeping in ``meta``; its hash is the sha256 of that data as canonical JSON. So YAML
layout, comments, quoting and review dates are not changes; every text, rule, setting and
source is. A file splits into *sections* (one per entry of a list with ids, such as
``sections/why_it_is_done``, one per other top-level key, such as ``intro``), each with its
own hash and its text as ``path: value`` lines, so a change can be named section by section.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from cam_workbench.content.model import ApprovedSection

#: Keys of ``meta`` that are review bookkeeping, not content: changing them does not
#: change what a patient reads, so they are left out of hashes and diffs.
BOOKKEEPING: Final = frozenset(
    {"version", "status", "owner_role", "last_reviewed", "next_review_due"}
)

#: Length of the per-section hashes a translation keeps (``translation_of.source_sections``).
SECTION_HASH_LENGTH: Final = 12


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


def file_hash(model: Any) -> str:
    """Return the sha256 of a file's normalised content."""
    return canonical_hash(normalised(model))


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


def section_snapshots(model: Any) -> list[ApprovedSection]:
    """Return each section's id, hash and text lines, as an approval records them."""
    return [
        ApprovedSection(id=section_id, sha256=canonical_hash(data), text=flatten(data))
        for section_id, data in sections_of(model)
    ]


def section_hashes(model: Any) -> dict[str, str]:
    """Each section of a file → the first :data:`SECTION_HASH_LENGTH` hex digits of its hash."""
    return {s.id: s.sha256[:SECTION_HASH_LENGTH] for s in section_snapshots(model)}
