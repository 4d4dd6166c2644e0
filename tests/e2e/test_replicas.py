"""Two `cam-workbench serve` replicas behind a real HAProxy (Debian's), on loopback.

The proxy (deploy/haproxy/haproxy.cfg) spreads new patients over the replicas and keeps each
patient on theirs with a cookie. Patients in real Chromium go through a whole screening; each
one's page, assets, kernel websocket and kernel checks stay on one replica. Then one replica
is killed (SIGKILL, as a crashed pod): its patients see the plain "session lost" notice, the
proxy's health check takes it out, and a reload lands on the survivor with a working page.
The other replica's patients notice nothing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content

from .kernel_client import request
from .servers import REPO, Server, free_port, start_server, stop_server, wait_for_port

pytestmark = pytest.mark.e2e

CONTENT = load_content(REPO / "content")
SCREENING = CONTENT.screening()
SHARED = CONTENT.shared()
GUIDE_HEADING = SHARED.ui.guide_heading
FIRST = next(item.text for item in SCREENING.items if item.id == "leg_symptoms")
SEE_DOCTOR = next(o for o in SCREENING.outcomes if o.id == "see_doctor")
PREFIX = "/back-pain/"
CONFIG = REPO / "deploy" / "haproxy" / "haproxy.cfg"
PATIENTS = 4


def haproxy_path() -> str | None:
    return os.environ.get("CAM_HAPROXY") or shutil.which("haproxy")


@dataclass
class Cluster:
    replicas: dict[str, Server]
    """Proxy server name (r1, r2) → replica."""
    url: str
    """The proxy's address of the page."""
    stats: str
    proxy: subprocess.Popen

    def status(self) -> dict[str, str]:
        """The proxy's view of each replica (UP, DOWN, ...), from its status page."""
        body = request(self.stats, "GET", "/stats;csv").body.lstrip("# ")
        return {
            row["svname"]: row["status"]
            for row in csv.DictReader(io.StringIO(body))
            if row["pxname"] == "replicas" and row["svname"] in self.replicas
        }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    binary = haproxy_path()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("HAProxy is required under CI (scripts/ensure-haproxy installs it)")
        pytest.skip("HAProxy not installed (apt-get install haproxy, or set CAM_HAPROXY)")
    tmp = tmp_path_factory.mktemp("replicas")
    replicas: dict[str, Server] = {}
    proxy = None
    try:
        for name in ("r1", "r2"):
            replicas[name] = start_server(
                tmp,
                "--base-url",
                PREFIX,
                "--trusted-proxy",
                "127.0.0.1",
                "--max-per-address",
                "200",  # every test patient comes from 127.0.0.1
            )
        proxy_port, stats_port = free_port(), free_port()
        env = {
            **os.environ,
            "CAM_PROXY_ADDR": "127.0.0.1",
            "CAM_PROXY_PORT": str(proxy_port),
            "CAM_STATS_PORT": str(stats_port),
            "CAM_BASE_URL": PREFIX,
            "CAM_REPLICA1": f"127.0.0.1:{replicas['r1'].port}",
            "CAM_REPLICA2": f"127.0.0.1:{replicas['r2'].port}",
        }
        log = (tmp / "haproxy.log").open("wb")
        proxy = subprocess.Popen(
            [binary, "-db", "-f", str(CONFIG)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(proxy_port, proxy)
        found = Cluster(
            replicas,
            f"http://127.0.0.1:{proxy_port}{PREFIX}",
            f"http://127.0.0.1:{stats_port}/",
            proxy,
        )
        deadline = time.monotonic() + 90
        while set(found.status().values()) != {"UP"}:  # both ready: their pools are warm
            assert time.monotonic() < deadline, found.status()
            time.sleep(0.5)
        yield found
    finally:
        if proxy is not None and proxy.poll() is None:
            os.killpg(proxy.pid, signal.SIGTERM)
            proxy.wait(timeout=10)
        for server in replicas.values():
            stop_server(server)


@dataclass
class Patient:
    context: object
    page: object
    replica: str = ""
    """The proxy's cookie: which replica the proxy sent this patient to."""
    kernel_id: str = ""
    answered_by: set[str] | None = None
    """The X-Cam-Replica headers of the page and its API answers (kernel checks)."""


def open_patient(browser, cluster: Cluster) -> Patient:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    patient = Patient(context, page, answered_by=set())

    def note(response) -> None:
        # The page and the API (never cached): static files may come from the browser's cache.
        if response.url.startswith(cluster.url) and response.request.resource_type in (
            "document",
            "fetch",
        ):
            patient.answered_by.add(response.headers.get("x-cam-replica", "?"))

    page.on("response", note)
    page.goto(cluster.url)
    expect(page.get_by_role("checkbox", name=FIRST)).to_be_visible()
    patient.replica = next(c["value"] for c in context.cookies() if c["name"] == "CAMREPLICA")
    patient.kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').text).kernelId"
    )
    return patient


def screen(patient: Patient) -> None:
    """A whole screening: a red flag, the doctor's advice, the patient's word, the guide."""
    page = patient.page
    page.get_by_role("checkbox", name=FIRST).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
    page.get_by_role("button", name=SEE_DOCTOR.cleared_label).click()
    page.get_by_role("button", name=SHARED.ui.clearance.yes).click()
    expect(page.get_by_role("heading", name=GUIDE_HEADING)).to_be_visible()


def replica_id(server: Server) -> str:
    header = request(server.url, "GET", PREFIX + "healthz").header("X-Cam-Replica")
    assert header
    return header


def test_patients_stick_to_one_replica_and_a_killed_replicas_patients_reload_onto_the_survivor(
    cluster, browser
):
    ids = {name: replica_id(server) for name, server in cluster.replicas.items()}
    patients = [open_patient(browser, cluster) for _ in range(PATIENTS)]
    try:
        for patient in patients:
            screen(patient)
        per_replica = {name: [p for p in patients if p.replica == name] for name in ids}
        print(f"\npatients per replica: { {k: len(v) for k, v in per_replica.items()} }")
        assert all(per_replica.values()), "the proxy did not spread the patients"
        for patient in patients:
            # The page and its kernel checks: answered by the patient's replica ...
            assert patient.answered_by == {ids[patient.replica]}, patient.answered_by
            # ... and its kernel (which the websocket drove through the screening) lives there.
            assert patient.kernel_id in cluster.replicas[patient.replica].kernel_ids()

        doomed, survivor = "r1", "r2"
        os.killpg(cluster.replicas[doomed].proc.pid, signal.SIGKILL)  # the replica and kernels
        killed_at = time.monotonic()
        for patient in per_replica[doomed]:
            notice = patient.page.locator("#cam-session-lost")
            expect(notice).to_be_visible(timeout=30_000)
            expect(notice).to_have_text(SHARED.ui.session_lost)
        lost_after = time.monotonic() - killed_at
        deadline = time.monotonic() + 30
        while cluster.status().get(doomed) == "UP":
            assert time.monotonic() < deadline, cluster.status()
            time.sleep(0.25)
        out_after = time.monotonic() - killed_at
        print(
            f"killed {doomed}: its {len(per_replica[doomed])} patient(s) saw the notice within "
            f"{lost_after:.1f} s; the proxy had it {cluster.status()[doomed]} when checked, "
            f"{out_after:.1f} s after the kill"
        )
        for patient in per_replica[survivor]:  # the other replica's patients go on
            assert not patient.page.evaluate("window.camSessionLost()")
            patient.page.get_by_role("button", name=SHARED.ui.start_again).click()
            expect(patient.page.get_by_role("checkbox", name=FIRST)).to_be_visible()
        for patient in per_replica[doomed]:  # a reload lands on the survivor and works
            patient.answered_by.clear()
            patient.page.reload()
            expect(patient.page.get_by_role("checkbox", name=FIRST)).to_be_visible()
            cookie = next(c for c in patient.context.cookies() if c["name"] == "CAMREPLICA")
            assert cookie["value"] == survivor
            assert patient.answered_by == {ids[survivor]}
            screen(patient)
            assert not patient.page.evaluate("window.camSessionLost()")
    finally:
        for patient in patients:
            with contextlib.suppress(Exception):
                patient.context.close()


def test_the_proxy_never_passes_metrics_on(cluster):
    assert request(cluster.url, "GET", PREFIX + "metrics").status == 404
    for server in cluster.replicas.values():
        if server.proc.poll() is None:  # Prometheus, on the replica's own address, may read
            assert request(server.url, "GET", PREFIX + "metrics").status == 200


def test_haproxy_config_is_valid():
    binary = haproxy_path()
    if binary is None:
        pytest.skip("HAProxy not installed")
    env = {
        **os.environ,
        "CAM_PROXY_ADDR": "127.0.0.1",
        "CAM_PROXY_PORT": "1",
        "CAM_STATS_PORT": "2",
        "CAM_BASE_URL": PREFIX,
        "CAM_REPLICA1": "127.0.0.1:3",
        "CAM_REPLICA2": "127.0.0.1:4",
    }
    done = subprocess.run([binary, "-c", "-f", str(CONFIG)], env=env, capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr
