"""The live preview: the real patient page from the files on disk, at any screen, refreshed."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import edit, line_of, sign_off

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile
from cam_workbench.logic.flow import Screen
from cam_workbench.review.live import LiveContent
from cam_workbench.review.preview import LivePreview, go_to, stops
from cam_workbench.views import PatientDashboard
from cam_workbench.views.tracker import TrackerPanel

HEADING = "heading: Is it safe?"


def _tracker_panel(dashboard: PatientDashboard) -> TrackerPanel | None:
    """The tracker panel shown in the guide, if any."""
    for holder in dashboard.guide.children:
        if "cam-part" in holder._dom_classes and holder.layout.display != "none":
            return next((c for c in holder.children if isinstance(c, TrackerPanel)), None)
    return None


def _on_a_thread_of_its_own(run: Callable[[], None]) -> None:
    """Run in a thread with no event loop (sync Playwright's is running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()


def test_every_screen_is_listed_with_the_contents_own_words(content):
    found = {stop.key: stop for stop in stops(content, "en")}
    guide = content.guide("en")
    assert list(found)[:3] == ["question", "prompt:nothing_chosen", "prompt:contradiction"]
    outcomes = {o.id: o for o in content.screening("en").outcomes}
    for outcome_id in ("urgent", "see_doctor", "proceed"):
        assert outcomes[outcome_id].heading in found[f"outcome:{outcome_id}"].label
    assert "outcome:see_doctor:confirm" in found
    assert "outcome:urgent:confirm" not in found  # urgent stops: no way on, no confirm step
    assert [k for k in found if k.startswith("section:")] == [
        f"section:{s.id}" for s in guide.sections
    ]
    [tracker] = content.of_kind(TrackerFile, "en")
    assert found["tracker"].label == f"Guide: {tracker.heading}"
    spanish = {stop.key: stop.label for stop in stops(content, "es")}
    assert set(spanish) == set(found)  # same ids in both languages
    es_urgent = next(o for o in content.screening("es").outcomes if o.id == "urgent")
    assert es_urgent.heading in spanish["outcome:urgent"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_go_to_reaches_each_screen_through_the_pages_own_flow(content, language):
    dashboard = PatientDashboard(content, language, preview=True)
    screening = content.screening(language)
    for stop in stops(content, language):
        go_to(dashboard, stop)
        state = dashboard.flow.state
        if stop.key == "question":
            assert state.screen is Screen.question and state.prompt is None
            assert not any(box.value for box in dashboard.question.flags.values())
        elif stop.key.startswith("prompt:"):
            assert state.screen is Screen.question
            assert state.prompt is not None and state.prompt.value == stop.key.split(":")[1]
            prompt = getattr(screening.prompts, state.prompt.value)
            assert html.escape(prompt) in dashboard.question.prompt.value
        elif stop.key.startswith("outcome:"):
            outcome_id = stop.key.split(":")[1]
            assert state.decision is not None and state.decision.outcome.id == outcome_id
            gate = state.decision.outcome.gate
            assert state.screen is (Screen.outcome if gate else Screen.guide)
            assert state.confirming is stop.key.endswith(":confirm")
            if gate:
                assert html.escape(state.decision.outcome.heading) in dashboard.outcome.value
        elif stop.key.startswith("section:"):
            assert state.screen is Screen.guide
            section = content.guide(language).sections[stop.section]
            assert dashboard.guide.current == stop.section
            assert html.escape(section.heading) in dashboard.guide.section.value
            assert _tracker_panel(dashboard) is None
        else:
            assert stop.key == "tracker" and state.screen is Screen.guide
            panel = _tracker_panel(dashboard)
            assert panel is not None
            # No device widgets: their code is in the patient page's template only.
            assert panel.device is None and panel.keep is None
            assert "cam-current" in dashboard.tracker_button._dom_classes


def test_the_preview_shows_the_banner_as_the_patients_page_does_and_makes_no_downloads(
    content_copy, reviewer_keys
):
    unapproved = load_content(content_copy)
    banner = html.escape(unapproved.shared("en").ui.preview_banner)
    preview = LivePreview(content_copy, screen="outcome:see_doctor")
    assert banner in preview.dashboard.children[0].value  # not approved: the banner shows
    assert preview.dashboard.screen is Screen.outcome
    assert preview.dashboard.downloads.value == ""
    patient = PatientDashboard(unapproved)
    patient.question.flags["leg_symptoms"].value = True
    patient.question.continue_button.click()
    assert "my-answers.html" in patient.downloads.value  # the patient's page makes them
    sign_off(content_copy, reviewer_keys)
    preview.refresh_button.click()
    assert banner not in preview.dashboard.children[0].value  # approved: as patients see it


def test_the_pickers_change_language_and_screen_and_keep_each_other(content_copy):
    preview = LivePreview(content_copy)
    assert preview.dashboard.screen is Screen.question and preview.language == "en"
    assert dict(preview.language_pick.options) == {"English": "en", "Español": "es"}
    preview.screen_pick.value = "section:side_effects"
    assert preview.dashboard.screen is Screen.guide
    preview.language_pick.value = "es"
    es = load_content(content_copy)
    side_effects = next(s for s in es.guide("es").sections if s.id == "side_effects")
    assert preview.dashboard.language == "es"
    assert html.escape(side_effects.heading) in preview.dashboard.guide.section.value
    assert preview.screen_pick.value == "section:side_effects"
    assert side_effects.heading in preview.screen_pick.label  # the labels follow the language
    preview.dashboard.language_buttons["en"].click()  # the page's own "English" button
    assert preview.language_pick.value == "en" and preview.dashboard.language == "en"
    assert preview.screen_pick.value == "section:side_effects"
    index = [s.id for s in es.guide("en").sections].index("side_effects")
    assert preview.dashboard.guide.current == index and preview.dashboard.screen is Screen.guide


def test_refresh_shows_an_edit_and_problems_show_in_place_of_the_page(content_copy):
    preview = LivePreview(content_copy, screen="section:side_effects")
    guide = content_copy / "en" / "acupuncture.yaml"
    edit(guide, HEADING, "heading: Is acupuncture safe?")
    assert "Is acupuncture safe?" not in preview.dashboard.guide.section.value  # not yet read
    preview.refresh_button.click()
    assert "Is acupuncture safe?" in preview.dashboard.guide.section.value
    assert preview.screen_pick.value == "section:side_effects"
    # A broken file: the problems, as path:line messages, where the page was.
    text = edit(guide, "heading: Is acupuncture safe?", "heding: Is acupuncture safe?")
    preview.refresh_button.click()
    assert preview.dashboard is None
    [shown] = preview.page.children
    line = line_of(text, "heding:")
    assert f"{guide}:{line}</code>" in shown.value  # the path as the loader gives it
    assert "unknown key" in shown.value and "heading" in shown.value
    edit(guide, "heding:", "heading:")
    preview.refresh_button.click()
    assert preview.dashboard is not None and preview.dashboard.screen is Screen.guide


def test_the_file_watch_reloads_only_after_a_save_and_stops(content_copy):
    live = LiveContent(content_copy)
    assert live.check() is False and live.loads == 1  # nothing changed: nothing read
    preview = LivePreview(live, screen="section:side_effects")

    async def scenario() -> None:
        preview.watch_box.value = True  # in a kernel, the event loop is running
        assert live.watching
        preview.watch_box.value = False
        assert not live.watching
        live.start_watching(interval=0.02)
        assert live.watching
        await asyncio.sleep(0.1)
        assert live.loads == 1
        edit(content_copy / "en" / "acupuncture.yaml", HEADING, "heading: Is acupuncture safe?")
        for _ in range(100):
            await asyncio.sleep(0.02)
            if live.loads > 1:
                break
        live.stop_watching()
        assert not live.watching

    _on_a_thread_of_its_own(lambda: asyncio.run(scenario()))
    assert live.loads == 2
    assert "Is acupuncture safe?" in preview.dashboard.guide.section.value  # the page follows


def test_the_watch_box_without_an_event_loop_says_to_use_refresh(content_copy):
    def tick() -> None:
        preview = LivePreview(content_copy)
        preview.watch_box.value = True
        assert preview.watch_box.value is False and not preview.live.watching
        assert "Refresh" in preview.status.value

    _on_a_thread_of_its_own(tick)
