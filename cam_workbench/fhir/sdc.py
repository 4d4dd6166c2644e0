"""The screening rules as SDC FHIRPath: any SDC form filler reaches ``decide()``'s outcome.

Pure functions building the expressions and extensions the export puts on the
Questionnaire (URLs in :mod:`cam_workbench.fhir.constants`; README, "FHIR"):

- ``variable`` extensions on the Questionnaire root, in this order (a variable may use the
  ones before it): one boolean per red flag (``%flagLegSymptoms``), ``%anyFlag``,
  ``%noneChecked``, ``%noneOnly``, one boolean per rule (``%ruleAnyRedFlag``, what
  :func:`~cam_workbench.content.rules.rule_fires` says) and ``%outcomeCode``: the decided
  outcome's code, or empty when no rule fires;
- a ``calculatedExpression`` on ``screening.outcome``: the answer option whose code is
  ``%outcomeCode``;
- an ``enableWhenExpression`` on each outcome group: ``'<id>' in %outcomeCode``;
- two ``targetConstraint`` extensions on ``screening.question``: "check at least one box"
  and "never a flag together with none" (whole on their own: no variables).

``%outcomeCode`` is an ``iif`` chain over the rules sorted by (tier descending, position
in the YAML): the first rule that fires in that order is exactly the one ``decide()``
keeps (the most severe outcome; the first rule wins a tie), and no rule → empty, as
``decide()`` gives ``None``. :mod:`cam_workbench.fhir.sdc_read` reads these variables back.

A box counts as checked when its answer is ``true``; an unanswered box (form fillers leave
it out of the response) is unchecked: ``….where($this = true).exists()`` is always true or
false, never empty, so ``or``, ``and`` and ``not()`` never see an empty set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cam_workbench.content.model import Rule
from cam_workbench.fhir.constants import (
    CALCULATED_URL,
    CONSTRAINTS,
    ENABLE_WHEN_EXPRESSION_URL,
    FHIRPATH,
    NONE_LINK,
    OUTCOME_LINK,
    QUESTION_LINK,
    TARGET_CONSTRAINT_URL,
    VARIABLE_URL,
)

ANY_FLAG: Final = "anyFlag"
NONE_CHECKED: Final = "noneChecked"
NONE_ONLY: Final = "noneOnly"
OUTCOME_CODE: Final = "outcomeCode"
#: The variables named the same for every screening (item and rule names start with
#: ``flag`` and ``rule``, so they never clash with these).
FIXED_NAMES: Final = (ANY_FLAG, NONE_CHECKED, NONE_ONLY, OUTCOME_CODE)
ITEM_PREFIX: Final = "flag"
RULE_PREFIX: Final = "rule"

#: A variable's name must be a FHIR ``id`` (R4 ``Expression.name``: ``[A-Za-z0-9\-.]{1,64}``,
#: no underscore) and a plain FHIRPath identifier (a ``-`` or ``.`` would need backticks):
#: so letters and digits only.
NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


def camel(slug: str) -> str:
    """``bladder_bowel`` → ``BladderBowel`` (the separators ``_`` and ``-`` dropped)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", slug))


@dataclass(frozen=True)
class VariableNames:
    """FHIRPath variable names (without ``%``) of the items and the rules, by id."""

    items: dict[str, str]
    rules: dict[str, str]
    numbered: tuple[str, ...] = ()
    """``"item"``, ``"rule"`` or both: whose ids could not all become names (numbered)."""


def _names(prefix: str, ids: Sequence[str]) -> tuple[dict[str, str], bool]:
    """``prefix`` + CamelCase id, or ``prefix`` + position for all when any clash."""
    names = {i: f"{prefix}{camel(i)}" for i in ids}
    values = list(names.values())
    unique = len(names) == len(ids) and len(set(values)) == len(values)
    if unique and all(NAME.match(n) for n in values):
        return names, False
    return {i: f"{prefix}{n}" for n, i in enumerate(ids, 1)}, True


def variable_names(item_ids: Sequence[str], rule_ids: Sequence[str]) -> VariableNames:
    """``flag``/``rule`` + CamelCase id; numbered (``flag1``, ``rule1``) if any clash.

    Ids that differ only in ``_`` and ``-`` (``a_b``, ``a-b``), or in a separator before a
    digit (``a_1``, ``a1``), give the same name; an id of 61 or more characters gives a
    name too long for a FHIR id. Then every item (or rule) name is numbered instead; the
    prefixes keep item, rule and the fixed names apart.
    """
    items, items_numbered = _names(ITEM_PREFIX, item_ids)
    rules, rules_numbered = _names(RULE_PREFIX, rule_ids)
    numbered = (("item",) if items_numbered else ()) + (("rule",) if rules_numbered else ())
    return VariableNames(items, rules, numbered)


def quote(text: str) -> str:
    """A FHIRPath string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def checked_expression(link_id: str) -> str:
    """True when the boolean item ``link_id`` is answered true; false otherwise."""
    return (
        f"%resource.repeat(item).where(linkId = {quote(link_id)})"
        ".answer.value.where($this = true).exists()"
    )


def _boxes_checked(link_id: str, where: str = "") -> str:
    """The ``true`` answers of the children of ``link_id`` (those that match ``where``)."""
    return (
        f"%resource.repeat(item).where(linkId = {quote(link_id)}).item{where}"
        ".answer.value.where($this = true)"
    )


#: The two checks of the answers, by constraint key. Whole on their own (no variables), so
#: a validator that runs constraints but not SDC variables runs them too.
CONSTRAINT_EXPRESSIONS: Final[dict[str, str]] = {
    "nothing-chosen": f"{_boxes_checked(QUESTION_LINK)}.exists()",
    "contradiction": (
        f"{checked_expression(NONE_LINK)} implies "
        f"{_boxes_checked(QUESTION_LINK, f'.where(linkId != {quote(NONE_LINK)})')}.empty()"
    ),
}


def _joined(names: Sequence[str], operator: str, empty: str) -> str:
    return f" {operator} ".join(f"%{n}" for n in names) if names else empty


def rule_expression(rule: Rule, names: VariableNames) -> str:
    """The rule's condition, as ``rule_fires`` reads it (its parts combine with AND).

    ``any_of`` → ``%a or %b`` (empty: ``false``), ``all_of`` → ``%a and %b`` (empty:
    ``true``), ``none_of_these`` → ``%noneOnly`` or ``%noneOnly.not()``; several parts
    → ``(…) and (…)`` in that order; no part → ``false``.
    """
    when = rule.when
    parts: list[str] = []
    if when.any_of is not None:
        parts.append(_joined([names.items[i] for i in when.any_of], "or", "false"))
    if when.all_of is not None:
        parts.append(_joined([names.items[i] for i in when.all_of], "and", "true"))
    if when.none_of_these is not None:
        parts.append(f"%{NONE_ONLY}" if when.none_of_these else f"%{NONE_ONLY}.not()")
    if not parts:
        return "false"
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)


def decision_order(rules: Sequence[Rule], tiers: Mapping[str, int]) -> list[Rule]:
    """The rules by (tier descending, position): the first that fires is ``decide()``'s."""
    ranked = sorted(enumerate(rules), key=lambda pair: (-tiers[pair[1].outcome], pair[0]))
    return [rule for _, rule in ranked]


def outcome_code_expression(
    rules: Sequence[Rule], tiers: Mapping[str, int], names: VariableNames
) -> str:
    """``iif(%ruleA, 'a', iif(%ruleB, 'b', {}))``: the decided outcome's code, or empty."""
    expression = "{}"
    for rule in reversed(decision_order(rules, tiers)):
        expression = f"iif(%{names.rules[rule.id]}, {quote(rule.outcome)}, {expression})"
    return expression


def variables(
    item_ids: Sequence[str], rules: Sequence[Rule], tiers: Mapping[str, int]
) -> list[tuple[str, str]]:
    """``(name, FHIRPath)`` of every root variable, each after the ones it uses.

    Args:
        item_ids: the red flags' ids (their linkIds), in order.
        rules: the screening's rules, in order.
        tiers: each outcome's tier, by outcome id.

    """
    names = variable_names(item_ids, [rule.id for rule in rules])
    found = [(names.items[i], checked_expression(i)) for i in item_ids]
    found.append((ANY_FLAG, _joined([names.items[i] for i in item_ids], "or", "false")))
    found.append((NONE_CHECKED, checked_expression(NONE_LINK)))
    found.append((NONE_ONLY, f"%{NONE_CHECKED} and %{ANY_FLAG}.not()"))
    found += [(names.rules[rule.id], rule_expression(rule, names)) for rule in rules]
    found.append((OUTCOME_CODE, outcome_code_expression(rules, tiers, names)))
    return found


def calculated_expression() -> str:
    """The answer option (a Coding) of ``screening.outcome`` whose code is ``%outcomeCode``.

    FHIRPath cannot build a Coding, so it is looked up in the Questionnaire itself (with
    its system and display). ``%questionnaire`` rather than ``%qitem``: LHC-Forms gives
    ``%qitem`` without FHIR types, so ``%qitem.answerOption.value`` finds nothing there.
    """
    return (
        f"%questionnaire.repeat(item).where(linkId = {quote(OUTCOME_LINK)})"
        f".answerOption.value.where(code = %{OUTCOME_CODE})"
    )


def enable_when_expression(outcome_id: str) -> str:
    """True when ``outcome_id`` is the decided outcome; false (never empty) otherwise.

    ``in`` gives false when ``%outcomeCode`` is empty, where ``=`` would give an empty set
    (SDC reads it as false too, but LHC-Forms logs a warning for each).
    """
    return f"{quote(outcome_id)} in %{OUTCOME_CODE}"


def expression(text: str, name: str | None = None) -> dict[str, Any]:
    """A FHIR ``Expression`` in FHIRPath (``name`` only for a variable)."""
    value: dict[str, Any] = {"name": name} if name is not None else {}
    value["language"] = FHIRPATH
    value["expression"] = text
    return value


def variable_extensions(
    item_ids: Sequence[str], rules: Sequence[Rule], tiers: Mapping[str, int]
) -> list[dict[str, Any]]:
    """The root ``variable`` extensions (see :func:`variables`)."""
    return [
        {"url": VARIABLE_URL, "valueExpression": expression(text, name)}
        for name, text in variables(item_ids, rules, tiers)
    ]


def target_constraints(prompts: Mapping[str, str]) -> list[dict[str, Any]]:
    """The two checks as ``targetConstraint`` extensions; ``prompts`` by prompt name.

    The ``human`` text carries no translations: ``fhir.resources`` refuses
    ``_valueString`` inside an extension.
    """
    return [
        {
            "url": TARGET_CONSTRAINT_URL,
            "extension": [
                {"url": "key", "valueId": key},
                {"url": "severity", "valueCode": "error"},
                {"url": "expression", "valueExpression": expression(CONSTRAINT_EXPRESSIONS[key])},
                {"url": "human", "valueString": prompts[prompt]},
            ],
        }
        for key, prompt in CONSTRAINTS.items()
    ]


def calculated_extension() -> dict[str, Any]:
    """The ``calculatedExpression`` of ``screening.outcome``."""
    return {"url": CALCULATED_URL, "valueExpression": expression(calculated_expression())}


def enable_when_extension(outcome_id: str) -> dict[str, Any]:
    """The ``enableWhenExpression`` of an outcome's group."""
    return {
        "url": ENABLE_WHEN_EXPRESSION_URL,
        "valueExpression": expression(enable_when_expression(outcome_id)),
    }
