"""Sign-off: approve → review-status 0; a changed sentence → 1 naming file and section."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from helpers import AUTHOR, CONTENT, REVIEWER, SECOND, english_only, list_reviewers, sign_off

from cam_workbench.cli import main
from cam_workbench.content import signoff as record_status
from cam_workbench.content.contentset import NotAContentFile, resolve_file
from cam_workbench.content.fingerprints import file_hash
from cam_workbench.content.loading import load_content
from cam_workbench.content.model import SignoffFile
from cam_workbench.content.problems import ContentError, ProblemCode
from cam_workbench.review import signoff

ENGLISH = ["en/acupuncture.yaml", "en/screening.yaml", "en/shared.yaml", "en/tracker.yaml"]
PATIENT_FILES = [*ENGLISH, *(name.replace("en/", "es/") for name in ENGLISH)]  # es: translation
OLD = "It most often takes about 4 sessions to tell if acupuncture is helping you."
NEW = "It often takes about 6 sessions to tell if acupuncture is helping you."


@pytest.fixture
def content_dir(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_shipped_content_is_unapproved(content):
    assert record_status.signoff_of(content).approvals == []
    assert record_status.unapproved_files(CONTENT) == PATIENT_FILES


def test_approve_then_review_status_passes(content_dir, reviewer_keys, capsys):
    assert main(["review-status", "--content", str(content_dir)]) == 1
    assert "not approved" in capsys.readouterr().out
    sign_off(content_dir, reviewer_keys)
    out = capsys.readouterr().out
    assert all(f"submitted {name}" in out and f"approved {name}" in out for name in PATIENT_FILES)
    assert main(["review-status", "--content", str(content_dir)]) == 0
    assert record_status.unapproved_files(content_dir) == []
    # The record is a content file like any other: it loads and validates.
    record = load_content(content_dir).of_kind(SignoffFile)[0]
    assert {a.file for a in record.approvals} == set(PATIENT_FILES)
    assert {a.reviewer for a in record.approvals} == {REVIEWER}
    assert {s.author for s in record.submissions} == {AUTHOR}
    assert all(a.signature and a.two_person for a in record.approvals)


def test_changed_sentence_names_file_and_section_until_approved(content_dir, reviewer_keys, capsys):
    sign_off(content_dir, reviewer_keys)
    _edit(content_dir / "en" / "acupuncture.yaml", OLD, NEW)
    capsys.readouterr()
    assert main(["review-status", "--content", str(content_dir)]) == 1
    out = capsys.readouterr().out
    assert f"en/acupuncture.yaml: changed since approval by {REVIEWER}" in out
    assert "section 'sections/why_it_is_done' changed" in out
    assert f"- body[6]: {OLD}" in out and f"+ body[6]: {NEW}" in out
    assert "en/screening.yaml: approved" in out
    assert record_status.unapproved_files(content_dir) == ["en/acupuncture.yaml"]
    where = ["--content", str(content_dir)]
    submit = ["submit", *where, "--author", AUTHOR, "--key", str(reviewer_keys[AUTHOR])]
    assert main([*submit, "en/acupuncture.yaml"]) == 0
    approve = ["approve", *where, "--reviewer", SECOND, "--key", str(reviewer_keys[SECOND])]
    assert main([*approve, "en/acupuncture.yaml"]) == 0
    assert main(["review-status", "--content", str(content_dir)]) == 0
    assert record_status.unapproved_files(content_dir) == []
    by_file = {
        a.file: a.reviewer for a in record_status.signoff_of(load_content(content_dir)).approvals
    }
    assert by_file == {
        name: SECOND if name == "en/acupuncture.yaml" else REVIEWER for name in PATIENT_FILES
    }


def test_layout_comments_and_bookkeeping_are_not_changes(content_dir, reviewer_keys):
    sign_off(content_dir, reviewer_keys)
    guide = content_dir / "en" / "acupuncture.yaml"
    _edit(guide, "kind: guide\n", "# a new comment\nkind: guide\n")
    _edit(guide, "status: draft", "status: approved")
    _edit(guide, "last_reviewed: null", "last_reviewed: 2026-11-27")
    _edit(guide, "version: 1.1.0", "version: 1.1.1")
    _edit(guide, "sources: [program-practice]\n", "sources:\n      - program-practice\n")
    assert record_status.unapproved_files(content_dir) == []


def test_added_and_removed_sections_are_reported(content_dir, reviewer_keys):
    english_only(content_dir)  # a new English rule alone: the translation's rules would differ
    sign_off(content_dir, reviewer_keys)
    _edit(
        content_dir / "en" / "screening.yaml",
        "  - id: no_red_flags\n",
        "  - id: urgent_bladder\n    when:\n      any_of: [bladder_bowel]\n"
        "    outcome: see_doctor\n  - id: no_red_flags\n",
    )
    [status] = [s for s in record_status.file_status(load_content(content_dir)) if not s.ok]
    assert status.file == "en/screening.yaml"
    assert [(c.section, c.change) for c in status.changes] == [("rules/urgent_bladder", "added")]
    assert "+ when.any_of: [bladder_bowel]" in status.changes[0].diff


def test_approve_names_files_by_content_or_working_path(content_dir, monkeypatch):
    monkeypatch.chdir(content_dir.parent)
    content = load_content(content_dir)
    assert resolve_file(content, "en/shared.yaml") == "en/shared.yaml"
    assert resolve_file(content, "content/en/shared.yaml") == "en/shared.yaml"
    assert resolve_file(content, content_dir / "en" / "shared.yaml") == "en/shared.yaml"
    with pytest.raises(NotAContentFile, match="choose from: en/acupuncture.yaml"):
        resolve_file(content, "en/jargon.yaml")


@pytest.mark.parametrize(
    "args",
    [
        ["--reviewer", REVIEWER, "en/missing.yaml"],
        ["--reviewer", REVIEWER, "review/pemat-acupuncture.yaml"],
        ["--reviewer", "   "],
        ["--reviewer", "Reviewer A"],  # a typed name is not a reviewer id
        [],
    ],
)
def test_approve_usage_errors_exit_2(content_dir, reviewer_keys, args):
    list_reviewers(content_dir, reviewer_keys)
    key = ["--key", str(reviewer_keys[REVIEWER])] if args else []
    with pytest.raises(SystemExit) as exit_info:
        main(["approve", "--content", str(content_dir), *key, *args])
    assert exit_info.value.code == 2
    assert record_status.unapproved_files(content_dir) == PATIENT_FILES


def test_approve_refuses_invalid_content(content_dir, reviewer_keys, capsys):
    _edit(content_dir / "en" / "acupuncture.yaml", "heading: Is it safe?", "heding: Is it safe?")
    key = str(reviewer_keys[REVIEWER])
    assert (
        main(["approve", "--content", str(content_dir), "--reviewer", REVIEWER, "--key", key]) == 1
    )
    assert "unknown key 'heding'" in capsys.readouterr().err


def test_nothing_to_approve_leaves_the_record_alone(content_dir, reviewer_keys, capsys):
    sign_off(content_dir, reviewer_keys)
    record = (content_dir / "review" / "signoff.yaml").read_text(encoding="utf-8")
    key = str(reviewer_keys[SECOND])
    assert main(["approve", "--content", str(content_dir), "--reviewer", SECOND, "--key", key]) == 0
    assert "Nothing to approve" in capsys.readouterr().out
    assert (content_dir / "review" / "signoff.yaml").read_text(encoding="utf-8") == record


def test_approval_records_date_hash_and_sections(content_dir, reviewer_keys):
    english_only(content_dir)
    for path in (content_dir / "en").glob("*.yaml"):  # one person may approve these
        path.write_text(
            path.read_text().replace("two_person_review: true", "two_person_review: false")
        )
    list_reviewers(content_dir, reviewer_keys)
    content = load_content(content_dir)
    record, names = signoff.approve(
        content, REVIEWER, reviewer_keys[REVIEWER], today=dt.date(2026, 1, 2)
    )
    assert names == ENGLISH
    guide = record.approvals[0]
    assert not guide.two_person and guide.signature.startswith("-----BEGIN SSH SIGNATURE")
    assert guide.date == dt.date(2026, 1, 2)
    assert guide.sha256 == file_hash(content.guide())
    assert "sections/why_it_is_done" in [s.id for s in guide.sections]
    path = signoff.write_signoff(content, record)
    assert path == content_dir / "review" / "signoff.yaml"
    # The strict loader (no anchors/aliases, no tags) reads what approve wrote.
    assert record_status.unapproved_files(content_dir) == []


def test_approval_of_a_deleted_file_is_a_note(content_dir, reviewer_keys, capsys):
    sign_off(content_dir, reviewer_keys)
    record = content_dir / "review" / "signoff.yaml"
    _edit(record, "file: en/shared.yaml", "file: en/old.yaml")
    capsys.readouterr()
    assert main(["review-status", "--content", str(content_dir)]) == 1
    out = capsys.readouterr().out
    assert "en/shared.yaml: not approved" in out
    assert "note: the approval of en/old.yaml names a file that no longer exists" in out


def test_second_signoff_file_is_a_content_problem(content_dir, capsys):
    shutil.copy(content_dir / "review" / "signoff.yaml", content_dir / "review" / "extra.yaml")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert [p.code for p in error.value.problems] == [ProblemCode.second_signoff]
    assert main(["review-status", "--content", str(content_dir)]) == 1
    assert "review/signoff.yaml" in capsys.readouterr().err
