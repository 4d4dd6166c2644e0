"""The goals of issues 8 and 18, checked against the figures, and the markdown table."""

from __future__ import annotations

from typing import Any

USS_LIMIT_MIB = 30.0  # issue 18 (issue 8's was 60 MB)
CAPACITY_P95_MS = 250.0
TTFQ_RATIO = 0.6
CLICK_P95_MS = 100.0
PATIENT_AFTER_FLOOD_MS = 5000.0
CULL_WITHIN_S = 120.0
SERVER_RSS_GROWTH_MIB = 200.0


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _cap(results: dict[str, Any] | None = None) -> int:
    """The cam server's kernel cap: its ``--max-kernels``, or the default."""
    command = _get(results or {}, "servers", "cam", "command") or []
    if "--max-kernels" in command:
        return int(command[command.index("--max-kernels") + 1])
    from cam_workbench.serving import ServeOptions

    return ServeOptions.__dataclass_fields__["max_kernels"].default


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of the issue: target, measured value, met or not."""
    loads = results.get("loads", {})
    out: list[dict[str, Any]] = []
    for kind, visit in (
        ("cold", "first visit, tab already open"),
        ("new_tab", "first visit in a new tab"),
        ("warm", "repeat visit"),
    ):
        cam = _get(loads, "cam", f"ttfq_{kind}_ms", "median")
        voila = _get(loads, "voila", f"ttfq_{kind}_ms", "median")
        ratio = _ratio(cam, voila)
        out.append(
            {
                "goal": f"time to first question ({visit}, median) <= 0.6 x plain Voila",
                "value": f"{cam} ms / {voila} ms = {ratio}",
                "met": ratio is not None and ratio <= TTFQ_RATIO,
            }
        )
    uss = _get(loads, "cam", "kernel_uss_cold_mib", "median")
    out.append(
        {
            "goal": "kernel USS at the first question <= 30 MiB",
            "value": f"{uss} MiB",
            "met": uss is not None and uss <= USS_LIMIT_MIB,
        }
    )
    inter = _get(results, "interaction", "cam") or {}
    idle = inter.get("idle_open")
    ws_p95 = _get(inter, "websocket", "p95")
    br_p95 = _get(inter, "browser", "p95")
    complete = inter.get("sessions_open") == inter.get("sessions_requested")
    out.append(
        {
            "goal": "click -> outcome p95 <= 100 ms with 50 sessions (first ticks within 2 s) and"
            f" 200 idle, no errors (this run: {inter.get('sessions_requested')}, {idle} idle)",
            "value": f"websocket sessions {ws_p95} ms ({inter.get('sessions_open')} open), "
            f"real Chromium page {br_p95} ms",
            "met": complete
            and (inter.get("sessions_requested") or 0) >= 50
            and (idle or 0) >= 200
            and _get(inter, "websocket", "errors") == 0
            and _get(inter, "browser", "failures") == 0
            and ws_p95 is not None
            and br_p95 is not None
            and max(ws_p95, br_p95) <= CLICK_P95_MS,
        }
    )
    flood = _get(results, "flood") or {}
    cam_flood = flood.get("cam", {})
    cap = _cap(results)
    rss_growth = None
    if cam_flood:
        rss_growth = round(cam_flood["server_rss_peak_mib"] - cam_flood["server_rss_before_mib"], 1)
    out.append(
        {
            "goal": f"flood: live kernels <= cap ({cap}), server alive, server RSS bounded "
            f"(growth <= {SERVER_RSS_GROWTH_MIB:.0f} MiB)",
            "value": f"peak {cam_flood.get('peak_kernels')} kernels, alive "
            f"{flood.get('cam_alive')}, RSS +{rss_growth} MiB",
            "met": bool(cam_flood)
            and cam_flood["peak_kernels"] <= cap
            and bool(flood.get("cam_alive"))
            and rss_growth is not None
            and rss_growth <= SERVER_RSS_GROWTH_MIB,
        }
    )
    patient = flood.get("patient_after_flood", {})
    out.append(
        {
            "goal": "a real patient right after the flood: usable first question within 5 s",
            "value": f"HTTP {patient.get('status')}, {_fmt(patient.get('ttfq_new_tab_ms'))} ms"
            " from asking for a new tab",
            "met": patient.get("status") == 200
            and patient.get("ttfq_new_tab_ms") is not None
            and patient["ttfq_new_tab_ms"] <= PATIENT_AFTER_FLOOD_MS,
        }
    )
    culling = flood.get("culling", {})
    times = [
        culling.get("flood_kernels_gone_after_flood_s"),
        culling.get("closed_tab_beacon_gone_s"),
        culling.get("closed_tab_no_beacon_gone_s"),
    ]
    out.append(
        {
            "goal": "kernels of closed tabs (and of never-connected pages) gone within 2 min",
            "value": "never connected {} s, closed tab {} s, vanished tab {} s".format(*times),
            "met": bool(culling) and all(t is not None and t <= CULL_WITHIN_S for t in times),
        }
    )
    capacity = results.get("capacity") or {}
    if capacity:
        out.append(
            {
                "goal": "capacity reported: sessions one 2-core / 24 GiB machine holds with click"
                f" p95 <= {CAPACITY_P95_MS:.0f} ms",
                "value": f"{capacity.get('sessions_per_machine_2core_24gib')} sessions (limited"
                f" by {capacity.get('limited_by')}), {capacity.get('memory_per_session_mib')} MiB"
                " a session",
                "met": capacity.get("sessions_per_machine_2core_24gib") is not None,
            }
        )
    wire = _get(loads, "cam", "wire_cold") or {}
    out.append(
        {
            "goal": "static assets compressed and cacheable",
            "value": f"JS/CSS compressed {wire.get('static_js_css_compressed')}/"
            f"{wire.get('static_js_css')}, cacheable {wire.get('static_cacheable')}/"
            f"{wire.get('static_total')}",
            "met": bool(wire)
            and wire["static_js_css_compressed"] == wire["static_js_css"]
            and wire["static_cacheable"] == wire["static_total"],
        }
    )
    return out


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _kib(value: int | None) -> str:
    return "–" if value is None else f"{value / 1024:,.0f} KiB"


def _capacity_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Capacity (cam only: plain Voila's ramp would need a spawned kernel per session) and
    Solara's figure beside our memory per session."""
    cap = results.get("capacity") or {}
    solara = results.get("solara") or {}
    rows: list[tuple[str, str, str, str]] = []
    if cap:
        ramp = ", ".join(f"{s['sessions']}: {_fmt(s['click_p95_ms'])}" for s in cap["ramp"])
        rows += [
            ("Capacity ramp: sessions: click p95 (ms)", ramp, "", ""),
            (
                "Capacity: sessions with click p95 ≤ 250 ms on this machine "
                f"({cap.get('cores')} cores)",
                _fmt(cap.get("sessions_at_p95_250ms")),
                "",
                "",
            ),
            (
                "Capacity: sessions per 2-core / 24 GiB machine (limited by)",
                f"{_fmt(cap.get('sessions_per_machine_2core_24gib'))} ({cap.get('limited_by')})",
                "",
                "",
            ),
            (
                "Memory per session: kernel USS / PSS + server RSS (MiB)",
                f"{_fmt(cap.get('kernel_uss_per_session_mib'))} / "
                f"{_fmt(cap.get('kernel_pss_per_session_mib'))} + "
                f"{_fmt(cap.get('server_rss_per_session_mib'))}",
                "",
                "",
            ),
            (
                "Kernel zygote, once per server: USS / PSS (MiB)",
                f"{_fmt(cap.get('zygote_uss_mib'))} / {_fmt(cap.get('zygote_pss_mib'))}",
                "",
                "",
            ),
            (
                "CPU per patient action (tick or click): server + kernel (ms)",
                f"{_fmt(cap.get('server_cpu_per_click_ms'))} + "
                f"{_fmt(cap.get('kernel_cpu_per_click_ms'))}",
                "",
                "",
            ),
        ]
    if solara:
        ours = cap.get("memory_per_session_mib")
        rows.append(
            (
                "Memory per extra session (MiB): ours / Solara"
                + ("" if solara.get("measured_here") else " (issue's figure, not measured here)"),
                _fmt(ours),
                f"Solara {solara.get('per_extra_session_mib')}",
                _fmt_ratio(_ratio(ours, solara.get("per_extra_session_mib"))),
            )
        )
    return rows


def markdown(results: dict[str, Any]) -> str:
    """The results as a markdown table (both sides of every ratio), then the goals."""
    loads = results.get("loads", {})
    inter = results.get("interaction", {})
    flood = results.get("flood", {})
    rows: list[tuple[str, str, str, str]] = []

    def pair(title: str, path: tuple[str, ...], unit: str = "", ratio: bool = True) -> None:
        a = _get(loads, "cam", *path)
        b = _get(loads, "voila", *path)
        shown = _fmt_ratio(_ratio(a, b)) if ratio else ""
        rows.append((title, _fmt(a, unit), _fmt(b, unit), shown))

    n_cold = _get(loads, "cam", "ttfq_cold_ms", "n")
    n_warm = _get(loads, "cam", "ttfq_warm_ms", "n")
    pair(
        f"Time to first question, first visit, median of {n_cold} (ms)", ("ttfq_cold_ms", "median")
    )
    pair("  – fastest / slowest (ms)", ("ttfq_cold_ms", "min"), ratio=False)
    rows[-1] = (
        rows[-1][0],
        f"{_fmt(_get(loads, 'cam', 'ttfq_cold_ms', 'min'))} / "
        f"{_fmt(_get(loads, 'cam', 'ttfq_cold_ms', 'max'))}",
        f"{_fmt(_get(loads, 'voila', 'ttfq_cold_ms', 'min'))} / "
        f"{_fmt(_get(loads, 'voila', 'ttfq_cold_ms', 'max'))}",
        "",
    )
    n_new = _get(loads, "cam", "ttfq_new_tab_ms", "n")
    pair(
        f"Time to first question, first visit in a new tab, median of {n_new} (ms)",
        ("ttfq_new_tab_ms", "median"),
    )
    pair(
        f"Time to first question, repeat visit, median of {n_warm} (ms)", ("ttfq_warm_ms", "median")
    )
    pair("Page HTML complete (responseEnd), first visit (ms)", ("navigation_cold", "response_end"))
    pair("Kernel USS at first question, median (MiB)", ("kernel_uss_cold_mib", "median"))
    pair("Kernel RSS at first question, median (MiB)", ("kernel_rss_cold_mib", "median"))
    for kind, title in (("cold", "first visit"), ("warm", "repeat visit")):
        for key, label, fmt in (
            ("requests", "requests", str),
            ("bytes", "bytes transferred", _kib),
            ("decoded_bytes", "bytes after decompression", _kib),
        ):
            a = _get(loads, "cam", f"wire_{kind}", key)
            b = _get(loads, "voila", f"wire_{kind}", key)
            rows.append(
                (f"Wire, {title}: {label}", fmt(a), fmt(b), _fmt_ratio(_ratio(a, b)) if a else "")
            )
    for key, label in (
        ("static_js_css_compressed", "static JS/CSS sent compressed"),
        ("static_cacheable", "static assets cacheable ≥ 1 day"),
    ):
        total = "static_js_css" if "compressed" in key else "static_total"
        cells = []
        for name in ("cam", "voila"):
            wire = _get(loads, name, "wire_cold") or {}
            cells.append(f"{wire.get(key, '–')} of {wire.get(total, '–')}")
        rows.append((f"Wire, first visit: {label}", cells[0], cells[1], ""))
    sessions = _get(inter, "cam", "sessions_requested")
    for name_key, label in (
        (("websocket", f"{sessions} websocket sessions")),
        ("browser", "real Chromium"),
    ):
        a = _get(inter, "cam", name_key, "p95")
        b = _get(inter, "voila", name_key, "p95")
        title = f"Click → outcome p95 (ms), {label}"
        if name_key == "browser":
            title += f" page while {_get(inter, 'cam', 'sessions_requested')} sessions click"
        rows.append((title, _fmt(a), _fmt(b), _fmt_ratio(_ratio(a, b))))
        a = _get(inter, "cam", name_key, "median")
        b = _get(inter, "voila", name_key, "median")
        n = _get(inter, "cam", name_key, "n")
        rows.append((f"  – median (ms), n = {n}", _fmt(a), _fmt(b), _fmt_ratio(_ratio(a, b))))
    errors = []
    for name in ("cam", "voila"):
        ws_errors = _get(inter, name, "websocket", "errors")
        errors.append(f"{ws_errors} / {_get(inter, name, 'browser', 'failures')}")
    rows.append(("Click errors: websocket sessions / real page", errors[0], errors[1], ""))
    rows.append(
        (
            "Sessions open / requested",
            f"{_get(inter, 'cam', 'sessions_open')} / {_get(inter, 'cam', 'sessions_requested')}",
            f"{_get(inter, 'voila', 'sessions_open')} / "
            f"{_get(inter, 'voila', 'sessions_requested')}",
            "",
        )
    )
    a = _get(inter, "cam", "kernel_uss_while_open_mib", "median")
    b = _get(inter, "voila", "kernel_uss_while_open_mib", "median")
    rows.append(("Kernel USS with all sessions open, median (MiB)", _fmt(a), _fmt(b), ""))
    rows.append(
        (
            "Idle sessions connected in the background meanwhile",
            _fmt(_get(inter, "cam", "idle_open")),
            _fmt(_get(inter, "voila", "idle_open")),
            "",
        )
    )
    a = _get(inter, "cam", "server_rss_peak_mib")
    b = _get(inter, "voila", "server_rss_peak_mib")
    rows.append(("Server RSS peak during the sessions (MiB)", _fmt(a), _fmt(b), ""))
    cam_flood = flood.get("cam", {})
    base = flood.get("voila_baseline", {})
    if cam_flood:
        rows.append(
            (
                "Flood: GETs (concurrency) → HTTP statuses",
                f"{cam_flood['gets']} ({cam_flood['concurrency']}) → {cam_flood['statuses']}",
                f"{base.get('gets', '–')} ({base.get('concurrency', '–')}) → "
                f"{base.get('statuses', '–')}",
                "",
            )
        )
        rows.append(
            (
                "Flood: took (s)",
                _fmt(cam_flood["took_s"]),
                _fmt(base.get("took_s")),
                "",
            )
        )
        rows.append(
            (
                "Flood: live kernels before → peak (cap)",
                f"{cam_flood['kernels_before']} → {cam_flood['peak_kernels']} "
                f"(cap {_cap(results)})",
                f"{base.get('kernels_before', '–')} → {base.get('peak_kernels', '–')} (no cap)",
                "",
            )
        )
        rows.append(
            (
                "Flood: server RSS before → peak (MiB)",
                f"{cam_flood['server_rss_before_mib']} → {cam_flood['server_rss_peak_mib']}",
                f"{base.get('server_rss_before_mib', '–')} → "
                f"{base.get('server_rss_peak_mib', '–')}",
                "",
            )
        )
        patient = flood.get("patient_after_flood", {})
        rows.append(
            (
                "Real patient right after the flood: time to first question, new tab /"
                " from navigation (ms)",
                f"{_fmt(patient.get('ttfq_new_tab_ms'))} / {_fmt(patient.get('ttfq_ms'))}"
                f" (HTTP {patient.get('status')})",
                "",
                "",
            )
        )
        culling = flood.get("culling", {})
        rows.append(
            (
                "Kernels left by the flood: all gone after (s)",
                _fmt(culling.get("flood_kernels_gone_after_flood_s")),
                f"{base['kernels_at_end_of_watch'] - base['kernels_before']} of {base['gets']} "
                f"still live after {base['watched_s']} s"
                if "kernels_before" in base
                else base.get("error", ""),
                "",
            )
        )
        rows.append(
            (
                "Closed tab's kernel gone after (s): with unload beacon / tab vanished",
                f"{_fmt(culling.get('closed_tab_beacon_gone_s'))} / "
                f"{_fmt(culling.get('closed_tab_no_beacon_gone_s'))}",
                "",
                "",
            )
        )
    rows += _capacity_rows(results)
    idle = results.get("server_rss_idle_mib", {})
    rows.append(
        ("Server RSS idle after start (MiB)", _fmt(idle.get("cam")), _fmt(idle.get("voila")), "")
    )
    servers = results.get("servers", {})
    lines = [
        f"| figure | {servers.get('cam', {}).get('label', 'cam')} | "
        f"{servers.get('voila', {}).get('label', 'voila')} | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", "| goal | measured | met |", "|---|---|---|"]
    lines += [
        f"| {g['goal']} | {g['value']} | {'yes' if g['met'] else '**no**'} |"
        for g in results.get("goals", [])
    ]
    m = results.get("machine", {})
    lines += [
        "",
        f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB, Linux "
        f"{m.get('kernel')}, Python {m.get('python')}, {m.get('chromium')}; load average "
        f"{' '.join(m.get('loadavg_start', []))} at start, "
        f"{' '.join(m.get('loadavg_end', []))} at end. Run {results.get('started')} "
        f"in {results.get('duration_s')} s.",
        "",
    ]
    return "\n".join(lines)
