"""What the screening rules mean: which rules fire for a set of answers, and which outcome wins.

Part of the content layer because validation needs it (every answer set must be decided,
every outcome reached), and so do the FHIR export and the reviewer's decision table. The
patient-facing evaluation (:func:`cam_workbench.logic.screening.evaluate`) builds on it, so
the dashboard, the ``screen`` command and the decision table cannot disagree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Decision:
    """The outcome of a screening and the rule that decided it."""

    outcome: Outcome
    rule: Rule

    @property
    def tier(self) -> int:
        """Severity tier of the outcome (higher = more severe)."""
        return self.outcome.tier


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
    use :func:`cam_workbench.logic.screening.evaluate` for a patient's answers.
    """
    outcomes = {o.id: o for o in screening.outcomes}
    best: Decision | None = None
    for rule in screening.rules:
        if rule_fires(rule, answers):
            candidate = Decision(outcomes[rule.outcome], rule)
            if best is None or candidate.tier > best.tier:
                best = candidate
    return best


def all_answer_sets(screening: ScreeningFile) -> Iterator[Answers]:
    """Every valid answer set: "none of these", then each non-empty set of flags."""
    ids = [item.id for item in screening.items]
    yield Answers(none_of_these=True)
    for size in range(1, len(ids) + 1):
        for combo in itertools.combinations(ids, size):
            yield Answers.of(combo)
