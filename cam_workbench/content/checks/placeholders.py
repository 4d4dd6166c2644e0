"""No placeholder text (``TODO``, ``FIXME`` ...) anywhere a patient could read it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from cam_workbench.content.problems import Problem, ProblemCode, problem, where
from cam_workbench.content.yamlsafe import Parsed

#: Text that marks a placeholder (``import fhir`` writes ``TODO: write this text``).
#: Capitals only: Spanish "todo" (all) is a word, not a placeholder.
PLACEHOLDER_MARK: Final = re.compile(r"\b(?:TODO|FIXME|TBD|XXX)\b|[Ll]orem ipsum")


def check_placeholders(parsed: Parsed, path: str) -> Iterator[Problem]:
    """No placeholder text anywhere a patient could read it (all but ``meta`` and sources)."""
    data = parsed.data
    for key in data if isinstance(data, dict) else ():
        if key in ("meta", "sources", "kind"):
            continue
        for at, text in _strings(data[key], (key,)):
            found = PLACEHOLDER_MARK.search(text)
            if found:
                yield problem(
                    ProblemCode.placeholder_text,
                    path,
                    parsed.line_of(at),
                    text=found.group(0),
                    where=where(at),
                )


def _strings(data: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Yield (path, text) for every string value in the data."""
    if isinstance(data, str):
        yield at, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _strings(v, (*at, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _strings(v, (*at, i))
