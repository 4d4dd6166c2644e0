"""The capped kernel manager: a cap on live kernels, flood resistance, ownership, culling.

See :class:`CappedKernelManager`. Voila wraps it into its preheating manager
(``VoilaConfiguration.multi_kernel_manager_class``).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
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

from cam_workbench.serving.handout import (
    EXPIRY_MARGIN_S,
    HAND_ON_AFTER_S,
    PAGE_WAIT_S,
    Candidate,
    Reservation,
    Reservations,
    WaitingPage,
    kernel_id_of_page,
    pick_page,
)
from cam_workbench.serving.limits import roomy
from cam_workbench.serving.sessions import SessionBook, Visitor

SHUTDOWN_GRACE_S: Final = 10.0
"""After an unload beacon, how long to wait for the connected page(s) to leave."""


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


class CappedKernelManager(AsyncMappingKernelManager):
    """A kernel manager with a cap on live kernels, flood resistance and three culling timeouts.

    Voila wraps this class (``VoilaConfiguration.multi_kernel_manager_class``) into its
    preheating manager, so ``self._pools`` / ``self.fill_if_needed`` exist at run time when
    preheating is on; Voila's own ``cull_kernel_if_idle`` skips pool kernels before ours runs.

    Counting: every admitted visit costs one kernel process eventually (it starts one, or takes
    a preheated one and the pool is refilled). A visit is admitted only if live kernels + the
    kernels the pool has yet to start (up to its full size) + visits admitted but not yet
    holding a kernel + 1 <= ``max_kernels``, if fewer than ``max_unconnected`` kernels (visits
    admitted included) wait for their page to connect, and fewer than
    ``max_unconnected_per_address`` of them are the visitor's address's. Otherwise
    (:meth:`wait_for_room`) the visit is given a page nobody connected to that it may have
    (:meth:`recycle`: one handed to the same browser, or to the same address only), or waits
    up to :data:`PAGE_WAIT_S` for room or such a page, or gets the busy page. So requests that
    never connect cost no kernel, and one address cannot take the pages of another's visitors
    nor hold every page waiting to connect.

    Ownership (``self.sessions``, a :class:`~cam_workbench.serving.sessions.SessionBook`): a
    page is handed to a visitor; its first websocket session owns the kernel; only the owner
    may connect, see the kernel (``GET /api/kernels/<id>``) or shut it down.

    Limits: ``max_per_address`` kernels per client address; ``max_session`` seconds per session
    (from the first hand-out, whatever the activity); ``max_client_comms`` comms the page may
    open. Idle time counts from the patient's last real widget activity only.
    """

    max_kernels = Integer(60, config=True, help="Most live kernels, pool included.")
    max_unconnected = Integer(
        8, config=True, help="Most handed-out kernels whose page has not connected yet."
    )
    max_unconnected_per_address = Integer(
        4, config=True, help="Most of those (max_unconnected) one client address may hold."
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
    max_messages_per_s = Float(
        50.0, config=True, help="Most websocket messages a second from a page (burst: 4 s)."
    )

    @default("kernel_manager_class")
    def _default_kernel_manager_class(self) -> str:
        return f"{__name__}.CamServerKernelManager"

    @default("context")
    def _context_default(self) -> Any:
        """The kernels' zmq context, with room for hundreds of sessions (``limits``)."""
        return roomy(super()._context_default())

    def __init__(self, **kwargs: Any) -> None:
        """Set up the bookkeeping, then let the parent classes start (and preheat)."""
        self._starting: set[str] = set()
        self._starting_preheat: set[str] = set()
        self._reserved = Reservations()
        self._ever_connected: set[str] = set()
        self._handed_out_at: dict[str, datetime] = {}
        self._disconnected_at: dict[str, datetime] = {}
        self._pages: dict[str, WaitingPage] = {}
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
            + self._reserved.total
        )

    def unconnected_kernels(self) -> list[str]:
        """Handed-out kernels whose page never connected, the longest waiting first.

        Not those about to be culled (less than the expiry margin left): they are handed to
        nobody and count against no limit.
        """
        margin = min(EXPIRY_MARGIN_S, self.unconnected_timeout / 4)
        now = utcnow()
        waiting = [
            kernel_id
            for kernel_id, since in self._handed_out_at.items()
            if kernel_id in self._kernels
            and kernel_id not in self._ever_connected
            and (now - since).total_seconds() < self.unconnected_timeout - margin
        ]
        return sorted(waiting, key=lambda kernel_id: self._handed_out_at[kernel_id])

    def unconnected_of(self, address: str) -> int:
        """Kernels waiting for a page of this address to connect (admitted visits included)."""
        held = sum(
            1
            for kernel_id in self.unconnected_kernels()
            if (holder := self.sessions.holder(kernel_id)) and holder.address == address
        )
        return held + self._reserved.of(address)

    def try_reserve(self, address: str = "") -> Reservation | None:
        """Admit one visit from ``address`` if the limits allow it; ``None``: they do not."""
        self.prune_pool()
        self.note_handed_out()
        if self.projected_kernel_count() + 1 > self.max_kernels:
            return None
        if len(self.unconnected_kernels()) + self._reserved.total + 1 > self.max_unconnected:
            return None
        if self.unconnected_of(address) + 1 > self.max_unconnected_per_address:
            return None
        return self._reserved.reserve(address)

    # -- pages that never connected, and who owns a kernel -------------------------------

    def keep_page(self, page: str, query: str) -> None:
        """Remember a page just handed out, for :meth:`recycle`, until its kernel connects."""
        kernel_id = kernel_id_of_page(page)
        if kernel_id and kernel_id in self._kernels and kernel_id not in self._ever_connected:
            self._pages[kernel_id] = WaitingPage(query, page)

    def recycle(self, query: str, visitor: Visitor) -> str | None:
        """A page nobody connected to, handed to ``visitor``; ``None`` if there is none.

        Which page: :func:`~cam_workbench.serving.handout.pick_page` (the visitor's own, or one
        of its address made a few seconds ago; never another address's), of a kernel no page
        ever connected to and not about to be culled. Its never-connected time keeps running
        from the first hand-out.
        """
        self.note_handed_out()
        now = utcnow()
        candidates = [
            Candidate(kernel_id, page, holder, (now - since).total_seconds())
            for kernel_id in self.unconnected_kernels()
            if (page := self._pages.get(kernel_id))
            and (holder := self.sessions.holder(kernel_id))
            and (since := self._handed_out_at.get(kernel_id))
        ]
        hand_on_after = min(HAND_ON_AFTER_S, self.unconnected_timeout / 4)
        kernel_id = pick_page(candidates, visitor, query, hand_on_after)
        if kernel_id is None:
            return None
        self.sessions.hand_out(kernel_id, visitor, now)
        page = self._pages[kernel_id]
        page.handed = time.monotonic()
        return page.html

    def _may_change_soon(self) -> bool:
        """Whether a visit that found no room may find some by waiting.

        Pages are being rendered (they may be handed on soon) or wait for their websocket
        (one that connects makes room).
        """
        return bool(self._reserved.total or self.unconnected_kernels())

    async def wait_for_room(
        self, query: str, visitor: Visitor, timeout_s: float = PAGE_WAIT_S
    ) -> Reservation | str | None:
        """Room for a new kernel (a reservation), or a page :meth:`recycle` gives the visitor.

        Waits up to ``timeout_s`` while that may change (at the start of a flood every
        admitted page is still being made; a page that connects makes room); ``None`` then,
        or at once when nothing may change: the busy page.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            room = self.try_reserve(visitor.address) or self.recycle(query, visitor)
            if room is not None or not self._may_change_soon():
                return room
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.1)

    def hand_out(self, page: str, visitor: Visitor) -> None:
        """Record that ``visitor`` was given this new page (its kernel is theirs to claim)."""
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
