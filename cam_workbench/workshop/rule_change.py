"""A rule change tried on a copy of the content: which answers now lead elsewhere.

:func:`try_rule_change` edits a *copy* of the content in a temporary folder (the real files
are never touched), loads it with the same strict checks as ``cam-workbench validate``, and
compares the decision tables (:mod:`cam_workbench.review.decision_table`). The change the
workshop shows is content too (``rule_change:`` in ``personas.yaml``, :func:`suggested_change`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import yaml

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content
from cam_workbench.content.model import PersonasFile, ScreeningFile
from cam_workbench.content.problems import ContentError
from cam_workbench.content.rules import Answers
from cam_workbench.content.yamlsafe import parse
from cam_workbench.review.decision_table import Row, decision_rows

#: Lists a rule change may add entries to, in a screening file.
CHANGEABLE: Final = ("items", "outcomes", "rules")


def suggested_change(content: ContentSet, language: str = "en") -> str:
    """The content's own rule change (``rule_change:`` in the personas file) as YAML text."""
    change = next((f.rule_change for f in content.of_kind(PersonasFile, language)), None)
    if change is None:
        raise LookupError(f"no rule_change in the personas file in language {language!r}")
    data = change.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


@dataclass(frozen=True)
class RowChange:
    """One answer set whose outcome the change moves."""

    answers: Answers
    before: str
    after: str
    decided_by: str


@dataclass(frozen=True)
class RuleChange:
    """The decision table before and after a change to the screening, and what moved."""

    screening_before: ScreeningFile
    screening_after: ScreeningFile
    before: tuple[Row, ...]
    after: tuple[Row, ...]
    changed: tuple[RowChange, ...]
    change_yaml: str = ""


def answers_key(answers: Answers) -> tuple[frozenset[str], bool]:
    """A row's answers as a key (the same answers in both tables)."""
    return answers.flags, answers.none_of_these


def compare_tables(before: ScreeningFile, after: ScreeningFile) -> RuleChange:
    """Decide every answer set with both screenings; list the ones whose outcome changes."""
    rows_before = tuple(decision_rows(before))
    rows_after = tuple(decision_rows(after))
    old = {answers_key(r.answers): r for r in rows_before}
    changed = tuple(
        RowChange(
            r.answers,
            old[answers_key(r.answers)].outcome if answers_key(r.answers) in old else "(new)",
            r.outcome,
            r.decided_by,
        )
        for r in rows_after
        if answers_key(r.answers) not in old or old[answers_key(r.answers)].outcome != r.outcome
    )
    return RuleChange(before, after, rows_before, rows_after, changed)


def _screening_file(content: ContentSet, language: str) -> Path:
    for loaded in content.files:
        model = loaded.model
        if isinstance(model, ScreeningFile) and model.meta.language == language:
            return loaded.path
    raise LookupError(f"no screening in language {language!r}")


def _additions(change_yaml: str) -> Mapping[str, list[Any]]:
    """Parse the change (strict YAML, as content files are) and check its shape."""
    parsed, problems = parse(change_yaml, "<change>")
    if parsed is None:
        raise ContentError(problems)
    data = parsed.data
    if not isinstance(data, dict) or not data:
        raise ValueError(f"the change must be a mapping with any of: {', '.join(CHANGEABLE)}")
    unknown = sorted(set(data) - set(CHANGEABLE))
    if unknown:
        raise ValueError(f"the change may add to {', '.join(CHANGEABLE)} only, not {unknown}")
    for key, value in data.items():
        if not isinstance(value, list):
            raise ValueError(f"'{key}:' in the change must be a list of entries")
    return data


def try_rule_change(content_dir: Path, change_yaml: str, language: str = "en") -> RuleChange:
    """Add the entries in ``change_yaml`` to a copy of the screening; compare decision tables.

    The copy holds the ``language`` folder of ``content_dir`` only (a change to the English
    rules would otherwise be refused until every translation has it too). It is loaded with
    every check of ``cam-workbench validate``, so a broken rule raises
    :class:`~cam_workbench.content.problems.ContentError` with the catalogue's messages, as it
    would for a reviewer. The copy is deleted afterwards.
    """
    content_dir = Path(content_dir)
    original = load_content(content_dir)
    source = _screening_file(original, language)
    additions = _additions(change_yaml)
    with tempfile.TemporaryDirectory(prefix="cam-workshop-") as tmp:
        copy = Path(tmp) / "content"
        folder = source.parent
        shutil.copytree(folder, copy / folder.name)
        target = copy / folder.name / source.name
        # Read as content is read (YAML 1.2: an unquoted "No" stays text, not false).
        parsed, _ = parse(target.read_text(encoding="utf-8"), str(target))
        data = parsed.data if parsed is not None else {}
        for key, entries in additions.items():
            data[key] = list(data.get(key) or []) + entries
        target.write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8",
        )
        changed = load_content(copy)
        result = compare_tables(original.screening(language), changed.screening(language))
        return replace(result, change_yaml=change_yaml.strip("\n"))
