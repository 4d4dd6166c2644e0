"""Edit a content file's YAML text in place, keeping its comments and layout.

A YAML round trip through a parser would drop every comment and reflow the file; these
edits change only the lines of the entry they write: :func:`set_meta_entry` (stamping a
translation) and :func:`replace_scalars` (importing a translator's texts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import yaml

from cam_workbench.content.yamlsafe import parse

_TOP_KEY: Final = re.compile(r"^meta:\s*(#.*)?$")
_KEY: Final = re.compile(r"^(\s+)([A-Za-z_][\w-]*):")


def set_meta_entry(text: str, key: str, value: Mapping[str, Any]) -> str:
    """Return the YAML text with ``meta.<key>`` replaced by (or set to) ``value``.

    Everything else in the file (comments, layout, other keys) is kept as it is; the entry
    is written in block style at the indentation of ``meta``'s other keys.

    Raises:
        ValueError: the file has no block-style ``meta:`` mapping to put it in.

    """
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _TOP_KEY.match(line.rstrip("\n"))), None)
    if start is None:
        raise ValueError("no 'meta:' block at the top level of the file")
    end = start + 1  # meta's block: indented, blank or comment lines after 'meta:'
    while end < len(lines) and (lines[end][:1] in (" ", "\t") or not lines[end].strip()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    keys = [(i, m) for i in range(start + 1, end) if (m := _KEY.match(lines[i]))]
    if not keys:
        raise ValueError("'meta:' has no keys below it")
    indent = keys[0][1].group(1)
    data = {key: dict(value)}
    block = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    new = [f"{indent}{line}\n" for line in block.splitlines()]
    found = next((i for i, m in keys if m.group(2) == key and m.group(1) == indent), None)
    if found is None:
        return "".join(lines[:end] + new + lines[end:])
    stop = found + 1
    while stop < end and (
        not lines[stop].strip() or len(lines[stop]) - len(lines[stop].lstrip()) > len(indent)
    ):
        stop += 1
    return "".join(lines[:found] + new + lines[stop:])


# --- replacing texts in place (translation import) -----------------------------------------

DataPath = tuple[str | int, ...]


def _scalar_spans(node: yaml.Node, path: DataPath = ()) -> dict[DataPath, tuple[int, int]]:
    """Each scalar's data path → its (start, end) in the text."""
    spans: dict[DataPath, tuple[int, int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            spans |= _scalar_spans(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            spans |= _scalar_spans(value, (*path, index))
    elif isinstance(node, yaml.ScalarNode):
        spans[path] = (node.start_mark.index, node.end_mark.index)
    return spans


def render_scalar(value: str, quoted: bool = False) -> str:
    """One line of YAML for a string: plain when PyYAML finds that safe, else double-quoted."""
    style = '"' if quoted or "\n" in value else None
    out = yaml.safe_dump(
        [value], allow_unicode=True, width=1_000_000, default_flow_style=False, default_style=style
    )
    if not out.startswith("- ") or out.count("\n") != 1:
        return render_scalar(value, quoted=True) if not quoted else out[2:].rstrip("\n")
    return out[2:-1]


def _set(data: Any, path: DataPath, value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def replace_scalars(text: str, updates: Mapping[DataPath, str]) -> str:
    """Return the YAML text with the strings at ``updates``' data paths replaced.

    Every other byte is kept (comments, layout, the other values): only each updated
    scalar's own span is rewritten, on one line. The result is read again with the
    project's strict reader and must equal the old data with exactly these values changed.

    Raises:
        ValueError: a path is not a scalar of the text, or the edit would change more.

    """
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        raise ValueError("the file is empty")
    spans = _scalar_spans(node)
    missing = [p for p in updates if p not in spans]
    if missing:
        raise ValueError(f"no text at {', '.join(map(str, missing))}")
    before, _ = parse(text, "before")
    if before is None:
        raise ValueError("the file does not read as YAML")
    expected = before.data
    for path, value in updates.items():
        _set(expected, path, value)
    for quoted in (False, True):  # plain where safe; double quotes if that reads otherwise
        out = text
        for path in sorted(updates, key=lambda p: spans[p][0], reverse=True):
            start, end = spans[path]
            old = out[start:end]
            tail = old[len(old.rstrip()) :]  # a block scalar's line end stays
            out = out[:start] + render_scalar(updates[path], quoted) + tail + out[end:]
        after, _ = parse(out, "after")
        if after is not None and after.data == expected:
            return out
    raise ValueError("writing these texts would change more than the texts; nothing written")
