"""Screening answers → outcome, on the shipped rules and on edited copies of them."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from helpers import CONTENT, english_only

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.rules import Answers, all_answer_sets, decide
from cam_workbench.logic.screening import AnswerError, AnswerProblem, WayOn, evaluate, way_on

SHIPPED = load_content(CONTENT).screening()
SHIPPED_TIERS = {o.id: o.tier for o in SHIPPED.outcomes}
FLAGS = [item.id for item in SHIPPED.items]
SUBSETS = [
    frozenset(flag for flag, checked in zip(FLAGS, pattern, strict=True) if checked)
    for pattern in itertools.product([False, True], repeat=len(FLAGS))
]


def _name(flags: frozenset[str]) -> str:
    return "+".join(sorted(flags)) or "nothing"


def test_the_shipped_screening_has_the_four_red_flags():
    assert set(FLAGS) == {"leg_symptoms", "bladder_bowel", "fever_nausea", "cancer_weight"}
    assert len(SUBSETS) == 16


@pytest.mark.parametrize("flags", SUBSETS, ids=[_name(s) for s in SUBSETS])
def test_every_flag_set_on_the_shipped_screening(flags):
    answers = Answers.of(flags)
    if not flags:
        with pytest.raises(AnswerError) as caught:
            evaluate(SHIPPED, answers)
        assert caught.value.kind is AnswerProblem.nothing_chosen
        return
    decision = evaluate(SHIPPED, answers)
    assert decision.outcome.id != "proceed"
    assert decision.outcome.gate, "no red flag may lead straight to the program"
    assert decision.outcome.if_worse, "every outcome says what to do if signs get worse"
    if "bladder_bowel" in flags:
        assert decision.outcome.id == "urgent", "bladder or bowel trouble is an emergency"
        assert decision.tier > SHIPPED_TIERS["see_doctor"]
        assert way_on(decision.outcome) is WayOn.stop, "no way on to the program, not even cleared"
        assert decision.outcome.cleared_label is None
    else:
        assert decision.outcome.id == "see_doctor", "any red flag must send the patient to a doctor"
        assert way_on(decision.outcome) is WayOn.clearance, "on only once their doctor cleared them"


def test_every_outcome_says_what_to_do_if_signs_get_worse():
    for outcome in SHIPPED.outcomes:
        text = outcome.if_worse.lower()
        assert "worse" in text or "weak" in text, outcome.id
        assert "911" in text, f"{outcome.id}: the emergency step must be named"


@pytest.mark.parametrize("flags", SUBSETS, ids=[_name(s) + "+none" for s in SUBSETS])
def test_none_of_these_with_every_flag_set(flags):
    answers = Answers.of(flags, none_of_these=True)
    if flags:
        with pytest.raises(AnswerError) as caught:
            evaluate(SHIPPED, answers)
        assert caught.value.kind is AnswerProblem.contradiction
    else:
        decision = evaluate(SHIPPED, answers)
        assert decision.outcome.id == "proceed"
        assert not decision.outcome.gate


@pytest.mark.parametrize(
    "answers",
    [
        Answers.of(["headache"]),
        Answers.of(["leg_symptoms", "headache"]),
        Answers.of(["Leg_Symptoms"]),
        Answers.of(["headache"], none_of_these=True),
    ],
    ids=["alone", "with a real flag", "wrong case", "with none of these"],
)
def test_an_unknown_item_is_refused(answers):
    with pytest.raises(AnswerError) as caught:
        evaluate(SHIPPED, answers)
    assert caught.value.kind is AnswerProblem.unknown_item
    assert caught.value.detail in {"headache", "Leg_Symptoms"}


def test_decide_without_any_answer_decides_nothing():
    assert decide(SHIPPED, Answers()) is None


def test_all_answer_sets_lists_none_of_these_then_every_non_empty_set():
    sets = list(all_answer_sets(SHIPPED))
    assert sets[0] == Answers(none_of_these=True)
    assert {a.flags for a in sets[1:]} == {s for s in SUBSETS if s}
    assert len(sets) == len(set(sets)) == 16


@pytest.mark.parametrize(
    ("answers", "text"),
    [
        (Answers(), "nothing chosen"),
        (Answers(none_of_these=True), "none of these"),
        (Answers.of(["leg_symptoms", "bladder_bowel"]), "bladder_bowel + leg_symptoms"),
        (Answers.of(["leg_symptoms"], none_of_these=True), "leg_symptoms + none of these"),
    ],
)
def test_describe(answers, text):
    assert answers.describe() == text


# --- edited copies of the shipped screening --------------------------------------------

URGENT = {
    "id": "urgent_variant",
    "tier": 5,
    "heading": "Get care today",
    "message": ["Please call your doctor today."],
    "if_worse": "If it gets worse, call 911.",
    "gate": True,
    "stop": True,
    "sources": ["program-gate"],
}


def _without_urgent(data: dict) -> None:
    """The source's own rule only: drop the shipped urgent tier (for rule variants)."""
    data["outcomes"] = [o for o in data["outcomes"] if o["id"] != "urgent"]
    data["rules"] = [r for r in data["rules"] if r["outcome"] != "urgent"]


def _edited_screening(content: Path, change) -> ScreeningFile:
    """Load the copy after ``change`` edits the screening YAML (read and written as YAML)."""
    path = english_only(content) / "en" / "screening.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_content(content).screening()


def _add_urgent(when: dict, first: bool):
    def change(data: dict) -> None:
        _without_urgent(data)
        data["outcomes"].append(URGENT)
        rule = {"id": "urgent_flag", "when": when, "outcome": "urgent_variant"}
        data["rules"].insert(0 if first else len(data["rules"]), rule)

    return change


@pytest.mark.parametrize("first", [True, False], ids=["urgent rule first", "urgent rule last"])
@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"bladder_bowel", "leg_symptoms"}, "urgent_variant"),
        ({"bladder_bowel"}, "urgent_variant"),
        (set(FLAGS), "urgent_variant"),
        ({"leg_symptoms"}, "see_doctor"),
        ({"leg_symptoms", "fever_nausea"}, "see_doctor"),
    ],
)
def test_the_most_severe_outcome_wins(content_copy, first, flags, expected):
    screening = _edited_screening(content_copy, _add_urgent({"any_of": ["bladder_bowel"]}, first))
    assert evaluate(screening, Answers.of(flags)).outcome.id == expected
    assert evaluate(screening, Answers(none_of_these=True)).outcome.id == "proceed"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"bladder_bowel", "leg_symptoms"}, "urgent_variant"),
        ({"bladder_bowel", "leg_symptoms", "cancer_weight"}, "urgent_variant"),
        ({"bladder_bowel"}, "see_doctor"),
        ({"leg_symptoms"}, "see_doctor"),
    ],
)
def test_all_of_needs_every_item(content_copy, flags, expected):
    when = {"all_of": ["bladder_bowel", "leg_symptoms"]}
    screening = _edited_screening(content_copy, _add_urgent(when, first=False))
    assert evaluate(screening, Answers.of(flags)).outcome.id == expected


@pytest.mark.parametrize("first", [True, False])
def test_between_rules_to_the_same_outcome_the_first_one_decides(content_copy, first):
    def change(data: dict) -> None:
        rule = {"id": "legs_only", "when": {"any_of": ["leg_symptoms"]}, "outcome": "see_doctor"}
        data["rules"].insert(0 if first else len(data["rules"]), rule)

    screening = _edited_screening(content_copy, change)
    decision = evaluate(screening, Answers.of(["leg_symptoms"]))
    assert decision.outcome.id == "see_doctor"
    assert decision.rule.id == ("legs_only" if first else "any_red_flag")
