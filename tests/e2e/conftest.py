"""Fixtures for end-to-end tests: a real `cam-workbench serve` and a page in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .servers import Server, start_server, stop_server


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """One server for the session's browser tests (they do not change its content)."""
    srv = start_server(tmp_path_factory.mktemp("serve"))
    yield srv
    stop_server(srv)


@pytest.fixture
def page(browser, server):
    """A fresh browser context and page at 1280 x 900."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
