"""Content → safe HTML fragments (pure functions, every text escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from cam_workbench.model import BulletList


def body_html(blocks: Sequence[str | BulletList]) -> str:
    """Render a body (paragraphs and bullet lists) as HTML."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, BulletList):
            items = "".join(f"<li>{escape(b)}</li>" for b in block.bullets)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f"<p>{escape(block)}</p>")
    return "".join(parts)


def heading_html(text: str, level: int, element_id: str | None = None) -> str:
    """Render a heading ``<hN>`` with an optional id."""
    id_attr = f' id="{escape(element_id)}"' if element_id else ""
    return f"<h{level}{id_attr}>{escape(text)}</h{level}>"
