"""The "Track your sessions" part of the patient guide: pain by session, change, chart.

Imported only when the patient opens the tracker (see ``GuideScreen.add_part`` in
:mod:`cam_workbench.views.patient`), so neither this module nor the chart code is on the
path to the first question. Every word comes from the tracker content
(``content/<lang>/tracker.yaml``); the logic is :mod:`cam_workbench.logic.tracker`.

The sessions live in the patient's kernel (a :class:`~cam_workbench.logic.tracker.SessionLog`)
and in the patient's own browser (:class:`~cam_workbench.views.device.DeviceStore`), never on
the server's disk; the CSV copy is a data URL made in the page. Loading a saved copy and
"Forget my sessions" are the panel's :class:`~cam_workbench.views.keeping.KeepPart`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from importlib import resources
from typing import Any

import ipywidgets as w

from cam_workbench.content.model import TrackerFile
from cam_workbench.logic.tracker import (
    SCORE_MAX,
    EntryError,
    EntryProblem,
    Session,
    SessionLog,
    Which,
    report,
    sessions_csv,
)
from cam_workbench.logic.tracker_saved import Limits, device_key
from cam_workbench.render.chart import Series, line_chart_svg
from cam_workbench.render.html import body_html, heading_html
from cam_workbench.render.links import data_link
from cam_workbench.views.device import DeviceStore
from cam_workbench.views.keeping import KeepPart

BEFORE_COLOR = "#0b57a4"
AFTER_COLOR = "#8f4a00"


def _css() -> str:
    """The tracker's stylesheet, shipped with the package."""
    return resources.files("cam_workbench.views").joinpath("tracker.css").read_text("utf-8")


def field_label(session: str, label: str) -> str:
    """A field's label: the visible words, with the session's name for screen readers.

    The accessible name is "Session 2: Pain before treatment (0 to 10)"; on screen the card's
    heading already says "Session 2", so only the field's own words are shown.
    """
    return f'<span class="cam-sr-only">{escape(session)}: </span>{escape(label)}'


def chart_label(tracker: TrackerFile, sessions: Sequence[Session]) -> str:
    """The chart's accessible name: its title and every value, in the content's words."""
    chart = tracker.chart
    parts = [chart.title]
    for name, which in ((chart.before_series, "before"), (chart.after_series, "after")):
        points = [
            chart.point.format(n=s.number, value=getattr(s, which))
            for s in sessions
            if getattr(s, which) is not None
        ]
        if points:
            parts.append(f"{name}: {', '.join(points)}")
    return ". ".join(parts) + "."


def chart_html(tracker: TrackerFile, sessions: Sequence[Session], shown: int) -> str:
    """The line chart of pain by session (sessions 1..``shown``), or "" with no scores."""
    before = {s.number: s.before for s in sessions if s.before is not None}
    after = {s.number: s.after for s in sessions if s.after is not None}
    if not before and not after:
        return ""
    chart = tracker.chart
    last = max([shown, *before, *after])
    svg = line_chart_svg(
        [
            Series(chart.before_series, before, BEFORE_COLOR),
            Series(chart.after_series, after, AFTER_COLOR, dashed=True, marker="square"),
        ],
        list(range(1, last + 1)),
        y_max=SCORE_MAX,
        label=chart_label(tracker, sessions),
        x_label=chart.x_label,
        y_label=chart.y_label,
    )
    return f'<figure class="cam-chart-figure">{heading_html(chart.title, 4)}{svg}</figure>'


class SessionCard(w.VBox):
    """One session: pain before (named "Session N"), pain after, date and note.

    A value that cannot be used gets its message right under its own field.
    """

    def __init__(self, tracker: TrackerFile, number: int) -> None:
        """Build the fields of session ``number``."""
        self.number = number
        labels = tracker.labels
        name = labels.session.format(n=number)

        def text(label: str) -> w.Text:
            return w.Text(
                description=field_label(name, label),
                description_allow_html=True,
                style={"description_width": "initial"},
            )

        self.before = text(labels.before).add_class("cam-score")
        self.after = text(labels.after).add_class("cam-score")
        self.date = w.DatePicker(
            description=field_label(name, labels.date),
            description_allow_html=True,
            style={"description_width": "initial"},
        )
        self.note = text(labels.note)
        self.messages = {
            field: w.HTML("").add_class("cam-session-message")
            for field in ("before", "after", "note")
        }
        self._texts = {
            EntryProblem.bad_score: tracker.messages.bad_score,
            EntryProblem.note_too_long: tracker.messages.note_too_long.format(
                max=tracker.max_note_length
            ),
        }
        m = self.messages
        super().__init__(
            [
                w.HTML(heading_html(name, 4)),
                self.before,
                m["before"],
                self.after,
                m["after"],
                self.date,
                self.note,
                m["note"],
            ]
        )
        self.add_class("cam-session")

    def fields(self) -> dict[str, w.ValueWidget]:
        """The card's fields by name: before, after, date, note."""
        return {"before": self.before, "after": self.after, "date": self.date, "note": self.note}

    def set_problem(self, field: str, problem: EntryProblem | None) -> None:
        """Show (or clear) the inline message under one field and mark the field."""
        widget = self.fields()[field]
        if problem is None:
            widget.remove_class("cam-invalid")
            self.messages[field].value = ""
        else:
            widget.add_class("cam-invalid")
            self.messages[field].value = f'<p role="alert">{escape(self._texts[problem])}</p>'

    @property
    def problem_text(self) -> str:
        """The messages shown in the card now ("" if none)."""
        return "".join(message.value for message in self.messages.values())


class TrackerPanel(w.VBox):
    """The session tracker: one card per session, the change, a chart and a CSV copy.

    The sessions are kept on the patient's device (``store``) and can be loaded back from a
    saved copy, or forgotten (the panel's :attr:`keep` part).
    """

    def __init__(
        self,
        tracker: TrackerFile,
        log: SessionLog | None = None,
        store: DeviceStore | None = None,
        trackers: Sequence[TrackerFile] = (),
        on_change: Callable[[], None] | None = None,
        on_device: bool = True,
    ) -> None:
        """Build the panel.

        Args:
            tracker: the tracker content in the page's language.
            log: sessions already typed (the same page in another language), else none.
            store: the sessions on this device (kept across language switches), else a new
                one that asks the page what it holds.
            trackers: the tracker content in every language (a saved copy in any of them
                loads).
            on_change: called after every change of the sessions (the page's downloads).
            on_device: keep the sessions on the device (the patient's page). ``False`` for a
                reviewer's preview in JupyterLab or the workshop, where the page's device
                widgets (our Voila template's code) do not exist: no store, no keep part.
        """
        self._tracker = tracker
        self.session_log = log if log is not None else SessionLog.for_tracker(tracker)
        if store is None and on_device:
            store = DeviceStore(device_key(tracker.meta.id), Limits.of(self.session_log))
        self.device = store
        self._on_change = on_change
        self._syncing = False
        self.cards: list[SessionCard] = []
        self._cards_box = w.GridBox(
            [],
            layout=w.Layout(
                grid_template_columns="repeat(auto-fill, minmax(17rem, 1fr))",
                grid_gap="0.75rem",
                width="100%",
            ),
        ).add_class("cam-sessions")
        self.add_button = w.Button(description=tracker.labels.add_session)
        self.add_button.on_click(lambda _b: self.add_session(focus=True))
        self.result = w.HTML("").add_class("cam-tracker-result")
        self.chart = w.HTML("").add_class("cam-tracker-chart")
        self.download = w.HTML("").add_class("cam-downloads")
        header = w.HTML(
            f"{heading_html(tracker.heading, 3, 'cam-tracker-heading')}"
            f"{body_html(tracker.intro.body)}"
        )
        self.keep = (
            None
            if store is None
            else KeepPart(
                tracker,
                trackers,
                store,
                current=lambda: self.session_log.sessions,
                put=self.show_sessions,
            )
        )
        super().__init__(
            [
                w.HTML(f"<style>{_css()}</style>"),
                header,
                self._cards_box,
                self.add_button,
                self.result,
                self.chart,
                self.download,
                *([] if self.keep is None else [self.keep]),
            ]
        )
        self.add_class("cam-tracker")
        recorded = [s.number for s in self.session_log.sessions]
        self._syncing = True
        for _ in range(max([tracker.initial_sessions, *recorded])):
            self.add_session()
        self._syncing = False
        self._update()

    # -- building ---------------------------------------------------------------------------

    def add_session(self, focus: bool = False) -> SessionCard | None:
        """Add the next session's card (up to ``max_sessions``); fill it from the log."""
        if len(self.cards) >= self._tracker.max_sessions:
            return None
        card = SessionCard(self._tracker, len(self.cards) + 1)
        self._fill(card)
        n = card.number
        card.before.observe(lambda c: self._score(n, "before", c["new"]), "value")
        card.after.observe(lambda c: self._score(n, "after", c["new"]), "value")
        card.date.observe(lambda c: self._date(n, c["new"]), "value")
        card.note.observe(lambda c: self._note(n, c["new"]), "value")
        self.cards.append(card)
        self._cards_box.children = tuple(self.cards)
        full = len(self.cards) >= self._tracker.max_sessions
        self.add_button.layout.display = "none" if full else None
        if not self._syncing:
            self._update()
        if focus:
            card.before.focus()
        return card

    def _fill(self, card: SessionCard) -> None:
        """Show the log's values of the card's session (and no message)."""
        stored = self.session_log.session(card.number)
        card.before.value = "" if stored.before is None else str(stored.before)
        card.after.value = "" if stored.after is None else str(stored.after)
        card.date.value = stored.date
        card.note.value = stored.note
        for field in ("before", "after", "note"):
            card.set_problem(field, None)

    def show_sessions(self, sessions: Sequence[Session]) -> None:
        """Put ``sessions`` in place of every session on the page (a saved copy, forgetting).

        Raises:
            ValueError: a session the tracker cannot hold; nothing is changed then.
        """
        self.session_log.replace(sessions)
        self._syncing = True
        try:
            recorded = [s.number for s in self.session_log.sessions]
            while len(self.cards) < max([self._tracker.initial_sessions, *recorded]):
                self.add_session()
            for card in self.cards:
                self._fill(card)
        finally:
            self._syncing = False
        self._update()

    def pain_field(self, number: int) -> w.Text:
        """The "Session N" field: pain before treatment in session ``number``."""
        return self.cards[number - 1].before

    # -- changes from the patient -------------------------------------------------------------

    def _score(self, number: int, which: Which, text: str) -> None:
        card = self.cards[number - 1]
        try:
            self.session_log.set_score(number, which, text)
        except EntryError as exc:
            card.set_problem(which, exc.kind)
        else:
            card.set_problem(which, None)
        self._changed()

    def _date(self, number: int, value: Any) -> None:
        self.session_log.set_date(number, value)
        self._changed()

    def _note(self, number: int, text: str) -> None:
        card = self.cards[number - 1]
        try:
            self.session_log.set_note(number, text)
        except EntryError as exc:
            card.set_problem("note", exc.kind)
        else:
            card.set_problem("note", None)
        self._changed()

    def _changed(self) -> None:
        if not self._syncing:
            self._update()

    # -- what the panel shows -----------------------------------------------------------------

    def _update(self) -> None:
        tracker = self._tracker
        sessions = self.session_log.sessions
        said = report(tracker, sessions)
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in said.paragraphs)
        self.result.value = f'<div role="status">{paragraphs}</div>'
        self.chart.value = chart_html(tracker, sessions, len(self.cards))
        if sessions:
            csv_text = sessions_csv(tracker, sessions)
            link = data_link(
                csv_text, "text/csv", tracker.labels.download_filename, tracker.labels.download
            )
            self.download.value = f"<p>{link}</p>"
        else:
            self.download.value = ""
        if self.keep is not None:
            self.keep.save()
        if self._on_change is not None:
            self._on_change()

    @property
    def message(self) -> str:
        """The result as plain text (for tests and the workshop)."""
        return " ".join(report(self._tracker, self.session_log.sessions).paragraphs)
