"""Download links whose file is made in the browser from the page itself (data URLs)."""

from __future__ import annotations

import base64
from html import escape


def data_link(payload: str, mime: str, filename: str, label: str) -> str:
    """A download link whose file is made in the browser from the page itself (a data URL).

    Nothing is written on the server: the patient's copy exists only in their browser.
    """
    data = base64.b64encode(payload.encode("utf-8")).decode("ascii")
    return (
        f'<a class="cam-download" href="data:{mime};charset=utf-8;base64,{data}" '
        f'download="{escape(filename)}">{escape(label)}</a>'
    )
