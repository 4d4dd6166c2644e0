"""What a platform asks of the server: is it alive, may it take visits, stop gently.

* ``<base URL>healthz`` (:class:`HealthHandler`): the process answers. It starts no kernel,
  touches no pool, sets no cookie and reads nothing but a flag: a liveness probe that fails
  only when the event loop is stuck.
* ``<base URL>readyz`` (:class:`ReadyHandler`): 200 when a new visit would get a page
  (:func:`readiness`): not draining, the kernel cap not reached, the preheated pool working.
  Otherwise 503 with the reason, so a load balancer sends new patients to another replica.
  A patient already on an unready replica keeps their session: their websocket stays open,
  and the page's kernel check ignores a 404 from another replica (``X-Cam-Replica``).
  Content past its review date does not make a replica unready: every replica serves the
  same content, so all would go unready at once and patients would get no page at all;
  the page shows its preview banner again, and ``cam_content_review_due_timestamp_seconds``
  (``/metrics``) lets an alert fire.
* SIGTERM (:class:`Drain`): stop taking visits (new visits get the busy page, ``/readyz``
  says 503), let the open sessions finish up to ``--drain-seconds``, then stop; every kernel
  is shut down on the way out. A second SIGTERM, or Ctrl-C, stops at once.

Both endpoints skip the ``Host`` check (a probe names the pod's address, a proxy's health
check may name none): they answer a few fixed words, nothing about anyone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import tornado.web

from cam_workbench.serving.http import HardenedHandler

STATE_SETTING: Final = "cam_server_state"
"""Key of the :class:`ServerState` in the tornado application settings."""

POOL_STALE_S: Final = 60.0
"""An empty pool that started no kernel for this long is broken (see :func:`readiness`)."""

DRAIN_POLL_S: Final = 1.0
"""How often a drain looks whether the open sessions have ended."""


@dataclass
class ServerState:
    """Whether the server is draining; shared by the handlers, the metrics and the drain."""

    draining_since: float | None = None
    """``time.monotonic()`` of the SIGTERM that started the drain, ``None`` before it."""
    stop_now: bool = False
    """A second SIGTERM: stop without waiting."""
    started: float = field(default_factory=time.monotonic)

    @property
    def draining(self) -> bool:
        """Whether new visits are refused."""
        return self.draining_since is not None


class PoolFigures(Protocol):
    """What readiness reads from the kernel manager (``serving.kernels``)."""

    max_kernels: int
    last_preheated_start: float | None

    def preheated_kernel_count(self) -> int:
        """Kernels ready in the preheated pool."""

    def projected_kernel_count(self) -> int:
        """Kernels there will be once every admitted visit and refill has its kernel."""


def readiness(manager: PoolFigures, state: ServerState, pool_size: int) -> tuple[bool, str]:
    """``(ready, reason)``: whether this server may take a new visit now, and why not.

    Not ready while draining, at the kernel cap, or while the preheated pool does not work:
    before its first kernel, or when none is ready and none started for
    :data:`POOL_STALE_S` (kernels fail to start). A pool emptied by a burst of visits,
    refilling, is no reason: pages are then rendered on a freshly started kernel.
    """
    if state.draining:
        return False, "draining"
    if manager.projected_kernel_count() + 1 > manager.max_kernels:
        return False, "kernel cap reached"
    if pool_size > 0 and manager.preheated_kernel_count() == 0:
        last = manager.last_preheated_start
        if last is None:
            return False, "no preheated kernel yet"
        if time.monotonic() - last > POOL_STALE_S:
            return False, f"no preheated kernel started for {POOL_STALE_S:.0f} s"
    return True, "ready"


class _PlainText(HardenedHandler):
    """A few fixed words, never cached, no cookie, no ``Host`` check."""

    def prepare(self) -> Any:
        """Skip the ``Host`` check (see the module docstring)."""
        return None

    def answer(self, status: int, text: str) -> None:
        """Finish with ``text``."""
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(text + "\n")

    def head(self) -> None:
        """As ``GET``, without the body (tornado drops it)."""
        self.get()

    def get(self) -> None:
        """Overridden."""
        raise NotImplementedError


class HealthHandler(_PlainText):
    """``GET <base URL>healthz``: 200 ``ok`` while the process answers (draining too)."""

    def get(self) -> None:
        """Answer ``ok``."""
        self.answer(200, "ok")


class ReadyHandler(_PlainText):
    """``GET <base URL>readyz``: 200 ``ready``, or 503 and why not (see :func:`readiness`)."""

    def initialize(self, pool_size: int = 0) -> None:
        """``pool_size``: the preheated pool's size (0: no pool to wait for)."""
        self.pool_size = pool_size

    def get(self) -> None:
        """Answer whether a new visit would get a page now."""
        ready, reason = readiness(
            self.settings["kernel_manager"], server_state(self), self.pool_size
        )
        self.answer(200 if ready else 503, reason)


def server_state(handler: Any) -> ServerState:
    """The app's :class:`ServerState` (a fresh one if the app has none)."""
    state = handler.settings.get(STATE_SETTING)
    return state if isinstance(state, ServerState) else ServerState()


class Drain:
    """SIGTERM: refuse new visits, wait for open sessions (up to ``seconds``), then stop."""

    def __init__(
        self,
        state: ServerState,
        connected: Callable[[], int],
        stop: Callable[[], None],
        seconds: float,
        log: Any,
    ) -> None:
        """``connected``: sessions still open; ``stop``: stops the event loop."""
        self.state = state
        self.connected = connected
        self.stop = stop
        self.seconds = seconds
        self.log = log

    def signal(self) -> None:
        """A SIGTERM (called on the event loop): start draining, or stop at once if draining."""
        if self.state.draining:
            self.log.info("Second SIGTERM: stopping now.")
            self.state.stop_now = True
            self.stop()
            return
        self.state.draining_since = time.monotonic()
        self.log.info(
            "SIGTERM: taking no new visits; waiting up to %d s for %d open session(s).",
            self.seconds,
            self.connected(),
        )
        asyncio.ensure_future(self.wait())

    async def wait(self) -> None:
        """Poll until no session is open, the time is up, or a second SIGTERM came."""
        started = self.state.draining_since or time.monotonic()
        while not self.state.stop_now:
            open_sessions = self.connected()
            waited = time.monotonic() - started
            if open_sessions == 0:
                self.log.info("Drained after %.0f s: no session open; stopping.", waited)
                break
            if waited >= self.seconds:
                self.log.info(
                    "Drain time up after %.0f s: stopping with %d session(s) open.",
                    waited,
                    open_sessions,
                )
                break
            await asyncio.sleep(DRAIN_POLL_S)
        self.stop()


class NotFoundHandler(HardenedHandler):
    """Any path outside the server's routes (outside the base URL): the plain 404 page."""

    def prepare(self) -> Any:
        """The ``Host`` check, then 404."""
        super().prepare()
        raise tornado.web.HTTPError(404)
