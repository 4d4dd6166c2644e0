"""Patient text reaches the page exactly as the content says (issue 18: no typesetting step).

JupyterLab typesets every widget label and HTML widget with MathJax, so a text with two dollar
signs ("$20 to $40") would turn into mathematics. The patient page shows no mathematics: it
loads no MathJax at all (page config ``fullMathjaxUrl``: a typesetter that does nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import edit
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content

from .servers import start_server, stop_server

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING, SHARED, GUIDE = CONTENT.screening(), CONTENT.shared(), CONTENT.guide()
PRICE = "A visit may cost $20 to $40 \\(or more\\)."
"""Dollar signs and backslashed brackets: MathJax's inline delimiters."""


def test_dollar_signs_and_brackets_in_content_are_shown_as_written(browser, content_copy, tmp_path):
    first = SCREENING.items[0].text
    edit(content_copy / "en" / "screening.yaml", first, f"{first} {PRICE}")
    section = GUIDE.sections[0].body[0]
    assert isinstance(section, str)
    edit(content_copy / "en" / "acupuncture.yaml", section, f"{section} {PRICE}")
    server = start_server(tmp_path, "--content", str(content_copy))
    context = browser.new_context()
    scripts: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else 0)
        page.goto(server.url)
        flag = page.get_by_role("checkbox", name=f"{first} {PRICE}")  # a checkbox's label
        expect(flag).to_be_visible()
        page.get_by_role("checkbox", name=SCREENING.none_option.text).check()
        page.get_by_role("button", name=SHARED.ui.continue_).click()
        expect(page.get_by_role("heading", name=SHARED.ui.guide_heading)).to_be_visible()
        expect(page.get_by_text(f"{section} {PRICE}")).to_be_visible()  # an HTML widget
        assert page.locator("mjx-container, .MathJax").count() == 0
        assert not [url for url in scripts if "mathjax" in url.lower()]
    finally:
        context.close()
        stop_server(server)
