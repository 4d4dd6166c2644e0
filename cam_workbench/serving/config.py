"""Voila's configuration with our production settings, built from :class:`ServeOptions`.

:func:`voila_config` is the one place every production setting is written down: sources
stripped, no tracebacks, no template or theme from the URL, our template, preheated kernels,
the capped kernel manager and its timeouts, the hardening options.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
from pathlib import Path
from typing import Any, Final

from jupyter_server.utils import url_path_join
from traitlets.config import Config

from cam_workbench.serving.forkserver import configure as configure_kernel_provisioner
from cam_workbench.serving.http import allowed_hosts, trusted_proxy_set
from cam_workbench.serving.kernels import CappedKernelManager
from cam_workbench.serving.options import TEMPLATE_NAME, ServeOptions, cull_interval_s
from cam_workbench.serving.placement import cookie_options, frame_ancestors_directive

REVEAL_SETTINGS: Final = {
    "transition": "none",
    "scroll": False,
    "width": 1280,
    "height": 800,
    "number": "c/t",
}
"""reveal.js settings of the workshop slides (Voila passes them to the ``reveal`` template)."""


TEMPLATE_ROOT: Final = Path(__file__).resolve().parent.parent / "templates"
"""A Jupyter data directory holding ``voila/templates/cam_workbench``; added to JUPYTER_PATH."""


UNUSED_EXTENSIONS: Final = ("jupyterlab_pygments",)
"""Lab extensions installed with Voila that the page does not need (code highlighting: the
page shows no code). Not loading them saves requests before the first question."""


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
    c.Voila.base_url = options.base_url  # every route and URL of the page under it
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
    c.VoilaConfiguration.page_config_hook = patient_page_config
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
    c.CappedKernelManager.max_messages_per_s = options.max_messages_per_s
    c.CappedKernelManager.max_unconnected_per_address = options.max_unconnected_per_address
    c.VoilaKernelManager.fill_delay = options.refill_delay_s
    # Patient kernels forked from a pre-imported zygote (or spawned), never with the debugger.
    configure_kernel_provisioner(c, fork=options.fork_kernels)
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
    c.CamVoila.frame_ancestors = frame_ancestors_directive(options.frame_ancestors)
    c.CamVoila.max_message_bytes = options.max_message_bytes
    # The login cookie names the visitor (it decides who owns a kernel): never sent cross-site,
    # unless a portal on another site frames the page (see serving.placement).
    c.IdentityProvider.cookie_options = cookie_options(options.frame_ancestors)
    c.CamVoila.cookie_options = cookie_options(options.frame_ancestors)
    # Operations: health, metrics, log format, drain on SIGTERM (see serving.operations).
    c.CamVoila.metrics_port = options.metrics_port or 0
    c.CamVoila.metrics_host = options.metrics_host
    c.CamVoila.json_log = options.log_format == "json"
    c.CamVoila.drain_seconds = options.drain_s
    c.CamVoila.review_due = options.review_due or 0.0
    return c


NO_MATH_SCRIPT: Final = f"voila/templates/{TEMPLATE_NAME}/static/cam-no-math.js"
"""A MathJax that typesets nothing (the page shows no mathematics): its URL under the base
URL, and its file under :data:`TEMPLATE_ROOT`."""


@functools.cache
def no_math_version() -> str:
    """A short hash of :data:`NO_MATH_SCRIPT`'s content: its URL's ``?v=`` (cached a year)."""
    return hashlib.sha256((TEMPLATE_ROOT / NO_MATH_SCRIPT).read_bytes()).hexdigest()[:16]


def patient_page_config(page_config: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Voila ``page_config_hook``: Voila's bundle from a versioned URL; no MathJax.

    JupyterLab typesets every widget label and HTML widget: with MathJax, a patient text with
    two dollar signs ("$20 to $40") would be shown as a formula, and MathJax 3 (16 scripts,
    about 1 MB) would load and run before the first question on every visit. With both
    MathJax options set, JupyterLab uses its MathJax 2 typesetter, which loads the script at
    ``fullMathjaxUrl``: ours (:data:`NO_MATH_SCRIPT`) typesets nothing. Its URL names its
    content's hash (JupyterLab appends its own query after it), so browsers cache it.
    """
    page_config = versioned_static_page_config(page_config, **kwargs)
    base_url = kwargs.get("base_url") or "/"
    script = url_path_join(base_url, NO_MATH_SCRIPT)
    page_config["fullMathjaxUrl"] = f"{script}?v={no_math_version()}"
    page_config["mathjaxConfig"] = "none"
    return page_config


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
