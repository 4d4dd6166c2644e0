"""Serve the patient notebook with Voila, with production settings.

``serve(options)`` runs Voila in the foreground. On top of Voila 0.5 it adds:

* production configuration (:func:`voila_config`): sources stripped, no tracebacks, no
  ``?template=`` / ``?theme=`` override, 127.0.0.1 by default, preheated kernels, culling;
* a cap on live kernels (:class:`CappedKernelManager`): a visit past the cap gets a plain
  "busy, please try again in a minute" page (HTTP 503) and starts no kernel;
* culling of kernels whose page never connected (short timeout), of kernels whose page
  left (closed tab, lost phone: a short timeout after the last connection went) and of idle
  kernels (long timeout); the preheated pool is never culled and is refilled if a pool kernel
  dies, a few seconds after a visit took one (so the refill does not compete with that visit);
* flood resistance: at most ``max_unconnected`` handed-out kernels may wait for their page to
  connect; past that, a visit is given the page of the one that has waited longest (it is
  still untouched: no page ever connected to it) instead of a new kernel, so requests that
  never connect cost no more kernels, and a real patient arriving during or right after a
  flood still gets a working page at once. A kernel belongs to the first websocket session
  of a visitor it was handed to (``serving_sessions``); only that session may connect, and
  only its visitor may see the kernel or end it with the unload beacon, so a shared page
  can never show one patient another's answers nor end another's session;
* hardening (SECURITY.md): only the routes the page uses, each refusing a foreign ``Host``
  and sending the security headers (``serving_http``); a per-address limit, a session
  lifetime and idle time counted from widget activity only; a websocket message filter and
  size cap, no tracebacks through iopub (``serving_channels``); kernel connection files in
  a private runtime folder (``serving_runtime``);
* static assets (Voila's bundle, the lab extensions, the template's files) sent gzip-compressed
  from memory and, when their URL is versioned, cacheable for a year; dynamic responses
  compressed by tornado, websocket messages with permessage-deflate; extensions the page does
  not use (``jupyterlab_pygments``) are not loaded;
* our own Voila template (``cam_workbench/templates/voila/templates/cam_workbench``): page
  title and language from :class:`ServerTexts`, a ``<main>`` landmark, no CDN links, a friendly
  message instead of error output, and a plain-words notice when the session is lost;
* friendly error pages and a request log that holds only method, path and status (no query
  string, no client address, no traceback from an odd request).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server._tz import utcnow
from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.services.kernels.kernelmanager import (
    AsyncMappingKernelManager,
    ServerKernelManager,
)
from jupyter_server.utils import url_path_join
from traitlets import Bool, Dict, Float, Integer, List, Unicode, default
from traitlets.config import Config
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.utils import ENV_VARIABLE

from cam_workbench.serving_channels import PatientConnection
from cam_workbench.serving_http import (
    DEFAULT_FRAME_ANCESTORS,
    POLICY_SETTING,
    HardenedHandler,
    HttpPolicy,
    PrivacyLogFilter,
    allowed_hosts,
    harden,
    plain_page,
    trusted_proxy_set,
)
from cam_workbench.serving_options import (
    TEMPLATE_NAME,
    WORKSHOP_TEMPLATE,
    ServeOptions,
    ServerTexts,
    cull_interval_s,
    workshop_options,
)
from cam_workbench.serving_routes import KernelQuerySocket, PatientKernelHandler, visitor_of
from cam_workbench.serving_runtime import RuntimeFolderProblem, claim_runtime_folder
from cam_workbench.serving_sessions import SessionBook, Visitor
from cam_workbench.serving_static import (
    IMMUTABLE,
    CamLabextensionsHandler,
    CamStaticHandler,
    CamTemplateStaticHandler,
    static_version,
)

__all__ = [
    "IMMUTABLE",
    "TEMPLATE_NAME",
    "TEMPLATE_ROOT",
    "UNUSED_EXTENSIONS",
    "WORKSHOP_TEMPLATE",
    "CamServerKernelManager",
    "CamVoila",
    "CappedKernelManager",
    "ServeOptions",
    "ServerTexts",
    "cull_interval_s",
    "kernel_environment",
    "kernel_id_of_page",
    "plain_page",
    "serve",
    "versioned_static_page_config",
    "voila_config",
    "workshop_options",
]

REVEAL_SETTINGS: Final = {
    "transition": "none",
    "scroll": False,
    "width": 1280,
    "height": 800,
    "number": "c/t",
}
"""reveal.js settings of the workshop slides (Voila passes them to the ``reveal`` template)."""

TEMPLATE_ROOT: Final = Path(__file__).resolve().parent / "templates"
"""A Jupyter data directory holding ``voila/templates/cam_workbench``; added to JUPYTER_PATH."""

RETRY_AFTER_S: Final = 60
"""``Retry-After`` header of the busy page, in seconds."""

UNUSED_EXTENSIONS: Final = ("jupyterlab_pygments",)
"""Lab extensions installed with Voila that the page does not need (code highlighting: the
page shows no code). Not loading them saves requests before the first question."""

MAX_BODY_BYTES: Final = 64 * 1024
"""Largest HTTP request body: the page only posts its unload beacon (a few hundred bytes)."""

SHUTDOWN_GRACE_S: Final = 10.0
"""After an unload beacon, how long to wait for the connected page(s) to leave."""

PAGE_WAIT_S: Final = 20.0
"""Past ``max_unconnected``, how long a visit may wait for a page being rendered to share."""

_QUERY_OVERRIDES: Final = frozenset({"template", "theme"})
_TORNADO_LOGGERS: Final = ("tornado.access", "tornado.application", "tornado.general")
_log = logging.getLogger(__name__)


def voila_config(options: ServeOptions) -> Config:
    """Build the traitlets configuration for :class:`CamVoila` with our production settings."""
    notebook = Path(options.notebook).resolve()
    texts = dataclasses.asdict(options.texts)
    c = Config()
    c.Voila.notebook_path = str(notebook)
    c.Voila.root_dir = str(notebook.parent)
    c.Voila.ip = options.host
    c.Voila.port = options.port
    c.Voila.port_retries = 0  # fail if the port is taken instead of trying another one
    c.Voila.open_browser = False
    if options.runtime_dir is not None:  # kernel connection files: private, per server
        c.Voila.connection_dir_root = str(options.runtime_dir)
    c.Voila.log_level = logging.INFO  # DEBUG would log kernel message types and more
    c.CamVoila.texts = texts
    # The page: our template, sources stripped, no tracebacks, no override from the URL.
    c.VoilaConfiguration.template = options.template
    c.VoilaConfiguration.theme = "light"
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.allow_template_override = "NO"
    c.VoilaConfiguration.allow_theme_override = "NO"
    c.VoilaConfiguration.resources = {"cam_workbench": texts, "reveal": dict(REVEAL_SETTINGS)}
    # A lighter page: no unused extensions; Voila's bundle from a versioned, cacheable URL.
    c.VoilaConfiguration.extension_denylist = list(UNUSED_EXTENSIONS)
    c.VoilaConfiguration.page_config_hook = versioned_static_page_config
    c.VoilaExecutor.show_tracebacks = False
    c.VoilaExecutor.cell_error_instruction = options.texts.error_message
    # Kernels: preheated pool, our capped manager, culling.
    c.VoilaConfiguration.preheat_kernel = options.pool_size > 0
    c.VoilaConfiguration.default_pool_size = options.pool_size
    c.VoilaConfiguration.progressive_rendering = False  # incompatible with preheating
    c.VoilaConfiguration.multi_kernel_manager_class = CappedKernelManager
    c.CappedKernelManager.max_kernels = options.max_kernels
    c.CappedKernelManager.idle_timeout = options.idle_timeout_s
    c.CappedKernelManager.unconnected_timeout = options.unconnected_timeout_s
    c.CappedKernelManager.disconnected_timeout = options.disconnected_timeout_s
    c.CappedKernelManager.max_unconnected = options.max_unconnected
    c.CappedKernelManager.discard_kernel_output = True
    c.CappedKernelManager.max_per_address = options.max_per_address
    c.CappedKernelManager.max_session = options.max_session_s
    c.CappedKernelManager.max_client_comms = options.max_client_comms
    c.VoilaKernelManager.fill_delay = options.refill_delay_s
    c.MappingKernelManager.cull_idle_timeout = min(
        options.idle_timeout_s, options.unconnected_timeout_s, options.disconnected_timeout_s
    )
    c.MappingKernelManager.cull_interval = cull_interval_s(options)
    c.MappingKernelManager.cull_connected = True
    c.MappingKernelManager.cull_busy = False
    # Errors raised at runtime (e.g. in a widget callback) reach the browser without traceback.
    c.MappingKernelManager.allow_tracebacks = False
    c.MappingKernelManager.traceback_replacement_message = options.texts.error_message
    # A dead kernel is not restarted (it would come back without the page's widgets): the
    # server drops it, the page shows texts.session_lost, and a reload gives a new session.
    c.KernelRestarter.restart_limit = 0
    # HTTP: allowed Host names, trusted proxies, framing, websocket message size, cookies.
    c.CamVoila.allowed_hosts = sorted(allowed_hosts(options.host, options.allowed_hosts))
    c.CamVoila.trusted_proxies = sorted(trusted_proxy_set(options.trusted_proxies))
    c.CamVoila.frame_ancestors = options.frame_ancestors
    c.CamVoila.max_message_bytes = options.max_message_bytes
    # The login cookie names the visitor (it decides who owns a kernel): never sent cross-site.
    c.IdentityProvider.cookie_options = {"samesite": "Strict"}
    return c


def versioned_static_page_config(page_config: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Voila ``page_config_hook``: load Voila's bundle from a URL that names its version.

    The bundle's chunks (``/voila/static/<n>.voila.js``) have no version in their names; under
    ``/voila/static/_/<version>/`` they can be cached for a year (:class:`CamStaticHandler`),
    and a Voila upgrade changes the URL. Webpack loads every chunk from this base URL.
    """
    version = kwargs.get("settings", {}).get("cam_static_version")
    if version:
        base_url = kwargs.get("base_url") or "/"
        page_config["fullStaticUrl"] = url_path_join(base_url, "voila/static/_", version)
    return page_config


def kernel_environment(options: ServeOptions) -> dict[str, str]:
    """Variables :func:`serve` adds to ``os.environ`` (kernels inherit them at launch)."""
    parts = [str(TEMPLATE_ROOT)]
    for part in os.environ.get("JUPYTER_PATH", "").split(os.pathsep):
        if part and part not in parts:
            parts.append(part)
    return {**options.env, "JUPYTER_PATH": os.pathsep.join(parts)}


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

    Ownership (``self.sessions``, a :class:`~cam_workbench.serving_sessions.SessionBook`): a
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
            await ensure_async(self.shutdown_kernel(kernel_id))
        else:
            self._shutdown_requested[kernel_id] = time.monotonic()
        return True

    async def start_kernel(  # type: ignore[override]
        self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any
    ) -> str:
        """Start a kernel, keeping count of the ones still starting."""
        if kernel_id is not None and kernel_id in self:
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        if self.discard_kernel_output:
            kwargs.setdefault("stdout", subprocess.DEVNULL)
            kwargs.setdefault("stderr", subprocess.DEVNULL)
        new_id = kernel_id or self.new_kernel_id()
        env = kwargs.get("env") or {}
        preheat = env.get(ENV_VARIABLE.VOILA_PREHEAT) == "True"
        self._starting.add(new_id)
        if preheat:
            self._starting_preheat.add(new_id)
        try:
            return await super().start_kernel(kernel_id=new_id, path=path, **kwargs)
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
            asyncio.ensure_future(ensure_async(self.shutdown_kernel(kernel_id)))

    async def shutdown_all(self, now: bool = False) -> None:
        """Shut every kernel down; first let the ones still starting finish starting.

        jupyter_server cannot shut down a kernel that is still starting (it raises, the
        server stopped with a traceback and that kernel kept running).
        """
        pending = [t for t in dict(self._pending_kernels).values() if isinstance(t, asyncio.Future)]
        if pending:
            await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S * 3)
        await super().shutdown_all(now=now)

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
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
            await super().cull_kernel_if_idle(kernel_id)
            return
        now = utcnow()
        session = self.sessions.get(kernel_id)
        if session is not None and (now - session.handed_out).total_seconds() > self.max_session:
            self.log.info(
                "Culling kernel %s: session older than %d s.", kernel_id, self.max_session
            )
            await ensure_async(self.shutdown_kernel(kernel_id))
            return
        last_activity = getattr(kernel, "last_activity", None)
        if last_activity is None:
            return
        since = max(last_activity, self._handed_out_at.get(kernel_id, last_activity))
        if kernel_id not in self._ever_connected:
            limit, reason = self.unconnected_timeout, "page never connected"
        elif self.connection_count(kernel_id) == 0:
            limit, reason = self.disconnected_timeout, "page gone"
            since = max(since, self._disconnected_at.get(kernel_id, since))
        else:
            limit, reason = self.idle_timeout, "idle"
            since = session.activity if session is not None else since
        idle_s = (now - since).total_seconds()
        if idle_s <= limit or (kernel.execution_state == "busy" and not self.cull_busy):
            return
        self.log.info("Culling kernel %s: %s for %d s.", kernel_id, reason, idle_s)
        await ensure_async(self.shutdown_kernel(kernel_id))


class PatientPageHandler(HardenedHandler, TornadoVoilaHandler):
    """Voila's page handler: kernel cap, per-address limit, shared pages, busy page."""

    def get_argument(self, name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
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
        """Serve the notebook page, or the busy page past the kernel cap or address limit."""
        if path:  # the one page; nothing else is served from this route
            raise tornado.web.HTTPError(404)
        manager: CappedKernelManager = self.kernel_manager
        visitor = visitor_of(self)
        if manager.address_is_full(visitor.address):
            self.log.info("Busy page: a client address holds %d sessions.", manager.max_per_address)
            self._busy()
            return
        query = self.request.query
        reservation = manager.try_reserve()
        # Set the _xsrf cookie: the page's "shut my kernel down" beacon on unload reads it, and
        # Voila never sets it (voila-dashboards/voila#1458), so closed tabs kept their kernels.
        _ = self.xsrf_token
        if reservation is None:
            page = await manager.wait_to_recycle(query)
            if page is None:
                self._busy()
                return
            manager.hand_out(page, visitor)
            self.set_header("Content-Type", "text/html")
            self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.finish(page)
            return
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

    async def open(self, kernel_id: str) -> None:  # type: ignore[override]
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


class CamVoila(Voila):
    """Voila with our handlers only, hardened; no config files; a privacy-minded log."""

    texts = Dict(config=True, help="ServerTexts as a dict, for the server's own pages.")
    allowed_hosts = List(
        Unicode(), config=True, help="Host names a request may use (see serving_http)."
    )
    trusted_proxies = List(
        Unicode(), config=True, help="Proxy addresses whose X-Forwarded-For names the client."
    )
    frame_ancestors = Unicode(
        DEFAULT_FRAME_ANCESTORS, config=True, help="CSP frame-ancestors of every page."
    )
    max_message_bytes = Integer(
        256 * 1024, config=True, help="Largest websocket message a page may send."
    )

    @default("config_file_paths")
    def _config_file_paths_default(self) -> list[str]:
        # A stray voila.json / voila.py must not undo the production settings.
        return []

    def initialize(self, argv: list[str] | None = None) -> None:
        """Initialize Voila, then filter its log and tornado's (see ``PrivacyLogFilter``).

        Tornado's and asyncio's lines lose their tracebacks too (they can come from odd
        requests); Voila's own keep theirs (e.g. why a preheated kernel failed).
        """
        super().initialize(argv)
        ours = frozenset({self.ip, "0.0.0.0", "::"})
        self.log.addFilter(PrivacyLogFilter(ours, strip_tracebacks=False))
        for name in (*_TORNADO_LOGGERS, "asyncio"):
            logging.getLogger(name).addFilter(PrivacyLogFilter(ours))

    def init_settings(self) -> dict[str, Any]:
        """Voila's tornado settings, with our log, compression, bundle version and hardening.

        Hardening: the HTTP policy, the websocket message cap and filter, cookie flags.
        """
        settings = super().init_settings()
        settings["log_function"] = self._log_request
        settings["compress_response"] = True  # pages and API answers (static files: ours)
        settings["websocket_compression_options"] = {}  # permessage-deflate when offered
        settings["cam_static_version"] = static_version(self.static_paths)
        settings[POLICY_SETTING] = HttpPolicy(
            allowed_hosts=frozenset(self.allowed_hosts),
            texts=dict(self.texts),
            frame_ancestors=self.frame_ancestors,
            trusted_proxies=frozenset(self.trusted_proxies),
            log_name=self.log.name,
        )
        settings["websocket_max_message_size"] = self.max_message_bytes
        settings["kernel_websocket_connection_class"] = PatientConnection
        # The unload beacon reads _xsrf from document.cookie: not HttpOnly, but never cross-site.
        settings["xsrf_cookie_kwargs"] = {"samesite": "Strict"}
        return settings

    def init_handlers(self) -> list[Any]:
        """Only the routes the page uses, each hardened; the bundle also under a versioned URL.

        The page, the kernel websocket, the kernel check, the unload beacon, the preheated
        kernels' request-info socket and the static files. Not routed: jupyter_server's
        login/logout, Voila's themes and files routes (the page uses none of them), and
        anything a later Voila adds until it is listed here.
        """
        ours = {
            TornadoVoilaHandler: PatientPageHandler,
            VoilaKernelWebsocketHandler: PatientKernelWebsocketHandler,
            KernelHandler: PatientKernelHandler,
            VoilaShutdownKernelHandler: PatientShutdownHandler,
            RequestInfoSocketHandler: KernelQuerySocket,
            MultiStaticFileHandler: CamStaticHandler,
            TemplateStaticFileHandler: CamTemplateStaticHandler,
            FileFindHandler: CamLabextensionsHandler,
        }
        version = static_version(self.static_paths)
        handlers = []
        for spec in super().init_handlers():
            handler = ours.get(spec[1]) if len(spec) > 1 else None
            if handler is None:
                continue
            if handler is CamStaticHandler:
                versioned = url_path_join(self.server_url, rf"/voila/static/_/{version}/(.*)")
                options = {**(spec[2] if len(spec) > 2 else {}), "immutable": True}
                handlers.append((versioned, harden(handler), options))
            handlers.append((spec[0], harden(handler), *spec[2:]))
        return handlers

    def listen(self) -> None:
        """Voila's listen, with request bodies capped at :data:`MAX_BODY_BYTES`.

        Tornado reads a request body into memory, up to 100 MB by default.
        """
        app_listen = self.app.listen

        def listen_capped(port: int, address: str | None = None, **kwargs: Any) -> Any:
            return app_listen(port, address, max_body_size=MAX_BODY_BYTES, **kwargs)

        self.app.listen = listen_capped  # type: ignore[method-assign]
        super().listen()

    def _log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Log method, path (no query) and status: pages and errors at INFO, the rest at DEBUG."""
        status = handler.get_status()
        if status < 400:
            log = self.log.info if isinstance(handler, PatientPageHandler) else self.log.debug
        elif status < 500 or status == 503:
            log = self.log.info
        else:
            log = self.log.warning
        request = handler.request
        log(
            "%d %s %s %.0fms",
            status,
            request.method,
            request.path,
            1000.0 * request.request_time(),
        )


def serve(options: ServeOptions) -> int:
    """Run Voila in the foreground until Ctrl-C or SIGTERM; return the exit code.

    Sets ``options.env`` (and ``JUPYTER_PATH`` for our template) in ``os.environ``: kernels
    take their environment from it at launch. Every kernel is shut down on exit.
    """
    notebook = Path(options.notebook)
    if not notebook.is_file():
        _log.error("Notebook not found: %s", notebook)
        return 2
    runtime = None
    if options.runtime_dir is None:
        try:
            runtime = claim_runtime_folder(options.port)
        except RuntimeFolderProblem as exc:
            _log.error("%s", exc)
            return 2
        options = dataclasses.replace(options, runtime_dir=runtime.path)
    os.environ.update(kernel_environment(options))
    # The singleton, as `voila` itself runs it: jupyter_server's handlers log through it.
    app = CamVoila.instance(config=voila_config(options))
    started = time.monotonic()
    try:
        app.initialize([])
        app.start()
    except KeyboardInterrupt:
        return 0
    except SystemExit as exc:  # Voila exits this way when it cannot bind the port
        _log.error("Could not serve on %s:%d (is the port in use?)", options.host, options.port)
        if getattr(app, "connection_dir", ""):
            shutil.rmtree(app.connection_dir, ignore_errors=True)
        return exc.code if isinstance(exc.code, int) and exc.code else 1
    finally:
        CamVoila.clear_instance()
        if runtime is not None:
            runtime.release()
    app.log.info("Stopped after %.0f s.", time.monotonic() - started)
    return 0
