"""The Voila application of the patient server, and :func:`serve`, which runs it."""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, Final

import tornado.web
from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.utils import url_path_join
from traitlets import Bool, Dict, Float, Integer, List, Unicode, default
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from cam_workbench.serving import rendering
from cam_workbench.serving.channels import PatientConnection
from cam_workbench.serving.config import kernel_environment, voila_config
from cam_workbench.serving.handlers import (
    PatientKernelWebsocketHandler,
    PatientPageHandler,
    PatientShutdownHandler,
)
from cam_workbench.serving.http import (
    DEFAULT_FRAME_ANCESTORS,
    POLICY_SETTING,
    HttpPolicy,
    PrivacyLogFilter,
    harden,
)
from cam_workbench.serving.logs import use_json
from cam_workbench.serving.metrics import METRICS_SETTING, MetricsHandler, ServerMetrics
from cam_workbench.serving.operations import (
    STATE_SETTING,
    Drain,
    HealthHandler,
    NotFoundHandler,
    ReadyHandler,
    ServerState,
    readiness,
)
from cam_workbench.serving.options import ServeOptions
from cam_workbench.serving.routes import KernelQuerySocket, PatientKernelHandler
from cam_workbench.serving.runtime import RuntimeFolderProblem, claim_runtime_folder
from cam_workbench.serving.static import (
    CamLabextensionsHandler,
    CamStaticHandler,
    CamTemplateStaticHandler,
    static_version,
)

MAX_BODY_BYTES: Final = 64 * 1024
"""Largest HTTP request body: the page only posts its unload beacon (a few hundred bytes)."""


_TORNADO_LOGGERS: Final = ("tornado.access", "tornado.application", "tornado.general")
_log = logging.getLogger(__name__)


class CamVoila(Voila):
    """Voila with our handlers only, hardened; no config files; a privacy-minded log."""

    texts = Dict(config=True, help="ServerTexts as a dict, for the server's own pages.")
    allowed_hosts = List(
        Unicode(), config=True, help="Host names a request may use (see serving.http)."
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
    cookie_options = Dict(
        {"samesite": "Strict"}, config=True, help="SameSite/Secure of the cookies we set."
    )
    metrics_port = Integer(0, config=True, help="Port of the metrics listener (0: none).")
    metrics_host = Unicode("127.0.0.1", config=True, help="Address of the metrics listener.")
    json_log = Bool(False, config=True, help="Log one JSON object per line (--log-format json).")
    drain_seconds = Integer(60, config=True, help="On SIGTERM, how long open sessions may take.")
    review_due = Float(0.0, config=True, help="Unix time the content's next review is due.")

    @default("config_file_paths")
    def _config_file_paths_default(self) -> list[str]:
        # A stray voila.json / voila.py must not undo the production settings.
        return []

    def initialize(self, argv: list[str] | None = None) -> None:
        """Initialize Voila, then filter its log and tornado's (see ``PrivacyLogFilter``).

        Tornado's and asyncio's lines lose their tracebacks too (they can come from odd
        requests); Voila's own keep theirs (e.g. why a preheated kernel failed). Voila's
        page rendering shares one compiled-template cache (:mod:`.rendering`).
        """
        super().initialize(argv)
        # traitlets leaves the app's logger at DEBUG and lets its handler drop what is below
        # log_level: each debug call (several per kernel message) built a record and ran our
        # privacy filter first. The logger itself now drops them.
        self.log.setLevel(self.log_level)
        rendering.share()  # each patient's page no longer re-parses the templates
        ours = frozenset({self.ip, "0.0.0.0", "::"})
        self.log.addFilter(PrivacyLogFilter(ours, strip_tracebacks=False))
        for name in (*_TORNADO_LOGGERS, "asyncio"):
            logging.getLogger(name).addFilter(PrivacyLogFilter(ours))
        if self.json_log:  # the same filters; one JSON object per line
            use_json([self.log, *(logging.getLogger(n) for n in (*_TORNADO_LOGGERS, "asyncio"))])
        self.server_state = ServerState()
        # Names this process in its pages and answers, so a page whose kernel check reaches
        # another replica (a proxy re-routed it) does not take its 404 for "session lost".
        self.replica_id = secrets.token_hex(6)
        resources = self.config.VoilaConfiguration.get("resources")
        if isinstance(resources, dict):
            resources["cam_replica"] = self.replica_id
        self.metrics = ServerMetrics(review_due_s=self.review_due or None)

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
            replica=self.replica_id,
            partitioned_cookies=self.cookie_options.get("samesite") == "None",
        )
        settings["websocket_max_message_size"] = self.max_message_bytes
        settings["kernel_websocket_connection_class"] = PatientConnection
        # The unload beacon reads _xsrf from document.cookie: not HttpOnly; never cross-site,
        # unless a portal on another site frames the page (serving.placement).
        settings["xsrf_cookie_kwargs"] = {**self.cookie_options, "path": self.base_url}
        settings["default_handler_class"] = harden(NotFoundHandler)
        settings[STATE_SETTING] = self.server_state
        settings[METRICS_SETTING] = self.metrics
        self.kernel_manager.events = self.metrics
        self.metrics.manager = self.kernel_manager
        self.metrics.state = self._ready_and_draining
        return settings

    def _pool_size(self) -> int:
        configuration = self.voila_configuration
        return int(configuration.default_pool_size) if configuration.preheat_kernel else 0

    def _ready_and_draining(self) -> tuple[int, int]:
        ready, _ = readiness(self.kernel_manager, self.server_state, self._pool_size())
        return int(ready), int(self.server_state.draining)

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
        return self._operations_handlers() + handlers

    def _operations_handlers(self) -> list[Any]:
        """Health, readiness and (without a metrics port) metrics under the base URL.

        Also the base URL without its final slash, redirected to the page.
        """
        base = self.server_url
        found: list[Any] = [
            (url_path_join(base, "healthz"), HealthHandler),
            (url_path_join(base, "readyz"), ReadyHandler, {"pool_size": self._pool_size()}),
        ]
        if not self.metrics_port:
            found.append(
                (url_path_join(base, "metrics"), MetricsHandler, {"metrics": self.metrics})
            )
        if base.rstrip("/"):
            found.append((base.rstrip("/"), harden(tornado.web.RedirectHandler), {"url": base}))
        return found

    def listen(self) -> None:
        """Voila's listen, with request bodies capped at :data:`MAX_BODY_BYTES`.

        Tornado reads a request body into memory, up to 100 MB by default.
        """
        app_listen = self.app.listen

        def listen_capped(port: int, address: str | None = None, **kwargs: Any) -> Any:
            return app_listen(port, address, max_body_size=MAX_BODY_BYTES, **kwargs)

        self.app.listen = listen_capped
        if self.metrics_port:
            metrics_app = tornado.web.Application(
                [(r"/metrics", MetricsHandler, {"metrics": self.metrics, "loopback_only": False})],
                default_handler_class=harden(NotFoundHandler),
            )
            metrics_app.listen(self.metrics_port, self.metrics_host, max_body_size=MAX_BODY_BYTES)
            self.log.info("Metrics on http://%s:%d/metrics", self.metrics_host, self.metrics_port)
        super().listen()

    def _handle_signal_stop(self, sig: int, frame: Any) -> None:
        """SIGTERM: drain (see ``serving.operations``) instead of stopping at once."""
        loop = getattr(self, "ioloop", None)
        if loop is None:  # not serving yet: nothing to drain
            raise KeyboardInterrupt
        drain = getattr(self, "_drain", None)
        if drain is None:
            drain = self._drain = Drain(
                self.server_state,
                self.kernel_manager.connected_kernel_count,
                loop.stop,
                self.drain_seconds,
                self.log,
            )
        loop.add_callback_from_signal(drain.signal)

    def _log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Log method, path (no query) and status: pages and errors at INFO, the rest at DEBUG."""
        status = handler.get_status()
        if isinstance(handler, PatientPageHandler):
            self.metrics.page_answered(status)
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
