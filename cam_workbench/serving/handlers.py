"""The patient page's own handlers: the page, the kernel websocket and the unload beacon.

Each replaces Voila's (see :meth:`~cam_workbench.serving.app.CamVoila.init_handlers`) and is
hardened (:mod:`cam_workbench.serving.http`).
"""

from __future__ import annotations

from typing import Any, Final

import tornado.web
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from cam_workbench.serving.handout import kernel_id_of_page
from cam_workbench.serving.http import HardenedHandler
from cam_workbench.serving.kernels import CappedKernelManager
from cam_workbench.serving.operations import server_state
from cam_workbench.serving.routes import visitor_of

RETRY_AFTER_S: Final = 60
"""``Retry-After`` header of the busy page, in seconds."""


_QUERY_OVERRIDES: Final = frozenset({"template", "theme"})


class PatientPageHandler(HardenedHandler, TornadoVoilaHandler):
    """Voila's page handler: kernel cap, per-address limit, shared pages, busy page."""

    def get_argument(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Ignore ``?template=`` / ``?theme=`` (overrides are off; they would skip the pool)."""
        if name in _QUERY_OVERRIDES and args:
            return args[0]
        return super().get_argument(name, *args, **kwargs)

    def _busy(self) -> None:
        texts = self.http_policy.texts
        self.send_plain_page(
            503, texts["busy_title"], texts["busy_message"], Retry_After=str(RETRY_AFTER_S)
        )

    @tornado.web.authenticated
    async def get(self, path: str | None = None) -> None:
        """Serve the notebook page; the busy page past the cap or address limit, or draining."""
        if path:  # the one page; nothing else is served from this route
            raise tornado.web.HTTPError(404)
        if server_state(self).draining:  # stopping: new visits go to another replica
            self._busy()
            return
        manager: CappedKernelManager = self.kernel_manager
        visitor = visitor_of(self)
        if manager.address_is_full(visitor.address):
            self.log.info("Busy page: a client address holds %d sessions.", manager.max_per_address)
            self._busy()
            return
        query = self.request.query
        # Set the _xsrf cookie: the page's "shut my kernel down" beacon on unload reads it, and
        # Voila never sets it (voila-dashboards/voila#1458), so closed tabs kept their kernels.
        _ = self.xsrf_token
        room = manager.try_reserve(visitor.address) or await manager.wait_for_room(query, visitor)
        if room is None:
            self._busy()
            return
        if isinstance(room, str):  # a page nobody connected to, now this visitor's
            page = room
            self.set_header("Content-Type", "text/html")
            self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.finish(page)
            return
        reservation = room
        snippets: list[str] = []
        handed_out = False
        try:
            async for snippet in self.get_generator(path=path):
                # The first snippet is only produced once the kernel is started or taken.
                reservation.release()
                snippets.append(snippet)
                if not handed_out and kernel_id_of_page("".join(snippets)):
                    # Before the page (with its kernel id) leaves: the visitor may connect.
                    manager.hand_out("".join(snippets), visitor)
                    handed_out = True
                self.write(snippet)
                self.flush()
        finally:
            reservation.release()
            manager.note_handed_out()
        manager.keep_page("".join(snippets), query)


class PatientKernelWebsocketHandler(HardenedHandler, VoilaKernelWebsocketHandler):
    """The kernel websocket: only the session that owns the kernel may connect."""

    async def pre_get(self) -> None:
        """Refuse, before the upgrade, an unknown kernel (404) and anyone but its owner (403)."""
        manager: CappedKernelManager = self.kernel_manager
        if manager.kernel_name(self.kernel_id) is None:
            raise tornado.web.HTTPError(404)
        visitor = visitor_of(self)
        if not manager.claim(self.kernel_id, visitor, self.get_argument("session_id", "")):
            self.log.warning("Refused a connection to kernel %s: not its page.", self.kernel_id)
            raise tornado.web.HTTPError(403)
        await super().pre_get()

    async def open(self, kernel_id: str) -> None:
        """Connect, with Nagle's algorithm off for this socket.

        Widget messages are small: with Nagle on, each one after the first waited for the
        browser's delayed ACK (40 ms on Linux), which made the page's start-up handshake and
        every click tens of milliseconds slower.
        """
        self.set_nodelay(True)
        await super().open(kernel_id)


class PatientShutdownHandler(HardenedHandler, VoilaShutdownKernelHandler):
    """The page's unload beacon: its owner's page may shut the kernel down."""

    @tornado.web.authenticated
    async def post(self, kernel_id: str) -> None:
        """Shut down now, or when the connected page leaves; 404 when not the visitor's."""
        manager: CappedKernelManager = self.kernel_manager
        if not await manager.request_shutdown(kernel_id, visitor_of(self).identity):
            raise tornado.web.HTTPError(404)
        self.set_status(204)
        self.finish()
