"""The fork-server kernel provisioner: kernels forked from the zygote live, answer and die as
jupyter_client expects, and what cannot be forked is spawned instead.

Real kernels through jupyter_client's ``AsyncKernelManager``, with a kernelspec naming the
``cam-fork`` provisioner (as `cam-workbench serve` configures it for every kernel). The
zygote preloads only ipywidgets here, to keep the tests quick; the served page with the full
preload is tested in tests/e2e/test_forkserver.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import proc_cmdline, proc_parent, run_async
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager

from cam_workbench.serving import forkserver
from cam_workbench.serving.forkserver import ForkProvisioner
from cam_workbench.zygote import wire
from cam_workbench.zygote.parent import fork_problems

HOOKS = """
import threading, time


def start_a_thread():
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
"""


NO_DEBUGGER = (
    "import sys; print(sys.modules.get('debugpy'), "
    "any(m.split('.')[0] in ('pydevd', '_pydevd_bundle') for m in sys.modules))"
)
"""Prints "None False" in a kernel without the debugger (debugpy blocked, pydevd not loaded)."""


def spec(tmp: Path, name: str, **config: Any) -> None:
    folder = tmp / name
    folder.mkdir(parents=True)
    provisioner = {"provisioner_name": "cam-fork", "config": config}
    (folder / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": name,
                "language": "python",
                "metadata": {"kernel_provisioner": provisioner},
            }
        )
    )


@pytest.fixture(scope="module")
def kernel_dirs(tmp_path_factory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("kernels")
    (tmp / "hooks").mkdir()
    (tmp / "hooks" / "forktest_hooks.py").write_text(HOOKS)
    spec(tmp, "fork", preload=["ipywidgets"], calls=[])
    spec(tmp, "spawn", fork=False)
    spec(tmp, "unsafe", preload=["ipywidgets"], calls=["forktest_hooks:start_a_thread"])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp / "hooks"), old]))
    yield tmp
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old
    forkserver.shutdown_zygotes()


def alive(pid: int) -> bool:
    """Runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_until(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class Kernel:
    """One kernel through AsyncKernelManager, and a client to run code in it."""

    def __init__(self, kernel_dirs: Path, name: str = "fork", **start: Any) -> None:
        self.manager = AsyncKernelManager(
            kernel_name=name, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dirs)])
        )
        self.start_args = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **start}
        self.client: Any = None

    async def __aenter__(self) -> Kernel:
        await self.manager.start_kernel(**self.start_args)
        await self.connect()
        return self

    async def connect(self) -> None:
        self.client = self.manager.client()
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=60)

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.stop_channels()
        if self.manager.has_kernel:
            await self.manager.shutdown_kernel(now=True)

    @property
    def provisioner(self) -> ForkProvisioner:
        return self.manager.provisioner

    @property
    def pid(self) -> int:
        return self.provisioner.pid

    async def run(self, code: str, timeout: float = 60) -> tuple[str, dict[str, Any]]:
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])

        reply = await self.client.execute_interactive(code, timeout=timeout, output_hook=hook)
        return "".join(out).strip(), reply["content"]


def zygote_pid() -> int:
    zygote = next(
        z for z in forkserver._zygotes.values() if z.preload == ["ipywidgets"] and not z.calls
    )
    assert zygote.pid is not None
    return zygote.pid


def test_a_kernel_is_forked_from_the_zygote_and_runs_as_asked(kernel_dirs, tmp_path):
    async def main() -> None:
        folder = tmp_path / "cwd"
        folder.mkdir()
        env = {**os.environ, "FORKTEST_PROBE": "from the manager"}
        async with Kernel(kernel_dirs, env=env, cwd=str(folder)) as kernel:
            assert kernel.provisioner.has_process and (await kernel.provisioner.poll()) is None
            assert proc_parent(kernel.pid) == zygote_pid()
            assert os.getpgid(kernel.pid) == kernel.pid  # its own group, as with Popen
            # Shown as the usual kernel command line (tools find kernels by it).
            cmdline = proc_cmdline(kernel.pid)
            assert " -m ipykernel_launcher -f " in cmdline
            assert Path(kernel.manager.connection_file).name in cmdline
            out, reply = await kernel.run(
                "import os, sys\n"
                "from ipykernel.comm import CommManager\n"
                "from IPython import get_ipython\n"
                "targets = get_ipython().kernel.comm_manager.targets\n"
                "try:\n    import debugpy; dbg = 'debugpy'\nexcept ImportError:\n    dbg = 'none'\n"
                "print(os.environ['FORKTEST_PROBE'], os.getcwd(), dbg,"
                " 'jupyter.widget' in targets, sep='|')"
            )
            assert reply["status"] == "ok"
            probe, cwd, debugger, widgets = out.split("|")
            assert probe == "from the manager"
            assert Path(cwd).resolve() == folder.resolve()
            assert debugger == "none"  # no debugger in a patient kernel
            assert widgets == "True"  # ipywidgets' comm target is registered in the child
            info = await kernel.client.kernel_info(reply=True)
            assert "debugger" not in info["content"].get("supported_features", [])

    run_async(main())


def test_two_kernels_do_not_share_their_random_state(kernel_dirs):
    async def main() -> None:
        async with Kernel(kernel_dirs) as one, Kernel(kernel_dirs) as two:
            code = "import random, secrets; print(random.random(), secrets.token_hex(8))"
            first, _ = await one.run(code)
            second, _ = await two.run(code)
            assert one.pid != two.pid
            assert first.split()[0] != second.split()[0]
            assert first.split()[1] != second.split()[1]

    run_async(main())


def test_interrupt_reaches_the_forked_kernel(kernel_dirs):
    async def main() -> None:
        async with Kernel(kernel_dirs) as kernel:
            msg_id = kernel.client.execute("import time; time.sleep(120)")
            await asyncio.sleep(1.0)
            await kernel.manager.interrupt_kernel()
            while True:  # the reply comes once the sleep was interrupted (not after 120 s)
                reply = await kernel.client.get_shell_msg(timeout=60)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            assert reply["content"]["status"] == "error"
            assert reply["content"]["ename"] == "KeyboardInterrupt"
            out, _ = await kernel.run("print('still here')")
            assert out == "still here"

    run_async(main())


def test_restart_gives_a_new_forked_kernel_and_ends_the_old_one(kernel_dirs):
    async def main() -> None:
        async with Kernel(kernel_dirs) as kernel:
            old = kernel.pid
            await kernel.manager.restart_kernel(now=True)
            await kernel.client.wait_for_ready(timeout=60)
            assert kernel.pid != old
            assert proc_parent(kernel.pid) == zygote_pid()
            assert wait_until(lambda: not alive(old))
            out, _ = await kernel.run("print(6 * 7)")
            assert out == "42"

    run_async(main())


def test_shutdown_ends_the_kernel_and_removes_its_connection_file(kernel_dirs):
    async def main() -> None:
        kernel = Kernel(kernel_dirs)
        async with kernel:
            pid, connection_file = kernel.pid, Path(kernel.manager.connection_file)
            kernel.client.stop_channels()
            kernel.client = None
            await kernel.manager.shutdown_kernel()  # polite: a shutdown request first
            assert not alive(pid)
            assert not kernel.manager.has_kernel
            assert not connection_file.exists()

    run_async(main())


def test_shutdown_now_kills_a_kernel_that_ignores_sigterm(kernel_dirs):
    async def main() -> None:
        async with Kernel(kernel_dirs) as kernel:
            await kernel.run("import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)")
            kernel.client.execute("import time; time.sleep(120)")  # busy: no shutdown reply
            pid = kernel.pid
            await kernel.manager.shutdown_kernel(now=True)
            assert wait_until(lambda: not alive(pid))

    run_async(main())


def test_a_kernel_that_exits_reports_its_exit_code(kernel_dirs):
    async def main() -> None:
        async with Kernel(kernel_dirs) as kernel:
            kernel.client.execute("import os; os._exit(7)")
            for _ in range(200):
                if await kernel.provisioner.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            assert await kernel.provisioner.poll() == 7
            assert not await kernel.manager.is_alive()

    run_async(main())


def test_cleanup_without_shutdown_kills_the_kernel(kernel_dirs):
    """A kernel never outlives its manager's connection to the zygote."""

    async def main() -> None:
        async with Kernel(kernel_dirs) as kernel:
            pid = kernel.pid
            await kernel.provisioner.cleanup(restart=False)
            assert wait_until(lambda: not alive(pid))

    run_async(main())


def test_stdout_and_stderr_go_where_the_manager_says(kernel_dirs, tmp_path):
    async def main() -> None:
        path = tmp_path / "kernel-output.txt"
        with path.open("wb") as sink:
            async with Kernel(kernel_dirs, stdout=sink, stderr=sink) as kernel:
                await kernel.run(
                    "import os; os.write(1, b'to-fd-1\\n'); os.write(2, b'to-fd-2\\n')"
                )
        text = path.read_text()
        assert "to-fd-1" in text and "to-fd-2" in text

    run_async(main())


def test_a_dead_zygote_ends_its_kernels_and_is_replaced(kernel_dirs, caplog):
    async def main() -> None:
        async with Kernel(kernel_dirs) as kernel:
            old_zygote, pid = zygote_pid(), kernel.pid
            os.kill(old_zygote, signal.SIGKILL)
            assert wait_until(lambda: not alive(pid))  # PR_SET_PDEATHSIG
            for _ in range(100):
                if not await kernel.manager.is_alive():
                    break
                await asyncio.sleep(0.1)
            assert not await kernel.manager.is_alive()
        with caplog.at_level(logging.WARNING):
            async with Kernel(kernel_dirs) as kernel:
                assert zygote_pid() != old_zygote
                assert proc_parent(kernel.pid) == zygote_pid()
                out, _ = await kernel.run("print('fine')")
                assert out == "fine"
        assert any(
            "exited" in r.getMessage() and "new one" in r.getMessage() for r in caplog.records
        )

    run_async(main())


def test_an_unsafe_preload_falls_back_to_spawning_and_says_so_once(kernel_dirs, caplog):
    async def main() -> None:
        with caplog.at_level(logging.WARNING):
            async with (
                Kernel(kernel_dirs, name="unsafe") as one,
                Kernel(kernel_dirs, name="unsafe") as two,
            ):
                for kernel in (one, two):
                    assert not kernel.provisioner._forked
                    assert proc_parent(kernel.pid) == os.getpid()  # spawned by us
                    assert "-m cam_workbench.zygote.launch" in proc_cmdline(kernel.pid)
                    out, _ = await kernel.run(NO_DEBUGGER)
                    assert out == "None False"
        said = [r for r in caplog.records if "spawned instead of forked" in r.getMessage()]
        assert len(said) == 1
        assert "unsafe to fork" in said[0].getMessage()

    run_async(main())


def test_forking_off_spawns_kernels_without_the_debugger(kernel_dirs):
    async def main() -> None:
        async with Kernel(kernel_dirs, name="spawn") as kernel:
            assert not kernel.provisioner._forked
            assert proc_parent(kernel.pid) == os.getpid()
            out, _ = await kernel.run(NO_DEBUGGER)
            assert out == "None False"

    run_async(main())


def test_only_this_interpreters_ipykernel_is_forked():
    python = sys.executable
    assert ForkProvisioner.kernel_args([python, "-m", "ipykernel_launcher", "-f", "x"]) == [
        "-f",
        "x",
    ]
    assert (
        ForkProvisioner.kernel_args(["/other/venv/bin/python", "-m", "ipykernel_launcher"]) is None
    )
    assert ForkProvisioner.kernel_args([python, "-m", "other_kernel", "-f", "x"]) is None
    assert ForkProvisioner.lean([python, "-m", "ipykernel_launcher", "-f", "x"]) == [
        python,
        "-m",
        "cam_workbench.zygote.launch",
        "-f",
        "x",
    ]
    other = ["/other/venv/bin/python", "-m", "ipykernel_launcher", "-f", "x"]
    assert ForkProvisioner.lean(other) == other  # another venv may not have our launcher


def test_the_zygote_socket_is_private(kernel_dirs):
    async def main() -> None:
        async with Kernel(kernel_dirs) as kernel:
            zygote = next(z for z in forkserver._zygotes.values() if z.pid == zygote_pid())
            mode = os.stat(zygote.path).st_mode
            assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
            folder = Path(zygote.path).parent
            assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0
            # Beside the connection files when their folder is private (the server's is);
            # a standalone manager writes them to the temp folder: then a folder of its own.
            connections = Path(kernel.manager.connection_file).parent
            if forkserver._private(connections):
                assert folder == connections
            else:
                assert folder.name.startswith("cam-zygote-") and folder.parent == connections

    run_async(main())


MANAGER = textwrap.dedent(
    """
    import asyncio, json, subprocess, sys
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from cam_workbench.serving import forkserver

    async def main():
        pids = []
        for _ in range(2):
            km = AsyncKernelManager(kernel_name="fork",
                kernel_spec_manager=KernelSpecManager(kernel_dirs=[sys.argv[1]]))
            await km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            pids.append(km.provisioner.pid)
        zygote = next(iter(forkserver._zygotes.values())).pid
        print(json.dumps({"zygote": zygote, "kernels": pids}), flush=True)
        await asyncio.sleep(600)

    asyncio.run(main())
    """
)


def test_when_the_server_dies_its_zygote_and_kernels_go_too(kernel_dirs):
    proc = subprocess.Popen(
        [sys.executable, "-c", MANAGER, str(kernel_dirs)], stdout=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(proc.stdout.readline())
        pids = [info["zygote"], *info["kernels"]]
        assert all(alive(pid) for pid in pids)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert wait_until(lambda: not any(alive(pid) for pid in pids))
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def test_fork_safety_check_names_a_running_thread():
    code = (
        "import threading, time\n"
        "from cam_workbench.zygote.parent import fork_problems\n"
        "assert fork_problems() == [], fork_problems()\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "print(fork_problems())\n"
        "import zmq; threading.Thread\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "threads running" in out.stdout
    assert callable(fork_problems)


def test_fork_safety_check_names_a_zmq_context():
    code = (
        "import zmq\n"
        "from cam_workbench.zygote.parent import fork_problems\n"
        "zmq.Context.instance()\n"
        "print(fork_problems())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "zmq context" in out.stdout


def test_wire_frames_messages_and_passes_fds(tmp_path):
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right, (tmp_path / "f").open("wb") as sink:
        wire.send(left, {"op": "launch", "argv": ["-f", "x"]}, [sink.fileno()])
        wire.send(left, {"op": "signal", "sig": 2})
        reader = wire.Reader()
        messages: list[dict[str, Any]] = []
        while len(messages) < 2:
            data, fds, _, _ = socket.recv_fds(right, 65536, wire.MAX_FDS)
            messages += reader.feed(data, fds)
        assert messages == [{"op": "launch", "argv": ["-f", "x"]}, {"op": "signal", "sig": 2}]
        (passed,) = reader.take_fds(1)
        os.write(passed, b"through the passed fd")
        os.close(passed)
    assert (tmp_path / "f").read_bytes() == b"through the passed fd"


def test_wire_refuses_oversized_or_odd_messages():
    with pytest.raises(wire.WireError):
        wire.Reader().feed(wire.HEADER.pack(wire.MAX_MESSAGE + 1))
    with pytest.raises(wire.WireError):
        wire.Reader().feed(wire.HEADER.pack(2) + b"[]")
    with pytest.raises(wire.WireError):
        wire.Reader().feed(wire.HEADER.pack(3) + b"{x}")
    half = wire.pack({"op": "signal", "sig": 15})
    reader = wire.Reader()
    assert reader.feed(half[:5]) == []
    assert reader.feed(half[5:]) == [{"op": "signal", "sig": 15}]


@pytest.mark.parametrize(
    "argv, environ, forks",
    [
        ((), {}, None),  # not given: ServeOptions' default (forking on)
        (("--no-fork-kernels",), {}, False),
        ((), {"CAM_SERVE_NO_FORK_KERNELS": "true"}, False),
        ((), {"CAM_SERVE_NO_FORK_KERNELS": "false"}, True),
    ],
)
def test_forking_is_turned_off_from_the_command_line_or_the_environment(argv, environ, forks):
    import argparse

    from cam_workbench.cli.serve_settings import add_arguments, resolve, serve_options
    from cam_workbench.serving import ServeOptions

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    fields = serve_options(resolve(parser.parse_args(list(argv)), environ))
    assert fields.get("fork_kernels") is forks
    assert ServeOptions.__dataclass_fields__["fork_kernels"].default is True
