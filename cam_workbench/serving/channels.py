"""The kernel websocket's message filter, in both directions.

From the page to the kernel (:meth:`PatientConnection.handle_incoming_message`): a message
past the connection's rate (a token bucket: ``max_messages_per_s``, with a burst of
:data:`BURST_S` seconds' worth), one that does not parse, is of a type the page never sends,
or is a ``comm_open`` past ``max_client_comms`` is dropped: the kernel never sees it; the log
gets one line at the connection's first drop and the count when it closes, never the
message's content. A widget update or click on a widget of the page counts as the patient's
activity (:class:`~cam_workbench.serving.sessions.SessionBook`), nothing else does. Message
size is capped before this, by tornado (``websocket_max_message_size``).

From the kernel to the page (:meth:`PatientConnection.handle_outgoing_message`): ``stream``
output on stderr, and any stream that carries a Python traceback, never reaches the browser
(jupyter_server already replaces the traceback of ``error`` messages); ``comm_open`` /
``comm_close`` of widgets and the widget manager's state reply tell which comms are the page's.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, cast

from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
)
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

from cam_workbench.serving.sessions import SessionBook

V1_PROTOCOL: Final = "v1.kernel.websocket.jupyter.org"
CLIENT_CHANNELS: Final = frozenset({"shell", "control", "stdin"})
WIDGET_TARGET: Final = "jupyter.widget"
TRACEBACK_MARK: Final = "Traceback (most recent call last)"
_COMM_TYPES: Final = frozenset({"comm_open", "comm_msg", "comm_close"})
MAX_PARTS: Final = 64
"""Most parts a binary message may have (channel, four JSON parts and widget buffers)."""
_ORDER: Final[dict[int, Literal["little", "big"]]] = {
    8: "little",
    4: "big",
}  # v1 protocol / legacy binary messages
BURST_S: Final = 4.0
"""The rate limit's burst: this many seconds' worth of messages may come at once."""


class SessionManager(Protocol):
    """What the connection needs from the kernel manager (``serving.CappedKernelManager``)."""

    sessions: SessionBook
    max_client_comms: int
    max_messages_per_s: float
    allowed_message_types: list[str]

    def note_activity(self, kernel_id: str) -> None:
        """A patient acted on the page of this kernel."""


@dataclass(frozen=True)
class Incoming:
    """The parts of a message from the page that the filter looks at."""

    channel: str
    msg_type: str
    content: dict[str, Any]


def _check_offsets(message: bytes, count: int, width: int, first: int) -> None:
    """Refuse a binary message whose table of parts is not plausible.

    jupyter_server's parsers trust the count of parts in the first bytes: a client sending
    2**60 would make them build a list that size (gigabytes) before anything else happens.
    """
    if not 1 <= count <= MAX_PARTS or width * (count + 1) > len(message):
        raise ValueError("not a kernel message: implausible number of parts")
    offsets = [
        int.from_bytes(message[width * i + first : width * (i + 1) + first], _ORDER[width])
        for i in range(count)
    ]
    if offsets != sorted(offsets) or offsets[-1] > len(message):
        raise ValueError("not a kernel message: parts out of order or out of bounds")


class TokenBucket:
    """At most ``rate`` events a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        """Start full."""
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._last = burst, clock()

    def take(self) -> bool:
        """Take a token for one event; ``False`` when there is none (drop the event)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def parse_incoming(message: str | bytes, v1: bool, unpack: Callable[[bytes], Any]) -> Incoming:
    """Read channel, type and (for comm messages) content of a websocket message.

    Raises ``ValueError`` (or another error of the parsers) when it is not a kernel message.
    """
    if v1:
        if not isinstance(message, bytes) or len(message) < 8:
            raise ValueError("the v1 protocol sends binary messages")
        _check_offsets(message, int.from_bytes(message[:8], "little"), 8, 8)
        channel, parts = deserialize_msg_from_ws_v1(message)
        if len(parts) < 4:
            raise ValueError("a kernel message has header, parent, metadata and content")
        header = unpack(parts[0])
        msg_type = header.get("msg_type") if isinstance(header, dict) else None
        content = unpack(parts[3]) if msg_type in _COMM_TYPES else {}
    else:
        if isinstance(message, bytes):
            if len(message) < 4:
                raise ValueError("too short for a kernel message")
            _check_offsets(message, int.from_bytes(message[:4], "big"), 4, 4)
            msg = deserialize_binary_message(message)
        else:
            msg = json.loads(message)
        if not isinstance(msg, dict):
            raise ValueError("a kernel message is an object")
        channel = msg.get("channel")
        header = msg.get("header")
        for part in ("header", "parent_header", "metadata", "content"):
            if not isinstance(msg.get(part), dict):
                raise ValueError(f"{part} must be an object")
        msg_type = header.get("msg_type") if isinstance(header, dict) else None
        content = msg["content"]
    if not isinstance(channel, str) or not isinstance(msg_type, str):
        raise ValueError("channel and msg_type must be strings")
    if not isinstance(content, dict):
        raise ValueError("content must be an object")
    return Incoming(channel, msg_type, content)


def keep_outgoing(
    parts: Sequence[bytes], unpack: Callable[[bytes], Any]
) -> tuple[bool, str, dict[str, Any]]:
    """Whether an iopub message may go to the page; also its type and (if read) content.

    ``parts``: header, parent header, metadata, content, buffers (as sent by the kernel).
    """
    header = unpack(parts[0])
    msg_type = str(header.get("msg_type", ""))
    if msg_type == "stream":
        content = unpack(parts[3])
        text = str(content.get("text", ""))
        return content.get("name") != "stderr" and TRACEBACK_MARK not in text, msg_type, content
    if msg_type in ("comm_open", "comm_close"):
        return True, msg_type, unpack(parts[3])
    if msg_type == "comm_msg" and b"update_states" in bytes(parts[3]):
        return True, msg_type, unpack(parts[3])
    return True, msg_type, {}


class PatientConnection(ZMQChannelsWebsocketConnection):
    """jupyter_server's kernel websocket connection, with the patient server's filter."""

    @property
    def _manager(self) -> SessionManager | None:
        manager = self.multi_kernel_manager
        return manager if isinstance(getattr(manager, "sessions", None), SessionBook) else None

    _bucket: TokenBucket | None = None
    _dropped: Counter[str] | None = None

    def handle_incoming_message(self, incoming_msg: str) -> None:
        """Check a message from the page; pass it to the kernel, or drop it."""
        if not self.channels:
            return
        if not self._within_rate():
            self._drop("over the message rate")
            return
        try:
            incoming = parse_incoming(
                incoming_msg, self.subprotocol == V1_PROTOCOL, self.session.unpack
            )
        except Exception:
            self._drop("not a kernel message")
            return
        if not self._admit(incoming):
            return
        try:
            super().handle_incoming_message(incoming_msg)
        except Exception as exc:
            self._drop(f"could not be passed on ({type(exc).__name__})")

    def _within_rate(self) -> bool:
        """Take a token from this connection's bucket (made at its first message)."""
        if self._bucket is None:
            rate = float(getattr(self._manager, "max_messages_per_s", 0) or 0)
            if rate <= 0:
                return True
            self._bucket = TokenBucket(rate, rate * BURST_S)
        return self._bucket.take()

    def _drop(self, reason: str) -> None:
        """Count a dropped message; log the connection's first drop (one line, no content)."""
        if self._dropped is None:
            self._dropped = Counter()
        if not self._dropped:
            self.log.warning(
                "Dropping messages from the page of kernel %s: %s (the count follows when "
                "the connection closes).",
                self.kernel_id,
                reason,
            )
        self._dropped[reason] += 1

    def disconnect(self) -> None:  # type: ignore[override]  # sync, as in the parent
        """Close as jupyter_server does; log how many messages were dropped, if any."""
        if self._dropped:
            counts = ", ".join(f"{n} {reason}" for reason, n in self._dropped.most_common())
            self.log.warning(
                "Dropped %d messages from the page of kernel %s: %s.",
                self._dropped.total(),
                self.kernel_id,
                counts,
            )
            self._dropped.clear()
        super().disconnect()

    def _admit(self, incoming: Incoming) -> bool:
        """Whether to pass a parsed message on; note comms and activity on the way."""
        manager = self._manager
        allowed = getattr(self.multi_kernel_manager, "allowed_message_types", None) or ()
        if incoming.channel not in CLIENT_CHANNELS or (
            allowed and incoming.msg_type not in allowed
        ):
            self._drop("of a type the page does not send")
            return False
        if manager is None:
            return True
        book, kernel_id, content = manager.sessions, self.kernel_id, incoming.content
        if incoming.msg_type == "comm_open":
            if not book.allow_client_comm(kernel_id, manager.max_client_comms):
                self._drop(f"comm_open past {manager.max_client_comms}")
                return False
        elif incoming.msg_type == "comm_msg":
            if book.is_widget_activity(kernel_id, content.get("comm_id"), content.get("data")):
                manager.note_activity(kernel_id)
        elif incoming.msg_type == "comm_close":
            book.remove_widget_comm(kernel_id, str(content.get("comm_id", "")))
        return True

    def handle_outgoing_message(self, stream: Any, outgoing_msg: list[Any]) -> None:
        """Pass a kernel message to the page, unless it carries a traceback or stderr."""
        channel = stream if isinstance(stream, str) else getattr(stream, "channel", None)
        if channel == "iopub":
            try:
                _, fed = self.session.feed_identities(outgoing_msg)
                keep, msg_type, content = keep_outgoing(
                    cast("list[bytes]", fed[1:]), self.session.unpack
                )
            except Exception:
                keep, msg_type, content = True, "", {}
            if not keep:
                return
            self._note_comms(msg_type, content)
        super().handle_outgoing_message(stream, outgoing_msg)

    def _note_comms(self, msg_type: str, content: dict[str, Any]) -> None:
        """Remember which comms are the page's widgets."""
        manager = self._manager
        if manager is None or not content:
            return
        book, kernel_id = manager.sessions, self.kernel_id
        if msg_type == "comm_open" and content.get("target_name") == WIDGET_TARGET:
            book.add_widget_comms(kernel_id, [str(content.get("comm_id", ""))])
        elif msg_type == "comm_close":
            book.remove_widget_comm(kernel_id, str(content.get("comm_id", "")))
        elif msg_type == "comm_msg":
            data = content.get("data")
            if isinstance(data, dict) and data.get("method") == "update_states":
                states = data.get("states")
                if isinstance(states, dict):
                    book.add_widget_comms(kernel_id, states)

    def write_stderr(self, error_message: str, parent_header: dict[str, Any]) -> None:
        """The rate limiter's notice goes to the log only, not to the patient's page."""
        self.log.warning("Kernel %s: %s", self.kernel_id, error_message.splitlines()[0])
