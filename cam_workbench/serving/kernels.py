"""The capped kernel manager: a cap on live kernels, flood resistance, ownership, culling.

See :class:`CappedKernelManager`. Voila wraps it into its preheating manager
(``VoilaConfiguration.multi_kernel_manager_class``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

import tornado.web
from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import (
    AsyncMappingKernelManager,
    ServerKernelManager,
)
from traitlets import Bool, Float, Integer, default
from voila.request_info_handler import RequestInfoSocketHandler
from voila.utils import ENV_VARIABLE

from cam_workbench.serving.sessions import SessionBook, Visitor

SHUTDOWN_GRACE_S: Final = 10.0
"""After an unload beacon, how long to wait for the connected page(s) to leave."""


PAGE_WAIT_S: Final = 20.0
"""Past ``max_unconnected``, how long a visit may wait for a page being rendered to share."""


class KernelEvents(Protocol):
    """Who hears about kernel starts, culls and websocket sessions (``serving.metrics``)."""

    def kernel_started(self, seconds: float, preheated: bool) -> None:
        """A kernel process started (``seconds`` from asking to ready), for the pool or not."""

    def kernel_culled(self, reason: str) -> None:
        """The culler shut a kernel down (``serving.metrics.CULL_REASONS`` names why)."""

    def websocket_opened(self) -> None:
        """A page's websocket connected to its kernel."""


class _NoEvents:
    """Nobody listens."""

    def kernel_started(self, seconds: float, preheated: bool) -> None:
        """Ignored."""

    def kernel_culled(self, reason: str) -> None:
        """Ignored."""

    def websocket_opened(self) -> None:
        """Ignored."""


class _Reservation:
    """A visitor's claim on one kernel, held until the kernel is really started or taken."""

    def __init__(self, manager: CappedKernelManager) -> None:
        self._manager: CappedKernelManager | None = manager

    def release(self) -> None:
        """Give the claim back (idempotent)."""
        if self._manager is not None:
            self._manager._reserved -= 1
            self._manager = None


class CamServerKernelManager(ServerKernelManager):
    """Per-kernel manager; provides what jupyter_server's websocket asks it for.

    With ``allow_tracebacks = False`` the websocket connection reads
    ``traceback_replacement_message`` from the per-kernel manager, where jupyter_server 2
    does not define it; we forward it from the mapping kernel manager.
    """

    @property
    def traceback_replacement_message(self) -> str:
        """The mapping manager's replacement text for tracebacks."""
        return str(getattr(self.parent, "traceback_replacement_message", ""))


@dataclass
class _Page:
    """The rendered page of a handed-out kernel whose page has not connected yet."""

    query: str
    html: str


_KERNEL_ID_IN_PAGE = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S
)


def kernel_id_of_page(page: str) -> str | None:
    """The kernel id a rendered Voila page connects to (from its ``jupyter-config-data``)."""
    match = _KERNEL_ID_IN_PAGE.search(page)
    if not match:
        return None
    try:
        return json.loads(match.group(1)).get("kernelId")
    except ValueError:
        return None


class CappedKernelManager(AsyncMappingKernelManager):
    """A kernel manager with a cap on live kernels, flood resistance and three culling timeouts.

    Voila wraps this class (``VoilaConfiguration.multi_kernel_manager_class``) into its
    preheating manager, so ``self._pools`` / ``self.fill_if_needed`` exist at run time when
    preheating is on; Voila's own ``cull_kernel_if_idle`` skips pool kernels before ours runs.

    Counting: every admitted visit costs one kernel process eventually (it starts one, or takes
    a preheated one and the pool is refilled). A visit is admitted only if live kernels + the
    kernels the pool has yet to start (up to its full size) + visits admitted but not yet
    holding a kernel + 1 <= ``max_kernels``, and if fewer than ``max_unconnected`` kernels
    (visits admitted included) wait for their page to connect. Otherwise the visit is given the
    page of the kernel that has waited longest (:meth:`recycle`), or the busy page.

    Ownership (``self.sessions``, a :class:`~cam_workbench.serving.sessions.SessionBook`): a
    page is handed to visitors; the first websocket session of one of them owns the kernel;
    only the owner may connect, see the kernel (``GET /api/kernels/<id>``) or shut it down.

    Limits: ``max_per_address`` kernels per client address; ``max_session`` seconds per session
    (from the first hand-out, whatever the activity); ``max_client_comms`` comms the page may
    open. Idle time counts from the patient's last real widget activity only.
    """

    max_kernels = Integer(60, config=True, help="Most live kernels, pool included.")
    max_unconnected = Integer(
        8, config=True, help="Most handed-out kernels whose page has not connected yet."
    )
    idle_timeout = Integer(
        600, config=True, help="Seconds of inactivity before a connected kernel is culled."
    )
    unconnected_timeout = Integer(
        60, config=True, help="Seconds before a handed-out kernel whose page never connected."
    )
    disconnected_timeout = Integer(
        60, config=True, help="Seconds after its last page left before a kernel is culled."
    )
    shutdown_grace = Float(
        SHUTDOWN_GRACE_S,
        config=True,
        help="After an unload beacon, seconds to wait for the connected page(s) to leave.",
    )
    discard_kernel_output = Bool(
        True,
        config=True,
        help="Send the kernels' own stdout/stderr to /dev/null so their logs (which can hold "
        "values from widget callbacks) never reach the server log.",
    )
    max_per_address = Integer(
        20, config=True, help="Most kernels one client address may hold; past it, busy page."
    )
    max_session = Integer(
        3 * 3600, config=True, help="Seconds after the first hand-out when a session ends."
    )
    max_client_comms = Integer(8, config=True, help="Most comm_open messages from a page.")

    @default("kernel_manager_class")
    def _default_kernel_manager_class(self) -> str:
        return f"{__name__}.CamServerKernelManager"

    def __init__(self, **kwargs: Any) -> None:
        """Set up the bookkeeping, then let the parent classes start (and preheat)."""
        self._starting: set[str] = set()
        self._starting_preheat: set[str] = set()
        self._reserved = 0
        self._ever_connected: set[str] = set()
        self._handed_out_at: dict[str, datetime] = {}
        self._disconnected_at: dict[str, datetime] = {}
        self._pages: dict[str, _Page] = {}
        self._shutdown_requested: dict[str, float] = {}
        self._query_sockets: set[str] = set()
        self.sessions = SessionBook()
        self.events: KernelEvents = _NoEvents()
        self.last_preheated_start: float | None = None
        """``time.monotonic()`` when a kernel for the pool last started (readiness reads it)."""
        super().__init__(**kwargs)

    # -- counting and the cap -------------------------------------------------------------

    def _pool_state(self) -> tuple[set[str], int]:
        """Kernel ids ready in the preheated pool, and the number of kernels the pool will add.

        The second number is the pool's target size minus its ready kernels: entries still
        starting and the refills of entries already handed out.
        """
        ready: set[str] = set()
        target = 0
        pools = getattr(self, "_pools", {})
        configs = getattr(self, "kernel_pools_config", {})
        default_size = configs.get("default", {}).get("pool_size", 1)
        for notebook, pool in pools.items():
            target += configs.get(notebook, {}).get("pool_size", default_size)
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    kernel_id = task.result().get("kernel_id")
                    if kernel_id:
                        ready.add(kernel_id)
        return ready, max(0, target - len(ready))

    def preheated_kernel_count(self) -> int:
        """Kernels ready in the preheated pool (waiting for a visit)."""
        return len(self._pool_state()[0])

    def connected_kernel_count(self) -> int:
        """Kernels with at least one page connected."""
        return sum(1 for k in list(self._kernels) if self.connection_count(k) > 0)

    def websocket_count(self) -> int:
        """Websocket connections open to the kernels."""
        return sum(int(n) for n in dict(self._kernel_connections).values())

    def live_kernel_count(self) -> int:
        """Kernel processes running or being started."""
        return len(set(self._kernels) | self._starting)

    def projected_kernel_count(self) -> int:
        """Kernels there will be once every pool refill and admitted visit has its kernel.

        Live kernels, plus what the pool still has to start, plus visits admitted but not yet
        holding a kernel; pool kernels being started are in both of the first two terms.
        """
        _, to_start = self._pool_state()
        return (
            self.live_kernel_count()
            + max(0, to_start - len(self._starting_preheat))
            + self._reserved
        )

    def unconnected_kernels(self) -> list[str]:
        """Handed-out kernels whose page never connected, the longest waiting first."""
        waiting = [
            kernel_id
            for kernel_id in self._handed_out_at
            if kernel_id in self._kernels and kernel_id not in self._ever_connected
        ]
        return sorted(waiting, key=lambda kernel_id: self._handed_out_at[kernel_id])

    def try_reserve(self) -> _Reservation | None:
        """Admit one visit if the cap allows it; ``None``: recycle a page, or "busy"."""
        self.prune_pool()
        self.note_handed_out()
        if self.projected_kernel_count() + 1 > self.max_kernels:
            return None
        if len(self.unconnected_kernels()) + self._reserved + 1 > self.max_unconnected:
            return None
        self._reserved += 1
        return _Reservation(self)

    # -- pages that never connected, and who owns a kernel -------------------------------

    def keep_page(self, page: str, query: str) -> None:
        """Remember a page just handed out, for :meth:`recycle`, until its kernel connects."""
        kernel_id = kernel_id_of_page(page)
        if kernel_id and kernel_id in self._kernels and kernel_id not in self._ever_connected:
            self._pages[kernel_id] = _Page(query, page)

    def recycle(self, query: str) -> str | None:
        """The page of the kernel that has waited longest for its page, for a new visit.

        Only a kernel that no page ever connected to (so nobody has used it) and whose page was
        made for the same query string. Its wait starts again. ``None`` if there is none.
        """
        self.note_handed_out()
        for kernel_id in self.unconnected_kernels():
            page = self._pages.get(kernel_id)
            if page is not None and page.query == query:
                self._handed_out_at[kernel_id] = utcnow()
                return page.html
        return None

    def pages_in_progress(self) -> int:
        """Admitted visits whose page is not rendered yet (they will be shareable soon)."""
        return self._reserved + sum(1 for k in self.unconnected_kernels() if k not in self._pages)

    async def wait_to_recycle(self, query: str, timeout_s: float = PAGE_WAIT_S) -> str | None:
        """:meth:`recycle`, waiting (up to ``timeout_s``) for pages still being rendered.

        At the start of a flood every admitted page is still being made: the visits right
        behind them wait for one instead of getting the busy page.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            page = self.recycle(query)
            if page is not None or not self.pages_in_progress():
                return page
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.1)

    def hand_out(self, page: str, visitor: Visitor) -> None:
        """Record that ``visitor`` was given this page (its kernel is theirs to claim)."""
        kernel_id = kernel_id_of_page(page)
        if kernel_id and kernel_id in self._kernels:
            self.sessions.hand_out(kernel_id, visitor, utcnow())

    def claim(self, kernel_id: str, visitor: Visitor, session_id: str) -> bool:
        """May this websocket session connect? The first holder's session owns the kernel."""
        if kernel_id not in self._kernels:
            return False
        return self.sessions.claim(kernel_id, visitor, session_id, utcnow())

    def address_is_full(self, address: str) -> bool:
        """Whether this client address holds ``max_per_address`` kernels already."""
        self.note_handed_out()
        return self.sessions.held_by(address) >= self.max_per_address

    def note_activity(self, kernel_id: str) -> None:
        """The patient acted on the page (a widget update or click): the kernel is not idle."""
        self.sessions.note_activity(kernel_id, utcnow())

    def kernel_name(self, kernel_id: str) -> str | None:
        """The kernel's name (``python3``), ``None`` if it does not run."""
        kernel = self._kernels.get(kernel_id)
        return str(getattr(kernel, "kernel_name", "") or "python3") if kernel else None

    def accept_query_socket(self, kernel_id: str) -> bool:
        """Whether a request-info websocket for this kernel is the kernel's own.

        A preheated kernel connects once, while its notebook runs, before (or just as) its
        page is handed out; a second connection is refused, and so is one for a kernel that
        does not run. (Were a page's holder quicker than its kernel, it would only learn its
        own query string, and the page would show in its default language.)
        """
        live = kernel_id in self._kernels or kernel_id in self._starting
        if not live or kernel_id in self._query_sockets:
            return False
        self._query_sockets.add(kernel_id)
        return True

    def connection_count(self, kernel_id: str) -> int:
        """Websocket connections open to a kernel now."""
        return int(self._kernel_connections.get(kernel_id, 0))

    async def request_shutdown(self, kernel_id: str, identity: str) -> bool:
        """The page's unload beacon: shut the kernel down once no page is connected to it.

        Only the kernel's owner may (or, before anyone connected, its only holder): ``False``
        for anyone else. With the page still connected, wait up to ``shutdown_grace`` seconds
        for it to leave (the beacon usually arrives just before the closing tab's websocket
        closes); if it stays, the beacon came from another tab of the same browser, and is
        ignored.
        """
        if kernel_id not in self._kernels or not self.sessions.may_shut_down(kernel_id, identity):
            return False
        if self.connection_count(kernel_id) == 0:
            await self.shutdown_kernel(kernel_id)
        else:
            self._shutdown_requested[kernel_id] = time.monotonic()
        return True

    async def start_kernel(  # type: ignore[override]
        self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any
    ) -> str:
        """Start a kernel, keeping count of the ones still starting."""
        if kernel_id is not None and kernel_id in self:
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)  # type: ignore[arg-type]
        if self.discard_kernel_output:
            kwargs.setdefault("stdout", subprocess.DEVNULL)
            kwargs.setdefault("stderr", subprocess.DEVNULL)
        new_id = kernel_id or self.new_kernel_id()
        env = kwargs.get("env") or {}
        preheat = env.get(ENV_VARIABLE.VOILA_PREHEAT) == "True"
        self._starting.add(new_id)
        if preheat:
            self._starting_preheat.add(new_id)
        asked = time.monotonic()
        try:
            started = await super().start_kernel(kernel_id=new_id, path=path, **kwargs)  # type: ignore[arg-type]
            if preheat:
                self.last_preheated_start = time.monotonic()
            self.events.kernel_started(time.monotonic() - asked, preheat)
            return started
        finally:
            self._starting.discard(new_id)
            self._starting_preheat.discard(new_id)

    # -- the preheated pool ---------------------------------------------------------------

    def prune_pool(self) -> None:
        """Drop pool entries whose kernel failed to start or died, and refill the pool."""
        pools = getattr(self, "_pools", None)
        fill = getattr(self, "fill_if_needed", None)
        if not pools or fill is None:
            return
        for notebook, pool in list(pools.items()):
            stale = [
                task
                for task in pool
                if task.done()
                and (
                    task.cancelled()
                    or task.exception() is not None
                    or task.result().get("kernel_id") not in self
                )
            ]
            if stale:
                for task in stale:
                    pool.remove(task)
                self.log.warning(
                    "Replacing %d preheated kernel(s) that failed or died.", len(stale)
                )
                fill(delay=None, notebook_name=notebook)

    # -- culling --------------------------------------------------------------------------

    def note_handed_out(self) -> None:
        """Record when each kernel left the pool (the never-connected timer starts there)."""
        ready, _ = self._pool_state()
        now = utcnow()
        for kernel_id in list(self._kernels):
            if kernel_id in ready or kernel_id in self._starting:
                self._handed_out_at.pop(kernel_id, None)
            else:
                self._handed_out_at.setdefault(kernel_id, now)
        known = set(self._handed_out_at) | set(self._pages) | self._ever_connected
        gone = (known | set(self.sessions.kernel_ids()) | self._query_sockets) - set(self._kernels)
        for kernel_id in gone - self._starting:
            self._forget(kernel_id)

    def notify_connect(self, kernel_id: str) -> None:
        """Remember that a page connected to this kernel; its page is no longer shared."""
        super().notify_connect(kernel_id)
        self.events.websocket_opened()
        if kernel_id in self._kernels:
            self._ever_connected.add(kernel_id)
            self._pages.pop(kernel_id, None)
            self._disconnected_at.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id: str) -> None:
        """Note when the last page left; honour a pending unload beacon."""
        super().notify_disconnect(kernel_id)
        if kernel_id not in self._kernels or self.connection_count(kernel_id) > 0:
            return
        self._disconnected_at[kernel_id] = utcnow()
        requested = self._shutdown_requested.pop(kernel_id, None)
        if requested is not None and time.monotonic() - requested <= self.shutdown_grace:
            asyncio.ensure_future(self.shutdown_kernel(kernel_id))

    async def shutdown_all(self, now: bool = False) -> None:  # type: ignore[override]
        """Shut every kernel down; first let the ones still starting finish starting.

        jupyter_server cannot shut down a kernel that is still starting (it raises, the
        server stopped with a traceback and that kernel kept running). A pool refill may
        start one more kernel meanwhile (after a drain, say): it is waited for in turn, and a
        kernel that is gone by the time its turn comes is skipped.
        """
        for _ in range(3):
            pending = [
                t for t in dict(self._pending_kernels).values() if isinstance(t, asyncio.Future)
            ]
            if pending:
                await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S * 3)
            kernel_ids = list(self._kernels)
            for kernel_id in kernel_ids:
                if kernel_id in self._kernels:
                    with contextlib.suppress(tornado.web.HTTPError, KeyError, RuntimeError):
                        await self.shutdown_kernel(kernel_id, now=now)
            if not self._kernels and not self._pending_kernels:
                return

    async def shutdown_kernel(  # type: ignore[override]
        self, kernel_id: str, *args: Any, **kwargs: Any
    ) -> None:
        """Shut a kernel down and forget what we kept about it."""
        self._forget(kernel_id)
        await super().shutdown_kernel(kernel_id, *args, **kwargs)

    def _forget(self, kernel_id: str) -> None:
        for table in (
            self._handed_out_at,
            self._disconnected_at,
            self._pages,
            self._shutdown_requested,
        ):
            table.pop(kernel_id, None)
        self._ever_connected.discard(kernel_id)
        self._query_sockets.discard(kernel_id)
        self.sessions.forget(kernel_id)
        RequestInfoSocketHandler._cache.pop(kernel_id, None)

    async def cull_kernels(self) -> None:
        """One culling pass: repair the pool, note hand-outs, then check every kernel."""
        self.prune_pool()
        self.note_handed_out()
        await super().cull_kernels()

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Cull a kernel whose page never connected, left, or went idle (three timeouts).

        Never connected: ``unconnected_timeout`` after it was handed out. Its page left (no
        websocket open): ``disconnected_timeout`` after the last one closed (or the last
        activity, if later). Connected: ``idle_timeout`` without the patient's activity (a
        widget update or click; messages that are not count for nothing), so an abandoned
        open tab does not hold a kernel for good; the page then shows its "session lost"
        notice. Busy kernels are spared, except past ``max_session``: then every session ends.
        """
        kernel = self._kernels.get(kernel_id)
        if kernel is None or kernel_id in self._starting:
            return
        if getattr(kernel, "execution_state", None) == "dead":
            if kernel_id in self._kernels:
                self.events.kernel_culled("dead")
            await super().cull_kernel_if_idle(kernel_id)
            return
        now = utcnow()
        session = self.sessions.get(kernel_id)
        if session is not None and (now - session.handed_out).total_seconds() > self.max_session:
            self.log.info(
                "Culling kernel %s: session older than %d s.", kernel_id, self.max_session
            )
            self.events.kernel_culled("session_limit")
            await self.shutdown_kernel(kernel_id)
            return
        last_activity = getattr(kernel, "last_activity", None)
        if last_activity is None:
            return
        since = max(last_activity, self._handed_out_at.get(kernel_id, last_activity))
        if kernel_id not in self._ever_connected:
            limit, reason, code = (
                self.unconnected_timeout,
                "page never connected",
                "never_connected",
            )
        elif self.connection_count(kernel_id) == 0:
            limit, reason, code = self.disconnected_timeout, "page gone", "page_gone"
            since = max(since, self._disconnected_at.get(kernel_id, since))
        else:
            limit, reason, code = self.idle_timeout, "idle", "idle"
            since = session.activity if session is not None else since
        idle_s = (now - since).total_seconds()
        if idle_s <= limit or (kernel.execution_state == "busy" and not self.cull_busy):
            return
        self.log.info("Culling kernel %s: %s for %d s.", kernel_id, reason, idle_s)
        self.events.kernel_culled(code)
        await self.shutdown_kernel(kernel_id)
