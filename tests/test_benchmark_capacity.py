"""The benchmark's capacity figures (benchmarks/_capacity.py), from ramps made up here.

The deployment's capacity model reads these keys from benchmarks/results/latest.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _capacity import summary  # noqa: E402

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
