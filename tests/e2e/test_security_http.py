"""HTTP hardening against a real `cam-workbench serve` (issue 13, items 5-7).

Security headers on every response, the page working in Chromium under its
Content-Security-Policy, foreign Host headers refused, odd URLs answered without a 500 and
without a traceback, query string or client address in the log.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile

from .kernel_client import Response, Visit, request
from .servers import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING, SHARED = CONTENT.screening(), CONTENT.shared()
STATIC = "/voila/templates/cam_workbench/static/cam-page.js"
SECRET = "PAIN7SECRET"  # a "query string" that must never reach the log
CLIENT = "127.0.0.2"  # another address of this machine: the client the log must not name
TEMPLATE_STATIC = "/voila/templates/cam_workbench/static"
TRAVERSALS = (
    f"{TEMPLATE_STATIC}/../conf.json",
    f"{TEMPLATE_STATIC}/..%2fconf.json",
    f"{TEMPLATE_STATIC}/cam-page.js%2f..%2f..%2fconf.json",
    "/voila/templates/lab/static/../index.html.j2",
    f"{TEMPLATE_STATIC}/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    f"{TEMPLATE_STATIC}/./cam-page.js",
    f"{TEMPLATE_STATIC}//cam-page.js",
    "/voila/static/..%2f..%2fconf.json",
    "/voila/labextensions/..%2f..%2fetc%2fpasswd",
)
"""Paths out of the static folders (sent as they are: no client normalises them)."""


@pytest.fixture(scope="module")
def named(tmp_path_factory) -> Iterator[Server]:
    """A server of our own (its log is read), reachable as clinic.example too."""
    server = start_server(tmp_path_factory.mktemp("named"), "--allowed-host", "clinic.example")
    yield server
    stop_server(server)


def assert_security_headers(response: Response, what: str) -> None:
    csp = response.header("Content-Security-Policy") or ""
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ") if d}
    assert directives.get("default-src") == ["'self'"], (what, csp)
    assert directives.get("script-src") == ["'self'"], (what, csp)  # no inline, no eval
    assert directives.get("frame-ancestors") == ["'self'"], (what, csp)
    assert "data:" in directives.get("img-src", []), (what, csp)
    assert "'self'" in directives.get("connect-src", []), (what, csp)
    assert response.header("Referrer-Policy") == "no-referrer", what
    assert response.header("X-Content-Type-Options") == "nosniff", what
    assert response.header("Server") is None, (what, response.header("Server"))


def test_every_response_has_the_security_headers_and_safe_cookies(server):
    visitor = Visit(server.url)
    page = visitor.open_page()
    assert page.status == 200
    assert_security_headers(page, "the page")
    cookies = {c.split("=", 1)[0]: c.lower() for c in page.all("Set-Cookie")}
    identity = [v for k, v in cookies.items() if k.startswith("username-")]
    assert identity and "httponly" in identity[0] and "samesite=strict" in identity[0]
    # The unload beacon reads _xsrf from document.cookie: not HttpOnly, but never cross-site.
    assert "samesite=strict" in cookies["_xsrf"]
    kernel_id = visitor.kernel_id
    for path, what in (
        (STATIC, "a static file"),
        ("/no-such-page", "the plain 404 page"),
        (f"/api/kernels/{kernel_id}", "the kernel check"),
        ("/voila/static/_/nope/voila.js", "a missing bundle file"),
    ):
        assert_security_headers(visitor.request("GET", path), what)
    assert visitor.beacon(kernel_id) == 204


def test_refusals_on_the_kernel_routes_are_plain_pages_labelled_as_html(server):
    """jupyter_server's API handlers label what they finish as JSON: not our plain pages."""
    owner, other = Visit(server.url), Visit(server.url)
    owner.open_page()
    other.open_page()
    xsrf = other.cookies.get("_xsrf", "")
    for method, path in (
        ("GET", f"/api/kernels/{owner.kernel_id}"),  # not the visitor's kernel
        ("GET", "/api/kernels/" + "0" * 32),
        ("DELETE", f"/api/kernels/{owner.kernel_id}"),
        ("POST", f"/voila/api/shutdown/{owner.kernel_id}"),
    ):
        response = other.request(
            method, path, body="" if method != "GET" else None, X_XSRFToken=xsrf
        )
        assert response.status in (404, 405), (method, path, response.status)
        kind = response.header("Content-Type") or ""
        assert kind.startswith("text/html"), (method, path, kind)
        assert "<html" in response.body.lower(), (method, path)
    assert owner.kernel_status(owner.kernel_id).status == 200


def test_the_page_works_under_its_content_security_policy(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', function (e) {"
        "  window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });"
    )
    try:
        page.goto(server.url)
        page.get_by_role("checkbox", name=SCREENING.items[0].text).check()
        page.get_by_role("button", name=SHARED.ui.continue_).click()
        see_doctor = next(o for o in SCREENING.outcomes if o.id == "see_doctor")
        page.get_by_role("button", name=see_doctor.cleared_label).click()
        page.get_by_role("button", name=SHARED.ui.clearance.yes).click()
        expect(page.get_by_role("heading", name=SHARED.ui.guide_heading)).to_be_visible()
        page.get_by_role("button", name="Español").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        # The tracker's widgets (cam-device.js) run under the policy: the device answers (its
        # file chooser shows), a score is kept in localStorage.
        tracker = CONTENT.of_kind(TrackerFile, "es")[0]
        page.get_by_role("button", name=tracker.heading).click()
        expect(page.get_by_label(tracker.load.label)).to_be_visible()
        field = f"{tracker.labels.session.format(n=1)}: {tracker.labels.before}"
        page.get_by_role("textbox", name=field, exact=True).fill("7")
        page.wait_for_function(
            "() => (localStorage.getItem('cam-workbench:session-tracker') || '').includes('7')"
        )
        assert page.evaluate("window.cspViolations") == []
        assert not [c for c in console if "Content Security Policy" in c], console
        # The policy is enforced: an injected inline script does not run, and is reported.
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
        )
        assert page.evaluate("window.injected") is None
        assert any("script-src" in v for v in page.evaluate("window.cspViolations"))
        kernel_id = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )
        check = f"{server.url}api/kernels/{kernel_id}"
        assert context.request.get(check).status == 200
    finally:
        page.close(run_before_unload=True)
    # The page's unload beacon (its own _xsrf and login cookie) ended its session at once.
    deadline = time.monotonic() + 15
    while context.request.get(check).status != 404:
        assert time.monotonic() < deadline, "the unload beacon did not end the session"
        time.sleep(0.5)
    context.close()


def test_a_foreign_host_header_is_refused(named):
    port = named.port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
        response = request(named.url, "GET", "/", headers={"Host": host})
        assert response.status == 400, host
        assert "kernelId" not in response.body
        assert f"<title>{SHARED.ui.error_title}</title>" in response.body
        assert_security_headers(response, f"the refusal for {host}")
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "clinic.example"):
        assert request(named.url, "GET", STATIC, headers={"Host": host}).status == 200, host
    # Nor does a websocket open under a foreign name.
    with pytest.raises(InvalidStatus) as refused:
        connect(
            f"ws://127.0.0.1:{port}/api/kernels/{uuid.uuid4()}/channels?session_id=x",
            additional_headers={"Host": "evil.example"},
            open_timeout=30,
        )
    assert refused.value.response.status_code == 400


def test_odd_requests_get_no_500_and_leave_no_traceback_query_or_address_in_the_log(named):
    visitor = Visit(named.url, source=CLIENT)
    query = f"?secret={SECRET}"
    statuses = {}
    for method, path in (
        ("GET", "/logout"),
        ("GET", "/login"),
        ("GET", "/voila/templates/x"),
        ("GET", "/voila/templates/cam_workbench/static/%00"),
        ("GET", "/voila/files/x.ipynb%00.png"),
        ("GET", "/voila/static/x%00.js"),
        ("GET", "/voila/labextensions/x%00.js"),
        ("GET", "/voila/api/themes/"),
        ("GET", f"/voila/query/{uuid.uuid4()}"),
        ("GET", f"/api/kernels/{uuid.uuid4()}"),
        ("GET", f"/api/kernels/{uuid.uuid4()}/channels"),
        ("POST", "/"),
        ("DELETE", "/"),
        ("POST", f"/voila/api/shutdown/{uuid.uuid4()}"),
        *(("GET", path) for path in TRAVERSALS),
    ):
        statuses[f"{method} {path}"] = visitor.request(method, path + query).status
    # A 1 MB body (the page only ever posts a beacon of a few hundred bytes): refused unread.
    try:
        big = visitor.request("POST", f"/voila/api/shutdown/{uuid.uuid4()}", body="x" * 2**20)
        statuses["1 MB body"] = big.status
    except (ConnectionError, OSError):
        statuses["1 MB body"] = 400  # the server closed the connection: fine
    page = visitor.open_page(query)
    assert page.status == 200
    first = visitor.connect()
    try:
        with pytest.raises(InvalidStatus) as refused:  # a second page's websocket
            visitor.connect()
        statuses["second websocket"] = refused.value.response.status_code
        first.socket.send(b"\x00\x01 not a kernel message")
        first.socket.send("{not json")
        first.socket.send('{"channel": "shell", "header": []}')
        first.send("execute_request", {"code": "import os"})  # a type the page never sends
        first.send("kernel_info_request", {})
        assert any(m.get("msg_type") == "kernel_info_reply" for m in first.receive(5))
    finally:
        first.close()
        visitor.beacon(visitor.kernel_id)
    bad = {what: status for what, status in statuses.items() if status >= 500}
    assert not bad, bad
    traversals = {path: statuses[f"GET {path}"] for path in TRAVERSALS}
    assert set(traversals.values()) <= {403, 404}, traversals
    assert statuses["second websocket"] == 403
    time.sleep(1)
    log = named.log()
    assert "Traceback" not in log
    assert "ERROR" not in log and "Unexpected" not in log
    assert SECRET not in log
    assert CLIENT not in log
    assert "import os" not in log


def test_x_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_worth_one_warning(named):
    """Behind a proxy the server does not trust, every patient shares the proxy's address."""
    forwarded = "203.0.113.77"
    for path in ("/voila/api/themes/", STATIC, "/no-such-page"):
        request(named.url, "GET", path, headers={"X-Forwarded-For": forwarded}, source=CLIENT)
    time.sleep(0.5)
    log = named.log()
    warnings = [line for line in log.splitlines() if "X-Forwarded-For" in line]
    assert len(warnings) == 1, warnings
    assert "--trusted-proxy" in warnings[0] and "WARNING" in warnings[0]
    assert forwarded not in log and CLIENT not in log
