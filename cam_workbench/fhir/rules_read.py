"""The rules of a Questionnaire → our rule model (for ``import fhir``).

Two sources, the first that is there:

1. The SDC ``variable`` extensions on the root, as :mod:`cam_workbench.fhir.sdc` writes
   them: ``%ruleX`` → a rule (``any_of``, ``all_of``, ``none_of_these``), ``%outcomeCode``
   → which outcome each rule leads to, the variable names → the rule ids. The rules read
   are accepted only if :func:`cam_workbench.fhir.sdc.variables` writes exactly the same
   variables for them (same names, same expressions, same order), so a re-export is the
   same Questionnaire; anything else is named in a note (what our model cannot hold) and
   no rule is taken from it.
2. Otherwise each outcome group's plain ``enableWhen`` (``= true`` on red flags and
   "none of these"), as exports before the SDC rules wrote them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError

from cam_workbench.content.model import Condition, Rule
from cam_workbench.fhir import sdc
from cam_workbench.fhir.constants import (
    CALCULATED_URL,
    ENABLE_WHEN_EXPRESSION_URL,
    FHIRPATH,
    NONE_LINK,
    OUTCOME_LINK,
    VARIABLE_URL,
    outcome_link,
)

_CHECKED: Final = re.compile(
    r"%resource\.repeat\(item\)\.where\(linkId = '([^'\\]+)'\)"
    r"\.answer\.value\.where\(\$this = true\)\.exists\(\)"
)
_VARIABLE: Final = re.compile(r"%([A-Za-z][A-Za-z0-9]*)")
_IIF: Final = re.compile(r"iif\(%([A-Za-z][A-Za-z0-9]*), '([a-z0-9_-]+)', ")
#: What a rule variable may say, for the notes.
GRAMMAR: Final = (
    "any_of is `%flagA or %flagB`, all_of `%flagA and %flagB`, none_of_these `%noneOnly` "
    "or `%noneOnly.not()`, several of them `(…) and (…)`"
)


class _Unreadable(ValueError):
    """An expression outside the forms we write: the message says what is wrong."""


@dataclass
class RulesFound:
    """The rules read (plain data for YAML), or ``None`` when there were none to read."""

    rules: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)


def _variables(q: Mapping[str, Any], notes: list[str]) -> list[tuple[str, str]]:
    """``(name, expression)`` of the root's FHIRPath variables, in document order."""
    found: list[tuple[str, str]] = []
    extensions = q.get("extension")
    for number, ext in enumerate(extensions if isinstance(extensions, list) else [], 1):
        if not isinstance(ext, Mapping) or ext.get("url") != VARIABLE_URL:
            continue
        value = ext.get("valueExpression")
        value = value if isinstance(value, Mapping) else {}
        name, text = value.get("name"), value.get("expression")
        if value.get("language") != FHIRPATH or not isinstance(name, str):
            notes.append(f"variable #{number}: not a named FHIRPath expression; not read")
        elif not isinstance(text, str):
            notes.append(f"variable '{name}': it has no expression; not read")
        else:
            found.append((name, text))
    return found


def rule_id(name: str) -> str:
    """The rule id a variable name stands for: ``ruleAnyRedFlag`` → ``any_red_flag``."""
    rest = name.removeprefix(sdc.RULE_PREFIX)
    return re.sub(r"(?<!^)([A-Z])", r"_\1", rest).lower()


def _split_and(text: str) -> list[str]:
    """``(a) and (b.not())`` → ``['a', 'b.not()']``; ``[text]`` if not in that form."""
    if not text.startswith("("):
        return [text]
    parts: list[str] = []
    depth, start, position = 0, 0, 0
    while position < len(text):
        char = text[position]
        if char == "(":
            depth += 1
            start = position + 1 if depth == 1 else start
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _Unreadable("its parentheses do not match")
            if depth == 0:
                parts.append(text[start:position])
                rest = text[position + 1 :]
                if rest and not rest.startswith(" and ("):
                    raise _Unreadable(f"`{rest[:40]}` after a part")
                position += len(" and ") if rest else 0
        position += 1
    if depth != 0:
        raise _Unreadable("its parentheses do not match")
    return parts


def _flags(terms: Sequence[str], flags: Mapping[str, str]) -> list[str]:
    """``['%flagA', '%flagB']`` → the red flags' ids; raises :class:`_Unreadable`."""
    ids: list[str] = []
    for term in terms:
        found = _VARIABLE.fullmatch(term)
        if found is None:
            raise _Unreadable(f"`{term[:80]}` is none of the conditions our rules hold ({GRAMMAR})")
        if found.group(1) not in flags:
            raise _Unreadable(f"'{term}' is not a red flag's variable")
        ids.append(flags[found.group(1)])
    return ids


def _part(text: str, flags: Mapping[str, str]) -> tuple[str, Any]:
    """One part of a condition → (``any_of``/``all_of``/``none_of_these``/``one``, value)."""
    if text in ("false", "true"):
        return ("any_of", []) if text == "false" else ("all_of", [])
    if text in (f"%{sdc.NONE_ONLY}", f"%{sdc.NONE_ONLY}.not()"):
        return "none_of_these", not text.endswith(".not()")
    for operator, key in ((" or ", "any_of"), (" and ", "all_of")):
        terms = text.split(operator)
        if len(terms) > 1:
            return key, _flags(terms, flags)
    return "one", _flags([text], flags)


def condition(text: str, flags: Mapping[str, str]) -> dict[str, Any]:
    """A rule variable's expression → its ``when`` (plain data); flags by variable name.

    Raises:
        _Unreadable: the expression is not one of the forms :func:`sdc.rule_expression`
            writes.

    """
    when: dict[str, Any] = {}
    for part in _split_and(text):
        key, value = _part(part, flags)
        if key == "one":
            key = "any_of" if "any_of" not in when else "all_of"
        if key in when:
            raise _Unreadable(f"it has two {key} parts; a rule holds one of each")
        when[key] = value
    return {key: when[key] for key in ("any_of", "all_of", "none_of_these") if key in when}


def outcome_chain(text: str) -> list[tuple[str, str]]:
    """``iif(%ruleA, 'a', iif(%ruleB, 'b', {}))`` → ``[('ruleA', 'a'), ('ruleB', 'b')]``."""
    chain: list[tuple[str, str]] = []
    position = 0
    while (found := _IIF.match(text, position)) is not None:
        chain.append((found.group(1), found.group(2)))
        position = found.end()
    if text[position:] != "{}" + ")" * len(chain):
        raise _Unreadable(
            f"`{text[position : position + 60]}` where an `iif(%rule, 'outcome', …)` chain "
            "ending in `{}` was expected"
        )
    return chain


def _read(
    found: list[tuple[str, str]], item_ids: Sequence[str], tiers: Mapping[str, int]
) -> list[Rule]:
    """The rules the variables say, in their order; raises :class:`_Unreadable`."""
    expressions = dict(found)
    flags = {
        name: match.group(1)
        for name, text in found
        if (match := _CHECKED.fullmatch(text)) and match.group(1) in item_ids
    }
    if sdc.OUTCOME_CODE not in expressions:
        raise _Unreadable(f"there is no %{sdc.OUTCOME_CODE} variable")
    try:
        chain = outcome_chain(expressions[sdc.OUTCOME_CODE])
    except _Unreadable as problem:
        raise _Unreadable(f"variable '{sdc.OUTCOME_CODE}': {problem}") from None
    leads_to = dict(chain)
    rules: list[Rule] = []
    for name, text in found:
        if not name.startswith(sdc.RULE_PREFIX) or name in flags:
            continue
        if name not in leads_to:
            raise _Unreadable(f"variable '{name}' leads to no outcome in %{sdc.OUTCOME_CODE}")
        if leads_to[name] not in tiers:
            raise _Unreadable(f"'{leads_to[name]}' in %{sdc.OUTCOME_CODE} is not an outcome")
        try:
            when = Condition(**condition(text, flags))
            rules.append(Rule(id=rule_id(name), when=when, outcome=leads_to[name]))
        except _Unreadable as problem:
            raise _Unreadable(f"variable '{name}': {problem}") from None
        except ValidationError:
            raise _Unreadable(f"variable '{name}' does not name a rule id") from None
    return rules


def _difference(found: list[tuple[str, str]], expected: list[tuple[str, str]]) -> str:
    """The first variable that differs from what we would write for the rules read."""
    for (name, text), (want_name, want) in zip(found, expected, strict=False):
        if name != want_name:
            return f"variable '{name}' where cam-workbench writes '{want_name}'"
        if text != want:
            return f"variable '{name}' is `{text[:120]}`, not `{want[:120]}`"
    if len(found) > len(expected):
        return f"variable '{found[len(expected)][0]}' is one our rules do not write"
    return f"variable '{expected[len(found)][0]}' is missing"


def _behaviour_notes(q: Mapping[str, Any], outcome_ids: Sequence[str]) -> list[str]:
    """Notes on calculated and enableWhen expressions that are not the ones we write."""
    expected = {OUTCOME_LINK: (CALCULATED_URL, sdc.calculated_expression())}
    for outcome_id in outcome_ids:
        expected[outcome_link(outcome_id)] = (
            ENABLE_WHEN_EXPRESSION_URL,
            sdc.enable_when_expression(outcome_id),
        )
    notes: list[str] = []
    items = q.get("item")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or item.get("linkId") not in expected:
            continue
        url, want = expected[item["linkId"]]
        extensions = item.get("extension")
        values = [
            ext.get("valueExpression")
            for ext in (extensions if isinstance(extensions, list) else [])
            if isinstance(ext, Mapping) and ext.get("url") == url
        ]
        texts = [v.get("expression") for v in values if isinstance(v, Mapping)]
        if texts != [want]:
            what = url.rsplit("-", 1)[-1]
            notes.append(
                f"item '{item['linkId']}': its {what} is not `{want}`; the rules come from "
                f"%{sdc.OUTCOME_CODE}, so check that the form shows the same"
            )
    return notes


def read_sdc_rules(
    q: Mapping[str, Any], item_ids: Sequence[str], tiers: Mapping[str, int]
) -> RulesFound:
    """The rules of a Questionnaire's SDC variables (see the module doc).

    Args:
        q: the Questionnaire.
        item_ids: the red flags' ids (as imported), in order.
        tiers: each outcome's tier (as imported), by id.

    Returns:
        ``rules`` as plain data (``None`` if the root has no FHIRPath variable, or if they
        are not rules our model can hold) and the notes for the reviewer.

    """
    result = RulesFound()
    found = _variables(q, result.notes)
    if not found:
        return result
    try:
        rules = _read(found, item_ids, tiers)
    except _Unreadable as problem:
        rules, reason = [], str(problem)
    else:
        expected = sdc.variables(item_ids, rules, tiers)
        reason = "" if found == expected else _difference(found, expected)
    if reason:
        result.notes.append(
            f"the FHIRPath variables are not rules our model can hold ({reason}); no rule was "
            "read from them: write the rules by hand"
        )
        return result
    result.notes += _behaviour_notes(q, list(tiers))
    result.rules = [rule.model_dump(exclude_none=True) for rule in rules]
    return result


def rules_from_enable_when(
    outcome_id: str, group: Mapping[str, Any], items: set[str], notes: list[str]
) -> list[dict[str, Any]]:
    """Rules from an outcome group's plain enableWhen (``= true`` on items and "none")."""
    conditions = group.get("enableWhen") or []
    behavior = group.get("enableBehavior", "all")
    flags: list[str] = []
    none = False
    for entry in conditions:
        question = entry.get("question")
        ok = entry.get("operator") == "=" and entry.get("answerBoolean") is True
        if ok and question == NONE_LINK:
            none = True
        elif ok and question in items:
            flags.append(str(question))
        else:
            notes.append(
                f"outcome '{outcome_id}': condition on '{question}' is not a rule our model "
                "can hold; write this outcome's rules by hand"
            )
            return []
    rules: list[dict[str, Any]] = []
    if behavior == "all" and flags and none:
        notes.append(f"outcome '{outcome_id}': needs a flag and 'none' at once; no rule")
        return []
    if flags:
        kind = "any_of" if behavior == "any" or len(flags) == 1 else "all_of"
        rules.append({"id": f"{outcome_id}_{kind}", "when": {kind: flags}, "outcome": outcome_id})
    if none:
        rules.append(
            {"id": f"{outcome_id}_none", "when": {"none_of_these": True}, "outcome": outcome_id}
        )
    return rules
