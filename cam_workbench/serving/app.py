"""The Voila application of the patient server, and :func:`serve`, which runs it."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any, Final

import tornado.web
from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.utils import url_path_join
from traitlets import Dict, Integer, List, Unicode, default
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

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

        self.app.listen = listen_capped
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
