"""What changed since the last approval, word by word (like ``git diff --word-diff``).

The sign-off record keeps each approved section's text as ``path: value`` lines
(:func:`~cam_workbench.content.fingerprints.flatten`); :mod:`cam_workbench.content.signoff`
names the sections that changed. Here each changed section is compared with the file as it
is now, line by line and then word by word, with :mod:`difflib`:

1. lines are matched on their text and the *shape* of their path (``body[6]`` and
   ``body[7]`` are both ``body[]``), so a paragraph added in the middle is one added line,
   not every later paragraph renumbered;
2. a line that was edited (same path, or the same kind of line and mostly the same words) is
   shown once, with the words deleted and inserted marked; any other line is added or
   removed as a whole;
3. words are runs of letters and digits; punctuation marks and spaces are tokens of their
   own. A space alone between two changes joins them, so a rewritten phrase reads
   ``[-most often-]{+usually+}``, not word by word.

Shown as ``[-old-]{+new+}`` in the terminal (``review-status --diff``) and as ``<del>`` /
``<ins>`` in HTML (the review packet and the review notebook). Every text is escaped.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final, Literal

from cam_workbench.content.contentset import ContentSet, patient_files
from cam_workbench.content.fingerprints import section_snapshots
from cam_workbench.content.model import Approval
from cam_workbench.content.signoff import State, file_status

PieceKind = Literal["equal", "delete", "insert"]
Change = Literal["added", "removed", "changed"]

_TOKEN: Final = re.compile(r"\w+|\s+|[^\w\s]")
_INDEX: Final = re.compile(r"\[\d+\]")

#: How alike two lines of the same kind must be (difflib's ratio of their words) to be shown
#: as one edited line rather than one removed and one added.
SIMILAR: Final = 0.5

#: Styles of the HTML diff (scoped to ``.cam-wdiff``): deletions struck through on red,
#: insertions underlined on green, so the marks do not rest on colour alone.
CSS: Final = """
.cam-wdiff { font-size: 14px; line-height: 1.5; }
.cam-wdiff h4 { margin: 1rem 0 .25rem; font-size: 15px; }
.cam-wdiff h5 { margin: .6rem 0 .2rem; font-size: 14px; font-weight: 600; }
.cam-wdiff p { margin: .2rem 0 .2rem 1rem; }
.cam-wdiff code { color: #555; font-size: 12px; }
.cam-wdiff del, .cam-wdiff ins { padding: 0 .2em; border-radius: 3px; }
.cam-wdiff del { background: #fbdcdc; color: #7a0000; text-decoration: line-through;
  text-decoration-thickness: 2px; margin-right: .25em; }
.cam-wdiff ins { background: #d7f5dd; color: #004d14; text-decoration: underline; }
.cam-wdiff .note { color: #555; }
"""


@dataclass(frozen=True)
class Piece:
    """A run of text that is unchanged, deleted or inserted."""

    kind: PieceKind
    text: str


@dataclass(frozen=True)
class LineChange:
    """One line of a section (``path: value``) added, removed or edited, as pieces."""

    path: str
    change: Change
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class SectionWords:
    """One section's changes since approval, line by line and word by word."""

    section: str
    change: Change
    lines: tuple[LineChange, ...]


@dataclass(frozen=True)
class FileWords:
    """The changes of one patient file since its last approval."""

    file: str
    approval: Approval
    sections: tuple[SectionWords, ...]


# --- words -------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Split text into words, runs of spaces and single punctuation marks (joined: the text)."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> tuple[Piece, ...]:
    """Compare two texts word by word: equal, deleted and inserted pieces, in reading order.

    Within each run of changes the deleted text comes first, then the inserted text.
    """
    a, b = tokens(old), tokens(new)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    runs: list[tuple[str, str, str]] = []  # (kind, old text, new text)
    for op, i1, i2, j1, j2 in ops:
        runs.append(("equal" if op == "equal" else "change", "".join(a[i1:i2]), "".join(b[j1:j2])))
    merged: list[tuple[str, str, str]] = []
    for index, (kind, old_text, new_text) in enumerate(runs):
        between_changes = (
            0 < index < len(runs) - 1
            and runs[index - 1][0] == "change"
            and runs[index + 1][0] == "change"
        )
        if kind == "equal" and between_changes and old_text.isspace():
            kind = "change"  # a lone space between two changes joins them
        if merged and kind == "change" and merged[-1][0] == "change":
            _, old_before, new_before = merged.pop()
            old_text, new_text = old_before + old_text, new_before + new_text
        merged.append((kind, old_text, new_text))
    pieces: list[Piece] = []
    for kind, old_text, new_text in _spaces_after(merged):
        if kind == "equal":
            pieces.append(Piece("equal", old_text))
            continue
        if old_text:
            pieces.append(Piece("delete", old_text))
        if new_text:
            pieces.append(Piece("insert", new_text))
    return tuple(pieces)


def _spaces_after(runs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Move a space that starts a one-sided change to its end: ``It [-most -]often``.

    Both read the same text; this one keeps the marks on words (``It[- most-] often``
    otherwise).
    """
    result = list(runs)
    for k in range(1, len(result) - 1):
        kind, old_text, new_text = result[k]
        text = old_text or new_text
        before, after = result[k - 1], result[k + 1]
        one_sided = kind == "change" and not (old_text and new_text)
        if not (one_sided and before[0] == after[0] == "equal" and text[:1].isspace()):
            continue
        if after[1][:1] != text[0]:
            continue
        moved = text[1:] + text[0]
        result[k - 1] = ("equal", before[1] + text[0], before[2] + text[0])
        result[k] = ("change", moved if old_text else "", moved if new_text else "")
        result[k + 1] = ("equal", after[1][1:], after[2][1:])
    return [run for run in result if run[1] or run[2]]


def similarity(old: str, new: str) -> float:
    """How alike two texts are, 0 to 1 (difflib's ratio over their words)."""
    return difflib.SequenceMatcher(None, tokens(old), tokens(new), autojunk=False).ratio()


# --- lines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    path: str
    value: str

    @property
    def shape(self) -> str:
        """The path without its indices: ``body[6].bullets[1]`` → ``body[].bullets[]``."""
        return _INDEX.sub("[]", self.path)


def _split(line: str) -> _Line:
    path, sep, value = line.partition(": ")
    return _Line(path, value) if sep else _Line("", line)


def _pairs(old: Sequence[_Line], new: Sequence[_Line]) -> list[tuple[int | None, int | None]]:
    """Pair the edited lines of a replaced block, in order; the rest stand alone."""
    pairs: list[tuple[int | None, int | None]] = []
    start = 0
    for i, line in enumerate(old):
        best, best_score = None, SIMILAR
        for j in range(start, len(new)):
            if new[j].path == line.path and line.path:
                best = j
                break  # an edit in place
            if new[j].shape == line.shape:
                score = similarity(line.value, new[j].value)
                if score >= best_score:
                    best, best_score = j, score
        if best is None:
            pairs.append((i, None))
            continue
        pairs += [(None, j) for j in range(start, best)]
        pairs.append((i, best))
        start = best + 1
    pairs += [(None, j) for j in range(start, len(new))]
    return pairs


def line_changes(old: Sequence[str], new: Sequence[str]) -> list[LineChange]:
    """Compare a section's ``path: value`` lines as approved and as now, word by word."""
    a, b = [_split(line) for line in old], [_split(line) for line in new]
    keys_a = [(line.shape, line.value) for line in a]
    keys_b = [(line.shape, line.value) for line in b]
    changes: list[LineChange] = []
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        block_a, block_b = a[i1:i2], b[j1:j2]
        for i, j in _pairs(block_a, block_b):
            if i is not None and j is not None:
                was, now = block_a[i], block_b[j]
                changes.append(LineChange(now.path, "changed", word_diff(was.value, now.value)))
            elif i is not None:
                was = block_a[i]
                changes.append(LineChange(was.path, "removed", (Piece("delete", was.value),)))
            elif j is not None:
                now = block_b[j]
                changes.append(LineChange(now.path, "added", (Piece("insert", now.value),)))
    return changes


# --- files -------------------------------------------------------------------------------


def word_changes(content: ContentSet) -> list[FileWords]:
    """Every patient file changed since its last approval, section by section, word by word."""
    present = patient_files(content)
    found: list[FileWords] = []
    for status in file_status(content):
        if status.state is not State.changed or status.approval is None:
            continue
        approved = {s.id: s.text for s in status.approval.sections}
        current = {s.id: s.text for s in section_snapshots(present[status.file].model)}
        sections = tuple(
            SectionWords(
                change.section,
                change.change,
                tuple(
                    line_changes(approved.get(change.section, []), current.get(change.section, []))
                ),
            )
            for change in status.changes
        )
        found.append(FileWords(status.file, status.approval, sections))
    return found


def _approved_by(approval: Approval) -> str:
    return f"approved by {approval.reviewer} on {approval.date.isoformat()}"


# --- the terminal ------------------------------------------------------------------------


def terminal_text(pieces: Sequence[Piece]) -> str:
    """Pieces as ``git diff --word-diff`` writes them: ``[-deleted-]{+inserted+}``."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marks[p.kind].format(p.text) for p in pieces)


def terminal_lines(files: Sequence[FileWords]) -> list[str]:
    """The word-level changes as indented lines for the terminal (``review-status --diff``)."""
    lines: list[str] = []
    for changed in files:
        lines.append(f"{changed.file}: word by word since {_approved_by(changed.approval)}")
        for section in changed.sections:
            lines.append(f"  section '{section.section}' {section.change}:")
            for line in section.lines:
                text = terminal_text(line.pieces)
                lines.append(f"    {line.path}: {text}" if line.path else f"    {text}")
    return lines


# --- HTML ----------------------------------------------------------------------------------


def html_text(pieces: Sequence[Piece]) -> str:
    """Pieces as escaped HTML with ``<del>`` and ``<ins>``."""
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    return "".join(tags[p.kind].format(escape(p.text)) for p in pieces)


def changes_html(files: Sequence[FileWords], heading_level: int = 4) -> str:
    """The word-level changes as an HTML fragment (class ``cam-wdiff``; styles in :data:`CSS`)."""
    if not files:
        return (
            '<div class="cam-wdiff"><p class="note">No approved file has changed since its '
            "approval.</p></div>"
        )
    h, h2 = f"h{heading_level}", f"h{heading_level + 1}"
    parts = ['<div class="cam-wdiff">']
    for changed in files:
        parts.append(
            f"<{h}>{escape(changed.file)} "
            f'<span class="note">({escape(_approved_by(changed.approval))})</span></{h}>'
        )
        for section in changed.sections:
            parts.append(f"<{h2}>{escape(section.section)}: {section.change}</{h2}>")
            for line in section.lines:
                path = f"<code>{escape(line.path)}</code> " if line.path else ""
                parts.append(f"<p>{path}{html_text(line.pieces)}</p>")
    parts.append("</div>")
    return "".join(parts)
