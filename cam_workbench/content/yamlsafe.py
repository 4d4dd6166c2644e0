"""Strict, bounded YAML reading that keeps the line of every value.

PyYAML's safe loader still keeps the last of two duplicate keys, expands aliases and
accepts tags; here every such case is a :class:`~cam_workbench.content.problems.Problem` instead.
The result is plain data (dict/list/str/int/float/bool/None) plus a map from each path
in the data to its 1-based line.

Plain scalars are read with YAML 1.2's core schema, not PyYAML's YAML 1.1: only
``true``/``false`` are booleans (a Spanish paragraph ``No`` or an answer ``yes``, ``on``,
``off`` stays text), ``010`` is ten, ``1:30`` is text (not 90), and there are no
timestamps (dates stay text; the model parses them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import yaml

from cam_workbench.content.problems import Problem, ProblemCode, problem

MAX_BYTES: Final = 256 * 1024
MAX_DEPTH: Final = 40

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Parsed:
    """Plain data from one YAML file and the line of each path in it."""

    data: Any
    lines: dict[Path_, int]

    def line_of(self, path: Path_) -> int:
        """Return the line of the deepest existing prefix of ``path`` (1 if none)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


class _Refused(Exception):
    """A construct we refuse, raised from inside the composer."""

    def __init__(self, found: Problem) -> None:
        super().__init__(str(found))
        self.found = found


_CORE_SCHEMA: Final = (
    # (tag, pattern, first characters): the YAML 1.2 core schema's plain scalars.
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
)


def _core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML 1.2 core integer: decimal (``010`` is ten), ``0o`` octal, ``0x`` hexadecimal."""
    value = str(loader.construct_scalar(node))
    if value.startswith(("0o", "0x")):
        return int(value[2:], 8 if value[1] == "o" else 16)
    return int(value, 10)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader reading YAML 1.2 core scalars, refusing aliases, tags, deep nesting."""

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}

    display_path = "<content>"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(problem(ProblemCode.alias, self.display_path, line))
        tag = getattr(event, "tag", None)
        if tag is not None:  # even the bare '!', which PyYAML does not read as text
            raise _Refused(problem(ProblemCode.tag, self.display_path, line, tag=tag))
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    problem(ProblemCode.too_deep, self.display_path, line, limit=MAX_DEPTH)
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


for _tag, _pattern, _first in _CORE_SCHEMA:
    _starts = [*_first, None] if _tag.endswith(":null") else list(_first)  # None: empty value
    _StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), _starts)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _core_int)


def decode(raw: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """Check size and encoding of a file's bytes and return its text."""
    if len(raw) > MAX_BYTES:
        return None, [problem(ProblemCode.file_too_large, path, 1, size=len(raw), limit=MAX_BYTES)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        detail = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        return None, [problem(ProblemCode.not_utf8, path, line, detail=detail)]
    return text.removeprefix("\ufeff"), []


def parse(text: str, path: str) -> tuple[Parsed | None, list[Problem]]:
    """Parse YAML text strictly into plain data with line numbers."""
    try:
        loader = _StrictLoader(text)
    except yaml.YAMLError as exc:  # the reader checks every character up front
        return None, [_syntax_problem(exc, path, text)]
    loader.display_path = path
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        return None, [exc.found]
    except yaml.composer.ComposerError as exc:
        if "single document" in str(exc.context):
            line = exc.problem_mark.line + 1 if exc.problem_mark else 1
            return None, [problem(ProblemCode.multiple_documents, path, line)]
        return None, [_syntax_problem(exc, path, text)]
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(exc, path, text)]
    finally:
        loader.dispose()
    if node is None:
        return None, [problem(ProblemCode.empty_file, path, 1)]
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    problems: list[Problem] = []
    data = _to_data(node, (), lines, problems, loader, path)
    return Parsed(data, lines), problems


def _syntax_problem(exc: yaml.YAMLError, path: str, text: str) -> Problem:
    """Turn any PyYAML error into a located syntax problem."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line = mark.line + 1
    else:  # ReaderError (e.g. control characters) has only a character position
        position = getattr(exc, "position", 0) or 0
        line = text[:position].count("\n") + 1
    detail = str(getattr(exc, "problem", None) or getattr(exc, "reason", None) or exc).strip()
    character = getattr(exc, "character", None)  # ReaderError: an invisible character
    if isinstance(character, int):
        detail += f" (found U+{character:04X})"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        # e.g. an unclosed quote or bracket: say where it was opened
        detail += f" ({context} that starts on line {context_mark.line + 1})"
    return problem(ProblemCode.yaml_syntax, path, line, detail=detail)


def _to_data(
    node: yaml.Node,
    at: Path_,
    lines: dict[Path_, int],
    problems: list[Problem],
    loader: _StrictLoader,
    path: str,
) -> Any:
    """Convert a node tree to plain data, recording lines and key problems."""
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):  # '? [a, b]' or '? {a: b}'
                problems.append(
                    problem(ProblemCode.non_string_key, path, key_line, key=key_node.id)
                )
                continue
            key = _scalar(key_node, loader)
            if not isinstance(key, str):
                problems.append(problem(ProblemCode.non_string_key, path, key_line, key=key))
                continue
            if key in first_line:
                problems.append(
                    problem(
                        ProblemCode.duplicate_key,
                        path,
                        key_line,
                        key=key,
                        first_line=first_line[key],
                    )
                )
                continue
            first_line[key] = key_line
            lines[(*at, key)] = key_line
            result[key] = _to_data(value_node, (*at, key), lines, problems, loader, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, child in enumerate(node.value):
            lines[(*at, index)] = child.start_mark.line + 1
            items.append(_to_data(child, (*at, index), lines, problems, loader, path))
        return items
    return _scalar(node, loader)


def _scalar(node: yaml.Node, loader: _StrictLoader) -> Any:
    """Construct a scalar; dates stay text so the model parses them."""
    # Dates stay text; so do '<<' (merge) and '=' (value), whose implicit tags the safe
    # constructor cannot build (it would raise instead of reporting a problem).
    if node.tag == "tag:yaml.org,2002:timestamp" or node.tag not in loader.yaml_constructors:
        return node.value
    try:
        return loader.construct_object(node, deep=False)
    except ValueError:  # e.g. an integer of more than 4300 digits: leave it as text
        return node.value
