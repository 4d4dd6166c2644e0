"""The patient dashboard: screening gate, outcome, and the guide, built from content.

Every word comes from the content model; this module only arranges widgets. The view
observes a :class:`~cam_workbench.logic.flow.PatientFlow` and redraws the current screen.
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as w
from IPython.display import HTML

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import content_stamp, load_content
from cam_workbench.content.model import Notice, ScreeningFile, SharedFile, TrackerFile
from cam_workbench.content.problems import ContentError
from cam_workbench.content.signoff import (
    FileStatus,
    file_status,
    last_checked,
    publication_blockers,
)

# Imported with the page (in the preheated kernel), not on the patient's first Continue click:
# they are light (no pandas, no plotting; tests/test_views_patient_imports.py checks that).
from cam_workbench.fhir.bundle import collection_bundle
from cam_workbench.fhir.response import questionnaire_response
from cam_workbench.logic.flow import FlowState, PatientFlow, Screen
from cam_workbench.paths import default_content_dir
from cam_workbench.render.html import body_html, heading_html, outcome_html, review_dates_html
from cam_workbench.render.links import data_link
from cam_workbench.render.summary import summary_html
from cam_workbench.views.looks import Looks
from cam_workbench.views.pacing import AfterPause
from cam_workbench.views.screens import GuideScreen, OutcomeParts, QuestionScreen

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from cam_workbench.logic.tracker import SessionLog
    from cam_workbench.views.device import DeviceStore


def _css() -> str:
    """The dashboard's stylesheet, shipped with the package."""
    return resources.files("cam_workbench.views").joinpath("dashboard.css").read_text("utf-8")


def _notice_html(
    notice: Notice, css_class: str, element: str, more: str | None = None, extra: str = ""
) -> str:
    """An always-visible notice (emergency advice, disclaimer) as a labelled region.

    With ``more``, only the first paragraph is always shown; the rest opens from a
    ``<details>`` element labelled ``more`` (keeps the first question on a phone's screen).
    """
    first, rest = notice.body[:1], notice.body[1:]
    if more and rest:
        body = (
            f"{body_html(first)}<details><summary>{escape(more)}</summary>"
            f"{body_html(rest)}</details>"
        )
    else:
        body = body_html(notice.body)
    return (
        f'<{element} class="{css_class}" aria-label="{escape(notice.heading)}">'
        f"{heading_html(notice.heading, 2)}{body}{extra}</{element}>"
    )


def downloads_html(
    screening: ScreeningFile,
    shared: SharedFile,
    state: FlowState,
    today: dt.date,
    observations: Sequence[dict[str, Any]] = (),
    health_record_label: str | None = None,
) -> str:
    """Links to the patient's own printable summary and health-record file.

    The health-record file is a FHIR ``collection`` Bundle: the QuestionnaireResponse of the
    answers, then ``observations`` (the tracker's pain scores, when there are any), its link
    then labelled ``health_record_label``.
    """
    if state.answers is None or state.decision is None:
        return ""
    page = summary_html(
        screening, shared, state.answers, state.decision, today, cleared=state.cleared
    )
    now = dt.datetime.now(dt.UTC)
    response = questionnaire_response(
        screening, state.answers, state.decision, now, cleared=state.cleared
    )
    bundle = collection_bundle([response, *observations], now)
    labels = shared.summary
    links = (
        data_link(page, "text/html", labels.summary_filename, labels.download_summary),
        data_link(
            json.dumps(bundle, indent=2, ensure_ascii=False),
            "application/fhir+json",
            labels.health_record_filename,
            (health_record_label if observations and health_record_label else None)
            or labels.download_fhir,
        ),
    )
    return '<p class="cam-downloads">' + "<br>".join(links) + "</p>"


def _preview_banner(content: ContentSet, shared: SharedFile, statuses: Sequence[FileStatus]) -> str:
    """The "Preview — not yet approved" banner while any patient file lacks sign-off.

    Also while a file is past its review date: its approval no longer covers it.
    """
    if not shared.ui.preview_banner or not publication_blockers(content, statuses=statuses):
        return ""
    return f'<p class="cam-preview" role="note">{escape(shared.ui.preview_banner)}</p>'


def _header_html(shared: SharedFile, language: str) -> str:
    """The page header (title, and the marker the page template follows) and emergency advice.

    The marker tells the template the page's language, title and session-lost text, so
    ``<html lang>``, ``<title>`` and the notice follow a language switch.
    """
    ui = shared.ui
    marker = (
        f'<span hidden data-cam-lang="{escape(language)}" '
        f'data-cam-title="{escape(ui.page_title)}" '
        f'data-cam-session-lost="{escape(ui.session_lost)}"></span>'
    )
    emergency = _notice_html(shared.emergency, "cam-notice", "aside", ui.emergency_more)
    return f"<header>{heading_html(ui.page_title, 1)}{marker}</header>{emergency}"


def _footer_html(content: ContentSet, language: str, statuses: Sequence[FileStatus]) -> str:
    """The disclaimer, and when the page's content was last reviewed and is next due."""
    shared = content.shared(language)
    files = [content.screening(language), shared, content.guide(language)]
    checked = last_checked(content, files, statuses)  # an approval of the text as it is counts
    dates = review_dates_html([f.meta for f in files], shared.ui.review_dates, checked)
    return _notice_html(shared.disclaimer, "cam-disclaimer", "footer", extra=dates)


class PatientDashboard(w.VBox):
    """The whole patient page: notices on every screen, and the current screen.

    The patient can switch language at any point; their answers and screen carry over.
    With ``preview=True`` (a reviewer's or educator's preview, not a patient's page) it is
    the same page, banner included when the content is not approved, with no downloads made
    and no focus moved.
    """

    def __init__(self, content: ContentSet, language: str = "en", preview: bool = False) -> None:
        """Build every screen from the content in ``language``."""
        self._content = content
        self.preview = preview
        self.loading = HTML("")
        self._tracker_log: SessionLog | None = None
        self._device: DeviceStore | None = None
        # The tracker's scores and notes change on every key; the health-record download
        # (every score, as a data URL) follows once typing pauses, not per key.
        self._downloads_later = AfterPause(self._refresh_downloads)
        super().__init__([], _dom_classes=("cam-app",))
        self._build(language if language in content.languages else "en")
        self.loading = HTML(
            f'<p class="cam-loading" role="status">{escape(self._shared.ui.loading)}</p>'
        )

    @property
    def language(self) -> str:
        """The language the page is shown in."""
        return self._language

    @property
    def screen(self) -> Screen:
        """The screen the patient sees now."""
        return self.flow.state.screen

    def _build(self, language: str, carry: FlowState | None = None) -> None:
        """(Re)build the page in ``language``; carry the patient's state over.

        Only the first screen is built here: the outcome and guide widgets are built on the
        patient's first tick (or when first needed), so the first page sends fewer widgets.
        """
        content = self._content
        self._language = language
        self._screening = content.screening(language)
        self._shared = content.shared(language)
        self._guide = content.guide(language)
        shared = self._shared
        self.flow = PatientFlow(self._screening)
        self._looks = looks = Looks()
        self.question = QuestionScreen(self._screening, shared, looks)
        self._outcome_parts: OutcomeParts | None = None
        self._guide_screen: GuideScreen | None = None
        self._tracker_button: w.Button | None = None
        self._screen = w.VBox([], layout=looks.layout, _dom_classes=("cam-screen",))
        self.language_buttons = {
            other: looks.button(content.shared(other).ui.language_name)
            for other in content.languages
            if other != language
        }
        for other, button in self.language_buttons.items():
            button.on_click(lambda _b, lang=other: self.switch_language(lang))
        self.question.continue_button.on_click(lambda _b: self.flow.submit(self.question.answers()))
        for box in (*self.question.flags.values(), self.question.none_box):
            box.observe(self._prepare_next_screens, "value")
        self.flow.observe(self._draw)
        self.announcer = looks.html(classes=("cam-live", "cam-sr-only"))
        statuses = file_status(content)  # once for the banner and the footer's review dates
        top = f"<style>{_css()}</style>{_preview_banner(content, shared, statuses)}"
        languages = w.HBox(
            list(self.language_buttons.values()),
            layout=looks.layout,
            _dom_classes=("cam-languages",),
        )
        self.children = [
            looks.html(top),
            languages,
            looks.html(_header_html(shared, language)),
            self.announcer,
            self._screen,
            looks.html(_footer_html(content, language, statuses)),
        ]
        self._restore(carry)

    def _prepare_next_screens(self, _change: object = None) -> None:
        """Build the outcome and guide widgets on the patient's first tick, once.

        They are left out of the first page (it loads faster with fewer widgets) and built
        while the patient is still choosing, so that Continue is as quick as ever.
        """
        for box in (*self.question.flags.values(), self.question.none_box):
            box.unobserve(self._prepare_next_screens, "value")
        _ = self._outcome, self.guide

    @property
    def _outcome(self) -> OutcomeParts:
        """The outcome screen's widgets, built the first time they are needed."""
        if self._outcome_parts is None:
            parts = OutcomeParts(self._shared, self._looks)
            parts.cleared_button.on_click(lambda _b: self.flow.say_cleared())
            parts.confirm_button.on_click(lambda _b: self.flow.confirm_cleared())
            parts.back_button.on_click(lambda _b: self.flow.back_from_confirm())
            parts.start_again_button.on_click(lambda _b: self.flow.start_again())
            self._outcome_parts = parts
        return self._outcome_parts

    @property
    def outcome(self) -> w.HTML:
        """The outcome message."""
        return self._outcome.message

    @property
    def cleared_button(self) -> w.Button:
        """The button for "my doctor has cleared me" (its label comes from the outcome)."""
        return self._outcome.cleared_button

    @property
    def confirm_button(self) -> w.Button:
        """Confirms the patient's "my doctor said I can": opens the guide."""
        return self._outcome.confirm_button

    @property
    def back_button(self) -> w.Button:
        """Leaves the confirmation: back to the advice."""
        return self._outcome.back_button

    @property
    def start_again_button(self) -> w.Button:
        """Start again: back to an empty question."""
        return self._outcome.start_again_button

    @property
    def downloads(self) -> w.HTML:
        """The patient's own downloads (summary and FHIR answers)."""
        return self._outcome.downloads

    @property
    def tracker_button(self) -> w.Button | None:
        """The guide's "Track your sessions" entry (``None`` without a tracker)."""
        _ = self.guide  # built with the guide
        return self._tracker_button

    @property
    def guide(self) -> GuideScreen:
        """The guide screen, built the first time it is needed."""
        if self._guide_screen is None:
            part = self._tracker_part(self._language)
            self._guide_screen = GuideScreen(
                self._guide, self._shared, self._looks, parts=[part] if part else []
            )
            self._tracker_button = self._guide_screen.part_buttons[0] if part else None
        return self._guide_screen

    def _restore(self, carry: FlowState | None) -> None:
        """Replay a state from another language (same rules, same ids) or start fresh."""
        if carry is None or carry.answers is None:
            self._draw(self.flow.state)
            return
        for item_id, box in self.question.flags.items():
            box.value = item_id in carry.answers.flags
        self.question.none_box.value = carry.answers.none_of_these
        self.flow.submit(carry.answers)
        if carry.confirming or carry.cleared:
            self.flow.say_cleared()
        if carry.cleared:
            self.flow.confirm_cleared()

    def switch_language(self, language: str) -> None:
        """Show the page in ``language``, keeping the patient's answers and screen."""
        state = self.flow.state
        if state.answers is None:  # not submitted yet: keep what is checked
            checked = self.question.answers()
            self._build(language)
            for item_id, box in self.question.flags.items():
                box.value = item_id in checked.flags
            self.question.none_box.value = checked.none_of_these
        else:
            self._build(language, carry=state)
        self._focus_current()

    def apply_query(self, query: str | None) -> None:
        """Honour ``?lang=xx`` from the page's address (Voila passes the query string)."""
        from urllib.parse import parse_qs

        wanted = parse_qs(query or "").get("lang", [""])[0]
        if wanted and wanted != self._language and wanted in self._content.languages:
            self._build(wanted)

    def _focus_current(self) -> None:
        """Move keyboard focus to where the new screen starts (not in a preview)."""
        if self.preview:
            return
        state = self.flow.state
        if state.screen is Screen.question:
            target: w.DOMWidget = next(iter(self.question.flags.values()))
        elif state.screen is Screen.outcome:
            target = self._outcome_focus(state)
        else:
            target = self.guide.section_buttons[0]
        target.focus()

    def _outcome_focus(self, state: FlowState) -> w.DOMWidget:
        """The first control of the outcome screen: the clearance step, or Start again."""
        if state.confirming:
            return self.confirm_button
        outcome = state.decision.outcome if state.decision else None
        if outcome is not None and outcome.cleared_label and not outcome.stop:
            return self.cleared_button
        return self.start_again_button

    def _draw(self, state: FlowState) -> None:
        """Show the screen for ``state``; move focus when what the patient sees changed."""
        before = (
            self._screen.children,
            self._outcome_parts and self._outcome_parts.screen.children,
        )
        self._show(state)
        after = (self._screen.children, self._outcome_parts and self._outcome_parts.screen.children)
        if after != before:
            self._focus_current()

    def _show(self, state: FlowState) -> None:
        """Put the widgets of ``state``'s screen in place."""
        if state.screen is Screen.question:
            self.announcer.value = ""
            if state.decision is None and state.prompt is None:
                self.question.clear()
            self.question.show_prompt(state.prompt)
            self._screen.children = [self.question]
            return
        decision = state.decision
        assert decision is not None  # outcome and guide screens always have one
        outcome = decision.outcome
        message = outcome_html(outcome)
        self._downloads_later.now()
        self.announcer.value = f"<p>{escape(outcome.heading)}</p>"
        if state.screen is Screen.outcome:
            label = None if outcome.stop else outcome.cleared_label
            self._outcome.show(message, label, state.confirming, stop=outcome.stop)
            if state.confirming:
                self.announcer.value = f"<p>{escape(self._shared.ui.clearance.confirm)}</p>"
            self._screen.children = [self._outcome.screen, self.downloads, self.start_again_button]
            return
        if state.cleared and outcome.cleared_message:
            top = body_html(outcome.cleared_message)
        else:
            top = message
        self.guide.show_top(f'<div class="cam-outcome">{top}</div>')
        self.guide.show_section(0)
        self._screen.children = [self.guide, self.downloads, self.start_again_button]

    def _tracker_content(self) -> TrackerFile | None:
        """The tracker content in the page's language (``None`` without a tracker)."""
        found = self._content.of_kind(TrackerFile, self._language)
        return found[0] if found else None

    def _refresh_downloads(self) -> None:
        """The downloads for the current answers and, once there are, the tracked scores."""
        state = self.flow.state
        if state.answers is None or self.preview:  # a preview makes no downloads
            return
        observations: list[dict[str, Any]] = []
        tracker = self._tracker_content()
        label = None
        if tracker is not None and self._tracker_log is not None and self._tracker_log.sessions:
            from cam_workbench.fhir.observations import pain_observations

            observations = pain_observations(tracker, self._tracker_log.sessions)
            label = tracker.labels.download_health_record
        self.downloads.value = downloads_html(
            self._screening, self._shared, state, dt.date.today(), observations, label
        )

    def _tracker_part(self, language: str) -> tuple[str, Callable[[], w.Widget]] | None:
        """The guide's "Track your sessions" part, when the content has a tracker.

        The panel (and its chart code) is imported and built when the patient opens it. Its
        sessions (and the device that keeps them) carry over to another language and stay on
        "Start again", which is about the safety check only; "Forget my sessions" in the
        panel removes them.
        """
        found = self._content.of_kind(TrackerFile, language)
        if not found:
            return None
        tracker = found[0]
        languages = self._content.languages
        trackers = [t for lang in languages for t in self._content.of_kind(TrackerFile, lang)]

        def build() -> w.Widget:
            from cam_workbench.views.tracker import TrackerPanel

            panel = TrackerPanel(
                tracker,
                self._tracker_log,
                self._device,
                trackers,
                on_change=self._downloads_later.soon,
                on_device=not self.preview,
            )
            self._tracker_log = panel.session_log
            self._device = panel.device
            return panel

        return tracker.heading, build


_preloaded: dict[Path, tuple[tuple[tuple[str, int, int], ...], ContentSet]] = {}


def preload_content(content_dir: Path | None = None) -> None:
    """Load the content now, for :func:`build_dashboard` to reuse while its files are unchanged.

    Called once in the kernel zygote (``cam-workbench serve``), before it forks the patient
    kernels: they then share one validated copy of the content instead of each parsing the
    YAML. An edit of the content folder (preview mode) is seen by the next kernel, which
    loads the content itself; production serves a pinned, read-only copy that never changes.
    """
    root = Path(content_dir or default_content_dir()).resolve()
    stamp = content_stamp(root)
    try:
        content = load_content(root)
    except ContentError:
        return  # each kernel loads it, and its page shows the error as usual
    # The preview banner's check verifies each sign-off signature (ssh-keygen): done here once,
    # its results cached, so no patient kernel runs ssh-keygen on its way to the first question.
    publication_blockers(content)
    _preloaded[root] = (stamp, content)


def _content(content_dir: Path) -> ContentSet:
    """The preloaded content of ``content_dir`` if its files are unchanged, else loaded now."""
    root = Path(content_dir).resolve()
    kept = _preloaded.get(root)
    if kept is not None and kept[0] == content_stamp(root):
        return kept[1]
    return load_content(root)


def build_dashboard(
    content_dir: Path | None = None, language: str = "en", preview: bool = False
) -> PatientDashboard:
    """Load the content (default: the configured content folder) and build the dashboard."""
    return PatientDashboard(_content(content_dir or default_content_dir()), language, preview)
