"""The notebook's DataFrames: every table builds, and the file/language filter works."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cam_workbench.review import tables


def test_every_table_builds(content):
    built = {
        title: build() for title, build in tables.all_tables(content, dt.date(2026, 6, 1)).items()
    }
    assert all(isinstance(t, pd.DataFrame) and len(t) > 0 for t in built.values()), {
        k: len(v) for k, v in built.items()
    }
    assert len(tables.decision_frame(content)) == 17
    assert "review/signoff.yaml" in tables.file_names(content)


def test_filter_by_file_and_language(content):
    table = tables.readability_table(content)
    guide = tables.filter_frame(table, "en/acupuncture.yaml", "en")
    assert set(guide["file"]) == {"en/acupuncture.yaml"} and len(guide) == 8
    assert len(tables.filter_frame(table)) == len(table)
    assert tables.filter_frame(table, language="fr").empty
    spanish = tables.filter_frame(table, language="es")  # INFLESZ for Spanish, no SMOG
    assert len(spanish) and spanish["smog"].isna().all()
    assert spanish["szigriszt_pazos"].notna().all() and spanish["inflesz"].notna().all()
    flagged = table[table.above_target]
    assert set(flagged["file"]) <= {"en/screening.yaml", "en/shared.yaml", "es/screening.yaml"}


def test_empty_tables_keep_their_columns(content):
    table = tables.frame([], ["term", "file"])
    assert list(table.columns) == ["term", "file"] and table.empty
