"""A printable, self-contained HTML summary of a patient's answers (pure function).

No name or identifier, no external links, scripts, fonts or images: the page can be saved
or printed and shown to a doctor. Every word comes from the content; every text is escaped.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Final

from cam_workbench.content.model import ScreeningFile, SharedFile
from cam_workbench.content.rules import Answers, Decision
from cam_workbench.logic.answers import answer_map
from cam_workbench.logic.screening import evaluate
from cam_workbench.render.html import body_html, outcome_html

#: Inline style: readable on screen and on paper, no web fonts.
STYLE: Final = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#111;
margin:0;background:#fff}
main{max-width:42rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:.75rem 0 .25rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #999}
th{font-weight:normal}td.answer{width:5rem;font-weight:bold}
.outcome,.emergency{border:2px solid #111;padding:.25rem 1rem;margin:.5rem 0}
.note{font-size:.9rem;color:#333}
@media print{main{padding:0}body{font-size:12pt}}
"""


def summary_html(
    screening: ScreeningFile,
    shared: SharedFile,
    answers: Answers,
    decision: Decision,
    generated: dt.date,
    *,
    cleared: bool = False,
) -> str:
    """Return a complete, printable HTML page of a patient's answers.

    It shows the date, the question and each answer, the outcome, the emergency advice and
    the disclaimer, in the content's language.

    Args:
        screening: the screening the patient answered.
        shared: the shared texts in the same language (labels, emergency advice).
        answers: the patient's answers.
        decision: what :func:`~cam_workbench.logic.screening.evaluate` gave for them.
        generated: the date to print on the page.
        cleared: the patient said their doctor has cleared them (gated outcomes only).

    Raises:
        ValueError: languages differ, or ``decision`` is not what the answers give.
        AnswerError: the answers are incomplete or contradictory.

    """
    lang = screening.meta.language
    if shared.meta.language != lang:
        raise ValueError(f"shared texts are in {shared.meta.language!r}, screening in {lang!r}")
    if evaluate(screening, answers).outcome.id != decision.outcome.id:
        raise ValueError(f"decision {decision.outcome.id!r} is not what these answers give")
    words = shared.summary
    outcome = decision.outcome
    if cleared and not (
        outcome.gate and not outcome.stop and outcome.cleared_label and outcome.cleared_message
    ):
        raise ValueError(f"outcome {outcome.id!r} has no clearance to confirm")
    checked = answer_map(screening, answers)

    def row(text: str, yes: bool) -> str:
        label = words.answer_yes if yes else words.answer_no
        return (
            f'<tr><th scope="row">{escape(text)}</th><td class="answer">{escape(label)}</td></tr>'
        )

    rows = [row(item.text, checked[item.id]) for item in screening.items]
    rows.append(row(screening.none_option.text, answers.none_of_these and not answers.flags))
    cleared_html = ""
    if cleared:
        cleared_html = (
            f"<p><strong>{escape(outcome.cleared_label or '')}</strong></p>"
            f"{body_html(outcome.cleared_message or [])}"
        )
    day = generated.isoformat()
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(words.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(words.title)}</h1>",
        f'<p>{escape(words.date_label)}: <time datetime="{day}">{day}</time></p>',
        f'<section aria-labelledby="answers"><h2 id="answers">{escape(words.answers_heading)}</h2>',
        f"<p>{escape(screening.question)}</p>",
        f"<table><tbody>{''.join(rows)}</tbody></table></section>",
        f'<section aria-labelledby="outcome"><h2 id="outcome">{escape(words.outcome_heading)}</h2>',
        f'<div class="outcome">{outcome_html(outcome, 3)}{cleared_html}</div></section>',
        '<section class="emergency" aria-labelledby="emergency">',
        f'<h2 id="emergency">{escape(shared.emergency.heading)}</h2>',
        f"{body_html(shared.emergency.body)}</section>",
        '<section aria-labelledby="disclaimer">',
        f'<h2 id="disclaimer">{escape(shared.disclaimer.heading)}</h2>',
        f"{body_html(shared.disclaimer.body)}</section>",
        f'<p class="note">{escape(words.print_hint)}</p>',
        f'<p class="note">{escape(words.privacy_note)}</p>',
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
