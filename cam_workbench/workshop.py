"""The educators' workshop (``notebooks/workshop.ipynb``): personas and a rule change.

Fictional personas are walked through the real logic, and a rule change is tried on a copy
of the content.

The personas live in ``content/<lang>/personas.yaml`` (kind ``personas``). Each walk uses
the patient dashboard's own code: :class:`~cam_workbench.logic.flow.PatientFlow` (which
calls :func:`cam_workbench.logic.screening.evaluate`) and
:func:`cam_workbench.logic.tracker.report`, so what the room sees is what a patient would
get. :func:`try_rule_change` edits a *copy* of the content in a temporary folder (the real
files are never touched), loads it with the same strict checks as ``cam-workbench
validate``, and compares the decision tables (:mod:`cam_workbench.review.decision_table`).

The HTML helpers return self-contained fragments (inline styles from
:func:`presenter_css`, every text escaped) for JupyterLab and for the slides that
``cam-workbench serve --workshop`` shows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content
from cam_workbench.content.model import (
    Persona,
    PersonasFile,
    ScreeningFile,
    TrackerFile,
    WorkshopLabels,
)
from cam_workbench.content.problems import ContentError
from cam_workbench.content.rules import Answers, Decision
from cam_workbench.content.yamlsafe import parse
from cam_workbench.logic.flow import PatientFlow, Screen
from cam_workbench.logic.tracker import Report, Session, report
from cam_workbench.render.html import body_html, heading_html, outcome_html
from cam_workbench.review.decision_table import Row, decision_rows

#: Lists a rule change may add entries to, in a screening file.
CHANGEABLE: Final = ("items", "outcomes", "rules")


# --- personas ------------------------------------------------------------------------------


def labels(content: ContentSet, language: str = "en") -> WorkshopLabels:
    """The words of the workshop slides in ``language``."""
    files = content.of_kind(PersonasFile, language)
    if not files:
        raise LookupError(f"no personas file in language {language!r}")
    return files[0].labels


def personas(content: ContentSet, language: str = "en") -> list[Persona]:
    """Every persona of the workshop in ``language``, in file order."""
    return [p for f in content.of_kind(PersonasFile, language) for p in f.personas]


def persona(content: ContentSet, persona_id: str, language: str = "en") -> Persona:
    """One persona by id; a clear error naming the known ids otherwise."""
    found = {p.id: p for p in personas(content, language)}
    if persona_id not in found:
        raise LookupError(f"no persona {persona_id!r}; known: {', '.join(found) or '(none)'}")
    return found[persona_id]


def persona_problems(content: ContentSet, language: str = "en") -> list[str]:
    """Personas whose answers name red flags the screening does not have (one line each)."""
    items = {item.id for item in content.screening(language).items}
    problems = []
    for p in personas(content, language):
        unknown = sorted(set(p.answers.flags) - items)
        if unknown:
            problems.append(
                f"persona {p.id!r} checks unknown item(s) {', '.join(unknown)}; "
                f"use: {', '.join(sorted(items))}"
            )
    return problems


@dataclass(frozen=True)
class Walk:
    """What happened to one persona, step by step, with the real logic."""

    persona: Persona
    answers: Answers
    decision: Decision
    screens: tuple[Screen, ...]
    sessions: tuple[Session, ...]
    report: Report | None

    @property
    def reached_guide(self) -> bool:
        """Whether the persona got to the guide (directly or once cleared)."""
        return self.screens[-1] is Screen.guide

    @property
    def outcome(self) -> str:
        """The id of the screening outcome (e.g. ``see_doctor``)."""
        return self.decision.outcome.id


def persona_sessions(p: Persona) -> tuple[Session, ...]:
    """The persona's recorded sessions as tracker sessions (numbered 1, 2, ...)."""
    sessions = (
        Session(n, s.before, s.after, s.date, s.note or "")
        for n, s in enumerate(p.sessions, start=1)
    )
    return tuple(s for s in sessions if not s.empty)


def walk(content: ContentSet, p: Persona | str, language: str = "en") -> Walk:
    """Walk a persona through the patient flow and, if they track sessions, the tracker."""
    if isinstance(p, str):
        p = persona(content, p, language)
    flow = PatientFlow(content.screening(language))
    answers = Answers.of(p.answers.flags, none_of_these=p.answers.none_of_these)
    screens = [flow.state.screen]
    state = flow.submit(answers)
    if state.prompt is not None or state.decision is None:
        raise ValueError(f"persona {p.id!r} gives answers the screening refuses: {state.prompt}")
    screens.append(state.screen)
    if state.screen is Screen.outcome and p.answers.cleared_by_doctor:
        flow.say_cleared()
        state = flow.confirm_cleared()
        screens.append(state.screen)
    sessions = persona_sessions(p)
    trackers = content.of_kind(TrackerFile, language)
    said = report(trackers[0], sessions) if sessions and trackers else None
    return Walk(p, answers, state.decision, tuple(screens), sessions, said)


# --- a rule change, in a copy of the content -------------------------------------------------


@dataclass(frozen=True)
class RowChange:
    """One answer set whose outcome the change moves."""

    answers: Answers
    before: str
    after: str
    decided_by: str


@dataclass(frozen=True)
class RuleChange:
    """The decision table before and after a change to the screening, and what moved."""

    screening_before: ScreeningFile
    screening_after: ScreeningFile
    before: tuple[Row, ...]
    after: tuple[Row, ...]
    changed: tuple[RowChange, ...]
    change_yaml: str = ""


def _key(answers: Answers) -> tuple[frozenset[str], bool]:
    return answers.flags, answers.none_of_these


def compare_tables(before: ScreeningFile, after: ScreeningFile) -> RuleChange:
    """Decide every answer set with both screenings; list the ones whose outcome changes."""
    rows_before = tuple(decision_rows(before))
    rows_after = tuple(decision_rows(after))
    old = {_key(r.answers): r for r in rows_before}
    changed = tuple(
        RowChange(
            r.answers,
            old[_key(r.answers)].outcome if _key(r.answers) in old else "(new)",
            r.outcome,
            r.decided_by,
        )
        for r in rows_after
        if _key(r.answers) not in old or old[_key(r.answers)].outcome != r.outcome
    )
    return RuleChange(before, after, rows_before, rows_after, changed)


def _screening_file(content: ContentSet, language: str) -> Path:
    for loaded in content.files:
        model = loaded.model
        if isinstance(model, ScreeningFile) and model.meta.language == language:
            return loaded.path
    raise LookupError(f"no screening in language {language!r}")


def _additions(change_yaml: str) -> Mapping[str, list[Any]]:
    """Parse the change (strict YAML, as content files are) and check its shape."""
    parsed, problems = parse(change_yaml, "<change>")
    if parsed is None:
        raise ContentError(problems)
    data = parsed.data
    if not isinstance(data, dict) or not data:
        raise ValueError(f"the change must be a mapping with any of: {', '.join(CHANGEABLE)}")
    unknown = sorted(set(data) - set(CHANGEABLE))
    if unknown:
        raise ValueError(f"the change may add to {', '.join(CHANGEABLE)} only, not {unknown}")
    for key, value in data.items():
        if not isinstance(value, list):
            raise ValueError(f"'{key}:' in the change must be a list of entries")
    return data


def try_rule_change(content_dir: Path, change_yaml: str, language: str = "en") -> RuleChange:
    """Add the entries in ``change_yaml`` to a copy of the screening; compare decision tables.

    The copy holds the ``language`` folder of ``content_dir`` only (a change to the English
    rules would otherwise be refused until every translation has it too). It is loaded with
    every check of ``cam-workbench validate``, so a broken rule raises
    :class:`~cam_workbench.content.problems.ContentError` with the catalogue's messages, as it
    would for a reviewer. The copy is deleted afterwards.
    """
    content_dir = Path(content_dir)
    original = load_content(content_dir)
    source = _screening_file(original, language)
    additions = _additions(change_yaml)
    with tempfile.TemporaryDirectory(prefix="cam-workshop-") as tmp:
        copy = Path(tmp) / "content"
        folder = source.parent
        shutil.copytree(folder, copy / folder.name)
        target = copy / folder.name / source.name
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
        for key, entries in additions.items():
            data[key] = list(data.get(key) or []) + entries
        target.write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8",
        )
        changed = load_content(copy)
        result = compare_tables(original.screening(language), changed.screening(language))
        return replace(result, change_yaml=change_yaml.strip("\n"))


# --- HTML for the notebook and the slides -------------------------------------------------------


def presenter_css() -> str:
    """A ``<style>`` element with the workshop's large presenter fonts (notebook and slides)."""
    css = resources.files("cam_workbench.views").joinpath("workshop.css").read_text("utf-8")
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
    moved = {_key(c.answers) for c in change.changed}
    old = {_key(r.answers): r for r in change.before}
    rows = []
    for r in change.after:
        key = _key(r.answers)
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
