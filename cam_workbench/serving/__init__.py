"""Serve the patient notebook with Voila, with production settings (``cam-workbench serve``).

``serve(options)`` runs Voila in the foreground. On top of Voila 0.5 it adds, one concern per
module (read them in this order):

- :mod:`.options`: what can be set (:class:`ServeOptions`) and the server's own texts;
- :mod:`.http`: hardening every route shares: ``Host`` check, security headers (CSP),
  plain error pages, a log without query strings, client addresses or tracebacks;
- :mod:`.sessions`: who owns a kernel (the visitor it was handed to, first session wins) and
  what counts as the patient's activity (widget updates and clicks only);
- :mod:`.channels`: the kernel websocket's message filter, both ways (size, types, comm
  limit; no tracebacks or stderr to the browser);
- :mod:`.handout`: which page nobody connected to a visit may be handed during a flood (its
  own browser's, or its address's; never another address's);
- :mod:`.kernels`: the capped kernel manager: cap on live kernels, per-address limits, flood
  resistance (past them a page nobody connected to is handed on rather than a new kernel
  started), three culling timeouts and a session lifetime, the preheated pool kept full;
- :mod:`.routes`: the kernel check and the preheated kernels' request-info socket;
- :mod:`.handlers`: the page (busy page past the cap), the kernel websocket, the unload beacon;
- :mod:`.static`: Voila's bundle and the template's files, compressed and cached for a year;
- :mod:`.rendering`: one compiled-template cache for every page Voila renders;
- :mod:`.runtime`: the private runtime folder (connection files) and the pinned content of
  ``--production``;
- :mod:`.config`: Voila's configuration with every production setting;
- :mod:`.app`: the Voila application (only our routes) and :func:`serve`.

Our Voila template (``cam_workbench/templates/voila/templates/cam_workbench``) gives the
page title and language from :class:`ServerTexts`, a ``<main>`` landmark, no CDN links and
no inline script, a friendly message instead of error output, and a plain-words notice when
the session is lost. SECURITY.md says what is defended and how.
"""

from cam_workbench.serving.app import CamVoila, serve
from cam_workbench.serving.config import (
    REVEAL_SETTINGS,
    TEMPLATE_ROOT,
    UNUSED_EXTENSIONS,
    kernel_environment,
    patient_page_config,
    versioned_static_page_config,
    voila_config,
)
from cam_workbench.serving.handout import kernel_id_of_page
from cam_workbench.serving.http import plain_page
from cam_workbench.serving.kernels import CamServerKernelManager, CappedKernelManager
from cam_workbench.serving.options import (
    TEMPLATE_NAME,
    WORKSHOP_TEMPLATE,
    ServeOptions,
    ServerTexts,
    cull_interval_s,
    workshop_options,
)
from cam_workbench.serving.static import IMMUTABLE

__all__ = [
    "IMMUTABLE",
    "REVEAL_SETTINGS",
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
    "patient_page_config",
    "versioned_static_page_config",
    "voila_config",
    "workshop_options",
]
