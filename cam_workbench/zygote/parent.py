"""The zygote: imports what every patient kernel needs once, then forks one kernel per request.

    python -m cam_workbench.zygote --socket PATH [--preload MODULE ...]
                                   [--call MODULE:FUNCTION ...] [--block MODULE ...]

Started by :class:`cam_workbench.serving.forkserver.ForkProvisioner`. Its stdin is a pipe
from the server: end of file means the server is gone, and the zygote ends every kernel and
exits (``PR_SET_PDEATHSIG`` as well). It prints ``READY <pid> <seconds>`` on stdout once it
listens, or exits with :data:`EXIT_UNSAFE` when forking would not be safe.

Fork safety: before any fork the zygote must hold no thread but its own, no zmq context, no
running event loop and no IPython shell (:func:`fork_problems` checks). Everything imported
before ``READY`` is shared copy-on-write with every kernel, and ``gc.freeze()`` keeps the
collector from writing to (and so copying) those pages in the kernels.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import importlib
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any, Final

from cam_workbench.zygote import wire
from cam_workbench.zygote.child import become_kernel, die_with_parent

EXIT_UNSAFE: Final = 3
"""Exit code when a preload made forking unsafe (the provisioner then spawns kernels)."""

PR_SET_THP_DISABLE: Final = 41
STOP_GRACE_S: Final = 3.0
"""On stop, how long kernels get after SIGTERM before SIGKILL."""


def no_huge_pages() -> None:
    """Linux: no transparent huge pages for the zygote and its kernels (inherited by fork).

    With huge pages, one write to a shared 2 MiB page would copy all of it into the kernel.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)


def preload(modules: Sequence[str], calls: Sequence[str], block: Sequence[str]) -> None:
    """Block, import and call what every kernel needs, before any fork.

    ``block``: modules made unimportable (``debugpy``: ipykernel then has no debugger, as it
    does when debugpy is not installed). ipykernel is imported first, so that the ``comm``
    package's functions point at ipykernel's before ipywidgets looks them up.
    """
    for name in block:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    importlib.import_module("ipykernel.ipkernel")
    importlib.import_module("ipykernel.kernelapp")
    importlib.import_module("setproctitle")
    for name in modules:
        importlib.import_module(name)
    for spec in calls:
        module, _, function = spec.partition(":")
        getattr(importlib.import_module(module), function)()


def fork_problems() -> list[str]:
    """What would make a fork unsafe now: empty when it is safe."""
    problems = []
    if threading.active_count() != 1:
        problems.append(f"threads running: {[t.name for t in threading.enumerate()]}")
    zmq = sys.modules.get("zmq")
    if zmq is not None and getattr(zmq.Context, "_instance", None) is not None:
        problems.append("a global zmq context exists")
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            problems.append("an event loop is running")
    shell = sys.modules.get("IPython.core.interactiveshell")
    if shell is not None and shell.InteractiveShell.initialized():
        problems.append("an IPython shell exists")
    return problems


def same_user(conn: socket.socket) -> bool:
    """Whether the peer of a Unix socket runs as our user (SO_PEERCRED; True elsewhere)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


class Zygote:
    """The listening socket, one connection per kernel, and the fork/reap/signal loop."""

    def __init__(self, path: str) -> None:
        """Listen on ``path`` (mode 0600; its folder is the server's private one)."""
        self.path = path
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self.listener.bind(path)
        finally:
            os.umask(old)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.readers: dict[int, wire.Reader] = {}
        self.conns: dict[int, socket.socket] = {}
        self.child_of: dict[int, int] = {}  # connection fd → its kernel's pid
        self.conn_of: dict[int, socket.socket] = {}  # live (unreaped) kernel pid → connection
        self.stopping = False

    def install_signals(self) -> None:
        """SIGCHLD wakes the loop; SIGTERM, SIGINT and SIGHUP stop it."""
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)

    def _stop(self, *_: object) -> None:
        self.stopping = True

    def run(self, lifeline: int = 0) -> None:
        """Serve until stopped or until ``lifeline`` (the server's pipe) reaches end of file."""
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        self.selector.register(lifeline, selectors.EVENT_READ, "lifeline")
        while not self.stopping:
            for key, _ in self.selector.select(timeout=1.0):
                if key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 4096)
                elif key.data == "lifeline":
                    if not os.read(lifeline, 4096):
                        self.stopping = True
                else:
                    self._readable(key.fileobj)  # type: ignore[arg-type]
            self._reap()
        self.shutdown()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return
            if not same_user(conn):
                conn.close()
                continue
            conn.setblocking(False)
            self.conns[conn.fileno()] = conn
            self.readers[conn.fileno()] = wire.Reader()
            self.selector.register(conn, selectors.EVENT_READ, "conn")

    def _readable(self, conn: socket.socket) -> None:
        fd = conn.fileno()
        try:
            data, fds, _, _ = socket.recv_fds(conn, 65536, wire.MAX_FDS)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        if not data:
            for extra in fds:
                os.close(extra)
            self._drop(conn, kill=True)
            return
        try:
            messages = self.readers[fd].feed(data, fds)
        except wire.WireError:
            self._drop(conn, kill=True)
            return
        for message in messages:
            if message.get("op") == "launch" and fd not in self.child_of:
                self._launch(conn, message)
            elif message.get("op") == "signal":
                self._signal(fd, message.get("sig"))

    def _signal(self, fd: int, sig: Any) -> None:
        """Signal a kernel's process group, only while it is unreaped (its pid is still its)."""
        pid = self.child_of.get(fd)
        if pid is None or pid not in self.conn_of or not isinstance(sig, int):
            return
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, ValueError, OverflowError):
            pass
        except PermissionError:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)

    def _drop(self, conn: socket.socket, kill: bool) -> None:
        """Forget a connection; with ``kill``, its kernel (still running) has no manager left."""
        fd = conn.fileno()
        pid = self.child_of.pop(fd, None)
        if kill and pid is not None and pid in self.conn_of:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        self.conns.pop(fd, None)
        for extra in self.readers.pop(fd, wire.Reader()).fds:
            os.close(extra)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn)
        conn.close()

    def _launch(self, conn: socket.socket, request: dict[str, Any]) -> None:
        stdio = [str(s) for s in request.get("stdio", ["devnull", "devnull"])][:2]
        fds = self.readers[conn.fileno()].take_fds(sum(1 for s in stdio if s == "fd"))
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:
            _send(conn, {"error": f"fork failed: {exc}"})
            for extra in fds:
                os.close(extra)
            return
        if pid == 0:  # the child never returns to the loop
            code = 1
            try:
                self._leave()
                code = become_kernel(request, stdio, fds)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except BaseException:
                traceback.print_exc()
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(code)
        for extra in fds:
            os.close(extra)
        self.child_of[conn.fileno()] = pid
        self.conn_of[pid] = conn
        _send(conn, {"pid": pid})

    def _leave(self) -> None:
        """In a child: let go of the zygote's sockets (their fds are closed by the child)."""
        self.selector.close()
        for sock in (self.listener, *self.conns.values()):
            sock.detach()

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.conn_of.pop(pid, None)
            if conn is not None and conn.fileno() in self.conns:
                _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                self._drop(conn, kill=False)

    def shutdown(self) -> None:
        """End every kernel (SIGTERM, SIGKILL after :data:`STOP_GRACE_S`); remove the socket."""
        for pid in list(self.conn_of):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while self.conn_of and time.monotonic() < deadline:
            time.sleep(0.05)
            self._reap()
        for pid in list(self.conn_of):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        self._reap()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.setblocking(True)
    try:
        wire.send(conn, message)
    except OSError:
        pass
    finally:
        conn.setblocking(False)


def main(argv: Sequence[str] | None = None) -> int:
    """Preload, check, listen, print READY, serve."""
    parser = argparse.ArgumentParser(prog="python -m cam_workbench.zygote")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--preload", nargs="*", default=[])
    parser.add_argument("--call", nargs="*", default=[])
    parser.add_argument("--block", nargs="*", default=[])
    args = parser.parse_args(argv)
    # ``python -m`` put the server's folder first on sys.path: kernels must not inherit it
    # (ipykernel_launcher removes it too; the kernel adds its own folder).
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    die_with_parent(signal.SIGTERM)
    no_huge_pages()
    started = time.monotonic()
    preload(args.preload, args.call, args.block)
    problems = fork_problems()
    if problems:
        print(f"zygote: not safe to fork after preloading: {problems}", file=sys.stderr)
        return EXIT_UNSAFE
    zygote = Zygote(args.socket)
    zygote.install_signals()
    gc.collect()
    gc.freeze()  # the collector never writes to the preloaded objects' pages in the kernels
    print(f"READY {os.getpid()} {time.monotonic() - started:.2f}", flush=True)
    os.dup2(2, 1)  # nobody reads the stdout pipe after READY
    zygote.run()
    return 0
