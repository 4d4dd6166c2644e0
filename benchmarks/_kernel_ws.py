"""Patient sessions without a browser: a websocket client speaking the Jupyter widget protocol.

Each session does what the page's JavaScript does, minus the drawing: GET the page (Voila
starts or hands out a kernel), connect to ``/api/kernels/<id>/channels``, ask the widget
control comm for every widget's state (``request_states``), then set a checkbox
(``update``) and click a button (``custom`` / ``click``) with ``comm_msg`` messages.

A click's latency is the time from sending the click to the kernel's ``status: idle`` for
it on iopub: by then every widget update the click caused has reached the client.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from _servers import PageTexts, Server
from websockets.asyncio.client import connect

_CONFIG = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S
)


def _read_by(response: Any, deadline: float) -> bytes:
    """The whole body, or TimeoutError past ``deadline`` (a slowly streamed page counts)."""
    chunks = []
    while chunk := response.read1(65536):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError("the page was still coming at the deadline")
    return b"".join(chunks)


def get_page(url: str, timeout_s: float = 120.0) -> tuple[int, str, dict[str, str]]:
    """GET a page without a websocket: (status, body, the cookies it set by name).

    ``timeout_s`` bounds the whole request (raises TimeoutError), not only each read. The
    cookies matter: the login cookie names the visitor the page (and its kernel) was handed
    to, and only that visitor may connect to the kernel or end it (the server's sessions).
    """
    deadline = time.monotonic() + timeout_s
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = _read_by(response, deadline).decode("utf-8", "replace")
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace")
        status, headers = error.code, error.headers
    cookies = {}
    for cookie in headers.get_all("Set-Cookie") or []:
        name, _, rest = cookie.split(";", 1)[0].partition("=")
        cookies[name.strip()] = rest.strip()
    return status, body, cookies


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    """A ``Cookie`` request header with ``cookies`` (none: no header)."""
    if not cookies:
        return {}
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def kernel_id_of(page: str) -> str | None:
    match = _CONFIG.search(page)
    return json.loads(match.group(1)).get("kernelId") if match else None


def shutdown(url: str, kernel_id: str, cookies: dict[str, str]) -> int:
    """What the page's unload beacon does: POST /voila/api/shutdown/<id> with the _xsrf form."""
    data = urllib.parse.urlencode({"_xsrf": cookies.get("_xsrf", "")}).encode()
    request = urllib.request.Request(
        f"{url}voila/api/shutdown/{kernel_id}",
        data=data,
        headers=cookie_header(cookies),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _decode(frame: str | bytes) -> dict[str, Any]:
    if isinstance(frame, str):
        return json.loads(frame)
    # jupyter_server's legacy binary framing: count, offsets (big-endian uint32), JSON, buffers.
    (count,) = struct.unpack("!I", frame[:4])
    offsets = struct.unpack("!" + "I" * count, frame[4 : 4 * (count + 1)])
    end = offsets[1] if count > 1 else len(frame)
    return json.loads(frame[offsets[0] : end])


@dataclass
class Session:
    """One patient's page, driven over the kernel websocket."""

    server: Server
    kernel_id: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    ws: Any = None
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    idle: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    replies: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    async def open(self) -> str | None:
        """GET the page and connect; return an error text, or ``None`` when ready."""
        status, body, self.cookies = await asyncio.to_thread(get_page, self.server.url)
        if status != 200:
            return f"HTTP {status}"
        kernel_id = kernel_id_of(body)
        if not kernel_id:
            return "no kernel id in the page"
        self.kernel_id = kernel_id
        ws_url = self.server.url.replace("http://", "ws://", 1)
        self.ws = await connect(
            f"{ws_url}api/kernels/{kernel_id}/channels?session_id={self.session_id}",
            max_size=None,
            open_timeout=60,
            additional_headers=cookie_header(self.cookies),
        )
        self.reader = asyncio.create_task(self._read())
        control = uuid.uuid4().hex
        await self._send(
            "comm_open",
            {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
            metadata={"version": "1.0.0"},
        )
        msg_id = await self._send(
            "comm_msg", {"comm_id": control, "data": {"method": "request_states"}}
        )
        async with asyncio.timeout(60):  # not wait_for: see action()
            reply = await self._reply(msg_id)
        self.models = reply["content"]["data"]["states"]
        return None

    async def close(self) -> None:
        """Close the socket (abandoned after 15 s) and send the unload beacon."""
        if self.reader:
            self.reader.cancel()
        if self.ws is not None:
            try:
                async with asyncio.timeout(15):
                    await self.ws.close()
            except TimeoutError:
                self.ws.transport.abort()
        if self.kernel_id:
            await asyncio.to_thread(shutdown, self.server.url, self.kernel_id, self.cookies)

    def find(self, model: str, description: str) -> str:
        """The model id of the (last created) widget of this kind with this description."""
        found = [
            model_id
            for model_id, spec in self.models.items()
            if spec["model_name"] == model and spec["state"].get("description") == description
        ]
        if not found:
            raise LookupError(f"no {model} {description!r}")
        return found[-1]

    async def _send(self, msg_type: str, content: dict[str, Any], metadata: Any = None) -> str:
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "session": self.session_id,
                "username": "",
                "date": "",
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "buffers": [],
            "channel": "shell",
        }
        loop = asyncio.get_running_loop()
        self.idle[msg_id] = loop.create_future()
        await self.ws.send(json.dumps(message))
        return msg_id

    def _reply(self, msg_id: str) -> asyncio.Future[dict[str, Any]]:
        future = self.replies.get(msg_id)
        if future is None:
            future = self.replies[msg_id] = asyncio.get_running_loop().create_future()
        return future

    async def _read(self) -> None:
        async for frame in self.ws:
            message = _decode(frame)
            parent = message.get("parent_header", {}).get("msg_id")
            kind = message.get("msg_type") or message.get("header", {}).get("msg_type")
            if kind == "comm_msg" and message["content"]["data"].get("method") == "update_states":
                future = self._reply(parent)
                if not future.done():
                    future.set_result(message)
            elif kind == "comm_open" and message["content"].get("target_name") == "jupyter.widget":
                # A widget made after the page loaded (the dashboard builds its outcome and
                # guide on the first tick): the page's widget manager learns it this way.
                content = message["content"]
                state = content["data"]["state"]
                model = {"model_name": state["_model_name"], "state": state}
                self.models[content["comm_id"]] = model
            elif kind == "comm_msg" and message["content"]["data"].get("method") == "update":
                model = self.models.get(message["content"]["comm_id"])
                if model is not None:
                    model["state"].update(message["content"]["data"].get("state", {}))
            elif kind == "status" and message["content"].get("execution_state") == "idle":
                future = self.idle.pop(parent, None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())

    async def action(self, comm_id: str, data: dict[str, Any], timeout_s: float = 60.0) -> float:
        """Send a widget message; return seconds until the kernel is idle after it."""
        start = time.perf_counter()
        msg_id = await self._send("comm_msg", {"comm_id": comm_id, "data": data})
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for can swallow a cancellation
        # that lands as the reply arrives, and a session told to stop would click on forever.
        async with asyncio.timeout(timeout_s):
            done = await self.idle[msg_id]
        return done - start

    async def set_value(self, comm_id: str, value: bool) -> float:
        return await self.action(
            comm_id, {"method": "update", "state": {"value": value}, "buffer_paths": []}
        )

    async def click(self, comm_id: str) -> float:
        return await self.action(comm_id, {"method": "custom", "content": {"event": "click"}})


@dataclass
class LoadResult:
    sessions_requested: int
    sessions_open: int = 0
    open_errors: dict[str, int] = field(default_factory=dict)
    open_s: float = 0.0
    clicks_ms: list[float] = field(default_factory=list)
    click_errors: int = 0
    idle_open: int = 0
    """Sessions connected in the background that did not click."""


async def _cycle(
    session: Session, texts: PageTexts, cycles: int, think: tuple[float, float], out: LoadResult
):
    flag = session.find("CheckboxModel", texts.first_flag)
    none = session.find("CheckboxModel", texts.none_option)
    go = session.find("ButtonModel", texts.continue_)
    for index in range(cycles):
        await asyncio.sleep(random.uniform(*think))
        red_flag = index % 2 == 0
        try:
            await session.set_value(flag, red_flag)
            await session.set_value(none, not red_flag)
            await asyncio.sleep(random.uniform(*think))
            out.clicks_ms.append(1000 * await session.click(go))
            if texts.start_again:  # made on the first tick: looked up once it exists
                await asyncio.sleep(random.uniform(*think))
                await session.click(session.find("ButtonModel", texts.start_again))
        except (TimeoutError, ConnectionError, OSError, LookupError):
            out.click_errors += 1
            return


async def open_sessions(
    server: Server, count: int, concurrency: int, result: LoadResult | None = None
) -> list[Session]:
    """Open ``count`` sessions, ``concurrency`` at a time; return those that opened.

    Errors are counted in ``result.open_errors`` when given. Each session connects as soon
    as its page arrives; ``concurrency`` stays under the server's limit of pages not yet
    connected per address (4), as a page's connection is counted a moment after it opens.
    """
    gate = asyncio.Semaphore(concurrency)
    sessions = [Session(server) for _ in range(count)]

    async def open_one(session: Session) -> bool:
        async with gate:
            try:
                error = await session.open()
            except (TimeoutError, ConnectionError, OSError, LookupError) as exc:
                error = type(exc).__name__
            if error:
                if result is not None:
                    result.open_errors[error] = result.open_errors.get(error, 0) + 1
                await session.close()
                return False
            return True

    ok = await asyncio.gather(*(open_one(s) for s in sessions))
    return [s for s, good in zip(sessions, ok, strict=True) if good]


async def close_sessions(sessions: list[Session]) -> None:
    """Close the sockets and end the kernels (the unload beacon), 20 at a time."""
    for start in range(0, len(sessions), 20):
        chunk = sessions[start : start + 20]
        await asyncio.gather(*(s.close() for s in chunk), return_exceptions=True)


async def run_sessions(
    server: Server,
    count: int,
    cycles: int,
    think: tuple[float, float],
    opened: Any,
    open_concurrency: int = 3,
    idle: int = 0,
) -> LoadResult:
    """Open ``idle`` sessions that only stay connected, then ``count`` that click.

    The clicking sessions' first ticks all come within ``think`` (one to three seconds)
    after the last one opened: a burst of first ticks. ``opened`` (a ``threading.Event``)
    is set once every session is open, so a real browser can measure its clicks while the
    sessions click too.
    """
    result = LoadResult(sessions_requested=count)
    background = await open_sessions(server, idle, open_concurrency, result) if idle else []
    result.idle_open = len(background)
    start = time.monotonic()
    live = await open_sessions(server, count, open_concurrency, result)
    result.open_s = time.monotonic() - start
    result.sessions_open = len(live)
    opened.set()
    await asyncio.gather(*(_cycle(s, server.texts, cycles, think, result) for s in live))
    await close_sessions(live + background)
    return result
