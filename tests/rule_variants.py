"""Rule sets the YAML can express, built on the shipped screening (same items and texts).

A test helper (also used by ``scripts/lforms_check.py``): each variant keeps the shipped
items, reuses the shipped outcomes' texts under new ids or tiers (a new outcome gets its
own heading), and replaces the rules.
They are built with ``model_copy`` (no content checks), so a variant may do what
``validate`` refuses, such as two outcomes of one tier (a tie: ``decide()`` keeps the first
rule) or a rule that never fires, to show that the FHIRPath follows ``decide()`` there too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from cam_workbench.content.model import Condition, Outcome, Rule, ScreeningFile
from cam_workbench.content.rules import Answers

LEG, BLADDER, FEVER, CANCER = "leg_symptoms", "bladder_bowel", "fever_nausea", "cancer_weight"
EVERY_FLAG = [LEG, BLADDER, FEVER, CANCER]
NONE_RULE = ("no_red_flags", {"none_of_these": True}, "proceed")
#: The headings of the outcomes the shipped screening does not have.
NEW_HEADINGS = {"see_specialist": "Talk with a specialist first"}

#: name → (outcomes as (id, tier, the shipped outcome whose texts it takes), rules as
#: (id, when, outcome)); ``None``: the shipped outcomes.
VARIANTS: dict[str, tuple[list[tuple[str, int, str]] | None, list[tuple[str, Any, str]]]] = {
    # an urgent tier reached by either of two flags
    "urgent_any_of_two": (
        None,
        [
            ("urgent_signs", {"any_of": [BLADDER, LEG]}, "urgent"),
            ("any_red_flag", {"any_of": EVERY_FLAG}, "see_doctor"),
            NONE_RULE,
        ],
    ),
    # all_of: two flags together are urgent, one alone is not (listed after a lower tier)
    "all_of": (
        None,
        [
            ("any_red_flag", {"any_of": EVERY_FLAG}, "see_doctor"),
            ("fever_and_cancer", {"all_of": [FEVER, CANCER]}, "urgent"),
            NONE_RULE,
        ],
    ),
    # two rules lead to one outcome
    "two_rules_one_outcome": (
        None,
        [
            ("bladder", {"any_of": [BLADDER]}, "urgent"),
            ("leg_and_fever", {"all_of": [LEG, FEVER]}, "urgent"),
            ("any_red_flag", {"any_of": EVERY_FLAG}, "see_doctor"),
            NONE_RULE,
        ],
    ),
    # a tie: two outcomes of tier 1; fever_nausea fires both rules, the first one wins
    "tie": (
        [
            ("urgent", 2, "urgent"),
            ("see_doctor", 1, "see_doctor"),
            ("see_specialist", 1, "see_doctor"),
            ("proceed", 0, "proceed"),
        ],
        [
            ("to_doctor", {"any_of": [LEG, FEVER]}, "see_doctor"),
            ("to_specialist", {"any_of": [CANCER, FEVER]}, "see_specialist"),
            ("bladder_urgent", {"any_of": [BLADDER]}, "urgent"),
            NONE_RULE,
        ],
    ),
    # the same with the two rules the other way round: fever_nausea → see_specialist
    "tie_reversed": (
        [
            ("urgent", 2, "urgent"),
            ("see_doctor", 1, "see_doctor"),
            ("see_specialist", 1, "see_doctor"),
            ("proceed", 0, "proceed"),
        ],
        [
            ("to_specialist", {"any_of": [CANCER, FEVER]}, "see_specialist"),
            ("to_doctor", {"any_of": [LEG, FEVER]}, "see_doctor"),
            ("bladder_urgent", {"any_of": [BLADDER]}, "urgent"),
            NONE_RULE,
        ],
    ),
    # conditions combined in one rule (AND), none_of_these: false, empty lists
    "combined": (
        None,
        [
            ("leg_plus_one", {"any_of": [FEVER, CANCER], "all_of": [LEG]}, "urgent"),
            ("never", {"any_of": []}, "urgent"),
            ("flag_only", {"any_of": [BLADDER], "none_of_these": False}, "urgent"),
            ("not_none_only", {"none_of_these": False}, "see_doctor"),
            ("none_only", {"all_of": [], "none_of_these": True}, "proceed"),
        ],
    ),
}


def variant(shipped: ScreeningFile, name: str, own_headings: bool = True) -> ScreeningFile:
    """The shipped screening with the outcomes and rules of ``VARIANTS[name]``.

    ``own_headings=False``: a new outcome keeps the heading of the outcome it copies.
    """
    if name == "shipped":
        return shipped
    outcomes, rules = VARIANTS[name]
    by_id = {o.id: o for o in shipped.outcomes}
    new_outcomes: list[Outcome] = (
        list(shipped.outcomes)
        if outcomes is None
        else [
            by_id[base].model_copy(
                update={"id": i, "tier": t}
                | ({"heading": NEW_HEADINGS[i]} if own_headings and i in NEW_HEADINGS else {})
            )
            for i, t, base in outcomes
        ]
    )
    new_rules = [Rule(id=i, when=Condition(**when), outcome=o) for i, when, o in rules]
    return shipped.model_copy(update={"outcomes": new_outcomes, "rules": new_rules})


NAMES = ["shipped", *VARIANTS]


def every_input(screening: ScreeningFile) -> Iterator[tuple[frozenset[str], bool]]:
    """Every combination of boxes (the valid answer sets and the invalid ones)."""
    ids = [item.id for item in screening.items]
    for none in (False, True):
        for size in range(len(ids) + 1):
            for combo in itertools.combinations(ids, size):
                yield frozenset(combo), none


def is_valid(flags: frozenset[str], none: bool) -> bool:
    """At least one flag, or "none of these", never both (the 16 answer sets)."""
    return bool(flags) != none


def answers(flags: frozenset[str], none: bool) -> Answers:
    """The same boxes as :class:`Answers`."""
    return Answers.of(flags, none)
