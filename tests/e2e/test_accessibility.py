"""Every patient can use it: axe-core, keyboard only, phone screens, text at 200%."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
LANGUAGES = CONTENT.languages
AXE = Axe()


def texts(language: str):
    return CONTENT.screening(language), CONTENT.shared(language), CONTENT.guide(language)


def violations(page) -> list[dict]:
    return AXE.run(page).response["violations"]


def describe(found: list[dict]) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in found)


def open_page(page, server, language: str):
    page.goto(f"{server.url}?lang={language}")
    screening, _, _ = texts(language)
    first = page.get_by_role("checkbox", name=screening.items[0].text, exact=True)
    expect(first).to_be_visible(timeout=30_000)
    return first


def every_screen(page, server, language: str):
    """Yield (name, page) on every screen: start, outcome, each guide section, proceed path."""
    screening, shared, guide = texts(language)
    see_doctor = next(o for o in screening.outcomes if o.id == "see_doctor")
    first = open_page(page, server, language)
    yield "start", page
    page.get_by_role("button", name=shared.ui.continue_).click()
    expect(
        page.get_by_role("alert").filter(has_text=screening.prompts.nothing_chosen[:20])
    ).to_be_visible()
    yield "prompt", page
    first.check()
    page.get_by_role("button", name=shared.ui.continue_).click()
    cleared = page.get_by_role("button", name=see_doctor.cleared_label)
    expect(cleared).to_be_visible()
    yield "outcome", page
    cleared.click()
    confirm = page.get_by_role("button", name=shared.ui.clearance.yes)
    expect(confirm).to_be_visible()
    yield "confirm", page
    confirm.click()
    for section in guide.sections:
        page.get_by_role("button", name=section.heading, exact=True).click()
        expect(page.get_by_role("heading", name=section.heading, level=3)).to_be_visible()
        yield f"guide:{section.id}", page
    yield from tracker_screens(page, language)
    page.get_by_role("button", name=shared.ui.start_again).click()
    urgent = next(o for o in screening.outcomes if o.id == "urgent")
    page.get_by_role("checkbox", name=screening.items[1].text, exact=True).check()
    page.get_by_role("button", name=shared.ui.continue_).click()
    expect(page.get_by_role("heading", name=urgent.heading)).to_be_visible()
    yield "urgent", page
    page.get_by_role("button", name=shared.ui.start_again).click()
    page.get_by_role("checkbox", name=screening.none_option.text).check()
    page.get_by_role("button", name=shared.ui.continue_).click()
    expect(page.get_by_role("heading", name=shared.ui.guide_heading)).to_be_visible()
    yield "proceed", page


def tracker_screens(page, language: str):
    """Yield the tracker's screens: scores typed, Forget's confirm step, a wrong file."""
    tracker = CONTENT.of_kind(TrackerFile, language)[0]
    page.get_by_role("button", name=tracker.heading).click()
    chooser = page.get_by_label(tracker.load.label)
    expect(chooser).to_be_visible()  # the device answered: the keeping part is complete
    for number, score in enumerate(("8", "4"), start=1):
        name = f"{tracker.labels.session.format(n=number)}: {tracker.labels.before}"
        page.get_by_role("textbox", name=name, exact=True).fill(score)
    expect(page.get_by_role("img", name=re.compile(re.escape(tracker.chart.title)))).to_be_visible()
    yield "tracker", page
    page.get_by_role("button", name=tracker.forget.button, exact=True).click()
    expect(page.get_by_role("button", name=tracker.forget.yes)).to_be_visible()
    yield "tracker:forget", page
    page.get_by_role("button", name=tracker.forget.no).click()
    chooser.set_input_files(files=[{"name": "x.csv", "mimeType": "text/csv", "buffer": b"a,b"}])
    expect(page.get_by_text(tracker.load.unreadable)).to_be_visible()
    yield "tracker:wrong-file", page


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_violation_on_any_screen(page, server, language):
    counts: dict[str, Counter] = {}
    problems = []
    for name, current in every_screen(page, server, language):
        found = violations(current)
        counts[name] = Counter(v["impact"] for v in found)
        if found:
            problems.append(f"{name}: {describe(found)}")
    assert len(counts) >= 5 + len(texts(language)[2].sections) + 3  # 3 of the tracker
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_page_language_and_title_follow_the_content(page, server, language):
    open_page(page, server, language)
    _, shared, _ = texts(language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page).to_have_title(shared.ui.page_title)


def focused(page) -> dict:
    return page.evaluate(
        """() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const label = el.closest('label');
        return {
          tag: el.tagName.toLowerCase(),
          name: (el.getAttribute('aria-label') || (label ? label.innerText : el.innerText)
                 || el.getAttribute('title') || '').trim(),
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        };
    }"""
    )


def tab_to(page, name: str, limit: int = 40) -> list[dict]:
    """Press Tab until the control named ``name`` has focus; return every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focused(page)
        stops.append(stop)
        assert stop["outline"], f"focus not visible on {stop}"
        if stop["name"] == name:
            return stops
    raise AssertionError(f"Tab never reached {name!r}; stops: {[s['name'] for s in stops]}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_keyboard_only_red_flag_path(page, server, language):
    screening, shared, guide = texts(language)
    see_doctor = next(o for o in screening.outcomes if o.id == "see_doctor")
    first = open_page(page, server, language)
    stops = tab_to(page, screening.items[0].text)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    stops += tab_to(page, shared.ui.continue_)
    names = [s["name"] for s in stops]
    order = [item.text for item in screening.items] + [screening.none_option.text]
    assert [n for n in names if n in order] == order  # every answer, in reading order
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=see_doctor.heading)).to_be_visible()
    expect(page.get_by_role("button", name=see_doctor.cleared_label)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=shared.ui.clearance.yes)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=shared.ui.guide_heading)).to_be_visible()
    last = guide.sections[-1].heading
    tab_to(page, last)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=last, level=3)).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_keyboard_only_none_of_these_path(page, server, language):
    screening, shared, _ = texts(language)
    open_page(page, server, language)
    tab_to(page, screening.none_option.text)
    page.keyboard.press("Space")
    tab_to(page, shared.ui.continue_)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=shared.ui.guide_heading)).to_be_visible()


PHONE_CHECK = """(selector) => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  const small = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('.cam-sr-only')) continue;
    if (r.right > width + 1) wide.push(el.tagName + '.' + el.className);
    if (el.matches(selector) && (r.width < 24 || r.height < 24)) {
      small.push(`${el.tagName} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  // Parts of an SVG drawing (the tracker's chart) are no scroll containers: a rotated axis
  // label reports a scrollWidth a few pixels over its clientWidth, yet nothing can scroll.
  const scrollers = [document.scrollingElement, ...document.querySelectorAll('*')]
    .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'hidden'
                  && getComputedStyle(el).overflowX !== 'clip' && el.clientWidth > 0
                  && !el.closest('.cam-sr-only')
                  && !(el instanceof SVGElement && el.ownerSVGElement));
  const fonts = [...document.querySelectorAll('.cam-app p, .cam-app li, .cam-app label')]
    .filter(el => el.textContent.trim())
    .map(el => parseFloat(getComputedStyle(el).fontSize));
  return {wide: wide.slice(0, 5), small: small.slice(0, 5),
          scrollers: scrollers.map(el => el.tagName + '.' + el.className).slice(0, 5),
          minFont: Math.min(...fonts)};
}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_375_nothing_scrolls_sideways_targets_big_text_readable(browser, server, language):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        for name, current in every_screen(page, server, language):
            found = current.evaluate(PHONE_CHECK, "button, input[type=checkbox], a[href], summary")
            assert not found["wide"], (name, found)
            assert not found["scrollers"], (name, found)
            assert not found["small"], (name, found)
            assert found["minFont"] >= 16, (name, found)
    finally:
        context.close()


IN_VIEW = """el => { const r = el.getBoundingClientRect();
                      return r.top >= 0 && r.bottom <= window.innerHeight; }"""


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("flag", "outcome_id", "by_keyboard"),
    [("bladder_bowel", "urgent", False), ("leg_symptoms", "see_doctor", True), (None, None, False)],
)
def test_phone_375_a_new_screen_shows_its_heading_first(
    browser, server, language, flag, outcome_id, by_keyboard
):
    """Focus moves to the new screen's first control, yet the phone shows the screen's top:
    the outcome's heading (on the urgent outcome, where to go now), not the bottom of it."""
    screening, shared, _ = texts(language)
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_page(page, server, language)
        if flag is None:
            page.get_by_role("checkbox", name=screening.none_option.text).check()
            proceed = next(o for o in screening.outcomes if o.id == "proceed")
            heading = page.get_by_role("heading", name=proceed.heading)  # the guide's top
            focus = page.get_by_role("button", name=CONTENT.guide(language).sections[0].heading)
        else:
            item = next(i for i in screening.items if i.id == flag)
            outcome = next(o for o in screening.outcomes if o.id == outcome_id)
            page.get_by_role("checkbox", name=item.text, exact=True).check()
            heading = page.get_by_role("heading", name=outcome.heading)
            label = shared.ui.start_again if outcome.stop else outcome.cleared_label
            focus = page.get_by_role("button", name=label)
        continue_button = page.get_by_role("button", name=shared.ui.continue_)
        if by_keyboard:
            continue_button.focus()
            page.keyboard.press("Enter")
        else:
            continue_button.tap()
        expect(focus).to_be_focused()
        page.wait_for_timeout(300)  # past the browser's scroll to the focused control
        assert heading.evaluate(IN_VIEW), f"{outcome_id or 'proceed'}: heading not in view"
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_375_the_clearance_step_shows_its_question(browser, server, language):
    """The confirm step opens below the outcome: the phone shows its question, focus on Yes."""
    screening, shared, _ = texts(language)
    see_doctor = next(o for o in screening.outcomes if o.id == "see_doctor")
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_page(page, server, language).check()
        page.get_by_role("button", name=shared.ui.continue_).tap()
        page.get_by_role("button", name=see_doctor.cleared_label).tap()
        expect(page.get_by_role("button", name=shared.ui.clearance.yes)).to_be_focused()
        page.wait_for_timeout(300)  # past the browser's scroll to the focused control
        question = page.locator("p.cam-confirm")
        assert question.evaluate(IN_VIEW), "the confirm question is not in view"
    finally:
        context.close()


def test_text_at_200_percent_loses_nothing(browser, server):
    """Browser zoom 200% on a 1280 px screen is the layout of a 640 px one, text doubled."""
    context = browser.new_context(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_page(page, server, "en")
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        found = page.evaluate(PHONE_CHECK, "button, input[type=checkbox]")
        assert not found["wide"], found
        assert not found["scrollers"], found
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('.cam-app label, .cam-app button, .cam-app p')]
              .filter(el => el.scrollWidth > el.clientWidth + 1
                         || el.scrollHeight > el.clientHeight + 1)
              .map(el => el.textContent.slice(0, 40))"""
        )
        assert not clipped, clipped
    finally:
        context.close()


def test_outcome_is_announced_by_a_live_region(page, server):
    screening, shared, _ = texts("en")
    see_doctor = next(o for o in screening.outcomes if o.id == "see_doctor")
    open_page(page, server, "en").check()
    live = page.locator("[aria-live=polite]")
    page.get_by_role("button", name=shared.ui.continue_).click()
    expect(live.filter(has_text=re.compile(re.escape(see_doctor.heading)))).to_have_count(1)
