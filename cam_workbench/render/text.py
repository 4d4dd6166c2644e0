"""Content bodies as plain text, and every patient text of a screening under a stable key.

The keys let an export line up the same text across languages (``content/en`` and
``content/es`` share item and outcome ids) and let an import put each text back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from cam_workbench.content.model import BulletList, ScreeningFile

#: Marks a bullet in plain text (one bullet a line).
BULLET: Final = "• "

TextKey = tuple[str, ...]


def block_text(block: str | BulletList) -> str:
    """One paragraph as is; a bullet list as one ``• item`` line per bullet."""
    if isinstance(block, BulletList):
        return "\n".join(BULLET + bullet for bullet in block.bullets)
    return block


def text_block(text: str) -> str | BulletList:
    """Undo :func:`block_text`: lines that all start with a bullet become a bullet list."""
    lines = text.split("\n")
    if all(line.startswith(BULLET) and line[len(BULLET) :].strip() for line in lines):
        return BulletList(bullets=[line[len(BULLET) :] for line in lines])
    return text


def body_text(blocks: Sequence[str | BulletList]) -> str:
    """Render a body as plain text: blocks apart by a blank line, bullets as ``- item``."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, BulletList):
            parts.append("\n".join(f"- {bullet}" for bullet in block.bullets))
        else:
            parts.append(block)
    return "\n\n".join(parts)


def screening_texts(screening: ScreeningFile) -> dict[TextKey, str]:
    """Return every patient text of a screening, keyed by where it is.

    Keys use ids where there are ids; message blocks go by their 1-based position.
    """
    texts: dict[TextKey, str] = {
        ("title",): screening.meta.title,
        ("question",): screening.question,
    }
    if screening.hint is not None:
        texts[("hint",)] = screening.hint
    for item in screening.items:
        texts[("item", item.id)] = item.text
    texts[("none",)] = screening.none_option.text
    for outcome in screening.outcomes:
        texts[("outcome", outcome.id, "heading")] = outcome.heading
        for number, block in enumerate(outcome.message, start=1):
            texts[("outcome", outcome.id, "message", str(number))] = block_text(block)
        texts[("outcome", outcome.id, "if_worse")] = outcome.if_worse
        if outcome.cleared_label is not None:
            texts[("outcome", outcome.id, "cleared_label")] = outcome.cleared_label
        for number, block in enumerate(outcome.cleared_message or (), start=1):
            texts[("outcome", outcome.id, "cleared_message", str(number))] = block_text(block)
    if screening.result_label is not None:
        texts[("result_label",)] = screening.result_label
    texts[("prompt", "nothing_chosen")] = screening.prompts.nothing_chosen
    texts[("prompt", "contradiction")] = screening.prompts.contradiction
    return texts
