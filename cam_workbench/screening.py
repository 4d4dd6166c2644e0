"""Pure screening logic: answers → outcome, from the rules in the content.

No widgets, no I/O. The dashboard, the ``screen`` command and the reviewer's decision
table all call :func:`evaluate` / :func:`decide`, so they cannot disagree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from cam_workbench.content.model import Outcome, Rule, ScreeningFile


@dataclass(frozen=True)
class Answers:
    """A patient's answers: the red flags they checked, or "none of these"."""

    flags: frozenset[str] = frozenset()
    none_of_these: bool = False

    @classmethod
    def of(cls, flags: Iterable[str] = (), none_of_these: bool = False) -> Answers:
        """Build answers from any iterable of checked item ids."""
        return cls(frozenset(flags), none_of_these)

    def describe(self) -> str:
        """Short text for messages and tables, e.g. ``leg_symptoms + fever_nausea``."""
        if self.none_of_these and not self.flags:
            return "none of these"
        parts = sorted(self.flags) + (["none of these"] if self.none_of_these else [])
        return " + ".join(parts) if parts else "nothing chosen"


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


@dataclass(frozen=True)
class Decision:
    """The outcome of a screening and the rule that decided it."""

    outcome: Outcome
    rule: Rule

    @property
    def tier(self) -> int:
        """Severity tier of the outcome (higher = more severe)."""
        return self.outcome.tier


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


def rule_fires(rule: Rule, answers: Answers) -> bool:
    """Whether one rule's condition holds for the answers (conditions combine with AND)."""
    cond = rule.when
    checks: list[bool] = []
    if cond.any_of is not None:
        checks.append(bool(answers.flags & set(cond.any_of)))
    if cond.all_of is not None:
        checks.append(set(cond.all_of) <= answers.flags)
    if cond.none_of_these is not None:
        checks.append(cond.none_of_these == (answers.none_of_these and not answers.flags))
    return bool(checks) and all(checks)


def decide(screening: ScreeningFile, answers: Answers) -> Decision | None:
    """Return the most severe outcome among the rules that fire (first rule wins a tie).

    Returns ``None`` when no rule fires. Does not check that the answers are complete;
    use :func:`evaluate` for a patient's answers.
    """
    outcomes = {o.id: o for o in screening.outcomes}
    best: Decision | None = None
    for rule in screening.rules:
        if rule_fires(rule, answers):
            candidate = Decision(outcomes[rule.outcome], rule)
            if best is None or candidate.tier > best.tier:
                best = candidate
    return best


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


def all_answer_sets(screening: ScreeningFile) -> Iterator[Answers]:
    """Every valid answer set: "none of these", then each non-empty set of flags."""
    ids = [item.id for item in screening.items]
    yield Answers(none_of_these=True)
    for size in range(1, len(ids) + 1):
        for combo in itertools.combinations(ids, size):
            yield Answers.of(combo)
