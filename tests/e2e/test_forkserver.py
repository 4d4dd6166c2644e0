"""The served page with kernels forked from the zygote (the default of `cam-workbench serve`).

The kernel behind a real page is a child of the server's zygote, and the page works; when
the zygote dies, its pages say their session is lost and the next visit gets a kernel from
a new zygote; with ``--no-fork-kernels`` kernels are spawned (still without the debugger).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from helpers import kernel_processes, proc_cmdline, proc_parent, zygotes_of
from playwright.sync_api import expect

from .servers import start_server, stop_server
from .test_dashboard import SEE_DOCTOR, SHARED, open_dashboard

pytestmark = pytest.mark.e2e

KERNEL_ID_JS = (
    "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
)


def pid_of(server_pid: int, kernel_id: str, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = dict((kid, pid) for pid, kid in kernel_processes(server_pid))
        if kernel_id in found:
            return found[kernel_id]
        time.sleep(0.1)
    raise AssertionError(f"kernel {kernel_id} not found among the server's kernels")


def test_the_page_runs_in_a_kernel_forked_from_the_zygote(page, server):
    open_dashboard(page, server.url).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
    pid = pid_of(server.proc.pid, page.evaluate(KERNEL_ID_JS))
    (zygote,) = zygotes_of(server.proc.pid)
    assert proc_parent(pid) == zygote
    assert " -m ipykernel_launcher -f " in proc_cmdline(pid)
    # Every kernel of the server, the preheated ones too, comes from the zygote.
    assert {proc_parent(p) for p, _ in kernel_processes(server.proc.pid)} == {zygote}


def test_a_dead_zygote_loses_its_sessions_and_a_new_one_serves_the_next_visit(browser, tmp_path):
    srv = start_server(tmp_path)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_dashboard(page, srv.url)
        (zygote,) = zygotes_of(srv.proc.pid)
        os.kill(zygote, signal.SIGKILL)
        expect(page.get_by_text(SHARED.ui.session_lost)).to_be_visible(timeout=60_000)
        again = context.new_page()
        open_dashboard(again, srv.url).check()
        again.get_by_role("button", name=SHARED.ui.continue_).click()
        expect(again.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
        pid = pid_of(srv.proc.pid, again.evaluate(KERNEL_ID_JS))
        (new_zygote,) = zygotes_of(srv.proc.pid)
        assert new_zygote != zygote and proc_parent(pid) == new_zygote
        assert "Kernel zygote" in srv.log() and "Starting a new one" in srv.log()
    finally:
        context.close()
        stop_server(srv)


def test_without_forking_kernels_are_spawned_without_the_debugger(browser, tmp_path):
    srv = start_server(tmp_path, "--no-fork-kernels")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_dashboard(page, srv.url).check()
        page.get_by_role("button", name=SHARED.ui.continue_).click()
        expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
        pid = pid_of(srv.proc.pid, page.evaluate(KERNEL_ID_JS))
        assert proc_parent(pid) == srv.proc.pid
        assert " -m cam_workbench.zygote.launch -f " in proc_cmdline(pid)
        assert zygotes_of(srv.proc.pid) == []
        # (an ipykernel with its debugger maps pydevd's compiled parts)
        assert "pydevd" not in Path(f"/proc/{pid}/maps").read_text()
    finally:
        context.close()
        stop_server(srv)
