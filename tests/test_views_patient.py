"""The patient dashboard's widgets, driven as a patient would (set .value, .click())."""

from __future__ import annotations

import html

import pytest
from helpers import CONTENT, edit, sign_off

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile
from cam_workbench.logic.flow import Screen
from cam_workbench.render.html import date_words
from cam_workbench.views import PatientDashboard


@pytest.fixture
def dashboard(content):
    return PatientDashboard(content)


def _texts(widget) -> str:
    """All HTML/description text inside a widget tree."""
    parts = [getattr(widget, "value", "") if isinstance(getattr(widget, "value", ""), str) else ""]
    parts.append(getattr(widget, "description", "") or "")
    for child in getattr(widget, "children", ()):
        parts.append(_texts(child))
    return " ".join(parts)


def test_question_has_a_checkbox_named_by_each_red_flag(dashboard, content):
    screening = content.screening()
    labels = [box.description for box in dashboard.question.flags.values()]
    assert labels == [item.text for item in screening.items]
    assert dashboard.question.none_box.description == screening.none_option.text
    assert dashboard.question.continue_button.description == content.shared().ui.continue_


def test_continue_with_nothing_chosen_prompts_and_stays(dashboard, content):
    dashboard.question.continue_button.click()
    assert dashboard.screen is Screen.question
    assert (
        html.escape(content.screening().prompts.nothing_chosen) in dashboard.question.prompt.value
    )


def test_flag_and_none_together_is_a_contradiction_not_a_guess(dashboard, content):
    dashboard.question.flags["fever_nausea"].value = True
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    assert dashboard.screen is Screen.question
    assert "alert" in dashboard.question.prompt.value
    assert html.escape(content.screening().prompts.contradiction) in dashboard.question.prompt.value


@pytest.mark.parametrize("flag", ["leg_symptoms", "fever_nausea", "cancer_weight"])
def test_red_flag_leads_to_doctor_advice_then_the_patients_word_and_confirm(
    dashboard, content, flag
):
    see_doctor = next(o for o in content.screening().outcomes if o.id == "see_doctor")
    dashboard.question.flags[flag].value = True
    dashboard.question.continue_button.click()
    assert dashboard.screen is Screen.outcome
    assert see_doctor.heading in dashboard.outcome.value
    assert html.escape(see_doctor.if_worse) in dashboard.outcome.value
    assert dashboard.cleared_button.description == see_doctor.cleared_label
    assert dashboard.cleared_button.description.startswith("I ")  # the patient's own words
    assert dashboard.guide not in dashboard._screen.children
    dashboard.cleared_button.click()
    assert dashboard.screen is Screen.outcome, "one click does not open the guide"
    clearance = content.shared().ui.clearance
    assert html.escape(clearance.confirm) in _texts(dashboard._screen)
    assert dashboard.cleared_button not in dashboard._outcome.screen.children
    dashboard.confirm_button.click()
    assert dashboard.screen is Screen.guide
    assert html.escape(see_doctor.cleared_message[0]) in dashboard.guide.top.value
    assert "You told us" in dashboard.guide.top.value


def test_going_back_from_the_confirmation_keeps_the_guide_closed(dashboard, content):
    dashboard.question.flags["leg_symptoms"].value = True
    dashboard.question.continue_button.click()
    dashboard.cleared_button.click()
    dashboard.back_button.click()
    assert dashboard.screen is Screen.outcome
    assert dashboard.cleared_button in dashboard._outcome.screen.children
    assert not dashboard.flow.state.cleared


@pytest.mark.parametrize("others", [[], ["leg_symptoms", "cancer_weight"]], ids=["alone", "with"])
def test_bladder_or_bowel_trouble_is_urgent_with_no_way_on(dashboard, content, others):
    urgent = next(o for o in content.screening().outcomes if o.id == "urgent")
    for flag in ["bladder_bowel", *others]:
        dashboard.question.flags[flag].value = True
    dashboard.question.continue_button.click()
    assert dashboard.screen is Screen.outcome
    assert urgent.heading in dashboard.outcome.value
    assert "911" in dashboard.outcome.value
    assert "cam-stop" in dashboard.outcome._dom_classes
    shown = _texts(dashboard._screen)
    see_doctor = next(o for o in content.screening().outcomes if o.id == "see_doctor")
    assert see_doctor.cleared_label not in shown
    assert dashboard.cleared_button not in dashboard._outcome.screen.children
    assert dashboard.start_again_button in dashboard._screen.children


def test_every_page_shows_when_it_was_reviewed_and_is_next_due(content):
    for language in ("en", "es"):
        board = PatientDashboard(content, language)
        texts = content.shared(language).ui.review_dates
        page = _texts(board)
        assert html.escape(texts.not_reviewed) in page
        due = content.screening(language).meta.next_review_due
        assert texts.next_review.format(date="")[:8] in page
        assert texts.months[due.month - 1] in page and str(due.year) in page


def test_an_approval_of_the_text_as_it_is_counts_as_its_last_check(content_copy, reviewer_keys):
    """Approved content does not tell patients it was never checked; an edit since does."""
    import datetime as dt

    sign_off(content_copy, reviewer_keys)
    texts = load_content(content_copy).shared("en").ui.review_dates
    page = _texts(PatientDashboard(load_content(content_copy)))
    today = texts.last_reviewed.format(date=date_words(dt.date.today(), texts))
    assert html.escape(today) in page and html.escape(texts.not_reviewed) not in page
    guide_file = content_copy / "en" / "acupuncture.yaml"
    edit(guide_file, "It most often takes about 4", "It most often takes about 5")
    page = _texts(PatientDashboard(load_content(content_copy)))
    assert html.escape(texts.not_reviewed) in page  # that approval no longer covers the guide


def test_none_of_these_goes_straight_to_the_guide(dashboard, content):
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    assert dashboard.screen is Screen.guide
    guide = content.guide()
    assert guide.sections[0].heading in dashboard.guide.section.value


def test_guide_moves_through_every_section_with_headings(dashboard, content):
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    sections = content.guide().sections
    assert [b.description for b in dashboard.guide.section_buttons] == [s.heading for s in sections]
    seen = []
    for _ in sections:
        seen.append(dashboard.guide.section.value)
        dashboard.guide.next_button.click()
    for section, shown in zip(sections, seen, strict=True):
        assert f'<h3 id="sec-{section.id}">' in shown
    dashboard.guide.section_buttons[2].click()
    assert sections[2].heading in dashboard.guide.section.value


def test_emergency_and_disclaimer_on_every_screen(dashboard, content):
    shared = content.shared()
    for step in ("question", "outcome", "guide"):
        text = _texts(dashboard)
        assert "911" in text, step
        assert shared.disclaimer.heading in text, step
        if step == "question":
            dashboard.question.flags["leg_symptoms"].value = True
            dashboard.question.continue_button.click()
        elif step == "outcome":
            dashboard.cleared_button.click()
            dashboard.confirm_button.click()


def test_start_again_clears_the_answers(dashboard):
    dashboard.question.flags["cancer_weight"].value = True
    dashboard.question.continue_button.click()
    dashboard.start_again_button.click()
    assert dashboard.screen is Screen.question
    assert not any(box.value for box in dashboard.question.flags.values())
    assert dashboard.flow.state.decision is None
    dashboard.question.continue_button.click()
    assert dashboard.screen is Screen.question  # nothing chosen again


def test_content_text_is_escaped_not_injected(tmp_path, content):
    import shutil

    shutil.copytree(CONTENT, tmp_path / "content")
    path = tmp_path / "content" / "en" / "screening.yaml"
    text = path.read_text().replace(
        "heading: Talk with your doctor first", "heading: Talk <script>x()</script> first"
    )
    path.write_text(text)
    board = PatientDashboard(load_content(tmp_path / "content"))
    board.question.flags["leg_symptoms"].value = True
    board.question.continue_button.click()
    assert "<script>" not in board.outcome.value
    assert "&lt;script&gt;" in board.outcome.value


def _links(downloads_html: str) -> dict[str, str]:
    """Decode the data-URL download links: filename → file text."""
    import base64
    import re

    found = re.findall(
        r'href="data:[^;]+;charset=utf-8;base64,([^"]+)" download="([^"]+)"', downloads_html
    )
    return {name: base64.b64decode(data).decode("utf-8") for data, name in found}


def test_after_the_outcome_the_patient_can_download_their_answers(dashboard, content):
    import json

    assert dashboard.downloads.value == ""
    dashboard.question.flags["fever_nausea"].value = True
    dashboard.question.continue_button.click()
    files = _links(dashboard.downloads.value)
    summary = content.shared().summary
    assert set(files) == {"my-answers.html", "my-answers-for-my-doctor.json"}
    assert not any("fhir" in name or "csv" in name for name in files)  # no format words
    assert summary.download_summary in dashboard.downloads.value
    page = files[summary.summary_filename]
    assert html.escape(content.screening().items[2].text) in page
    assert "911" in page
    bundle = json.loads(files[summary.health_record_filename])
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    (response,) = [e["resource"] for e in bundle["entry"]]  # no tracked scores: answers only
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["status"] == "completed"
    answers = {
        item["linkId"]: item["answer"][0]["valueBoolean"]
        for group in response["item"]
        for item in group.get("item", [])
    }
    assert answers["fever_nausea"] is True and answers["leg_symptoms"] is False
    dashboard.start_again_button.click()
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    assert "see_doctor" not in _links(dashboard.downloads.value)[summary.health_record_filename]


def _live_descriptions() -> set[str]:
    """Descriptions of every widget alive in the kernel (what a page would be sent)."""
    import ipywidgets

    live = ipywidgets.widgets.widget._instances.values()
    return {getattr(w, "description", "") or "" for w in live}


def test_the_first_page_carries_only_the_question_and_a_tick_builds_the_rest(content):
    # The page's first load fetches the state of every live widget: the guide and outcome
    # widgets are left out until the patient's first tick, so Continue then creates none.
    import ipywidgets

    ipywidgets.Widget.close_all()
    board = PatientDashboard(content)
    guide_headings = {s.heading for s in content.guide().sections}
    start_again = content.shared().ui.start_again
    assert not guide_headings & _live_descriptions()
    assert start_again not in _live_descriptions()
    board.question.flags["leg_symptoms"].value = True
    assert guide_headings <= _live_descriptions()
    assert start_again in _live_descriptions()
    before = set(ipywidgets.widgets.widget._instances)
    board.question.continue_button.click()
    board.cleared_button.click()
    board.confirm_button.click()
    assert board.screen is Screen.guide
    assert set(ipywidgets.widgets.widget._instances) == before  # nothing built on the clicks


def test_hiding_back_and_next_hides_nothing_else(dashboard):
    # Most widgets share one layout model: Back/Next (and the guide's parts) have their own,
    # so hiding them cannot hide the section list, the checkboxes or Start again.
    dashboard.question.none_box.value = True
    dashboard.question.continue_button.click()
    guide = dashboard.guide
    assert guide.previous_button.layout.visibility == "hidden"  # on the first section
    shown = [*guide.section_buttons, dashboard.start_again_button, guide.section]
    shown += [*dashboard.question.flags.values(), dashboard.question.continue_button]
    assert all(w.layout.visibility is None and w.layout.display is None for w in shown)
    guide.section_buttons[-1].click()
    assert guide.next_button.layout.visibility == "hidden"
    assert guide.previous_button.layout.visibility == "visible"
    assert all(w.layout.visibility is None and w.layout.display is None for w in shown)


@pytest.fixture
def preloaded(monkeypatch):
    """The preload cache of ``views.patient``, emptied before and after the test."""
    import cam_workbench.views.patient as patient

    monkeypatch.setattr(patient, "_preloaded", {})
    return patient


def test_preloaded_content_is_reused_while_its_files_are_unchanged(preloaded, content_copy):
    preloaded.preload_content(content_copy)
    (kept,) = [content for _stamp, content in preloaded._preloaded.values()]
    first = preloaded.build_dashboard(content_copy)
    second = preloaded.build_dashboard(content_copy)
    assert first._content is kept and second._content is kept  # no second load


def test_preloading_verifies_the_sign_off_once_for_every_kernel(
    preloaded, content_copy, reviewer_keys, monkeypatch
):
    from helpers import sign_off

    from cam_workbench.content import signing

    sign_off(content_copy, reviewer_keys)
    signing._verify.cache_clear()  # as in a fresh zygote
    preloaded.preload_content(content_copy)

    def no_ssh_keygen(*args, **kwargs):
        raise AssertionError("a patient kernel ran ssh-keygen")

    monkeypatch.setattr(signing, "_run_verify", no_ssh_keygen)
    dashboard = preloaded.build_dashboard(content_copy)
    assert 'class="cam-preview"' not in dashboard.children[0].value  # approved: no banner


def test_an_edit_after_preloading_reaches_the_next_dashboard(preloaded, content_copy):
    """Preview mode: the zygote's copy is not used once the content folder changed."""
    preloaded.preload_content(content_copy)
    screening = content_copy / "en" / "screening.yaml"
    text = screening.read_text(encoding="utf-8")
    question = load_content(content_copy).screening("en").question
    screening.write_text(text.replace(question, question + " (edited)", 1), encoding="utf-8")
    dashboard = preloaded.build_dashboard(content_copy)
    assert dashboard._screening.question == question + " (edited)"


def test_broken_content_is_not_preloaded_and_still_reported(preloaded, content_copy):
    from cam_workbench.content.problems import ContentError

    (content_copy / "en" / "screening.yaml").write_text("kind: [", encoding="utf-8")
    preloaded.preload_content(content_copy)  # the zygote must start anyway
    assert preloaded._preloaded == {}
    with pytest.raises(ContentError):
        preloaded.build_dashboard(content_copy)


@pytest.fixture
def sent(monkeypatch):
    """Every widget message the kernel would send to the page: (type, model name or keys)."""
    from comm import DummyComm

    messages: list[tuple[str, object]] = []

    def publish(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        state = (data or {}).get("state") or {}
        what = state.get("_model_name") if msg_type == "comm_open" else sorted(state)
        messages.append((msg_type, what))

    monkeypatch.setattr(DummyComm, "publish_msg", publish)
    return messages


def test_the_first_tick_builds_the_next_screens_without_updating_them(content, sent):
    # Fifty patients' first ticks at once go through the server as one queue: each widget
    # built on the tick is one message, sent with its classes and first look already set.
    board = PatientDashboard(content)
    sent.clear()
    board.question.none_box.value = True
    opened = [m for m in sent if m[0] == "comm_open"]
    updates = [m for m in sent if m[0] != "comm_open"]
    assert opened  # the outcome and the guide are built now
    assert updates == [("comm_msg", ["value"])]  # only the tick itself
    guide = board.guide
    assert "cam-current" in guide.section_buttons[0]._dom_classes
    assert guide.previous_button.layout.visibility == "hidden"
    assert "cam-part" in guide.children[4]._dom_classes  # the tracker's part, hidden
    assert guide.children[4].layout.display == "none"
    assert guide.nav.children[-1].description == content.of_kind(TrackerFile, "en")[0].heading
    sent.clear()
    board.question.continue_button.click()
    assert board.screen is Screen.guide
    assert not [m for m in sent if m[0] == "comm_open"]  # nothing built on the click


def test_the_first_page_sends_its_widgets_with_their_classes(content, sent):
    board = PatientDashboard(content)
    assert "cam-app" in board._dom_classes
    updates = [what for kind, what in sent if kind != "comm_open"]
    assert "_dom_classes" not in {key for keys in updates for key in keys}
