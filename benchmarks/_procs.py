"""What the benchmark reads from /proc: kernel processes, memory, CPU use, the machine."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# The /proc readers the tests use for the same processes (tests/helpers.py): one definition.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import kernel_processes, proc_parent, zygotes_of  # noqa: E402

__all__ = ["kernels_of", "machine", "memory_kib", "rss_kib", "settle", "tree_cpu_s", "zygotes_of"]


def kernels_of(server_pid: int) -> dict[str, int]:
    """Kernel id → pid of the ipykernel processes started by the server ``server_pid``.

    A kernel is found by its connection file (``kernel-<id>.json``) on its command line, and
    its parent: the server (a spawned kernel) or the server's kernel zygote (a forked one).
    """
    return {kernel_id: pid for pid, kernel_id in kernel_processes(server_pid)}


def memory_kib(pid: int) -> dict[str, int]:
    """RSS, PSS and USS (Private_Clean + Private_Dirty) of a process from smaps_rollup, in KiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            values[parts[0][:-1]] = int(parts[1])
    return {
        "rss": values.get("Rss", 0),
        "pss": values.get("Pss", 0),
        "uss": values.get("Private_Clean", 0) + values.get("Private_Dirty", 0),
    }


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = proc_parent(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in _descendants(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def settle(root: int, quiet_cores: float = 0.08, window_s: float = 0.5, timeout_s: float = 25.0):
    """Wait until a server and its kernels use under ``quiet_cores`` of CPU; return the wait."""
    start = time.monotonic()
    before = tree_cpu_s(root)
    while time.monotonic() - start < timeout_s:
        time.sleep(window_s)
        now = tree_cpu_s(root)
        if (now - before) / window_s < quiet_cores:
            break
        before = now
    return time.monotonic() - start


def machine(chromium_path: str) -> dict[str, object]:
    """The machine the benchmark ran on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    try:
        chromium = subprocess.run(
            [chromium_path, "--version"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "chromium": chromium,
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }
