"""One catalogue of every problem a content file can have, as a typed :class:`ProblemCode`.

Like pyxform's ``ErrorCode``: each code says *what* is wrong and *how to fix it*; a
:class:`Problem` adds *where* (``path:line``). Reviewer warnings (reported by ``validate``
but not a failure) are marked in the catalogue. Tests assert on the codes, never on
copied strings.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum, unique
from typing import Literal, NamedTuple


class Entry(NamedTuple):
    """What is wrong and how to fix it (``{placeholders}`` filled by :func:`problem`)."""

    what: str
    fix: str
    warning: bool = False
    """A reviewer warning: shown by ``validate``, but not a failure (exit 0)."""


@unique
class ProblemCode(Enum):
    """Every problem a content file can have: what is wrong, how to fix it."""

    file_too_large = Entry(
        "file is {size} bytes, more than the {limit} bytes allowed",
        "split it into smaller files; a content file should be a few pages of text",
    )
    not_utf8 = Entry(
        "bytes that are not UTF-8 text ({detail})",
        "save the file as UTF-8 in your editor",
    )
    empty_file = Entry(
        "file is empty",
        "add the content (start from another file in this folder) or delete the file",
    )
    yaml_syntax = Entry(
        "YAML syntax error: {detail}",
        "check indentation and quoting on this line; quote text that contains ': ' or '#'",
    )
    multiple_documents = Entry(
        "more than one YAML document ('---') in the file",
        "keep one document per file; move the rest into a new file",
    )
    alias = Entry(
        "YAML anchor or alias ('&' / '*') found",
        "write the text out in full; anchors and aliases are not allowed in content",
    )
    tag = Entry(
        "YAML tag '{tag}' found",
        "remove the tag; content files hold only plain text, numbers, lists and mappings",
    )
    too_deep = Entry(
        "nesting is deeper than {limit} levels",
        "flatten the structure; content never needs this much nesting",
    )
    duplicate_key = Entry(
        "key '{key}' appears twice in the same mapping (first on line {first_line})",
        "keep one of them; YAML would silently drop the first one",
    )
    non_string_key = Entry(
        "key {key!r} is not text",
        "use a plain word as the key, e.g. 'heading'",
    )
    top_level_type = Entry(
        "the file holds a {found}, not a mapping of keys",
        "start the file with 'kind:' and 'meta:' keys (see another file in this folder)",
    )
    missing_kind = Entry(
        "no 'kind' key at the top of the file",
        "add 'kind: {choices}' as the first key",
    )
    unknown_kind = Entry(
        "unknown kind '{kind}'",
        "use one of: {choices}{suggestion}",
    )
    unknown_key = Entry(
        "unknown key '{key}'{where}",
        "{suggestion}",
    )
    missing_key = Entry(
        "missing key '{key}'{where}",
        "add '{key}:' here (see content/schema/content.schema.json for what it holds)",
    )
    no_source = Entry(
        "{what} has no source{where}",
        "add 'sources: [source-id]' citing where its facts come from (ids from 'sources:')",
    )
    wrong_value = Entry(
        "{detail}{where}",
        "{fix}",
    )
    duplicate_id = Entry(
        "id '{id}' is used twice (first on line {first_line})",
        "give each {what} its own id",
    )
    duplicate_file_id = Entry(
        "file id '{id}' for language '{language}' is also used by {other}",
        "give each content file its own meta.id",
    )
    unknown_source = Entry(
        "source '{id}' is not in this file's 'sources:' list",
        "add it to 'sources:' or use one of: {choices}",
    )
    unknown_item = Entry(
        "rule '{rule}' names unknown item '{id}'",
        "{suggestion}",
    )
    unknown_outcome = Entry(
        "rule '{rule}' leads to unknown outcome '{id}'",
        "{suggestion}",
    )
    unreached_outcome = Entry(
        "outcome '{id}' is never reached by any answer",
        "add a rule that leads to it, or remove the outcome",
    )
    unused_item = Entry(
        "item '{id}' is not named by any rule, so checking it would lead nowhere",
        "name it in a rule's 'any_of' or 'all_of'",
    )
    uncovered_answers = Entry(
        "no rule decides the answer {answer}",
        "add a rule that covers it (every answer must lead to an outcome)",
    )
    no_none_rule = Entry(
        "no rule handles the 'None of these' answer",
        "add a rule with 'when: {{none_of_these: true}}'",
    )
    duplicate_tier = Entry(
        "tier {tier} is used by outcomes '{first}' and '{second}'",
        "give each outcome its own tier (higher = more severe)",
    )
    gate_needs_clearance = Entry(
        "outcome '{id}' has 'gate: true' but no '{key}'",
        "add '{key}:' (the patient's way on once their doctor has cleared them)",
    )
    cleared_label_own_words = Entry(
        "cleared_label of outcome '{id}' is not worded as the patient's own statement",
        "start it with 'I', e.g. 'I have talked with my doctor about these signs, and they "
        "said I can do this program' (the page must never state the clearance as a fact)",
    )
    stop_needs_gate = Entry(
        "outcome '{id}' has 'stop: true' but not 'gate: true'",
        "add 'gate: true' (an outcome that stops the patient must be shown before the program)",
    )
    stop_with_clearance = Entry(
        "outcome '{id}' has 'stop: true' and also '{key}'",
        "remove '{key}': there is no way on to the program from an outcome that stops",
    )
    placeholder_text = Entry(
        "placeholder text '{text}' left in patient content{where}",
        "write the real text here (placeholders such as 'TODO: write this text' come from "
        "'cam-workbench import fhir' and must never reach patients)",
    )
    empty_rule = Entry(
        "rule '{rule}' has no condition",
        "give it 'any_of: [...]', 'all_of: [...]' or 'none_of_these: true'",
    )
    too_many_files = Entry(
        "{count} content files found, more than the {limit} allowed",
        "point --content at the content folder itself, or remove files that are not content",
    )
    no_content = Entry(
        "no content files found",
        "point --content at the folder that holds the YAML files (e.g. content/)",
    )
    second_signoff = Entry(
        "a second sign-off file (the first is {first})",
        "keep all approvals in one file (content/review/signoff.yaml); delete this one",
    )
    unknown_guide = Entry(
        "PEMAT checklist names guide '{id}' in language '{language}', which does not exist",
        "use the meta.id and language of a guide file: {choices}",
    )
    missing_file_kind = Entry(
        "no '{kind}' file for language '{language}'",
        "add one (see content/en/ for the English one)",
    )
    # --- translations (content/es/ and other languages) ---
    unknown_translation_source = Entry(
        "meta.translation_of names {kind} '{id}' in language '{language}', which does not exist",
        "use the meta.id and language of the file this one translates: {choices}",
    )
    translation_logic_differs = Entry(
        "{what} differs from {source}: the logic must be the same in every language",
        "copy it exactly from {source} (translate only the texts), or change both files",
    )
    translation_missing_entry = Entry(
        "{what} has no {language} counterpart in {translation}",
        "add it to {translation}, translated (same id or key, same place)",
        warning=True,
    )
    translation_extra_entry = Entry(
        "{what} has no {source_language} counterpart in {source}",
        "remove it, or add it to {source} first (the English file is the source)",
        warning=True,
    )
    translation_shape_differs = Entry(
        "{what} has {found} in {translation} but {expected} in {source}",
        "make them match: translate every paragraph and bullet; keep ids, references and "
        "numbers as in the source",
        warning=True,
    )
    translation_missing_file = Entry(
        "{source} has no {language} translation",
        "add {language_code}/{name} with 'meta.translation_of' (see content/es/ for examples)",
        warning=True,
    )
    translation_unmarked = Entry(
        "file translates {source} but its meta has no 'translation_of'",
        "run 'cam-workbench translation-stamp {translation}' to record what it translates",
        warning=True,
    )
    translation_stale = Entry(
        "{source} changed after this translation was made{changes}",
        "update the translation to match, have it reviewed, then run "
        "'cam-workbench translation-stamp {translation}'",
        warning=True,
    )

    @property
    def is_warning(self) -> bool:
        """Whether this code is a reviewer warning (reported, but content still loads)."""
        return self.value.warning


Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one place: ``path:line: what — how to fix``."""

    path: str
    line: int
    code: ProblemCode = field(compare=False)
    what: str = field(compare=False)
    fix: str = field(compare=False)
    severity: Severity = field(default="error", compare=False)

    @property
    def is_warning(self) -> bool:
        """Whether this is a reviewer warning (reported, but content still loads)."""
        return self.severity == "warning"

    def __str__(self) -> str:
        """Render as ``path:line: what is wrong — how to fix it`` (``warning:`` before it)."""
        label = "warning: " if self.is_warning else ""
        return f"{self.path}:{self.line}: {label}{self.what} — {self.fix}"


def problem(code: ProblemCode, path: str, line: int | None, **fields: object) -> Problem:
    """Build a :class:`Problem` from a catalogue ``code`` and its placeholder values."""
    return Problem(
        path=path,
        line=max(1, line or 1),
        code=code,
        what=code.value.what.format(**fields),
        fix=code.value.fix.format(**fields),
        severity="warning" if code.is_warning else "error",
    )


class ContentError(Exception):
    """Content could not be loaded; carries every problem found, sorted by place."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep the problems sorted by file and line."""
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- parts of messages -------------------------------------------------------------------


def did_you_mean(word: str, choices: Iterable[str], prefix: str = "did you mean ") -> str:
    """Suggest the closest spelling, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"{prefix}'{close[0]}'?" if close else ""


def where(path: tuple[str | int, ...]) -> str:
    """Render a data path like ``sections[2].body`` for messages."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return f" in {text}" if text else ""
