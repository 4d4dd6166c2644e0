"""What the provisioner and the zygote say to each other: 4-byte length + JSON, fds alongside.

One connection (a Unix stream socket) per kernel. Provisioner → zygote:

- ``{"op": "launch", "argv": [...], "env": {...}, "cwd": "...", "stdio": [how, how]}``, where
  ``how`` is ``"devnull"`` or ``"fd"`` for stdout and stderr; the ``"fd"`` ones travel in the
  same ``sendmsg`` (SCM_RIGHTS), in order;
- ``{"op": "signal", "sig": N}``: signal the kernel's process group (no answer).

Zygote → provisioner: ``{"pid": N}`` or ``{"error": "..."}`` (the answer to launch), then
``{"exit": code}`` once the kernel has been reaped, then end of file. Closing the connection
while the kernel runs makes the zygote kill the kernel: a kernel never outlives its manager.
"""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Sequence
from typing import Any, Final

HEADER: Final = struct.Struct("!I")
MAX_FDS: Final = 4
"""Most file descriptors one message may carry (stdout and stderr need two)."""
MAX_MESSAGE: Final = 1 << 20
"""Largest message body (a launch carries the kernel's environment: a few KiB)."""


class WireError(ValueError):
    """A message that breaks the framing (too large, not a JSON object)."""


def pack(message: dict[str, Any]) -> bytes:
    """One message as bytes: its length, then its JSON."""
    body = json.dumps(message, separators=(",", ":")).encode()
    if len(body) > MAX_MESSAGE:
        raise WireError(f"message of {len(body)} bytes is over {MAX_MESSAGE}")
    return HEADER.pack(len(body)) + body


class Reader:
    """Collects bytes (and passed fds) from a stream socket and yields whole messages."""

    def __init__(self) -> None:
        """Start with nothing buffered."""
        self.buffer = b""
        self.fds: list[int] = []

    def feed(self, data: bytes, fds: Sequence[int] = ()) -> list[dict[str, Any]]:
        """Add what was received; return the messages now complete, in order.

        Raises:
            WireError: a message is too large or is not a JSON object.
        """
        self.buffer += data
        self.fds.extend(fds)
        out: list[dict[str, Any]] = []
        while len(self.buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self.buffer)
            if size > MAX_MESSAGE:
                raise WireError(f"message of {size} bytes is over {MAX_MESSAGE}")
            if len(self.buffer) < HEADER.size + size:
                break
            body = self.buffer[HEADER.size : HEADER.size + size]
            self.buffer = self.buffer[HEADER.size + size :]
            try:
                message = json.loads(body)
            except ValueError as exc:
                raise WireError(f"not JSON: {exc}") from None
            if not isinstance(message, dict):
                raise WireError("a message must be a JSON object")
            out.append(message)
        return out

    def take_fds(self, count: int) -> list[int]:
        """The first ``count`` fds received (fewer if fewer came)."""
        taken, self.fds = self.fds[:count], self.fds[count:]
        return taken


def send(sock: socket.socket, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
    """Send one message on a blocking socket, with ``fds`` in its first ``sendmsg``."""
    data = pack(message)
    if fds:
        sent = socket.send_fds(sock, [data], list(fds))
        data = data[sent:]
    if data:
        sock.sendall(data)
