"""`serve --production` starts once the content is approved, and refuses it again on a change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import AUTHOR, SECOND, sign_off

from cam_workbench.cli import main

from .servers import Server, free_port, stop_server, wait_for_port

pytestmark = pytest.mark.e2e

EXE = str(Path(sys.executable).with_name("cam-workbench"))


def test_one_changed_sentence_blocks_production_until_approved_again(
    content_copy, edit_content, reviewer_keys, tmp_path
):
    sign_off(content_copy, reviewer_keys)
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
    where = ["--content", str(content_copy)]
    author = ["--author", AUTHOR, "--key", str(reviewer_keys[AUTHOR])]
    assert main(["submit", *where, *author, "en/acupuncture.yaml"]) == 0
    assert main(["approve", *where, "--reviewer", SECOND, "--key", str(reviewer_keys[SECOND])]) == 0
    assert main(["review-status", *where]) == 0
