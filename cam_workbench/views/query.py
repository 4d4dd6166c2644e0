"""The page's query string (``?lang=es``) inside a Voila kernel, without importing Voila.

With preheated kernels the notebook runs before anyone asks for the page; Voila then sends
the request's details over a websocket once a patient opens it. ``voila.utils`` does the same
but imports the whole Jupyter server into the patient's kernel (~1.6 s, tens of MB), so
this is the same small protocol on its own.
"""

from __future__ import annotations

import json
import os


def page_query(timeout_s: float | None = None) -> str | None:
    """Return the query string of the page this kernel serves (``None`` outside Voila).

    In a preheated Voila kernel this waits until a patient opens the page (a pool kernel
    may wait for minutes: by default there is no time limit).
    """
    if os.environ.get("VOILA_PREHEAT", "False") != "False":
        _receive_request_info(timeout_s)
    return os.environ.get("QUERY_STRING")


def _receive_request_info(timeout_s: float | None) -> None:
    """Wait for Voila to send the request's environment and copy it into ``os.environ``."""
    from websockets.sync.client import connect

    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    kernel_id = os.environ.get("VOILA_KERNEL_ID", "")
    url = f"{protocol}://{host}:{port}{base}voila/query/{kernel_id}"
    try:
        with connect(url, open_timeout=5, close_timeout=1) as socket:
            info = json.loads(socket.recv(timeout=timeout_s))
    except (OSError, TimeoutError, ValueError):
        return  # no request details: the page is shown in its default language
    for key, value in info.items():
        os.environ[str(key)] = str(value)
