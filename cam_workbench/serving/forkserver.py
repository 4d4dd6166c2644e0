"""Patient kernels forked from a pre-imported zygote: a jupyter_client kernel provisioner.

:class:`ForkProvisioner` is a ``LocalProvisioner``: jupyter_client prepares everything before
the process exists as usual (ports, the connection file in the server's private folder, the
command line, the kernel's own environment). Only the launch differs: instead of ``Popen``,
the arguments, environment, folder and stdout/stderr go to the zygote
(:mod:`cam_workbench.zygote`) over a Unix socket in that private folder, and the zygote
forks. Each kernel keeps its own connection to the zygote, through which it is polled
(exit code), signalled (interrupt, terminate, kill: only while the zygote has not reaped it,
so a reused pid is never hit) and finally released (closing it kills a kernel still running).

Registered as the entry point ``cam-fork`` (group ``jupyter_client.kernel_provisioners``) and
made the default provisioner of ``cam-workbench serve`` only (:func:`configure`); Voila,
its preheated pool and :class:`~cam_workbench.serving.kernels.CappedKernelManager` are
unchanged. Kernels are spawned the usual way, still without the debugger
(:mod:`cam_workbench.zygote.launch`), when forking is off (``serve --no-fork-kernels``),
when the kernelspec runs another interpreter, when stdout/stderr must be pipes, or when the
zygote cannot run (a preload made forking unsafe: for good; it failed to start: tried again
after :data:`RETRY_AFTER_S`). Each reason is logged once. A zygote that died (its kernels
end with it) is replaced at the next launch.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Final

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, List, Unicode
from traitlets.config import Config

from cam_workbench.zygote import wire
from cam_workbench.zygote.launch import BLOCKED
from cam_workbench.zygote.parent import EXIT_UNSAFE

PROVISIONER_NAME: Final = "cam-fork"
"""The entry point name (pyproject.toml) that kernelspecs and configuration use."""

PATIENT_PRELOAD: Final = (
    "ipywidgets",
    "cam_workbench.views",
    "cam_workbench.views.query",
    "cam_workbench.views.tracker",
    "websockets.sync.client",
)
"""What the patient notebook imports (the tracker when opened, websockets when preheated)."""

PATIENT_CALLS: Final = ("cam_workbench.views.patient:preload_content",)
"""Loads the content once, in the zygote (``views.patient.preload_content``)."""

LAUNCHERS: Final = ("ipykernel_launcher", "cam_workbench.zygote.launch")
LEAN_LAUNCHER: Final = "cam_workbench.zygote.launch"

RETRY_AFTER_S: Final = 60.0
"""After the zygote failed to start, kernels are spawned for this long before it is retried
(a broken preload must not cost a failed start per visit)."""

READY_TIMEOUT_S: Final = 120.0
LAUNCH_TIMEOUT_S: Final = 30.0
MAX_SOCKET_PATH: Final = 100  # sun_path holds 108 bytes on Linux

_said: set[str] = set()


def _log_once(log: Any, key: str, message: str, *args: object) -> None:
    """A warning the first time ``key`` comes up in this server, a debug line after that."""
    if key in _said:
        log.debug(message, *args)
    else:
        _said.add(key)
        log.warning(message, *args)


class ZygoteUnavailable(RuntimeError):
    """The zygote cannot fork kernels now; the message says why."""


class Zygote:
    """The server's handle on one zygote process, shared by the kernels of one configuration.

    Started from the thread that launches a kernel (the server's event loop), with stdin as
    its lifeline; the wait for ``READY`` happens in a helper thread, so the loop never blocks.
    """

    def __init__(self, preload: list[str], calls: list[str], block: list[str]) -> None:
        """Remember what to preload; nothing starts until :meth:`ensure`."""
        self.preload, self.calls, self.block = preload, calls, block
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.path = ""
        self._own_dir: str | None = None
        self._lock = threading.Lock()
        self._starting: concurrent.futures.Future[None] | None = None
        self._failed_at: float | None = None
        self._unsafe = ""
        self.starts = 0

    def alive(self) -> bool:
        """Whether the zygote process runs and has said READY."""
        return self.pid is not None and self.process is not None and self.process.poll() is None

    async def ensure(self, folder: Path | None, log: Any) -> None:
        """Start the zygote unless it runs; wait until it is ready.

        Raises:
            ZygoteUnavailable: forking is unsafe with this preload, or the zygote failed to
                start (recently).
        """
        with self._lock:
            if self._starting is None:
                if self.alive():
                    return
                self._check_may_start()
                if self.process is not None:
                    log.warning(
                        "Kernel zygote %s exited (%s); its kernels ended with it. Starting a "
                        "new one.",
                        self.pid,
                        self.process.returncode,
                    )
                self._spawn(folder)
                self._starting = concurrent.futures.Future()
                threading.Thread(target=self._await_ready, args=(log,), daemon=True).start()
            starting = self._starting
        await asyncio.wrap_future(starting)

    def _check_may_start(self) -> None:
        if self._unsafe:
            raise ZygoteUnavailable(self._unsafe)
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_S:
            raise ZygoteUnavailable("the kernel zygote failed to start less than a minute ago")

    def _socket_path(self, folder: Path | None) -> str:
        name = f"zygote-{os.getpid()}-{self.starts}.sock"
        if folder is not None and _private(folder) and len(str(folder / name)) <= MAX_SOCKET_PATH:
            return str(folder / name)
        if self._own_dir is None:
            self._own_dir = tempfile.mkdtemp(prefix="cam-zygote-")  # mode 0700
        return os.path.join(self._own_dir, name)

    def _spawn(self, folder: Path | None) -> None:
        self.starts += 1
        self.pid = None
        self.path = self._socket_path(folder)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        command = [sys.executable, "-m", "cam_workbench.zygote", "--socket", self.path]
        command += ["--preload", *self.preload, "--call", *self.calls, "--block", *self.block]
        # stdin: the lifeline (end of file when this server exits); stderr: the server's.
        # A session of its own: Ctrl-C in the server's terminal is the server's to handle.
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            start_new_session=True,
        )

    def _await_ready(self, log: Any) -> None:
        process, starting = self.process, self._starting
        assert process is not None and process.stdout is not None and starting is not None
        line = process.stdout.readline()  # READY <pid> <seconds>, or end of file
        process.stdout.close()
        with self._lock:
            self._starting = None
            if line.startswith(b"READY"):
                _, pid, took = line.split()
                self.pid, self._failed_at = int(pid), None
                log.info(
                    "Kernel zygote %d ready in %s s (preloaded: %s)",
                    self.pid,
                    took.decode(),
                    ", ".join(self.preload + self.calls),
                )
                starting.set_result(None)
                return
            code = process.wait()
            if code == EXIT_UNSAFE:
                self._unsafe = "a preload left the zygote unsafe to fork (see the log above)"
                reason = self._unsafe
            else:
                self._failed_at = time.monotonic()
                reason = f"the kernel zygote did not start (exit code {code})"
            starting.set_exception(ZygoteUnavailable(reason))

    def close(self) -> None:
        """Stop the zygote (it ends its kernels) and remove its socket."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdin is not None:
            process.stdin.close()
        with contextlib.suppress(OSError):
            if self.path:
                os.unlink(self.path)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None


def _private(folder: Path) -> bool:
    """A folder of ours that no one else may enter (the server's runtime folder is)."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not stat.S_IMODE(info.st_mode) & 0o077
    )


_zygotes: dict[tuple[tuple[str, ...], ...], Zygote] = {}


def zygote_for(preload: list[str], calls: list[str], block: list[str]) -> Zygote:
    """The zygote of this server for one preload configuration (made on first use)."""
    key = (tuple(preload), tuple(calls), tuple(block))
    if key not in _zygotes:
        if not _zygotes:
            atexit.register(shutdown_zygotes)
        _zygotes[key] = Zygote(list(preload), list(calls), list(block))
    return _zygotes[key]


def shutdown_zygotes() -> None:
    """Stop every zygote of this process (they also stop by themselves when it exits)."""
    for zygote in _zygotes.values():
        zygote.close()
    _zygotes.clear()


class ForkProvisioner(LocalProvisioner):
    """A ``LocalProvisioner`` whose kernels are forked from a pre-imported zygote."""

    fork = Bool(
        True,
        config=True,
        help="Fork kernels from the zygote; False: spawn each one (still without debugpy).",
    )
    preload = List(
        Unicode(), default_value=["ipywidgets"], config=True, help="Modules the zygote imports."
    )
    calls = List(
        Unicode(),
        default_value=[],
        config=True,
        help="'module:function' the zygote calls after importing (e.g. to load the content).",
    )
    block = List(
        Unicode(),
        default_value=list(BLOCKED),
        config=True,
        help="Modules no forked kernel may import (debugpy: no debugger).",
    )

    _conn: socket.socket | None = None
    _reader: wire.Reader | None = None
    _exit_code: int | None = None
    _forked = False

    # -- launching ----------------------------------------------------------------------

    @staticmethod
    def kernel_args(cmd: list[str]) -> list[str] | None:
        """The ipykernel arguments of ``<this python> -m ipykernel_launcher ARGS``, else None.

        The zygote runs this server's interpreter: a kernelspec naming another Python (another
        virtual environment) is spawned.
        """
        ours = len(cmd) >= 3 and cmd[1] == "-m" and cmd[2] in LAUNCHERS
        if ours and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable):
            return cmd[3:]
        return None

    @classmethod
    def lean(cls, cmd: list[str]) -> list[str]:
        """``cmd`` with ``-m ipykernel_launcher`` replaced by the launcher without debugpy.

        Only for this server's interpreter (another one may not have this package).
        """
        args = cls.kernel_args(cmd)
        return cmd if args is None else [cmd[0], "-m", LEAN_LAUNCHER, *args]

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Fork the kernel from the zygote; spawn it when that cannot be done (logged once)."""
        self._forked = False
        args = self.kernel_args(cmd) if self.fork else None
        if self.fork and args is None:
            _log_once(self.log, "interpreter", "Kernel %s: not this Python; spawned.", cmd[:3])
        stdio = _stdio(kwargs) if args is not None else None
        if args is not None and stdio is None:
            _log_once(self.log, "stdio", "Kernel output to a pipe cannot be forked; spawned.")
        if args is not None and stdio is not None:
            zygote = zygote_for(list(self.preload), list(self.calls), list(self.block))
            try:
                await zygote.ensure(self._folder(), self.log)
                return await self._fork(zygote, args, kwargs, stdio)
            except ZygoteUnavailable as exc:
                _log_once(self.log, f"zygote:{exc}", "Kernels spawned instead of forked: %s.", exc)
        return await super().launch_kernel(self.lean(cmd), **kwargs)

    def _folder(self) -> Path | None:
        """The folder of the kernels' connection files (the server's private one)."""
        connection_file = getattr(self.parent, "connection_file", "")
        return Path(connection_file).parent if connection_file else None

    async def _fork(
        self, zygote: Zygote, args: list[str], kwargs: dict[str, Any], stdio: list[int | None]
    ) -> KernelConnectionInfo:
        env = kwargs.get("env")
        request = {
            "op": "launch",
            "argv": args,
            "env": dict(os.environ if env is None else env),
            "cwd": str(kwargs.get("cwd") or os.getcwd()),
            "stdio": ["devnull" if fd is None else "fd" for fd in stdio],
        }
        fds = [fd for fd in stdio if fd is not None]
        loop = asyncio.get_running_loop()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        reader = wire.Reader()
        try:
            conn.setblocking(False)
            await loop.sock_connect(conn, zygote.path)
            conn.setblocking(True)
            wire.send(conn, request, fds)  # a few KiB to a local socket: does not block
            conn.setblocking(False)
            answer: dict[str, Any] | None = None
            while answer is None:
                data = await asyncio.wait_for(loop.sock_recv(conn, 65536), LAUNCH_TIMEOUT_S)
                if not data:
                    raise ZygoteUnavailable("the kernel zygote closed the connection")
                messages = reader.feed(data)
                answer = messages[0] if messages else None
        except (OSError, TimeoutError, wire.WireError) as exc:
            conn.close()
            raise ZygoteUnavailable(f"the kernel zygote did not answer ({exc!r})") from None
        except BaseException:
            conn.close()
            raise
        if "pid" not in answer:
            conn.close()
            raise ZygoteUnavailable(str(answer.get("error", "no pid in the answer")))
        self._conn, self._reader, self._exit_code, self._forked = conn, reader, None, True
        self.pid = self.pgid = int(answer["pid"])  # the child is a session leader, as with Popen
        self.process = None
        self.cwd = kwargs.get("cwd", Path.cwd())
        self.log.debug(
            "Kernel %s forked from zygote %s: pid %d", self.kernel_id, zygote.pid, self.pid
        )
        return self.connection_info

    # -- the kernel's life --------------------------------------------------------------

    @property
    def has_process(self) -> bool:
        """Whether there is a kernel process (until :meth:`wait` has seen it end)."""
        if self._forked:
            return self.pid is not None
        return bool(super().has_process)

    def _read_exit(self) -> None:
        """Read what the zygote sent (the exit code, then end of file), without blocking."""
        if self._conn is None or self._reader is None or self._exit_code is not None:
            return
        while True:
            try:
                data = self._conn.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:  # the zygote is gone: its kernels were killed with it
                if self._exit_code is None:
                    self._exit_code = -signal.SIGKILL
                return
            try:
                messages = self._reader.feed(data)
            except wire.WireError:
                messages = [{"exit": -signal.SIGKILL}]
            for message in messages:
                if "exit" in message:
                    self._exit_code = int(message["exit"])

    async def poll(self) -> int | None:
        """None while the kernel runs, else its exit code."""
        if not self._forked:
            return await super().poll()
        if self.pid is None:
            return 0
        self._read_exit()
        return self._exit_code

    async def wait(self) -> int | None:
        """Wait until the kernel has ended (callers bound it with a timeout)."""
        if not self._forked:
            return await super().wait()
        while await self.poll() is None:
            await asyncio.sleep(0.1)
        code = self._exit_code
        self._close()
        self.pid = None  # has_process is now False, as after LocalProvisioner.wait
        return code

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group through the zygote."""
        if not self._forked:
            await super().send_signal(signum)
            return
        self._read_exit()
        if self._conn is None or self._exit_code is not None:
            return
        try:
            self._conn.setblocking(True)
            wire.send(self._conn, {"op": "signal", "sig": int(signum)})
        except OSError:
            pass
        finally:
            if self._conn is not None:
                self._conn.setblocking(False)

    async def kill(self, restart: bool = False) -> None:
        """SIGKILL the kernel."""
        if not self._forked:
            await super().kill(restart)
            return
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        """SIGTERM the kernel."""
        if not self._forked:
            await super().terminate(restart)
            return
        await self.send_signal(signal.SIGTERM)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def cleanup(self, restart: bool = False) -> None:
        """Release the kernel's connection to the zygote (a kernel still running is killed)."""
        if self._forked:
            self._close()
            self._forked = False
        await super().cleanup(restart)

    async def get_provisioner_info(self) -> dict[str, Any]:
        """LocalProvisioner's information, and whether the kernel was forked."""
        info = dict(await super().get_provisioner_info())
        info["forked"] = self._forked
        return info


def _stdio(kwargs: dict[str, Any]) -> list[int | None] | None:
    """The kernel's stdout and stderr as fds (None: /dev/null); None if one cannot be passed.

    ``None`` (inherit) is the server's own stream; a pipe cannot be handed to a fork.
    """
    out: list[int | None] = []
    for name, inherited in (("stdout", 1), ("stderr", 2)):
        value = kwargs.get(name)
        if value == subprocess.DEVNULL:
            out.append(None)
        elif value is None:
            out.append(inherited)
        elif isinstance(value, int) and value >= 0:
            out.append(value)
        elif hasattr(value, "fileno"):
            out.append(value.fileno())
        else:
            return None
    return out


def configure(c: Config, fork: bool = True) -> None:
    """Make :class:`ForkProvisioner` the provisioner of every kernel this server starts.

    ``fork=False``: kernels are spawned (no zygote), still without debugpy. The patient
    notebook's imports are preloaded and its content loaded once, in the zygote.
    """
    c.KernelProvisionerFactory.default_provisioner_name = PROVISIONER_NAME
    c.ForkProvisioner.fork = fork
    c.ForkProvisioner.preload = list(PATIENT_PRELOAD)
    c.ForkProvisioner.calls = list(PATIENT_CALLS)
    c.ForkProvisioner.block = list(BLOCKED)
