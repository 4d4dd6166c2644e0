"""The server's private runtime folder, and the pinned content of ``serve --production``.

Each server (one per port) owns ``<root>/<port>/``, where ``<root>`` is
``$XDG_RUNTIME_DIR/cam-workbench`` or, without it, ``<temp dir>/cam-workbench-<uid>``; both
are created with mode 0700 and must belong to us. It holds the kernels' connection files
(which carry the key that signs kernel messages) and, in production, the pinned content.
A lock file (``<root>/<port>.lock``, ``flock``) is held while the server runs; the kernel
drops it even when the server is killed with SIGKILL, so the next start on that port knows
the folder is stale and removes it. A start also removes what killed servers left for other
ports (every ``<root>/<n>`` and ``<n>.lock`` whose lock nobody holds); a clean stop removes
its folder and its lock file.

Pinning: production serves the content exactly as it was approved. After the approval check,
the content folder is copied into the runtime folder, loaded again and compared with what
was checked, and made read-only; kernels read that copy, so an edit of ``content/`` (even a
broken one) never reaches a patient while the server runs.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content
from cam_workbench.paths import CONTENT_ENV
from cam_workbench.serving.options import ServeOptions

try:  # POSIX: a lock the kernel releases when the process dies
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

FOLDER_NAME: Final = "cam-workbench"
CONTENT_FOLDER: Final = "content"
LOCK_WAIT_S: Final = 1.0
"""How long a start waits for a port's lock that another start holds for a moment (while it
removes what a killed server left), before saying another server runs on that port."""


class RuntimeFolderProblem(Exception):
    """The runtime folder cannot be used; the message says why and what to do."""


class ContentChanged(Exception):
    """The content changed between the approval check and the pinned copy."""


def runtime_root() -> Path:
    """``$XDG_RUNTIME_DIR/cam-workbench``, else ``<temp dir>/cam-workbench-<uid>``."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return Path(xdg) / FOLDER_NAME
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"{FOLDER_NAME}-{uid}"


def private_folder(path: Path) -> Path:
    """Create ``path`` (mode 0700) or check an existing one is ours and private."""
    path.mkdir(mode=0o700, parents=False, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise RuntimeFolderProblem(f"{path} is not a folder: remove it, or set XDG_RUNTIME_DIR")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise RuntimeFolderProblem(
            f"{path} belongs to another user: remove it, or set XDG_RUNTIME_DIR to a "
            "folder of yours"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def remove_tree(path: Path) -> None:
    """Remove a folder, read-only parts (a pinned copy) included."""
    if not path.exists():
        return
    for folder, dirs, _ in os.walk(path):
        for name in dirs:
            os.chmod(Path(folder) / name, 0o700)
    os.chmod(path, 0o700)
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class RuntimeFolder:
    """A server's private folder, locked while the server runs."""

    path: Path
    """``<root>/<port>``: mode 0700, emptied at claim."""
    lock: IO[str] | None
    """The open lock file (``None`` without ``flock``)."""
    lock_path: Path | None = None
    """Where the lock file is (``<root>/<port>.lock``)."""

    @property
    def connections(self) -> Path:
        """Where the kernels' connection files go."""
        return self.path

    def release(self) -> None:
        """On a clean stop: remove the folder and the lock file, and drop the lock."""
        remove_tree(self.path)
        if self.lock is not None:
            if self.lock_path is not None:
                self.lock_path.unlink(missing_ok=True)  # still ours: we hold the lock
            self.lock.close()
            self.lock = None


def _take_lock(path: Path, wait_s: float = 0.0) -> IO[str] | None:
    """Open and ``flock`` the lock file at ``path``; ``None`` while someone else holds it.

    Waits up to ``wait_s`` for it. A lock taken on a file that was removed meanwhile (by the
    stop or the clean-up that held it) is worth nothing: the file is opened again.
    """
    assert fcntl is not None
    deadline = time.monotonic() + wait_s
    while True:
        lock = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open by the caller
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)
            continue
        try:
            same = os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return lock
        lock.close()


def remove_stale_folders(base: Path, port: int) -> list[str]:
    """Remove what killed servers left for other ports; return those ports.

    A ``<base>/<n>`` folder or ``<n>.lock`` file is stale when nobody holds the lock of
    ``n``: it is taken, the folder and the lock file are removed, and the lock dropped.
    """
    if fcntl is None:
        return []
    names = {p.name.removesuffix(".lock") for p in base.iterdir()}
    removed = []
    for name in sorted(n for n in names if n.isdigit() and n != str(port)):
        lock_path = base / f"{name}.lock"
        lock = _take_lock(lock_path)
        if lock is None:  # a server runs on that port
            continue
        try:
            remove_tree(base / name)
            lock_path.unlink(missing_ok=True)
            removed.append(name)
        finally:
            lock.close()
    return removed


def claim_runtime_folder(port: int, root: Path | None = None) -> RuntimeFolder:
    """Lock and empty the runtime folder of ``port`` (what a killed server left is removed).

    Also removes what killed servers left for other ports (:func:`remove_stale_folders`).

    Raises:
        RuntimeFolderProblem: another server runs on this port, or the folder is not ours.
    """
    base = private_folder(root or runtime_root())
    lock: IO[str] | None = None
    lock_path = base / f"{port}.lock"
    if fcntl is not None:
        lock = _take_lock(lock_path, wait_s=LOCK_WAIT_S)
        if lock is None:
            raise RuntimeFolderProblem(
                f"another cam-workbench serve is running on port {port}: stop it, or pass "
                "--port with another number"
            )
    folder = base / str(port)
    remove_tree(folder)
    folder.mkdir(mode=0o700)
    remove_stale_folders(base, port)
    return RuntimeFolder(folder, lock, lock_path if lock is not None else None)


def make_read_only(path: Path) -> None:
    """Files 0444 and folders 0555 (the owner can still remove it with :func:`remove_tree`)."""
    for folder, dirs, files in os.walk(path, topdown=False):
        for name in files:
            os.chmod(Path(folder) / name, 0o444)
        for name in dirs:
            os.chmod(Path(folder) / name, 0o555)
    os.chmod(path, 0o555)


def _models(content: ContentSet) -> dict[str, object]:
    return {f.path.relative_to(content.root).as_posix(): f.model for f in content.files}


def pin_content(checked: ContentSet, target: Path) -> Path:
    """Copy the checked content folder to ``target`` (read-only) and return ``target``.

    The copy is loaded again and must hold exactly what was checked.

    Raises:
        ContentChanged: a file changed (or broke) after the check.
    """
    shutil.copytree(checked.root, target)
    try:
        copied = load_content(target)
    except Exception as exc:  # ContentError: it broke after it was checked
        raise ContentChanged(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if _models(copied) != _models(checked):
        changed = sorted(
            name
            for name in set(_models(copied)) | set(_models(checked))
            if _models(copied).get(name) != _models(checked).get(name)
        )
        raise ContentChanged(", ".join(changed))
    make_read_only(target)
    return target


class ServeProblem(Exception):
    """The server cannot start as asked; the message says why and what to do."""


@contextmanager
def prepared(options: ServeOptions, approved: ContentSet | None) -> Iterator[ServeOptions]:
    """Claim the port's private runtime folder; with ``approved``, serve a pinned copy of it.

    Yields the options to serve with; on leaving, the runtime folder is removed.

    Raises:
        ServeProblem: another server runs on this port, the runtime folder is not ours, or
            the approved content changed before it could be copied.
    """
    try:
        runtime = claim_runtime_folder(options.port)
    except RuntimeFolderProblem as exc:
        raise ServeProblem(str(exc)) from None
    try:
        env = dict(options.env)
        if approved is not None:
            try:
                pinned = pin_content(approved, runtime.path / CONTENT_FOLDER)
            except ContentChanged as exc:
                raise ServeProblem(
                    f"the content changed while the server was starting ({exc}); start again"
                ) from None
            env[CONTENT_ENV] = str(pinned)
        yield dataclasses.replace(options, runtime_dir=runtime.path, env=env)
    finally:
        runtime.release()
