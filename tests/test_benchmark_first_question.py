"""The benchmark's "first question" moment (benchmarks/_browser.py), in real Chromium.

Every time-to-first-question figure in the README rests on this detector: it must fire only
when a patient could see and click the first red flag, not when the checkbox is merely in the
page (hidden, unstyled, covered by something else).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _browser import FIRST_QUESTION_JS  # noqa: E402

LABEL = "Severe pain in a leg"

PAGE = f"""<!DOCTYPE html><html><body>
<div id="cells" style="display: none">
  <label><input type="checkbox"> {LABEL}</label>
</div>
<div id="cover" style="position: fixed; inset: 0; background: white"></div>
</body></html>"""


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.add_init_script(FIRST_QUESTION_JS % json.dumps(LABEL))
    tab.goto("data:text/html," + quote(PAGE))
    yield tab
    context.close()


def first_question(tab) -> float | None:
    tab.wait_for_timeout(150)  # a few animation frames
    return tab.evaluate("window.__firstQuestion")


def test_a_hidden_or_covered_checkbox_is_not_a_first_question(page):
    assert first_question(page) is None  # in the DOM, but its cell is hidden
    page.evaluate("document.getElementById('cells').style.display = ''")
    assert first_question(page) is None  # shown, but under something a click would reach
    page.evaluate("document.getElementById('cover').remove()")
    assert first_question(page) is not None


def test_a_style_sheet_that_uncovers_it_is_noticed_without_a_dom_change(page):
    page.evaluate("document.getElementById('cells').style.display = ''")
    assert first_question(page) is None
    # A style sheet arriving (as Voila's do) changes no node the detector watches.
    page.evaluate(
        "document.adoptedStyleSheets = [(() => {"
        " const s = new CSSStyleSheet(); s.replaceSync('#cover { display: none }'); return s;"
        "})()]"
    )
    assert first_question(page) is not None


def test_a_disabled_checkbox_or_another_label_is_not_the_first_question(page):
    page.evaluate(
        "document.getElementById('cover').remove();"
        "document.getElementById('cells').style.display = '';"
        "document.querySelector('input').disabled = true"
    )
    assert first_question(page) is None
    page.evaluate(
        "document.querySelector('label').lastChild.textContent = ' Something else';"
        "document.querySelector('input').disabled = false;"
        "document.body.className = 'changed'"  # a change the detector watches: it looks again
    )
    assert first_question(page) is None
