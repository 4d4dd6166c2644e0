"""In a child just forked from the zygote: become an ipykernel for one connection file.

Everything the zygote set up for itself is undone first (signal handlers, its sockets and
every other inherited file descriptor, its environment), so that the kernel is what
``python -m ipykernel_launcher -f FILE`` would have started, minus the imports.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, Final

PR_SET_PDEATHSIG: Final = 1

KERNEL_MODULE: Final = "ipykernel_launcher"
"""What the kernel's command line says it runs (``ps`` and tools that find kernels by it)."""


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Linux: be sent ``sig`` when the parent process exits (no-op elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def reset_process(stdio: Sequence[str], fds: Sequence[int]) -> None:
    """Own session and process group, default signals, stdio as asked, no inherited fds.

    ``stdio`` says for stdout and stderr ``"fd"`` (the next of ``fds``) or ``"devnull"``;
    stdin is always /dev/null. Every other descriptor is closed: a kernel must not hold the
    zygote's listening socket or another kernel's connection.
    """
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.setsid()  # the provisioner signals the process group, as with Popen's new session
    null = os.open(os.devnull, os.O_RDWR)
    given = iter(fds)
    os.dup2(null, 0)
    for target, how in zip((1, 2), stdio, strict=False):
        os.dup2(next(given) if how == "fd" else null, target)
    os.closerange(3, _max_fd())


def _max_fd() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 256)
    except (OSError, ValueError):
        return 4096


def show_command_line(args: Sequence[str]) -> None:
    """Show the kernel as ``python -m ipykernel_launcher ARGS`` in ``ps`` and /proc."""
    import setproctitle

    setproctitle.setproctitle(" ".join([sys.executable, "-m", KERNEL_MODULE, *args]))


def become_kernel(request: dict[str, Any], stdio: Sequence[str], fds: Sequence[int]) -> int:
    """Run an ipykernel as ``request`` asks (argv, env, cwd); return its exit code.

    The kernel ends when the zygote does (``PR_SET_PDEATHSIG`` and ipykernel's own parent
    poller): its manager could no longer signal it.
    """
    die_with_parent()
    reset_process(stdio, fds)
    os.chdir(request.get("cwd") or os.getcwd())
    parent = os.getppid()
    args = [str(a) for a in request.get("argv", [])]
    sys.argv = [KERNEL_MODULE, *args]
    show_command_line(args)  # before the environment changes: setproctitle relocates it
    env = {str(k): str(v) for k, v in dict(request.get("env") or {}).items()}
    env["JPY_PARENT_PID"] = str(parent)
    os.environ.clear()
    os.environ.update(env)
    # IPKernelApp.parent_handle's default was read from $JPY_PARENT_PID when the zygote
    # imported ipykernel (the server's pid): name the zygote instead.
    args.append(f"--IPKernelApp.parent_handle={parent}")
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(args)
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None:
        # Imported in the zygote, where no kernel existed: its import-time registration of
        # the widget comm targets found no IPython and did nothing.
        widgets.register_comm_target()
    app.start()
    return 0
