"""File-level checks on the raw data: every entry has its own id, every source reference exists.

They read the raw data defensively, so they run (and report) even when the schema check of
the same file found problems: one run shows every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cam_workbench.content.problems import Problem, ProblemCode, problem
from cam_workbench.content.yamlsafe import Parsed


def entries(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mapping entries of the list under ``key`` (others are schema problems)."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, e) for i, e in enumerate(value) if isinstance(e, dict)]


def ids(data: Any, key: str) -> list[str]:
    """The ids of the entries of the list under ``key``."""
    return [e["id"] for _, e in entries(data, key) if isinstance(e.get("id"), str)]


def check_unique(parsed: Parsed, path: str, keys: tuple[str, ...], what: str) -> Iterator[Problem]:
    """Every entry of the lists under ``keys`` has its own ``id``."""
    seen: dict[str, int] = {}
    for key in keys:
        for index, entry in entries(parsed.data, key):
            entry_id = entry.get("id")
            if not isinstance(entry_id, str):
                continue
            line = parsed.line_of((key, index, "id"))
            if entry_id in seen:
                yield problem(
                    ProblemCode.duplicate_id,
                    path,
                    line,
                    id=entry_id,
                    first_line=seen[entry_id],
                    what=what,
                )
            else:
                seen[entry_id] = line


def check_source_refs(parsed: Parsed, path: str) -> Iterator[Problem]:
    """Every ``sources: [...]`` reference names a source of this file."""
    known = set(ids(parsed.data, "sources"))
    for at, refs in find_key(parsed.data, "sources", ()):
        if at == ("sources",) or not isinstance(refs, list):
            continue  # the catalogue itself, or a schema problem reported elsewhere
        for index, ref in enumerate(refs):
            if isinstance(ref, str) and ref not in known:
                yield problem(
                    ProblemCode.unknown_source,
                    path,
                    parsed.line_of((*at, index)),
                    id=ref,
                    choices=", ".join(sorted(known)) or "(none yet)",
                )


def find_key(data: Any, key: str, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Yield (path, value) for every mapping key named ``key`` in the data."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield (*at, k), v
            yield from find_key(v, key, (*at, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from find_key(v, key, (*at, i))
