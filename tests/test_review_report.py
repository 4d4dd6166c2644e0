"""The HTML review packet: every part, self-contained, written offline by the CLI."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import socket

import pytest
from helpers import CONTENT

from cam_workbench.cli import main
from cam_workbench.content.loading import load_content
from cam_workbench.review import readability
from cam_workbench.review.report import build_report

PARTS = [
    'id="status"',
    'id="inventory"',
    'id="readability"',
    'id="jargon"',
    'id="decisions"',
    'id="sources"',
    'id="pemat"',
]


@pytest.fixture
def offline(monkeypatch):
    """Cut the network for this test: any connection attempt fails."""

    def refuse(*args, **kwargs):
        raise OSError("network is cut in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    readability._cmu_syllables.cache_clear()  # read the dictionary again, offline


def test_report_command_writes_every_part_offline(tmp_path, offline, capsys):
    out = tmp_path / "review.html"
    assert main(["report", "--content", str(CONTENT), "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    for part in PARTS:
        assert part in html
    assert "sections/why_it_is_done" in html  # readability per section
    assert "musculoskeletal" in html  # jargon list
    assert "any_red_flag" in html and "(asks again)" in html  # decision table
    assert "qaseem-2017-acp" in html and "doi.org/10.7326/M16-2367" in html  # sources
    assert "below 70%" in html  # PEMAT-P actionability of the shipped self-assessment
    assert "not approved by a clinical reviewer yet" in html  # sign-off


def test_report_is_self_contained(content):
    html = build_report(content, dt.date(2026, 6, 1))
    assert "<style>" in html
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=", html, re.IGNORECASE)
    assert html.count("<table>") >= 10


def test_report_escapes_content_and_marks_problems(tmp_path):
    shutil.copytree(CONTENT, tmp_path / "content")
    guide = tmp_path / "content" / "en" / "acupuncture.yaml"
    text = (
        guide.read_text(encoding="utf-8")
        .replace("Is it safe?", "Is it <b>safe</b>?")
        .replace("next_review_due: 2027-02-28", "next_review_due: 2026-01-01")
    )
    guide.write_text(text, encoding="utf-8")
    html = build_report(load_content(tmp_path / "content"), dt.date(2026, 6, 1))
    assert "Is it &lt;b&gt;safe&lt;/b&gt;?" in html and "<b>safe</b>" not in html
    assert "overdue by 151 days" in html
    assert "<li><strong>1</strong> files overdue for review</li>" in html


@pytest.mark.parametrize("out", ["missing-folder/review.html", "."])
def test_report_needs_a_file_in_an_existing_folder(tmp_path, out):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--content", str(CONTENT), "--out", str(tmp_path / out)])
    assert exit_info.value.code == 2


def test_report_scores_and_flags_spanish_sections(content):
    html = build_report(content, dt.date(2026, 6, 1))
    assert "Spanish sections below Szigriszt-Pazos 55 (INFLESZ)" in html
    flagged = re.search(r"<strong>(\d+)</strong> Spanish sections below", html)
    assert flagged and int(flagged.group(1)) >= 1  # "Su resultado", a two-word label
    assert "bastante fácil" in html and "Szigriszt-Pazos at least 55" in html
    row = re.search(r'<tr class="flag"><td>es/screening.yaml</td><td>es</td><td>result_label', html)
    assert row, "the hard Spanish label is marked"
