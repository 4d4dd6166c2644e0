"""What changed since approval, word by word: known inputs, the CLI, the packet, the notebook."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from helpers import REVIEWER, edit, sign_off

from cam_workbench.cli import main
from cam_workbench.content.loading import load_content
from cam_workbench.review import changes, notebook
from cam_workbench.review.changes import Piece, html_text, line_changes, terminal_text, word_diff
from cam_workbench.review.report import build_report

OLD = "It most often takes about 4 sessions to tell if acupuncture is helping you."
NEW = "It often takes about 6 sessions to tell if acupuncture is helping you."
WORDS = "It [-most -]often takes about [-4-]{+6+} sessions to tell if acupuncture is helping you."
BULLET_BEFORE = "          - At each visit, tell the acupuncturist right away if a needle hurts.\n"
BULLET = "Bring a list of your medicines to the first visit."
SECTION = "  - id: placing_the_needles\n"


@pytest.mark.parametrize(
    ("old", "new", "terminal"),
    [
        (OLD, NEW, WORDS),
        (
            "Call your doctor.",
            "Call your doctor or nurse today.",
            "Call your doctor{+ or nurse today+}.",
        ),
        ("one two three", "one three", "one [-two -]three"),
        (
            "Talk to a doctor now.",
            "Talk with your care team.",
            "Talk [-to a doctor now-]{+with your care team+}.",
        ),
        ("Go on.", "Go on.", "Go on."),
        ("", "A new paragraph.", "{+A new paragraph.+}"),
    ],
)
def test_word_diff_marks_the_words_deleted_and_inserted(old, new, terminal):
    pieces = word_diff(old, new)
    assert terminal_text(pieces) == terminal
    # Read one way or the other, the pieces are the two texts.
    assert "".join(p.text for p in pieces if p.kind != "insert") == old
    assert "".join(p.text for p in pieces if p.kind != "delete") == new


def test_html_marks_words_with_ins_and_del_and_escapes_them():
    pieces = word_diff("Is it safe?", "Is it <b>safe</b>?")
    html = html_text(pieces)
    assert html == "Is it <ins>&lt;b&gt;</ins>safe<ins>&lt;/b&gt;</ins>?"
    assert html_text([Piece("delete", "4"), Piece("insert", "6")]) == "<del>4</del><ins>6</ins>"


def test_a_paragraph_added_in_the_middle_is_one_added_line_not_every_later_one():
    old = ["heading: Why", "body[0]: One.", "body[1]: Two.", "body[2]: Three."]
    new = ["heading: Why", "body[0]: One.", "body[1]: New.", "body[2]: Two.", "body[3]: Three!"]
    found = line_changes(old, new)
    assert [(c.path, c.change, terminal_text(c.pieces)) for c in found] == [
        ("body[1]", "added", "{+New.+}"),
        ("body[3]", "changed", "Three[-.-]{+!+}"),
    ]


def test_an_edit_in_place_of_a_setting_is_one_changed_line():
    [change] = line_changes(["tier: 1", "gate: true"], ["tier: 2", "gate: true"])
    assert (change.path, change.change) == ("tier", "changed")
    assert terminal_text(change.pieces) == "[-1-]{+2+}"


@pytest.fixture
def approved_then_edited(content_copy, edit_content, reviewer_keys):
    """Approve the shipped content, then: a changed sentence, an added bullet, a removed section."""
    sign_off(content_copy, reviewer_keys)
    edit_content("acupuncture.yaml", OLD, NEW)
    edit_content("acupuncture.yaml", BULLET_BEFORE, BULLET_BEFORE + f"          - {BULLET}\n")
    guide = content_copy / "en" / "acupuncture.yaml"
    text = guide.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("  - id: side_effects\n")
    guide.write_text(text[:start] + text[end:], encoding="utf-8")
    return content_copy


def test_word_changes_name_file_section_and_words(approved_then_edited):
    [guide] = changes.word_changes(load_content(approved_then_edited))
    assert guide.file == "en/acupuncture.yaml" and guide.approval.reviewer == REVIEWER
    by_section = {s.section: s for s in guide.sections}
    assert [(s.section, s.change) for s in guide.sections] == [
        ("sections/why_it_is_done", "changed"),
        ("sections/next_steps", "changed"),
        ("sections/placing_the_needles", "removed"),
    ]
    [sentence] = by_section["sections/why_it_is_done"].lines
    assert (sentence.path, terminal_text(sentence.pieces)) == ("body[6]", WORDS)
    # The new bullet is one added line: the bullets after it are not shown as changed.
    [bullet] = by_section["sections/next_steps"].lines
    assert (bullet.path, bullet.change) == ("body[1].bullets[3]", "added")
    assert terminal_text(bullet.pieces) == "{+" + BULLET + "+}"
    removed = by_section["sections/placing_the_needles"].lines
    assert removed and {line.change for line in removed} == {"removed"}
    assert any(line.path == "heading" for line in removed)
    assert all(p.kind == "delete" for line in removed for p in line.pieces)


def test_review_status_diff_adds_the_word_view_and_keeps_the_line_view(
    approved_then_edited, capsys
):
    args = ["review-status", "--content", str(approved_then_edited)]
    assert main(args) == 1
    plain = capsys.readouterr().out
    assert f"- body[6]: {OLD}" in plain and f"+ body[6]: {NEW}" in plain  # line diff, as before
    assert "[-" not in plain and "{+" not in plain
    assert main([*args, "--diff"]) == 1
    out = capsys.readouterr().out
    assert set(plain.splitlines()) <= set(out.splitlines())  # everything else stays
    assert f"en/acupuncture.yaml: word by word since approved by {REVIEWER} on" in out
    assert f"    body[6]: {WORDS}" in out
    assert "    body[1].bullets[3]: {+" + BULLET + "+}" in out
    assert "  section 'sections/placing_the_needles' removed:" in out
    assert "    heading: [-How are the needles placed?-]" in out


def test_review_status_diff_with_nothing_changed_adds_nothing(content_copy, reviewer_keys, capsys):
    sign_off(content_copy, reviewer_keys)
    capsys.readouterr()
    assert main(["review-status", "--content", str(content_copy), "--diff"]) == 0
    assert "word by word" not in capsys.readouterr().out


def test_the_review_packet_shows_the_words_changed(approved_then_edited):
    html = build_report(load_content(approved_then_edited), dt.date(2026, 6, 1))
    section = re.search(r'<section id="changes">.*?</section>', html, re.DOTALL)
    assert section, "no 'What changed, word by word' section"
    part = section.group(0)
    assert "It <del>most </del>often takes about <del>4</del><ins>6</ins> sessions" in part
    assert f"<ins>{BULLET}</ins>" in part
    assert "<del>How are the needles placed?</del>" in part
    assert '<a href="#changes">' in html and ".cam-wdiff del" in html


def test_the_packet_says_when_nothing_changed(content):
    html = build_report(content, dt.date(2026, 6, 1))
    assert "No approved file has changed since its approval." in html


def test_the_notebook_view_follows_the_files_on_disk(approved_then_edited):
    view = notebook.ChangesView(approved_then_edited)
    assert [f.file for f in view.files] == ["en/acupuncture.yaml"]
    assert "<del>4</del><ins>6</ins>" in view.shown.value
    edit(approved_then_edited / "en" / "acupuncture.yaml", NEW, OLD)  # the sentence back
    view.refresh_button.click()
    assert "<del>4</del><ins>6</ins>" not in view.shown.value
    assert "sections/why_it_is_done" not in view.shown.value
    assert "sections/next_steps" in view.shown.value
