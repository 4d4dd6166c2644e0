"""`cam-workbench screen`: the dashboard's logic from the shell, and clear answer errors."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir_checks import check_response
from helpers import CONTENT

from cam_workbench.cli import main
from cam_workbench.content.loading import load_content
from cam_workbench.content.rules import Answers, all_answer_sets
from cam_workbench.fhir.questionnaire import questionnaire
from cam_workbench.logic.answers import NONE_KEY, AnswerInputError, parse_answers
from cam_workbench.logic.answers import AnswerInputCode as Code
from cam_workbench.logic.screening import evaluate
from cam_workbench.render.text import body_text

SCREENING = load_content(CONTENT).screening()
ANSWER_SETS = list(all_answer_sets(SCREENING))


def answer_args(answers: Answers) -> list[str]:
    """One ``--answer ID=yes|no`` per item: the explicit form the command asks for."""
    args: list[str] = []
    for item in SCREENING.items:
        args += ["--answer", f"{item.id}={'yes' if item.id in answers.flags else 'no'}"]
    return args


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """The real CLI entry in-process; usage errors exit through SystemExit(2)."""
    try:
        code = main(list(args))
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_there_are_16_answer_sets():
    assert len(ANSWER_SETS) == 16


@pytest.mark.parametrize("answers", ANSWER_SETS, ids=lambda a: a.describe())
def test_screen_gives_the_dashboard_outcome_for_every_answer_set(answers, capsys):
    decision = evaluate(SCREENING, answers)
    code, out, err = run_main(capsys, "screen", *answer_args(answers), "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["outcome"] == decision.outcome.id
    assert result["tier"] == decision.tier
    assert result["rule"] == decision.rule.id
    assert result["message"] == body_text(decision.outcome.message)
    assert result["if_worse"] == decision.outcome.if_worse and "911" in result["if_worse"]
    expected = {item.id: item.id in answers.flags for item in SCREENING.items}
    assert result["answers"] == {**expected, NONE_KEY: not answers.flags}
    if "bladder_bowel" in answers.flags:  # the urgent tier, above every other
        assert (result["outcome"], result["way_on"]) == ("urgent", "stop")
        assert result["tier"] > max(o.tier for o in SCREENING.outcomes if o.id != "urgent")
    elif answers.flags:
        assert (result["outcome"], result["way_on"]) == ("see_doctor", "clearance")
    else:
        assert (result["outcome"], result["way_on"]) == ("proceed", "guide")
    # plain output: the heading, the message and what to do if it gets worse
    code, out, _ = run_main(capsys, "screen", *answer_args(answers))
    outcome = decision.outcome
    assert out == f"{outcome.heading}\n\n{body_text(outcome.message)}\n\n{outcome.if_worse}\n"


@pytest.mark.parametrize("answers", [ANSWER_SETS[0], ANSWER_SETS[5]], ids=lambda a: a.describe())
def test_screen_as_a_subprocess(answers):
    result = subprocess.run(
        [sys.executable, "-m", "cam_workbench.cli", "screen", *answer_args(answers), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == evaluate(SCREENING, answers).outcome.id


def test_none_yes_is_a_short_way_to_say_none_of_these_apply(capsys):
    _, out, _ = run_main(capsys, "screen", "--answer", "none=yes", "--json")
    assert json.loads(out)["outcome"] == "proceed"
    _, out2, _ = run_main(
        capsys, "screen", "--answer", "none=yes", "--answer", "leg_symptoms=no", "--json"
    )
    assert json.loads(out2) == json.loads(out)


def test_fhir_output_is_a_valid_response_to_the_exported_questionnaire(capsys):
    code, out, _ = run_main(capsys, "screen", *answer_args(ANSWER_SETS[3]), "--fhir")
    assert code == 0
    response = json.loads(out)
    QuestionnaireResponse.model_validate(response)
    q = questionnaire(SCREENING, date=dt.date(2026, 5, 1))
    assert check_response(response, q.resource) == []
    assert response["authored"].endswith("Z")


# --- bad answers: exit 2, a message naming the item, never a traceback -------------------


def parse_codes(*pairs: str) -> list[Code]:
    with pytest.raises(AnswerInputError) as caught:
        parse_answers(SCREENING, pairs)
    return [p.code for p in caught.value.problems]


ALL_NO = [f"{item.id}=no" for item in SCREENING.items]


@pytest.mark.parametrize(
    "pairs, codes",
    [
        (ALL_NO[:3], [Code.missing]),
        ([*ALL_NO, "leg_symtoms=yes"], [Code.unknown_item]),
        ([*ALL_NO[1:], "leg_symptoms=maybe"], [Code.bad_value]),
        ([*ALL_NO[1:], "leg_symptoms"], [Code.malformed]),
        ([*ALL_NO, "leg_symptoms=yes"], [Code.repeated]),
        (["none=yes", "fever_nausea=yes"], [Code.contradiction]),
        ([*ALL_NO, "none=no"], [Code.none_but_all_no]),
        ([], [Code.missing] * 4),
    ],
    ids=[
        "missing",
        "unknown",
        "value",
        "malformed",
        "repeated",
        "contradiction",
        "none-no",
        "nothing",
    ],
)
def test_answer_problems_have_catalogue_codes(pairs, codes):
    assert parse_codes(*pairs) == codes


def test_every_problem_is_reported_at_once():
    codes = parse_codes("leg_symtoms=yes", "bladder_bowel=maybe", "fever_nausea")
    assert codes == [Code.unknown_item, Code.bad_value, Code.malformed, Code.missing]


def test_answers_are_not_case_sensitive_in_the_value():
    answers = parse_answers(SCREENING, ["leg_symptoms=YES", *ALL_NO[1:]])
    assert answers == Answers.of(["leg_symptoms"])


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--answer", "leg_symptoms=yes"], ["no answer for 'bladder_bowel'", "cancer_weight=no"]),
        (
            [*sum((["--answer", p] for p in ALL_NO[1:]), []), "--answer", "leg_symtoms=yes"],
            ["'leg_symtoms' is not an item", "did you mean 'leg_symptoms'?"],
        ),
        (
            [*sum((["--answer", p] for p in ALL_NO[1:]), []), "--answer", "leg_symptoms=maybe"],
            ["the answer for 'leg_symptoms' must be yes or no, not 'maybe'"],
        ),
        (["--answer", "xyz=yes", "--answer", "none=yes"], ["use one of: leg_symptoms"]),
    ],
    ids=["missing", "unknown", "value", "unknown-no-near-miss"],
)
def test_bad_answers_exit_2_naming_the_item(args, needles, capsys):
    code, out, err = run_main(capsys, "screen", *args)
    assert code == 2 and out == ""
    assert err.startswith("cam-workbench screen: error:")
    for needle in needles:
        assert needle in err
    assert "Traceback" not in err


def test_every_answer_problem_is_in_the_catalogue():
    assert {Code.missing, Code.unknown_item, Code.bad_value, Code.malformed} <= set(Code)
    with pytest.raises(AnswerInputError) as caught:
        parse_answers(SCREENING, ["leg_symptoms=maybe", *ALL_NO[1:]])
    (found,) = caught.value.problems
    assert str(found) == Code.bad_value.value.format(
        raw="leg_symptoms=maybe", key="leg_symptoms", value="maybe"
    )


def test_json_and_fhir_together_is_a_usage_error(capsys):
    code, _, err = run_main(capsys, "screen", "--answer", "none=yes", "--json", "--fhir")
    assert code == 2 and "not allowed with argument" in err


def test_a_language_without_content_lists_the_languages(capsys):
    code, _, err = run_main(capsys, "screen", "--answer", "none=yes", "--lang", "fr")
    assert code == 2
    assert "no screening in language 'fr' — available: en, es" in err


def test_spanish_content_is_used_when_it_exists(capsys):
    args = [
        "screen",
        "--content",
        str(CONTENT),
        "--lang",
        "es",
        "--answer",
        "leg_symptoms=yes",
    ]
    code, out, err = run_main(capsys, *args, *[f"--answer={p}" for p in ALL_NO[1:]])
    assert (code, err) == (0, "")
    assert out.startswith("Hable primero con su médico\n")
