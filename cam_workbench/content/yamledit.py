"""Edit a content file's YAML text in place, keeping its comments and layout (for stamping).

A YAML round trip through a parser would drop every comment and reflow the file; these
edits change only the lines of the entry they write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import yaml

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
