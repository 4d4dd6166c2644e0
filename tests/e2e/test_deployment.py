"""The server as a platform runs it: under a path, in a portal's frame, probed, scraped, drained.

Real `cam-workbench serve` processes and real Chromium: ``serve --base-url /back-pain/
--frame-ancestors https://portal.example.org`` serves a usable first question with every
request under the prefix; health checks start no kernel; /metrics has the kernel figures
and only loopback reads it; the log is JSON lines without query strings or addresses; a
portal on another site may frame the page and a third origin may not; SIGTERM drains.
"""

from __future__ import annotations

import http.server
import json
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content

from .kernel_client import Visit, request
from .servers import Server, free_port, start_server, stop_server

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING = CONTENT.screening()
SHARED = CONTENT.shared()
FIRST = next(item.text for item in SCREENING.items if item.id == "leg_symptoms")
SEE_DOCTOR = next(o for o in SCREENING.outcomes if o.id == "see_doctor")
PREFIX = "/back-pain/"
PORTAL = "https://portal.example.org"
SECRET_QUERY = "?lang=es&note=private-words-7731"
FORWARDED = "203.0.113.77"


@pytest.fixture(scope="module")
def based(tmp_path_factory) -> Iterator[Server]:
    """The issue's command: under /back-pain/, framed by the portal; JSON log lines."""
    srv = start_server(
        tmp_path_factory.mktemp("based"),
        "--base-url",
        PREFIX,
        "--frame-ancestors",
        PORTAL,
        "--log-format",
        "json",
        "--trusted-proxy",
        "127.0.0.1",
        "--max-per-address",
        "200",
    )
    yield srv
    stop_server(srv)


def get(server: Server, path: str, **headers: str):
    return request(
        server.url, "GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


def metrics(server: Server) -> dict[str, float]:
    """The server's metrics as ``{'name{labels}': value}``."""
    response = get(server, PREFIX + "metrics")
    assert response.status == 200, response.body
    found = {}
    for line in response.body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def wait_steady(server: Server, seconds: float = 4.0, timeout: float = 60.0) -> set[str]:
    """Wait until the server's kernels stay the same for ``seconds`` (pool refilled)."""
    deadline = time.monotonic() + timeout
    last, since = server.kernel_ids(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server.kernel_ids()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds and last:
            return last
    raise AssertionError(f"kernels never settled:\n{server.log()[-3000:]}")


def first_question(frame_or_page):
    box = frame_or_page.get_by_role("checkbox", name=FIRST)
    expect(box).to_be_visible(timeout=30_000)
    return box


def answer_and_continue(frame_or_page) -> None:
    first_question(frame_or_page).check()
    frame_or_page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(frame_or_page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()


def test_under_the_base_url_every_request_of_the_page_stays_under_the_prefix(based, browser):
    origin = based.url.rstrip("/")
    context = browser.new_context()
    seen: list[str] = []
    context.on("request", lambda r: seen.append(r.url))
    page = context.new_page()
    page.on("websocket", lambda ws: seen.append(ws.url))
    response = page.goto(origin + PREFIX)
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert f"frame-ancestors {PORTAL}" in csp
    answer_and_continue(page)  # a usable first question: the kernel answers under the prefix
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').text).kernelId"
    )
    page.close(run_before_unload=True)  # the unload beacon, under the prefix too
    deadline = time.monotonic() + 30
    while kernel_id in based.kernel_ids() and time.monotonic() < deadline:
        time.sleep(0.2)
    context.close()
    assert kernel_id not in based.kernel_ids(), "the unload beacon did not reach the server"
    outside = [
        url
        for url in seen
        if not url.startswith((origin + PREFIX, origin.replace("http", "ws", 1) + PREFIX, "data:"))
    ]
    assert len(seen) > 20 and any("/api/kernels/" in url for url in seen)
    assert not outside, outside


def test_ten_health_checks_start_no_kernel_and_readiness_answers(based):
    before = wait_steady(based)
    starts = sum(
        v for k, v in metrics(based).items() if k.startswith("cam_kernel_start_seconds_count")
    )
    for _ in range(10):
        response = get(based, PREFIX + "healthz")
        assert (response.status, response.body) == (200, "ok\n")
        assert response.header("Set-Cookie") is None
    time.sleep(1.0)
    after = metrics(based)
    assert based.kernel_ids() == before
    assert (
        sum(v for k, v in after.items() if k.startswith("cam_kernel_start_seconds_count")) == starts
    )
    ready = get(based, PREFIX + "readyz")
    assert (ready.status, ready.body) == (200, "ready\n")
    assert after["cam_ready"] == 1
    assert get(based, "/healthz").status == 404  # nothing outside the prefix
    assert get(based, "/").status == 404
    bare = get(based, PREFIX.rstrip("/"))
    assert bare.status == 301 and bare.header("Location") == PREFIX


def test_metrics_have_the_kernel_figures_never_a_visitors_data_and_only_loopback_reads_them(
    based,
):
    visit = Visit(based.url.rstrip("/") + PREFIX)
    assert visit.open_page(SECRET_QUERY, X_Forwarded_For=FORWARDED).status == 200
    socket = visit.connect()
    try:
        figures = metrics(based)
        text = get(based, PREFIX + "metrics").body
    finally:
        socket.socket.close()
    for name in (
        "cam_kernels_live",
        "cam_kernels_preheated",
        "cam_kernels_connected",
        "cam_websocket_sessions",
        "cam_pages_served_total",
        "cam_busy_pages_total",
        'cam_kernel_culls_total{reason="idle"}',
        'cam_kernel_start_seconds_count{kind="preheated"}',
        "cam_websocket_sessions_opened_total",
    ):
        assert name in figures, name
    assert figures["cam_kernels_max"] == 60
    assert figures["cam_kernels_connected"] >= 1 and figures["cam_websocket_sessions"] >= 1
    assert figures["cam_kernels_live"] >= figures["cam_kernels_connected"] + 0
    assert "private-words" not in text and FORWARDED not in text and "lang" not in text
    # A client behind the trusted proxy (the internet, as the proxy says) reads nothing.
    refused = get(based, PREFIX + "metrics", X_Forwarded_For=FORWARDED)
    assert refused.status == 404 and "cam_kernels" not in refused.body


def test_the_json_log_is_one_object_per_line_without_query_strings_or_addresses(based):
    get(based, PREFIX + SECRET_QUERY, X_Forwarded_For=FORWARDED)
    get(based, PREFIX + "nothing-here" + SECRET_QUERY, X_Forwarded_For=FORWARDED)
    get(based, PREFIX, Host="evil.example")
    time.sleep(0.5)
    lines = [line for line in based.log().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    messages = " ".join(e["message"] for e in entries)
    assert f"GET {PREFIX}nothing-here" in messages and "evil.example" in messages
    assert "private-words" not in based.log() and FORWARDED not in based.log()


# -- a portal on another site frames the page; a third origin may not ----------------------


class _Portal(http.server.ThreadingHTTPServer):
    daemon_threads = True


def portal(port: int, frame_src: str) -> _Portal:
    """A page on 127.0.0.1:``port`` that frames ``frame_src``."""
    body = (
        '<!doctype html><html lang="en"><title>Portal</title>'
        f'<iframe title="Back pain" src="{frame_src}" width="1100" height="850"></iframe>'
    ).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = _Portal(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_portal_on_another_site_may_frame_the_page_and_a_third_origin_may_not(tmp_path, browser):
    allowed_port, other_port = free_port(), free_port()
    allowed = f"http://localhost:{allowed_port}"  # another site than 127.0.0.1
    srv = start_server(tmp_path, "--base-url", PREFIX, "--frame-ancestors", f"'self' {allowed}")
    page_url = srv.url.rstrip("/") + PREFIX
    portals = [portal(allowed_port, page_url), portal(other_port, page_url)]
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{allowed}/")
        frame = page.frame_locator("iframe")
        answer_and_continue(frame)  # the session holds inside the cross-site frame
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["_xsrf"]["sameSite"] == "None" and cookies["_xsrf"]["secure"]
        context.close()

        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{other_port}/")
        page.wait_for_timeout(3000)
        inner = page.frames[1]
        assert not inner.url.startswith(page_url), inner.url  # Chromium refused to show it
        assert inner.get_by_role("checkbox", name=FIRST).count() == 0
        context.close()
    finally:
        for server in portals:
            server.shutdown()
        stop_server(srv)


# -- the cap and SIGTERM: not ready, then drained -------------------------------------------


def test_full_then_draining_replica_is_not_ready_and_stops_once_its_session_ends(tmp_path):
    srv = start_server(
        tmp_path, "--base-url", PREFIX, "--max-kernels", "3", "--drain-seconds", "60"
    )
    try:
        wait_steady(srv)
        assert get(srv, PREFIX + "readyz").status == 200
        visit = Visit(srv.url.rstrip("/") + PREFIX)
        assert visit.open_page().status == 200
        socket = visit.connect()
        full = get(srv, PREFIX + "readyz")
        assert (full.status, full.body) == (503, "kernel cap reached\n")
        srv.proc.send_signal(signal.SIGTERM)  # the server only, as Kubernetes does
        time.sleep(1.5)
        draining = get(srv, PREFIX + "readyz")
        assert (draining.status, draining.body) == (503, "draining\n")
        assert get(srv, PREFIX + "healthz").status == 200
        busy = Visit(srv.url.rstrip("/") + PREFIX).open_page()
        assert busy.status == 503 and SHARED.ui.busy_title in busy.body
        assert srv.proc.poll() is None  # the patient's session is still open
        socket.socket.close()
        assert srv.proc.wait(timeout=30) == 0
        assert re.search(r"Drained after \d+ s", srv.log())
        assert not srv.kernel_ids()
    finally:
        stop_server(srv)
