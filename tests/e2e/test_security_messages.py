"""A page's websocket cannot flood its kernel or the server log.

Raw websocket clients against a real `cam-workbench serve` (security review of issue 13,
items 2 and 3): past the message rate, messages are dropped before the kernel sees them,
while a real patient's page (and the flooding page itself, once it slows down) works; junk
messages add a line or two to the log, not one per message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content
from cam_workbench.serving import ServeOptions
from cam_workbench.serving.channels import BURST_S

from .kernel_client import KernelSocket, Visit, message
from .servers import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING, SHARED = CONTENT.screening(), CONTENT.shared()
SEE_DOCTOR = next(o for o in SCREENING.outcomes if o.id == "see_doctor")
RATE = ServeOptions.__dataclass_fields__["max_messages_per_s"].default
FLOOD_RATE = 20 * RATE  # messages a second the flooding client sends


@pytest.fixture(scope="module")
def chatty(tmp_path_factory) -> Iterator[Server]:
    """A server of our own with the default limits (its log is read)."""
    server = start_server(tmp_path_factory.mktemp("chatty"))
    yield server
    stop_server(server)


def open_socket(server: Server) -> tuple[Visit, KernelSocket]:
    visit = Visit(server.url)
    assert visit.open_page().status == 200
    socket = visit.connect()
    socket.widget_states()  # what the page does first
    time.sleep(BURST_S)  # the bucket is full again
    return visit, socket


def replies_to(socket: KernelSocket, ids: set[str], until: str, timeout: float) -> set[str]:
    """Ids in ``ids`` that got a ``kernel_info_reply`` before the one to ``until``."""
    answered: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in socket.receive(1):
            if msg.get("msg_type") != "kernel_info_reply":
                continue
            parent = msg["parent_header"].get("msg_id")
            if parent == until:
                return answered
            if parent in ids:
                answered.add(parent)
    raise AssertionError("no reply to the last message")


def test_past_the_message_rate_the_kernel_sees_nothing_and_pages_stay_usable(chatty, browser):
    flooder, socket = open_socket(chatty)
    sent: set[str] = set()
    stop = threading.Event()

    def flood() -> None:  # kernel_info_request: a type the page sends, and each gets a reply
        while not stop.is_set():
            for _ in range(int(FLOOD_RATE / 10)):
                raw = message("kernel_info_request", {})
                sent.add(json.loads(raw)["header"]["msg_id"])
                socket.socket.send(raw)
            stop.wait(0.1)

    start = time.monotonic()
    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    try:
        # A patient goes through the page in Chromium meanwhile.
        context = browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(chatty.url)
            page.get_by_role("checkbox", name=SCREENING.items[0].text).check()
            page.get_by_role("button", name=SHARED.ui.continue_).click()
            expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
            page.get_by_role("button", name=SEE_DOCTOR.cleared_label).click()
            page.get_by_role("button", name=SHARED.ui.clearance.yes).click()
            expect(page.get_by_role("heading", name=SHARED.ui.guide_heading)).to_be_visible()
        finally:
            context.close()
    finally:
        stop.set()
        thread.join()
    # The flooding page, once it slows down, is heard again: a message a second later passes,
    # and its reply comes after the kernel has answered everything it was let through.
    time.sleep(1)
    last = message("kernel_info_request", {})
    socket.socket.send(last)
    answered = replies_to(socket, sent, json.loads(last)["header"]["msg_id"], timeout=60)
    took = time.monotonic() - start
    socket.close()
    assert flooder.beacon(flooder.kernel_id) == 204
    allowed = RATE * BURST_S + RATE * took
    assert len(sent) > 2 * allowed  # a flood indeed
    assert RATE * BURST_S / 2 <= len(answered) <= allowed
    log = chatty.log()
    assert "Dropping messages from the page" in log and "over the message rate" in log


def test_junk_messages_add_a_line_or_two_to_the_log_not_one_each(chatty):
    visit, socket = open_socket(chatty)
    before = chatty.log().splitlines()
    for n in range(5000):
        socket.socket.send("x" if n % 2 else b"\x00\x01 junk")
    time.sleep(1)
    socket.close()
    deadline = time.monotonic() + 30
    while "Dropped 5000 messages" not in chatty.log():
        assert time.monotonic() < deadline, chatty.log()[-2000:]
        time.sleep(0.5)
    added = chatty.log().splitlines()[len(before) :]
    assert len([line for line in added if "Dropp" in line]) == 2, added
    assert len(added) <= 4, added
    assert visit.beacon(visit.kernel_id) == 204
