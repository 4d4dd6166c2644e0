"""`serve --production` refuses unapproved content; preview shows a banner instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from e2e.conftest import free_port, stop_server, wait_for_port

from cam_workbench.cli import main
from cam_workbench.loading import load_content
from cam_workbench.views import PatientDashboard

EXE = str(Path(sys.executable).with_name("cam-workbench"))


def _serve_production(content: Path, capsys) -> tuple[int, str]:
    code = main(["serve", "--production", "--content", str(content), "--port", "1"])
    return code, capsys.readouterr().err


def test_production_refuses_unapproved_content_naming_files(content_copy, capsys):
    code, err = _serve_production(content_copy, capsys)
    assert code == 1
    for name in ("en/screening.yaml", "en/acupuncture.yaml", "en/shared.yaml"):
        assert name in err


def test_one_changed_sentence_blocks_production_until_approved_again(
    content_copy, edit_content, tmp_path
):
    assert main(["approve", "--content", str(content_copy), "--reviewer", "Reviewer A"]) == 0
    port = free_port()
    proc = subprocess.Popen(
        [EXE, "serve", "--production", "--content", str(content_copy), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, proc)  # approved content: the server starts
    finally:
        from e2e.conftest import Server

        stop_server(Server("", port, proc, tmp_path / "none"))
    edit_content("acupuncture.yaml", "It is thousands of years old.", "It is very old.")
    result = subprocess.run(
        [EXE, "serve", "--production", "--content", str(content_copy), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "en/acupuncture.yaml" in result.stderr
    assert "en/screening.yaml" not in result.stderr
    assert "Traceback" not in result.stderr
    assert main(["approve", "--content", str(content_copy), "--reviewer", "Reviewer B"]) == 0
    assert main(["review-status", "--content", str(content_copy)]) == 0


@pytest.mark.parametrize("approved", [False, True])
def test_preview_banner_only_while_unapproved(content_copy, approved):
    if approved:
        assert main(["approve", "--content", str(content_copy), "--reviewer", "Reviewer A"]) == 0
    content = load_content(content_copy)
    board = PatientDashboard(content)
    banner = content.shared().ui.preview_banner
    shown = any(banner in getattr(child, "value", "") for child in board.children)
    assert shown is not approved
