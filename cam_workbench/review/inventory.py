"""Inventory of the content: every item and section, review dates, sources.

Review dates live in each file's ``meta``: a file whose ``next_review_due`` is before
*today* is overdue, and so is every section in it. ``today`` is always passed in, so
tests pin it and the notebook passes the real date.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from cam_workbench.content.contentset import ContentSet, relpath
from cam_workbench.content.parts import NOT_PATIENT, parts
from cam_workbench.content.signoff import file_status
from cam_workbench.review.readability import sentences, words

#: A review due within this many days is flagged as due soon.
DUE_SOON_DAYS: Final = 30


def review_flag(next_due: dt.date, last_reviewed: dt.date | None, today: dt.date) -> str:
    """Say where a file stands with its review schedule (empty when all is well)."""
    if next_due < today:
        return f"overdue by {(today - next_due).days} days"
    if (next_due - today).days <= DUE_SOON_DAYS:
        return f"due in {(next_due - today).days} days"
    if last_reviewed is None:
        return "never reviewed"
    return ""


def inventory_rows(content: ContentSet, today: dt.date) -> list[dict[str, object]]:
    """Return one row per item and section of patient content, with its file's review data."""
    metas = {relpath(content, f): f.model.meta for f in content.files if hasattr(f.model, "meta")}
    signed = {s.file: s.state.value for s in file_status(content)}
    rows: list[dict[str, object]] = []
    for part in parts(content):
        if part.id.split("/")[0] in NOT_PATIENT:
            continue
        meta = metas[part.file]
        count_sentences = sum(len(sentences(b)) for b in part.blocks)
        rows.append(
            {
                "file": part.file,
                "language": part.language,
                "kind": part.kind,
                "section": part.id,
                "heading": part.heading or "",
                "words": sum(len(words(b)) for b in part.blocks),
                "sentences": count_sentences,
                "sources": part.sources,
                "status": meta.status.value,
                "sign_off": signed.get(part.file, ""),
                "last_reviewed": meta.last_reviewed.isoformat() if meta.last_reviewed else "never",
                "next_review_due": meta.next_review_due.isoformat(),
                "overdue": meta.next_review_due < today,
                "review": review_flag(meta.next_review_due, meta.last_reviewed, today),
            }
        )
    return rows


def file_rows(content: ContentSet, today: dt.date) -> list[dict[str, object]]:
    """Return one row per content file: kind, id, language, version, status, review dates."""
    rows: list[dict[str, object]] = []
    for f in content.files:
        meta = getattr(f.model, "meta", None)
        rows.append(
            {
                "file": relpath(content, f),
                "kind": f.model.kind,
                "id": meta.id if meta else "",
                "language": meta.language if meta else getattr(f.model, "language", ""),
                "patient_facing": bool(getattr(f.model, "patient_facing", False)),
                "version": meta.version if meta else "",
                "status": meta.status.value if meta else "",
                "last_reviewed": (
                    meta.last_reviewed.isoformat() if meta and meta.last_reviewed else ""
                ),
                "next_review_due": meta.next_review_due.isoformat() if meta else "",
                "overdue": bool(meta and meta.next_review_due < today),
            }
        )
    return rows


def source_rows(content: ContentSet) -> list[dict[str, object]]:
    """Return one row per source of each file, with the sections that cite it."""
    cited: dict[tuple[str, str], list[str]] = {}
    for part in parts(content):
        refs = part.data.get("sources") if isinstance(part.data, dict) else None
        if part.id.split("/")[0] in NOT_PATIENT or not isinstance(refs, list):
            continue
        for ref in refs:
            cited.setdefault((part.file, ref), []).append(part.id)
    rows: list[dict[str, object]] = []
    for f in content.files:
        for source in getattr(f.model, "sources", None) or []:
            name = relpath(content, f)
            used_by = cited.get((name, source.id), [])
            rows.append(
                {
                    "file": name,
                    "language": f.model.meta.language,
                    "source": source.id,
                    "citation": source.citation,
                    "url": source.url or "",
                    "cited_by": ", ".join(used_by),
                    "uses": len(used_by),
                    "flag": "" if used_by else "cited by no section",
                }
            )
    return rows
