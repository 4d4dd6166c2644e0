"""The benchmark's capacity figures (benchmarks/_capacity.py), from ramps made up here.

The deployment's capacity model reads these keys from benchmarks/results/latest.json.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _capacity import _Pacer, summary  # noqa: E402

KEYS = {
    "kernel_uss_per_session_mib",
    "kernel_pss_per_session_mib",
    "zygote_uss_mib",
    "zygote_pss_mib",
    "server_rss_base_mib",
    "server_rss_per_session_mib",
    "memory_per_session_mib",
    "cpu_per_click_ms",
    "server_cpu_per_click_ms",
    "kernel_cpu_per_click_ms",
    "sessions_at_p95_250ms",
    "sessions_by_memory_24gib",
    "sessions_per_machine_2core_24gib",
    "limited_by",
    "cores",
    "ramp",
}


def step(sessions: int, p95: float | None, pss: float = 24.0) -> dict[str, object]:
    return {
        "sessions": sessions,
        "click_p95_ms": p95,
        "click_median_ms": p95,
        "server_cpu_per_action_ms": 4.0,
        "kernel_cpu_per_action_ms": 2.0,
        "kernel_uss_mib": pss - 2,
        "kernel_pss_mib": pss,
        "kernels_pss_mib": pss * sessions,
        "zygote_uss_mib": 18.0,
        "zygote_pss_mib": 22.0,
        "server_rss_mib": 100.0 + 0.5 * sessions,
    }


BASE = {"server_rss_mib": 100.0, "zygote_uss_mib": 18.0, "zygote_pss_mib": 22.0}


def test_a_ramp_that_crossed_the_limit_counts_the_last_step_under_it():
    raw = {
        "base": BASE,
        "stopped": "latency",
        "steps": [step(50, 40), step(100, 120), step(200, 400)],
    }
    found = summary(raw, cores=2)
    assert set(found) == KEYS
    assert found["sessions_at_p95_250ms"] == 100
    assert found["sessions_per_machine_2core_24gib"] == 100
    assert found["limited_by"] == "latency"
    assert found["server_rss_per_session_mib"] == pytest.approx(0.5)
    assert found["memory_per_session_mib"] == pytest.approx(24.5)
    assert found["cpu_per_click_ms"] == pytest.approx(6.0)
    assert [s["sessions"] for s in found["ramp"]] == [50, 100, 200]


def test_memory_limits_when_sessions_cost_more_than_the_machine_has():
    heavy = 300.0  # MiB a session: 24 GiB hold about 78
    raw = {
        "base": BASE,
        "stopped": "latency",
        "steps": [step(100, 50, heavy), step(400, 300, heavy)],
    }
    found = summary(raw, cores=2)
    assert found["limited_by"] == "memory"
    assert found["sessions_per_machine_2core_24gib"] == found["sessions_by_memory_24gib"]
    assert found["sessions_by_memory_24gib"] < 100


def test_a_ramp_that_never_crossed_the_limit_is_a_lower_bound_said_so():
    raw = {"base": BASE, "stopped": "ramp_end", "steps": [step(50, 20), step(100, 30)]}
    found = summary(raw, cores=4)  # measured on 4 cores: half of it on 2
    assert found["limited_by"] == "ramp_end"
    assert found["sessions_per_machine_2core_24gib"] == 50


def test_a_ramp_without_clicks_has_no_capacity_figure():
    found = summary({"base": BASE, "stopped": "open_errors", "steps": [step(5, None)]}, cores=2)
    assert found["sessions_at_p95_250ms"] == 0
    assert found["kernel_pss_per_session_mib"] is None


def test_memory_the_server_kept_from_earlier_phases_counts_against_the_sessions():
    # The ramp's RSS starts at 100 MiB, grown from 60 MiB idle by the phases before it: the
    # slope within the ramp (0.5 MiB) would leave that growth out.
    raw = {"base": BASE, "stopped": "ramp_end", "steps": [step(50, 20), step(100, 30)]}
    found = summary(raw, cores=2, idle_rss_mib=60.0)
    assert found["server_rss_base_mib"] == 60.0
    assert found["server_rss_per_session_mib"] == pytest.approx((150.0 - 60.0) / 100)
    assert found["memory_per_session_mib"] == pytest.approx(24.0 + 0.9)


class _StubbornSession:
    """A session whose click swallows one cancellation, as Python 3.11's wait_for can when
    the reply lands at the moment of cancelling (the full benchmark once hung so)."""

    def __init__(self) -> None:
        self.server = SimpleNamespace(
            texts=SimpleNamespace(first_flag="flag", continue_="go", start_again="")
        )
        self.clicks = 0

    def find(self, model: str, description: str) -> str:
        return description

    async def set_value(self, comm_id: str, value: bool) -> float:
        return 0.001

    async def click(self, comm_id: str) -> float:
        self.clicks += 1
        with contextlib.suppress(asyncio.CancelledError):  # swallowed: it goes on as before
            await asyncio.sleep(0.01)
        return 0.001


def test_stopping_the_ramps_clicking_ends_even_a_session_that_missed_its_cancellation():
    async def ramp_then_stop() -> tuple[_Pacer, list[_StubbornSession]]:
        pacer = _Pacer((0.0, 0.0))  # no pauses: a session is nearly always in click()
        sessions = [_StubbornSession() for _ in range(5)]
        for session in sessions:
            pacer.start(session)
        await asyncio.sleep(0.3)
        # Cancel while the sessions are inside click(): each swallows it.
        await asyncio.wait_for(pacer.stop(), timeout=10)
        return pacer, sessions

    # Its own thread: the browser tests' Playwright keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pacer, sessions = pool.submit(asyncio.run, ramp_then_stop()).result(timeout=30)
    assert all(task.done() for task in pacer.tasks)
    assert all(s.clicks > 1 for s in sessions)  # they clicked until told to stop
    assert pacer.clicks  # and their clicks were timed
