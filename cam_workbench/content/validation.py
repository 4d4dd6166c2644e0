"""The schema stage of loading: pick the model by ``kind``, validate, explain pydantic's errors.

Every pydantic error becomes a catalogue problem with the line of the value it is about, in
words a reviewer can act on: an unknown key with the near-miss spelling and the keys allowed
there, a missing key, a missing source, a wrong value with how to write it.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from cam_workbench.content.model import KIND_MODELS
from cam_workbench.content.problems import Problem, ProblemCode, did_you_mean, problem, where
from cam_workbench.content.yamlsafe import Parsed


def validate(parsed: Parsed, path: str) -> tuple[Any, list[Problem]]:
    """Pick the model by ``kind`` and validate the data against it."""
    data = parsed.data
    if data is None:  # '---', 'null' or '~' alone: nothing in the file
        return None, [problem(ProblemCode.empty_file, path, 1)]
    if not isinstance(data, dict):
        found = _TYPE_NAMES.get(type(data), type(data).__name__)
        return None, [problem(ProblemCode.top_level_type, path, 1, found=found)]
    choices = " | ".join(KIND_MODELS)
    if "kind" not in data:
        return None, [problem(ProblemCode.missing_kind, path, 1, choices=choices)]
    kind = data["kind"]
    model_cls = KIND_MODELS.get(kind) if isinstance(kind, str) else None
    if model_cls is None:
        return None, [
            problem(
                ProblemCode.unknown_kind,
                path,
                parsed.line_of(("kind",)),
                kind=kind,
                choices=", ".join(KIND_MODELS),
                suggestion=did_you_mean(str(kind), KIND_MODELS, prefix="; did you mean "),
            )
        ]
    try:
        return model_cls.model_validate(data), []
    except ValidationError as exc:
        return None, [_from_pydantic(err, parsed, path, model_cls) for err in exc.errors()]


_TYPE_NAMES: Final = {
    list: "list",
    str: "piece of text",
    int: "number",
    float: "number",
    bool: "true/false value",
}


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """Keep the parts of a pydantic ``loc`` that are real keys/indices in the data."""
    path: list[str | int] = []
    here = data
    for step in loc:
        if (
            isinstance(here, dict)
            and step in here
            or isinstance(here, list)
            and isinstance(step, int)
            and 0 <= step < len(here)
        ):
            path.append(step)
            here = here[step]
    return tuple(path)


def _from_pydantic(err: Any, parsed: Parsed, path: str, root: type[BaseModel]) -> Problem:
    """Translate one pydantic error into a catalogue problem with a line."""
    loc = tuple(err["loc"])
    kind = err["type"]
    line = parsed.line_of(_data_path(loc, parsed.data))
    if kind == "extra_forbidden":
        parent = _data_path(loc[:-1], parsed.data)
        allowed = _allowed_keys(root, loc[:-1])
        key = str(loc[-1])
        suggestion = did_you_mean(key, allowed, prefix="did you mean ")
        fix = suggestion or "remove it"
        if allowed:
            fix += f" (allowed here: {', '.join(sorted(allowed))})"
        return problem(
            ProblemCode.unknown_key, path, line, key=key, where=where(parent), suggestion=fix
        )
    if kind == "missing":
        key = str(loc[-1])
        parent = _data_path(loc[:-1], parsed.data)
        if key == "sources":
            return problem(ProblemCode.no_source, path, line, what=_name(parent, parsed), where="")
        return problem(ProblemCode.missing_key, path, line, key=key, where=where(parent))
    data_path = _data_path(loc, parsed.data)
    if kind == "too_short" and data_path and data_path[-1] == "sources":
        return problem(
            ProblemCode.no_source, path, line, what=_name(data_path[:-1], parsed), where=""
        )
    detail = err["msg"]
    if "input" in err and not isinstance(err["input"], dict | list):
        detail += f" (found {err['input']!r})"
    return problem(
        ProblemCode.wrong_value,
        path,
        line,
        detail=detail,
        where=where(data_path),
        fix=_fix_for(kind),
    )


_FIXES: Final = {
    "string_type": "write it as text; put quotes around it if it looks like a number or date",
    "string_pattern_mismatch": "use lowercase letters, digits and '-' or '_' (e.g. 'leg_symptoms')",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "enum": "use one of the values listed",
    "literal_error": "use one of the values listed",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "list_type": "write a list (lines starting with '- ')",
    "model_type": "write a mapping of keys (key: value lines)",
    "dict_type": "write a mapping of keys (key: value lines)",
    "too_short": "add at least one entry",
    "string_too_short": "write some text here",
    "string_too_long": "shorten it or split it into several paragraphs",
}


def _name(at: tuple[str | int, ...], parsed: Parsed) -> str:
    """Name an entry for a message: ``section 'why_it_is_done'`` or ``emergency``."""
    entry: Any = parsed.data
    for step in at:
        entry = entry[step]
    label = {"sections": "section", "items": "item", "outcomes": "outcome"}.get(
        str(at[-2]) if len(at) >= 2 else "", ""
    )
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return f"{label or 'entry'} '{entry['id']}'"
    return where(at).removeprefix(" in ") or "the file"


def _fix_for(kind: str) -> str:
    """How to fix a pydantic error type, in words."""
    return _FIXES.get(kind, "see content/schema/content.schema.json for what belongs here")


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Walk the model along ``loc`` and list the keys allowed at its end."""
    here: Any = root
    for step in loc:
        here = _unwrap(here)
        if isinstance(here, type) and issubclass(here, BaseModel) and isinstance(step, str):
            field = next(
                (f for n, f in here.model_fields.items() if (f.alias or n) == step),
                None,
            )
            if field is None:
                return []
            here = field.annotation
        elif isinstance(step, int):
            args = typing.get_args(here)
            here = args[0] if args else here
    here = _unwrap(here)
    if isinstance(here, type) and issubclass(here, BaseModel):
        return [f.alias or n for n, f in here.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """Strip Annotated / Optional / list wrappers down to a model class where there is one."""
    for _ in range(10):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(tp) if _unwrap(a) is not type(None)]
            tp = models[-1] if models else tp
        elif origin is list:
            return tp
        else:
            return tp
    return tp
