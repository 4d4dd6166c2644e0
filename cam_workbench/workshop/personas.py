"""Workshop personas walked through the patient dashboard's own logic.

The personas live in ``content/<lang>/personas.yaml`` (kind ``personas``). Each walk uses
the dashboard's own code: :class:`~cam_workbench.logic.flow.PatientFlow` (which calls
:func:`cam_workbench.logic.screening.evaluate`) and :func:`cam_workbench.logic.tracker.report`,
so what the room sees is what a patient would get.
"""

from __future__ import annotations

from dataclasses import dataclass

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.model import Persona, PersonasFile, TrackerFile, WorkshopLabels
from cam_workbench.content.rules import Answers, Decision
from cam_workbench.logic.flow import PatientFlow, Screen
from cam_workbench.logic.tracker import Report, Session, report


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
    decision = state.decision
    if state.prompt is not None or decision is None:
        raise ValueError(f"persona {p.id!r} gives answers the screening refuses: {state.prompt}")
    screens.append(state.screen)
    if state.screen is Screen.outcome and p.answers.cleared_by_doctor:
        flow.say_cleared()
        state = flow.confirm_cleared()
        screens.append(state.screen)
    sessions = persona_sessions(p)
    trackers = content.of_kind(TrackerFile, language)
    said = report(trackers[0], sessions) if sessions and trackers else None
    return Walk(p, answers, decision, tuple(screens), sessions, said)
