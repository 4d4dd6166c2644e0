"""Translator exchange: export PO/XLIFF, a translator edits, import writes back and stamps.

Every refusal (source changed since export, unknown id, broken placeholder, malformed file)
writes nothing; the exit codes are the CLI's (1 content, 2 usage).
"""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET
from pathlib import Path

import polib
import pytest
import yaml

from cam_workbench.cli import main
from cam_workbench.content import exchange as units
from cam_workbench.content.loading import load_content
from cam_workbench.content.yamledit import replace_scalars
from cam_workbench.review import exchange

WHY = "acupuncture.yaml#sections/why_it_is_done/body[2]"
X = "{urn:oasis:names:tc:xliff:document:1.2}"
NEW = "Texto revisado: con dos puntos, #almohadilla y 'comillas'."


def export(content_dir: Path, fmt: str, tmp_path: Path) -> Path:
    out = tmp_path / f"es.{'po' if fmt == 'po' else 'xlf'}"
    args = ["translation", "export", "--lang", "es", "--format", fmt, "--out", str(out)]
    assert main([*args, "--content", str(content_dir)]) == 0
    return out


def import_(content_dir: Path, path: Path) -> int:
    return main(["translation", "import", str(path), "--content", str(content_dir)])


def spanish(content_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((content_dir / "es").glob("*.yaml"))}


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def set_po(path: Path, text_id: str, target: str, fuzzy: bool | None = None) -> polib.POEntry:
    po = polib.pofile(str(path), wrapwidth=0)
    entry = next(e for e in po if e.msgctxt == text_id)
    entry.msgstr = target
    if fuzzy is True and "fuzzy" not in entry.flags:
        entry.flags.append("fuzzy")
    if fuzzy is False and "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    po.save(str(path))
    return entry


def test_export_has_every_patient_text_with_id_source_and_state(content, tmp_path):
    po = polib.pofile(exchange.export(content, "es", "po").decode())
    ids = [e.msgctxt for e in po]
    assert len(ids) == len(set(ids)) > 150
    assert {i.split("#")[0] for i in ids} == {
        "acupuncture.yaml",
        "screening.yaml",
        "shared.yaml",
        "tracker.yaml",
    }
    why = next(e for e in po if e.msgctxt == WHY)
    assert why.msgid.startswith("For low back pain") and why.msgstr and "fuzzy" not in why.flags
    assert why.occurrences and why.occurrences[0][0] == "es/acupuncture.yaml"
    assert not any("#sources" in i or "/id" in i or i.endswith("/style") for i in ids)
    assert not [e for e in po if "fuzzy" in e.flags]  # the shipped translations are fresh
    assert any("python-brace-format" in e.flags for e in po)  # {placeholders} flagged
    xliff = ET.fromstring(exchange.export(content, "es", "xliff"))
    assert [u.get("id") for u in xliff.iter(f"{X}trans-unit")] == ids


@pytest.mark.parametrize("fmt", ["po", "xliff"])
def test_round_trip_changes_one_text_keeps_the_rest_and_stamps(content_copy, tmp_path, fmt, capsys):
    before = (content_copy / "es" / "acupuncture.yaml").read_text(encoding="utf-8")
    path = export(content_copy, fmt, tmp_path)
    if fmt == "po":
        set_po(path, WHY, NEW)
    else:
        tree = ET.parse(path)
        unit = next(u for u in tree.iter(f"{X}trans-unit") if u.get("id") == WHY)
        unit.find(f"{X}target").text = NEW
        tree.write(path, encoding="utf-8", xml_declaration=True)
    capsys.readouterr()
    assert import_(content_copy, path) == 0
    out = capsys.readouterr().out
    assert "es/acupuncture.yaml: 1 text updated" in out and "stamped" in out
    after = (content_copy / "es" / "acupuncture.yaml").read_text(encoding="utf-8")
    assert len(changed_lines(before, after)) == 2  # one line out, one in
    assert after.splitlines()[:3] == before.splitlines()[:3]  # header comments kept
    loaded = load_content(content_copy)  # validate passes
    assert not loaded.warnings
    guide = loaded.guide("es")
    assert guide.sections[2].body[2] == NEW
    assert main(["validate", "--content", str(content_copy)]) == 0


def test_a_stale_section_goes_out_fuzzy_and_comes_back_stamped(
    content_copy, edit_content, tmp_path, capsys
):
    edit_content("acupuncture.yaml", "Eat a small meal.", "Eat a light meal.")
    assert load_content(content_copy).warnings  # the translation is stale
    path = export(content_copy, "po", tmp_path)
    po = polib.pofile(str(path))
    fuzzy = {e.msgctxt for e in po if "fuzzy" in e.flags}
    assert fuzzy and all(i.startswith("acupuncture.yaml#sections/first_visit") for i in fuzzy)
    assert "changed since translated" in next(e for e in po if e.msgctxt in fuzzy).comment
    xliff = export(content_copy, "xliff", tmp_path)
    assert b'state="needs-review-translation"' in xliff.read_bytes()
    meal = next(e.msgctxt for e in po if e.msgid == "Eat a light meal.")
    # The translator checks every text of the section, changes one, clears the marks.
    for text_id in fuzzy:
        target = "Coma algo ligero." if text_id == meal else None
        entry = next(e for e in polib.pofile(str(path)) if e.msgctxt == text_id)
        set_po(path, text_id, target or entry.msgstr, fuzzy=False)
    capsys.readouterr()
    assert import_(content_copy, path) == 0
    assert "stamped" in capsys.readouterr().out
    loaded = load_content(content_copy)
    assert not loaded.warnings  # fresh again: no stale warning
    again = polib.pofile(exchange.export(loaded, "es", "po").decode())
    assert not [e for e in again if "fuzzy" in e.flags]


def test_fuzzy_entries_are_skipped_and_the_file_not_stamped(content_copy, tmp_path, capsys):
    path = export(content_copy, "po", tmp_path)
    set_po(path, WHY, "Borrador", fuzzy=True)
    before = spanish(content_copy)
    capsys.readouterr()
    assert import_(content_copy, path) == 0
    out = capsys.readouterr().out
    assert f"{WHY}: skipped (marked for review" in out and "not stamped" in out
    assert spanish(content_copy) == before


def test_source_changed_since_export_is_refused_naming_each_id(
    content_copy, edit_content, tmp_path, capsys
):
    path = export(content_copy, "xliff", tmp_path)
    edit_content("acupuncture.yaml", "For low back pain, expert groups", "For back pain, groups")
    before = spanish(content_copy)
    capsys.readouterr()
    assert import_(content_copy, path) == 1
    err = capsys.readouterr().err
    assert f"{WHY}: the source text changed since the export: export again" in err
    assert "Nothing was written" in err and "Traceback" not in err
    assert spanish(content_copy) == before


def test_unknown_ids_and_broken_placeholders_are_refused(content_copy, tmp_path, capsys):
    path = export(content_copy, "po", tmp_path)
    po = polib.pofile(str(path), wrapwidth=0)
    po.append(polib.POEntry(msgctxt="acupuncture.yaml#sections/gone/body[0]", msgid="Hi."))
    po.append(polib.POEntry(msgctxt="elsewhere.yaml#intro[0]", msgid="Hi.", msgstr="Hola."))
    braced = next(e for e in po if "python-brace-format" in e.flags)
    braced.msgstr = "Sin marcador."
    set_po(path, WHY, NEW)  # a good change in the same file: not written either
    po.save(str(path))
    before = spanish(content_copy)
    capsys.readouterr()
    assert import_(content_copy, path) == 1
    err = capsys.readouterr().err
    assert "acupuncture.yaml#sections/gone/body[0]: no such text in the source file" in err
    assert "elsewhere.yaml#intro[0]: not a text of this content's Spanish files" in err
    assert f"{braced.msgctxt}: the translation's {{placeholders}} differ" in err
    assert spanish(content_copy) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad.po", b'msgid "a"\nmsgstr "b"\ngarbage here\n', "not a PO file we can read"),
        ("bad.xlf", b"<xliff version='1.2'><file>", "not well-formed XML"),
        ("evil.xlf", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "DOCTYPE"),
        ("other.xlf", b"<html/>", "not an XLIFF 1.2 file"),
        (
            "nolang.po",
            b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n',
            "no 'Language:'",
        ),
        ("latin1.po", 'msgid "año"\n'.encode("latin-1"), "not UTF-8"),
        ("fr.po", b'msgid ""\nmsgstr ""\n"Language: fr\\n"\n', "no translations into 'fr'"),
    ],
)
def test_malformed_files_are_usage_errors(content_copy, tmp_path, capsys, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    before = spanish(content_copy)
    with pytest.raises(SystemExit) as done:
        import_(content_copy, path)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert spanish(content_copy) == before


def test_missing_file_and_unknown_language_are_usage_errors(content_copy, tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        import_(content_copy, tmp_path / "nothing.po")
    assert done.value.code == 2 and "file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["translation", "export", "--lang", "fr", "--content", str(content_copy)])
    assert done.value.code == 2 and "no translations into 'fr'" in capsys.readouterr().err


def test_a_source_change_that_is_not_text_is_never_stamped_away(
    content_copy, edit_content, tmp_path, capsys
):
    path = export(content_copy, "po", tmp_path)
    edit_content(
        "acupuncture.yaml", "version: 1.1.0\n  status: draft", "version: 1.1.0\n  status: draft"
    )
    text = (content_copy / "en" / "acupuncture.yaml").read_text(encoding="utf-8")
    (content_copy / "en" / "acupuncture.yaml").write_text(
        text.replace("two_person_review: true", "two_person_review: false"), encoding="utf-8"
    )
    capsys.readouterr()
    assert import_(content_copy, path) == 0
    out = capsys.readouterr().out
    assert "es/acupuncture.yaml: 0 texts updated" in out
    assert "changed since the export in parts that are not text" in out
    assert load_content(content_copy).warnings  # still stale, as it should be


def test_export_to_stdout_and_content_before_the_action(content_copy, capsysbinary):
    assert main(["translation", "--content", str(content_copy), "export", "--lang", "es"]) == 0
    po = polib.pofile(capsysbinary.readouterr().out.decode())
    assert po.metadata["Language"] == "es" and len(po) > 150


@pytest.mark.parametrize(
    "value",
    [
        "Antes de ir:",
        "a: b",
        "- guion",
        "# no",
        "'quoted'",
        'say "chi"',
        "¿Qué? ¡Sí!",
        "yes",
        "No",
        "123",
        "0o17",
        "x" * 300,
        "line one\nline two",
        "trailing space ",
    ],
)
def test_write_back_any_text_keeping_comments(value):
    text = (
        "# keep me\nbody:\n  - plain text   # trailing comment\n  - 'Antes de ir:'\n"
        "  - [flow, list]\nfolded: >-\n  a folded\n  text\nafter: kept\n"
    )
    updates = {("body", 0): value, ("body", 1): value, ("body", 2, 0): value, ("folded",): value}
    out = replace_scalars(text, updates)
    data = yaml.safe_load(out)
    assert data["body"][:2] == [value, value] and data["body"][2] == [value, "list"]
    assert data["folded"] == value and data["after"] == "kept"
    assert out.startswith("# keep me\n") and "# trailing comment" in out


def test_ids_follow_the_content_structure(content):
    from cam_workbench.content.checks.translations import find_pairs

    pairs, _ = find_pairs(content.files)
    guide = next(p for p in pairs if p.source.path.name == "acupuncture.yaml")
    ids = [e.id for e in units.entries(guide)]
    assert ids[:3] == [
        "acupuncture.yaml#meta/title",
        "acupuncture.yaml#intro[0]",
        "acupuncture.yaml#intro[1]",
    ]
    assert "acupuncture.yaml#sections/what_is_acupuncture/body[3]/bullets[1]" in ids
    data = guide.source.parsed.data
    assert units.section_of("sections/why_it_is_done/body[2]", data) == "sections/why_it_is_done"
    assert units.section_of("meta/title", data) == "meta"
