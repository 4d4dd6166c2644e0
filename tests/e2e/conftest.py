"""Fixtures for end-to-end tests: a real `cam-workbench serve` and a page in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .servers import Server, start_server, stop_server


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """One server for the session's browser tests (they do not change its content).

    Every test's visits come from 127.0.0.1, and a closed test page's kernel lingers up to a
    minute, so the per-address limit (20 by default, tested on its own server in
    test_security_sessions.py) is raised here.
    """
    srv = start_server(tmp_path_factory.mktemp("serve"), "--max-per-address", "200")
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
