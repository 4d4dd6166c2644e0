"""The review notebook's widgets, driven in plain pytest: status text and the table picker."""

from __future__ import annotations

import datetime as dt

from cam_workbench.review import notebook, tables

TODAY = dt.date(2026, 6, 1)


def test_status_text_names_every_patient_file(content):
    lines = notebook.status_text(content).splitlines()
    assert "en/acupuncture.yaml: not approved by a clinical reviewer yet" in lines
    assert len(lines) == 8  # screening, guide, shared texts, tracker; in English and Spanish


def test_the_picker_shows_the_picked_table_filtered_by_file_and_language(content):
    picker = notebook.TablePicker(content, TODAY)
    assert picker.table_pick.value == "Sign-off" and len(picker.table) == 8
    picker.table_pick.value = "Sources"
    picker.file_pick.value = "en/acupuncture.yaml"
    assert set(picker.table["file"]) == {"en/acupuncture.yaml"}
    picker.file_pick.value = tables.ALL
    picker.language_pick.value = "es"
    assert set(picker.table["language"]) == {"es"}
    assert list(picker.table_pick.options) == list(tables.all_tables(content, TODAY))
