"""The exported Questionnaire carries its own rules: every SDC expression, run by fhirpathpy.

For the shipped rules and the variants of ``rule_variants.py``, every combination of boxes
(the 16 answer sets and the 16 invalid ones), with unchecked boxes sent as ``false``, with
no answer, or left out: the FHIRPath outcome, the outcome groups shown, each rule variable
and the two checks equal what ``decide()`` / ``rule_fires()`` say.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.questionnaire import Questionnaire as QuestionnaireR5
from fhir.resources.R4B.questionnaire import Questionnaire as QuestionnaireR4
from fhir_checks import check_questionnaire, walk_items
from rule_variants import NAMES, answers, every_input, variant
from sdc_eval import UNCHECKED, outcome_of, response, run, shown_outcomes

from cam_workbench.cli import main
from cam_workbench.content.model import Rule
from cam_workbench.content.rules import all_answer_sets, decide, rule_fires
from cam_workbench.fhir import sdc
from cam_workbench.fhir.constants import (
    CALCULATED_URL,
    ENABLE_WHEN_EXPRESSION_URL,
    OLD_CONSTRAINT_URL,
    OUTCOME_LINK,
    QUESTION_LINK,
    SDC_BEHAVE_PROFILE,
    TARGET_CONSTRAINT_URL,
    outcome_link,
    outcome_system,
)
from cam_workbench.fhir.questionnaire import questionnaire
from cam_workbench.fhir.response import questionnaire_response
from cam_workbench.logic.screening import evaluate

DATE = dt.date(2026, 5, 1)
AUTHORED = dt.datetime(2026, 5, 1, 14, 30, tzinfo=dt.UTC)
MODELS = {"R4": QuestionnaireR4, "R5": QuestionnaireR5}


@pytest.fixture(scope="module")
def shipped(content):
    return content.screening()


def export(screening, version="R4", **kwargs) -> dict:
    q = questionnaire(screening, date=DATE, fhir_version=version, **kwargs).resource
    MODELS[version].model_validate(q)
    assert check_questionnaire(q, version) == []
    return q


def rule_names(screening) -> dict[str, str]:
    ids = [item.id for item in screening.items]
    return sdc.variable_names(ids, [rule.id for rule in screening.rules]).rules


@pytest.mark.parametrize("version", ["R4", "R5"])
@pytest.mark.parametrize("name", NAMES)
def test_every_expression_follows_decide_for_every_input(shipped, name, version):
    screening = variant(shipped, name)
    q = export(screening, version)
    names = rule_names(screening)
    outcome_ids = [o.id for o in screening.outcomes]
    system = outcome_system(screening.meta.id)
    checked = 0
    for flags, none in every_input(screening):
        given = answers(flags, none)
        decision = decide(screening, given)
        expected = decision.outcome.id if decision else None
        for unchecked in UNCHECKED:
            where = (sorted(flags), none, unchecked)
            found = run(q, response(screening, flags, none, unchecked), version)
            assert outcome_of(found) == expected, where
            assert shown_outcomes(found, outcome_ids) == ([expected] if expected else []), where
            for o in outcome_ids:  # true or false, never empty (LHC-Forms warns on empty)
                assert found[outcome_link(o)].enabled == [o == expected], (o, where)
            variables = found[""].variables
            assert variables[sdc.OUTCOME_CODE] == ([expected] if expected else []), where
            for rule in screening.rules:
                assert variables[names[rule.id]] == [rule_fires(rule, given)], (rule.id, where)
            assert found[QUESTION_LINK].constraints == {
                "nothing-chosen": [bool(flags) or none],
                "contradiction": [not (flags and none)],
            }, where
            calculated = found[OUTCOME_LINK].calculated
            if calculated:
                assert calculated[0]["system"] == system
            checked += 1
    assert checked == 32 * len(UNCHECKED)


@pytest.mark.parametrize("version", ["R4", "R5"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_sixteen_answer_sets_give_the_screen_commands_outcome(
    tmp_path, capsys, shipped, version, lang
):
    """`export fhir` run in fhirpathpy gives what `cam-workbench screen` prints."""
    out = tmp_path / "q.json"
    assert main(["export", "fhir", "--out", str(out), "--fhir-version", version]
                + ["--lang", lang]) == 0  # fmt: skip
    q = json.loads(out.read_text(encoding="utf-8"))
    capsys.readouterr()
    ids = [item.id for item in shipped.items]
    seen: dict[str, int] = {}
    for given in all_answer_sets(shipped):
        args = [f"{i}={'yes' if i in given.flags else 'no'}" for i in ids]
        assert main(["screen", "--json", "--lang", lang, *(f"--answer={a}" for a in args)]) == 0
        screen = json.loads(capsys.readouterr().out)["outcome"]
        for unchecked in UNCHECKED:
            found = run(q, response(shipped, given.flags, given.none_of_these, unchecked), version)
            assert outcome_of(found) == screen, (given.describe(), unchecked)
        seen[screen] = seen.get(screen, 0) + 1
    assert seen == {"proceed": 1, "urgent": 8, "see_doctor": 7}


def test_a_tie_goes_to_the_first_rule_as_in_decide(shipped):
    fever = frozenset({"fever_nausea"})
    for name, expected in [("tie", "see_doctor"), ("tie_reversed", "see_specialist")]:
        screening = variant(shipped, name)
        assert decide(screening, answers(fever, False)).outcome.id == expected
        assert outcome_of(run(export(screening), response(screening, fever, False))) == expected


def test_two_outcomes_with_one_heading_get_a_note(shipped):
    """LHC-Forms records a calculated answer by its text: the first of two the same."""
    same = questionnaire(variant(shipped, "tie", own_headings=False), date=DATE).notes
    assert [n for n in same if "same heading" in n] == [
        "outcomes 'see_doctor' and 'see_specialist' have the same heading: a form filler that "
        "tells answer options apart by their text (LHC-Forms does) records 'see_doctor' as the "
        "result for both"
    ]
    assert not [n for n in questionnaire(variant(shipped, "tie"), date=DATE).notes]


def test_the_shipped_rules_read_as_a_reviewer_expects(shipped):
    """The expressions the README shows for the shipped rules."""
    found = dict(sdc.variables([i.id for i in shipped.items], shipped.rules, {"urgent": 2,
                 "see_doctor": 1, "proceed": 0}))  # fmt: skip
    assert found["ruleBladderBowelUrgent"] == "%flagBladderBowel"
    assert found["ruleAnyRedFlag"] == (
        "%flagLegSymptoms or %flagBladderBowel or %flagFeverNausea or %flagCancerWeight"
    )
    assert found["ruleNoRedFlags"] == "%noneOnly"
    assert found["outcomeCode"] == (
        "iif(%ruleBladderBowelUrgent, 'urgent', iif(%ruleAnyRedFlag, 'see_doctor', "
        "iif(%ruleNoRedFlags, 'proceed', {})))"
    )


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_the_export_uses_the_sdc_extensions_and_no_deprecated_one(shipped, version):
    q = export(shipped, version)
    text = json.dumps(q)
    assert OLD_CONSTRAINT_URL not in text
    assert q.get("meta", {}).get("profile") == ([SDC_BEHAVE_PROFILE] if version == "R4" else None)
    items = {item["linkId"]: item for item in walk_items(q["item"])}
    constraints = [
        e for e in items[QUESTION_LINK]["extension"] if e["url"] == TARGET_CONSTRAINT_URL
    ]
    assert [c["extension"][0]["valueId"] for c in constraints] == [
        "nothing-chosen",
        "contradiction",
    ]
    humans = [c["extension"][3]["valueString"] for c in constraints]
    assert humans == [shipped.prompts.nothing_chosen, shipped.prompts.contradiction]
    assert [e["url"] for e in items[OUTCOME_LINK]["extension"]] == [CALCULATED_URL]
    assert items[OUTCOME_LINK]["readOnly"] is True and "initial" not in items[OUTCOME_LINK]
    for outcome in shipped.outcomes:
        group = items[outcome_link(outcome.id)]
        assert group["extension"][0]["url"] == ENABLE_WHEN_EXPRESSION_URL
        assert "enableWhen" not in group and "enableBehavior" not in group


def test_the_spanish_export_carries_the_same_rules(content, shipped):
    en = export(shipped, translations=[content.screening("es")])
    es = export(content.screening("es"), translations=[shipped])
    assert en["extension"] == es["extension"]


def test_what_cam_workbench_writes_in_a_response_is_what_the_form_computes(shipped):
    """The dashboard's download: its outcome, and its "cleared" in a group that is shown."""
    q = export(shipped)
    for given in all_answer_sets(shipped):
        decision = evaluate(shipped, given)
        cleared = decision.outcome.cleared_label is not None
        qr = questionnaire_response(shipped, given, decision, AUTHORED, cleared=cleared)
        stored = next(i for i in qr["item"] if i["linkId"] == OUTCOME_LINK)
        found = run(q, qr)
        assert outcome_of(found) == stored["answer"][0]["valueCoding"]["code"]
        for entry in qr["item"][2:]:  # the group holding "my doctor has cleared me"
            assert found[entry["linkId"]].shown(), given.describe()


def test_numbered_names_when_ids_clash_and_the_export_says_so(shipped):
    rules = [
        Rule(id="any-red", when=shipped.rules[1].when, outcome="see_doctor"),
        Rule(id="any_red", when=shipped.rules[0].when, outcome="urgent"),
        shipped.rules[2],
    ]
    clashing = shipped.model_copy(update={"rules": rules})
    result = questionnaire(clashing, date=DATE)
    QuestionnaireR4.model_validate(result.resource)  # the names are FHIR ids: no underscore
    names = [e["valueExpression"]["name"] for e in result.resource["extension"]]
    assert names[:4] == ["flagLegSymptoms", "flagBladderBowel", "flagFeverNausea",
                         "flagCancerWeight"]  # fmt: skip
    assert names[7:10] == ["rule1", "rule2", "rule3"]
    assert [n for n in result.notes if "numbered" in n] == [
        "the rule ids do not each give a FHIRPath variable name of their own (ids that differ "
        "only in '_' or '-', or in a separator before a digit, or an id over 60 characters): "
        "the rule variables are numbered (rule1, rule2, ...), and an import names the rules "
        "by number"
    ]
    for flags, none in every_input(clashing):
        decision = decide(clashing, answers(flags, none))
        found = run(result.resource, response(clashing, flags, none))
        assert outcome_of(found) == (decision.outcome.id if decision else None)


@pytest.mark.parametrize(
    "ids, numbered",
    [
        (["a_b", "a-b"], True),
        (["a_1", "a1"], True),
        (["x" * 61], True),
        (["x" * 60, "leg_symptoms", "b2"], False),
    ],
)
def test_variable_names_are_letters_and_digits_or_numbered(ids, numbered):
    names = sdc.variable_names(ids, ["r"])
    assert names.numbered == (("item",) if numbered else ())
    assert all(sdc.NAME.match(n) for n in [*names.items.values(), *names.rules.values()])
    assert len(set(names.items.values())) == len(ids)
    assert names.rules == {"r": "ruleR"}  # the rules are named on their own


def test_an_invalid_answer_set_is_caught_by_the_checks_and_errs_on_the_safe_side(shipped):
    """A flag and "none" both checked: the constraint fails, the outcome is the flag's."""
    q = export(shipped)
    found = run(q, response(shipped, {"leg_symptoms"}, True, "left-out"))
    assert found[QUESTION_LINK].constraints["contradiction"] == [False]
    assert outcome_of(found) == "see_doctor"
    assert shown_outcomes(found, [o.id for o in shipped.outcomes]) == ["see_doctor"]
    nothing = run(q, response(shipped, set(), False, "left-out"))
    assert nothing[QUESTION_LINK].constraints["nothing-chosen"] == [False]
    assert outcome_of(nothing) is None and shown_outcomes(nothing, ["proceed"]) == []
