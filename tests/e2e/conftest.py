"""Fixtures for end-to-end tests: a real `cam-workbench serve` and real Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait with a TCP connect (a GET would start a kernel)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(
    tmp_path: Path, *extra: str, env: dict[str, str] | None = None, port: int | None = None
) -> Server:
    port = port or free_port()
    log_path = tmp_path / f"serve-{port}.log"
    exe = Path(sys.executable).with_name("cam-workbench")
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}/", port, proc, log_path)
    try:
        wait_for_port(port, proc)
    except Exception:
        stop_server(server)
        raise RuntimeError(f"server did not start:\n{server.log()}") from None
    return server


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        os.killpg(server.proc.pid, 15)
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, 9)
            server.proc.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    # One server for the whole suite: every test's visits come from 127.0.0.1, and a closed
    # test page's kernel lingers up to a minute, so the per-address limit (20 by default,
    # tested on its own server in test_security_sessions.py) is raised here.
    srv = start_server(tmp_path_factory.mktemp("serve"), "--max-per-address", "200")
    yield srv
    stop_server(srv)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
