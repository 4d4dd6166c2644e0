"""The shape a FHIR Questionnaire file must have before the importer reads it.

JSON written by another tool, or a hostile file, may hold a number where FHIR has a list of
items, a list where it has an object, a number too large to be one, or nest thousands of
levels deep. :func:`shape_problem` walks the whole document once, without recursion, and
names the first place that is not what FHIR says, as a path such as ``item[0].item[2]``;
the importer then only ever reads well-formed data.
"""

from __future__ import annotations

import math
from typing import Any, Final

MAX_DEPTH: Final = 64
"""Deepest nesting of JSON objects and arrays (our own export is about 12 levels deep)."""

LISTS_OF_OBJECTS: Final = frozenset(
    {"item", "answerOption", "extension", "modifierExtension", "enableWhen", "coding"}
)
"""Keys whose value FHIR defines as a list of elements (JSON objects)."""

OBJECTS: Final = frozenset({"valueCoding", "valueExpression", "meta"})
"""Keys whose value FHIR defines as one element (a JSON object)."""

NUMBERS: Final = frozenset({"valueDecimal", "valueInteger"})
"""Keys whose value must be a (finite) number."""

_KINDS: Final = {
    dict: "an object",
    list: "a list",
    str: "a text",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _problem_at(key: str, value: Any, siblings: dict[str, Any]) -> tuple[str, str] | None:
    """What is wrong with ``value`` under ``key``: (``[index]`` or ``""``, what); or ``None``."""
    if key in LISTS_OF_OBJECTS:
        if not isinstance(value, list):
            return "", f"must be a list of objects, not {_kind(value)}"
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                return f"[{index}]", f"must be an object, not {_kind(entry)}"
    elif key in OBJECTS and not isinstance(value, dict):
        return "", f"must be an object, not {_kind(value)}"
    elif key in NUMBERS and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > 1e15
    ):
        return "", f"must be a number (up to 15 digits), not {value!r:.40}"
    elif (
        key.startswith("_")
        and not isinstance(siblings.get(key[1:]), list)
        and not isinstance(value, dict)
    ):
        # The extensions of a single value (e.g. _text for text's translations): one object.
        return "", f"must be an object (extensions of '{key[1:]}'), not {_kind(value)}"
    return None


def shape_problem(document: Any) -> str | None:
    """The first place where ``document`` does not have a Questionnaire's shape, or ``None``.

    Returns ``path: what is wrong — how to fix it``; the path is empty for the document.
    """
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return (
                f"{path or 'the document'}: nested more than {MAX_DEPTH} levels deep — a "
                "Questionnaire is a few levels deep; is this the right file?"
            )
        if isinstance(value, dict):
            for key, child in value.items():
                where = f"{path}.{key}" if path else str(key)
                problem = _problem_at(str(key), child, value)
                if problem is not None:
                    return f"{where}{problem[0]}: {problem[1]} — fix or remove it"
                stack.append((child, where, depth + 1))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                stack.append((child, f"{path}[{index}]", depth + 1))
    return None
