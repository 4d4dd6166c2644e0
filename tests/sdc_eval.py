"""Runs a Questionnaire's SDC expressions on a QuestionnaireResponse with ``fhirpathpy``.

A test helper (``fhirpathpy`` is a test dependency only), also used by
``scripts/lforms_check.py``. It evaluates the ``variable``, ``calculatedExpression``,
``enableWhenExpression`` and ``targetConstraint`` extensions the way SDC says a form filler
does:

- ``%resource`` is the QuestionnaireResponse, ``%questionnaire`` the Questionnaire,
  ``%qitem`` the Questionnaire item the extension is on (not on the root), ``%context`` the
  response for the root and the response items with the item's linkId below it;
- a variable is in scope on its element and every descendant, in document order, so a
  variable can use the ones before it;
- an empty result of an ``enableWhenExpression`` means false.

fhirpathpy sets none of ``%resource``, ``%questionnaire`` and ``%qitem``: we pass them. It
needs the FHIR model (``models["r4"]``), or ``answer.value`` (a choice type) finds nothing;
``%qitem`` is passed typed as a ``Questionnaire.item`` for the same reason. A variable
nobody defined raises ``ValueError``, so a typo in an expression fails the test.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from cam_workbench.content.model import ScreeningFile
from cam_workbench.fhir.constants import (
    CALCULATED_URL,
    ENABLE_WHEN_EXPRESSION_URL,
    FHIRPATH,
    NONE_LINK,
    OUTCOME_LINK,
    QUESTION_LINK,
    TARGET_CONSTRAINT_URL,
    VARIABLE_URL,
)

MODELS = {"R4": models["r4"], "R5": models["r5"]}
#: How an unchecked box is sent: answered ``false`` (what cam-workbench writes), an item
#: with no answer, or no item at all (what LHC-Forms sends; an empty group is left out too).
UNCHECKED = ("false", "no-answer", "left-out")


@cache
def _compiled(text: str, version: str) -> Any:
    return fhirpathpy.compile(text, MODELS[version])


@dataclass
class Found:
    """What the expressions of one element gave (the root's linkId is ``""``)."""

    variables: dict[str, list[Any]] = field(default_factory=dict)
    calculated: list[Any] | None = None
    enabled: list[Any] | None = None
    constraints: dict[str, list[Any]] = field(default_factory=dict)

    def shown(self) -> bool:
        """Whether the item is enabled (no ``enableWhenExpression``: yes; empty: no)."""
        if self.enabled is None:
            return True
        assert len(self.enabled) <= 1 and all(isinstance(v, bool) for v in self.enabled)
        return bool(self.enabled) and self.enabled[0]


def response(
    screening: ScreeningFile, flags: Iterable[str], none: bool, unchecked: str = "false"
) -> dict[str, Any]:
    """A QuestionnaireResponse with these boxes checked, and no outcome yet."""
    checked = set(flags)

    def box(link: str, value: bool) -> list[dict[str, Any]]:
        if value or unchecked == "false":
            return [{"linkId": link, "answer": [{"valueBoolean": value}]}]
        return [] if unchecked == "left-out" else [{"linkId": link}]

    boxes = [entry for item in screening.items for entry in box(item.id, item.id in checked)]
    boxes += box(NONE_LINK, none)
    items = [{"linkId": QUESTION_LINK, "item": boxes}] if boxes else []
    return {"resourceType": "QuestionnaireResponse", "status": "in-progress", "item": items}


def _value(extension: dict[str, Any]) -> dict[str, Any]:
    value = extension["valueExpression"]
    assert value["language"] == FHIRPATH, value
    return value


def _response_items(items: list[dict[str, Any]], link: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items or []:
        if item.get("linkId") == link:
            found.append(item)
        found += _response_items(item.get("item") or [], link)
    return found


def run(q: dict[str, Any], qr: dict[str, Any], version: str = "R4") -> dict[str, Found]:
    """Every expression of ``q`` on ``qr``: linkId (``""`` for the root) → what it gave."""
    q = copy.deepcopy(q)  # fhirpathpy may add type information to what it reads
    qr = copy.deepcopy(qr)
    results: dict[str, Found] = {}

    def evaluate(text: str, scope: dict[str, Any], context: Any, qitem: Any) -> list[Any]:
        env = {"resource": qr, "questionnaire": q, "context": context, **scope}
        if qitem is not None:
            env["qitem"] = ResourceNode.create_node(qitem, "Questionnaire.item")
        return list(_compiled(text, version)(qr, env))

    def visit(element: dict[str, Any], link: str, scope: dict[str, Any], context: Any) -> None:
        scope = dict(scope)
        qitem = element if link else None
        found = Found()
        extensions = element.get("extension") or []
        for ext in extensions:
            if ext["url"] == VARIABLE_URL:
                name = _value(ext)["name"]
                scope[name] = evaluate(_value(ext)["expression"], scope, context, qitem)
                found.variables[name] = scope[name]
        for ext in extensions:
            if ext["url"] == CALCULATED_URL:
                found.calculated = evaluate(_value(ext)["expression"], scope, context, qitem)
            elif ext["url"] == ENABLE_WHEN_EXPRESSION_URL:
                found.enabled = evaluate(_value(ext)["expression"], scope, context, qitem)
            elif ext["url"] == TARGET_CONSTRAINT_URL:
                parts = {part["url"]: part for part in ext["extension"]}
                text = _value(parts["expression"])["expression"]
                found.constraints[parts["key"]["valueId"]] = evaluate(text, scope, context, qitem)
        results[link] = found
        for child in element.get("item") or []:
            child_link = child["linkId"]
            visit(child, child_link, scope, _response_items(qr.get("item") or [], child_link))

    visit(q, "", {}, qr)
    return results


def outcome_of(results: dict[str, Found]) -> str | None:
    """The code the ``calculatedExpression`` of ``screening.outcome`` gave (None: none)."""
    calculated = results[OUTCOME_LINK].calculated
    assert calculated is not None, "screening.outcome has no calculatedExpression"
    assert len(calculated) <= 1, calculated
    return calculated[0]["code"] if calculated else None


def shown_outcomes(results: dict[str, Found], outcome_ids: Iterable[str]) -> list[str]:
    """The outcome groups the ``enableWhenExpression``\\ s show, in order."""
    return [o for o in outcome_ids if results[f"{OUTCOME_LINK}.{o}"].shown()]
