"""Pure screening logic for a patient's answers: explicit and consistent → an outcome.

No widgets, no I/O. The dashboard, the ``screen`` command and the workshop call
:func:`evaluate`; what the rules mean is :mod:`cam_workbench.content.rules`, which the
content checks and the decision table use too, so none of them can disagree.
"""

from __future__ import annotations

from enum import StrEnum

from cam_workbench.content.model import Outcome, ScreeningFile
from cam_workbench.content.rules import Answers, Decision, decide


class AnswerProblem(StrEnum):
    """Why a set of answers cannot be evaluated yet."""

    nothing_chosen = "nothing_chosen"
    contradiction = "contradiction"
    unknown_item = "unknown_item"


class AnswerError(ValueError):
    """The answers need the patient's attention before they can be evaluated."""

    def __init__(self, kind: AnswerProblem, detail: str = "") -> None:
        """Keep the kind of problem so a view can show the content's own prompt."""
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail


class WayOn(StrEnum):
    """Where a patient may go from an outcome."""

    guide = "guide"
    """Straight on to the program."""
    clearance = "clearance"
    """On to the program once they say (and confirm) their doctor said they can."""
    stop = "stop"
    """No way on from the page (e.g. get urgent care first)."""


def way_on(outcome: Outcome) -> WayOn:
    """Where the patient may go from ``outcome`` (from its ``gate`` and ``stop``)."""
    if not outcome.gate:
        return WayOn.guide
    return WayOn.stop if outcome.stop else WayOn.clearance


def check_answers(screening: ScreeningFile, answers: Answers) -> None:
    """Raise :class:`AnswerError` unless the answers are explicit and consistent."""
    known = {item.id for item in screening.items}
    unknown = sorted(answers.flags - known)
    if unknown:
        raise AnswerError(AnswerProblem.unknown_item, ", ".join(unknown))
    if answers.flags and answers.none_of_these:
        raise AnswerError(AnswerProblem.contradiction)
    if not answers.flags and not answers.none_of_these:
        raise AnswerError(AnswerProblem.nothing_chosen)


def evaluate(screening: ScreeningFile, answers: Answers) -> Decision:
    """Evaluate a patient's answers: at least one flag, or "none of these", never both.

    Raises:
        AnswerError: nothing chosen, a flag together with "none of these", or an unknown id.
        LookupError: no rule decides these answers (validated content never does this).
    """
    check_answers(screening, answers)
    decision = decide(screening, answers)
    if decision is None:
        raise LookupError(f"no rule decides {answers.describe()}")
    return decision
