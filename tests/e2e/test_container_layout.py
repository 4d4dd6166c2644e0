"""The container's runtime, without a container engine: the Containerfile's own COPY lines,
ENV, WORKDIR, USER, ENTRYPOINT and HEALTHCHECK, run on this machine.

The files the Containerfile copies are laid out in a folder as they would be in the image,
made read-only (the pod's read-only root file system); the server runs with the image's
environment (paths moved under that folder), from `tini`'s command line without `tini`, with
the interpreter of this test run (the image's is Debian's Python 3.11 with lock.txt). It
must serve the first question, answer the image's HEALTHCHECK command, log JSON, change
nothing outside its /tmp (every other file's size and time compared), and stop on SIGTERM.
The image's user is checked in tests/test_deploy.py (running as it here would need this
machine's interpreter readable by that user). Building the image needs an engine
(`podman build -f Containerfile .`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cam_workbench.serving.handout import kernel_id_of_page

from .kernel_client import request
from .servers import REPO, free_port, kernel_ids_of, wait_for_port

pytestmark = pytest.mark.e2e

CONTAINERFILE = (REPO / "Containerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` with continuation lines joined, comments dropped."""
    lines = [line for line in CONTAINERFILE.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (m.group(1).upper(), m.group(2).strip())
        for m in re.finditer(r"^([A-Z]+)\s+(.*)$", joined, re.M)
    ]


def image_env() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, args in instructions():
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                found[key] = value
    return found


@pytest.fixture
def image(tmp_path) -> Iterator[Path]:
    """The image's files under a folder every user may read (pytest's tmp is 0700)."""
    root = Path(tempfile.mkdtemp(prefix="cam-image-"))
    root.chmod(0o755)
    try:
        workdir = "/"
        for name, args in instructions():
            if name == "WORKDIR":
                workdir = args
            if name != "COPY" or "/tmp/" in args:  # the lock is installed, then removed
                continue
            source, dest = args.split()
            target = root / str(Path(workdir) / dest).lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if (REPO / source).is_dir():
                shutil.copytree(REPO / source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(REPO / source, target)
        (root / "tmp").mkdir(mode=0o1777)
        (root / "tmp").chmod(0o1777)
        for path in [root, *root.rglob("*")]:  # the read-only root file system
            if path != root / "tmp" and not path.is_symlink():
                path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        yield root
    finally:
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
        shutil.rmtree(root, ignore_errors=True)


def moved(value: str, root: Path) -> str:
    """An image path as the same path under ``root``."""
    for prefix in ("/app", "/etc/cam-workbench", "/tmp"):
        if value == prefix or value.startswith(prefix + "/"):
            return str(root) + value
    return value


def files_outside_tmp(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder of the image but /tmp: its size and modification time."""
    return {
        str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in [root, *root.rglob("*")]
        if not p.is_relative_to(root / "tmp")
    }


def test_the_image_serves_from_a_read_only_root_and_answers_its_health_check(image):
    steps = instructions()
    workdir = next(args for name, args in steps if name == "WORKDIR")
    entrypoint = json.loads(next(args for name, args in steps if name == "ENTRYPOINT"))
    health = json.loads(
        next(args for name, args in steps if name == "HEALTHCHECK").split("CMD ")[1]
    )
    assert entrypoint[:2] == ["tini", "--"] and entrypoint[2] == "python"
    port, metrics_port = free_port(), free_port()
    env = {key: moved(value, image) for key, value in image_env().items()}
    env |= {
        "PATH": os.environ["PATH"],
        "TMPDIR": str(image / "tmp"),
        # For this test only: a loopback address and free ports, the repository's (draft)
        # content as a preview, and no 600 s drain.
        "CAM_SERVE_HOST": "127.0.0.1",
        "CAM_SERVE_PORT": str(port),
        "CAM_SERVE_METRICS_PORT": str(metrics_port),
        "CAM_SERVE_METRICS_HOST": "127.0.0.1",
        "CAM_SERVE_PRODUCTION": "false",
        "CAM_SERVE_DRAIN_SECONDS": "1",
    }
    before = files_outside_tmp(image)
    log = (image / "tmp" / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, *entrypoint[3:]],
        cwd=moved(workdir, image),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, proc, timeout=90)
        page = request(f"http://127.0.0.1:{port}/", "GET", "/")
        served = (image / "tmp" / "serve.log").read_text()
        assert page.status == 200, served
        # The notebook ran in a kernel of this server, and displayed the dashboard's widget.
        assert kernel_id_of_page(page.body) in kernel_ids_of(proc.pid)
        assert "application/vnd.jupyter.widget-view+json" in page.body
        check = subprocess.run(
            [sys.executable, *health[1:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr
        lines = (image / "tmp" / "serve.log").read_text().splitlines()
        assert lines and json.loads(lines[0])["message"].startswith("Serving")  # json logs
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert files_outside_tmp(image) == before  # nothing written outside /tmp
