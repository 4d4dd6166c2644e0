"""The workshop's slides as HTML: the cast, each persona's walk, and a rule change.

Self-contained fragments (inline styles from :func:`presenter_css`, every text escaped) for
JupyterLab and for the slides that ``cam-workbench serve --workshop`` shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from importlib import resources

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.model import PersonasFile, TrackerFile
from cam_workbench.content.rules import Answers
from cam_workbench.logic.flow import Screen
from cam_workbench.render.html import body_html, heading_html, outcome_html
from cam_workbench.workshop.personas import Walk, labels, personas
from cam_workbench.workshop.rule_change import RuleChange, answers_key


def presenter_css() -> str:
    """A ``<style>`` element with the workshop's large presenter fonts (notebook and slides)."""
    css = resources.files("cam_workbench.workshop").joinpath("workshop.css").read_text("utf-8")
    return f"<style>{css}</style>"


def _screen_names(w: Walk, content: ContentSet, language: str) -> list[str]:
    """Names of the screens a walk passed, in the content's words where there are some."""
    ui = content.shared(language).ui
    names = []
    for screen in w.screens:
        if screen is Screen.guide:
            names.append(ui.guide_heading)
        elif screen is Screen.outcome:
            names.append(w.decision.outcome.heading)
        else:
            names.append(content.screening(language).question)
    if Screen.outcome in w.screens and w.reached_guide:
        label = w.decision.outcome.cleared_label or ""
        names.insert(names.index(ui.guide_heading), f"“{label}”")
    return names


def walk_html(content: ContentSet, w: Walk, language: str = "en") -> str:
    """One persona's walk as a slide: who, what they answer, where they go, and why."""
    screening = content.screening(language)
    texts = {item.id: item.text for item in screening.items}
    p = w.persona
    if w.answers.flags:
        answered = "".join(f"<li>{escape(texts[f])}</li>" for f in sorted(w.answers.flags))
    else:
        answered = f"<li>{escape(screening.none_option.text)}</li>"
    outcome = w.decision.outcome
    gate = " cam-gate" if outcome.gate else ""
    steps = "".join(
        f"<li><span>{escape(name)}</span></li>" for name in _screen_names(w, content, language)
    )
    cleared = ""
    if w.reached_guide and outcome.gate and outcome.cleared_message:
        cleared = f'<div class="cam-box">{body_html(outcome.cleared_message)}</div>'
    words = labels(content, language)
    rule = words.rule.format(rule=w.decision.rule.id, outcome=outcome.id, tier=outcome.tier)
    left = (
        f"{heading_html(words.answers, 3)}<ul>{answered}</ul>"
        f'{heading_html(words.path, 3)}<ol class="cam-steps">{steps}</ol>'
        f'<div class="cam-box{gate}">{outcome_html(outcome, 4)}</div>'
        f'{cleared}<p class="cam-rule">{escape(rule)}</p>'
    )
    right = ""
    if w.report is not None:
        from cam_workbench.views.tracker import chart_html

        tracker = content.of_kind(TrackerFile, language)[0]
        shown = max(s.number for s in w.sessions)
        lines = "".join(f"<p>{escape(line)}</p>" for line in w.report.paragraphs)
        right = (
            f"<div>{heading_html(tracker.heading, 3)}"
            f"{chart_html(tracker, w.sessions, shown)}"
            f'<div class="cam-box">{lines}</div></div>'
        )
    point = (
        f'<p class="cam-point"><strong>{escape(words.teaching_point)}:</strong> '
        f"{escape(p.teaching_point)}</p>"
    )
    if right:  # two columns: the teaching point under the answers, the tracker beside them
        body = f'<div class="cam-columns"><div>{left}{point}</div>{right}</div>'
    else:
        body = left + point
    return (
        f'<div class="cam-workshop">{heading_html(p.name, 2)}'
        f'<p class="cam-story">{escape(p.story)}</p>{body}</div>'
    )


def personas_html(content: ContentSet, language: str = "en") -> str:
    """The cast: every persona's name and story, with the note that they are made up."""
    files = content.of_kind(PersonasFile, language)
    note = next((f.note for f in files if f.note), "")
    items = "".join(
        f"<li><strong>{escape(p.name)}</strong>: {escape(p.story)}</li>"
        for p in personas(content, language)
    )
    return f'<div class="cam-workshop"><ul>{items}</ul><p><em>{escape(note)}</em></p></div>'


def _answer_cells(answers: Answers, ids: Sequence[str]) -> str:
    cells = "".join(f"<td>{'✓' if i in answers.flags else '–'}</td>" for i in ids)
    return cells + f"<td>{'✓' if answers.none_of_these else '–'}</td>"


def rule_change_html(
    content: ContentSet, change: RuleChange, show_all: bool = False, language: str = "en"
) -> str:
    """The answer sets whose outcome the change moves (``show_all``: the whole table)."""
    words = labels(content, language)
    ids = [item.id for item in change.screening_after.items]
    head = "".join(f"<th>{escape(i)}</th>" for i in ids) + f"<th>{escape(words.none_of_these)}</th>"
    moved = {answers_key(c.answers) for c in change.changed}
    old = {answers_key(r.answers): r for r in change.before}
    rows = []
    for r in change.after:
        key = answers_key(r.answers)
        if not show_all and key not in moved:
            continue
        was = old[key].outcome if key in old else "(new)"
        style = (' class="cam-was"', ' class="cam-now"') if key in moved else ("", "")
        rows.append(
            f"<tr>{_answer_cells(r.answers, ids)}"
            f"<td{style[0]}>{escape(was)}</td><td{style[1]}>{escape(r.outcome)}</td>"
            f"<td><code>{escape(r.decided_by or '-')}</code></td></tr>"
        )
    summary = words.changed.format(changed=len(change.changed), total=len(change.after))
    table = ""
    if rows:
        table = (
            f"<table><thead><tr>{head}<th>{escape(words.before)}</th>"
            f"<th>{escape(words.after)}</th><th>{escape(words.decided_by)}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    source = ""
    if change.change_yaml:
        source = (
            f"<details><summary>{escape(words.change_yaml)}</summary>"
            f"<pre>{escape(change.change_yaml)}</pre></details>"
        )
    return (
        f'<div class="cam-workshop">{source}<p><strong>{escape(summary)}</strong></p>{table}</div>'
    )
