"""Translator files: every patient text as PO or XLIFF 1.2 out, checked translations back in.

``cam-workbench translation export --lang es --format po|xliff`` writes one file with every
text a patient reads (:mod:`cam_workbench.content.exchange`): its id, the source (English)
text, the translation, and whether it is stale. ``translation import FILE`` reads such a file
back, checks every entry against the content as it is now, writes the translations into the
language's files in place (comments and layout kept:
:func:`~cam_workbench.content.yamledit.replace_scalars`) and stamps each file whose texts all
came back translated and reviewed (``translation-stamp``). Any refusal writes nothing.

- **PO** (gettext, with ``polib``): ``msgctxt`` is the id (it also keeps two equal source
  texts apart), ``msgid`` the source, ``msgstr`` the translation; a stale text is ``fuzzy``
  with a ``#.`` note, a text with ``{placeholders}`` is flagged ``python-brace-format`` so
  tools check them; ``#:`` says where the translation is. Lines are never wrapped.
- **XLIFF 1.2** (standard library; OASIS XLIFF 1.2): one ``<file>`` per content file,
  ``trans-unit/@id`` is the id, ``<target state>`` is ``translated``,
  ``needs-review-translation`` (stale) or ``new`` (none yet). Files with a DOCTYPE or
  entities are refused before parsing.
- Each file's source hash rides along (PO header ``X-Source-Hashes``, XLIFF ``<header><note
  from="source-sha256">``): a file is stamped only if its source is still what was exported,
  so a source change that is not text (a rule, a reference) is never stamped away.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from cam_workbench.content.checks.translations import Pair, find_pairs, language_name
from cam_workbench.content.contentset import ContentSet, relpath
from cam_workbench.content.exchange import (
    PLACEHOLDER,
    Entry,
    ImportPlan,
    ImportRefused,
    entries,
    file_name,
    plan_import,
)
from cam_workbench.content.fingerprints import file_hash
from cam_workbench.content.loading import load_file
from cam_workbench.content.stamp import stamp_file
from cam_workbench.content.yamledit import replace_scalars

Format = Literal["po", "xliff"]
XLIFF_NS: Final = "urn:oasis:names:tc:xliff:document:1.2"
_X: Final = f"{{{XLIFF_NS}}}"
_XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"
#: XLIFF 1.2 target states that mean "not done": such texts are never imported.
NOT_DONE: Final = frozenset(
    {
        "new",
        "needs-translation",
        "needs-adaptation",
        "needs-l10n",
        "needs-review-translation",
        "needs-review-adaptation",
        "needs-review-l10n",
    }
)
#: Largest translator file ``translation import`` reads.
MAX_BYTES: Final = 5 * 1024 * 1024


class TranslatorFileError(ValueError):
    """The file is not a PO or XLIFF file this workbench wrote (or can read)."""


@dataclass(frozen=True)
class TranslatorFile:
    """What a translator's file holds."""

    language: str
    entries: list[Entry]
    source_hashes: dict[str, str] = field(default_factory=dict)  # file name → sha256


def pairs_in(content: ContentSet, language: str) -> list[Pair]:
    """The source files and their translations into ``language``, by source path.

    Raises:
        TranslatorFileError: the content has no translation into ``language``.

    """
    pairs, _ = find_pairs(content.files)
    found = sorted(
        (p for p in pairs if p.translation.model.meta.language == language),
        key=lambda p: p.source.relpath,
    )
    if not found:
        have = sorted({p.translation.model.meta.language for p in pairs})
        raise TranslatorFileError(
            f"no translations into '{language}' in the content (translated: "
            f"{', '.join(have) or 'none'})"
        )
    return found


# --- export ---------------------------------------------------------------------------------


def export(content: ContentSet, language: str, fmt: Format) -> bytes:
    """Every patient text of the translations into ``language``, as a PO or XLIFF file."""
    pairs = pairs_in(content, language)
    items = [e for pair in pairs for e in entries(pair)]
    hashes = {file_name(p): file_hash(p.source.model) for p in pairs}
    source_language = pairs[0].source.model.meta.language
    where = {file_name(p): relpath(content, p.translation) for p in pairs}
    if fmt == "po":
        return to_po(items, language, source_language, hashes, where).encode("utf-8")
    return to_xliff(items, language, source_language, hashes)


def to_po(
    items: Sequence[Entry],
    language: str,
    source_language: str,
    hashes: dict[str, str],
    where: dict[str, str],
) -> str:
    """Render entries as a PO file (see the module)."""
    import polib

    po = polib.POFile(wrapwidth=0)  # one line per text: diffs of the file stay readable
    po.metadata = {
        "Project-Id-Version": "cam-workbench patient content",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Source-Language": source_language,
        "X-Source-Hashes": " ".join(f"{name}={sha}" for name, sha in hashes.items()),
    }
    for e in items:
        flags = ["fuzzy"] if e.stale and e.target else []
        if PLACEHOLDER.search(e.source):
            flags.append("python-brace-format")
        name = e.id.split("#", 1)[0]
        po.append(
            polib.POEntry(
                msgctxt=e.id,
                msgid=e.source,
                msgstr=e.target,
                flags=flags,
                comment=e.note,
                occurrences=[(where[name], str(e.line))] if e.line else [],
            )
        )
    return str(po)


def to_xliff(
    items: Sequence[Entry], language: str, source_language: str, hashes: dict[str, str]
) -> bytes:
    """Render entries as XLIFF 1.2 (see the module)."""
    ET.register_namespace("", XLIFF_NS)
    root = ET.Element(f"{_X}xliff", {"version": "1.2"})
    bodies: dict[str, ET.Element] = {}
    for e in items:
        name = e.id.split("#", 1)[0]
        if name not in bodies:
            attrs = {"original": name, "source-language": source_language}
            attrs |= {"target-language": language, "datatype": "plaintext"}
            element = ET.SubElement(root, f"{_X}file", attrs)
            header = ET.SubElement(element, f"{_X}header")
            ET.SubElement(header, f"{_X}note", {"from": "source-sha256"}).text = hashes[name]
            bodies[name] = ET.SubElement(element, f"{_X}body")
        unit = ET.SubElement(bodies[name], f"{_X}trans-unit", {"id": e.id, _XML_SPACE: "preserve"})
        ET.SubElement(unit, f"{_X}source").text = e.source
        state = "new" if not e.target else ("needs-review-translation" if e.stale else "translated")
        ET.SubElement(unit, f"{_X}target", {"state": state}).text = e.target
        if e.note:
            ET.SubElement(unit, f"{_X}note", {"from": "cam-workbench"}).text = e.note
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# --- reading a translator's file --------------------------------------------------------------


def read(path: Path) -> TranslatorFile:
    """Read a PO or XLIFF file (by its name, else by its first bytes).

    Raises:
        TranslatorFileError: missing, too large, not UTF-8, or not a PO/XLIFF file we read;
            the message says where.

    """
    if not path.is_file():
        raise TranslatorFileError(f"file not found: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise TranslatorFileError(f"{path} is larger than {MAX_BYTES} bytes")
    data = path.read_bytes()
    looks_xml = data.lstrip()[:1] == b"<"
    if path.suffix.lower() in (".xlf", ".xliff", ".xml") or (
        path.suffix.lower() not in (".po", ".pot") and looks_xml
    ):
        return from_xliff(data, str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TranslatorFileError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    return from_po(text, str(path))


def from_po(text: str, where: str = "PO file") -> TranslatorFile:
    """Entries of a PO file (``stale`` = fuzzy)."""
    import polib

    try:
        po = polib.pofile(text)
    except (OSError, ValueError) as exc:
        raise TranslatorFileError(f"{where}: not a PO file we can read: {exc}") from None
    language = po.metadata.get("Language", "").strip()
    if not language:
        raise TranslatorFileError(f"{where}: the PO header has no 'Language:'")
    hashes = dict(
        item.split("=", 1) for item in po.metadata.get("X-Source-Hashes", "").split() if "=" in item
    )
    found = [
        Entry(e.msgctxt or e.msgid, e.msgid, e.msgstr, "fuzzy" in e.flags)
        for e in po
        if not e.obsolete
    ]
    return TranslatorFile(language, found, hashes)


def from_xliff(data: bytes, where: str = "XLIFF file") -> TranslatorFile:
    """Entries of an XLIFF 1.2 file (``stale`` = a not-done state or ``approved="no"``)."""
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise TranslatorFileError(f"{where}: XLIFF with a DOCTYPE or entities is refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        raise TranslatorFileError(f"{where}:{line}: not well-formed XML: {exc}") from None
    if root.tag != f"{_X}xliff" or root.get("version") != "1.2":
        raise TranslatorFileError(f"{where}: not an XLIFF 1.2 file (root {root.tag})")
    languages = {f.get("target-language", "") for f in root.iter(f"{_X}file")}
    if len(languages) != 1 or "" in languages:
        raise TranslatorFileError(f"{where}: each <file> needs the same target-language")
    hashes: dict[str, str] = {}
    found: list[Entry] = []
    for element in root.iter(f"{_X}file"):
        note = element.find(f"{_X}header/{_X}note[@from='source-sha256']")
        if note is not None and note.text:
            hashes[element.get("original", "")] = note.text.strip()
        for unit in element.iter(f"{_X}trans-unit"):
            source, target = unit.find(f"{_X}source"), unit.find(f"{_X}target")
            state = target.get("state", "translated") if target is not None else "new"
            stale = state in NOT_DONE or unit.get("approved") == "no"
            found.append(
                Entry(
                    unit.get("id", ""),
                    "".join(source.itertext()) if source is not None else "",
                    "".join(target.itertext()) if target is not None else "",
                    stale,
                )
            )
    return TranslatorFile(languages.pop(), found, hashes)


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote, skipped and stamped, in lines for people."""

    written: list[str]
    lines: list[str]


def check_import(content: ContentSet, translated: TranslatorFile) -> list[ImportPlan]:
    """Plan the import of every file's entries; refuse the whole file if any entry fails.

    Raises:
        TranslatorFileError: the language has no translations here.
        ImportRefused: entries that do not match the content (each id and why).

    """
    pairs = {file_name(p): p for p in pairs_in(content, translated.language)}
    grouped: dict[str, list[Entry]] = {}
    refused: dict[str, str] = {}
    for entry in translated.entries:
        name, hash_, _ = entry.id.partition("#")
        if not hash_ or name not in pairs:
            refused[entry.id] = (
                f"not a text of this content's {language_name(translated.language)} "
                f"files ({', '.join(pairs)})"
            )
            continue
        grouped.setdefault(name, []).append(entry)
    plans: list[ImportPlan] = []
    for name, found in grouped.items():
        plan, bad = plan_import(pairs[name], found)
        refused |= bad
        plans.append(plan)
    if refused:
        raise ImportRefused(refused)
    return plans


def import_file(content: ContentSet, path: Path) -> ImportResult:
    """Import a translator's file into the content folder, then stamp what it completes.

    Every file is checked and every new text written to memory and loaded with every check
    of ``validate`` before anything is written; a refusal writes nothing.

    Raises:
        TranslatorFileError: the file cannot be read (usage).
        ImportRefused: entries do not match the content, or the result would not load.

    """
    translated = read(path)
    plans = check_import(content, translated)
    new_texts: dict[Path, str] = {}
    failures: dict[str, str] = {}
    for plan in plans:
        target = plan.pair.translation
        if not plan.updates:
            continue
        try:
            new_texts[target.path] = replace_scalars(
                target.path.read_text(encoding="utf-8"), plan.updates
            )
        except ValueError as exc:
            failures[target.relpath] = str(exc)
            continue
        problem = _loads(new_texts[target.path], target.path, target.relpath)
        if problem:
            failures[target.relpath] = problem
    if failures:
        raise ImportRefused(failures)
    for where, text in new_texts.items():
        where.write_text(text, encoding="utf-8")
    lines: list[str] = []
    for plan in plans:
        lines += _report(plan, translated.source_hashes.get(file_name(plan.pair)))
    return ImportResult([plan.pair.translation.relpath for plan in plans if plan.updates], lines)


def _loads(text: str, path: Path, relpath: str) -> str:
    """'' if the text loads as the file would, else its first problem."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cam-import-") as tmp:
        trial = Path(tmp) / path.name
        trial.write_text(text, encoding="utf-8")
        _, problems = load_file(trial, relpath)
    errors = [p for p in problems if not p.is_warning]
    return str(errors[0]) if errors else ""


def _report(plan: ImportPlan, exported_hash: str | None) -> list[str]:
    """Say what happened to one file, and stamp it when its translation is complete."""
    pair = plan.pair
    name = pair.translation.relpath
    count = len(plan.updates)
    lines = [f"{name}: {count} text{'s' if count != 1 else ''} updated"]
    lines += [f"  {i}: skipped ({why})" for i, why in plan.skipped.items()]
    if not plan.complete:
        lines.append(
            f"  not stamped: some texts of {pair.source.relpath} did not come back translated "
            "and reviewed; import them, then it is stamped"
        )
    elif exported_hash != file_hash(pair.source.model):
        lines.append(
            f"  not stamped: {pair.source.relpath} changed since the export in parts that are "
            "not text (or the file does not say); check the translation, then run "
            f"'cam-workbench translation-stamp {name}'"
        )
    else:
        try:
            stamp_file(pair.translation.path, pair.source.model)
            lines.append(f"  stamped: translation of {pair.source.relpath} as it is now")
        except ValueError as exc:
            lines.append(f"  not stamped: {exc}")
    return lines
