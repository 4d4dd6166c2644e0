"""The two servers the benchmark compares, started side by side on loopback ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _procs import kernels_of, rss_kib

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MINIMAL = Path(__file__).resolve().parent / "minimal.ipynb"


@dataclass(frozen=True)
class PageTexts:
    """What a driver looks for on a page (the patient-visible texts)."""

    first_flag: str
    """Accessible name of the first red-flag checkbox: "first question usable" = it is usable."""
    none_option: str
    continue_: str
    doctor_heading: str
    """Heading shown after Continue with the first red flag checked."""
    start_again: str | None
    """Button that goes back to the question (``None``: the page has no screens)."""


MINIMAL_TEXTS = PageTexts(
    first_flag="Severe pain, weakness, or tingling in one or both legs",
    none_option="None of these apply to me",
    continue_="Continue",
    doctor_heading="Talk with your doctor first",
    start_again=None,
)


def dashboard_texts() -> PageTexts:
    """The patient dashboard's texts, from the shipped English content."""
    sys.path.insert(0, str(REPO))
    from cam_workbench.content.loading import load_content
    from cam_workbench.content.rules import Answers
    from cam_workbench.logic.screening import evaluate

    content = load_content(REPO / "content")
    screening, shared = content.screening("en"), content.shared("en")
    first = screening.items[0]
    # The outcome the rules give for the first red flag alone (as the drivers answer).
    shown = evaluate(screening, Answers.of([first.id], none_of_these=False)).outcome
    return PageTexts(
        first_flag=first.text,
        none_option=screening.none_option.text,
        continue_=shared.ui.continue_,
        doctor_heading=shown.heading,
        start_again=shared.ui.start_again,
    )


@dataclass
class Server:
    """A running server: ``cam`` (``cam-workbench serve``) or ``voila`` (plain Voila)."""

    name: str
    label: str
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    texts: PageTexts
    command: list[str]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kernels(self) -> dict[str, int]:
        return kernels_of(self.proc.pid)

    def rss_kib(self) -> int:
        return rss_kib(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(server: Server, timeout_s: float = 90.0) -> None:
    """Wait with a TCP connect (an HTTP GET would start a kernel)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited:\n{server.log_path.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{server.name}: nothing listening on {server.port}")


def _start(name: str, label: str, command: list[str], port: int, texts: PageTexts, logs: Path):
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    return Server(name, label, f"http://127.0.0.1:{port}/", port, proc, log_path, texts, command)


def start_servers(logs: Path, max_sessions: int = 0) -> list[Server]:
    """Start ``cam-workbench serve`` (patient dashboard) and plain Voila (minimal notebook).

    ``max_sessions``: raise the server's kernel cap and per-address limit to hold that many
    sessions at once (every benchmark session comes from 127.0.0.1, where a real server's
    patients come from many addresses); 0 keeps the defaults.
    """
    cam_port, voila_port = free_port(), free_port()
    cam_cmd = [str(BIN / "cam-workbench"), "serve", "--port", str(cam_port)]
    if max_sessions:
        limit = str(max_sessions)
        cam_cmd += ["--max-kernels", limit, "--max-per-address", limit]
    voila_cmd = [str(BIN / "voila"), str(MINIMAL), f"--port={voila_port}", "--no-browser"]
    servers = [
        _start(
            "cam",
            "cam-workbench serve (patient dashboard)",
            cam_cmd,
            cam_port,
            dashboard_texts(),
            logs,
        ),
        _start(
            "voila",
            "plain Voila 0.5 (minimal notebook)",
            voila_cmd,
            voila_port,
            MINIMAL_TEXTS,
            logs,
        ),
    ]
    try:
        for server in servers:
            _wait_for_port(server)
    except Exception:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: list[Server]) -> None:
    """SIGTERM each server's process group (servers shut their kernels down), then SIGKILL."""
    for server in servers:
        if server.alive():
            os.killpg(server.proc.pid, signal.SIGTERM)
    for server in servers:
        kernels = list(server.kernels().values())
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
        for pid in kernels:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
