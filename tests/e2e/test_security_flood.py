"""A flood of page requests that never connect takes nobody else's session.

One client floods a real `cam-workbench serve` with page requests (one browser identity, from
127.0.0.2, another address of this machine) and tries what an attacker would with every page
it gets. Meanwhile patients from another address, and another browser behind the flooder's
own address, open the page. Security review of issue 13, item 1.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from websockets.exceptions import InvalidStatus

from cam_workbench.content.loading import load_content
from cam_workbench.serving import ServeOptions

from .kernel_client import Visit
from .servers import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING, SHARED = CONTENT.screening(), CONTENT.shared()
SEE_DOCTOR = next(o for o in SCREENING.outcomes if o.id == "see_doctor")
PER_ADDRESS = ServeOptions.__dataclass_fields__["max_unconnected_per_address"].default
UNCONNECTED_TIMEOUT_S = ServeOptions.__dataclass_fields__["unconnected_timeout_s"].default
FLOODER_ADDRESS = "127.0.0.2"
CULL_SLACK_S = 30  # one cull interval (15 s by default) and a loaded machine


class Flood:
    """One browser identity asking for the page again and again, never connecting."""

    def __init__(self, server: Server) -> None:
        self.visit = Visit(server.url, source=FLOODER_ADDRESS)
        self.first_seen: dict[str, float] = {}
        """Every kernel id the flooder was given, and when it first was."""
        self.statuses: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Flood:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response = self.visit.open_page()
            except OSError:
                continue
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            kernel_id = self.visit.kernel_id
            if kernel_id:
                self.first_seen.setdefault(kernel_id, time.monotonic())
            self._stop.wait(0.02)

    def held(self) -> set[str]:
        return set(self.first_seen)

    def wait_until_steady(self, pages: int, quiet_s: float, timeout: float = 90) -> set[str]:
        """The pages the flooder holds once it has ``pages`` and no new one for ``quiet_s``."""
        deadline = time.monotonic() + timeout
        while (
            len(self.first_seen) < pages
            or time.monotonic() - max(self.first_seen.values()) < quiet_s
        ):
            assert time.monotonic() < deadline, f"the flood got {self.first_seen}"
            time.sleep(0.2)
        return self.held()

    def attack(self, kernel_id: str) -> None:
        """What the flooder would do with someone else's kernel: it can do none of it."""
        flooder = Visit(self.visit.url, source=FLOODER_ADDRESS, cookies=dict(self.visit.cookies))
        with pytest.raises(InvalidStatus) as refused:
            flooder.connect(kernel_id)
        assert refused.value.response.status_code == 403
        assert flooder.kernel_status(kernel_id).status == 404
        assert flooder.beacon(kernel_id) == 404


@pytest.fixture(scope="module")
def flooded(tmp_path_factory) -> Iterator[Server]:
    """A server of our own with the default limits (the flood leaves kernels to the culler)."""
    server = start_server(tmp_path_factory.mktemp("flooded"))
    yield server
    stop_server(server)


def test_a_flood_takes_no_patients_page_and_its_kernels_are_culled(flooded, browser):
    with Flood(flooded) as flood:
        # At its address's limit the flooder gets its own pages back (old enough by now to
        # be handed on to anyone, were that allowed).
        first_pages = flood.wait_until_steady(PER_ADDRESS, quiet_s=6)
        assert len(first_pages) == PER_ADDRESS

        # A patient at another address gets a kernel of its own, not one the flooder holds.
        patient = Visit(flooded.url)
        assert patient.open_page().status == 200
        assert patient.kernel_id not in flood.held()
        patient_socket = patient.connect()
        flood.attack(patient.kernel_id)

        # Another browser behind the flooder's address may be handed a page the flooder was
        # given: from then on it is that browser's alone.
        neighbour = Visit(flooded.url, source=FLOODER_ADDRESS)
        assert neighbour.open_page().status == 200
        flood.attack(neighbour.kernel_id)
        neighbour_socket = neighbour.connect()
        assert neighbour.kernel_status(neighbour.kernel_id).status == 200

        # A patient in Chromium goes through the page while the flood goes on.
        context = browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(flooded.url)
            page.get_by_role("checkbox", name=SCREENING.items[0].text).check()
            page.get_by_role("button", name=SHARED.ui.continue_).click()
            expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
            kernel_id = page.evaluate(
                "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
            )
            assert kernel_id not in flood.held()
            flood.attack(kernel_id)
            page.get_by_role("button", name=SEE_DOCTOR.cleared_label).click()
            page.get_by_role("button", name=SHARED.ui.clearance.yes).click()
            expect(page.get_by_role("heading", name=SHARED.ui.guide_heading)).to_be_visible()
            expect(page.locator("#cam-session-lost")).to_be_hidden()
        finally:
            context.close()

        # The flooder's pages that nobody connected to are culled unconnected_timeout after
        # it was first given them, however often it asks for them again.
        left = first_pages - {neighbour.kernel_id}
        deadline = max(flood.first_seen[k] for k in left) + UNCONNECTED_TIMEOUT_S + CULL_SLACK_S
        while not all(f"Culling kernel {k}: page never connected" in flooded.log() for k in left):
            assert time.monotonic() < deadline, flooded.log()[-3000:]
            time.sleep(1)
    patient_socket.close()
    neighbour_socket.close()
    assert patient.beacon(patient.kernel_id) == 204
    assert neighbour.beacon(neighbour.kernel_id) == 204
    assert set(flood.statuses) <= {200, 503}, flood.statuses
    assert not re.search(r"Traceback|ERROR", flooded.log())
