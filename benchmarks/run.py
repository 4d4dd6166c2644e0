"""Benchmark of the patient dashboard: `cam-workbench serve` against plain Voila, side by side.

    make benchmark            # or: .venv/bin/python benchmarks/run.py [--quick]

Starts `cam-workbench serve` (the patient dashboard) and plain Voila with default settings
(benchmarks/minimal.ipynb: four checkboxes, "none of these", Continue, an outcome) on two
loopback ports, drives both in headless Chromium and with websocket clients, and writes
benchmarks/results/latest.json (every figure) and latest.md (the table). Everything is
bounded in count and time; the servers and their kernels are stopped at the end.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from _browser import (  # noqa: E402
    CHROMIUM,
    click_latencies,
    close_page,
    launch,
    measure_load,
    open_tab,
)
from _capacity import ramp  # noqa: E402
from _capacity import summary as capacity_summary  # noqa: E402
from _flood import Sampler, flood  # noqa: E402
from _kernel_ws import run_sessions  # noqa: E402
from _procs import machine, memory_kib, settle  # noqa: E402
from _report import goals, markdown  # noqa: E402
from _servers import REPO, Server, start_servers, stop_servers  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SOLARA = {
    "measured_here": False,
    "source": "issue 18 (measured by the issue's author: Solara serving benchmarks/minimal.ipynb's "
    "widgets from one process)",
    "sessions": 200,
    "total_mib": 195,
    "per_extra_session_mib": 0.6,
}
"""Solara, the anchor: quoted from the issue, not measured here (not installed; see README)."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))  # the smallest value >= q% of them
    return round(ordered[rank - 1], 1)


def spread(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1) if values else None,
        "p95": pct(values, 95),
        "min": round(min(values), 1) if values else None,
        "max": round(max(values), 1) if values else None,
        "samples": [round(v, 1) for v in values],
    }


def strip_page(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "page"}


# -- phase 1: loads in Chromium --------------------------------------------------------------


def loads(browser: Any, servers: list[Server], args: argparse.Namespace) -> dict[str, Any]:
    """Cold loads (a fresh browser profile each) and warm loads (a repeat visit), interleaved.

    The order alternates (cam, voila, voila, cam, ...), so that neither server always loads
    right after the other; before each load, everything this run started (servers, kernels,
    Chromium) has gone quiet. Timed loads run without the DevTools network recorder (on 2
    cores its event traffic slows the page it watches); the bytes on the wire are counted on
    separate, untimed loads: the first warm-up load (first visit) and one repeat visit.
    """
    out: dict[str, Any] = {
        s.name: {"cold": [], "warm": [], "new_tab": [], "errors": [], "wire": {}} for s in servers
    }

    def one(server: Server, context: Any, kind: str, keep: bool, wire: str = "") -> None:
        # The patient's tab is open before they type the address; "new_tab": a patient
        # following a link, whose new tab (a renderer process) starts within the time.
        tab = None if kind == "new_tab" else open_tab(context)
        settle(os.getpid())
        result = measure_load(context, server, page=tab, record_wire=bool(wire))
        close_page(result["page"], beacon=True)
        if "error" in result or result.get("status") != 200:
            out[server.name]["errors"].append(strip_page(result))
        elif wire:
            out[server.name]["wire"][wire] = result["wire"]
        elif keep:
            out[server.name][kind].append(strip_page(result))

    for index in range(args.warmup + args.loads):
        for server in servers if index % 2 == 0 else servers[::-1]:
            context = browser.new_context()
            one(server, context, "cold", keep=index >= args.warmup, wire="cold" * (index == 0))
            context.close()
            log(f"cold load {index + 1}/{args.warmup + args.loads} {server.name}")
    for index in range(args.new_tab_loads):
        for server in servers if index % 2 == 0 else servers[::-1]:
            context = browser.new_context()
            one(server, context, "new_tab", keep=True)
            context.close()
        log(f"new-tab load {index + 1}/{args.new_tab_loads}")
    contexts = {s.name: browser.new_context() for s in servers}
    for server in servers:  # the first visit of each warm profile, then a repeat for bytes
        one(server, contexts[server.name], "warm", keep=False)
        one(server, contexts[server.name], "warm", keep=False, wire="warm")
    for index in range(args.warm_loads):
        for server in servers if index % 2 == 0 else servers[::-1]:
            one(server, contexts[server.name], "warm", keep=True)
        log(f"warm load {index + 1}/{args.warm_loads}")
    for context in contexts.values():
        context.close()
    return out


def summarize_loads(raw: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, data in raw.items():
        entry: dict[str, Any] = {"errors": len(data["errors"])}
        entry["ttfq_new_tab_ms"] = spread([r["ttfq_new_tab_ms"] for r in data["new_tab"]])
        for kind in ("cold", "warm"):
            runs = data[kind]
            entry[f"ttfq_{kind}_ms"] = spread([r["ttfq_ms"] for r in runs])
            uss = [r["kernel_memory_kib"]["uss"] / 1024 for r in runs if "kernel_memory_kib" in r]
            rss = [r["kernel_memory_kib"]["rss"] / 1024 for r in runs if "kernel_memory_kib" in r]
            entry[f"kernel_uss_{kind}_mib"] = spread(uss)
            entry[f"kernel_rss_{kind}_mib"] = spread(rss)
            if kind in data["wire"]:
                entry[f"wire_{kind}"] = data["wire"][kind]
            if runs:
                entry[f"navigation_{kind}"] = runs[len(runs) // 2]["navigation"]
        summary[name] = entry
    return summary


# -- phase 2: clicks with concurrent sessions ------------------------------------------------


def interaction(
    browser: Any, server: Server, args: argparse.Namespace, idle: int = 0
) -> dict[str, Any]:
    """``args.sessions`` websocket sessions click; one real browser page clicks meanwhile.

    ``idle`` sessions are connected first and stay connected, idle, in the background.
    """
    settle(server.pid)
    context = browser.new_context()
    first = measure_load(context, server)
    page = first["page"]
    opened = threading.Event()
    box: dict[str, Any] = {}

    def sessions() -> None:
        try:
            box["result"] = asyncio.run(
                asyncio.wait_for(
                    run_sessions(
                        server,
                        args.sessions,
                        args.cycles,
                        (1.0, 3.0),
                        opened,
                        open_concurrency=3,
                        idle=idle,
                    ),
                    timeout=1800,
                )
            )
        except Exception as error:  # recorded, the run goes on
            box["error"] = repr(error)
            opened.set()

    thread = threading.Thread(target=sessions, daemon=True)
    with Sampler(server, every_s=1.0) as sampler:
        thread.start()
        opened.wait(timeout=1800)
        kernels = server.kernels()
        uss = []
        for pid in kernels.values():
            with contextlib.suppress(OSError):
                uss.append(memory_kib(pid)["uss"] / 1024)
        log(f"{server.name}: sessions open, {len(kernels)} kernels; browser clicks")
        browser_ms, browser_failures = ([], 0)
        if "error" not in first:
            browser_ms, browser_failures = click_latencies(page, server, args.browser_clicks)
        thread.join(timeout=1860)
    close_page(page, beacon=True)
    context.close()
    result = box.get("result")
    out: dict[str, Any] = {
        "sessions_requested": args.sessions,
        "idle_requested": idle,
        "browser": {**spread(browser_ms), "failures": browser_failures},
        "kernels_while_open": len(kernels),
        "kernel_uss_while_open_mib": spread(uss),
        "server_rss_peak_mib": sampler.peak_rss_mib(),
    }
    if result is not None:
        out.update(
            sessions_open=result.sessions_open,
            idle_open=result.idle_open,
            open_errors=result.open_errors,
            open_s=round(result.open_s, 1),
            websocket={**spread(result.clicks_ms), "errors": result.click_errors},
        )
    if "error" in box:
        out["error"] = box["error"]
    return out


# -- phase 3: the flood, a real patient right after, closed tabs, culling --------------------


def flood_phase(
    browser: Any, cam: Server, voila: Server, pool_size: int, args: argparse.Namespace
) -> dict[str, Any]:
    settle(cam.pid)
    log(f"flood: {args.flood} GETs, {args.flood_concurrency} at a time")
    result: dict[str, Any] = {"cam": flood(cam, args.flood, args.flood_concurrency)}
    flood_end = time.monotonic()
    log(f"flood done: {result['cam']['statuses']}; a real patient opens the page")
    context = browser.new_context()
    patient = measure_load(context, cam, timeout_s=30)
    result["patient_after_flood"] = {
        "status": patient.get("status"),
        "ttfq_ms": patient.get("ttfq_ms"),
        "ttfq_new_tab_ms": patient.get("ttfq_new_tab_ms"),
        "error": patient.get("error"),
        "started_after_flood_s": round(time.monotonic() - flood_end, 2),
    }
    close_page(patient["page"], beacon=True)
    context.close()
    # Closed tabs: two close normally (unload beacon), two vanish (no unload handlers run,
    # as when a phone browser is killed or the network drops).
    tabs: dict[str, list[str]] = {"beacon": [], "no_beacon": []}
    for kind in ("beacon", "no_beacon", "beacon", "no_beacon"):
        context = browser.new_context()
        tab = measure_load(context, cam, timeout_s=30)
        if tab.get("kernel_id"):
            tabs[kind].append(tab["kernel_id"])
        close_page(tab["page"], beacon=kind == "beacon")
        context.close()
    closed_at = time.monotonic()
    log(f"closed tabs: {tabs}; watching kernels for up to {args.watch} s")
    baseline: dict[str, Any] = {}
    if args.baseline_flood:

        def baseline_flood() -> None:
            try:
                baseline.update(flood(voila, args.baseline_flood, args.flood_concurrency))
            except Exception as error:  # recorded, the run goes on
                baseline["error"] = repr(error)

        side = threading.Thread(target=baseline_flood, daemon=True)
        side.start()
    gone: dict[str, float | None] = {"flood_kernels": None, "beacon": None, "no_beacon": None}
    counts: list[tuple[float, int]] = []
    while time.monotonic() - closed_at < args.watch:
        live = cam.kernels()
        now = time.monotonic()
        counts.append((round(now - flood_end, 1), len(live)))
        tracked = set(tabs["beacon"]) | set(tabs["no_beacon"])
        if gone["flood_kernels"] is None and len(set(live) - tracked) <= pool_size:
            gone["flood_kernels"] = round(now - flood_end, 1)
        for kind in ("beacon", "no_beacon"):
            if gone[kind] is None and not set(tabs[kind]) & set(live):
                gone[kind] = round(now - closed_at, 1)
        if all(v is not None for v in gone.values()):
            break
        time.sleep(1.0)
    result["culling"] = {
        "flood_kernels_gone_after_flood_s": gone["flood_kernels"],
        "closed_tab_beacon_gone_s": gone["beacon"],
        "closed_tab_no_beacon_gone_s": gone["no_beacon"],
        "watched_s": args.watch,
        "kernels_at_end": len(cam.kernels()),
        "pool_size": pool_size,
        "kernel_counts": counts[:: max(1, len(counts) // 40)],
    }
    if args.baseline_flood:
        side.join(timeout=600)
        baseline["kernels_at_end_of_watch"] = len(voila.kernels())
        baseline["watched_s"] = round(time.monotonic() - closed_at, 1)
        result["voila_baseline"] = baseline
    result["cam_alive"] = cam.alive()
    return result


# -- main ------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=11, help="measured cold loads per server")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured loads first")
    parser.add_argument("--warm-loads", type=int, default=5, help="measured repeat visits")
    parser.add_argument("--sessions", type=int, default=50, help="concurrent patient sessions")
    parser.add_argument(
        "--idle-sessions",
        type=int,
        default=200,
        help="sessions connected idle in the background while the sessions click (cam only)",
    )
    parser.add_argument("--cycles", type=int, default=6, help="Continue clicks per session")
    parser.add_argument(
        "--new-tab-loads", type=int, default=11, help="measured loads in a new tab each"
    )
    parser.add_argument(
        "--capacity-steps",
        default="50,100,200,400,600,800",
        help="connected sessions at each step of the capacity ramp ('': no ramp)",
    )
    parser.add_argument(
        "--capacity-window", type=float, default=30.0, help="seconds of clicks timed per step"
    )
    parser.add_argument("--browser-clicks", type=int, default=40)
    parser.add_argument("--flood", type=int, default=300, help="page GETs in the flood")
    parser.add_argument("--flood-concurrency", type=int, default=20)
    parser.add_argument(
        "--baseline-flood", type=int, default=40, help="GETs sent to plain Voila (0: none)"
    )
    parser.add_argument("--watch", type=int, default=150, help="seconds to watch culling")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    args = parser.parse_args(argv)
    if args.quick:
        args.loads, args.warmup, args.warm_loads = 5, 1, 3
        args.sessions, args.cycles, args.browser_clicks = 10, 3, 8
        args.flood, args.baseline_flood, args.watch = 60, 10, 100
        args.idle_sessions, args.new_tab_loads = 20, 5
        args.capacity_steps, args.capacity_window = "10,20,40", 12.0
    args.steps = [int(n) for n in args.capacity_steps.split(",") if n.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO))
    from cam_workbench.serving import ServeOptions

    pool_size = ServeOptions.__dataclass_fields__["pool_size"].default
    args.out.mkdir(parents=True, exist_ok=True)
    logs = args.out / "logs"
    logs.mkdir(exist_ok=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(CHROMIUM),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    log("starting cam-workbench serve and plain Voila")
    room = max([args.sessions + args.idle_sessions, *args.steps]) + pool_size + 20
    servers = start_servers(logs, max_sessions=room)
    cam, voila = servers
    results["servers"] = {s.name: {"label": s.label, "command": s.command} for s in servers}
    try:
        for server in servers:
            log(
                f"{server.name}: settling (pool start) ... {settle(server.pid, timeout_s=60):.1f} s"
            )
            results.setdefault("server_rss_idle_mib", {})[server.name] = round(
                server.rss_kib() / 1024, 1
            )
        with sync_playwright() as playwright:
            browser = launch(playwright)
            raw = loads(browser, servers, args)
            results["loads"] = summarize_loads(raw)
            results["loads_raw"] = raw
            results["interaction"] = {}
            for server in servers:
                idle = args.idle_sessions if server is cam else 0
                log(f"{server.name}: {args.sessions} sessions, {idle} idle")
                results["interaction"][server.name] = interaction(browser, server, args, idle)
            results["flood"] = flood_phase(browser, cam, voila, pool_size, args)
            browser.close()
        if args.steps:
            settle(cam.pid, timeout_s=60)
            log(f"capacity: ramping {args.steps} sessions on {cam.name}")
            raw_ramp = asyncio.run(ramp(cam, args.steps, args.capacity_window, (2.0, 6.0), log=log))
            results["capacity"] = capacity_summary(
                raw_ramp, os.cpu_count() or 1, results["server_rss_idle_mib"]["cam"]
            )
            results["capacity_raw"] = raw_ramp
        results["solara"] = SOLARA
    finally:
        results["logs_tail"] = {
            s.name: s.log_path.read_text(errors="replace")[-2000:] for s in servers
        }
        stop_servers(servers)
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["machine"]["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    results["goals"] = goals(results)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (args.out / "latest.md").write_text(table)
    print(table)
    log(f"wrote {args.out / 'latest.json'} and latest.md in {results['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
