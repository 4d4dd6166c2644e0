"""The session tracker in real Chromium, and the workshop slides (`serve --workshop`)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile

from .servers import start_server, stop_server

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING = CONTENT.screening()
SHARED = CONTENT.shared()
TRACKER = CONTENT.of_kind(TrackerFile, "en")[0]


def pain_field(page, number: int):
    """The "Session N" field: its accessible name is "Session N: Pain before ..."."""
    name = f"{TRACKER.labels.session.format(n=number)}: {TRACKER.labels.before}"
    return page.get_by_role("textbox", name=name, exact=True)


def open_tracker(page, url):
    page.goto(url)
    page.get_by_role("checkbox", name=SCREENING.none_option.text).check(timeout=30_000)
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=SHARED.ui.guide_heading)).to_be_visible()
    page.get_by_role("button", name=TRACKER.heading).click()
    expect(page.get_by_role("heading", name=TRACKER.heading, level=3)).to_be_visible()


def test_four_scores_show_a_50_percent_drop_and_a_chart(page, server, tmp_path):
    open_tracker(page, server.url)
    for number, score in enumerate(("8", "7", "5", "4"), start=1):
        pain_field(page, number).fill(score)
    expect(page.get_by_text("went down by 50%")).to_be_visible()
    milestone = TRACKER.milestone.message.format(n=TRACKER.milestone.after_session)
    expect(page.get_by_text(milestone)).to_be_visible()
    chart = page.get_by_role("img", name=re.compile(re.escape(TRACKER.chart.title)))
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_name(re.compile(r"session 4: 4"))
    assert chart.locator("polyline").count() == 1
    with page.expect_download() as info:
        page.get_by_role("link", name=TRACKER.labels.download).click()
    saved = tmp_path / "sessions.csv"
    info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [row[2] for row in rows[1:]] == ["8", "7", "5", "4"]


def test_a_bad_score_gets_a_message_and_is_not_used(page, server):
    open_tracker(page, server.url)
    pain_field(page, 1).fill("8")
    pain_field(page, 2).fill("11")
    alert = page.get_by_role("alert").filter(has_text=TRACKER.messages.bad_score)
    expect(alert).to_be_visible()
    expect(page.get_by_text(TRACKER.messages.need_two)).to_be_visible()
    pain_field(page, 2).fill("4")
    expect(alert).to_have_count(0)
    expect(page.get_by_text("went down by 50%")).to_be_visible()


def test_serve_workshop_shows_slides_offline(browser, tmp_path):
    server = start_server(tmp_path, "--workshop")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    outside: list[str] = []

    def local_only(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", local_only)
        page.goto(server.url)
        current = page.locator(".reveal .slides > section.present")
        expect(current).to_be_visible()
        expect(current.get_by_role("heading", level=1)).to_be_visible()
        assert page.locator(".reveal .slides > section").count() >= 8
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        expect(current.get_by_role("heading", name=re.compile(r"^Person A"))).to_be_visible()
        assert outside == []
        # Under the server's Content-Security-Policy: no refused script, no script error.
        assert page.evaluate("window.reveal_width") == 1280
        assert errors == []
    finally:
        context.close()
        stop_server(server)
