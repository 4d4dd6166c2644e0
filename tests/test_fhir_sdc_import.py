"""`import fhir` reads the rules back from the SDC FHIRPath, and says what it cannot read.

Export → import → export gives the same Questionnaire for every rule variant; a rule
variable outside the forms we write is named in a note, no rule is taken from it, and
the import goes on. Exports made before the SDC rules (plain enableWhen and the
deprecated questionnaire-constraint) still import as they did.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from rule_variants import NAMES, variant

from cam_workbench.content.model import Rule, ScreeningFile
from cam_workbench.content.rules import all_answer_sets, decide
from cam_workbench.fhir.constants import (
    ENABLE_WHEN_EXPRESSION_URL,
    OLD_CONSTRAINT_URL,
    OUTCOME_LINK,
    QUESTION_LINK,
    VARIABLE_URL,
    outcome_link,
    outcome_system,
)
from cam_workbench.fhir.importer import import_questionnaire
from cam_workbench.fhir.questionnaire import questionnaire
from cam_workbench.fhir.rules_read import condition, outcome_chain, rule_id

DATE = dt.date(2026, 5, 1)
NO_RULES = "no rule was read from them: write the rules by hand"


@pytest.fixture(scope="module")
def shipped(content):
    return content.screening()


def export(screening, version="R4") -> dict:
    return questionnaire(screening, date=DATE, fhir_version=version).resource


def variable(q: dict, name: str) -> dict:
    """The root variable called ``name`` (its valueExpression, to read or change)."""
    return next(
        e["valueExpression"] for e in q["extension"] if e["valueExpression"]["name"] == name
    )


def imported(q: dict) -> tuple[ScreeningFile, str]:
    """The imported screening (pydantic only: a variant may break content checks), notes."""
    result = import_questionnaire(q, today=DATE)
    return ScreeningFile.model_validate(result.files["en"]), "\n".join(result.notes)


@pytest.mark.parametrize("version", ["R4", "R5"])
@pytest.mark.parametrize("name", NAMES)
def test_every_rule_variant_comes_back_and_exports_the_same(shipped, name, version):
    screening = variant(shipped, name)
    first = export(screening, version)
    again, notes = imported(first)
    assert again.rules == screening.rules, notes  # ids, conditions, outcomes, order
    assert export(again, version) == first
    assert "by hand" not in notes and "no rule leads to it" not in notes
    for given in all_answer_sets(screening):
        before, after = decide(screening, given), decide(again, given)
        assert (before and before.outcome.id) == (after and after.outcome.id)


def test_rule_ids_come_back_from_the_variable_names():
    assert rule_id("ruleBladderBowelUrgent") == "bladder_bowel_urgent"
    assert rule_id("ruleA1b") == "a1b"
    assert rule_id("rule3") == "3"


def test_numbered_names_still_give_the_same_questionnaire(shipped):
    rules = [
        Rule(id="any-red", when=shipped.rules[1].when, outcome="see_doctor"),
        Rule(id="any_red", when=shipped.rules[0].when, outcome="urgent"),
        shipped.rules[2],
    ]
    first = export(shipped.model_copy(update={"rules": rules}))
    again, _ = imported(first)
    assert [r.id for r in again.rules] == ["1", "2", "3"]  # the names were rule1, rule2, ...
    assert export(again) == first


@pytest.mark.parametrize(
    "text, expected",
    [
        ("%flagA or %flagB", {"any_of": ["a", "b"]}),
        ("%flagA", {"any_of": ["a"]}),
        ("%flagA and %flagB", {"all_of": ["a", "b"]}),
        ("%noneOnly.not()", {"none_of_these": False}),
        (
            "(false) and (%flagA) and (%noneOnly)",
            {"any_of": [], "all_of": ["a"], "none_of_these": True},
        ),  # fmt: skip
        ("(%flagA or %flagB) and (true)", {"any_of": ["a", "b"], "all_of": []}),
    ],
)
def test_a_rule_variable_becomes_a_condition(text, expected):
    assert condition(text, {"flagA": "a", "flagB": "b"}) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("%flagA or (%flagB and %flagC)", "is none of the conditions our rules hold"),
        ("%flagA or %flagX", "'%flagX' is not a red flag's variable"),
        ("(%flagA or %flagB) and (%flagC or %flagA)", "two any_of parts"),
        ("%flagA.not()", "is none of the conditions"),
        ("(%flagA) and %flagB", "after a part"),
        ("(%flagA", "parentheses do not match"),
    ],
)
def test_a_rule_variable_our_model_cannot_hold_is_named(text, expected):
    with pytest.raises(ValueError, match=expected):
        condition(text, {"flagA": "a", "flagB": "b", "flagC": "c"})


def test_the_outcome_chain_is_read_in_order():
    assert outcome_chain("iif(%ruleA, 'a', iif(%ruleB, 'b_1', {}))") == [
        ("ruleA", "a"),
        ("ruleB", "b_1"),
    ]
    with pytest.raises(ValueError, match="chain"):
        outcome_chain("iif(%ruleA, 'a', 'b')")


def _changed_rules(q: dict) -> None:
    variable(q, "ruleAnyRedFlag")["expression"] = "%flagLegSymptoms or (%flagFeverNausea)"


def _chain_against_the_tiers(q: dict) -> None:
    """See a doctor before the urgent tier: decide() would never do that."""
    variable(q, "outcomeCode")["expression"] = (
        "iif(%ruleAnyRedFlag, 'see_doctor', iif(%ruleBladderBowelUrgent, 'urgent', "
        "iif(%ruleNoRedFlags, 'proceed', {})))"
    )


def _foreign_variable(q: dict) -> None:
    q["extension"].insert(
        7,
        {
            "url": VARIABLE_URL,
            "valueExpression": {"name": "age", "language": "text/fhirpath", "expression": "42"},
        },
    )


def _not_fhirpath(q: dict) -> None:
    variable(q, "ruleNoRedFlags")["language"] = "text/cql"


def _no_expression(q: dict) -> None:
    variable(q, "ruleNoRedFlags")["expression"] = 7


@pytest.mark.parametrize(
    "change, expected",
    [
        (_changed_rules, "variable 'ruleAnyRedFlag': `(%flagFeverNausea)` is none of"),
        (_chain_against_the_tiers, "variable 'outcomeCode' is `iif(%ruleAnyRedFlag, 'see_doc"),
        (_foreign_variable, "variable 'age' where cam-workbench writes 'ruleBladderBowelUrgent'"),
        (_not_fhirpath, "variable #10: not a named FHIRPath expression; not read"),
        (_no_expression, "variable 'ruleNoRedFlags': it has no expression; not read"),
    ],
    ids=["rule", "chain-against-tiers", "foreign-variable", "not-fhirpath", "no-expression"],
)
def test_rules_our_model_cannot_hold_are_named_and_the_import_goes_on(shipped, change, expected):
    q = copy.deepcopy(export(shipped))
    change(q)
    result = import_questionnaire(q, today=DATE)
    notes = "\n".join(result.notes)
    assert expected in notes, notes
    if change is not _not_fhirpath and change is not _no_expression:
        assert NO_RULES in notes
    data = result.files["en"]
    assert data["rules"] == [] and [o["id"] for o in data["outcomes"]] == [
        "urgent",
        "see_doctor",
        "proceed",
    ]
    assert "outcome 'urgent': no rule leads to it; add one" in notes


def test_a_group_shown_by_another_expression_is_noted(shipped):
    q = copy.deepcopy(export(shipped))
    group = next(i for i in q["item"] if i["linkId"] == outcome_link("proceed"))
    group["extension"][0]["valueExpression"]["expression"] = "%noneChecked"
    again, notes = imported(q)
    assert again.rules == shipped.rules  # the rules still come from %outcomeCode
    assert (
        "item 'screening.outcome.proceed': its enableWhenExpression is not "
        "`'proceed' in %outcomeCode`" in notes
    )


def legacy(q: dict, screening: ScreeningFile) -> dict:
    """The export as it was before the SDC rules: enableWhen, questionnaire-constraint."""
    old = copy.deepcopy(q)
    del old["meta"], old["extension"]
    system = outcome_system(screening.meta.id)
    when = {
        "urgent": [{"question": "bladder_bowel", "operator": "=", "answerBoolean": True}],
        "see_doctor": [
            {
                "question": OUTCOME_LINK,
                "operator": "=",
                "answerCoding": {"system": system, "code": "see_doctor"},
            }  # fmt: skip
        ],
        "proceed": [{"question": "screening.none", "operator": "=", "answerBoolean": True}],
    }
    for item in old["item"]:
        if item["linkId"] == QUESTION_LINK:
            for ext in item["extension"]:
                ext["url"] = OLD_CONSTRAINT_URL
                ext["extension"][2] = {"url": "expression", "valueString": "item.exists()"}
        elif item["linkId"] == OUTCOME_LINK:
            del item["extension"]
        else:
            outcome_id = item["linkId"].rsplit(".", 1)[1]
            item["extension"] = [
                e for e in item["extension"] if e["url"] != ENABLE_WHEN_EXPRESSION_URL
            ]
            item["enableWhen"] = when[outcome_id]
    return old


def test_an_export_from_before_the_sdc_rules_still_imports(shipped):
    result = import_questionnaire(legacy(export(shipped), shipped), today=DATE)
    notes = "\n".join(result.notes)
    data = result.files["en"]
    assert data["prompts"] == {
        "nothing_chosen": shipped.prompts.nothing_chosen,
        "contradiction": shipped.prompts.contradiction,
    }
    assert data["rules"] == [
        {"id": "urgent_any_of", "when": {"any_of": ["bladder_bowel"]}, "outcome": "urgent"},
        {"id": "proceed_none", "when": {"none_of_these": True}, "outcome": "proceed"},
    ]
    assert "outcome 'see_doctor': condition on 'screening.outcome'" in notes
    assert "write this outcome's rules by hand" in notes
    assert "not kept" not in notes
