"""The screening as a decision table: every possible answer → outcome and deciding rule.

Everything comes from :func:`cam_workbench.content.rules.decide` and
:func:`~cam_workbench.content.rules.rule_fires`, the functions the dashboard uses, so the table
cannot disagree with what a patient sees. For 4 red flags there are 16 combinations of
flags (the empty one is "nothing chosen", which the dashboard refuses) plus "none of
these": 15 flag sets + "none of these" + "nothing chosen" = 17 rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from cam_workbench.content.model import Rule, ScreeningFile
from cam_workbench.content.rules import Answers, decide, rule_fires
from cam_workbench.logic.screening import WayOn, way_on

CHECKED = "x"
NOT_CHECKED = "-"


@dataclass(frozen=True)
class Row:
    """One combination of answers and what the screening does with it."""

    answers: Answers
    outcome: str
    tier: int | None
    way_on: WayOn | None
    decided_by: str
    fired: tuple[str, ...]


def answer_combinations(screening: ScreeningFile) -> Iterator[Answers]:
    """Yield "none of these", then all 2^n combinations of flags (including none checked)."""
    ids = [item.id for item in screening.items]
    yield Answers(none_of_these=True)
    for size in range(len(ids) + 1):
        for combo in itertools.combinations(ids, size):
            yield Answers.of(combo)


def decision_rows(screening: ScreeningFile) -> list[Row]:
    """Decide every combination of answers with the screening's own rules."""
    rows: list[Row] = []
    for answers in answer_combinations(screening):
        decision = decide(screening, answers)
        fired = tuple(rule.id for rule in screening.rules if rule_fires(rule, answers))
        if decision is None:
            refused = not answers.flags and not answers.none_of_these
            rows.append(
                Row(answers, "(asks again)" if refused else "(none)", None, None, "", fired)
            )
        else:
            rows.append(
                Row(
                    answers,
                    decision.outcome.id,
                    decision.tier,
                    way_on(decision.outcome),
                    decision.rule.id,
                    fired,
                )
            )
    return rows


def table_rows(screening: ScreeningFile) -> list[dict[str, object]]:
    """Return the decision table as plain rows: one column per flag, then the result."""
    rows: list[dict[str, object]] = []
    for row in decision_rows(screening):
        cells: dict[str, object] = {}
        for item in screening.items:
            cells[item.id] = CHECKED if item.id in row.answers.flags else NOT_CHECKED
        cells["none_of_these"] = CHECKED if row.answers.none_of_these else NOT_CHECKED
        cells["outcome"] = row.outcome
        cells["tier"] = "" if row.tier is None else row.tier
        cells["way_on"] = "" if row.way_on is None else row.way_on.value
        cells["decided_by"] = row.decided_by or "-"
        cells["rules_that_fire"] = ", ".join(row.fired) or "-"
        rows.append(cells)
    return rows


def describe_condition(rule: Rule) -> str:
    """Say a rule's condition in one line, e.g. ``any of: leg_symptoms, fever_nausea``."""
    parts: list[str] = []
    if rule.when.any_of is not None:
        parts.append("any of: " + ", ".join(rule.when.any_of))
    if rule.when.all_of is not None:
        parts.append("all of: " + ", ".join(rule.when.all_of))
    if rule.when.none_of_these is not None:
        parts.append(f"none of these: {'yes' if rule.when.none_of_these else 'no'}")
    return " and ".join(parts)


def rule_rows(screening: ScreeningFile) -> list[dict[str, object]]:
    """Return one row per rule: how often it fires and decides; dead or shadowed rules flagged.

    A rule that *never fires* cannot change any outcome (its condition never holds). A rule
    that fires but *never decides* is always outranked by a more severe or earlier rule.
    """
    rows = decision_rows(screening)
    result: list[dict[str, object]] = []
    for rule in screening.rules:
        fires = sum(rule.id in r.fired for r in rows)
        decides = sum(r.decided_by == rule.id for r in rows)
        flag = "never fires" if fires == 0 else ("never decides" if decides == 0 else "")
        result.append(
            {
                "rule": rule.id,
                "condition": describe_condition(rule),
                "outcome": rule.outcome,
                "fires_for": fires,
                "decides": decides,
                "flag": flag,
            }
        )
    return result


def dead_rules(screening: ScreeningFile) -> list[str]:
    """Return the ids of rules that fire for no possible answer."""
    rows = decision_rows(screening)
    return [rule.id for rule in screening.rules if not any(rule.id in r.fired for r in rows)]
