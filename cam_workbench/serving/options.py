"""What ``cam-workbench serve`` can be told: :class:`ServeOptions` and :class:`ServerTexts`.

Plain frozen dataclasses with their defaults and checks; ``serving`` turns them into Voila's
configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cam_workbench.serving.http import DEFAULT_FRAME_ANCESTORS, allowed_hosts, trusted_proxy_set
from cam_workbench.serving.placement import (
    DEFAULT_BASE_URL,
    frame_ancestors_directive,
    normal_base_url,
)

LOG_FORMATS: Final = ("text", "json")
"""``--log-format``: lines for people, or one JSON object per line for log shippers."""

TEMPLATE_NAME: Final = "cam_workbench"
"""Name of our Voila template (it extends Voila's ``lab`` template)."""

WORKSHOP_TEMPLATE: Final = "cam_workshop"
"""Our slides template for ``serve --workshop`` (Voila's ``reveal``, offline, large fonts)."""


@dataclass(frozen=True)
class ServerTexts:
    """Every text the server itself shows a patient (the notebook brings its own)."""

    page_title: str
    """``<title>`` of the patient page."""
    busy_title: str
    """Title of the "busy, please try again in a minute" page (HTTP 503)."""
    busy_message: str
    """Body of the busy page."""
    error_title: str
    """Title of the friendly error page and of an error shown in place of a cell's output."""
    error_message: str
    """Body of the friendly error page; never a traceback."""
    session_lost: str
    """Shown on the page when the patient's kernel dies or the connection is lost."""
    language: str = "en"
    """``<html lang>`` of every page."""
    loading: str = "Loading…"
    """Shown while the page is being prepared."""


@dataclass(frozen=True)
class ServeOptions:
    """How to serve the patient notebook. Defaults suit a 2-core, 24 GiB machine."""

    notebook: Path
    """The notebook to serve (the only page of the server)."""
    texts: ServerTexts
    """Texts of the server's own pages and notices."""
    host: str = "127.0.0.1"
    """Address to bind; only this machine by default (put a reverse proxy in front)."""
    port: int = 8866
    """Port to bind; the server fails if it is taken (no silent fallback to another port)."""
    max_kernels: int = 60
    """Most live kernels, preheated ones included (each ~50 MB unique, ~70 MB resident)."""
    pool_size: int = 2
    """Preheated kernels kept ready (0 disables preheating). Two absorb a burst of visits; a
    kernel start takes about a second of one core, so more would not refill faster."""
    max_unconnected: int = 8
    """Most handed-out kernels whose page has not connected yet; past it, visits share the
    page that has waited longest (see the module docstring), so a flood costs no kernels."""
    idle_timeout_s: int = 600
    """Shut down a kernel whose page is connected but has had no activity for this long."""
    unconnected_timeout_s: int = 60
    """Shut down a handed-out kernel whose page never connected after this long."""
    disconnected_timeout_s: int = 60
    """Shut down a kernel this long after its page went away (closed tab without the unload
    beacon, a phone that dropped the connection); a page that comes back sooner keeps it."""
    refill_delay_s: float = 3.0
    """Wait this long after a visit takes a preheated kernel before starting its replacement
    (the start takes a core for about a second; the visit's page is loading meanwhile)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment variables for the kernels (e.g. ``CAM_WORKBENCH_CONTENT``)."""
    template: str = TEMPLATE_NAME
    """Voila template: the patient page, or :data:`WORKSHOP_TEMPLATE` for the slides."""
    max_per_address: int = 20
    """Most kernels one client address may hold at once (pages handed to it that nobody
    connected to, and sessions it owns); past it, the busy page. Generous: a clinic's
    patients may all come from one address."""
    max_session_s: int = 3 * 3600
    """A session ends this long after its page was first handed out, active or not. A visit
    takes minutes; three hours leave room for a tab kept open through an appointment, yet no
    connection can hold a kernel for good."""
    max_message_bytes: int = 256 * 1024
    """Largest websocket message a page may send (the real page's largest is under 1 KiB;
    its text fields are capped at 10,000 characters, under 40 KiB)."""
    max_client_comms: int = 8
    """Most ``comm_open`` messages a page may send (the real page sends one)."""
    max_messages_per_s: float = 50.0
    """Most websocket messages a page may send a second, on average; four seconds' worth may
    come at once. Past it, messages are dropped. The real page sends 4 at start-up, one per
    click, and at most about 45 a second while text is typed faster than anyone types."""
    max_unconnected_per_address: int = 4
    """Most pages one client address may hold that have not connected yet (of
    ``max_unconnected``), so one address cannot make every other visitor wait. A real page
    connects about a second after it arrives."""
    allowed_hosts: tuple[str, ...] = ()
    """Names a request may use in its ``Host`` header besides the bound address, localhost,
    127.0.0.1 and [::1] (e.g. the name a reverse proxy passes on)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of reverse proxies whose ``X-Forwarded-For`` names the client."""
    frame_ancestors: str = DEFAULT_FRAME_ANCESTORS
    """CSP ``frame-ancestors``: who may show the page in a frame."""
    fork_kernels: bool = True
    """Fork each patient kernel from a pre-imported parent (the zygote: about 20 MiB of memory
    of its own per kernel instead of 47, a tenth of the CPU to start); False spawns each one
    (``serve --no-fork-kernels``). Patient kernels never load the debugger either way."""
    runtime_dir: Path | None = None
    """The server's private runtime folder, already claimed (see ``serving.runtime``); by
    default :func:`serve` claims one for the port."""
    base_url: str = DEFAULT_BASE_URL
    """Path prefix of every URL of the server (``/back-pain/`` behind a proxy); normalised."""
    metrics_port: int | None = None
    """Serve ``/metrics`` on its own listener on this port (``None``: under the base URL on
    the main port, to loopback clients only; see ``serving.metrics``)."""
    metrics_host: str = "127.0.0.1"
    """Address of the metrics listener (``0.0.0.0`` in a Kubernetes pod, for Prometheus)."""
    log_format: str = "text"
    """``text`` or ``json`` (one object per line); the same privacy filter either way."""
    drain_s: int = 60
    """On SIGTERM: refuse new visits, and wait up to this long for open sessions to end."""
    review_due: float | None = None
    """When the served content's earliest next review falls due (Unix time), for ``/metrics``."""

    def __post_init__(self) -> None:
        """Reject settings that cannot work."""
        allowed_hosts(self.host, self.allowed_hosts)  # raises ValueError for a bad name
        trusted_proxy_set(self.trusted_proxies)
        for name in (
            "max_per_address",
            "max_session_s",
            "max_message_bytes",
            "max_client_comms",
            "max_unconnected_per_address",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be 1 or more, not {getattr(self, name)}")
        if self.max_messages_per_s <= 0:
            raise ValueError(f"max_messages_per_s must be positive, not {self.max_messages_per_s}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {self.port}")
        if self.pool_size < 0:
            raise ValueError(f"pool_size must be 0 or more, not {self.pool_size}")
        if self.max_kernels <= self.pool_size:
            raise ValueError(
                f"max_kernels ({self.max_kernels}) must be more than pool_size ({self.pool_size})"
            )
        if min(self.idle_timeout_s, self.unconnected_timeout_s, self.disconnected_timeout_s) <= 0:
            raise ValueError(
                "idle_timeout_s, unconnected_timeout_s and disconnected_timeout_s must be positive"
            )
        if self.max_unconnected < 1:
            raise ValueError(f"max_unconnected must be 1 or more, not {self.max_unconnected}")
        if self.refill_delay_s < 0:
            raise ValueError(f"refill_delay_s must be 0 or more, not {self.refill_delay_s}")
        check_deployment(self)


def check_deployment(options: ServeOptions) -> None:
    """Reject deployment settings (base URL, framing, metrics, logs, drain) that cannot work."""
    if normal_base_url(options.base_url) != options.base_url:
        raise ValueError(
            f"base_url must be normalised ({normal_base_url(options.base_url)!r}), "
            f"not {options.base_url!r}"
        )
    frame_ancestors_directive(options.frame_ancestors)  # raises ValueError for a bad source
    if options.metrics_port is not None:
        if not 0 < options.metrics_port < 65536:
            raise ValueError(
                f"metrics port must be between 1 and 65535, not {options.metrics_port}"
            )
        if options.metrics_port == options.port:
            raise ValueError("metrics port must differ from the port of the page")
    if options.log_format not in LOG_FORMATS:
        raise ValueError(
            f"log format must be one of {', '.join(LOG_FORMATS)}, not {options.log_format!r}"
        )
    if options.drain_s < 0:
        raise ValueError(f"drain_s must be 0 or more, not {options.drain_s}")


def cull_interval_s(options: ServeOptions) -> int:
    """How often the culler runs: a quarter of the shortest timeout, between 1 and 30 s."""
    shortest = min(
        options.idle_timeout_s, options.unconnected_timeout_s, options.disconnected_timeout_s
    )
    return max(1, min(30, shortest // 4))


def workshop_options() -> dict[str, Any]:
    """:class:`ServeOptions` settings for the educators' slides (``serve --workshop``).

    The slides template, a long idle timeout (a presenter may talk for an hour without
    touching the page, and must not find the session gone) and a workshop day's session.
    """
    return {
        "template": WORKSHOP_TEMPLATE,
        "idle_timeout_s": 4 * 3600,
        "max_session_s": 8 * 3600,  # a workshop day
        "pool_size": 1,
    }
