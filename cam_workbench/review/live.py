"""The content folder as it is on disk now: read again on request, or when a file changes.

The review and workshop notebooks' live preview and word-level changes observe one
:class:`LiveContent`. :meth:`LiveContent.reload` reads every file again (the content loads
in a fraction of a second) and tells its observers: with the new
:class:`~cam_workbench.content.contentset.ContentSet`, or with the problems that keep it from
loading (``path:line: what — how to fix``). Nothing here imports widgets.

The file watch is optional and cheap: every ``interval`` seconds it compares the size and
modification time of the folder's YAML files (a ``stat`` each, no reading) with what was
last loaded, and reloads only when they differ. It is an :mod:`asyncio` task on the
kernel's event loop, so it never runs at the same time as a cell or a widget's callback,
and :meth:`LiveContent.stop_watching` ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Final

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import content_files, load_content
from cam_workbench.content.problems import ContentError, Problem
from cam_workbench.paths import default_content_dir

#: Seconds between two looks at the files while watching.
WATCH_INTERVAL: Final = 1.0

Stamps = dict[Path, tuple[int, int]]
Listener = Callable[["LiveContent"], None]


def stamps(root: Path) -> Stamps:
    """Each YAML file of a content folder → its modification time (ns) and size."""
    found: Stamps = {}
    if not root.is_dir():
        return found
    for path in content_files(root):
        with contextlib.suppress(OSError):  # removed between the listing and the stat
            info = path.stat()
            found[path] = (info.st_mtime_ns, info.st_size)
    return found


class LiveContent:
    """A content folder, loaded now and again on :meth:`reload` (or by the file watch)."""

    def __init__(self, content_dir: Path | str | None = None) -> None:
        """Load the folder (default: ``$CAM_WORKBENCH_CONTENT`` or the repository's)."""
        self.content_dir = Path(content_dir) if content_dir else default_content_dir()
        self.content: ContentSet | None = None
        self.problems: tuple[Problem, ...] = ()
        self.loaded_at: dt.datetime | None = None
        self.loads = 0
        self._stamps: Stamps = {}
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self.reload()

    def observe(self, listener: Listener) -> None:
        """Call ``listener(self)`` after every reload."""
        self._listeners.append(listener)

    def reload(self) -> None:
        """Read every file again; keep the content, or the problems that stop it loading."""
        self._stamps = stamps(self.content_dir)
        try:
            self.content, self.problems = load_content(self.content_dir), ()
        except ContentError as error:
            self.content, self.problems = None, tuple(error.problems)
        self.loaded_at = dt.datetime.now()
        self.loads += 1
        for listener in self._listeners:
            listener(self)

    def changed_on_disk(self) -> bool:
        """Whether a YAML file was added, removed or saved since the last load."""
        return stamps(self.content_dir) != self._stamps

    def check(self) -> bool:
        """Reload if a file changed since the last load; return whether it did."""
        if not self.changed_on_disk():
            return False
        self.reload()
        return True

    @property
    def watching(self) -> bool:
        """Whether the file watch is running."""
        return self._task is not None and not self._task.done()

    def start_watching(self, interval: float = WATCH_INTERVAL) -> None:
        """Look at the files every ``interval`` seconds and reload when one changed.

        Needs a running event loop (a Jupyter kernel has one).

        Raises:
            RuntimeError: no event loop is running.
        """
        if self.watching:
            return
        self._task = asyncio.get_running_loop().create_task(self._watch(interval))

    def stop_watching(self) -> None:
        """Stop the file watch (nothing happens if it is not running)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.check()
