"""Content → safe HTML fragments (pure functions, every text escaped)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from cam_workbench.content.model import BulletList, ListStyle, Meta, Outcome, ReviewDateTexts

#: The HTML element and class of each list style (steps are numbered; a checklist has boxes).
_LISTS: dict[ListStyle, tuple[str, str]] = {
    ListStyle.bullets: ("ul", ""),
    ListStyle.checklist: ("ul", ' class="cam-checklist"'),
    ListStyle.steps: ("ol", ' class="cam-steps"'),
}


def body_html(blocks: Sequence[str | BulletList]) -> str:
    """Render a body (paragraphs and lists) as HTML."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, BulletList):
            element, css = _LISTS[block.style]
            items = "".join(f"<li>{escape(b)}</li>" for b in block.bullets)
            parts.append(f"<{element}{css}>{items}</{element}>")
        else:
            parts.append(f"<p>{escape(block)}</p>")
    return "".join(parts)


def heading_html(text: str, level: int, element_id: str | None = None) -> str:
    """Render a heading ``<hN>`` with an optional id."""
    id_attr = f' id="{escape(element_id)}"' if element_id else ""
    return f"<h{level}{id_attr}>{escape(text)}</h{level}>"


def outcome_html(outcome: Outcome, level: int = 2) -> str:
    """An outcome's heading, message and what to do if things get worse."""
    return (
        heading_html(outcome.heading, level)
        + body_html(outcome.message)
        + f'<p class="cam-worse"><strong>{escape(outcome.if_worse)}</strong></p>'
    )


def date_words(day: dt.date, texts: ReviewDateTexts) -> str:
    """A date in the page's language, e.g. ``February 28, 2027``."""
    return texts.date_format.format(day=day.day, month=texts.months[day.month - 1], year=day.year)


def review_dates_html(
    metas: Sequence[Meta],
    texts: ReviewDateTexts,
    checked: Sequence[dt.date | None] | None = None,
) -> str:
    """When the page's content was last reviewed and is next due (the oldest of its files).

    "Last reviewed" is the earliest of the files' dates of review (``checked``, one per meta:
    by default each ``meta.last_reviewed``), or ``not_reviewed`` when any file has never been
    reviewed; "Next review" is the earliest ``next_review_due``.
    """
    reviewed = list(checked) if checked is not None else [m.last_reviewed for m in metas]
    if not metas or any(day is None for day in reviewed):
        last = texts.not_reviewed
    else:
        last = texts.last_reviewed.format(date=date_words(min(d for d in reviewed if d), texts))
    parts = [last]
    if metas:
        due = min(m.next_review_due for m in metas)
        parts.append(texts.next_review.format(date=date_words(due, texts)))
    return '<p class="cam-review-dates">' + " ".join(escape(p) for p in parts) + "</p>"
