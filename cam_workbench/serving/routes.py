"""Small handlers of the patient server that replace what Voila and jupyter_server route.

* :class:`PatientKernelHandler` (``GET /api/kernels/<id>``): the page asks it once at start-up
  (JupyterLab's ``getKernelModel``) and our template every 15 s to see whether its kernel still
  exists. It answers only the visitor the page belongs to, with only ``id`` and ``name``
  (no ``connections``, ``last_activity`` or ``execution_state``), and only ``GET``: a kernel
  cannot be deleted, restarted or interrupted over HTTP.
* :class:`KernelQuerySocket` (``/voila/query/<id>``): Voila sends a preheated kernel the
  request's details (the page's query string) over this websocket. One connection per running
  kernel: the kernel's own, made while its notebook runs.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, cast

import tornado.web
from jupyter_server.base.handlers import APIHandler
from voila.request_info_handler import RequestInfoSocketHandler

from cam_workbench.serving.sessions import SessionBook, Visitor


class RoutesManager(Protocol):
    """What these handlers need from the kernel manager (``serving.CappedKernelManager``)."""

    sessions: SessionBook

    def kernel_name(self, kernel_id: str) -> str | None:
        """The kernel's name (``python3``), ``None`` if it does not run."""

    def accept_query_socket(self, kernel_id: str) -> bool:
        """Whether this is the kernel's own, first request-info connection."""


def visitor_of(handler: tornado.web.RequestHandler) -> Visitor:
    """The visitor of a request: identity of the login cookie and client address."""
    user = handler.current_user
    identity = str(getattr(user, "username", "") or "")
    address_of = getattr(handler, "client_address", None)
    address = address_of() if callable(address_of) else str(handler.request.remote_ip or "")
    return Visitor(identity, address)


class PatientKernelHandler(APIHandler):
    """``GET /api/kernels/<id>``: ``{"id", "name"}`` for the page's own visitor; else 404."""

    @tornado.web.authenticated
    def get(self, kernel_id: str) -> None:
        """Answer whether the visitor's kernel still exists (404 when gone or not theirs)."""
        manager = cast(RoutesManager, self.kernel_manager)
        name = manager.kernel_name(kernel_id)
        if name is None or not manager.sessions.may_see(kernel_id, visitor_of(self).identity):
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
        self.finish(json.dumps({"id": kernel_id, "name": name}))


class KernelQuerySocket(RequestInfoSocketHandler):
    """Voila's request-info websocket, for the kernel itself only."""

    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Refuse (403) anyone but the kernel's own first connection, before the upgrade."""
        kernel_id = str(kwargs.get("kernel_id") or (args[0] if args else ""))
        manager: RoutesManager = self.settings["kernel_manager"]
        if not manager.accept_query_socket(kernel_id):
            raise tornado.web.HTTPError(403)
        await super().get(*args, **kwargs)

    def on_close(self) -> None:
        """Forget this connection (Voila's version fails when it was never registered)."""
        waiters = RequestInfoSocketHandler._waiters
        for kernel_id in [k for k, waiter in waiters.items() if waiter is self]:
            del waiters[kernel_id]
