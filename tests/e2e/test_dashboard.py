"""A patient goes through the dashboard in real Chromium against `cam-workbench serve`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING = CONTENT.screening()
SHARED = CONTENT.shared()
GUIDE = CONTENT.guide()
ITEM = {item.id: item.text for item in SCREENING.items}
SEE_DOCTOR = next(o for o in SCREENING.outcomes if o.id == "see_doctor")
URGENT = next(o for o in SCREENING.outcomes if o.id == "urgent")


def open_dashboard(page, url):
    page.goto(url)
    first = page.get_by_role("checkbox", name=ITEM["leg_symptoms"])
    expect(first).to_be_visible(timeout=30_000)
    return first


def guide_heading(page):
    return page.get_by_role("heading", name=SHARED.ui.guide_heading)


def test_red_flag_then_doctor_advice_then_the_patients_word_then_guide(page, server):
    open_dashboard(page, server.url).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
    expect(page.get_by_text(re.compile(r"call 911", re.I)).first).to_be_visible()
    expect(page.get_by_text(SEE_DOCTOR.if_worse)).to_be_visible()
    expect(guide_heading(page)).to_have_count(0)
    page.get_by_role("button", name=SEE_DOCTOR.cleared_label).click()
    expect(page.locator(".cam-confirm")).to_have_text(SHARED.ui.clearance.confirm)
    expect(guide_heading(page)).to_have_count(0)  # one click is not enough
    page.get_by_role("button", name=SHARED.ui.clearance.yes).click()
    expect(guide_heading(page)).to_be_visible()
    expect(page.get_by_text(SEE_DOCTOR.cleared_message[0])).to_be_visible()
    expect(page.get_by_role("heading", name=GUIDE.sections[0].heading, level=3)).to_be_visible()
    page.get_by_role("button", name=GUIDE.sections[-1].heading).click()
    expect(page.get_by_role("heading", name=GUIDE.sections[-1].heading, level=3)).to_be_visible()


def test_bladder_or_bowel_trouble_says_get_care_now_and_offers_no_way_on(page, server):
    open_dashboard(page, server.url)
    page.get_by_role("checkbox", name=ITEM["bladder_bowel"]).check()
    page.get_by_role("checkbox", name=ITEM["leg_symptoms"]).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=URGENT.heading)).to_be_visible()
    expect(page.get_by_text(URGENT.message[1])).to_be_visible()
    expect(page.get_by_text(URGENT.if_worse)).to_be_visible()
    expect(page.get_by_role("button", name=SEE_DOCTOR.cleared_label)).to_have_count(0)
    expect(guide_heading(page)).to_have_count(0)
    expect(page.get_by_role("button", name=SHARED.ui.start_again)).to_be_focused()


def test_every_page_shows_its_review_dates(page, server):
    open_dashboard(page, server.url)
    dates = SHARED.ui.review_dates
    expect(page.get_by_text(dates.not_reviewed)).to_be_visible()
    due = SCREENING.meta.next_review_due
    expect(page.get_by_text(f"{dates.months[due.month - 1]} {due.day}, {due.year}")).to_be_visible()


def test_none_of_these_goes_to_the_guide(page, server):
    open_dashboard(page, server.url)
    page.get_by_role("checkbox", name=SCREENING.none_option.text).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(guide_heading(page)).to_be_visible()
    expect(page.get_by_text(re.compile(r"911")).first).to_be_visible()


def test_continue_with_nothing_chosen_does_not_reach_the_guide(page, server):
    open_dashboard(page, server.url)
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("alert").filter(has_text="check at least one")).to_be_visible()
    expect(guide_heading(page)).to_have_count(0)
    expect(page.get_by_role("checkbox", name=ITEM["leg_symptoms"])).to_be_visible()


def test_reload_starts_clean(page, server):
    open_dashboard(page, server.url).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_be_visible()
    page.reload()
    first = page.get_by_role("checkbox", name=ITEM["leg_symptoms"])
    expect(first).to_be_visible(timeout=30_000)
    expect(first).not_to_be_checked()
    expect(page.get_by_role("heading", name=SEE_DOCTOR.heading)).to_have_count(0)


def test_page_shows_no_code_and_has_a_title(page, server):
    open_dashboard(page, server.url)
    html = page.content()
    for code in ("build_dashboard", "from cam_workbench", "display(dashboard", "Traceback"):
        assert code not in html, code
    expect(page).to_have_title(SHARED.ui.page_title)


def test_answers_never_reach_the_server_log(page, server):
    open_dashboard(page, server.url)
    for item_id in ("bladder_bowel", "cancer_weight"):
        page.get_by_role("checkbox", name=ITEM[item_id]).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=URGENT.heading)).to_be_visible()
    log = server.log()
    for secret in ("bladder_bowel", "cancer_weight", ITEM["bladder_bowel"], URGENT.heading):
        assert secret not in log


def test_patient_downloads_a_printable_copy_of_their_answers(page, server, tmp_path):
    open_dashboard(page, server.url).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    with page.expect_download() as info:
        page.get_by_role("link", name=SHARED.summary.download_summary).click()
    saved = tmp_path / "copy.html"
    info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert SEE_DOCTOR.heading in text
    assert "911" in text
