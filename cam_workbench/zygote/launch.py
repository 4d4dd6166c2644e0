"""``python -m cam_workbench.zygote.launch -f FILE``: ``ipykernel_launcher`` without the debugger.

The patient kernels that are spawned rather than forked (``serve --no-fork-kernels``, or
when the zygote cannot be used) start this way: debugpy is made unimportable first, so that
ipykernel runs as it does when debugpy is not installed (``_is_debugpy_available`` is
false), which saves about 6 MiB per kernel. No patient ever debugs their page, and the
kernels of notebooks run elsewhere (``make test``, JupyterLab) keep their debugger.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

BLOCKED: Final = ("debugpy",)
"""Modules a patient kernel never imports."""


def block(names: tuple[str, ...] = BLOCKED) -> None:
    """Make ``names`` unimportable (``import`` raises ImportError)."""
    for name in names:
        sys.modules[name] = None  # type: ignore[assignment]


def main() -> None:
    """Start the kernel as ``ipykernel_launcher`` does, with :data:`BLOCKED` blocked."""
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]  # as ipykernel_launcher: the kernel adds its own folder back
    block()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
