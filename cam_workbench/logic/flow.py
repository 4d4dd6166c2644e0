"""The patient's path through the dashboard, as a plain state machine (no widgets).

question → guide (no flag); question → outcome → (the patient says their doctor cleared
them → they confirm it) → guide (a gate); question → outcome, and no further (an outcome
that stops, e.g. urgent care). Views observe a :class:`PatientFlow` and call its methods;
tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.rules import Answers, Decision
from cam_workbench.logic.screening import AnswerError, AnswerProblem, evaluate


class Screen(StrEnum):
    """Which screen the patient is on."""

    question = "question"
    outcome = "outcome"
    guide = "guide"


@dataclass(frozen=True)
class FlowState:
    """Everything the views need to draw the current screen."""

    screen: Screen = Screen.question
    answers: Answers | None = None
    decision: Decision | None = None
    prompt: AnswerProblem | None = None
    confirming: bool = False
    """The patient said their doctor cleared them; the page asks them to confirm it."""
    cleared: bool = False
    """The patient said, and confirmed, that their doctor cleared them (their own report)."""


Listener = Callable[[FlowState], None]


class PatientFlow:
    """One patient's session: answers in, screens out. Holds nothing after ``start_again``."""

    def __init__(self, screening: ScreeningFile) -> None:
        """Start at the question screen."""
        self._screening = screening
        self._state = FlowState()
        self._listeners: list[Listener] = []

    @property
    def state(self) -> FlowState:
        """The current state (read-only)."""
        return self._state

    def observe(self, listener: Listener) -> None:
        """Call ``listener`` with the new state after every change."""
        self._listeners.append(listener)

    def _set(self, state: FlowState) -> None:
        self._state = state
        for listener in self._listeners:
            listener(state)

    def submit(self, answers: Answers) -> FlowState:
        """Evaluate the answers: a prompt if they are incomplete, else the next screen."""
        try:
            decision = evaluate(self._screening, answers)
        except AnswerError as exc:
            self._set(replace(self._state, prompt=exc.kind))
            return self._state
        screen = Screen.outcome if decision.outcome.gate else Screen.guide
        self._set(FlowState(screen=screen, answers=answers, decision=decision))
        return self._state

    def _clearance_offered(self) -> bool:
        """Whether the current screen offers the "my doctor said I can" step."""
        decision = self._state.decision
        return (
            self._state.screen is Screen.outcome
            and decision is not None
            and decision.outcome.gate
            and not decision.outcome.stop
            and decision.outcome.cleared_label is not None
        )

    def say_cleared(self) -> FlowState:
        """The patient says their doctor said they can do the program: ask them to confirm."""
        if self._clearance_offered() and not self._state.confirming:
            self._set(replace(self._state, confirming=True))
        return self._state

    def back_from_confirm(self) -> FlowState:
        """The patient does not confirm: back to the advice."""
        if self._state.confirming:
            self._set(replace(self._state, confirming=False))
        return self._state

    def confirm_cleared(self) -> FlowState:
        """The patient confirms what they said: go on to the guide (only after say_cleared)."""
        if not (self._clearance_offered() and self._state.confirming):
            return self._state
        self._set(replace(self._state, screen=Screen.guide, confirming=False, cleared=True))
        return self._state

    def start_again(self) -> FlowState:
        """Forget the answers and go back to the question."""
        self._set(FlowState())
        return self._state
