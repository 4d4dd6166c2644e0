"""`serve --production` refuses unapproved content; preview shows a banner instead.

The live server that starts once the content is approved: tests/e2e/test_production.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import AUTHOR, REVIEWER, SECOND, list_reviewers, sign_off

from cam_workbench.cli import main
from cam_workbench.content.loading import load_content
from cam_workbench.views import PatientDashboard


def _serve_production(content: Path, capsys) -> tuple[int, str]:
    code = main(["serve", "--production", "--content", str(content), "--port", "1"])
    return code, capsys.readouterr().err


def test_production_refuses_unapproved_content_naming_files(content_copy, capsys):
    code, err = _serve_production(content_copy, capsys)
    assert code == 1
    for name in ("en/screening.yaml", "en/acupuncture.yaml", "en/shared.yaml"):
        assert name in err


@pytest.mark.parametrize("approved", [False, True])
def test_preview_banner_only_while_unapproved(content_copy, reviewer_keys, approved):
    if approved:
        sign_off(content_copy, reviewer_keys)
    content = load_content(content_copy)
    board = PatientDashboard(content)
    banner = content.shared().ui.preview_banner
    shown = any(banner in getattr(child, "value", "") for child in board.children)
    assert shown is not approved


# --- review dates and placeholders ------------------------------------------------------

PAST_DUE = "2026-06-01"  # before today: the shipped dates are in the future


def _approve_before_due(content_copy: Path, keys, name: str = "shared.yaml") -> None:
    """Approve everything, one file due on PAST_DUE, as a reviewer did before that date."""
    import datetime as dt

    from cam_workbench.review import signoff

    for language in ("en", "es"):
        path = content_copy / language / name
        text = path.read_text(encoding="utf-8").replace(
            "next_review_due: 2027-02-28", f"next_review_due: {PAST_DUE}"
        )
        path.write_text(text, encoding="utf-8")
    list_reviewers(content_copy, keys)
    submit = ["submit", "--content", str(content_copy), "--author", AUTHOR]
    assert main([*submit, "--key", str(keys[AUTHOR])]) == 0
    content = load_content(content_copy)
    record, _ = signoff.approve(content, REVIEWER, keys[REVIEWER], today=dt.date(2026, 5, 1))
    signoff.write_signoff(content, record)


def test_a_file_past_its_review_date_blocks_review_status_and_production(
    content_copy, reviewer_keys, capsys
):
    _approve_before_due(content_copy, reviewer_keys)
    assert main(["review-status", "--content", str(content_copy)]) == 1
    out = capsys.readouterr().out
    assert f"en/shared.yaml: next clinical review was due on {PAST_DUE} (overdue)" in out
    assert "en/acupuncture.yaml: approved" in out
    code, err = _serve_production(content_copy, capsys)
    assert code == 1
    assert "en/shared.yaml" in err and "overdue" in err
    assert "en/acupuncture.yaml" not in err


def test_approve_never_renews_a_review_date_by_itself(content_copy, reviewer_keys, capsys):
    _approve_before_due(content_copy, reviewer_keys)
    key = ["--key", str(reviewer_keys[SECOND])]
    with pytest.raises(SystemExit) as done:
        main(
            [
                "approve",
                "--content",
                str(content_copy),
                "--reviewer",
                SECOND,
                *key,
                "en/shared.yaml",
            ]
        )
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "en/shared.yaml" in err and "meta.next_review_due" in err and "Traceback" not in err


def test_a_reviewer_renews_by_setting_the_dates_and_approving(content_copy, reviewer_keys, capsys):
    _approve_before_due(content_copy, reviewer_keys)
    for language in ("en", "es"):
        for name in ("shared.yaml", "screening.yaml", "acupuncture.yaml"):
            path = content_copy / language / name
            text = path.read_text(encoding="utf-8")
            text = text.replace(f"next_review_due: {PAST_DUE}", "next_review_due: 2027-11-30")
            text = text.replace("last_reviewed: null", "last_reviewed: 2026-11-30")
            path.write_text(text, encoding="utf-8")
    # the new date is the reviewer's to approve: until then it blocks
    assert main(["review-status", "--content", str(content_copy)]) == 1
    assert "next_review_due moved from 2026-06-01" in capsys.readouterr().out
    key = ["--key", str(reviewer_keys[SECOND])]
    assert main(["approve", "--content", str(content_copy), "--reviewer", SECOND, *key]) == 0
    capsys.readouterr()
    assert main(["review-status", "--content", str(content_copy)]) == 0
    board = PatientDashboard(load_content(content_copy))
    page = " ".join(getattr(child, "value", "") for child in board.children)
    assert "Last checked by a clinical reviewer: November 30, 2026." in page
    assert "Next check due: February 28, 2027." in page  # the earliest of the page's files


def test_moving_a_review_date_later_needs_a_new_approval(content_copy, reviewer_keys, capsys):
    sign_off(content_copy, reviewer_keys)
    path = content_copy / "en" / "acupuncture.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2027-02-28", "2030-01-01"), encoding="utf-8"
    )
    capsys.readouterr()
    assert main(["review-status", "--content", str(content_copy)]) == 1
    code, err = _serve_production(content_copy, capsys)
    assert code == 1 and "en/acupuncture.yaml: review date moved since approval" in err


def test_a_placeholder_blocks_validate_review_status_and_production(content_copy, capsys):
    path = content_copy / "en" / "acupuncture.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "      - The first visit takes about 30 minutes.\n", "      - 'TODO: write this text'\n"
    )
    path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "TODO" in row)
    for command in (["validate"], ["review-status"], ["serve", "--production", "--port", "1"]):
        assert main([*command, "--content", str(content_copy)]) == 1, command
        err = capsys.readouterr().err
        assert f"en/acupuncture.yaml:{line}: placeholder text 'TODO'" in err, command
        assert "Traceback" not in err
