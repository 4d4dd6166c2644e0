"""Helpers for end-to-end tests: start and stop a real `cam-workbench serve` on a free port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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

    def kernel_ids(self) -> set[str]:
        """Ids of the server's kernel processes (its children running ipykernel)."""
        return kernel_ids_of(self.proc.pid)


def kernel_ids_of(pid: int) -> set[str]:
    """Ids of the kernels run by process ``pid`` or its descendants (Linux: reads /proc).

    Descendants too: a kernel may be started through a helper process.
    """
    parents: dict[int, int] = {}
    kernels: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        match = re.search(r"kernel-([0-9a-f-]+)\.json", cmdline)
        if match:
            kernels[int(entry)] = match.group(1)
    found = set()
    for child, kernel_id in kernels.items():
        ancestor = parents.get(child, 0)
        while ancestor > 1 and ancestor != pid:
            ancestor = parents.get(ancestor, 0)
        if ancestor == pid:
            found.add(kernel_id)
    return found


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
