"""Inventory: every item and section with review dates, overdue flagged against a fixed day."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from helpers import CONTENT

from cam_workbench.content.loading import load_content
from cam_workbench.review import inventory

DUE = dt.date(2027, 2, 28)  # next_review_due of every shipped file


def test_every_section_and_item_is_listed(content):
    rows = inventory.inventory_rows(content, dt.date(2026, 6, 1))
    sections = {(r["file"], r["section"]) for r in rows}
    guide = content.guide()
    assert {("en/acupuncture.yaml", f"sections/{s.id}") for s in guide.sections} <= sections
    assert {("en/screening.yaml", f"items/{i.id}") for i in content.screening().items} <= sections
    assert ("en/shared.yaml", "emergency") in sections
    assert not any(r["section"].startswith(("meta", "sources/")) for r in rows)
    assert all(r["file"] != "en/jargon.yaml" for r in rows)  # reviewer files are not inventory


def test_words_sentences_and_sources_are_counted(content):
    rows = inventory.inventory_rows(content, dt.date(2026, 6, 1))
    [row] = [r for r in rows if r["section"] == "items/leg_symptoms" and r["language"] == "en"]
    # "Severe pain, weakness, or a tingly feeling in one or both legs"
    assert (row["words"], row["sentences"], row["sources"]) == (12, 1, 3)
    assert row["status"] == "draft" and row["last_reviewed"] == "never"
    assert row["sign_off"] == "not approved"


@pytest.mark.parametrize(
    ("today", "overdue", "flag"),
    [
        (dt.date(2026, 6, 1), False, "never reviewed"),
        (dt.date(2027, 2, 1), False, "due in 27 days"),
        (DUE, False, "due in 0 days"),
        (dt.date(2027, 3, 10), True, "overdue by 10 days"),
    ],
)
def test_overdue_against_a_fixed_today(content, today, overdue, flag):
    rows = inventory.inventory_rows(content, today)
    assert {r["overdue"] for r in rows} == {overdue}
    assert {r["review"] for r in rows} == {flag}
    assert {r["overdue"] for r in inventory.file_rows(content, today) if r["patient_facing"]} == {
        overdue
    }


def test_one_file_overdue_in_a_copy(tmp_path):
    shutil.copytree(CONTENT, tmp_path / "content")
    path = tmp_path / "content" / "en" / "shared.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "next_review_due: 2027-02-28", "next_review_due: 2026-01-31"
        ),
        encoding="utf-8",
    )
    rows = inventory.inventory_rows(load_content(tmp_path / "content"), dt.date(2026, 6, 1))
    overdue = {r["file"] for r in rows if r["overdue"]}
    assert overdue == {"en/shared.yaml"}
    assert {r["review"] for r in rows if r["overdue"]} == {"overdue by 121 days"}


def test_sources_table_lists_who_cites_each_source(content):
    rows = inventory.source_rows(content)
    [why] = [
        r for r in rows if r["source"] == "qaseem-2017-acp" and r["file"] == "en/acupuncture.yaml"
    ]
    assert why["cited_by"] == "sections/why_it_is_done" and why["uses"] == 1
    assert all(r["flag"] == "" for r in rows)  # the shipped content cites every source
