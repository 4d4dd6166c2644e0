"""FHIR export, response and import: valid per fhir.resources AND per our own checks."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from fhir.resources.questionnaire import Questionnaire as QuestionnaireR5
from fhir.resources.questionnaireresponse import (
    QuestionnaireResponse as QuestionnaireResponseR5,
)
from fhir.resources.R4B.questionnaire import Questionnaire as QuestionnaireR4
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as QuestionnaireResponseR4,
)
from fhir_checks import _enabled_in, check_questionnaire, check_response, walk_items
from helpers import CONTENT, edit, sign_off

from cam_workbench.cli import main
from cam_workbench.content.loading import load_file
from cam_workbench.content.model import ScreeningFile, Status
from cam_workbench.content.problems import ProblemCode
from cam_workbench.content.rules import Answers, all_answer_sets
from cam_workbench.fhir.constants import (
    ENABLE_WHEN_EXPRESSION_URL,
    HINT_LINK,
    NONE_LINK,
    OUTCOME_LINK,
    QUESTION_LINK,
    TRANSLATION_URL,
    WAY_ON_URL,
    cleared_link,
    outcome_link,
)
from cam_workbench.fhir.importer import (
    PLACEHOLDER,
    ImportProblem,
    import_questionnaire,
    screening_yaml,
)
from cam_workbench.fhir.questionnaire import ReviewDates, questionnaire
from cam_workbench.fhir.response import questionnaire_response
from cam_workbench.logic.screening import AnswerError, WayOn, evaluate, way_on

DATE = dt.date(2026, 5, 1)
AUTHORED = dt.datetime(2026, 5, 1, 14, 30, tzinfo=dt.UTC)
MODELS = {"R4": QuestionnaireR4, "R5": QuestionnaireR5}
RESPONSE_MODELS = {"R4": QuestionnaireResponseR4, "R5": QuestionnaireResponseR5}
VERSIONS = ["R4", "R5"]


@pytest.fixture(scope="module")
def screening(content) -> ScreeningFile:
    return content.screening()


def valid(resource: dict, version: str) -> dict:
    """Assert the Questionnaire passes fhir.resources and our checks; return it."""
    MODELS[version].model_validate(resource)
    assert check_questionnaire(resource, version) == []
    return resource


def export(screening, version="R4", **kwargs) -> dict:
    return valid(
        questionnaire(screening, date=DATE, fhir_version=version, **kwargs).resource, version
    )


def by_link(resource: dict) -> dict[str, dict]:
    return {item["linkId"]: item for item in walk_items(resource["item"])}


# --- Questionnaire ---------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_export_is_valid_and_has_the_metadata(screening, version):
    q = export(screening, version)
    assert q["url"] == "https://example.org/fhir/Questionnaire/back-pain-screening"
    assert q["version"] == screening.meta.version
    assert q["status"] == "draft"
    assert q["date"] == "2026-05-01"
    assert q["publisher"] == "CAM workbench"
    assert q["title"] == screening.meta.title
    assert q["language"] == "en"
    assert "approvalDate" not in q and "lastReviewDate" not in q  # never reviewed yet
    assert ("versionAlgorithmCoding" in q) == (version == "R5")


@pytest.mark.parametrize("version", VERSIONS)
def test_one_boolean_per_red_flag_with_its_id_as_linkid_then_none(screening, version):
    q = export(screening, version)
    group = q["item"][0]
    assert group["linkId"] == QUESTION_LINK and group["text"] == screening.question
    children = group["item"]
    assert children[0] == {"linkId": HINT_LINK, "text": screening.hint, "type": "display"}
    flags = children[1:-1]
    assert [(i["linkId"], i["text"], i["type"]) for i in flags] == [
        (item.id, item.text, "boolean") for item in screening.items
    ]
    assert children[-1] == {
        "linkId": NONE_LINK,
        "text": screening.none_option.text,
        "type": "boolean",
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_outcomes_are_a_read_only_coded_item_and_one_group_each(screening, version):
    q = export(screening, version)
    items = by_link(q)
    result = items[OUTCOME_LINK]
    assert result["readOnly"] is True
    assert result["type"] == {"R4": "choice", "R5": "coding"}[version]
    codes = [o["valueCoding"]["code"] for o in result["answerOption"]]
    assert codes == [o.id for o in screening.outcomes]
    tiers = [o["extension"][0]["valueDecimal"] for o in result["answerOption"]]
    assert tiers == [o.tier for o in screening.outcomes]
    for outcome in screening.outcomes:
        group = items[outcome_link(outcome.id)]
        assert group["text"] == outcome.heading
        assert (cleared_link(outcome.id) in items) == (way_on(outcome) is WayOn.clearance)
        assert group["extension"][1] == {"url": WAY_ON_URL, "valueCode": way_on(outcome).value}
        assert f"{outcome_link(outcome.id)}.if_worse" in items


def test_the_urgent_outcome_is_exported_with_no_way_on(screening):
    items = by_link(export(screening))
    group = items[outcome_link("urgent")]
    assert group["extension"] == [
        {
            "url": ENABLE_WHEN_EXPRESSION_URL,
            "valueExpression": {
                "language": "text/fhirpath",
                "expression": "'urgent' in %outcomeCode",
            },
        },
        {"url": WAY_ON_URL, "valueCode": "stop"},
    ]
    assert "enableWhen" not in group
    assert cleared_link("urgent") not in items
    urgent = next(o for o in screening.outcomes if o.id == "urgent")
    assert items[f"{outcome_link('urgent')}.if_worse"]["text"] == urgent.if_worse


@pytest.mark.parametrize(
    "status, fhir_status", [("draft", "draft"), ("approved", "active"), ("retired", "retired")]
)
def test_status_maps_to_publication_status(screening, status, fhir_status):
    meta = screening.meta.model_copy(update={"status": Status(status)})
    assert export(screening.model_copy(update={"meta": meta}))["status"] == fhir_status


def test_review_dates_come_from_sign_off_data_or_meta(screening):
    reviewed = screening.model_copy(
        update={"meta": screening.meta.model_copy(update={"last_reviewed": dt.date(2026, 3, 2)})}
    )
    assert export(reviewed)["lastReviewDate"] == "2026-03-02"
    signed = ReviewDates(approval_date=dt.date(2026, 4, 1), last_review_date=dt.date(2026, 4, 1))
    q = export(screening, review=signed)
    assert (q["approvalDate"], q["lastReviewDate"]) == ("2026-04-01", "2026-04-01")


def test_export_command_takes_approval_dates_from_the_sign_off(content_copy, reviewer_keys, capsys):
    sign_off(content_copy, reviewer_keys)
    capsys.readouterr()
    assert main(["export", "fhir", "--content", str(content_copy), "--date", "2026-05-01"]) == 0
    q = json.loads(capsys.readouterr().out)
    today = dt.date.today().isoformat()
    assert q["approvalDate"] == today and q["lastReviewDate"] == today
    # changed since approval: the approval no longer applies, and a note says so
    edit(content_copy / "en" / "screening.yaml", "Check each one", "Please check each one")
    assert main(["export", "fhir", "--content", str(content_copy)]) == 0
    out = capsys.readouterr()
    assert "approvalDate" not in json.loads(out.out)
    assert "has changed since" in out.err


def test_the_cleared_message_shows_once_the_patient_says_so(screening):
    """Plain enableWhen where it is exact: the cleared message, on the "cleared" box."""
    q = export(screening)
    items = by_link(q)
    shown = items["screening.outcome.see_doctor.cleared_message.1"]
    assert shown["enableWhen"] == [
        {"question": cleared_link("see_doctor"), "operator": "=", "answerBoolean": True}
    ]
    assert _enabled_in(shown, items, {cleared_link("see_doctor"): [True]})
    assert not _enabled_in(shown, items, {cleared_link("see_doctor"): [False]})
    assert not _enabled_in(shown, items, {})


def spanish_of(element: dict, name: str = "text") -> str | None:
    """The Spanish text of ``element[name]``, from its translation extension (None if none)."""
    for ext in element.get(f"_{name}", {}).get("extension", []):
        assert ext["url"] == TRANSLATION_URL
        parts = {p["url"]: p for p in ext["extension"]}
        if parts["lang"]["valueCode"] == "es":
            return parts["content"]["valueString"]
    return None


def test_spanish_travels_as_translation_extensions(content):
    en, es = content.screening("en"), content.screening("es")
    result = questionnaire(en, date=DATE, translations=[es])
    for version in VERSIONS:
        valid(
            questionnaire(en, date=DATE, translations=[es], fhir_version=version).resource, version
        )
    q = result.resource
    items = by_link(q)
    assert spanish_of(q, "title") == es.meta.title
    assert spanish_of(items[QUESTION_LINK]) == es.question
    assert spanish_of(items[HINT_LINK]) == es.hint
    for en_item, es_item in zip(en.items, es.items, strict=True):
        assert spanish_of(items[en_item.id]) == es_item.text
    assert spanish_of(items[NONE_LINK]) == es.none_option.text
    assert spanish_of(items[outcome_link("see_doctor")]) == "Hable primero con su médico"
    assert spanish_of(items[OUTCOME_LINK]) == "Su resultado"


def test_a_translation_the_same_as_the_source_travels_not(content):
    en, es = content.screening("en"), content.screening("es")
    untranslated = es.items[0].model_copy(update={"text": en.items[0].text})
    same = es.model_copy(update={"items": [untranslated, *es.items[1:]]})
    items = by_link(questionnaire(en, date=DATE, translations=[same]).resource)
    assert spanish_of(items[en.items[0].id]) is None  # still the English text: no extension
    assert spanish_of(items[en.items[1].id]) == es.items[1].text


def test_a_translation_that_does_not_line_up_is_noted(content):
    en, es = content.screening("en"), content.screening("es")
    fewer = es.model_copy(update={"items": es.items[:-1]})
    notes = questionnaire(en, date=DATE, translations=[fewer]).notes
    assert any("no translation for" in n and "item.cancer_weight" in n for n in notes)


# --- QuestionnaireResponse -------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_a_response_for_every_answer_set_is_valid(screening, version):
    q = export(screening, version)
    for answers in all_answer_sets(screening):
        decision = evaluate(screening, answers)
        qr = questionnaire_response(screening, answers, decision, AUTHORED)
        RESPONSE_MODELS[version].model_validate(qr)
        assert check_response(qr, q, version) == [], answers.describe()
        assert qr["status"] == "completed"
        assert qr["questionnaire"] == f"{q['url']}|{q['version']}"
        assert qr["authored"] == "2026-05-01T14:30:00Z"
        result = next(i for i in qr["item"] if i["linkId"] == OUTCOME_LINK)
        assert result["answer"][0]["valueCoding"]["code"] == decision.outcome.id


def test_a_response_answers_every_item_by_link_id(screening):
    answers = Answers.of(["leg_symptoms", "cancer_weight"])
    qr = questionnaire_response(screening, answers, evaluate(screening, answers), AUTHORED)
    values = {i["linkId"]: i["answer"][0]["valueBoolean"] for i in qr["item"][0]["item"]}
    assert values == {
        "leg_symptoms": True,
        "bladder_bowel": False,
        "fever_nausea": False,
        "cancer_weight": True,
        NONE_LINK: False,
    }
    for key in ("subject", "author", "source", "identifier"):
        assert key not in qr


def test_a_cleared_patient_is_in_the_response(screening):
    q = export(screening)
    answers = Answers.of(["fever_nausea"])
    qr = questionnaire_response(
        screening, answers, evaluate(screening, answers), AUTHORED, cleared=True
    )
    assert check_response(qr, q) == []
    see_doctor = next(o for o in screening.outcomes if o.id == "see_doctor")
    assert see_doctor.cleared_label.startswith("I have talked with my doctor")
    assert qr["item"][-1]["item"][0] == {
        "linkId": cleared_link("see_doctor"),
        "text": see_doctor.cleared_label,
        "answer": [{"valueBoolean": True}],
    }


def test_the_urgent_outcome_cannot_be_cleared(screening):
    answers = Answers.of(["bladder_bowel"])
    with pytest.raises(ValueError, match="no clearance"):
        questionnaire_response(
            screening, answers, evaluate(screening, answers), AUTHORED, cleared=True
        )


def test_response_refuses_what_would_be_wrong(screening):
    flagged = Answers.of(["leg_symptoms"])
    none = Answers(none_of_these=True)
    decision = evaluate(screening, flagged)
    with pytest.raises(ValueError, match="time zone"):
        questionnaire_response(screening, flagged, decision, dt.datetime(2026, 5, 1, 12))
    with pytest.raises(ValueError, match="not what these answers give"):
        questionnaire_response(screening, none, decision, AUTHORED)
    with pytest.raises(ValueError, match="no clearance"):
        questionnaire_response(screening, none, evaluate(screening, none), AUTHORED, cleared=True)
    with pytest.raises(AnswerError):
        questionnaire_response(screening, Answers(), decision, AUTHORED)


def test_response_time_is_utc(screening):
    answers = Answers(none_of_these=True)
    later = dt.datetime(2026, 5, 1, 9, 0, 30, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    qr = questionnaire_response(screening, answers, evaluate(screening, answers), later)
    assert qr["authored"] == "2026-05-01T14:00:30Z"


# --- our own checks catch what fhir.resources lets through ------------------------------


def _broken(screening, change) -> list[str]:
    q = copy.deepcopy(export(screening))
    change(q)
    QuestionnaireR4.model_validate(q)  # the library is fine with it ...
    return check_questionnaire(q, "R4")  # ... our checks are not


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda q: q["item"][0]["item"][2].update(linkId="leg_symptoms"), "used more than once"),
        (lambda q: q["item"][0]["item"][0].update(required=True), "display item cannot have"),
        (lambda q: q.update(status="final"), "status 'final'"),
        (lambda q: CLEARED_MESSAGE(q)["enableWhen"][0].update(question="leg"), "linkId 'leg'"),
        (lambda q: q["item"][1].update(type="coding"), "not a R4 item type"),
        (lambda q: CLEARED_MESSAGE(q)["enableWhen"].append(CONDITION), "need an enableBehavior"),
        (lambda q: CLEARED_MESSAGE(q)["enableWhen"][0].update(operator="=="), "operator '=='"),
        (lambda q: q.update(name="back pain"), "computable name"),
        (lambda q: q["item"][3]["item"].clear(), "must have nested items"),
        (lambda q: q["item"][2].update(enableWhen=[CONDITION]), "(sdc-behave-2)"),
        (lambda q: q["extension"].append(q["extension"][0]), "defined twice"),
        (lambda q: q["extension"][0]["valueExpression"].pop("name"), "not letters and digits"),
        (lambda q: q["extension"][0]["valueExpression"].update(name="a-b"), "not letters"),
        (lambda q: q["extension"][0]["valueExpression"].update(name="context"), "hides %context"),
        (lambda q: q["item"][1].update(initial=[{"valueString": "x"}]), "initial value"),
        (lambda q: q["item"][1]["extension"].append(q["item"][1]["extension"][0]), "more than"),
        (
            lambda q: q["item"][1]["extension"][0]["valueExpression"].update(language="text/cql"),
            "is not text/fhirpath",
        ),  # fmt: skip
        (
            lambda q: q["item"][0]["extension"][0]["extension"][2].update(
                valueExpression={"name": "x", "language": "text/fhirpath", "expression": "true"}
            ),
            "must have no name",
        ),  # fmt: skip
        (lambda q: q["item"][0]["extension"][0].update(url=OLD_CONSTRAINT), "deprecated"),
        (lambda q: q.pop("meta"), "meta.profile does not name"),
    ],
    ids=[
        "duplicate-linkid",
        "required-display",
        "status",
        "enablewhen-target",
        "r5-type-in-r4",
        "behavior",
        "operator",
        "name",
        "empty-group",
        "enablewhen-beside-expression",
        "variable-twice",
        "variable-without-name",
        "variable-name-not-fhirpath",
        "variable-reserved-name",
        "calculated-with-initial",
        "two-calculated",
        "not-fhirpath",
        "named-constraint-expression",
        "deprecated-constraint",
        "no-sdc-profile",
    ],
)
def test_our_checks_catch_what_the_library_does_not(screening, change, expected):
    problems = _broken(screening, change)
    assert any(expected in p for p in problems), problems


OLD_CONSTRAINT = "http://hl7.org/fhir/StructureDefinition/questionnaire-constraint"
CONDITION = {"question": "bladder_bowel", "operator": "=", "answerBoolean": True}


def CLEARED_MESSAGE(q: dict) -> dict:  # noqa: N802 (reads like the item it names)
    """The see_doctor group's first cleared message (it has a plain enableWhen)."""
    return by_link(q)["screening.outcome.see_doctor.cleared_message.1"]


def test_response_checks_catch_wrong_answers(screening):
    q = export(screening)
    answers = Answers(none_of_these=True)
    good = questionnaire_response(screening, answers, evaluate(screening, answers), AUTHORED)
    wrong_type = copy.deepcopy(good)
    wrong_type["item"][0]["item"][0]["answer"] = [{"valueString": "no"}]
    unknown = copy.deepcopy(good)
    unknown["item"][0]["item"][0]["linkId"] = "legs"
    disabled = copy.deepcopy(good)
    disabled["item"].append(
        {
            "linkId": outcome_link("see_doctor"),
            "item": [{"linkId": cleared_link("see_doctor"), "answer": [{"valueBoolean": True}]}],
        }
    )
    bad_code = copy.deepcopy(good)
    bad_code["item"][1]["answer"][0]["valueCoding"]["code"] = "maybe"
    wrong_outcome = copy.deepcopy(good)  # "none of these", but "see your doctor" stored
    wrong_outcome["item"][1]["answer"][0]["valueCoding"]["code"] = "see_doctor"
    for broken, expected in [
        (wrong_outcome, "but it is calculated"),
        (wrong_type, "valueString does not fit a boolean"),
        (unknown, "'legs' is not in the questionnaire"),
        (disabled, "is not enabled"),
        (bad_code, "'maybe' is not an option"),
        ({**good, "status": "done"}, "status 'done'"),
        ({**good, "subject": {"display": "A"}}, "would identify the patient"),
        ({**good, "questionnaire": q["url"]}, "expected"),
    ]:
        problems = check_response(broken, q)
        assert any(expected in p for p in problems), (expected, problems)


# --- import ----------------------------------------------------------------------------


def _reload(data: dict, tmp_path: Path, name: str) -> ScreeningFile:
    path = tmp_path / name / "screening.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(screening_yaml(data), encoding="utf-8")
    loaded, problems = load_file(path, str(path))
    assert problems == [], [str(p) for p in problems]
    return loaded.model


def _placeholders_reported(data: dict, tmp_path: Path) -> list:
    """Write an imported screening; return the placeholder problems loading it reports."""
    path = tmp_path / "imported" / "screening.yaml"
    path.parent.mkdir(parents=True)
    text = screening_yaml(data)
    path.write_text(text, encoding="utf-8")
    loaded, problems = load_file(path, str(path))
    assert loaded is None, "a screening with placeholders must not load"
    assert {p.code for p in problems} == {ProblemCode.placeholder_text}, [str(p) for p in problems]
    lines = text.splitlines()
    for found in problems:
        assert "TODO" in lines[found.line - 1], found
    return problems


@pytest.mark.parametrize("version", VERSIONS)
def test_round_trip_export_import_export_is_stable(screening, tmp_path, version):
    """The shipped screening, urgent tier included: the rules come back from the FHIRPath."""
    first = export(screening, version)
    result = import_questionnaire(first, today=DATE)
    again = _reload(result.files["en"], tmp_path, "en")
    assert export(again, version) == first
    # the screening itself survives, apart from what FHIR has no place for
    assert again.items == [
        i.model_copy(update={"sources": ["imported-fhir"]}) for i in screening.items
    ]
    assert [(o.id, o.tier, o.heading, o.message, o.if_worse, o.gate) for o in again.outcomes] == [
        (o.id, o.tier, o.heading, o.message, o.if_worse, o.gate) for o in screening.outcomes
    ]
    assert again.prompts == screening.prompts
    assert again.rules == screening.rules  # ids, conditions, outcomes and order
    for decided in all_answer_sets(screening):
        assert evaluate(again, decided).outcome.id == evaluate(screening, decided).outcome.id


def test_round_trip_keeps_translations(content, screening, tmp_path):
    en, es = screening, content.screening("es")
    first = questionnaire(en, date=DATE, translations=[es]).resource
    result = import_questionnaire(first, today=DATE)
    assert set(result.files) == {"en", "es"}
    en2 = _reload(result.files["en"], tmp_path, "en")
    es2 = _reload(result.files["es"], tmp_path, "es")
    assert es2.question == es.question and es2.meta.language == "es"
    assert questionnaire(en2, date=DATE, translations=[es2]).resource == first


def test_round_trip_with_tiers_and_review_dates(screening, tmp_path):
    review = ReviewDates(dt.date(2026, 4, 1), dt.date(2026, 4, 2))
    first = export(screening, review=review)
    result = import_questionnaire(first, today=DATE)
    assert any("approvalDate 2026-04-01 not kept" in n for n in result.notes)
    again = _reload(result.files["en"], tmp_path, "en")
    assert again.meta.last_reviewed == dt.date(2026, 4, 2)
    assert export(again, review=review) == first


FOREIGN = {
    "resourceType": "Questionnaire",
    "id": "LowBackPain.Intake",
    "url": "http://tools.example.org/Questionnaire/lbp",
    "version": "2",
    "status": "active",
    "title": "Low back pain intake",
    "description": "From another tool",
    "item": [
        {"linkId": "intro", "type": "display", "text": "Answer each question."},
        {"linkId": "Fever", "type": "boolean", "text": "Do you have a fever?", "required": True},
        {
            "linkId": "saddle",
            "type": "choice",
            "text": "Numbness in the saddle area?",
            "answerOption": [{"valueCoding": {"code": "Y"}}, {"valueCoding": {"code": "N"}}],
        },
        {
            "linkId": "history",
            "type": "choice",
            "repeats": True,
            "text": "Have you had any of these?",
            "answerOption": [
                {"valueCoding": {"code": "cancer", "display": "Cancer"}},
                {"valueCoding": {"code": "trauma", "display": "A bad fall or accident"}},
                {
                    "valueCoding": {"code": "none-of-the-above", "display": "None of these"},
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive",
                            "valueBoolean": True,
                        }
                    ],
                },
            ],
        },
        {"linkId": "pain", "type": "integer", "text": "Pain score 0-10"},
        {
            "linkId": "side",
            "type": "choice",
            "text": "Which side?",
            "answerOption": [
                {"valueString": "left"},
                {"valueString": "right"},
                {"valueString": "both"},
            ],
        },
        {
            "linkId": "weight",
            "type": "boolean",
            "text": "Weight loss?",
            "enableWhen": [{"question": "Fever", "operator": "=", "answerBoolean": True}],
        },
    ],
}


def test_import_of_another_tools_questionnaire_reports_what_it_cannot_keep(tmp_path):
    result = import_questionnaire(FOREIGN, today=DATE)
    data = result.files["en"]
    assert [i["id"] for i in data["items"]] == ["fever", "saddle", "cancer", "trauma", "weight"]
    see_doctor = next(o for o in data["outcomes"] if o["id"] == "see_doctor")
    assert see_doctor["gate"] is True, "the default rule never lets a flag straight through"
    assert see_doctor["cleared_label"] == PLACEHOLDER
    assert data["none_option"]["text"] == "None of these"
    assert data["hint"] == "Answer each question."
    assert data["question"] == "Have you had any of these?"
    notes = "\n".join(result.notes)
    for expected in [
        "item 'pain': type 'integer' cannot be a screening item",
        "item 'side': a single choice among 3 options",
        "item 'weight': shown only under a condition",
        "item 'Fever': not kept: required",
        "questionnaire: not kept: description",
        "version '2' is not like 1.0.0",
        "url http://tools.example.org/Questionnaire/lbp not kept",
        "the questionnaire has no outcomes",
        "prompt nothing_chosen: not in the questionnaire",
        "meta.id written as 'lowbackpain-intake'",
    ]:
        assert expected in notes, expected
    # every placeholder is an error with its line until a reviewer writes the text
    assert data["prompts"]["contradiction"] == PLACEHOLDER
    assert len(_placeholders_reported(data, tmp_path)) >= 5
    written = _write_placeholders(data)
    screening = _reload(written, tmp_path, "en")
    assert screening.meta.status is Status.approved
    # it exports again as a valid questionnaire
    export(screening)


def _write_placeholders(data):
    """What a reviewer does after an import: write a real text wherever a placeholder is."""
    if isinstance(data, str):
        return "I wrote this text as the reviewer." if data == PLACEHOLDER else data
    if isinstance(data, dict):
        return {k: _write_placeholders(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_write_placeholders(v) for v in data]
    return data


@pytest.mark.parametrize(
    "resource, expected",
    [
        ({"resourceType": "Patient"}, "'Patient', not a FHIR Questionnaire"),
        ([1, 2], "'list', not a FHIR Questionnaire"),
        (
            {
                "resourceType": "Questionnaire",
                "status": "draft",
                "item": [{"linkId": "a", "type": "string"}],
            },
            "no yes/no or choice items",
        ),
    ],
)
def test_import_refuses_what_is_not_a_screening(resource, expected):
    with pytest.raises(ImportProblem, match=expected):
        import_questionnaire(resource, today=DATE)


# --- commands --------------------------------------------------------------------------


def test_export_command_writes_a_file_or_stdout(tmp_path, capsys, screening):
    out = tmp_path / "q.json"
    assert (
        main(["export", "fhir", "--out", str(out), "--fhir-version", "r5", "--date", "2026-05-01"])
        == 0
    )
    assert f"wrote {out}" in capsys.readouterr().out
    valid(json.loads(out.read_text(encoding="utf-8")), "R5")
    assert main(["export", "fhir"]) == 0
    q = valid(json.loads(capsys.readouterr().out), "R4")
    assert q["date"] == dt.datetime.now(dt.UTC).date().isoformat()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["export", "fhir", "--fhir-version", "R6"], "invalid choice: 'R6'"),
        (["export", "fhir", "--date", "1 May"], "YYYY-MM-DD"),
        (["export", "fhir", "--lang", "fr"], "no screening in language 'fr' — available: en, es"),
        (["export", "pdf"], "invalid choice: 'pdf'"),
        (["import", "fhir", "no-such-file.json"], "file not found"),
    ],
)
def test_export_and_import_usage_errors_exit_2(args, expected, capsys):
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_import_command_round_trip_through_files(tmp_path, capsys):
    source = tmp_path / "source"
    shutil.copytree(CONTENT, source)
    exported = tmp_path / "q.json"
    assert (
        main(
            ["export", "fhir", "--content", str(source), "--out", str(exported)]
            + ["--date", "2026-05-01"]
        )
        == 0
    )
    out = tmp_path / "imported"
    assert main(["import", "fhir", str(exported), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"wrote {out / 'en' / 'screening.yaml'}" in captured.out
    assert f"wrote {out / 'es' / 'screening.yaml'}" in captured.out
    assert "note: sources: FHIR has no citations" in captured.err
    again = tmp_path / "again.json"
    # import wrote only the screening: export it from a full folder with the other files
    for path in source.glob("*/*.yaml"):  # the shared texts, guide, ...
        target = out / path.parent.name / path.name
        if path.parent.name != "review" and path.name != "screening.yaml":
            target.write_text(path.read_text(encoding="utf-8"))
    assert (
        main(["export", "fhir", "--content", str(out), "--out", str(again), "--date", "2026-05-01"])
        == 0
    )
    assert json.loads(again.read_text()) == json.loads(exported.read_text())
    # a second import does not overwrite without --force
    with pytest.raises(SystemExit) as done:
        main(["import", "fhir", str(exported), "--out", str(out)])
    assert done.value.code == 2
    assert "--force" in capsys.readouterr().err
    assert main(["import", "fhir", str(exported), "--out", str(out), "--force"]) == 0


def test_import_command_to_stdout_and_bad_files(tmp_path, capsys):
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(FOREIGN), encoding="utf-8")
    assert main(["import", "fhir", str(path)]) == 1, "placeholders left: not publishable yet"
    captured = capsys.readouterr()
    assert captured.out.startswith("# yaml-language-server:")
    assert "note: item 'pain': type 'integer'" in captured.err
    assert "en/screening.yaml:" in captured.err and "placeholder text 'TODO'" in captured.err
    broken = tmp_path / "broken.json"
    broken.write_text("{\n  nope", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["import", "fhir", str(broken)])
    assert done.value.code == 2
    assert "broken.json:2: not valid JSON" in capsys.readouterr().err
    patient = tmp_path / "patient.json"
    patient.write_text('{"resourceType": "Patient"}', encoding="utf-8")
    assert main(["import", "fhir", str(patient)]) == 1
    assert "not a FHIR Questionnaire" in capsys.readouterr().err
