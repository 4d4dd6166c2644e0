"""The printable summary: self-contained, escaped, every word from content, nothing personal."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from helpers import CONTENT

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import Item
from cam_workbench.content.rules import Answers, all_answer_sets
from cam_workbench.logic.screening import AnswerError, evaluate
from cam_workbench.render.html import body_html
from cam_workbench.render.summary import summary_html
from cam_workbench.review.readability import SMOG_TARGET, analyse

DAY = dt.date(2026, 5, 1)
CONTENT_SET = load_content(CONTENT)
SCREENING = CONTENT_SET.screening()
SHARED = CONTENT_SET.shared()
FLAGGED = Answers.of(["leg_symptoms", "fever_nausea"])
VOID = {"meta", "br", "hr", "img", "input", "link"}


class _Page(HTMLParser):
    """Collects tags, attributes and text; checks every non-void tag is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.errors: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")
        self._in_style = False

    def handle_data(self, data):
        if not self._in_style and data.strip():
            self.text.append(data.strip())


def page(answers=FLAGGED, **kwargs) -> tuple[str, _Page]:
    html = summary_html(SCREENING, SHARED, answers, evaluate(SCREENING, answers), DAY, **kwargs)
    parsed = _Page()
    parsed.feed(html)
    parsed.close()
    return html, parsed


def content_words() -> str:
    """Every text the summary may show: screening, shared texts, the date."""
    texts = [SCREENING.question, SCREENING.none_option.text, DAY.isoformat()]
    texts += [item.text for item in SCREENING.items]
    for outcome in SCREENING.outcomes:
        texts += [outcome.heading, outcome.if_worse, outcome.cleared_label or ""]
        for blocks in (outcome.message, outcome.cleared_message or []):
            texts += [b if isinstance(b, str) else " ".join(b.bullets) for b in blocks]
    for notice in (SHARED.emergency, SHARED.disclaimer):
        texts.append(notice.heading)
        texts += [b if isinstance(b, str) else " ".join(b.bullets) for b in notice.body]
    texts += [str(v) for v in SHARED.summary.model_dump().values()]
    return "\n".join(texts)


@pytest.mark.parametrize("answers", list(all_answer_sets(SCREENING)), ids=lambda a: a.describe())
def test_summary_is_well_formed_and_every_word_comes_from_content(answers):
    _, parsed = page(answers)
    assert parsed.errors == [] and parsed.open == []
    words = content_words()
    for text in parsed.text:
        assert text.rstrip(":") in words, text


def test_summary_shows_date_questions_answers_outcome_and_emergency_advice():
    html, parsed = page()
    words = SHARED.summary
    assert '<time datetime="2026-05-01">2026-05-01</time>' in html
    assert f"<title>{words.title}</title>" in html
    assert words.answers_heading in parsed.text and words.outcome_heading in parsed.text
    assert SCREENING.question in parsed.text
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="answer">(.*?)</td>', html)
    assert rows == [
        (item.text, words.answer_yes if item.id in FLAGGED.flags else words.answer_no)
        for item in SCREENING.items
    ] + [(SCREENING.none_option.text, words.answer_no)]
    decision = evaluate(SCREENING, FLAGGED)
    assert decision.outcome.heading in parsed.text
    assert body_html(decision.outcome.message) in html
    assert body_html(SHARED.emergency.body) in html
    assert SHARED.emergency.heading in parsed.text
    assert words.print_hint in html and words.privacy_note in html


def test_none_of_these_is_answered_yes():
    html, _ = page(Answers(none_of_these=True))
    assert (
        f'{SCREENING.none_option.text}</th><td class="answer">{SHARED.summary.answer_yes}' in html
    )


def test_summary_is_self_contained_and_holds_nothing_personal():
    html, parsed = page()
    lowered = html.lower()
    for forbidden in (
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<form",
        "<input",
        "@import",
        "url(",
        "http:",
        "https:",
        "src=",
        "href=",
    ):
        assert forbidden not in lowered, forbidden
    assert {tag for tag, _ in parsed.tags} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "main",
        "h1",
        "h2",
        "h3",
        "p",
        "time",
        "section",
        "table",
        "tbody",
        "tr",
        "th",
        "td",
        "div",
        "ul",
        "li",
        "strong",
    }


def test_every_text_is_escaped():
    hostile = SCREENING.model_copy(
        update={
            "items": [
                Item(
                    id="leg_symptoms",
                    text="<script>alert(1)</script> & more",
                    sources=["brief-screening"],
                )
            ]
            + SCREENING.items[1:],
            "question": 'Any of "these" <b>?</b>',
        }
    )
    answers = Answers.of(["leg_symptoms"])
    html = summary_html(hostile, SHARED, answers, evaluate(hostile, answers), DAY)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "Any of &quot;these&quot; &lt;b&gt;?&lt;/b&gt;" in html


def test_cleared_patient_sees_the_clearance_on_the_page():
    outcome = evaluate(SCREENING, FLAGGED).outcome
    html, parsed = page(cleared=True)
    assert outcome.cleared_label in parsed.text
    assert body_html(outcome.cleared_message) in html
    plain, _ = page()
    assert outcome.cleared_label not in plain


def test_summary_refuses_inconsistent_input():
    none = Answers(none_of_these=True)
    with pytest.raises(ValueError, match="not what these answers give"):
        summary_html(SCREENING, SHARED, none, evaluate(SCREENING, FLAGGED), DAY)
    with pytest.raises(ValueError, match="no clearance"):
        summary_html(SCREENING, SHARED, none, evaluate(SCREENING, none), DAY, cleared=True)
    with pytest.raises(AnswerError):
        summary_html(SCREENING, SHARED, Answers(), evaluate(SCREENING, FLAGGED), DAY)


def test_summary_in_spanish_uses_spanish_words_and_refuses_mixed_languages(content):
    es, shared_es = content.screening("es"), content.shared("es")
    answers = Answers.of(["leg_symptoms"])
    html = summary_html(es, shared_es, answers, evaluate(es, answers), DAY)
    assert '<html lang="es">' in html
    assert "Sus respuestas" in html and "Hable primero con su médico" in html
    assert '<td class="answer">Sí</td>' in html
    with pytest.raises(ValueError, match="shared texts are in 'en'"):
        summary_html(es, content.shared("en"), answers, evaluate(es, answers), DAY)


def test_summary_words_are_plain():
    stats = analyse([str(v) for v in SHARED.summary.model_dump().values()])
    assert stats.smog is not None and stats.smog <= SMOG_TARGET
    assert stats.flesch_kincaid is not None and stats.flesch_kincaid <= 8
    assert stats.long_sentences == ()


@pytest.mark.parametrize("answers", list(all_answer_sets(SCREENING)), ids=lambda a: a.describe())
def test_every_summary_says_what_to_do_if_signs_get_worse(answers):
    _, parsed = page(answers)
    assert evaluate(SCREENING, answers).outcome.if_worse in parsed.text


def test_the_urgent_summary_offers_no_clearance():
    urgent = Answers.of(["bladder_bowel", "leg_symptoms"])
    _, parsed = page(urgent)
    assert "911" in " ".join(parsed.text)
    with pytest.raises(ValueError, match="no clearance"):
        page(urgent, cleared=True)
