"""Helpers shared by the tests: where the content is, inline YAML, edits, problems, Chromium.

Import them from here (``from helpers import ...``); ``conftest.py`` only defines fixtures.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import textwrap
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from cam_workbench.content.loading import load_content, load_file
from cam_workbench.content.problems import ContentError, Problem, ProblemCode

if TYPE_CHECKING:
    from cam_workbench.content.contentset import ContentSet
    from cam_workbench.content.model import TrackerFile
    from cam_workbench.views import PatientDashboard
    from cam_workbench.views.tracker import TrackerPanel

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
SCHEMA = CONTENT / "schema" / "content.schema.json"


def english_only(root: Path) -> Path:
    """Remove the translations (every language folder but ``en/``) from a content copy.

    For tests that change the English screening logic on its own: a translation must have
    the same rules, so with the translations left in, the copy would not load.
    """
    for folder in root.iterdir():
        if folder.is_dir() and len(folder.name) == 2 and folder.name != "en":
            shutil.rmtree(folder)
    return root


def write_yaml(path: Path, text: str | bytes) -> Path:
    """Write an inline snippet: text is dedented and stripped of its leading newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` in a file by ``new``; return the new text."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} found {len(hits)} times"
    return hits[occurrence - 1]


def problems_loading(root: Path) -> list[Problem]:
    """The problems ``load_content`` reports for ``root`` (fails if it loads)."""
    with pytest.raises(ContentError) as caught:
        load_content(root)
    assert caught.value.problems, "ContentError without problems"
    return caught.value.problems


def problems_of_file(path: Path) -> list[Problem]:
    """The problems ``load_file`` reports for one file."""
    loaded, found = load_file(path, str(path))
    assert loaded is None or not found
    return found


def find(problems: list[Problem], code: ProblemCode, file: str | None = None) -> list[Problem]:
    """The problems with ``code`` (in the file named ``file``, when given)."""
    return [p for p in problems if p.code == code and (file is None or Path(p.path).name == file)]


def assert_problem(
    problems: list[Problem], code: ProblemCode, line: int, file: str | None = None
) -> Problem:
    """Assert a problem with this code (and file) is reported at ``line``; return it."""
    same_code = find(problems, code, file)
    listing = "\n".join(f"  {p.code.name} {p}" for p in problems)
    assert same_code, f"no {code.name!r} problem{f' in {file}' if file else ''}; got:\n{listing}"
    at_line = [p for p in same_code if p.line == line]
    assert at_line, f"{code.name!r} not on line {line}; got:\n{listing}"
    return at_line[0]


# --- real Chromium, for the browser tests and the benchmarks (one definition) -------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The system Chromium (Debian's package), or $CAM_CHROMIUM."""
    return os.environ.get("CAM_CHROMIUM") or shutil.which("chromium")


KERNEL_COMMANDS = ("ipykernel_launcher", "cam_workbench.zygote.launch")
"""What a kernel's command line runs: a forked kernel shows itself as ipykernel_launcher."""


def proc_parent(pid: int) -> int | None:
    """The parent pid of a process (None if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def proc_cmdline(pid: int) -> str:
    """A process's command line, its arguments joined by spaces ("" if it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def zygotes_of(server_pid: int) -> list[int]:
    """The server's kernel zygotes: its children running ``python -m cam_workbench.zygote``."""
    pids = [int(e) for e in os.listdir("/proc") if e.isdigit()]
    return [
        pid
        for pid in pids
        if proc_parent(pid) == server_pid and " -m cam_workbench.zygote " in proc_cmdline(pid)
    ]


def kernel_processes(server_pid: int) -> list[tuple[int, str]]:
    """(pid, kernel id) of a server's kernels: spawned by it, or forked by its zygote."""
    import re

    parents = {server_pid, *zygotes_of(server_pid)}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or proc_parent(int(entry)) not in parents:
            continue
        cmdline = proc_cmdline(int(entry))
        match = re.search(r"kernel-([0-9a-f-]+)\.json", cmdline)
        if match and any(command in cmdline for command in KERNEL_COMMANDS):
            found.append((int(entry), match.group(1)))
    return found


# --- signed sign-off: throwaway SSH keys and the reviewers' list ---------------------------

#: Test reviewers: an author (submits), two reviewers (submit and approve).
AUTHOR, REVIEWER, SECOND = "test.author", "test.reviewer", "test.second"
BOTH_ROLES = 'namespaces="cam-workbench-signoff,cam-workbench-submit"'


def make_key(folder: Path, name: str) -> Path:
    """A throwaway ed25519 key pair without passphrase (``folder/name``, ``.pub``)."""
    import subprocess

    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


def allowed_line(reviewer: str, key: Path, options: str = BOTH_ROLES) -> str:
    """One allowed_signers line for a reviewer's public key."""
    return f"{reviewer} {options} {Path(f'{key}.pub').read_text().strip()}\n"


def list_reviewers(content_dir: Path, keys: dict[str, Path], extra: str = "") -> Path:
    """Write content/review/allowed_signers naming each reviewer id with both roles."""
    path = content_dir / "review" / "allowed_signers"
    lines = "".join(allowed_line(who, key) for who, key in keys.items())
    path.write_text("# test reviewers\n" + lines + extra, encoding="utf-8")
    return path


def sign_off(content_dir: Path, keys: dict[str, Path], *files: str) -> None:
    """Submit (as AUTHOR) and approve (as REVIEWER) the files, or every file that needs it.

    The shipped content asks for two people (``meta.two_person_review``), so the author's
    signed submission comes first. Lists the reviewers in the copy's allowed_signers.
    """
    from cam_workbench.cli import main

    list_reviewers(content_dir, keys)
    where = ["--content", str(content_dir)]
    assert main(["submit", *where, "--author", AUTHOR, "--key", str(keys[AUTHOR]), *files]) == 0
    approve = ["approve", *where, "--reviewer", REVIEWER, "--key", str(keys[REVIEWER])]
    assert main([*approve, *files]) == 0


def guide(content: ContentSet, language: str = "en") -> PatientDashboard:
    """A patient dashboard past the safety check ("None of these"), on the guide."""
    from cam_workbench.logic.flow import Screen
    from cam_workbench.views import PatientDashboard

    dashboard = PatientDashboard(content, language)
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    assert dashboard.screen is Screen.guide
    return dashboard


def open_tracker(dashboard: PatientDashboard, tracker: TrackerFile) -> TrackerPanel:
    """Open the guide's "Track your sessions" part, as a patient would; its panel."""
    button = dashboard.guide.nav.children[-1]
    assert button.description == tracker.heading
    button.click()
    (holder,) = [c for c in dashboard.guide.children if "cam-part" in c._dom_classes]
    assert holder.layout.display is None
    (panel,) = holder.children
    return panel


T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: the browser fixture's Playwright keeps an event
    loop running in the main thread, where ``asyncio.run`` is refused."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
