"""The capacity model: patients per replica, replicas for N patients, the cap and culling.

Reads the ``capacity`` figures that ``make benchmark`` writes to
``benchmarks/results/latest.json`` (the same keys as ``benchmarks/capacity-today.json``, which
holds today's figures, before the fork-server kernels) and prints the Markdown tables that
README "Capacity" quotes::

    make capacity                                       # from benchmarks/results/latest.json
    .venv/bin/python benchmarks/capacity.py --results benchmarks/capacity-today.json

The model, per replica (one ``cam-workbench serve`` process and its kernels, given
``--replica-cores`` cores):

* patients: the sessions the benchmark held with click p95 <= 250 ms, scaled from the
  measured machine's cores to the replica's; and, when the benchmark measured the CPU a click
  costs, no more than keep the cores 70 % busy with one click every ``--seconds-between-clicks``
  per patient. The smaller wins.
* the cap (``max-kernels``): those patients plus the preheated pool.
* memory: server base + zygote + (cap x memory per session), plus 25 % headroom, rounded up
  to 64 MiB: the pod's request and limit (equal: the kernel is not evicted under pressure).
* replicas for N patients: every replica full, plus one spare (a rolling update or a node
  drain takes one away: the PodDisruptionBudget); and what the autoscaler runs when it keeps
  live kernels at 70 % of the cap.

Exit 1 with a message (no traceback) when the figures are missing or incomplete; 2 for a
wrong argument.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
POOL_SIZE = 2
"""Preheated kernels per replica (``ServeOptions.pool_size``'s default)."""
#: Why the benchmark's session count is a lower bound, by its ``limited_by``: the ramp ended
#: before click p95 passed 250 ms (its last step), or before this machine's memory ran out.
LOWER_BOUNDS: Final = {
    "ramp_end": " (a lower bound: p95 never passed 250 ms)",
    "machine_memory": " (a lower bound: the ramp stopped at this machine's memory)",
}
CPU_TARGET = 0.7
"""Share of the cores the patients' clicks may use (the rest: bursts, the server's own work)."""
AUTOSCALE_TARGET = 0.7
"""The autoscaler keeps live kernels at this share of the cap (deploy/kubernetes/hpa.yaml)."""
MEMORY_HEADROOM = 1.25
MEMORY_STEP_MIB = 64
IDLE_MINUTES = 10
SESSION_HOURS = 3

REQUIRED = (
    "memory_per_session_mib",
    "server_rss_base_mib",
    "zygote_pss_mib",
    "sessions_at_p95_250ms",
    "cores",
)
"""Keys that must hold a number."""
OPTIONAL = ("cpu_per_click_ms", "kernel_pss_per_session_mib", "kernel_uss_per_session_mib")
"""Keys that must be there but may be ``null`` (not measured)."""


class FiguresProblem(Exception):
    """The results file is missing, unreadable or lacks a figure."""


@dataclass(frozen=True)
class Figures:
    """What the model needs from the benchmark."""

    memory_per_session_mib: float
    server_rss_base_mib: float
    zygote_pss_mib: float
    sessions_at_p95_250ms: float
    cores: float
    cpu_per_click_ms: float | None
    kernel_pss_per_session_mib: float | None
    kernel_uss_per_session_mib: float | None
    limited_by: str | None


def read_figures(path: Path) -> Figures:
    """The ``capacity`` figures of a results file.

    Raises:
        FiguresProblem: no file, not JSON, no ``capacity`` object, a key missing or not a
            number.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FiguresProblem(
            f"{path} not found: run 'make benchmark' first (it writes the capacity figures), "
            "or pass --results FILE (today's figures: benchmarks/capacity-today.json)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FiguresProblem(f"{path}: cannot read it as JSON: {exc}") from None
    capacity = data.get("capacity") if isinstance(data, dict) else None
    if not isinstance(capacity, dict):
        raise FiguresProblem(
            f"{path} has no 'capacity' figures: run 'make benchmark' with the capacity phase "
            "(issue 18's benchmark), or pass --results benchmarks/capacity-today.json"
        )
    found: dict[str, Any] = {}
    for key in (*REQUIRED, *OPTIONAL):
        if key not in capacity:
            raise FiguresProblem(
                f"{path}: capacity.{key} is missing (the keys: benchmarks/capacity-today.json)"
            )
        value = capacity[key]
        if value is None and key in OPTIONAL:
            found[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise FiguresProblem(f"{path}: capacity.{key} must be a number, not {value!r}")
        found[key] = float(value)
    if found["memory_per_session_mib"] <= 0 or found["cores"] <= 0:
        raise FiguresProblem(f"{path}: memory per session and cores must be more than 0")
    if found["sessions_at_p95_250ms"] < 1:
        raise FiguresProblem(f"{path}: capacity.sessions_at_p95_250ms is below 1")
    limited_by = capacity.get("limited_by")
    return Figures(**found, limited_by=limited_by if isinstance(limited_by, str) else None)


@dataclass(frozen=True)
class Replica:
    """One replica's size."""

    patients: int
    limited_by: str
    max_kernels: int
    memory_mib: int
    autoscale_live_kernels: int


def replica(figures: Figures, cores: float, seconds_between_clicks: float) -> Replica:
    """Patients, cap, memory and autoscaler target of a replica with ``cores`` cores."""
    latency = (
        "click p95 <= 250 ms"
        if figures.limited_by not in LOWER_BOUNDS
        else "the most sessions measured; p95 stayed under 250 ms"
    )
    bounds = {latency: figures.sessions_at_p95_250ms * cores / figures.cores}
    if figures.cpu_per_click_ms:
        per_patient_ms_per_s = figures.cpu_per_click_ms / seconds_between_clicks
        bounds["CPU at 70 %"] = cores * 1000 * CPU_TARGET / per_patient_ms_per_s
    limited_by, patients = min(bounds.items(), key=lambda item: item[1])
    patients = max(1, math.floor(patients))
    max_kernels = patients + POOL_SIZE
    memory = figures.server_rss_base_mib + figures.zygote_pss_mib
    memory += max_kernels * figures.memory_per_session_mib
    memory_mib = math.ceil(memory * MEMORY_HEADROOM / MEMORY_STEP_MIB) * MEMORY_STEP_MIB
    target = max(POOL_SIZE + 1, round(max_kernels * AUTOSCALE_TARGET))
    return Replica(patients, limited_by, max_kernels, memory_mib, target)


def replicas_for(patients: int, size: Replica) -> tuple[int, int]:
    """``(every replica full + 1 spare, what the autoscaler runs at its target)``."""
    full = math.ceil(patients / size.patients) + 1
    autoscaled = math.ceil(patients / (size.autoscale_live_kernels - POOL_SIZE))
    return full, max(2, autoscaled)


def _n(value: float | None, unit: str = "") -> str:
    if value is None:
        return "not measured"
    text = f"{value:,.1f}".removesuffix(".0")
    return f"{text} {unit}".strip()


def report(figures: Figures, source: str, cores: float, seconds: float, totals: list[int]) -> str:
    """The Markdown tables README "Capacity" quotes."""
    size = replica(figures, cores, seconds)
    latency_note = LOWER_BOUNDS.get(figures.limited_by or "", "")
    lines = [
        f"Figures: {source}",
        "",
        "| measured | value |",
        "|---|---:|",
        f"| kernel USS per session | {_n(figures.kernel_uss_per_session_mib, 'MiB')} |",
        f"| kernel PSS per session | {_n(figures.kernel_pss_per_session_mib, 'MiB')} |",
        f"| memory per session (kernel + server) | {_n(figures.memory_per_session_mib, 'MiB')} |",
        f"| server RSS, idle | {_n(figures.server_rss_base_mib, 'MiB')} |",
        f"| kernel zygote PSS (once per replica) | {_n(figures.zygote_pss_mib, 'MiB')} |",
        f"| CPU per click | {_n(figures.cpu_per_click_ms, 'ms')} |",
        f"| sessions at click p95 <= 250 ms, {_n(figures.cores)} cores{latency_note} "
        f"| {_n(figures.sessions_at_p95_250ms)} |",
        "",
        f"| one replica ({_n(cores)} cores) | value |",
        "|---|---:|",
        f"| patients per replica | {size.patients} (limited by {size.limited_by}) |",
        f"| max-kernels (patients + {POOL_SIZE} preheated) | {size.max_kernels} |",
        f"| memory request = limit (+25 %) | {size.memory_mib} MiB |",
        f"| cpu request | {_n(cores)} |",
        f"| autoscaler target, live kernels per replica (70 % of the cap) "
        f"| {size.autoscale_live_kernels} |",
        f"| idle-minutes / max-session-hours | {IDLE_MINUTES} / {SESSION_HOURS} |",
        "",
        "| concurrent patients | replicas, all full + 1 spare | cores | memory "
        "| replicas the autoscaler runs (70 %) | cores | memory |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for total in totals:
        full, autoscaled = replicas_for(total, size)
        lines.append(
            f"| {total:,} | {full} | {_n(full * cores)} | {_gib(full * size.memory_mib)} "
            f"| {autoscaled} | {_n(autoscaled * cores)} | {_gib(autoscaled * size.memory_mib)} |"
        )
    return "\n".join(lines)


def _gib(mib: float) -> str:
    return f"{mib / 1024:,.0f} GiB"


def main(argv: list[str] | None = None) -> int:
    """Print the capacity tables; 1 when the figures are missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the benchmark's JSON")
    parser.add_argument("--replica-cores", type=float, default=2.0, help="cores per replica")
    parser.add_argument(
        "--seconds-between-clicks",
        type=float,
        default=15.0,
        help="a patient's reading time per question, for the CPU bound (default 15)",
    )
    parser.add_argument(
        "--patients", type=int, action="append", help="concurrent patients (1,000 and 10,000)"
    )
    args = parser.parse_args(argv)
    if args.replica_cores <= 0 or args.seconds_between_clicks <= 0:
        parser.error("--replica-cores and --seconds-between-clicks must be more than 0")
    if args.patients and min(args.patients) < 1:
        parser.error("--patients must be 1 or more")
    try:
        figures = read_figures(args.results)
    except FiguresProblem as exc:
        print(f"capacity: {exc}", file=sys.stderr)
        return 1
    source = args.results.resolve()
    shown = source.relative_to(HERE.parent) if source.is_relative_to(HERE.parent) else source
    totals = args.patients or [1000, 10000]
    print(report(figures, str(shown), args.replica_cores, args.seconds_between_clicks, totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
