"""FHIR resources gathered in one ``Bundle`` of type ``collection`` (a JSON-ready dict).

The patient's health-record download is such a Bundle: their answers (a
``QuestionnaireResponse``) and, once they track sessions, one ``Observation`` per pain
score. ``collection`` rather than ``document``: a document needs a ``Composition`` with an
author and a subject, and this file has neither on purpose (it is the patient's own copy,
without a name or an identifier; the doctor's system files it under the patient).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from cam_workbench.fhir.response import utc_instant


def collection_bundle(
    resources: Sequence[dict[str, Any]],
    timestamp: dt.datetime,
    ids: Sequence[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """A ``collection`` Bundle of ``resources``, each entry named by a ``urn:uuid:``.

    ``ids`` (one per resource) make the entries' names predictable (tests); by default each
    is random. ``timestamp`` must carry a time zone (it is written in UTC).
    """
    if ids is not None and len(ids) != len(resources):
        raise ValueError("give one id per resource")
    names = ids if ids is not None else [uuid.uuid4() for _ in resources]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": utc_instant(timestamp),
        "entry": [
            {"fullUrl": f"urn:uuid:{name}", "resource": resource}
            for name, resource in zip(names, resources, strict=True)
        ],
    }
