"""The tracker's pain scores as FHIR Observations in the health-record Bundle, and back."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

import pytest
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.observation import Observation as ObservationR5
from fhir.resources.R4B.bundle import Bundle as BundleR4B
from fhir.resources.R4B.observation import Observation as ObservationR4B

from cam_workbench.content.model import TrackerFile
from cam_workbench.content.rules import Answers
from cam_workbench.fhir.bundle import collection_bundle
from cam_workbench.fhir.constants import TRACKER_SESSION_URL, TRACKER_TIMING_URL
from cam_workbench.fhir.observations import pain_observations, sessions_from_health_record
from cam_workbench.fhir.response import questionnaire_response
from cam_workbench.logic.screening import evaluate
from cam_workbench.logic.tracker import Session
from cam_workbench.logic.tracker_saved import Limits, SavedCopyError, SavedProblem

LIMITS = Limits(max_sessions=20, max_note_length=200)
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
SESSIONS = (
    Session(1, before=8, after=6, date=dt.date(2026, 1, 6), note="Stiff after the drive"),
    Session(2, before=7),
    Session(3, after=0, note="Only after"),
    Session(4, before=4, date=dt.date(2026, 2, 3)),
)


@pytest.fixture(scope="module")
def tracker(content) -> TrackerFile:
    return content.of_kind(TrackerFile, "en")[0]


@pytest.fixture(scope="module")
def bundle(content, tracker) -> dict:
    screening = content.screening()
    answers = Answers(flags=frozenset(), none_of_these=True)
    response = questionnaire_response(screening, answers, evaluate(screening, answers), NOW)
    observations = pain_observations(tracker, SESSIONS)
    ids = [uuid.UUID(int=n) for n in range(1 + len(observations))]
    return collection_bundle([response, *observations], NOW, ids)


def observations_of(bundle: dict) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]


@pytest.mark.parametrize(
    ("bundle_model", "observation_model"),
    [(BundleR4B, ObservationR4B), (BundleR5, ObservationR5)],
    ids=["R4B", "R5"],
)
def test_the_bundle_and_each_observation_validate(bundle, bundle_model, observation_model):
    parsed = bundle_model.model_validate(bundle)
    assert parsed.type == "collection" and len(parsed.entry) == 1 + 5  # answers, 5 scores
    for observation in observations_of(bundle):
        observation_model.model_validate(observation)


def test_one_observation_per_score_coded_loinc_72514_3(bundle, tracker):
    found = observations_of(bundle)
    assert [
        (o["extension"][0]["valuePositiveInt"], o["extension"][1]["valueCode"]) for o in found
    ] == [
        (1, "before-treatment"),
        (1, "after-treatment"),
        (2, "before-treatment"),
        (3, "after-treatment"),
        (4, "before-treatment"),
    ]
    first = found[0]
    assert first["code"]["coding"] == [
        {
            "system": "http://loinc.org",
            "code": "72514-3",
            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        }
    ]
    assert first["code"]["text"] == tracker.labels.before
    assert first["status"] == "final" and first["valueInteger"] == 8
    assert first["effectiveDateTime"] == "2026-01-06"
    assert first["note"] == [{"text": "Stiff after the drive"}]
    assert "note" not in found[1]  # the note once per session
    assert "effectiveDateTime" not in found[2]  # no date given: none made up
    assert found[3]["note"] == [{"text": "Only after"}]
    for observation in found:
        assert not {"subject", "identifier", "performer"} & set(
            observation
        )  # the patient's own copy


def test_the_bundle_is_a_collection_with_the_answers_first(bundle):
    assert bundle["type"] == "collection" and bundle["timestamp"] == "2026-03-02T09:30:00Z"
    assert bundle["entry"][0]["resource"]["resourceType"] == "QuestionnaireResponse"
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_the_file_reads_back_to_the_same_sessions(bundle):
    assert sessions_from_health_record(json.loads(json.dumps(bundle)), LIMITS) == SESSIONS


def edited(bundle: dict, index: int, change) -> dict:
    copied = copy.deepcopy(bundle)
    change(observations_of(copied)[index])
    return copied


def timing(code: str):
    def change(observation: dict) -> None:
        observation["extension"][1] = {"url": TRACKER_TIMING_URL, "valueCode": code}

    return change


# (which Observation: 0 = session 1 before, 1 = session 1 after; the change)
CHANGES = {
    "a score of 11": (0, lambda o: o.update(valueInteger=11)),
    "a score of 7.5": (0, lambda o: o.update(valueInteger=7.5)),
    "a score of true": (0, lambda o: o.update(valueInteger=True)),
    "no score": (0, lambda o: o.pop("valueInteger")),
    "not final": (0, lambda o: o.update(status="preliminary")),
    "a time, not a date": (0, lambda o: o.update(effectiveDateTime="2026-01-06T10:00:00Z")),
    "a note too long": (0, lambda o: o.update(note=[{"text": "x" * 201}])),
    "an unknown timing": (1, timing("during")),
    "before given twice": (1, timing("before-treatment")),
    "two dates for one session": (1, lambda o: o.update(effectiveDateTime="2026-01-07")),
    "two notes for one session": (1, lambda o: o.update(note=[{"text": "another"}])),
}


@pytest.mark.parametrize("what", CHANGES)
def test_a_changed_score_is_named_by_its_session_and_nothing_is_read(bundle, what):
    index, change = CHANGES[what]
    with pytest.raises(SavedCopyError) as refused:
        sessions_from_health_record(edited(bundle, index, change), LIMITS)
    assert (refused.value.problem, refused.value.session) == (SavedProblem.bad_session, 1)


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"resourceType": "QuestionnaireResponse"},
        {"resourceType": "Bundle", "entry": "x"},
        {"resourceType": "Bundle", "entry": [1]},
        {"resourceType": "Bundle", "entry": [{"resource": "x"}]},
    ],
)
def test_a_document_that_is_not_our_bundle_is_unreadable(document):
    with pytest.raises(SavedCopyError) as refused:
        sessions_from_health_record(document, LIMITS)
    assert refused.value.problem is SavedProblem.unreadable


def test_a_score_without_our_session_number_is_unreadable(bundle):
    changed = edited(bundle, 0, lambda o: o["extension"].pop(0))
    with pytest.raises(SavedCopyError) as refused:
        sessions_from_health_record(changed, LIMITS)
    assert refused.value.problem is SavedProblem.unreadable
    past = edited(bundle, 0, lambda o: o["extension"][0].update(valuePositiveInt=21))
    with pytest.raises(SavedCopyError):
        sessions_from_health_record(past, LIMITS)


def test_answers_without_scores_have_no_sessions(bundle):
    only_answers = {**bundle, "entry": bundle["entry"][:1]}
    with pytest.raises(SavedCopyError) as refused:
        sessions_from_health_record(only_answers, LIMITS)
    assert refused.value.problem is SavedProblem.no_sessions


def test_other_observations_are_left_out(bundle):
    other = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "valueQuantity": {"value": 72},
    }
    with_other = {**bundle, "entry": [*bundle["entry"], {"resource": other}]}
    assert sessions_from_health_record(with_other, LIMITS) == SESSIONS


def test_the_extensions_are_ours(bundle):
    urls = {e["url"] for o in observations_of(bundle) for e in o["extension"]}
    assert urls == {TRACKER_SESSION_URL, TRACKER_TIMING_URL}
    assert all(u.startswith("https://example.org/fhir/StructureDefinition/") for u in urls)
