"""The live preview: the patient page built from the files on disk, at any screen.

For the review and workshop notebooks. The page is the real
:class:`~cam_workbench.views.patient.PatientDashboard` in preview mode (no downloads made,
no focus moved; the preview banner shows as on the patients' page: while the content is not
approved), and every screen is reached the way a
patient reaches it: :func:`go_to` starts again, ticks the answers that lead there and
clicks the page's own buttons (Continue, "my doctor said I can", its confirmation, a
section of the guide, "Track your sessions"), so the page's flow
(:class:`~cam_workbench.logic.flow.PatientFlow`) decides what shows. :func:`stops` lists
those screens for a content set and language; the answers for each outcome are the first
row of the decision table that leads to it.

:class:`LivePreview` puts a language and a screen picker, a Refresh button and an optional
file watch above the page; it observes a :class:`~cam_workbench.review.live.LiveContent`,
so after a reviewer saves a YAML file the page is built again, or the problems that keep
the content from loading show in its place as ``path:line`` messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Final, Literal

import ipywidgets as w

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.model import ScreeningFile, TrackerFile
from cam_workbench.content.problems import Problem
from cam_workbench.content.rules import Answers
from cam_workbench.review.decision_table import decision_rows
from cam_workbench.review.live import LiveContent
from cam_workbench.views.patient import PatientDashboard

Clearance = Literal["none", "confirm", "cleared"]

QUESTION: Final = "question"

_PROBLEMS_STYLE: Final = (
    "border-left:6px solid #a4262c;background:#fff6f6;padding:.4rem .9rem;"
    "font-size:14px;line-height:1.45"
)


@dataclass(frozen=True)
class Stop:
    """A screen of the patient page, and how a patient gets there."""

    key: str
    label: str
    answers: Answers | None = None
    """What the patient ticks before Continue (``None``: the empty question)."""
    clearance: Clearance = "none"
    """``confirm``: says their doctor said they can; ``cleared``: and confirms it."""
    section: int | None = None
    """Then opens this section of the guide."""
    tracker: bool = False
    """Then opens "Track your sessions"."""


def first_answers(screening: ScreeningFile) -> dict[str, Answers]:
    """Each outcome a patient can reach → the first answers (fewest flags) that lead to it."""
    found: dict[str, Answers] = {}
    for row in decision_rows(screening):
        if row.way_on is not None and row.outcome not in found:
            found[row.outcome] = row.answers
    return found


def _way_to_guide(
    screening: ScreeningFile, answers: dict[str, Answers]
) -> tuple[Answers, Clearance] | None:
    """How a patient reaches the guide: an outcome that goes on, else one with a clearance."""
    for outcome in screening.outcomes:
        if outcome.id in answers and not outcome.gate:
            return answers[outcome.id], "none"
    for outcome in screening.outcomes:
        if outcome.id in answers and outcome.cleared_label and not outcome.stop:
            return answers[outcome.id], "cleared"
    return None


def stops(content: ContentSet, language: str) -> list[Stop]:
    """Every screen of the page in ``language``, with the way a patient gets there.

    The question (and its two prompts), each outcome (and its confirm step), each guide
    section and the tracker.
    """
    screening = content.screening(language)
    first_item = screening.items[0].id
    found = [
        Stop(QUESTION, "The question"),
        Stop("prompt:nothing_chosen", "The question: nothing ticked (its prompt)", Answers()),
        Stop(
            "prompt:contradiction",
            "The question: a sign and 'none of these' (its prompt)",
            Answers.of([first_item], none_of_these=True),
        ),
    ]
    answers = first_answers(screening)
    for outcome in screening.outcomes:
        if outcome.id not in answers:
            continue  # no answer leads there (validation reports it)
        key, reached = f"outcome:{outcome.id}", answers[outcome.id]
        found.append(Stop(key, f"Outcome {outcome.id}: {outcome.heading}", reached))
        if outcome.gate and outcome.cleared_label and not outcome.stop:
            label = f"Outcome {outcome.id}: the step that confirms the doctor said yes"
            found.append(Stop(f"{key}:confirm", label, reached, "confirm"))
    route = _way_to_guide(screening, answers)
    if route is None:
        return found
    reached, clearance = route
    for index, section in enumerate(content.guide(language).sections):
        label = f"Guide: {section.heading}"
        found.append(Stop(f"section:{section.id}", label, reached, clearance, section=index))
    for tracker in content.of_kind(TrackerFile, language)[:1]:
        label = f"Guide: {tracker.heading}"
        found.append(Stop("tracker", label, reached, clearance, tracker=True))
    return found


def go_to(dashboard: PatientDashboard, stop: Stop) -> None:
    """Take the page to ``stop`` as a patient would: start again, tick, click."""
    dashboard.flow.start_again()
    if stop.answers is None:
        return
    question = dashboard.question
    for item_id, box in question.flags.items():
        box.value = item_id in stop.answers.flags
    question.none_box.value = stop.answers.none_of_these
    question.continue_button.click()
    if stop.clearance != "none":
        dashboard.cleared_button.click()
    if stop.clearance == "cleared":
        dashboard.confirm_button.click()
    if stop.section is not None:
        dashboard.guide.section_buttons[stop.section].click()
    if stop.tracker and dashboard.tracker_button is not None:
        dashboard.tracker_button.click()


def problems_html(problems: Sequence[Problem]) -> str:
    """The problems that keep the content from loading, as ``path:line`` messages."""
    errors = sum(not p.is_warning for p in problems)
    items = "".join(
        f"<li><code>{escape(p.path)}:{p.line}</code>: "
        f"{'warning: ' if p.is_warning else ''}{escape(p.what)} — {escape(p.fix)}</li>"
        for p in problems
    )
    return (
        f'<div class="cam-problems" role="alert" style="{_PROBLEMS_STYLE}">'
        f"<p><strong>The content does not load ({errors} problem{'s' if errors != 1 else ''})"
        "</strong>: the page cannot be shown. Fix each one, save the file, and Refresh.</p>"
        f"<ul>{items}</ul></div>"
    )


def _language_name(content: ContentSet, language: str) -> str:
    try:
        return content.shared(language).ui.language_name
    except LookupError:
        return language


class LivePreview(w.VBox):
    """The patient page from the files on disk, in a chosen language and at a chosen screen."""

    def __init__(
        self,
        live: LiveContent | Path | str | None = None,
        language: str = "en",
        screen: str = QUESTION,
    ) -> None:
        """Load the content (a folder, or a shared :class:`LiveContent`) and show the page."""
        self.live = live if isinstance(live, LiveContent) else LiveContent(live)
        self.language_pick = w.Dropdown(description="Language")
        self.screen_pick = w.Dropdown(description="Screen", layout=w.Layout(width="34rem"))
        self.refresh_button = w.Button(
            description="Refresh", icon="refresh", tooltip="Read the content files again"
        )
        self.watch_box = w.Checkbox(
            value=False, description="Refresh when a file is saved", indent=False
        )
        self.status = w.HTML()
        self.page = w.VBox(layout=w.Layout(border="1px solid #bbb", padding="0 0 .5rem"))
        self.dashboard: PatientDashboard | None = None
        self._stops: dict[str, Stop] = {}
        self._language, self._screen = language, screen
        self._quiet = False  # set while the pickers' options are replaced
        self.refresh_button.on_click(lambda _b: self.live.reload())
        self.watch_box.observe(self._toggle_watch, "value")
        self.language_pick.observe(self._pick_language, "value")
        self.screen_pick.observe(self._pick_screen, "value")
        self.live.observe(self._loaded)
        super().__init__(
            [
                w.HBox([self.language_pick, self.screen_pick]),
                w.HBox([self.refresh_button, self.watch_box]),
                self.status,  # its own line: a long "Read ... files" text wraps under itself
                self.page,
            ]
        )
        self.add_class("cam-live-preview")
        self._loaded(self.live)

    @property
    def language(self) -> str:
        """The language the page is shown in."""
        return self._language

    @property
    def screen(self) -> str:
        """The key of the screen shown (a :class:`Stop`'s key)."""
        return self._screen

    def show(self, language: str | None = None, screen: str | None = None) -> None:
        """Build the page again in ``language`` and take it to ``screen`` (a stop's key)."""
        content = self.live.content
        if content is None:
            return
        language = language or self._language
        if language not in content.languages:
            language = "en" if "en" in content.languages else content.languages[0]
        found = stops(content, language)
        self._stops = {stop.key: stop for stop in found}
        key = screen or self._screen
        key = key if key in self._stops else QUESTION
        self._language, self._screen = language, key
        self._quiet = True
        try:
            self.language_pick.options = [
                (_language_name(content, lang), lang) for lang in content.languages
            ]
            self.language_pick.value = language
            self.screen_pick.options = [(stop.label, stop.key) for stop in found]
            self.screen_pick.value = key
        finally:
            self._quiet = False
        self.dashboard = PatientDashboard(content, language, preview=True)
        for other, button in self.dashboard.language_buttons.items():
            # The page's own "Español" / "English": the pickers follow (the same screen).
            button.on_click(lambda _b, lang=other: self.show(language=lang))
        go_to(self.dashboard, self._stops[key])
        self.page.children = [self.dashboard]

    def _loaded(self, live: LiveContent) -> None:
        """After every (re)load: the page again, or the problems in its place."""
        when = live.loaded_at.strftime("%H:%M:%S") if live.loaded_at else ""
        if live.content is None:
            self.dashboard = None
            self.page.children = [w.HTML(problems_html(live.problems))]
            self.status.value = f"<span>Read {escape(str(live.content_dir))} at {when}.</span>"
            return
        warnings = len(live.content.warnings)
        note = (
            f" {warnings} reviewer warning{'s' if warnings != 1 else ''}: see "
            "<code>cam-workbench validate</code>."
            if warnings
            else ""
        )
        self.status.value = (
            f"<span>Read {escape(str(live.content_dir))} at {when}: "
            f"{escape(live.content.summary())}.{note}</span>"
        )
        self.show()

    def _pick_language(self, change: dict[str, object]) -> None:
        if not self._quiet and isinstance(change["new"], str):
            self.show(language=change["new"])

    def _pick_screen(self, change: dict[str, object]) -> None:
        key = change["new"]
        if self._quiet or not isinstance(key, str) or self.dashboard is None:
            return
        self._screen = key
        go_to(self.dashboard, self._stops[key])

    def _toggle_watch(self, change: dict[str, object]) -> None:
        if not change["new"]:
            self.live.stop_watching()
            return
        try:
            self.live.start_watching()
        except RuntimeError:  # no event loop (outside a kernel): the button still works
            self.watch_box.value = False
            self.status.value = "<span>No event loop here to watch files: use Refresh.</span>"
