"""Work done once typing pauses: the heavy parts of the page wait for the patient's last key.

A text field sends its value on every key. Some of what a change updates is large (the
health-record download carries every tracked score as a data URL, about 70 KB with 20
sessions): rebuilding it on every key would send that much through the server per key.
:class:`AfterPause` runs such work once, a moment after the last change.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

#: Seconds without a change before the waiting work runs: longer than the gap between two
#: keys of someone typing, shorter than moving from a field to a link and clicking it.
PAUSE_S = 0.4


def kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the ipykernel this code runs in, else ``None``.

    Only a kernel's loop is used: another library's loop in the same thread (a test
    browser's) may not be turning while this code runs.
    """
    kernelbase = sys.modules.get("ipykernel.kernelbase")
    if kernelbase is None or not kernelbase.Kernel.initialized():
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class AfterPause:
    """Run ``action`` once, ``delay`` seconds after the last :meth:`soon`.

    In a kernel the wait is on its event loop. Outside a kernel (plain Python, a test),
    :meth:`soon` runs ``action`` at once.
    """

    def __init__(
        self,
        action: Callable[[], None],
        delay: float = PAUSE_S,
        loop: Callable[[], asyncio.AbstractEventLoop | None] | None = None,
    ) -> None:
        """Wait ``delay`` seconds of quiet before ``action``.

        ``loop()`` gives the event loop to wait on, or ``None`` to run at once; by default
        :func:`kernel_loop`.
        """
        self._action = action
        self._delay = delay
        self._loop = loop
        self._waiting: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> bool:
        """Whether the action is due and has not run yet."""
        return self._waiting is not None

    def soon(self) -> None:
        """Run the action after the pause (or at once, outside an event loop)."""
        loop = (self._loop or kernel_loop)()
        if loop is None:
            self.now()
            return
        self.cancel()
        self._waiting = loop.call_later(self._delay, self.now)

    def now(self) -> None:
        """Run the action now (a waiting run is then not needed)."""
        self.cancel()
        self._action()

    def cancel(self) -> None:
        """Drop a waiting run."""
        if self._waiting is not None:
            self._waiting.cancel()
            self._waiting = None
