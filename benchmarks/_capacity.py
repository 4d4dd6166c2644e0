"""Capacity: connected patient sessions ramped up under a steady click load, until p95 > 250 ms.

Every connected session behaves like a patient at the question: a tick, a click on Continue,
Start again, each after a pause of ``think`` seconds. After each step's new sessions have
opened and settled, the clicks of a ``window_s`` window are timed, and the server's and the
kernels' memory and CPU are read from /proc. The figures under ``capacity`` in latest.json
are the stable keys listed in benchmarks/README.md (the deployment's capacity model reads
them).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from _kernel_ws import LoadResult, Session, close_sessions, open_sessions
from _procs import memory_kib, tree_cpu_s, zygotes_of
from _servers import Server

P95_LIMIT_MS = 250.0
MACHINE_GIB = 24
RESERVE_MIB = 1024  # the operating system and everything that is not the server
MACHINE_CORES = 2
MEMORY_FLOOR_MIB = 2048  # never ramp the machine below this much available memory


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(1, -(-len(ordered) * q // 100)) - 1], 1)


def _own_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _Pacer:
    """The sessions' steady clicking: (when, ms) of every Continue click, and every action."""

    def __init__(self, think: tuple[float, float]) -> None:
        self.think = think
        self.clicks: list[tuple[float, float]] = []
        self.actions = 0
        self.errors = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.running = True

    def start(self, session: Session) -> None:
        self.tasks.append(asyncio.create_task(self._pace(session)))

    async def _pace(self, session: Session) -> None:
        texts = session.server.texts
        try:
            flag = session.find("CheckboxModel", texts.first_flag)
            go = session.find("ButtonModel", texts.continue_)
            await asyncio.sleep(random.uniform(0, self.think[1]))  # spread the first ticks
            while self.running:
                await session.set_value(flag, True)
                self.actions += 1
                await asyncio.sleep(random.uniform(*self.think))
                took = await session.click(go)
                self.clicks.append((time.monotonic(), 1000 * took))
                self.actions += 1
                await asyncio.sleep(random.uniform(*self.think))
                if texts.start_again:
                    await session.click(session.find("ButtonModel", texts.start_again))
                else:  # the minimal notebook: untick instead
                    await session.set_value(flag, False)
                self.actions += 1
                await asyncio.sleep(random.uniform(*self.think))
        except (TimeoutError, ConnectionError, OSError, LookupError):
            self.errors += 1

    async def stop(self) -> None:
        """Stop every session's clicking; give up waiting after 60 s (the run goes on)."""
        self.running = False  # a task that missed its cancellation still ends its loop
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=60)


def _memory(server: Server) -> dict[str, Any]:
    kernels = []
    for pid in server.kernels().values():
        with contextlib.suppress(OSError):
            kernels.append(memory_kib(pid))
    zygotes = []
    for pid in zygotes_of(server.pid):
        with contextlib.suppress(OSError):
            zygotes.append(memory_kib(pid))
    return {
        "kernels": len(kernels),
        "kernel_uss_mib": statistics.median(k["uss"] for k in kernels) / 1024 if kernels else None,
        "kernel_pss_mib": statistics.median(k["pss"] for k in kernels) / 1024 if kernels else None,
        "kernels_pss_mib": sum(k["pss"] for k in kernels) / 1024,
        "zygote_uss_mib": sum(z["uss"] for z in zygotes) / 1024,
        "zygote_pss_mib": sum(z["pss"] for z in zygotes) / 1024,
        "server_rss_mib": server.rss_kib() / 1024,
    }


async def ramp(
    server: Server,
    steps: list[int],
    window_s: float,
    think: tuple[float, float],
    log: Any = print,
) -> dict[str, Any]:
    """Ramp the connected sessions through ``steps``; stop once click p95 passes 250 ms."""
    base = _memory(server)
    pacer = _Pacer(think)
    sessions: list[Session] = []
    out: dict[str, Any] = {"steps": [], "base": base, "stopped": "ramp_end"}
    try:
        for target in steps:
            wanted = target - len(sessions)
            last = out["steps"][-1] if out["steps"] else {}
            per_session = (last.get("kernel_pss_mib") or 30.0) + 1.0  # kernel + server
            if _available_mib() - wanted * per_session < MEMORY_FLOOR_MIB:
                out["stopped"] = "machine_memory"  # this machine could not hold the step
                break
            errors = LoadResult(sessions_requested=wanted)
            new = await open_sessions(server, wanted, 3, errors)
            for session in new:
                pacer.start(session)
            sessions += new
            await asyncio.sleep(think[1] * 2)  # the new sessions' first ticks pass
            cpu0, own0, actions0 = tree_cpu_s(server.pid), _own_cpu_s(server.pid), pacer.actions
            t0 = time.monotonic()
            await asyncio.sleep(window_s)
            cpu, own = tree_cpu_s(server.pid) - cpu0, _own_cpu_s(server.pid) - own0
            actions = pacer.actions - actions0
            clicks = [ms for when, ms in pacer.clicks if when >= t0]
            step = {
                "sessions": len(sessions),
                "open_errors": errors.open_errors,
                "click_errors": pacer.errors,
                "clicks": len(clicks),
                "click_p95_ms": _pct(clicks, 95),
                "click_median_ms": round(statistics.median(clicks), 1) if clicks else None,
                "actions": actions,
                "server_cpu_per_action_ms": round(1000 * own / actions, 2) if actions else None,
                "kernel_cpu_per_action_ms": round(1000 * (cpu - own) / actions, 2)
                if actions
                else None,
                "cpu_cores_busy": round(cpu / window_s, 2),
                **{
                    k: round(v, 1) if isinstance(v, float) else v
                    for k, v in _memory(server).items()
                },
            }
            out["steps"].append(step)
            log(
                f"capacity: {step['sessions']} sessions, click p95 {step['click_p95_ms']} ms "
                f"(n={step['clicks']}), {step['cpu_cores_busy']} cores busy"
            )
            if len(new) < 0.9 * wanted:  # the server turned visits away: it is full
                out["stopped"] = "open_errors"
                break
            if step["click_p95_ms"] is not None and step["click_p95_ms"] > P95_LIMIT_MS:
                out["stopped"] = "latency"
                break
    finally:
        await pacer.stop()
        await close_sessions(sessions)
    return out


def summary(raw: dict[str, Any], cores: int, idle_rss_mib: float | None = None) -> dict[str, Any]:
    """The stable ``capacity`` keys (benchmarks/README.md) from a ramp.

    ``idle_rss_mib``: the server's RSS right after it started. The ramp runs after the other
    phases, and memory the server took for them stays with the process (Python keeps its
    arenas), so the RSS growth within the ramp alone understates a session's cost. Given it,
    a session's server memory is (RSS at the last step − idle) / its sessions, the larger
    of that and the slope within the ramp.
    """
    steps = [s for s in raw.get("steps", []) if s["click_p95_ms"] is not None]
    under = [s for s in steps if s["click_p95_ms"] <= P95_LIMIT_MS]
    base = raw.get("base", {})
    last = under[-1] if under else (steps[-1] if steps else {})
    rss_slope = None
    if len(steps) >= 2:
        fit = statistics.linear_regression(
            [s["sessions"] for s in steps], [s["server_rss_mib"] for s in steps]
        )
        rss_slope = round(fit.slope, 2)
    elif steps and steps[0]["sessions"]:
        rss_slope = round(
            (steps[0]["server_rss_mib"] - base["server_rss_mib"]) / steps[0]["sessions"], 2
        )
    if idle_rss_mib is not None and last.get("sessions"):
        whole = (last["server_rss_mib"] - idle_rss_mib) / last["sessions"]
        rss_slope = round(max(whole, rss_slope or 0.0), 2)
    pss = last.get("kernel_pss_mib")
    per_session = round(pss + max(rss_slope or 0.0, 0.0), 1) if pss is not None else None
    zygote_pss = last.get("zygote_pss_mib", base.get("zygote_pss_mib", 0.0))
    by_memory = None
    if per_session:
        server_base = idle_rss_mib if idle_rss_mib is not None else base.get("server_rss_mib", 0.0)
        free = MACHINE_GIB * 1024 - RESERVE_MIB - server_base - zygote_pss
        by_memory = int(free // per_session)
    at_p95 = under[-1]["sessions"] if under else 0
    by_latency = int(at_p95 * MACHINE_CORES / cores) if cores else at_p95
    stopped = raw.get("stopped")
    # p95 crossed the limit: the machine holds the lesser of what latency and memory allow.
    # Otherwise the ramp ended first (or this machine's memory ran short): a lower bound.
    per_machine, limited = by_latency, stopped
    if by_memory is not None and by_memory < by_latency:
        per_machine, limited = by_memory, "memory"

    def cpu(key: str) -> float | None:
        values = [s[key] for s in under if s[key] is not None] or [
            s[key] for s in steps if s[key] is not None
        ]
        return round(statistics.median(values), 2) if values else None

    server_cpu, kernel_cpu = cpu("server_cpu_per_action_ms"), cpu("kernel_cpu_per_action_ms")
    return {
        "kernel_uss_per_session_mib": last.get("kernel_uss_mib"),
        "kernel_pss_per_session_mib": pss,
        "zygote_uss_mib": last.get("zygote_uss_mib", base.get("zygote_uss_mib")),
        "zygote_pss_mib": zygote_pss,
        "server_rss_base_mib": round(
            idle_rss_mib if idle_rss_mib is not None else base.get("server_rss_mib", 0.0), 1
        ),
        "server_rss_per_session_mib": rss_slope,
        "memory_per_session_mib": per_session,
        "cpu_per_click_ms": round(server_cpu + kernel_cpu, 2)
        if server_cpu is not None and kernel_cpu is not None
        else None,
        "server_cpu_per_click_ms": server_cpu,
        "kernel_cpu_per_click_ms": kernel_cpu,
        "sessions_at_p95_250ms": at_p95,
        "sessions_by_memory_24gib": by_memory,
        "sessions_per_machine_2core_24gib": per_machine,
        "limited_by": limited,
        "cores": cores,
        "ramp": [
            {
                k: s[k]
                for k in (
                    "sessions",
                    "click_p95_ms",
                    "click_median_ms",
                    "server_rss_mib",
                    "kernels_pss_mib",
                )
            }
            for s in raw.get("steps", [])
        ],
    }
