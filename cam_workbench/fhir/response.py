"""A patient's answers as a FHIR ``QuestionnaireResponse`` (a JSON-ready dict; R4 and R5).

No name, identifier or subject: the patient downloads it from the page; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.rules import Answers, Decision
from cam_workbench.fhir.constants import (
    CANONICAL_BASE,
    NONE_LINK,
    OUTCOME_LINK,
    QUESTION_LINK,
    canonical,
    cleared_link,
    outcome_link,
    outcome_system,
)
from cam_workbench.logic.answers import answer_map
from cam_workbench.logic.screening import evaluate


def utc_instant(moment: dt.datetime) -> str:
    """``moment`` as a FHIR instant in UTC, to the second (``2026-01-06T09:30:00Z``)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the time must carry a time zone, e.g. datetime.now(datetime.UTC)")
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def questionnaire_response(
    screening: ScreeningFile,
    answers: Answers,
    decision: Decision,
    authored: dt.datetime,
    *,
    cleared: bool = False,
    base_url: str = CANONICAL_BASE,
) -> dict[str, Any]:
    """Build a patient's answers as a completed FHIR QuestionnaireResponse (a JSON-ready dict).

    Holds the answers by linkId (``valueBoolean``), the outcome (``valueCoding``) and, when
    ``cleared``, the patient's "my doctor has cleared me". No name, identifier or subject.
    Works for R4 and R5 alike.

    Raises:
        ValueError: ``authored`` has no time zone, ``decision`` is not what the answers give,
            or ``cleared`` for an outcome that has no clearance.
        AnswerError: the answers are incomplete or contradictory.

    """
    when = utc_instant(authored)
    if evaluate(screening, answers).outcome.id != decision.outcome.id:
        raise ValueError(f"decision {decision.outcome.id!r} is not what these answers give")
    outcome = decision.outcome
    if cleared and not (outcome.gate and not outcome.stop and outcome.cleared_label):
        raise ValueError(f"outcome {outcome.id!r} has no clearance to confirm")
    flags = answer_map(screening, answers)
    children = [
        {"linkId": item.id, "text": item.text, "answer": [{"valueBoolean": flags[item.id]}]}
        for item in screening.items
    ]
    children.append(
        {
            "linkId": NONE_LINK,
            "text": screening.none_option.text,
            "answer": [{"valueBoolean": answers.none_of_these}],
        }
    )
    result: dict[str, Any] = {"linkId": OUTCOME_LINK}
    if screening.result_label is not None:
        result["text"] = screening.result_label
    result["answer"] = [
        {
            "valueCoding": {
                "system": outcome_system(screening.meta.id, base_url),
                "code": outcome.id,
                "display": outcome.heading,
            }
        }
    ]
    items: list[dict[str, Any]] = [
        {"linkId": QUESTION_LINK, "text": screening.question, "item": children},
        result,
    ]
    if cleared:
        items.append(
            {
                "linkId": outcome_link(outcome.id),
                "text": outcome.heading,
                "item": [
                    {
                        "linkId": cleared_link(outcome.id),
                        "text": outcome.cleared_label,
                        "answer": [{"valueBoolean": True}],
                    }
                ],
            }
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "language": screening.meta.language,
        "questionnaire": canonical(screening, base_url),
        "status": "completed",
        "authored": when,
        "item": items,
    }
