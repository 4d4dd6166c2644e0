"""Answers typed as ``ID=yes|no`` (the ``screen`` command) → :class:`Answers`, and back.

Semantics: every item needs an explicit ``yes`` or ``no``. All ``no`` means "None of these
apply to me". ``none=yes`` is a short way to say that: items left out are then ``no``, and
an item answered ``yes`` contradicts it. (If a screening ever has an item whose id is
``none``, that item wins and the short way is not available.) Every problem is collected
and reported together, each naming the item.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum, unique
from typing import Final

from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.rules import Answers

#: The key that stands for "None of these apply to me".
NONE_KEY: Final = "none"
YES: Final = "yes"
NO: Final = "no"


@unique
class AnswerInputCode(Enum):
    """Every problem with typed answers: the message (tests assert on the codes)."""

    malformed = "'{raw}' is not ID=yes or ID=no — write it like --answer {example}=yes"
    unknown_item = "'{key}' is not an item of this screening{suggestion}"
    bad_value = "'{raw}': the answer for '{key}' must be yes or no, not '{value}'"
    repeated = "'{key}' is answered more than once — give one answer per item"
    missing = "no answer for '{key}' — add --answer {key}=yes or --answer {key}=no"
    contradiction = (
        "'{key}=yes' contradicts '{none}=yes' (none of these apply) — "
        "answer one of them differently"
    )
    none_but_all_no = (
        "'{none}=no' but every item is answered no — answer yes to at least one item, "
        "or say {none}=yes"
    )


@dataclass(frozen=True)
class AnswerInputProblem:
    """One problem with the typed answers: a catalogue code and its message."""

    code: AnswerInputCode
    message: str

    def __str__(self) -> str:
        """Show the message alone."""
        return self.message


class AnswerInputError(ValueError):
    """The typed answers cannot be evaluated; carries every problem found."""

    def __init__(self, problems: list[AnswerInputProblem]) -> None:
        """Keep the problems in the order they were found."""
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _problem(code: AnswerInputCode, **fields: str) -> AnswerInputProblem:
    return AnswerInputProblem(code, code.value.format(**fields))


def parse_answers(screening: ScreeningFile, pairs: Iterable[str]) -> Answers:
    """Turn ``["leg_symptoms=yes", ...]`` into :class:`Answers` (see the module doc).

    Raises:
        AnswerInputError: with every problem, each naming the item.

    """
    ids = [item.id for item in screening.items]
    none_key = NONE_KEY if NONE_KEY not in ids else None
    keys = ids + ([none_key] if none_key else [])
    given: dict[str, bool] = {}
    mentioned: set[str] = set()  # named with a problem: not reported as missing too
    problems: list[AnswerInputProblem] = []
    for raw in pairs:
        key, sep, value = (part.strip() for part in raw.partition("="))
        if not sep or not key:
            example = key if key in keys else ids[0]
            mentioned.add(key)
            problems.append(_problem(AnswerInputCode.malformed, raw=raw, example=example))
            continue
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
            suggestion = (
                f" — did you mean '{close[0]}'?" if close else f" — use one of: {', '.join(keys)}"
            )
            mentioned.update(close)
            problems.append(_problem(AnswerInputCode.unknown_item, key=key, suggestion=suggestion))
            continue
        mentioned.add(key)
        if value.lower() not in (YES, NO):
            problems.append(_problem(AnswerInputCode.bad_value, raw=raw, key=key, value=value))
            continue
        if key in given:
            problems.append(_problem(AnswerInputCode.repeated, key=key))
            continue
        given[key] = value.lower() == YES
    none = given.pop(none_key, None) if none_key else None
    for key in ids:
        if key not in given and key not in mentioned and none is not True:
            problems.append(_problem(AnswerInputCode.missing, key=key))
    if none is True:
        for key in ids:
            if given.get(key):
                problems.append(_problem(AnswerInputCode.contradiction, key=key, none=NONE_KEY))
    flags = [key for key in ids if given.get(key)]
    if none is False and not flags and len(given) == len(ids):
        problems.append(_problem(AnswerInputCode.none_but_all_no, none=NONE_KEY))
    if problems:
        raise AnswerInputError(problems)
    return Answers.of(flags, none_of_these=not flags)


def answer_map(screening: ScreeningFile, answers: Answers) -> dict[str, bool]:
    """Each item id → checked or not, in the screening's order."""
    return {item.id: item.id in answers.flags for item in screening.items}
