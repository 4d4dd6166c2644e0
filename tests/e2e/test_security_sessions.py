"""Nobody can touch another visitor's session, and a few clients cannot hold every kernel.

Raw HTTP and websocket clients against a real `cam-workbench serve` (issue 13, items 1-3, 8;
a flood from another address is in test_security_flood.py).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .kernel_client import Visit, checkbox_of
from .servers import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

IDLE_S = 6  # --idle-minutes 0.1
MAX_SESSION_S = 25
MAX_PER_ADDRESS = 4


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Iterator[Server]:
    """A server of our own with the defaults (these tests leave pages the culler takes)."""
    server = start_server(tmp_path_factory.mktemp("fresh"))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def strict(tmp_path_factory) -> Iterator[Server]:
    """Short idle timeout and session lifetime."""
    server = start_server(
        tmp_path_factory.mktemp("strict"),
        "--idle-minutes",
        str(IDLE_S / 60),
        "--max-session-hours",
        str(MAX_SESSION_S / 3600),
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[Server]:
    """A small per-address limit and a trusted proxy, with the default idle time.

    The limit tests open several pages one after another; with ``strict``'s 6 s idle time a
    slow machine culled the first session before the last page opened, freeing its slot.
    """
    server = start_server(
        tmp_path_factory.mktemp("limited"),
        "--max-per-address",
        str(MAX_PER_ADDRESS),
        "--trusted-proxy",
        "127.0.0.3",
    )
    yield server
    stop_server(server)


def visit(server: Server, query: str = "", source: str | None = None, **headers: str) -> Visit:
    """A new visitor opens the page (and gets its cookies)."""
    v = Visit(server.url, source=source)
    response = v.open_page(query, **headers)
    assert response.status == 200, response.body[:300]
    return v


def kernel_lives(owner: Visit, kernel_id: str) -> bool:
    status = owner.kernel_status(kernel_id).status
    assert status in (200, 404)
    return status == 200


def wait_until_gone(owner: Visit, kernel_id: str, timeout: float) -> float:
    start = time.monotonic()
    while kernel_lives(owner, kernel_id):
        assert time.monotonic() - start < timeout, f"kernel {kernel_id} still lives"
        time.sleep(0.5)
    return time.monotonic() - start


def test_another_visitor_can_neither_end_nor_see_nor_restart_a_patients_kernel(fresh):
    patient, other = visit(fresh), visit(fresh)
    kernel_id = patient.kernel_id
    # Before the patient's page connects: the other visitor's unload beacon does nothing.
    assert other.beacon(kernel_id) == 404
    page = patient.connect()
    try:
        # jupyter_server's kernel routes: no status, no delete, no restart, no interrupt.
        assert other.kernel_status(kernel_id).status == 404
        xsrf = {"X-XSRFToken": other.cookies["_xsrf"]}
        assert other.request("DELETE", f"/api/kernels/{kernel_id}", **xsrf).status == 405
        for action in ("restart", "interrupt"):
            assert other.request("POST", f"/api/kernels/{kernel_id}/{action}", **xsrf).status in (
                404,
                405,
            )
        assert other.beacon(kernel_id) == 404
        time.sleep(1)
        # The patient's own page may ask whether its kernel lives: id and name, nothing more.
        mine = patient.kernel_status(kernel_id)
        assert mine.status == 200
        assert set(json.loads(mine.body)) == {"id", "name"}
    finally:
        page.close()
    assert patient.beacon(kernel_id) == 204  # the owner's page closing: the kernel goes
    wait_until_gone(patient, kernel_id, timeout=15)


def test_only_the_routes_the_page_uses_answer(fresh):
    v = Visit(fresh.url)
    for path in (
        "/api/kernels",
        "/api/sessions",
        "/api/kernelspecs",
        "/api/contents",
        "/api/status",
        "/api/terminals",
        "/login",
        "/logout",
        "/voila/api/themes/",
        "/voila/files/notebooks/patient_dashboard.ipynb",
        "/voila/render/patient_dashboard.ipynb",
        "/voila/tree",
    ):
        response = v.request("GET", path)
        assert response.status == 404, (path, response.status)
        assert "Traceback" not in response.body


def test_a_page_handed_on_is_its_new_visitors_alone(fresh):
    """In a flood, a page nobody connected to may go to another browser of the same address."""
    holders: dict[str, Visit] = {}
    shared = None
    for _ in range(20):  # 4 pages per address may wait to connect: the 5th visit is handed one
        v = visit(fresh)
        if v.kernel_id in holders:
            shared = v.kernel_id
            break
        holders[v.kernel_id] = v
    assert shared is not None, "no page was handed on"
    first, second = holders[shared], v
    # Before the new holder's page connects, the first holder can do nothing with it.
    with pytest.raises(InvalidStatus) as refused:
        first.connect(shared)
    assert refused.value.response.status_code == 403
    assert first.kernel_status(shared).status == 404
    assert first.beacon(shared) == 404
    page = second.connect()
    try:
        assert second.kernel_status(shared).status == 200
    finally:
        page.close()
    time.sleep(1)
    # The owner's page left (a network drop): the first holder still cannot end the session.
    assert first.beacon(shared) == 404
    assert kernel_lives(second, shared)
    assert second.beacon(shared) == 204
    for v in holders.values():  # leave no kernel behind for the next tests
        v.beacon(v.kernel_id)


def test_one_address_holds_at_most_max_per_address_sessions(limited):
    visits, sockets = [], []
    try:
        for _ in range(MAX_PER_ADDRESS):
            v = visit(limited)
            visits.append(v)
            sockets.append(v.connect())
        busy = Visit(limited.url).open_page()
        assert busy.status == 503
        assert busy.header("Retry-After")
        assert "<title>" in busy.body and "kernelId" not in busy.body
        assert "script-src 'self'" in (busy.header("Content-Security-Policy") or "")
        assert busy.header("Server") is None
        # X-Forwarded-For counts only from a trusted proxy: no way around the limit.
        spoofed = Visit(limited.url).open_page(X_Forwarded_For="203.0.113.9")
        assert spoofed.status == 503
        # Another address is not affected (127.0.0.2 is this machine too, another client).
        other = visit(limited, source="127.0.0.2")
        visits.append(other)
    finally:
        for s in sockets:
            s.close()
        for v in visits:
            v.beacon(v.kernel_id)


def test_behind_a_trusted_proxy_the_limit_counts_forwarded_addresses(limited):
    proxy = "127.0.0.3"  # the server trusts this address's X-Forwarded-For
    pages = [visit(limited, source=proxy, X_Forwarded_For="198.51.100.1")]
    try:
        for _ in range(MAX_PER_ADDRESS - 1):
            pages.append(visit(limited, source=proxy, X_Forwarded_For="198.51.100.1"))
        full = Visit(limited.url, source=proxy).open_page(X_Forwarded_For="198.51.100.1")
        assert full.status == 503
        # A client-written entry on the left changes nothing: the proxy appends the peer.
        left = Visit(limited.url, source=proxy).open_page(X_Forwarded_For="10.9.9.9, 198.51.100.1")
        assert left.status == 503
        pages.append(visit(limited, source=proxy, X_Forwarded_For="198.51.100.2"))
    finally:
        for v in pages:
            v.beacon(v.kernel_id)


def test_only_widget_activity_counts_and_no_session_outlives_its_maximum(strict):
    junk, patient = visit(strict), visit(strict)
    junk_socket, patient_socket = junk.connect(), patient.connect()
    try:
        box = checkbox_of(patient_socket.widget_states())
        start = time.monotonic()
        value = False
        junk_gone_after = None
        while kernel_lives(patient, patient.kernel_id):
            elapsed = time.monotonic() - start
            assert elapsed < MAX_SESSION_S + 30, "the session outlived its maximum"
            if junk_gone_after is None:
                # Junk: a "widget update" to a comm that is not a widget of the page, and noise.
                noise = {"method": "update", "state": {"value": True}}
                junk_socket.send("comm_msg", {"comm_id": uuid.uuid4().hex, "data": noise})
                junk_socket.send("comm_info_request", {})
                junk_socket.send("kernel_info_request", {})
                if not kernel_lives(junk, junk.kernel_id):
                    junk_gone_after = elapsed
            # The patient ticks and unticks a box, every second.
            value = not value
            patient_socket.update(box, {"value": value})
            time.sleep(1)
        lived = time.monotonic() - start
    finally:
        junk_socket.close()
        patient_socket.close()
    assert junk_gone_after is not None, "junk messages kept a session alive"
    assert junk_gone_after < MAX_SESSION_S - 5
    # The patient's activity kept the session well past the idle timeout, up to its maximum.
    assert lived > 2 * IDLE_S
    log = strict.log()
    assert "idle" in log and "session older than" in log


def test_a_page_cannot_grow_its_kernel(fresh):
    """A 10 MB widget value closes the connection; past a few comm_opens the kernel sees none."""
    patient = visit(fresh)
    socket = patient.connect()
    try:
        states = socket.widget_states()
        box = checkbox_of(states)
        socket.update(box, {"description": "x" * 10_000_000})
        with pytest.raises(ConnectionClosed) as closed:
            socket.receive(10)
            socket.send("kernel_info_request", {})
            socket.receive(5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # too big
    finally:
        socket.close()
    socket = patient.connect(session=socket.session)  # the page reconnects
    try:
        assert socket.widget_states()[box]["state"]["description"] != "x" * 10_000_000
        opened = [uuid.uuid4().hex for _ in range(1000)]
        for comm_id in opened:
            socket.send(
                "comm_open",
                {
                    "comm_id": comm_id,
                    "target_name": "jupyter.widget",
                    "data": {
                        "state": {
                            "_model_name": "ButtonModel",
                            "_model_module": "@jupyter-widgets/controls",
                            "_model_module_version": "2.0.0",
                            "_view_name": "ButtonView",
                            "_view_module": "@jupyter-widgets/controls",
                            "_view_module_version": "2.0.0",
                            "description": "z" * 1000,
                        },
                        "buffer_paths": [],
                    },
                },
                metadata={"version": "2.1.0"},  # the widget protocol
            )
        time.sleep(1)  # a burst past the message rate was dropped: the next message passes
        socket.send("comm_info_request", {"target_name": "jupyter.widget"})
        comms: dict = {}
        deadline = time.monotonic() + 60
        while not comms and time.monotonic() < deadline:
            for msg in socket.receive(1):
                if msg.get("msg_type") == "comm_info_reply":
                    comms = msg["content"]["comms"]
        assert comms, "no comm_info_reply"
        created = set(opened) & set(comms)
        assert 0 < len(created) <= 8
    finally:
        socket.close()
        patient.beacon(patient.kernel_id)


def test_no_traceback_reaches_the_browser(fresh):
    patient = visit(fresh)
    socket = patient.connect()
    try:
        socket.widget_states()
        # Widget state the kernel cannot build: ipywidgets prints a traceback on stderr.
        socket.send(
            "comm_open",
            {
                "comm_id": uuid.uuid4().hex,
                "target_name": "jupyter.widget",
                "data": {
                    "state": {"_model_name": "NoSuchModel", "value": object.__name__},
                    "buffer_paths": [],
                },
            },
        )
        socket.send(
            "comm_open",
            {
                "comm_id": uuid.uuid4().hex,
                "target_name": "jupyter.widget",
                "data": {
                    "state": {
                        "_model_name": "IntSliderModel",
                        "_model_module": "@jupyter-widgets/controls",
                        "_model_module_version": "2.0.0",
                        "value": "not a number",
                    },
                    "buffer_paths": [],
                },
            },
        )
        socket.send(
            "comm_msg",
            {"comm_id": "no-such-comm", "data": {"method": "update", "state": {"value": 1}}},
        )
        received = socket.receive(5)
    finally:
        socket.close()
        patient.beacon(patient.kernel_id)
    text = repr(received)
    assert received, "the kernel answered nothing"
    assert "Traceback" not in text
    assert not re.search(r"File \"/|site-packages|\.py\"", text)
    assert not [
        m
        for m in received
        if m.get("msg_type") == "stream" and m["content"].get("name") == "stderr"
    ]
