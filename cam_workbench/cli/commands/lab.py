"""``cam-workbench lab``: JupyterLab on the clinical review notebook (what ``make lab`` runs).

JupyterLab listens on 127.0.0.1 only, and keeps its token login: anyone else on a shared
machine can reach a 127.0.0.1 port, but not without the token. JupyterLab makes a random
token at each start and prints the address with it in this terminal (and opens the browser
with it through a file only this user can read); the token never goes on a command line,
where other users could see it in the process list. ``JUPYTER_TOKEN`` in the environment
sets it instead (the browser test does that).

Nothing is fetched from the internet: the extension manager is read-only (no PyPI search),
JupyterLab's news feed and update check are off, and its plugin that asks about news is
disabled (``templates/lab/labconfig/page_config.json``, on ``JUPYTER_CONFIG_PATH``).

The content folder (``--content``, default ``$CAM_WORKBENCH_CONTENT`` or the repository's)
reaches the notebook's kernel as ``$CAM_WORKBENCH_CONTENT``, as an absolute path (the kernel
runs in ``notebooks/``). The kernel is this Python's (``JUPYTER_PATH`` puts this
environment's kernel first).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Final

from cam_workbench.cli.common import UsageError, port_number
from cam_workbench.cli.common import content_dir as _content_dir
from cam_workbench.paths import CONTENT_ENV, REPO_ROOT, notebooks_dir

#: Our JupyterLab configuration folder (its ``labconfig/page_config.json``).
LAB_CONFIG: Final = Path(__file__).resolve().parents[2] / "templates" / "lab"

NAME: Final = "lab"
HELP: Final = "open JupyterLab on the clinical review notebook (127.0.0.1, token login)"

#: The notebook JupyterLab opens, relative to the repository.
REVIEW_NOTEBOOK: Final = "notebooks/clinical_review.ipynb"

#: JupyterLab's settings for the workbench: local only, and nothing fetched from outside.
SETTINGS: Final = (
    "--ServerApp.ip=127.0.0.1",
    "--LabApp.extension_manager=readonly",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--port``, ``--no-browser``, ``--allow-root``."""
    parser.add_argument(
        "--port",
        type=port_number,
        default=8888,
        help="port on 127.0.0.1 (default 8888; the next free one if it is taken)",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser: open the address printed with its token yourself",
    )
    parser.add_argument(
        "--allow-root",
        action="store_true",
        help="run as root (JupyterLab refuses otherwise; e.g. in a container)",
    )


def lab_command(
    content: Path, port: int, browser: bool = True, allow_root: bool = False
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start JupyterLab on the review notebook."""
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        *SETTINGS,
        f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={REPO_ROOT}",
        f"--LabApp.default_url=/lab/tree/{REVIEW_NOTEBOOK}",
        *([] if browser else ["--no-browser"]),
        *(["--allow-root"] if allow_root else []),
    ]
    env = {
        **os.environ,
        CONTENT_ENV: str(content.resolve()),
        "JUPYTER_PATH": _first(Path(sys.prefix) / "share" / "jupyter", "JUPYTER_PATH"),
        "JUPYTER_CONFIG_PATH": _first(LAB_CONFIG, "JUPYTER_CONFIG_PATH"),
    }
    return argv, env


def _first(folder: Path, variable: str) -> str:
    """A search path with ``folder`` before what ``$variable`` already holds."""
    return os.pathsep.join(p for p in (str(folder), os.environ.get(variable, "")) if p)


def run(args: argparse.Namespace) -> int:
    """Check what JupyterLab needs, then become JupyterLab (this process is replaced)."""
    content = _content_dir(args)
    if importlib.util.find_spec("jupyterlab") is None:
        raise UsageError(
            "JupyterLab is not installed in this environment: run 'make lab' (it installs "
            "it), or pip install 'cam-workbench[lab]'"
        )
    if not (notebooks_dir() / Path(REVIEW_NOTEBOOK).name).is_file():
        raise UsageError(
            f"the review notebook {REVIEW_NOTEBOOK} is not in {REPO_ROOT}: run this command "
            "from a copy of the repository"
        )
    if os.geteuid() == 0 and not args.allow_root:
        raise UsageError(
            "JupyterLab does not run as root unless told to: run it as your own user, or add "
            "--allow-root (make lab ARGS=--allow-root)"
        )
    _say_if_broken(content)
    argv, env = lab_command(content, args.port, not args.no_browser, args.allow_root)
    print(
        f"Starting JupyterLab on the review notebook, content folder {content.resolve()}.\n"
        "Open the address printed below with its token (only this terminal shows it); "
        "press Control-C twice to stop.",
        flush=True,
    )
    os.execve(argv[0], argv, env)
    return 0  # pragma: no cover - execve does not return


def _say_if_broken(content: Path) -> None:
    """Say so when the content does not load: the notebook will show where (not fatal)."""
    from cam_workbench.content.loading import load_content
    from cam_workbench.content.problems import ContentError

    try:
        load_content(content)
    except ContentError as error:
        count = sum(not p.is_warning for p in error.problems)
        print(
            f"note: the content does not load yet ({count} problem{'s' if count != 1 else ''}; "
            "'cam-workbench validate' lists them, and the live preview shows them as you fix "
            "them)",
            file=sys.stderr,
        )
