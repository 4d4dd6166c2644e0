"""The Spanish path end to end: switch with "Español"/"English", or start from ?lang=es."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
EN_SCREENING, ES_SCREENING = CONTENT.screening("en"), CONTENT.screening("es")
EN, ES = CONTENT.shared("en"), CONTENT.shared("es")
EN_DOCTOR = next(o for o in EN_SCREENING.outcomes if o.id == "see_doctor")
ES_DOCTOR = next(o for o in ES_SCREENING.outcomes if o.id == "see_doctor")


def test_switch_to_spanish_and_back_keeps_the_answers(page, server):
    page.goto(server.url)
    expect(page.get_by_role("checkbox", name=EN_SCREENING.items[0].text)).to_be_visible(
        timeout=30_000
    )
    page.get_by_role("button", name=ES.ui.language_name).click()  # "Español"
    expect(page.locator("html")).to_have_attribute("lang", "es")
    flag = page.get_by_role("checkbox", name=ES_SCREENING.items[0].text)
    expect(flag).to_be_visible()
    flag.check()
    page.get_by_role("button", name=ES.ui.continue_).click()
    expect(page.get_by_role("heading", name=ES_DOCTOR.heading)).to_be_visible()
    expect(page.get_by_text("911").first).to_be_visible()
    page.get_by_role("button", name=EN.ui.language_name).click()  # "English"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name=EN_DOCTOR.heading)).to_be_visible()
    page.get_by_role("button", name=EN_DOCTOR.cleared_label).click()
    page.get_by_role("button", name=EN.ui.clearance.yes).click()
    expect(page.get_by_role("heading", name=EN.ui.guide_heading)).to_be_visible()


def test_spanish_from_the_address_through_the_none_path_to_the_guide(page, server):
    page.goto(f"{server.url}?lang=es")
    none = page.get_by_role("checkbox", name=ES_SCREENING.none_option.text)
    expect(none).to_be_visible(timeout=30_000)
    expect(page).to_have_title(ES.ui.page_title)
    none.check()
    page.get_by_role("button", name=ES.ui.continue_).click()
    expect(page.get_by_role("heading", name=ES.ui.guide_heading)).to_be_visible()
    last = CONTENT.guide("es").sections[-1]
    page.get_by_role("button", name=last.heading, exact=True).click()
    expect(page.get_by_role("heading", name=last.heading, level=3)).to_be_visible()
