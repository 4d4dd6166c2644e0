"""Reading ease of Spanish patient text: Fernández-Huerta and Szigriszt-Pazos (INFLESZ).

Small pure functions, no network. :mod:`cam_workbench.review.readability` calls these for
``language="es"``; the counting rules are the English module's (a *block* is a paragraph or
a bullet; a block without an end mark is one sentence; headings are left out by the caller),
with Spanish end marks (``. ! ? …``) and Spanish words (any Unicode letters).

Formulas (W words, F sentences — *frases*, S syllables):

- **Fernández-Huerta** lecturabilidad, ``L = 206.84 - 60 * S/W - 1.02 * W/F``
  (:func:`fernandez_huerta`). Fernández Huerta J. "Medidas sencillas de lecturabilidad".
  *Consigna* 1959;(214):29-32, as corrected by Law G. "Error in the Fernandez Huerta
  Readability Formula". LINGUIST List 22.2332, 2 June 2011: the formula usually printed,
  ``206.84 - 0.60 P - 1.02 F`` with P syllables per 100 words and F *sentences per 100
  words*, makes shorter sentences score as harder; read with F = words per sentence it is
  Flesch's shape again (``206.835 - 84.6 S/W - 1.015 W/F``). textstat implements the same
  corrected form. The printed form is kept as :func:`fernandez_huerta_as_printed` only to
  show (in a test) that it goes the wrong way.
- **Szigriszt-Pazos** perspicuidad (IFSZ), ``P = 206.835 - 62.3 * S/W - W/F``
  (:func:`szigriszt_pazos`). Szigriszt Pazos F. *Sistemas predictivos de legibilidad del
  mensaje escrito: fórmula de perspicuidad*. Tesis doctoral, Universidad Complutense de
  Madrid, 1993.
- **INFLESZ** bands of the Szigriszt-Pazos score (:data:`INFLESZ_BANDS`): below 40 muy
  difícil, 40-55 algo difícil, 55-65 normal, 65-80 bastante fácil, 80 and over muy fácil
  (lower bounds inclusive). Barrio-Cantalejo IM, Simón-Lorda P, Melguizo M, Escalona I,
  Marijuán MI, Hernando P. "Validación de la Escala INFLESZ para evaluar la legibilidad de
  los textos dirigidos a pacientes". *An Sist Sanit Navar* 2008;31(2):135-152.
- **Target** (:data:`INFLESZ_TARGET`): 55, "normal" or easier. Ballesteros-Peña S,
  Fernández-Aedo I. "Análisis de la legibilidad lingüística de los prospectos de los
  medicamentos mediante el índice de Flesch-Szigriszt y la escala Inflesz". *An Sist Sanit
  Navar* 2013;36(3) (doi:10.4321/S1137-66272013000300005) count a patient text as readable
  when its Flesch-Szigriszt index is above 55. A section below it is flagged, as a section
  above SMOG grade 8 is in English.

Syllables (:func:`syllables`)
-----------------------------
A Spanish syllable has exactly one vowel nucleus. ``pyphen``'s Spanish dictionary (shipped
inside the package: no download) splits a word where it may be *hyphenated*, which is not the
same as its syllables: the RAE forbids splitting any vowel sequence at a line end, hiatus or
not (``guía``, ``día``, ``leer``, ``poeta`` stay whole), and a lone first vowel is never left
at a line end (``acu-pun-tu-ra``, ``aho-ra``). Counted as ``pieces + 1`` (what textstat does),
pyphen gets 16 of the 44 rule-testing words of ``tests/spanish_words.py`` right and scores
our Spanish sections up to 12 points easier than they are. So each pyphen piece is counted
by its vowel nuclei (:func:`vowel_nuclei`), with the RAE's orthographic rules (*Ortografía de
la lengua española*, 2010):

1. the ``u`` of ``que qui gue gui`` is silent (``ü`` is a vowel: ``pin-güi-no``);
2. ``h`` does not separate vowels (``prohi-bir``, ``re-hú-so``);
3. ``y`` is a vowel when no vowel follows it (``muy``, ``buey``), else a consonant;
4. in a run of vowels a new syllable starts only between two *strong* vowels (``a e o``,
   accented or not, and accented ``í ú``): ``ciu-dad``, ``náu-se-as``, ``dí-a``.

Numbers count as spoken (``30`` → trein-ta; ``1.000`` is a thousand, ``2,5`` has a decimal
comma); a word without a vowel (``km``) counts one syllable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

#: Patient text should score at least this (Szigriszt-Pazos, INFLESZ "normal" or easier).
INFLESZ_TARGET: Final = 55.0

#: INFLESZ bands of the Szigriszt-Pazos score (Barrio-Cantalejo et al. 2008), lower bound
#: inclusive, hardest last.
INFLESZ_BANDS: Final = (
    (80.0, "muy fácil"),
    (65.0, "bastante fácil"),
    (55.0, "normal"),
    (40.0, "algo difícil"),
    (float("-inf"), "muy difícil"),
)

_STRONG: Final = frozenset("aeoáéóíú")  # accented í/ú are strong: they break a diphthong
_VOWELS: Final = frozenset("aeiouáéíóúü")
_KEEP: Final = frozenset("áéíóúüñ")
_SILENT_U: Final = re.compile(r"(?<=[qg])u(?=[eiéí])")
_Y_VOWEL: Final = re.compile(r"y(?![aeiouáéíóúü])")
_WORD: Final = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,]\d+)*")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'»”)\]])\s+")


def vowel_nuclei(piece: str) -> int:
    """Count the vowel nuclei (syllables) in a lowercase piece of a Spanish word.

    >>> vowel_nuclei("guía"), vowel_nuclei("ahora"), vowel_nuclei("buey")
    (2, 3, 1)
    """
    letters = _Y_VOWEL.sub("i", _SILENT_U.sub("", piece.replace("h", "")))
    count = 0
    previous = ""
    for ch in letters:
        if ch in _VOWELS:
            if not previous or (previous in _STRONG and ch in _STRONG):
                count += 1
            previous = ch
        else:
            previous = ""
    return count


@cache
def _hyphenator() -> Any:
    import pyphen  # its Spanish dictionary (hyph_es.dic) ships inside the package

    return pyphen.Pyphen(lang="es", left=1, right=1)


def pyphen_pieces(word: str) -> list[str]:
    """Split a word where pyphen's Spanish dictionary would hyphenate it."""
    inserted: str = _hyphenator().inserted(word, hyphen="\x00")
    return inserted.split("\x00")


def pyphen_only(word: str) -> int:
    """Syllables as hyphenation pieces + 1 (what textstat counts): for comparison only."""
    import pyphen

    return len(pyphen.Pyphen(lang="es").positions(word)) + 1


def _fold(word: str) -> str:
    """Lowercase; keep á é í ó ú ü ñ, drop any other mark (a stray grave accent)."""
    out = []
    for ch in unicodedata.normalize("NFC", word).lower():
        if ch in _KEEP:
            out.append(ch)
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)


def syllables(word: str) -> int:
    """Count the syllables of one Spanish word (pyphen's pieces, the vowel nuclei of each)."""
    w = _fold(word).strip("'’-")
    if not w:
        return 0
    if w[0].isdigit():
        return sum(syllables(part) for part in spoken_number(w))
    if "-" in w:
        return sum(syllables(part) for part in w.split("-") if part)
    return max(1, sum(vowel_nuclei(p) for p in pyphen_pieces(w)))


_UNITS: Final = (
    *("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"),
    *("diez", "once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete"),
    *("dieciocho", "diecinueve", "veinte", "veintiuno", "veintidós", "veintitrés"),
    *("veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho", "veintinueve"),
)
_TENS: Final = (
    *("", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta"),
    "noventa",
)
_HUNDREDS: Final = (
    *("", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos"),
    *("seiscientos", "setecientos", "ochocientos", "novecientos"),
)


def number_words(n: int) -> list[str]:
    """Spell 0 to 999 999 as Spanish words (``31`` → ``["treinta", "y", "uno"]``)."""
    if n < 30:
        return [_UNITS[n]]
    if n < 100:
        return [_TENS[n // 10]] + (["y", _UNITS[n % 10]] if n % 10 else [])
    if n == 100:
        return ["cien"]
    if n < 1000:
        return [_HUNDREDS[n // 100]] + (number_words(n % 100) if n % 100 else [])
    if n < 1_000_000:
        head = [] if n // 1000 == 1 else number_words(n // 1000)
        return head + ["mil"] + (number_words(n % 1000) if n % 1000 else [])
    raise ValueError(f"number too large to spell: {n}")


def spoken_number(token: str) -> list[str]:
    """Words for a number token: ``1.000`` (a thousand), ``2,5`` (decimal comma)."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", token):
        token = token.replace(".", "")
    whole, _, fraction = token.replace(".", ",").partition(",")
    n = int(whole)
    spoken = number_words(n) if n < 1_000_000 else [_UNITS[int(d)] for d in whole]
    if fraction:
        spoken += ["coma"] + [_UNITS[int(d)] for d in fraction if d.isdigit()]
    return spoken


def words(text: str) -> list[str]:
    """Words: runs of letters (with inner ``'`` or ``-``), or numbers."""
    return _WORD.findall(text)


def sentences(block: str) -> list[str]:
    """Split a paragraph or bullet into sentences (a block with words is at least one)."""
    return [p for p in _SENTENCE_END.split(block.strip()) if words(p)]


def fernandez_huerta(words: int, sentences: int, syllables: int) -> float | None:
    """``206.84 - 60 S/W - 1.02 W/F`` (Fernández Huerta 1959, as corrected by Law 2011)."""
    if words <= 0 or sentences <= 0:
        return None
    return 206.84 - 60.0 * syllables / words - 1.02 * words / sentences


def fernandez_huerta_as_printed(words: int, sentences: int, syllables: int) -> float | None:
    """``206.84 - 60 S/W - 102 F/W``: the usual, erroneous printed form. Comparison only."""
    if words <= 0 or sentences <= 0:
        return None
    return 206.84 - 60.0 * syllables / words - 102.0 * sentences / words


def szigriszt_pazos(words: int, sentences: int, syllables: int) -> float | None:
    """``206.835 - 62.3 S/W - W/F`` (Szigriszt-Pazos 1993; the score INFLESZ bands)."""
    if words <= 0 or sentences <= 0:
        return None
    return 206.835 - 62.3 * syllables / words - words / sentences


def inflesz_band(score: float) -> str:
    """The INFLESZ band of a Szigriszt-Pazos score (``55.0`` → ``normal``)."""
    return next(name for low, name in INFLESZ_BANDS if score >= low)


@dataclass(frozen=True)
class SpanishStats:
    """Counts and scores for a body of Spanish text."""

    sentences: int
    words: int
    syllables: int

    @property
    def fernandez_huerta(self) -> float | None:
        """Fernández-Huerta reading ease, or None without text."""
        return fernandez_huerta(self.words, self.sentences, self.syllables)

    @property
    def szigriszt_pazos(self) -> float | None:
        """Szigriszt-Pazos perspicuity (the INFLESZ score), or None without text."""
        return szigriszt_pazos(self.words, self.sentences, self.syllables)

    @property
    def inflesz(self) -> str | None:
        """The INFLESZ band of the Szigriszt-Pazos score, or None without text."""
        score = self.szigriszt_pazos
        return None if score is None else inflesz_band(score)

    @property
    def below_target(self) -> bool:
        """Whether the score is below :data:`INFLESZ_TARGET` (harder than patients need)."""
        score = self.szigriszt_pazos
        return score is not None and score < INFLESZ_TARGET


def analyse(blocks: Iterable[str] | str) -> SpanishStats:
    """Count sentences, words and syllables in paragraphs and bullets of Spanish text."""
    if isinstance(blocks, str):
        blocks = [blocks]
    n_sentences = n_words = n_syllables = 0
    for block in blocks:
        for sentence in sentences(block):
            found = words(sentence)
            n_sentences += 1
            n_words += len(found)
            n_syllables += sum(syllables(w) for w in found)
    return SpanishStats(n_sentences, n_words, n_syllables)
