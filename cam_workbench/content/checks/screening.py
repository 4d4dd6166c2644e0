"""Checks of a screening: its rules, its outcomes' way on, and that every answer is decided.

:func:`check_rules` reads the raw data (rules name real items and outcomes, each has a
condition); :func:`check_screening` needs the validated model (tiers, gate/stop/clearance,
and, with the rules' own meaning from :mod:`cam_workbench.content.rules`, that every answer
set is decided, every item used and every outcome reached).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cam_workbench.content import rules
from cam_workbench.content.checks.file import entries, ids
from cam_workbench.content.model import Outcome, ScreeningFile
from cam_workbench.content.problems import Problem, ProblemCode, did_you_mean, problem
from cam_workbench.content.yamlsafe import Parsed


def check_rules(parsed: Parsed, path: str) -> Iterator[Problem]:
    """Rules name real items and outcomes and have a condition."""
    items = ids(parsed.data, "items")
    outcomes = ids(parsed.data, "outcomes")
    for index, rule in entries(parsed.data, "rules"):
        line = parsed.line_of(("rules", index))
        name = rule.get("id", f"#{index + 1}")
        found = rule.get("when")
        when: dict[str, Any] = found if isinstance(found, dict) else {}
        if not (when.get("any_of") or when.get("all_of") or when.get("none_of_these")):
            yield problem(ProblemCode.empty_rule, path, line, rule=name)
        for key in ("any_of", "all_of"):
            listed = when.get(key)
            refs: list[Any] = listed if isinstance(listed, list) else []
            for ref_index, ref in enumerate(refs):
                if isinstance(ref, str) and ref not in items:
                    yield problem(
                        ProblemCode.unknown_item,
                        path,
                        parsed.line_of(("rules", index, "when", key, ref_index)),
                        rule=name,
                        id=ref,
                        suggestion=did_you_mean(ref, items) or f"use one of: {', '.join(items)}",
                    )
        target = rule.get("outcome")
        if isinstance(target, str) and target not in outcomes:
            yield problem(
                ProblemCode.unknown_outcome,
                path,
                parsed.line_of(("rules", index, "outcome")),
                rule=name,
                id=target,
                suggestion=did_you_mean(target, outcomes) or f"use one of: {', '.join(outcomes)}",
            )


def check_screening(model: ScreeningFile, parsed: Parsed, path: str) -> Iterator[Problem]:
    """Checks that need a fully valid model (tiers, gates, coverage of every answer)."""
    tiers: dict[int, str] = {}
    for index, outcome in enumerate(model.outcomes):
        line = parsed.line_of(("outcomes", index))
        if outcome.tier in tiers:
            yield problem(
                ProblemCode.duplicate_tier,
                path,
                line,
                tier=outcome.tier,
                first=tiers[outcome.tier],
                second=outcome.id,
            )
        tiers[outcome.tier] = outcome.id
        yield from _check_way_on(outcome, model.meta.language, line, path)
    yield from _check_coverage(model, parsed, path)


def _check_way_on(outcome: Outcome, language: str, line: int, path: str) -> Iterator[Problem]:
    """Gate, stop and clearance agree: a gate has a way on (clearance) unless it stops."""
    clearance = ("cleared_label", "cleared_message")
    if outcome.stop:
        if not outcome.gate:
            yield problem(ProblemCode.stop_needs_gate, path, line, id=outcome.id)
        for key in clearance:
            if getattr(outcome, key) is not None:
                yield problem(ProblemCode.stop_with_clearance, path, line, id=outcome.id, key=key)
        return
    if not outcome.gate:
        return
    for key in clearance:
        if getattr(outcome, key) is None:
            yield problem(ProblemCode.gate_needs_clearance, path, line, id=outcome.id, key=key)
    label = outcome.cleared_label or ""
    if label and language == "en" and not label.startswith(("I ", "I'")):
        yield problem(ProblemCode.cleared_label_own_words, path, line, id=outcome.id)


def _check_coverage(model: ScreeningFile, parsed: Parsed, path: str) -> Iterator[Problem]:
    """Every item is used, every answer set is decided, every outcome is reachable."""
    used = {
        ref for rule in model.rules for ref in (rule.when.any_of or []) + (rule.when.all_of or [])
    }
    for index, item in enumerate(model.items):
        if item.id not in used:
            yield problem(
                ProblemCode.unused_item, path, parsed.line_of(("items", index)), id=item.id
            )
    if not any(rule.when.none_of_these for rule in model.rules):
        yield problem(ProblemCode.no_none_rule, path, parsed.line_of(("rules",)))
    reached: set[str] = set()
    for answers in rules.all_answer_sets(model):
        decision = rules.decide(model, answers)
        if decision is None:
            yield problem(
                ProblemCode.uncovered_answers,
                path,
                parsed.line_of(("rules",)),
                answer=answers.describe(),
            )
        else:
            reached.add(decision.outcome.id)
    for index, outcome in enumerate(model.outcomes):
        if outcome.id not in reached:
            yield problem(
                ProblemCode.unreached_outcome,
                path,
                parsed.line_of(("outcomes", index)),
                id=outcome.id,
            )
