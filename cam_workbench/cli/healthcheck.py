"""The container's ``HEALTHCHECK``: whether the server of these settings answers.

``python -m cam_workbench.cli.healthcheck`` reads the settings ``serve`` would read (the
``$CAM_SERVE_CONFIG`` file and ``CAM_SERVE_*`` variables; :mod:`.serve_settings`), asks
``http://<host>:<port><base URL>healthz`` (``0.0.0.0`` and ``::`` as loopback) and exits 0
when it answers 200, else 1 with one line on stderr. It starts no kernel.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Final

from cam_workbench.cli import serve_settings
from cam_workbench.cli.common import UsageError

TIMEOUT_S: Final = 3.0


def health_url(environ: Mapping[str, str]) -> str:
    """The ``healthz`` URL of the server these settings describe."""
    blank = {s.key.replace("-", "_"): None for s in serve_settings.SETTINGS}
    settings = serve_settings.resolve(argparse.Namespace(config=None, **blank), environ)
    host = str(settings.get("host", "127.0.0.1"))
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.get('port', 8866)}{settings.get('base-url', '/')}healthz"


def main(environ: Mapping[str, str] | None = None) -> int:
    """0 when the server answers ``healthz`` with 200; 1 otherwise."""
    try:
        url = health_url(os.environ if environ is None else environ)
    except UsageError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            status = response.status
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
