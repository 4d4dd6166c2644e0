"""A raw HTTP and websocket client for the patient server, as an attacker (or a test) uses it.

Requests go through ``http.client`` so a test controls every header (``Host``,
``X-Forwarded-For``) and the source address; the kernel websocket speaks the plain JSON
protocol (no subprotocol), and carries the cookies of the visit that fetched the page.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from websockets.sync.client import ClientConnection, connect

CONFIG_DATA = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S
)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[0] if found else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


@dataclass
class Visit:
    """One visitor: the cookies it was given, and its page's kernel (if it got a page)."""

    url: str
    source: str | None = None
    """Source address of the requests (e.g. 127.0.0.2: another client on this machine)."""
    response: Response | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def kernel_id(self) -> str | None:
        match = CONFIG_DATA.search(self.response.body if self.response else "")
        return json.loads(match.group(1)).get("kernelId") if match else None

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, body: str | None = None, **headers: str) -> Response:
        """A request with this visitor's cookies (``Cookie`` may be overridden)."""
        sent = {
            "Cookie": self.cookie_header,
            **{k.replace("_", "-"): v for k, v in headers.items()},
        }
        if body is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        response = request(self.url, method, path, body=body, headers=sent, source=self.source)
        for value in response.all("Set-Cookie"):
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response

    def open_page(self, query: str = "", **headers: str) -> Response:
        self.response = self.request("GET", (urlsplit(self.url).path or "/") + query, **headers)
        return self.response

    def beacon(self, kernel_id: str) -> int:
        """The page's unload beacon, as the browser sends it (form field _xsrf + cookies)."""
        xsrf = self.cookies.get("_xsrf", "")
        return self.request("POST", f"/voila/api/shutdown/{kernel_id}", body=f"_xsrf={xsrf}").status

    def kernel_status(self, kernel_id: str) -> Response:
        return self.request("GET", f"/api/kernels/{kernel_id}")

    def connect(self, kernel_id: str | None = None, session: str | None = None) -> KernelSocket:
        """Open the kernel websocket of ``kernel_id`` (default: this visitor's page)."""
        return KernelSocket.open(self, kernel_id or self.kernel_id or "", session)


def request(
    url: str,
    method: str,
    path: str,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
) -> Response:
    """One raw HTTP request to the server at ``url``."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=90, source_address=(source, 0) if source else None
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Response(
            response.status, response.getheaders(), response.read().decode(errors="replace")
        )
    finally:
        conn.close()


def message(
    msg_type: str,
    content: dict[str, Any],
    channel: str = "shell",
    metadata: dict[str, Any] | None = None,
) -> str:
    """A kernel message in the websocket's JSON protocol."""
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "username": "",
        "session": "raw",
        "date": "",
        "version": "5.3",
    }
    return json.dumps(
        {
            "header": header,
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
    )


@dataclass
class KernelSocket:
    """A kernel websocket speaking the JSON protocol."""

    socket: ClientConnection
    session: str

    @classmethod
    def open(cls, visit: Visit, kernel_id: str, session: str | None = None) -> KernelSocket:
        session = session or uuid.uuid4().hex
        base = visit.url.replace("http://", "ws://", 1).rstrip("/")
        socket = connect(
            f"{base}/api/kernels/{kernel_id}/channels?session_id={session}",
            additional_headers={"Cookie": visit.cookie_header},
            open_timeout=60,
            max_size=None,
            legacy=True,  # a connection kept open across calls, not a context manager
        )
        return cls(socket, session)

    def send(
        self,
        msg_type: str,
        content: dict[str, Any],
        channel: str = "shell",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.socket.send(message(msg_type, content, channel, metadata))

    def receive(self, seconds: float) -> list[dict[str, Any]]:
        """Every message that arrives within ``seconds``."""
        found = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = self.socket.recv(timeout=left)
            except TimeoutError:
                break
            found.append(json.loads(raw) if isinstance(raw, str) else {"binary": raw})
        return found

    def widget_states(self) -> dict[str, dict[str, Any]]:
        """The page's widgets (model id → state), as the widget manager asks for them."""
        control = uuid.uuid4().hex
        self.send(
            "comm_open",
            {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
            metadata={"version": "1.0.0"},  # the widget control protocol the page speaks
        )
        self.send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for msg in self.receive(1):
                data = msg.get("content", {}).get("data", {})
                if msg.get("msg_type") == "comm_msg" and data.get("method") == "update_states":
                    self.send("comm_close", {"comm_id": control, "data": {}})
                    return data["states"]
        raise AssertionError("no widget states")

    def update(self, model_id: str, state: dict[str, Any]) -> None:
        """What the page sends when the patient changes a widget."""
        self.send(
            "comm_msg",
            {"comm_id": model_id, "data": {"method": "update", "state": state, "buffer_paths": []}},
        )

    def close(self) -> None:
        self.socket.close()


def checkbox_of(states: dict[str, dict[str, Any]]) -> str:
    """The model id of a checkbox of the page."""
    for model_id, state in states.items():
        if state.get("state", {}).get("_model_name") == "CheckboxModel":
            return model_id
    raise AssertionError("no checkbox on the page")
