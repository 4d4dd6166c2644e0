"""The clinical review packet: every reviewer table in one self-contained HTML file.

For reviewers who do not run Jupyter. No external CSS, scripts, fonts or images: the file
opens offline and can be mailed or archived as it is. Every text is escaped. Rows that need
a reviewer's attention (overdue, above the reading-level target, a rule that never fires,
a PEMAT score below 70%, a file not approved) are marked and counted at the top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Final

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.parts import patient_parts
from cam_workbench.content.signoff import State, file_status, stale_approvals
from cam_workbench.review import changes, decision_table, inventory, jargon, pemat, readability
from cam_workbench.review.signoff import status_lines

Row = dict[str, object]
Flag = Callable[[Row], bool]

_CSS: Final = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1a1a1a; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ccc; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
tr.flag td { background: #fff1d6; }
.flag-mark { color: #8a4b00; font-weight: bold; }
pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; font-size: 12px; }
.note { color: #555; }
.scroll { overflow-x: auto; }
nav ul { columns: 2; }
@media print { tr { break-inside: avoid; } }
"""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return escape(str(value))


def html_table(rows: Sequence[Row], flag: Flag | None = None, empty: str = "Nothing.") -> str:
    """Render rows as an HTML table; rows for which ``flag`` is true are marked."""
    if not rows:
        return f'<p class="note">{escape(empty)}</p>'
    columns = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = []
    for row in rows:
        marked = bool(flag and flag(row))
        cells = "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns)
        body.append(f'<tr class="flag">{cells}</tr>' if marked else f"<tr>{cells}</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _flagged(rows: Sequence[Row], flag: Flag) -> int:
    return sum(1 for row in rows if flag(row))


def _has_flag(row: Row) -> bool:
    return bool(row.get("flag"))


def _section(anchor: str, title: str, intro: str, body: str) -> str:
    return (
        f'<section id="{anchor}"><h2>{escape(title)}</h2>'
        f'<p class="note">{escape(intro)}</p>{body}</section>'
    )


def build_report(content: ContentSet, today: dt.date) -> str:
    """Return the review packet for a content folder as one HTML document."""
    parts = patient_parts(content)
    statuses = file_status(content)
    status_text = "\n".join(status_lines(statuses, stale_approvals(content)))
    status_rows: list[Row] = [
        {
            "file": s.file,
            "state": s.state.value,
            "reviewer": s.approval.reviewer if s.approval else "",
            "date": s.approval.date.isoformat() if s.approval else "",
            "changed sections": ", ".join(c.section for c in s.changes),
        }
        for s in statuses
    ]
    files = inventory.file_rows(content, today)
    items = inventory.inventory_rows(content, today)
    by_file = readability.readability_rows(parts, by="file")
    by_section = readability.readability_rows(parts)
    terms = jargon.summary_rows(content)
    uses = jargon.occurrence_rows(content)
    sources = inventory.source_rows(content)
    pemat_scores = pemat.score_rows(content)
    pemat_items = pemat.item_rows(content)

    def not_approved(row: Row) -> bool:
        return row["state"] != State.approved.value

    def overdue(row: Row) -> bool:
        return bool(row.get("overdue"))

    def hard(row: Row) -> bool:
        return bool(row.get("above_target"))

    def hard_in(language: str) -> Flag:
        return lambda row: hard(row) and str(row.get("language", "")).split("-")[0] == language

    def unexplained(row: Row) -> bool:
        return not row.get("explained_in_brackets")

    decisions = ""
    rule_rows: list[Row] = []
    for screening in content.of_kind(ScreeningFile):
        language = screening.meta.language
        rules = decision_table.rule_rows(screening)
        rule_rows += rules
        decisions += (
            f"<h3>{escape(screening.meta.title)} ({escape(language)})</h3>"
            + html_table(decision_table.table_rows(screening))
            + "<h4>Rules</h4>"
            + html_table(rules, _has_flag)
        )

    counts = [
        ("patient files not approved or changed", _flagged(status_rows, not_approved)),
        ("files overdue for review", _flagged(files, overdue)),
        (
            f"English sections above SMOG grade {readability.SMOG_TARGET:g}",
            _flagged(by_section, hard_in("en")),
        ),
        (
            "Spanish sections below Szigriszt-Pazos "
            f"{readability.readability_es.INFLESZ_TARGET:g} (INFLESZ)",
            _flagged(by_section, hard_in("es")),
        ),
        ("screening rules that never fire or never decide", _flagged(rule_rows, _has_flag)),
        ("sources no section cites", _flagged(sources, _has_flag)),
        ("PEMAT-P scores below 70%", _flagged(pemat_scores, _has_flag)),
    ]
    summary = "".join(f"<li><strong>{n}</strong> {escape(what)}</li>" for what, n in counts)
    nav = [
        ("status", "Sign-off status"),
        ("changes", "What changed, word by word"),
        ("inventory", "Inventory"),
        ("readability", "Readability"),
        ("jargon", "Plain language"),
        ("decisions", "Decision table"),
        ("sources", "Sources"),
        ("pemat", "PEMAT-P"),
    ]
    sections = [
        _section(
            "status",
            "Sign-off status",
            "Each patient content file must be approved by a clinical reviewer, and unchanged "
            "since, before the dashboard can be served in production.",
            html_table(status_rows, not_approved) + f"<pre>{escape(status_text)}</pre>",
        ),
        _section(
            "changes",
            "What changed, word by word",
            "Each patient file changed since its last approval, section by section, as it was "
            "approved and as it is now: deleted words are struck through, inserted words "
            "underlined.",
            changes.changes_html(changes.word_changes(content), heading_level=3),
        ),
        _section(
            "inventory",
            "Inventory",
            f"Review dates are checked against {today.isoformat()}. Overdue rows are marked.",
            "<h3>Files</h3>"
            + html_table(files, overdue)
            + "<h3>Items and sections</h3>"
            + html_table(items, overdue),
        ),
        _section(
            "readability",
            "Readability",
            f"English target: SMOG grade {readability.SMOG_TARGET:g} or lower (NIH; ideally 6); "
            "syllables from the CMU Pronouncing Dictionary. "
            f"Long sentence: more than {readability.LONG_SENTENCE_WORDS} words. SMOG was "
            "normed on 30 sentences: for a section of a few sentences it is an estimate. "
            "Spanish target: Szigriszt-Pazos "
            f"{readability.readability_es.INFLESZ_TARGET:g} or higher (INFLESZ 'normal' or "
            "easier; Barrio-Cantalejo et al. 2008, Ballesteros-Peña and Fernández-Aedo 2013), "
            "with Fernández-Huerta (Law's 2011 correction) beside it; syllables from pyphen's "
            "Spanish dictionary and the RAE's vowel rules. Marked rows are harder than their "
            "language's target (the 'target' column). Headings are not counted.",
            "<h3>Per file</h3>"
            + html_table(by_file, hard)
            + "<h3>Per section</h3>"
            + html_table(by_section, hard),
        ),
        _section(
            "jargon",
            "Plain language",
            "Terms from the jargon list, their plain alternatives and where they appear. "
            "Uses not followed by an explanation in brackets are marked: read the context.",
            "<h3>Terms</h3>"
            + html_table(terms, lambda r: bool(r.get("without_brackets")))
            + "<h3>Where each term is used</h3>"
            + html_table(uses, unexplained, "No term of the jargon list is used."),
        ),
        _section(
            "decisions",
            "Decision table",
            "Every combination of screening answers, the outcome and the rule that decides it "
            "(the rules the dashboard runs). 'Nothing chosen' is asked again.",
            decisions or '<p class="note">No screening.</p>',
        ),
        _section(
            "sources",
            "Sources",
            "Every source each file cites and the sections that cite it.",
            html_table(sources, _has_flag),
        ),
        _section(
            "pemat",
            "PEMAT-P",
            "Understandability and actionability, each points / applicable items x 100; "
            "below 70% is marked.",
            "<h3>Scores</h3>"
            + html_table(pemat_scores, _has_flag, "No PEMAT-P checklist yet.")
            + "<h3>Items</h3>"
            + html_table(pemat_items, lambda r: r.get("rating") == "disagree"),
        ),
    ]
    links = "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Clinical review packet</title>"
        f"<style>{_CSS}{changes.CSS}</style></head><body>"
        "<h1>Clinical review packet</h1>"
        f'<p class="note">Content folder: {escape(str(content.root))} - '
        f"{escape(content.summary())}. Made on {today.isoformat()}.</p>"
        f"<h2>Needs attention</h2><ul>{summary}</ul>"
        f"<nav><ul>{links}</ul></nav>" + "".join(sections) + "</body></html>\n"
    )


def write_report(content: ContentSet, out: Path, today: dt.date | None = None) -> Path:
    """Write the review packet to ``out`` (UTF-8); return the path."""
    out.write_text(build_report(content, today or dt.date.today()), encoding="utf-8")
    return out
