"""``/metrics``: the server's figures in Prometheus' text format (``prometheus-client``).

What is counted: kernels (live, preheated, connected, the cap), websocket sessions, pages
served and busy pages, culls by reason, kernel starts and how long they took, whether the
server is ready or draining, and the content's next review date. Never an answer, a score, a
query string, a path or a client address: no metric has a label a visitor can set (the only
labels are our cull reasons and the kind of kernel start).

Its own registry (not ``prometheus_client``'s global one, which jupyter_server fills with
per-handler figures): exactly these metrics, plus the server process' CPU and memory.

Who may read them (SECURITY.md): with ``--metrics-port``, a listener of their own (bound to
127.0.0.1 unless ``--metrics-host`` says otherwise; in Kubernetes a NetworkPolicy lets only
Prometheus in), and the main port has no ``/metrics``. Without it, ``<base URL>metrics`` on the
main port answers loopback clients only (the client address as the per-address limit sees
it: behind a ``--trusted-proxy`` the real client's, so the internet never reads it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import Any, Final, Protocol

import tornado.web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from cam_workbench.serving.http import HardenedHandler

METRICS_SETTING: Final = "cam_metrics"
"""Key of the :class:`ServerMetrics` in the tornado application settings."""

CULL_REASONS: Final = ("idle", "page_gone", "never_connected", "session_limit", "dead")
"""Why the culler shut a kernel down (the ``reason`` label of ``cam_kernel_culls_total``)."""

START_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
"""Histogram buckets of a kernel start, in seconds (a spawned kernel takes about a second)."""


class KernelFigures(Protocol):
    """What the metrics read from the kernel manager (``serving.kernels``) at each scrape."""

    max_kernels: int

    def live_kernel_count(self) -> int:
        """Kernel processes running or being started."""

    def preheated_kernel_count(self) -> int:
        """Kernels ready in the preheated pool."""

    def connected_kernel_count(self) -> int:
        """Kernels with a page connected."""

    def websocket_count(self) -> int:
        """Websocket connections open."""


class _Live(Collector):
    """Gauges read from the kernel manager and the server's state when Prometheus scrapes."""

    def __init__(self, metrics: ServerMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        manager = self._metrics.manager
        figures = {
            "cam_kernels_live": ("Kernel processes running or starting.", None),
            "cam_kernels_preheated": ("Kernels ready in the preheated pool.", None),
            "cam_kernels_connected": ("Kernels whose patient's page is connected.", None),
            "cam_kernels_max": ("The cap on live kernels (--max-kernels).", None),
            "cam_websocket_sessions": ("Websocket connections of pages to their kernels.", None),
        }
        if manager is not None:
            values = {
                "cam_kernels_live": manager.live_kernel_count(),
                "cam_kernels_preheated": manager.preheated_kernel_count(),
                "cam_kernels_connected": manager.connected_kernel_count(),
                "cam_kernels_max": manager.max_kernels,
                "cam_websocket_sessions": manager.websocket_count(),
            }
            for name, (doc, _) in figures.items():
                yield GaugeMetricFamily(name, doc, value=values[name])
        state = self._metrics.state
        yield GaugeMetricFamily(
            "cam_ready", "1 when the server takes new visits (see /readyz).", value=state()[0]
        )
        yield GaugeMetricFamily(
            "cam_draining", "1 after SIGTERM, while open sessions finish.", value=state()[1]
        )
        if self._metrics.review_due_s is not None:
            yield GaugeMetricFamily(
                "cam_content_review_due_timestamp_seconds",
                "When the served content's earliest next review falls due (Unix time).",
                value=self._metrics.review_due_s,
            )


class ServerMetrics:
    """The server's registry; hears kernel events (``serving.kernels.KernelEvents``)."""

    def __init__(self, review_due_s: float | None = None) -> None:
        """Create the registry and its metrics (nothing is global).

        Counters get no ``_created`` series (prometheus-client's setting for the process).
        """
        disable_created_metrics()
        self.registry = CollectorRegistry(auto_describe=True)
        self.manager: KernelFigures | None = None
        self.state: Callable[[], tuple[int, int]] = lambda: (0, 0)
        """``(ready, draining)``, each 0 or 1; set by the app."""
        self.review_due_s = review_due_s
        self.pages = Counter(
            "cam_pages_served", "Patient pages served (HTTP 200).", registry=self.registry
        )
        self.busy = Counter(
            "cam_busy_pages",
            "Busy pages (HTTP 503): past the cap or a per-address limit, or draining.",
            registry=self.registry,
        )
        self.culls = Counter(
            "cam_kernel_culls",
            "Kernels the culler shut down, by reason.",
            ["reason"],
            registry=self.registry,
        )
        for reason in CULL_REASONS:
            self.culls.labels(reason=reason)
        self.starts = Histogram(
            "cam_kernel_start_seconds",
            "How long a kernel start took, from asking to ready.",
            ["kind"],
            buckets=START_BUCKETS,
            registry=self.registry,
        )
        for kind in ("preheated", "on_demand"):
            self.starts.labels(kind=kind)
        self.websockets = Counter(
            "cam_websocket_sessions_opened",
            "Websocket connections of pages to their kernels, since the start.",
            registry=self.registry,
        )
        self.registry.register(_Live(self))
        ProcessCollector(registry=self.registry)

    # -- serving.kernels.KernelEvents ---------------------------------------------------------

    def kernel_started(self, seconds: float, preheated: bool) -> None:
        """Count a kernel start and its duration."""
        self.starts.labels(kind="preheated" if preheated else "on_demand").observe(seconds)

    def kernel_culled(self, reason: str) -> None:
        """Count a cull (an unknown reason counts as ``dead``: no free-form label)."""
        self.culls.labels(reason=reason if reason in CULL_REASONS else "dead").inc()

    def websocket_opened(self) -> None:
        """Count a websocket session."""
        self.websockets.inc()

    # -- pages --------------------------------------------------------------------------------

    def page_answered(self, status: int) -> None:
        """Count a patient page (200) or a busy page (503)."""
        if status == 200:
            self.pages.inc()
        elif status == 503:
            self.busy.inc()

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format."""
        return generate_latest(self.registry)


def is_loopback(address: str) -> bool:
    """Whether ``address`` is a loopback address (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


class MetricsHandler(HardenedHandler):
    """``GET /metrics``: the text format; on the main port, for loopback clients only."""

    def initialize(self, metrics: ServerMetrics, loopback_only: bool = True) -> None:
        """``loopback_only``: the main port (on the metrics listener anyone may read)."""
        self.metrics = metrics
        self.loopback_only = loopback_only

    def prepare(self) -> Any:
        """No ``Host`` check on the metrics listener (Prometheus names the pod's address)."""
        if self.loopback_only:
            return super().prepare()
        return None

    def get(self) -> None:
        """The figures; 404 for a client that may not read them (as if there were none)."""
        if self.loopback_only and not is_loopback(self.client_address()):
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.set_header("Cache-Control", "no-store")
        self.finish(self.metrics.exposition())
