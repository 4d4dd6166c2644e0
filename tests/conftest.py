"""Shared fixtures: a private copy of the shipped content, inline YAML files, edits."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content, load_file
from cam_workbench.content.problems import ContentError, Problem, ProblemCode

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
SCHEMA = CONTENT / "schema" / "content.schema.json"


@pytest.fixture(scope="session")
def content() -> ContentSet:
    """The shipped content, loaded once for the whole run (read-only: models are frozen)."""
    return load_content(CONTENT)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped content folder (YAML and schema) that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


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


Editor = Callable[[str, str, str], str]


@pytest.fixture
def edit_content(content_copy: Path) -> Editor:
    """``edit_content('screening.yaml', old, new)`` edits the copied English content."""

    def _edit(name: str, old: str, new: str) -> str:
        return edit(content_copy / "en" / name, old, new)

    return _edit


# --- real Chromium, shared by every browser test (one Playwright per process) ----------

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


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI (apt-get install chromium)")
        pytest.skip("Chromium not installed (apt-get install chromium, or set CAM_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
