"""The patient's path as a plain state machine (no widgets)."""

from __future__ import annotations

import pytest
from helpers import CONTENT

from cam_workbench.content.loading import load_content
from cam_workbench.content.rules import Answers
from cam_workbench.logic.flow import PatientFlow, Screen
from cam_workbench.logic.screening import AnswerProblem


@pytest.fixture
def flow():
    return PatientFlow(load_content(CONTENT).screening())


def test_incomplete_answers_keep_the_patient_on_the_question(flow):
    state = flow.submit(Answers())
    assert state.screen is Screen.question
    assert state.prompt is AnswerProblem.nothing_chosen


def test_gated_outcome_needs_the_patients_word_and_its_confirmation(flow):
    assert flow.submit(Answers.of(["leg_symptoms"])).screen is Screen.outcome
    assert flow.confirm_cleared().screen is Screen.outcome, "one click is not enough"
    state = flow.say_cleared()
    assert state.screen is Screen.outcome and state.confirming and not state.cleared
    state = flow.confirm_cleared()
    assert state.screen is Screen.guide
    assert state.cleared and not state.confirming


def test_the_patient_can_go_back_from_the_confirmation(flow):
    flow.submit(Answers.of(["cancer_weight"]))
    flow.say_cleared()
    state = flow.back_from_confirm()
    assert state.screen is Screen.outcome and not state.confirming
    assert flow.confirm_cleared().screen is Screen.outcome, "the confirmation was withdrawn"


@pytest.mark.parametrize(
    "flags", [["bladder_bowel"], ["bladder_bowel", "leg_symptoms"]], ids=["alone", "with another"]
)
def test_the_urgent_outcome_offers_no_way_on(flow, flags):
    state = flow.submit(Answers.of(flags))
    assert state.screen is Screen.outcome
    assert state.decision.outcome.id == "urgent"
    assert not flow.say_cleared().confirming
    state = flow.confirm_cleared()
    assert state.screen is Screen.outcome and not state.cleared


def test_clearance_does_nothing_without_a_gated_outcome(flow):
    assert flow.say_cleared().screen is Screen.question
    assert flow.confirm_cleared().screen is Screen.question
    flow.submit(Answers(none_of_these=True))
    flow.say_cleared()
    assert not flow.confirm_cleared().cleared


def test_listeners_see_every_change_and_start_again_forgets(flow):
    seen = []
    flow.observe(lambda s: seen.append(s.screen))
    flow.submit(Answers.of(["leg_symptoms"]))
    flow.start_again()
    assert seen == [Screen.outcome, Screen.question]
    assert flow.state.decision is None
