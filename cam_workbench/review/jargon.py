"""Where each term of the plain-language (jargon) list appears in patient text.

A term matches as a whole word, in any case, with an optional plural ``s``/``es``, and so
do its listed variants. An occurrence is marked *explained in brackets* when a bracket
opens right after it ("nausea (feeling sick …)") or it stands in brackets after the plain
words ("throwing up (vomiting)"). Other ways of explaining a word ("It may be used for
chronic pain. This is pain that lasts a long time.") are not detected: the context column
shows the words around each use so a reviewer can judge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.model import JargonFile, JargonTerm
from cam_workbench.content.parts import Part, patient_parts

CONTEXT_CHARS = 40


@dataclass(frozen=True)
class Occurrence:
    """One place a jargon term is used."""

    term: str
    plain: str
    file: str
    language: str
    section: str
    found: str
    explained_in_brackets: bool
    context: str


def term_pattern(term: JargonTerm) -> re.Pattern[str]:
    """Return the regular expression that finds a term and its variants as whole words."""
    forms = sorted({term.term, *term.variants}, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, f.split())) for f in forms)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?:e?s)?(?![\w-])", re.IGNORECASE)


def _explained(text: str, start: int, end: int) -> bool:
    after = text[end:].lstrip()
    before = text[:start]
    return after.startswith("(") or (before.endswith("(") and text[end:].startswith(")"))


def _context(text: str, start: int, end: int) -> str:
    left = text[max(0, start - CONTEXT_CHARS) : start]
    right = text[end : end + CONTEXT_CHARS]
    return (
        ("…" if start > CONTEXT_CHARS else "")
        + left
        + "["
        + text[start:end]
        + "]"
        + right
        + ("…" if end + CONTEXT_CHARS < len(text) else "")
    )


def find_terms(terms: Sequence[JargonTerm], parts: Sequence[Part]) -> list[Occurrence]:
    """Find every use of every term in the given sections (headings included)."""
    found: list[Occurrence] = []
    for term in terms:
        pattern = term_pattern(term)
        for part in parts:
            for text in ([part.heading] if part.heading else []) + list(part.blocks):
                for match in pattern.finditer(text):
                    found.append(
                        Occurrence(
                            term=term.term,
                            plain=term.plain,
                            file=part.file,
                            language=part.language,
                            section=part.id,
                            found=match.group(0),
                            explained_in_brackets=_explained(text, match.start(), match.end()),
                            context=_context(text, match.start(), match.end()),
                        )
                    )
    return found


def jargon_lists(content: ContentSet) -> list[JargonFile]:
    """Return the jargon lists in the content (one per language)."""
    return content.of_kind(JargonFile)


def occurrences(content: ContentSet) -> list[Occurrence]:
    """Find each language's jargon terms in that language's patient text."""
    parts = patient_parts(content)
    found: list[Occurrence] = []
    for jargon in jargon_lists(content):
        same_language = [p for p in parts if p.language == jargon.meta.language]
        found += find_terms(jargon.terms, same_language)
    return found


def occurrence_rows(content: ContentSet) -> list[dict[str, object]]:
    """Return one row per use of a term: where, the words around it, any explanation."""
    return [
        {
            "term": o.term,
            "plain": o.plain,
            "file": o.file,
            "language": o.language,
            "section": o.section,
            "found": o.found,
            "explained_in_brackets": o.explained_in_brackets,
            "context": o.context,
        }
        for o in occurrences(content)
    ]


def summary_rows(content: ContentSet) -> list[dict[str, object]]:
    """Return one row per term: its plain alternative, how often and where it appears."""
    found = occurrences(content)
    rows: list[dict[str, object]] = []
    for jargon in jargon_lists(content):
        for term in jargon.terms:
            uses = [o for o in found if o.term == term.term and o.language == jargon.meta.language]
            where = list(dict.fromkeys(f"{o.file}#{o.section}" for o in uses))
            rows.append(
                {
                    "term": term.term,
                    "plain": term.plain,
                    "language": jargon.meta.language,
                    "uses": len(uses),
                    "without_brackets": sum(not o.explained_in_brackets for o in uses),
                    "where": ", ".join(where),
                    "note": term.note or "",
                }
            )
    return rows
