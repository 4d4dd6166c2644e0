"""Room for many kernels in one server process: open files and zmq sockets.

Each connected patient holds about six zmq sockets in the server (the kernel manager's control
socket; the page's shell, iopub, stdin and control channels; the heartbeat), and each socket
one or two file descriptors. libzmq's default cap of 1,023 sockets per context stopped the
benchmark's capacity ramp at about 170 sessions ("Too many open files" from zmq), long before
memory or CPU ran short. The server therefore raises its soft limit on open files to the hard
limit (at most :data:`MAX_OPEN_FILES`) and lets its kernels' zmq context have a socket for
every two of them.
"""

from __future__ import annotations

import resource
from typing import Final, TypeVar

import zmq

MAX_OPEN_FILES: Final = 65536
"""The most open files the server asks for (a few thousand sessions' worth)."""
FILES_PER_SOCKET: Final = 2
"""A zmq socket's file descriptors: its mailbox, and its TCP connection."""
ZMQ_DEFAULT_SOCKETS: Final = 1023

_Context = TypeVar("_Context", bound=zmq.Context)


def raise_open_files(limit: int = MAX_OPEN_FILES) -> int:
    """Raise this process's soft limit on open files towards its hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limit if hard == resource.RLIM_INFINITY else min(hard, limit)
    if wanted > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):  # not allowed here: keep what there is
            pass
    return soft


def socket_cap(open_files: int) -> int:
    """Most zmq sockets for ``open_files`` file descriptors (never under libzmq's default)."""
    return max(ZMQ_DEFAULT_SOCKETS, open_files // FILES_PER_SOCKET)


def roomy(context: _Context) -> _Context:
    """``context`` (before its first socket) allowed a socket per two open files."""
    context.set(zmq.MAX_SOCKETS, socket_cap(raise_open_files()))
    return context
