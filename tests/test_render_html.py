"""Content → HTML fragments: lists, outcomes, review dates in the page's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from helpers import CONTENT

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import BulletList, ListStyle
from cam_workbench.content.parts import patient_parts
from cam_workbench.render.html import body_html, date_words, outcome_html, review_dates_html

SET = load_content(CONTENT)


@pytest.mark.parametrize(
    ("style", "start"),
    [
        (ListStyle.bullets, "<ul><li>"),
        (ListStyle.checklist, '<ul class="cam-checklist"><li>'),
        (ListStyle.steps, '<ol class="cam-steps"><li>'),
    ],
)
def test_each_list_style_has_its_element(style, start):
    html = body_html([BulletList(bullets=["One <b>", "Two"], style=style)])
    assert html.startswith(start)
    assert "One &lt;b&gt;" in html


def test_an_outcome_always_ends_with_what_to_do_if_it_gets_worse():
    for outcome in SET.screening().outcomes:
        html = outcome_html(outcome)
        assert html.startswith(f"<h2>{outcome.heading}</h2>")
        assert html.endswith(f'<p class="cam-worse"><strong>{outcome.if_worse}</strong></p>')


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "March 5, 2027"), ("es", "5 de marzo de 2027")]
)
def test_dates_in_words_follow_the_language(language, expected):
    texts = SET.shared(language).ui.review_dates
    assert date_words(dt.date(2027, 3, 5), texts) == expected


def test_review_dates_use_the_oldest_review_and_the_earliest_due_date():
    texts = SET.shared("en").ui.review_dates
    meta = SET.screening().meta
    older = meta.model_copy(
        update={"last_reviewed": dt.date(2026, 1, 2), "next_review_due": dt.date(2027, 1, 2)}
    )
    newer = meta.model_copy(
        update={"last_reviewed": dt.date(2026, 6, 1), "next_review_due": dt.date(2027, 6, 1)}
    )
    html = review_dates_html([newer, older], texts)
    assert "Last checked by a clinical reviewer: January 2, 2026." in html
    assert "Next check due: January 2, 2027." in html
    never = meta.model_copy(update={"last_reviewed": None})
    assert texts.not_reviewed in review_dates_html([newer, never], texts)


def test_patients_never_read_a_file_format_name():
    """The page says what a file is for, not its format ("FHIR", "CSV", "JSON")."""
    for part in patient_parts(SET):
        text = re.sub(r"\S+\.csv\b", "", part.text)  # the download's file name, not read out
        found = re.findall(r"\b(FHIR|CSV|JSON|XML)\b", text)
        assert not found, (part.file, part.id, found)
