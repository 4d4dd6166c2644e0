"""Fixtures shared by the tests (helpers live in ``helpers.py``, never imported from here)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import AUTHOR, CHROMIUM_ARGS, CONTENT, REVIEWER, SECOND, chromium_path, edit, make_key

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content


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


@pytest.fixture(scope="session")
def reviewer_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Throwaway ed25519 keys of the test reviewers (helpers.AUTHOR, REVIEWER, SECOND)."""
    folder = tmp_path_factory.mktemp("keys")
    return {who: make_key(folder, who) for who in (AUTHOR, REVIEWER, SECOND)}


Editor = Callable[[str, str, str], str]


@pytest.fixture
def edit_content(content_copy: Path) -> Editor:
    """``edit_content('screening.yaml', old, new)`` edits the copied English content."""

    def _edit(name: str, old: str, new: str) -> str:
        return edit(content_copy / "en" / name, old, new)

    return _edit


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Real Chromium (Debian's, or $CAM_CHROMIUM), one per test run."""
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
