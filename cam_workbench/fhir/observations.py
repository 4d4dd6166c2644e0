"""The session tracker's pain scores as FHIR Observations, and read back from them.

One Observation per score (before or after treatment) of a session:

- ``code``: LOINC 72514-3, "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
  with the content's label of the field as its text; ``category`` ``survey`` (the patient
  reports it); ``status`` ``final``.
- ``valueInteger`` 0-10. The numeric rating scale is whole numbers without a unit; an
  integer says exactly that, where a ``Quantity`` (UCUM ``{score}``, an annotation meaning
  "no unit") would also admit 7.5 or a comparator such as ``<3``, which mean nothing on
  this scale.
- ``effectiveDateTime``: the session's date (date precision), only when the patient gave it.
- ``note``: the patient's note, on the session's first Observation (before treatment, else
  after).
- Our extensions ``tracker-session`` (the session's number) and ``tracker-timing``
  (``before-treatment`` / ``after-treatment``): FHIR has no element for either, and they let
  the page read its own file back (:func:`sessions_from_health_record`).
- No ``subject``, ``performer`` or ``identifier``: the patient's own copy.

They go in the health-record download's ``collection`` Bundle beside the
``QuestionnaireResponse`` (:mod:`cam_workbench.fhir.bundle`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from cam_workbench.content.model import TrackerFile
from cam_workbench.fhir.constants import (
    PAIN_SEVERITY,
    SURVEY_CATEGORY,
    TIMING_CODES,
    TRACKER_SESSION_URL,
    TRACKER_TIMING_URL,
)
from cam_workbench.logic.tracker import Session
from cam_workbench.logic.tracker_saved import (
    Limits,
    SavedCopyError,
    SavedProblem,
    checked_sessions,
    date_value,
    note_value,
    score_value,
    session_number,
)

_WHICH: Final = {code: which for which, code in TIMING_CODES.items()}


def pain_observation(
    tracker: TrackerFile, session: Session, which: str, with_note: bool
) -> dict[str, Any]:
    """One score of a session (``which``: ``before`` or ``after``) as an Observation."""
    score = getattr(session, which)
    if score is None:
        raise ValueError(f"session {session.number} has no score {which} treatment")
    label = tracker.labels.before if which == "before" else tracker.labels.after
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "language": tracker.meta.language,
        "extension": [
            {"url": TRACKER_SESSION_URL, "valuePositiveInt": session.number},
            {"url": TRACKER_TIMING_URL, "valueCode": TIMING_CODES[which]},
        ],
        "status": "final",
        "category": [{"coding": [dict(SURVEY_CATEGORY)]}],
        "code": {"coding": [dict(PAIN_SEVERITY)], "text": label},
    }
    if session.date is not None:
        observation["effectiveDateTime"] = session.date.isoformat()
    observation["valueInteger"] = score
    if with_note and session.note:
        observation["note"] = [{"text": session.note}]
    return observation


def pain_observations(tracker: TrackerFile, sessions: Iterable[Session]) -> list[dict[str, Any]]:
    """Every pain score of ``sessions`` as an Observation, by session, before then after."""
    found = []
    for session in sessions:
        scored = [w for w in ("before", "after") if getattr(session, w) is not None]
        for index, which in enumerate(scored):
            found.append(pain_observation(tracker, session, which, with_note=index == 0))
    return found


# --- reading the patient's file back ------------------------------------------------------------


def _is_pain_score(resource: Mapping[str, Any]) -> bool:
    """An Observation coded LOINC 72514-3 (whatever else it holds)."""
    if resource.get("resourceType") != "Observation":
        return False
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    return isinstance(codings, list) and any(
        isinstance(c, dict)
        and c.get("system") == PAIN_SEVERITY["system"]
        and c.get("code") == PAIN_SEVERITY["code"]
        for c in codings
    )


def _extension(resource: Mapping[str, Any], url: str, key: str) -> Any:
    """The value of the one extension with ``url``; ``ValueError`` if absent or repeated."""
    extensions = resource.get("extension")
    found = [
        e
        for e in (extensions if isinstance(extensions, list) else [])
        if isinstance(e, dict) and e.get("url") == url
    ]
    if len(found) != 1 or set(found[0]) != {"url", key}:
        raise ValueError(f"needs exactly one {url} extension")
    return found[0][key]


def _note(resource: Mapping[str, Any], limits: Limits) -> str:
    notes = resource.get("note")
    if notes is None:
        return ""
    if not isinstance(notes, list) or len(notes) != 1 or not isinstance(notes[0], dict):
        raise ValueError("one note at most")
    return note_value(notes[0].get("text"), limits)


def _score(resource: Mapping[str, Any], limits: Limits) -> tuple[int, str, int, Any, str]:
    """(session, before|after, score, date, note) of one pain-score Observation."""
    number = session_number(_extension(resource, TRACKER_SESSION_URL, "valuePositiveInt"), limits)
    try:
        which = _WHICH[_extension(resource, TRACKER_TIMING_URL, "valueCode")]
        if resource.get("status") != "final" or "valueInteger" not in resource:
            raise ValueError("a final score with valueInteger")
        score = score_value(resource["valueInteger"])
        if score is None:
            raise ValueError("no score")
        date = date_value(resource.get("effectiveDateTime"))
        note = _note(resource, limits)
    except (ValueError, KeyError, TypeError):
        raise SavedCopyError(SavedProblem.bad_session, session=number) from None
    return number, which, score, date, note


def sessions_from_health_record(document: Any, limits: Limits) -> tuple[Session, ...]:
    """The sessions in the patient's health-record file (a Bundle written by this page).

    Only the pain-score Observations are read; the answers to the safety check are not (they
    belong to today's check, which the patient does again).

    Raises:
        SavedCopyError: ``unreadable`` (not a Bundle, an entry that is not an object, a pain
            score without our session number), ``bad_session`` (a value a patient could not
            have typed, a score given twice, two different notes or dates for a session),
            ``no_sessions`` (no pain score in it).
    """
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise SavedCopyError(SavedProblem.unreadable)
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        raise SavedCopyError(SavedProblem.unreadable)
    sessions: dict[int, dict[str, Any]] = {}
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise SavedCopyError(SavedProblem.unreadable)
        if not _is_pain_score(resource):
            continue
        try:
            number, which, score, date, note = _score(resource, limits)
        except ValueError as exc:
            if isinstance(exc, SavedCopyError):
                raise
            raise SavedCopyError(SavedProblem.unreadable) from None
        held = sessions.setdefault(number, {"date": date, "note": ""})
        if which in held or held["date"] != date or (note and held["note"]):
            raise SavedCopyError(SavedProblem.bad_session, session=number)
        held[which] = score
        held["note"] = held["note"] or note
    if not sessions:
        raise SavedCopyError(SavedProblem.no_sessions)
    if len(sessions) > limits.max_sessions:
        raise SavedCopyError(SavedProblem.unreadable)
    return checked_sessions(
        (
            Session(n, held.get("before"), held.get("after"), held["date"], held["note"])
            for n, held in sessions.items()
        ),
        limits,
    )
