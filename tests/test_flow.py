"""The patient's path as a plain state machine (no widgets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cam_workbench.flow import PatientFlow, Screen
from cam_workbench.loading import load_content
from cam_workbench.screening import AnswerProblem, Answers

CONTENT = Path(__file__).resolve().parent.parent / "content"


@pytest.fixture
def flow():
    return PatientFlow(load_content(CONTENT).screening())


def test_incomplete_answers_keep_the_patient_on_the_question(flow):
    state = flow.submit(Answers())
    assert state.screen is Screen.question
    assert state.prompt is AnswerProblem.nothing_chosen


def test_gated_outcome_needs_clearance_before_the_guide(flow):
    assert flow.submit(Answers.of(["bladder_bowel"])).screen is Screen.outcome
    state = flow.confirm_cleared()
    assert state.screen is Screen.guide
    assert state.cleared


def test_clearance_does_nothing_without_a_gated_outcome(flow):
    assert flow.confirm_cleared().screen is Screen.question
    flow.submit(Answers(none_of_these=True))
    assert not flow.confirm_cleared().cleared


def test_listeners_see_every_change_and_start_again_forgets(flow):
    seen = []
    flow.observe(lambda s: seen.append(s.screen))
    flow.submit(Answers.of(["leg_symptoms"]))
    flow.start_again()
    assert seen == [Screen.outcome, Screen.question]
    assert flow.state.decision is None
