"""What the server keeps on disk: pinned production content, private connection files.

Issue 13, items 4 and 9, against a real `cam-workbench serve` (and real Chromium).
"""

from __future__ import annotations

import os
import signal
import stat
import time
from pathlib import Path

import pytest
from helpers import sign_off
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content

from .servers import start_server, stop_server, wait_for_port

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING, SHARED, GUIDE = CONTENT.screening(), CONTENT.shared(), CONTENT.guide()
APPROVED = GUIDE.sections[0].body[0]
EDITED = "EDITED AFTER APPROVAL and never reviewed by anyone."


def approve(content: Path, keys: dict[str, Path]) -> None:
    sign_off(content, keys)  # submitted by one test reviewer, approved by another


def guide_text(browser, url: str) -> str:
    """A new patient goes to the guide ("none of these"); the page's text."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        page.get_by_role("checkbox", name=SCREENING.none_option.text).check()
        page.get_by_role("button", name=SHARED.ui.continue_).click()
        expect(page.get_by_role("heading", name=SHARED.ui.guide_heading)).to_be_visible()
        return page.inner_text("body")
    finally:
        context.close()


def test_production_serves_the_approved_content_whatever_happens_to_the_folder(
    browser, content_copy, reviewer_keys, tmp_path
):
    assert isinstance(APPROVED, str)
    approve(content_copy, reviewer_keys)
    server = start_server(tmp_path, "--production", "--content", str(content_copy))
    guide = content_copy / "en" / "acupuncture.yaml"
    try:
        guide.write_text(guide.read_text(encoding="utf-8").replace(APPROVED, EDITED), "utf-8")
        for _ in range(4):  # more visits than preheated kernels: new kernels load content
            text = guide_text(browser, server.url)
            assert APPROVED in text and EDITED not in text
            assert SHARED.ui.preview_banner not in text
        guide.write_text("kind: guide\nmeta: [broken\n", encoding="utf-8")
        text = guide_text(browser, server.url)
        assert APPROVED in text and SHARED.ui.preview_banner not in text
    finally:
        stop_server(server)


def connection_files(root: Path) -> set[Path]:
    return set(root.rglob("kernel-*.json"))


def wait_for_kernels(server, folder: Path, count: int, timeout: float = 60) -> set[Path]:
    """Wait until ``count`` kernels have started; return the connection files in ``folder``."""
    deadline = time.monotonic() + timeout
    while server.log().count("Kernel started:") < count:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.5)
    return connection_files(folder)


def test_a_killed_server_leaves_nothing_in_the_temp_folder_and_the_next_starts_clean_up(
    content_copy, reviewer_keys, tmp_path
):
    approve(content_copy, reviewer_keys)
    temp, runtime = tmp_path / "tmp", tmp_path / "xdg"
    temp.mkdir()
    runtime.mkdir()
    env = {"TMPDIR": str(temp), "XDG_RUNTIME_DIR": str(runtime)}
    args = ("--production", "--content", str(content_copy))
    server = start_server(tmp_path, *args, env=env)
    port = server.port
    private = runtime / "cam-workbench" / str(port)
    try:
        stale = wait_for_kernels(server, private, 2)  # the preheated kernels
        assert len(stale) == 2
        for folder in (runtime / "cam-workbench", private):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert not connection_files(temp), "connection files in the temp folder"
        pinned = private / "content" / "en" / "acupuncture.yaml"
        assert stat.S_IMODE(pinned.stat().st_mode) == 0o444  # the pinned copy is read-only
    finally:
        os.killpg(server.proc.pid, signal.SIGKILL)  # the server and its kernels, no clean-up
        server.proc.wait()
    assert connection_files(private) == stale  # what a killed server leaves behind
    root = runtime / "cam-workbench"
    assert sorted(p.name for p in root.iterdir()) == [str(port), f"{port}.lock"]
    again = start_server(tmp_path, *args, env=env, port=port)
    try:
        wait_for_port(port, again.proc)
        fresh = wait_for_kernels(again, private, 2)
        assert len(fresh) == 2
        assert not fresh & stale, "the stale connection files are still there"
        assert not connection_files(temp)
    finally:
        os.killpg(again.proc.pid, signal.SIGKILL)  # killed again
        again.proc.wait()
    # A server on another port removes what the killed one left (its lock is free)...
    other = start_server(tmp_path, *args, env=env)
    try:
        wait_for_kernels(other, root / str(other.port), 2)
        assert sorted(p.name for p in root.iterdir()) == [str(other.port), f"{other.port}.lock"]
    finally:
        stop_server(other)
    # ... and a clean stop removes its own folder and lock file.
    assert list(root.iterdir()) == []
