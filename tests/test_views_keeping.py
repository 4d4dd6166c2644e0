"""The tracker's sessions on the patient's device, Forget my sessions, loading a saved copy.

The page's side (``cam-device.js``) is played here by sending the messages it sends; the
real browser is in tests/e2e/test_tracker.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re

import pytest

from cam_workbench.content.model import TrackerFile
from cam_workbench.logic.tracker import Session, sessions_csv
from cam_workbench.logic.tracker_saved import MAX_SAVED_BYTES, device_record
from cam_workbench.views import PatientDashboard
from cam_workbench.views.device import DeviceState
from cam_workbench.views.tracker import TrackerPanel


@pytest.fixture(scope="module")
def tracker(content) -> TrackerFile:
    return content.of_kind(TrackerFile, "en")[0]


@pytest.fixture(scope="module")
def trackers(content) -> list[TrackerFile]:
    return [t for lang in content.languages for t in content.of_kind(TrackerFile, lang)]


class Page:
    """What the page's script would receive from the kernel, and what it would answer."""

    def __init__(self, panel: TrackerPanel) -> None:
        self.panel = panel
        self.store = panel.device
        self.sent: list[dict] = []
        self.store.send = lambda content, buffers=None: self.sent.append(content)

    def loaded(self, text: str | None = None, **flags) -> None:
        content = {"event": "loaded", "available": True, "found": text is not None} | flags
        buffers = [text.encode("utf-8")] if text is not None else None
        self.store._handle_custom_msg(content, buffers)

    def choose(self, data: bytes) -> None:
        self.panel.keep.picker._handle_custom_msg({"event": "file"}, [memoryview(data)])

    @property
    def kept(self) -> str | None:
        """What the device holds after the kernel's commands (None: nothing)."""
        held = None
        for command in self.sent:
            held = command.get("text") if command["command"] == "save" else None
        return held


def type_scores(panel: TrackerPanel, *scores: str) -> None:
    for number, score in enumerate(scores, start=1):
        panel.pain_field(number).value = score


@pytest.fixture
def panel(tracker, trackers) -> TrackerPanel:
    return TrackerPanel(tracker, trackers=trackers)


def said(panel: TrackerPanel) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", panel.keep.said))


def test_nothing_is_written_before_the_page_says_what_the_device_holds(panel):
    page = Page(panel)
    type_scores(panel, "8")
    assert page.sent == [] and panel.device.state is DeviceState.waiting
    assert panel.keep.picker is None  # no chooser until the page shows it runs our widgets
    page.loaded()
    assert json.loads(page.kept)["sessions"][0]["before"] == 8  # what was typed is kept
    assert panel.keep.picker is not None


def test_each_change_is_kept_on_the_device_once(panel):
    page = Page(panel)
    page.loaded()
    type_scores(panel, "8", "6")
    panel.cards[0].note.value = "Stiff"
    panel.cards[0].date.value = dt.date(2026, 1, 6)
    record = json.loads(page.kept)
    assert [s["before"] for s in record["sessions"]] == [8, 6]
    assert record["sessions"][0] | {} == {
        "session": 1,
        "before": 8,
        "after": None,
        "date": "2026-01-06",
        "note": "Stiff",
    }
    count = len(page.sent)
    panel.cards[1].before.value = "6"  # no change: nothing sent
    assert len(page.sent) == count


def test_sessions_kept_on_the_device_come_back_and_the_page_says_so(tracker, trackers):
    kept = device_record([Session(1, before=8, note="n"), Session(6, before=4)])
    panel = TrackerPanel(tracker, trackers=trackers)
    Page(panel).loaded(kept)
    assert panel.pain_field(6).value == "4" and panel.cards[0].note.value == "n"
    assert "went down by 50%" in panel.message
    assert said(panel) == tracker.device.restored


def test_what_is_typed_before_the_device_answers_wins_over_what_it_kept(panel, tracker):
    page = Page(panel)
    type_scores(panel, "9")
    page.loaded(device_record([Session(1, before=2), Session(2, before=5)]))
    assert [(s.number, s.before) for s in panel.session_log.sessions] == [(1, 9), (2, 5)]


@pytest.mark.parametrize(
    ("answer", "state", "text"),
    [
        ({"text": "{not json"}, DeviceState.unreadable, "unreadable"),
        (
            {
                "text": json.dumps(
                    {"format": "cam-workbench/session-tracker", "version": 99, "sessions": []}
                )
            },
            DeviceState.newer,
            "newer",
        ),
        ({"text": None, "available": False}, DeviceState.off, "off"),
        ({"text": None, "found": True, "too_big": True}, DeviceState.unreadable, "unreadable"),
    ],
)
def test_a_device_that_cannot_be_read_is_left_alone_and_the_page_says_why(
    panel, tracker, answer, state, text
):
    page = Page(panel)
    text_kept = answer.pop("text")
    page.loaded(text_kept, **answer)
    assert panel.device.state is state
    assert said(panel) == getattr(tracker.device, text)
    type_scores(panel, "8")
    assert page.sent == []  # never overwritten
    assert panel.session_log.session(1).before == 8  # the page still works


def test_forget_asks_first_then_clears_the_page_and_the_device(panel, tracker):
    page = Page(panel)
    page.loaded()
    type_scores(panel, "8", "6")
    panel.keep.forget_button.click()
    assert panel.keep.forget_confirm.layout.display is None
    assert page.kept is not None  # nothing removed yet
    panel.keep.forget_no.click()
    assert panel.keep.forget_confirm.layout.display == "none"
    assert panel.session_log.session(2).before == 6
    panel.keep.forget_button.click()
    panel.keep.forget_yes.click()
    assert page.sent[-1] == {"command": "forget"} and page.kept is None
    assert panel.session_log.sessions == () and panel.pain_field(1).value == ""
    assert said(panel) == tracker.forget.done
    type_scores(panel, "3")
    assert json.loads(page.kept)["sessions"][0]["before"] == 3  # kept again from now on


def test_forget_also_clears_a_record_the_page_could_not_read(panel):
    page = Page(panel)
    page.loaded("garbage")
    panel.keep.forget_button.click()
    panel.keep.forget_yes.click()
    assert page.sent == [{"command": "forget"}]
    assert panel.device.state is DeviceState.ready


def test_a_failed_write_is_said_and_tried_again(panel, tracker):
    page = Page(panel)
    page.loaded()
    type_scores(panel, "8")
    serial = page.sent[-1]["serial"]
    panel.device._handle_custom_msg({"event": "saved", "ok": False, "serial": serial}, None)
    assert said(panel) == tracker.device.failed
    type_scores(panel, "8", "7")
    panel.device._handle_custom_msg(
        {"event": "saved", "ok": True, "serial": page.sent[-1]["serial"]}, None
    )
    assert panel.device.state is DeviceState.ready


# --- loading a saved copy ------------------------------------------------------------------------


SESSIONS = (Session(1, before=8, note="=Stiff"), Session(2, before=4, date=dt.date(2026, 1, 13)))


def test_the_csv_copy_loads_back_into_an_empty_page(panel, tracker):
    page = Page(panel)
    page.loaded()
    page.choose(sessions_csv(tracker, SESSIONS).encode("utf-8"))
    assert panel.session_log.sessions == SESSIONS
    assert panel.cards[0].note.value == "=Stiff"
    assert said(panel) == tracker.load.loaded
    assert json.loads(page.kept)["sessions"][1]["date"] == "2026-01-13"


def test_the_health_record_file_loads_back(content, tracker, trackers):
    dashboard = PatientDashboard(content)
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    dashboard.guide.nav.children[-1].click()
    panel = next(c for c in dashboard.guide.children if "cam-part" in c._dom_classes).children[0]
    Page(panel).loaded()
    type_scores(panel, "8", "4")
    link = re.search(
        r'href="data:application/fhir\+json;charset=utf-8;base64,([^"]+)"',
        dashboard.downloads.value,
    )
    assert html.escape(tracker.labels.download_health_record) in dashboard.downloads.value
    data = base64.b64decode(link.group(1))
    bundle = json.loads(data)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "QuestionnaireResponse",
        "Observation",
        "Observation",
    ]
    fresh = TrackerPanel(tracker, trackers=trackers)
    page = Page(fresh)
    page.loaded()
    page.choose(data)
    assert [(s.number, s.before) for s in fresh.session_log.sessions] == [(1, 8), (2, 4)]


def test_a_file_that_would_replace_sessions_asks_first(panel, tracker):
    page = Page(panel)
    page.loaded()
    type_scores(panel, "9")
    page.choose(sessions_csv(tracker, SESSIONS).encode("utf-8"))
    assert panel.keep.load_confirm.layout.display is None
    assert panel.session_log.session(1).before == 9  # not yet
    panel.keep.load_no.click()
    assert panel.session_log.session(1).before == 9
    page.choose(sessions_csv(tracker, SESSIONS).encode("utf-8"))
    panel.keep.load_yes.click()
    assert panel.session_log.sessions == SESSIONS
    assert panel.keep.load_confirm.layout.display == "none"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Name,Age\r\nAda,36\r\n", lambda t: t.load.unreadable),
        (b"\x89PNG\r\n\x1a\n", lambda t: t.load.unreadable),
        (b'{"resourceType": "Bundle", "entry": []}', lambda t: t.load.no_sessions),
        (b"{" * 50_000, lambda t: t.load.unreadable),
        (
            b"Session,Date,Pain before treatment (0 to 10),Pain after treatment (0 to 10),Note\r\n"
            b"1,,8,,\r\n2,,12,,\r\n",
            lambda t: t.load.bad_line.format(line=3),
        ),
    ],
)
def test_a_wrong_or_changed_file_gets_a_message_and_changes_nothing(panel, tracker, data, message):
    page = Page(panel)
    page.loaded()
    type_scores(panel, "5")
    before = list(page.sent)
    page.choose(data)
    assert said(panel) == message(tracker)
    assert 'role="alert"' in panel.keep.said
    assert panel.session_log.sessions == (Session(1, before=5),)
    assert page.sent == before


def test_a_file_the_page_found_too_big_is_refused_with_its_message(panel, tracker):
    page = Page(panel)
    page.loaded()
    panel.keep.picker._handle_custom_msg({"event": "file", "too_big": True}, None)
    assert said(panel) == tracker.load.too_big
    page.choose(b"x" * (MAX_SAVED_BYTES + 1))  # a page that sent it anyway
    assert said(panel) == tracker.load.too_big


@pytest.mark.parametrize(
    "message",
    [None, [], "loaded", {"event": "loaded"}, {"event": "saved", "ok": "yes"}, {"event": "other"}],
)
def test_odd_messages_from_the_page_change_nothing(panel, message):
    page = Page(panel)
    page.loaded()
    type_scores(panel, "5")
    sent = list(page.sent)
    panel.device._handle_custom_msg(message, None)
    panel.keep.picker._handle_custom_msg(message, [b"x", b"y"])
    assert panel.device.state is DeviceState.ready and page.sent == sent
    assert panel.session_log.sessions == (Session(1, before=5),) and panel.keep.said == ""
