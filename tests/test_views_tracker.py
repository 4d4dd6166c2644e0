"""The tracker panel and its place in the guide, driven as a patient would (.value, .click())."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import re
import subprocess
import sys

import pytest
from helpers import guide, open_tracker

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile
from cam_workbench.logic.tracker import SessionLog
from cam_workbench.render.chart import Series, line_chart_svg
from cam_workbench.views.tracker import TrackerPanel, chart_label


@pytest.fixture(scope="module")
def tracker(content) -> TrackerFile:
    return content.of_kind(TrackerFile, "en")[0]


@pytest.fixture
def panel(tracker) -> TrackerPanel:
    return TrackerPanel(tracker)


def type_scores(panel: TrackerPanel, *scores: str) -> None:
    for number, score in enumerate(scores, start=1):
        panel.pain_field(number).value = score


def csv_rows(panel: TrackerPanel) -> list[list[str]]:
    data = re.search(r'base64,([^"]+)"', panel.download.value).group(1)
    return list(csv.reader(io.StringIO(base64.b64decode(data).decode("utf-8"))))


def test_each_session_has_fields_named_session_n(panel, tracker):
    assert len(panel.cards) == tracker.initial_sessions
    for number, card in enumerate(panel.cards, start=1):
        name = tracker.labels.session.format(n=number)
        assert f"<h4>{name}</h4>" in card.children[0].value
        for field, label in (
            (card.before, tracker.labels.before),
            (card.after, tracker.labels.after),
            (card.date, tracker.labels.date),
            (card.note, tracker.labels.note),
        ):
            assert field.description_allow_html
            text = re.sub(r"<[^>]+>", "", field.description)
            assert text == f"{name}: {label}"  # the accessible name starts with "Session N"


def test_four_scores_show_the_50_percent_drop_the_4_session_message_and_a_chart(panel, tracker):
    type_scores(panel, "8", "7", "5", "4")
    assert "went down by 50%" in panel.message
    assert html.escape(tracker.milestone.message.format(n=4)) in panel.result.value
    assert 'role="status"' in panel.result.value
    assert "<svg" in panel.chart.value and 'role="img"' in panel.chart.value
    assert "session 4: 4" in panel.chart.value  # the values, for screen readers
    assert panel.session_log.session(4).before == 4


@pytest.mark.parametrize("bad", ["seven", "11", "-1", "7.5"])
def test_a_bad_value_gets_an_inline_message_and_is_not_stored(panel, tracker, bad):
    type_scores(panel, "8", bad)
    card = panel.cards[1]
    assert html.escape(tracker.messages.bad_score) in card.problem_text
    assert 'role="alert"' in card.problem_text
    assert "cam-invalid" in card.before._dom_classes
    assert panel.session_log.session(2).before is None
    assert panel.message == tracker.messages.need_two  # only session 1 counts
    card.before.value = "7"
    assert card.problem_text == ""
    assert "cam-invalid" not in card.before._dom_classes
    assert panel.session_log.session(2).before == 7


def test_after_date_and_note_are_kept_and_downloaded(panel, tracker):
    card = panel.cards[0]
    card.before.value = "8"
    card.after.value = "6"
    card.date.value = dt.date(2026, 1, 6)
    card.note.value = "=Stiff"
    rows = csv_rows(panel)
    c = tracker.csv_columns
    assert rows[0] == [c.session, c.date, c.before, c.after, c.note]
    assert rows[1] == ["1", "2026-01-06", "8", "6", "'=Stiff"]
    assert tracker.labels.download in panel.download.value
    assert f'download="{tracker.labels.download_filename}"' in panel.download.value


def test_a_bad_after_score_and_a_long_note_each_get_a_message(panel, tracker):
    card = panel.cards[0]
    card.after.value = "12"
    card.note.value = "x" * (tracker.max_note_length + 1)
    text = card.problem_text
    assert html.escape(tracker.messages.bad_score) in text
    assert html.escape(tracker.messages.note_too_long.format(max=tracker.max_note_length)) in text
    assert panel.session_log.sessions == ()
    assert panel.download.value == ""


def test_nothing_typed_shows_no_chart_no_result_and_no_download(panel):
    assert panel.chart.value == "" and panel.download.value == ""
    assert panel.message == ""


def test_add_session_up_to_the_maximum(panel, tracker):
    for _ in range(tracker.max_sessions + 3):
        panel.add_button.click()
    assert len(panel.cards) == tracker.max_sessions
    assert panel.add_button.layout.display == "none"
    panel.pain_field(tracker.max_sessions).value = "3"
    assert panel.session_log.session(tracker.max_sessions).before == 3


def test_a_panel_shows_the_sessions_of_an_existing_log(tracker):
    log = SessionLog.for_tracker(tracker)
    log.set_score(1, "before", "8")
    log.set_score(6, "before", "4")
    panel = TrackerPanel(tracker, log)
    assert len(panel.cards) == 6
    assert panel.pain_field(1).value == "8" and panel.pain_field(6).value == "4"
    assert "went down by 50%" in panel.message


def test_chart_breaks_the_line_at_a_missed_session_and_escapes_its_words():
    svg = line_chart_svg(
        [Series("<b>", {1: 8, 2: 7, 4: 4})],
        [1, 2, 3, 4],
        y_max=10,
        label='Pain "&" <script>',
        x_label="Session",
        y_label="Pain",
    )
    assert svg.count("<polyline") == 1  # 1-2 joined; 4 alone after the gap
    assert svg.count("<circle") == 3
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg


def test_chart_label_states_every_value(panel, tracker):
    type_scores(panel, "8", "", "5")
    panel.cards[0].after.value = "6"
    label = chart_label(tracker, panel.session_log.sessions)
    assert label.startswith(tracker.chart.title)
    assert tracker.chart.point.format(n=3, value=5) in label
    assert tracker.chart.after_series in label


# --- in the patient's guide ---------------------------------------------------------------


def test_the_guide_has_a_track_your_sessions_part(content, tracker):
    dashboard = guide(content)
    panel = open_tracker(dashboard, tracker)
    assert isinstance(panel, TrackerPanel)
    assert "cam-current" in dashboard.guide.nav.children[-1]._dom_classes
    assert dashboard.guide.section.value == ""
    steps = (dashboard.guide.previous_button, dashboard.guide.next_button)
    assert [b.layout.display for b in steps] == ["none", "none"]
    type_scores(panel, "8", "7", "5", "4")
    dashboard.guide.section_buttons[1].click()  # another section closes the tracker
    holder = panel_holder(dashboard)
    assert holder.layout.display == "none"
    assert [b.layout.display for b in steps] == [None, None]
    assert [b.layout.visibility for b in steps] == ["visible", "visible"]
    assert "cam-current" not in dashboard.guide.nav.children[-1]._dom_classes
    assert open_tracker(dashboard, tracker) is panel  # built once; the scores are still there
    assert "went down by 50%" in panel.message


def panel_holder(dashboard):
    return next(c for c in dashboard.guide.children if "cam-part" in c._dom_classes)


def test_start_again_keeps_the_sessions_it_is_for_the_safety_check_only(content, tracker):
    dashboard = guide(content)
    panel = open_tracker(dashboard, tracker)
    type_scores(panel, "8", "7")
    assert html.escape(tracker.forget.which_is_which) in panel.keep.children[3].value
    dashboard.start_again_button.click()
    assert not dashboard.question.none_box.value  # the safety check starts afresh
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    again = open_tracker(dashboard, tracker)
    assert again is panel
    assert [s.before for s in again.session_log.sessions] == [8, 7]


def test_the_sessions_carry_over_to_another_language(content, tracker):
    if "es" not in content.languages or not content.of_kind(TrackerFile, "es"):
        pytest.skip("no Spanish tracker")
    dashboard = guide(content)
    type_scores(open_tracker(dashboard, tracker), "8", "7", "5", "4")
    dashboard.switch_language("es")
    spanish = content.of_kind(TrackerFile, "es")[0]
    panel = open_tracker(dashboard, spanish)
    assert panel.pain_field(4).value == "4"
    assert panel.session_log.session(1).before == 8


def test_start_again_in_another_language_keeps_the_sessions_too(content, tracker):
    if "es" not in content.languages or not content.of_kind(TrackerFile, "es"):
        pytest.skip("no Spanish tracker")
    dashboard = guide(content)
    panel = open_tracker(dashboard, tracker)
    type_scores(panel, "8", "7")
    dashboard.switch_language("es")  # the Spanish guide is not opened before Start again
    dashboard.start_again_button.click()
    dashboard.switch_language("en")
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    again = open_tracker(dashboard, tracker)
    assert [s.before for s in again.session_log.sessions] == [8, 7]
    assert again.device is panel.device  # one store of the device's sessions per page


def test_no_tracker_content_means_no_tracker_part(content_copy):
    (content_copy / "en" / "tracker.yaml").unlink()
    for extra in content_copy.glob("*/tracker.yaml"):
        extra.unlink()
    dashboard = guide(load_content(content_copy))
    assert len(dashboard.guide.nav.children) == len(dashboard.guide.section_buttons)


def test_the_tracker_and_its_chart_are_not_imported_before_it_opens():
    script = (
        "import sys\n"
        "from cam_workbench.views import build_dashboard\n"
        "d = build_dashboard()\n"
        "lazy = ('cam_workbench.views.tracker', 'cam_workbench.render.chart',"
        " 'cam_workbench.logic.tracker', 'cam_workbench.logic.tracker_saved',"
        " 'cam_workbench.views.device', 'cam_workbench.views.keeping',"
        " 'cam_workbench.fhir.observations', 'matplotlib', 'pandas')\n"
        "print(sorted(m for m in lazy if m in sys.modules))\n"
        "d.question.none_box.value = True\n"
        "d.question.continue_button.click()\n"
        "d.guide.nav.children[-1].click()\n"
        "print(sorted(m for m in lazy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "[]"
    opened = [
        "cam_workbench.fhir.observations",
        "cam_workbench.logic.tracker",
        "cam_workbench.logic.tracker_saved",
        "cam_workbench.render.chart",
        "cam_workbench.views.device",
        "cam_workbench.views.keeping",
        "cam_workbench.views.tracker",
    ]
    assert out[1] == str(sorted(opened))
