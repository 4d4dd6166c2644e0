"""Checks of FHIR rules that schema-level validation (``fhir.resources``) does not enforce.

Test helpers: the tests run them on every export and response. Each function returns a list
of problems in words (empty = fine). URLs and the language codes come from
:mod:`cam_workbench.fhir.constants`, as the export uses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from sdc_eval import run

from cam_workbench.fhir.constants import (
    CALCULATED_URL,
    ENABLE_WHEN_EXPRESSION_URL,
    FHIRPATH,
    LANGUAGE,
    OLD_CONSTRAINT_URL,
    SDC_BEHAVE_PROFILE,
    TARGET_CONSTRAINT_URL,
    VARIABLE_URL,
    translations,
)

#: Value sets (FHIR R4 / R5) of the codes we write or read.
PUBLICATION_STATUS: Final = frozenset({"draft", "active", "retired", "unknown"})
RESPONSE_STATUS: Final = frozenset(
    {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
)
ITEM_TYPES: Final[dict[str, frozenset[str]]] = {
    "R4": frozenset(
        [
            "group",
            "display",
            "boolean",
            "decimal",
            "integer",
            "date",
            "dateTime",
            "time",
            "string",
            "text",
            "url",
            "choice",
            "open-choice",
            "attachment",
            "reference",
            "quantity",
        ]
    ),
    "R5": frozenset(
        [
            "group",
            "display",
            "question",
            "boolean",
            "decimal",
            "integer",
            "date",
            "dateTime",
            "time",
            "string",
            "text",
            "url",
            "coding",
            "attachment",
            "reference",
            "quantity",
        ]
    ),
}
OPERATORS: Final = frozenset({"exists", "=", "!=", ">", "<", ">=", "<="})
BEHAVIORS: Final = frozenset({"all", "any"})
ANSWER_CONSTRAINTS: Final = frozenset({"optionsOnly", "optionsOrType", "optionsOrString"})
CHOICE_TYPES: Final = frozenset({"choice", "open-choice", "coding"})
CONSTRAINT_SEVERITY: Final = frozenset({"error", "warning"})

_NAME = re.compile(r"^[A-Z]([A-Za-z0-9_]){0,254}$")
#: A variable's name: a FHIR id (R4 ``Expression.name``) and a plain FHIRPath identifier.
_VARIABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
#: Names FHIRPath or SDC give a meaning; a variable must not hide them.
RESERVED_NAMES: Final = frozenset(
    {"resource", "rootResource", "context", "questionnaire", "qitem", "ucum", "sct", "loinc"}
)
#: SDC extensions of the Advanced Behavior profile (sdc-questionnaire-behave).
SDC_BEHAVIOUR: Final = frozenset(
    {VARIABLE_URL, CALCULATED_URL, ENABLE_WHEN_EXPRESSION_URL, TARGET_CONSTRAINT_URL}
)
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def walk_items(items: list[dict[str, Any]], depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every item, nested ones too, in document order."""
    for item in items or []:
        yield item
        yield from walk_items(item.get("item") or [], depth + 1)


def _answer_value(entry: dict[str, Any]) -> tuple[str, Any] | None:
    for key, value in entry.items():
        if key.startswith("answer") and key != "answerOption" or key.startswith("value"):
            return key, value
    return None


def _translations(element: Any, where: str) -> Iterator[str]:
    """Check every translation extension inside ``element`` (any depth)."""
    if isinstance(element, dict):
        for key, value in element.items():
            if key.startswith("_") and isinstance(value, dict):
                for found in translations(element, key[1:]):
                    if not found.language_ok:
                        yield f"{where}{key}: translation without a valid 'lang' code"
                    if not found.content_ok:
                        yield f"{where}{key}: translation without 'content'"
                    extra = sorted(found.parts - {"lang", "content"})
                    if extra:
                        yield f"{where}{key}: unknown parts of a translation: {extra}"
            yield from _translations(value, where)
    elif isinstance(element, list):
        for value in element:
            yield from _translations(value, where)


def check_questionnaire(q: dict[str, Any], fhir_version: str = "R4") -> list[str]:
    """Problems with a Questionnaire that FHIR's invariants forbid (R4/R5 ``que-*``, ``cnl-0``)."""
    problems: list[str] = []
    if q.get("resourceType") != "Questionnaire":
        return [f"resourceType is {q.get('resourceType')!r}, not 'Questionnaire'"]
    if q.get("status") not in PUBLICATION_STATUS:
        problems.append(f"status {q.get('status')!r} is not in {sorted(PUBLICATION_STATUS)}")
    if "name" in q and not _NAME.match(str(q["name"])):
        problems.append(f"name {q['name']!r} is not a computable name (cnl-0)")
    if "id" in q and not _ID.match(str(q["id"])):
        problems.append(f"id {q['id']!r} is not a FHIR id")
    if "language" in q and not LANGUAGE.match(str(q["language"])):
        problems.append(f"language {q['language']!r} is not a language code")
    if "url" in q and not str(q["url"]).startswith(("http://", "https://", "urn:")):
        problems.append(f"url {q['url']!r} is not absolute")
    if "url" in q and "|" in str(q["url"]):
        problems.append("url must not contain '|' (the version goes in 'version')")
    types = ITEM_TYPES.get(fhir_version, ITEM_TYPES["R4"])
    items = list(walk_items(q.get("item") or []))
    by_link: dict[str, dict[str, Any]] = {}
    for item in items:
        link = item.get("linkId")
        if not isinstance(link, str) or not link:
            problems.append("an item has no linkId")
            continue
        if len(link) > 255:
            problems.append(f"linkId '{link[:20]}…' is longer than 255 characters")
        if link in by_link:
            problems.append(f"linkId '{link}' is used more than once (que-2)")
        by_link[link] = item
    for item in items:
        link = item.get("linkId", "?")
        kind = item.get("type")
        where = f"item '{link}': "
        if kind not in types:
            problems.append(f"{where}type {kind!r} is not a {fhir_version} item type")
        children = item.get("item") or []
        if kind == "group" and not children:
            problems.append(f"{where}a group must have nested items (que-1)")
        if kind == "display":
            if children:
                problems.append(f"{where}a display item cannot have nested items (que-1)")
            for key in ("required", "repeats", "readOnly", "answerOption", "initial"):
                if item.get(key):
                    problems.append(f"{where}a display item cannot have '{key}' (que-6/que-9)")
        if item.get("answerOption") and kind not in CHOICE_TYPES:
            problems.append(f"{where}only choice items can have answerOption (que-4)")
        if kind in CHOICE_TYPES and not (item.get("answerOption") or item.get("answerValueSet")):
            problems.append(f"{where}a choice item needs answerOption or answerValueSet")
        if "answerConstraint" in item:
            if fhir_version != "R5":
                problems.append(f"{where}answerConstraint is R5 only")
            elif item["answerConstraint"] not in ANSWER_CONSTRAINTS:
                problems.append(f"{where}answerConstraint {item['answerConstraint']!r} unknown")
        if kind in ("group", "display") and item.get("readOnly"):
            problems.append(f"{where}readOnly makes no sense on a {kind} (que-9)")
        conditions = item.get("enableWhen") or []
        if "enableBehavior" in item and item["enableBehavior"] not in BEHAVIORS:
            problems.append(f"{where}enableBehavior {item['enableBehavior']!r} unknown")
        if len(conditions) > 1 and "enableBehavior" not in item:
            problems.append(f"{where}several enableWhen need an enableBehavior (que-12)")
        if len(conditions) <= 1 and "enableBehavior" in item:
            problems.append(f"{where}enableBehavior without several enableWhen (que-12)")
        for condition in conditions:
            problems += _check_condition(condition, item, by_link, where)
        problems += _check_item_sdc(item, where)
    problems += _check_variables(q)
    used = {e.get("url") for e in [q, *items] for e in e.get("extension") or []}
    profiles = (q.get("meta") or {}).get("profile") or []
    if fhir_version == "R4" and used & SDC_BEHAVIOUR and SDC_BEHAVE_PROFILE not in profiles:
        problems.append(
            "SDC behaviour extensions, but meta.profile does not name sdc-questionnaire-behave"
        )
    problems += list(_translations(q, ""))
    return problems


def _expression_problem(value: Any, named: bool) -> str | None:
    """What is wrong with an ``Expression`` (FHIRPath; a name only where one is needed)."""
    if not isinstance(value, dict):
        return "needs a valueExpression"
    if value.get("language") != FHIRPATH:
        return f"language {value.get('language')!r} is not {FHIRPATH}"
    if not isinstance(value.get("expression"), str) or not value["expression"].strip():
        return "has no expression"
    name = value.get("name")
    if named and not (isinstance(name, str) and _VARIABLE_NAME.match(name)):
        return f"name {value.get('name')!r} is not letters and digits (a FHIR id and FHIRPath name)"
    if not named and "name" in value:
        return "must have no name (SDC)"
    return None


def _check_item_sdc(item: dict[str, Any], where: str) -> list[str]:
    """SDC rules on an item's extensions (sdc-behave-2, one expression each, constraints)."""
    problems: list[str] = []
    extensions = item.get("extension") or []
    urls = [ext.get("url") for ext in extensions]
    if ENABLE_WHEN_EXPRESSION_URL in urls and item.get("enableWhen"):
        problems.append(f"{where}enableWhen beside enableWhenExpression (sdc-behave-2)")
    for url in (CALCULATED_URL, ENABLE_WHEN_EXPRESSION_URL):
        if urls.count(url) > 1:
            problems.append(f"{where}more than one {url.rsplit('-', 1)[-1]}")
    if CALCULATED_URL in urls and "initial" in item:
        problems.append(f"{where}a calculated item cannot have an initial value")
    for ext in extensions:
        url = ext.get("url")
        if url == OLD_CONSTRAINT_URL:
            problems.append(f"{where}questionnaire-constraint is deprecated: use targetConstraint")
        elif url in (CALCULATED_URL, ENABLE_WHEN_EXPRESSION_URL, VARIABLE_URL):
            problem = _expression_problem(ext.get("valueExpression"), url == VARIABLE_URL)
            if problem:
                problems.append(f"{where}{url.rsplit('/', 1)[-1]} {problem}")
        elif url == TARGET_CONSTRAINT_URL:
            problems += _check_constraint(ext, where)
    return problems


def _check_constraint(ext: dict[str, Any], where: str) -> list[str]:
    parts = {e.get("url"): e for e in ext.get("extension", [])}
    if not {"key", "severity", "expression", "human"} <= set(parts):
        return [f"{where}constraint needs key, severity, expression, human"]
    problems = []
    if parts["severity"].get("valueCode") not in CONSTRAINT_SEVERITY:
        problems.append(f"{where}constraint severity must be error or warning")
    if not _ID.match(str(parts["key"].get("valueId"))):
        problems.append(f"{where}constraint key must be a FHIR id (valueId)")
    problem = _expression_problem(parts["expression"].get("valueExpression"), named=False)
    if problem:
        problems.append(f"{where}constraint expression {problem}")
    if not isinstance(parts["human"].get("valueString"), str):
        problems.append(f"{where}constraint needs a human message (valueString)")
    return problems


def _check_variables(q: dict[str, Any]) -> list[str]:
    """Root variables: valid FHIRPath expressions, names unique and not reserved."""
    problems: list[str] = []
    seen: set[str] = set()
    for ext in q.get("extension") or []:
        if ext.get("url") != VARIABLE_URL:
            continue
        value = ext.get("valueExpression")
        problem = _expression_problem(value, named=True)
        if problem:
            problems.append(f"variable {problem}")
            continue
        name = value["name"]
        if name in seen:
            problems.append(f"variable '{name}' is defined twice")
        if name in RESERVED_NAMES:
            problems.append(f"variable '{name}' hides %{name}")
        seen.add(name)
    return problems


def _check_condition(
    condition: dict[str, Any], item: dict[str, Any], by_link: dict[str, Any], where: str
) -> list[str]:
    problems: list[str] = []
    question = condition.get("question")
    operator = condition.get("operator")
    target = by_link.get(question) if isinstance(question, str) else None
    if target is None:
        problems.append(f"{where}enableWhen refers to unknown linkId {question!r}")
    elif target is item:
        problems.append(f"{where}enableWhen refers to the item itself")
    elif target.get("type") in ("group", "display"):
        problems.append(f"{where}enableWhen refers to a {target.get('type')} item")
    if operator not in OPERATORS:
        problems.append(f"{where}enableWhen operator {operator!r} is not in {sorted(OPERATORS)}")
    found = _answer_value(condition)
    if found is None:
        problems.append(f"{where}enableWhen has no answer[x]")
        return problems
    key, _ = found
    if operator == "exists" and key != "answerBoolean":
        problems.append(f"{where}operator 'exists' needs answerBoolean (que-7)")
    if target is not None and operator != "exists":
        expected = {
            "boolean": "answerBoolean",
            "choice": "answerCoding",
            "coding": "answerCoding",
            "integer": "answerInteger",
            "decimal": "answerDecimal",
            "string": "answerString",
            "date": "answerDate",
        }.get(str(target.get("type")))
        if (
            expected
            and key != expected
            and not (target.get("type") in CHOICE_TYPES and key == "answerString")
        ):
            problems.append(f"{where}enableWhen on a {target.get('type')} item needs {expected}")
    return problems


def _response_types() -> dict[str, set[str]]:
    return {
        "boolean": {"valueBoolean"},
        "choice": {"valueCoding", "valueString"},
        "open-choice": {"valueCoding", "valueString"},
        "coding": {"valueCoding"},
        "integer": {"valueInteger"},
        "decimal": {"valueDecimal"},
        "string": {"valueString"},
        "text": {"valueString"},
        "date": {"valueDate"},
    }


def check_response(qr: dict[str, Any], q: dict[str, Any], fhir_version: str = "R4") -> list[str]:
    """Problems with a QuestionnaireResponse against the Questionnaire it answers.

    Checks the canonical reference, status and time; that each item mirrors an item of the
    questionnaire at the same place; answer types and options; no answers for display
    items; no answered item whose enableWhen (or SDC enableWhenExpression) is false; the
    answer of a calculated item is what its calculatedExpression gives (run by
    ``sdc_eval``, with fhirpathpy).
    """
    problems: list[str] = []
    if qr.get("resourceType") != "QuestionnaireResponse":
        return [f"resourceType is {qr.get('resourceType')!r}, not 'QuestionnaireResponse'"]
    if qr.get("status") not in RESPONSE_STATUS:
        problems.append(f"status {qr.get('status')!r} is not in {sorted(RESPONSE_STATUS)}")
    expected = f"{q.get('url')}|{q.get('version')}"
    if qr.get("questionnaire") != expected:
        problems.append(f"questionnaire is {qr.get('questionnaire')!r}, expected {expected!r}")
    if not _INSTANT.match(str(qr.get("authored", ""))):
        problems.append(f"authored {qr.get('authored')!r} is not a date-time with a time zone")
    for key in ("subject", "author", "source", "identifier", "encounter"):
        if key in qr:
            problems.append(f"'{key}' would identify the patient; it must not be there")
    answers: dict[str, list[Any]] = {}
    problems += _check_response_items(qr.get("item") or [], q.get("item") or [], answers, "")
    by_link = {i["linkId"]: i for i in walk_items(q.get("item") or []) if "linkId" in i}
    parents = {
        child.get("linkId"): item.get("linkId")
        for item in walk_items(q.get("item") or [])
        for child in item.get("item") or []
    }
    expressions = run(q, qr, fhir_version)
    for link in answers:
        here: str | None = link
        while here is not None:
            item = by_link.get(here)
            shown = here not in expressions or expressions[here].shown()
            if item is not None and not (shown and _enabled_in(item, by_link, answers)):
                problems.append(f"item '{link}' is answered but '{here}' is not enabled")
                break
            here = parents.get(here)
    for link, found in expressions.items():
        if found.calculated is not None and link in answers:
            want = [_code(value) for value in found.calculated]
            if [_code(value) for value in answers[link]] != want:
                problems.append(
                    f"item '{link}' holds {answers[link]}, but it is calculated: {want}"
                )
    return problems


def _code(value: Any) -> Any:
    """A Coding as (system, code); any other value as it is."""
    return (value.get("system"), value.get("code")) if isinstance(value, dict) else value


def _check_response_items(
    given: list[dict[str, Any]],
    defined: list[dict[str, Any]],
    answers: dict[str, list[Any]],
    where: str,
) -> list[str]:
    problems: list[str] = []
    by_link = {item.get("linkId"): item for item in defined}
    order = [item.get("linkId") for item in defined]
    positions = []
    seen: set[str] = set()
    for entry in given:
        link = entry.get("linkId")
        item = by_link.get(link)
        if item is None:
            problems.append(f"{where}response item '{link}' is not in the questionnaire here")
            continue
        if link in seen and not item.get("repeats"):
            problems.append(f"{where}response item '{link}' appears twice")
        seen.add(link)
        positions.append(order.index(link))
        kind = item.get("type")
        values = entry.get("answer") or []
        if kind in ("group", "display") and values:
            problems.append(f"item '{link}': a {kind} item cannot have answers")
        if len(values) > 1 and not item.get("repeats"):
            problems.append(f"item '{link}': several answers but the item does not repeat")
        allowed = _response_types().get(str(kind), set())
        for value in values:
            found = _answer_value(value)
            if found is None:
                problems.append(f"item '{link}': an answer without a value")
                continue
            key, data = found
            if key not in allowed:
                problems.append(f"item '{link}': {key} does not fit a {kind} item")
            if key == "valueCoding" and item.get("answerOption"):
                options = [
                    (o["valueCoding"].get("system"), o["valueCoding"].get("code"))
                    for o in item["answerOption"]
                    if "valueCoding" in o
                ]
                if (data.get("system"), data.get("code")) not in options:
                    problems.append(f"item '{link}': code {data.get('code')!r} is not an option")
            answers.setdefault(link, []).append(data)
        if entry.get("item"):
            problems += _check_response_items(
                entry["item"], item.get("item") or [], answers, f"{where}{link} › "
            )
    if positions != sorted(positions):
        problems.append(f"{where}response items are not in the questionnaire's order")
    for item in defined:
        if item.get("required") and item.get("linkId") not in seen:
            problems.append(f"{where}required item '{item.get('linkId')}' is not answered")
    return problems


def _enabled_in(
    item: dict[str, Any], by_link: dict[str, dict[str, Any]], answers: dict[str, list[Any]]
) -> bool:
    """Evaluate an item's enableWhen (``=``, ``!=`` and ``exists``) on the given answers."""
    conditions = item.get("enableWhen") or []
    if not conditions:
        return True
    results = []
    for condition in conditions:
        found = _answer_value(condition)
        given = answers.get(condition.get("question"), [])
        operator = condition.get("operator")
        if found is None:
            results.append(False)
            continue
        _, wanted = found
        if operator == "exists":
            results.append(bool(given) == wanted)
            continue
        matches = [_same(value, wanted) for value in given]
        results.append(any(matches) if operator == "=" else bool(given) and not any(matches))
    return any(results) if item.get("enableBehavior") == "any" else all(results)


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, dict) and isinstance(wanted, dict):
        return (value.get("system"), value.get("code")) == (
            wanted.get("system"),
            wanted.get("code"),
        )
    return bool(value == wanted)
