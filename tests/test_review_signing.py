"""Signed sign-off: each kind of bad signature is named, the two-person rule holds.

Keys are throwaway ed25519 keys made by ssh-keygen in a temporary folder (``reviewer_keys``);
the shipped allowed_signers lists nobody.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest
from helpers import (
    AUTHOR,
    CONTENT,
    REVIEWER,
    SECOND,
    allowed_line,
    edit,
    list_reviewers,
    make_key,
    sign_off,
)

from cam_workbench.cli import main
from cam_workbench.content import signing
from cam_workbench.content.loading import load_content
from cam_workbench.content.signoff import file_status, publication_blockers, signoff_of

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

GUIDE = "en/acupuncture.yaml"


@pytest.fixture
def signed(content_copy, reviewer_keys):
    """A content copy with every patient file submitted by AUTHOR and approved by REVIEWER."""
    sign_off(content_copy, reviewer_keys)
    return content_copy


def status(content_dir, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["review-status", "--content", str(content_dir)])
    return code, capsys.readouterr().out


def line_for(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(f"{name}: "))


def test_shipped_allowed_signers_lists_no_reviewer():
    text = (CONTENT / "review" / "allowed_signers").read_text(encoding="utf-8")
    assert signing.listed_ids(text) == [] and signing.check_allowed_signers(text) == []
    assert "namespaces=" in text  # it says how to add one


def test_signed_content_verifies(signed, capsys):
    code, out = status(signed, capsys)
    assert code == 0, out
    assert f"{GUIDE}: approved by {REVIEWER} on" in out and "signature verified" in out
    assert publication_blockers(load_content(signed)) == []


def test_statement_is_canonical():
    statement = signing.Statement(
        "approve", GUIDE, "a" * 64, dt.date(2026, 11, 30), "ana.g", dt.date(2027, 2, 28), "b" * 64
    )
    assert statement.message() == (
        b"cam-workbench statement v1\naction: approve\nfile: en/acupuncture.yaml\n"
        b"sha256: " + b"a" * 64 + b"\ndate: 2026-11-30\nsigner: ana.g\n"
        b"next_review_due: 2027-02-28\nsections_sha256: " + b"b" * 64 + b"\ntwo_person: no\n"
    )
    with pytest.raises(ValueError, match="not a reviewer id"):
        dataclasses.replace(statement, signer="*").message()  # a pattern would match anyone


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("next_review_due: 2027-02-28", "next_review_due: 2027-12-31"),  # a later due date
        ("two_person: true", "two_person: false"),
    ],
)
def test_a_tampered_record_is_named(signed, capsys, old, new):
    record = signed / "review" / "signoff.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, out = status(signed, capsys)
    assert code == 1
    line = line_for(out, "en/acupuncture.yaml")
    assert "approval does not verify" in line and "differs from what was signed" in line


def test_a_tampered_hash_with_matching_content_is_named(signed, capsys):
    """Someone approves an edit by writing its hash into the record: the signature breaks."""
    edit(signed / "en" / "acupuncture.yaml", "It is thousands of years old.", "It is very old.")
    from cam_workbench.content.fingerprints import file_hash

    content = load_content(signed)
    record = signed / "review" / "signoff.yaml"
    old = next(a.sha256 for a in signoff_of(content).approvals if a.file == GUIDE)
    record.write_text(record.read_text().replace(old, file_hash(content.guide())), encoding="utf-8")
    code, out = status(signed, capsys)
    assert code == 1 and "differs from what was signed" in line_for(out, GUIDE)


def test_unknown_reviewer_is_named(signed, reviewer_keys, capsys):
    keys = {k: v for k, v in reviewer_keys.items() if k != REVIEWER}
    list_reviewers(signed, keys)  # the reviewer's line is removed from allowed_signers
    code, out = status(signed, capsys)
    assert code == 1
    assert f"{REVIEWER} is not a reviewer in allowed_signers" in line_for(out, GUIDE)


def test_wrong_key_is_named(signed, reviewer_keys, capsys):
    """allowed_signers now gives REVIEWER another key: the old signature is someone else's."""
    swapped = {
        AUTHOR: reviewer_keys[AUTHOR],
        REVIEWER: reviewer_keys[SECOND],
        SECOND: reviewer_keys[REVIEWER],
    }
    list_reviewers(signed, swapped)
    code, out = status(signed, capsys)
    assert code == 1
    assert f"signed with the key of {SECOND}, not with the key of {REVIEWER}" in out


def test_retired_key_is_named(signed, reviewer_keys, capsys):
    retired = 'namespaces="cam-workbench-signoff,cam-workbench-submit",valid-before="20260101"'
    path = signed / "review" / "allowed_signers"
    path.write_text(
        allowed_line(AUTHOR, reviewer_keys[AUTHOR])
        + allowed_line(REVIEWER, reviewer_keys[REVIEWER], retired),
        encoding="utf-8",
    )
    # Approvals dated before retirement would still verify at their date; checked now, not.
    record = signed / "review" / "signoff.yaml"
    approvals = signoff_of(load_content(signed)).approvals
    assert all(a.date > dt.date(2026, 1, 1) for a in approvals)
    code, out = status(signed, capsys)
    assert code == 1
    assert f"the key of {REVIEWER} has been retired" in line_for(out, GUIDE)
    assert record.exists()


def test_a_submission_signature_cannot_be_replayed_as_an_approval(signed, capsys):
    content = load_content(signed)
    record = signoff_of(content)
    submission = next(s for s in record.submissions if s.file == GUIDE)
    approval = next(a for a in record.approvals if a.file == GUIDE)
    path = signed / "review" / "signoff.yaml"
    text = path.read_text(encoding="utf-8")
    old_lines = approval.signature.strip().splitlines()
    new_lines = submission.signature.strip().splitlines()
    assert len(old_lines) == len(new_lines)
    for a, b in zip(old_lines, new_lines, strict=True):
        text = text.replace(a, b)
    path.write_text(text, encoding="utf-8")
    code, out = status(signed, capsys)
    assert code == 1 and "approval does not verify" in line_for(out, GUIDE)


def test_a_bad_signature_blocks_production_and_shows_the_banner(signed, capsys):
    record = signed / "review" / "signoff.yaml"
    record.write_text(
        record.read_text().replace("two_person: true", "two_person: false", 1), encoding="utf-8"
    )
    code = main(["serve", "--production", "--content", str(signed), "--port", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "approval does not verify" in err and "Traceback" not in err
    assert any(GUIDE in line for line in publication_blockers(load_content(signed)))


def test_the_author_cannot_approve_their_own_submission(content_copy, reviewer_keys, capsys):
    list_reviewers(content_copy, reviewer_keys)
    where = ["--content", str(content_copy)]
    key = ["--key", str(reviewer_keys[AUTHOR])]
    assert main(["submit", *where, "--author", AUTHOR, *key, GUIDE]) == 0
    before = (content_copy / "review" / "signoff.yaml").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["approve", *where, "--reviewer", AUTHOR, *key, GUIDE]) == 1
    err = capsys.readouterr().err
    assert f"{GUIDE}: {AUTHOR} submitted this content" in err and "another reviewer" in err
    assert (content_copy / "review" / "signoff.yaml").read_text(encoding="utf-8") == before


def test_approval_needs_a_submission_of_the_content_as_it_is(content_copy, reviewer_keys, capsys):
    list_reviewers(content_copy, reviewer_keys)
    where = ["--content", str(content_copy)]
    approve = ["approve", *where, "--reviewer", REVIEWER, "--key", str(reviewer_keys[REVIEWER])]
    assert main([*approve, GUIDE]) == 1
    assert "its author submits the content as it is now" in capsys.readouterr().err
    submit = ["submit", *where, "--author", AUTHOR, "--key", str(reviewer_keys[AUTHOR])]
    assert main([*submit, GUIDE]) == 0
    edit(content_copy / "en" / "acupuncture.yaml", "It is thousands of years old.", "Old.")
    assert main([*approve, GUIDE]) == 1  # changed after the submission: submit again
    assert main([*submit, GUIDE]) == 0
    assert main([*approve, GUIDE]) == 0


def test_turning_the_rule_off_still_needs_two_people(signed, reviewer_keys, capsys):
    edit(signed / "en" / "acupuncture.yaml", "two_person_review: true", "two_person_review: false")
    where = ["--content", str(signed)]
    key = ["--key", str(reviewer_keys[AUTHOR])]
    assert main(["submit", *where, "--author", AUTHOR, *key, GUIDE]) == 0
    assert main(["approve", *where, "--reviewer", AUTHOR, *key, GUIDE]) == 1  # last time: two
    assert "submitted this content" in capsys.readouterr().err


def test_a_key_that_is_not_the_reviewers_is_refused_before_writing(
    content_copy, reviewer_keys, capsys
):
    list_reviewers(content_copy, reviewer_keys)
    where = ["--content", str(content_copy)]
    submit = ["submit", *where, "--author", AUTHOR, "--key", str(reviewer_keys[SECOND])]
    with pytest.raises(SystemExit) as done:
        main([*submit, GUIDE])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"signed with the key of {SECOND}, not with the key of {AUTHOR}" in err
    assert signoff_of(load_content(content_copy)).submissions == []


def test_author_only_role_cannot_approve(content_copy, reviewer_keys, tmp_path, capsys):
    writer = make_key(tmp_path, "writer")
    list_reviewers(
        content_copy,
        reviewer_keys,
        extra=allowed_line("only.author", writer, 'namespaces="cam-workbench-submit"'),
    )
    where = ["--content", str(content_copy)]
    sub = ["submit", *where, "--author", REVIEWER, "--key", str(reviewer_keys[REVIEWER]), GUIDE]
    assert main(sub) == 0
    with pytest.raises(SystemExit):
        main(["approve", *where, "--reviewer", "only.author", "--key", str(writer), GUIDE])
    assert "may not sign 'cam-workbench-signoff' statements" in capsys.readouterr().err


def test_missing_ssh_keygen_is_a_clear_error(signed, reviewer_keys, monkeypatch, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    signing._verify.cache_clear()
    code, out = status(signed, capsys)
    assert code == 1 and "openssh-client" in line_for(out, GUIDE)
    with pytest.raises(SystemExit) as done:
        main(
            ["approve", "--content", str(signed), "--reviewer", REVIEWER]
            + ["--key", str(reviewer_keys[REVIEWER]), GUIDE]
        )
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "ssh-keygen was not found" in err and "Traceback" not in err


def test_unsigned_approval_from_before_signatures_does_not_count(signed, capsys):
    record = signed / "review" / "signoff.yaml"
    text = record.read_text(encoding="utf-8")
    start = text.index("  signature: |", text.index("approvals:"))  # the first approval's
    end = text.index("-----END SSH SIGNATURE-----", start) + len("-----END SSH SIGNATURE-----\n")
    record.write_text(text[:start] + text[end:], encoding="utf-8")
    code, out = status(signed, capsys)
    assert code == 1 and "approval not signed" in out


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("* {pub}", "not one plain reviewer id"),
        ("ana.g {pub}", "needs namespaces="),
        ('ana.g namespaces="file" {pub}', "not cam-workbench's"),
        ('ana.g cert-authority,namespaces="git" {pub}', "certificate authorities"),
    ],
)
def test_allowed_signers_rules(reviewer_keys, line, problem):
    pub = (reviewer_keys[AUTHOR].parent / f"{AUTHOR}.pub").read_text().strip()
    [found] = signing.check_allowed_signers(line.format(pub=pub))
    assert problem in found


def test_allowed_signers_problems_block_review_status(signed, reviewer_keys, capsys):
    path = signed / "review" / "allowed_signers"
    pub = (reviewer_keys[AUTHOR].parent / f"{AUTHOR}.pub").read_text().strip()
    path.write_text(path.read_text() + f'* namespaces="cam-workbench-signoff" {pub}\n')
    code, out = status(signed, capsys)
    assert code == 1 and "'*' is not one plain reviewer id" in out
    assert all(s.ok for s in file_status(load_content(signed)))  # the approvals themselves hold
