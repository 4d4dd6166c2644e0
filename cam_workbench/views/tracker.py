"""The "Track your sessions" part of the patient guide: pain by session, change, chart.

Imported only when the patient opens the tracker (see ``GuideScreen.add_part`` in
:mod:`cam_workbench.views.patient`), so neither this module nor the chart code is on the
path to the first question. Every word comes from the tracker content
(``content/<lang>/tracker.yaml``); the logic is :mod:`cam_workbench.logic.tracker`.

The sessions live in the patient's kernel only (a :class:`~cam_workbench.logic.tracker.SessionLog`);
the CSV copy is a data URL made in the page, nothing is written on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from cam_workbench.render.chart import Series, line_chart_svg
from cam_workbench.render.html import body_html, heading_html
from cam_workbench.render.links import data_link

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
    """The session tracker: one card per session, the change, a chart and a CSV copy."""

    def __init__(self, tracker: TrackerFile, log: SessionLog | None = None) -> None:
        """Build the panel; with ``log``, show the sessions already in it (another language)."""
        self._tracker = tracker
        self.session_log = log if log is not None else SessionLog.for_tracker(tracker)
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
        super().__init__(
            [
                w.HTML(f"<style>{_css()}</style>"),
                header,
                self._cards_box,
                self.add_button,
                self.result,
                self.chart,
                self.download,
            ]
        )
        self.add_class("cam-tracker")
        recorded = [s.number for s in self.session_log.sessions]
        for _ in range(max([tracker.initial_sessions, *recorded])):
            self.add_session()

    # -- building ---------------------------------------------------------------------------

    def add_session(self, focus: bool = False) -> SessionCard | None:
        """Add the next session's card (up to ``max_sessions``); fill it from the log."""
        if len(self.cards) >= self._tracker.max_sessions:
            return None
        card = SessionCard(self._tracker, len(self.cards) + 1)
        stored = self.session_log.session(card.number)
        card.before.value = "" if stored.before is None else str(stored.before)
        card.after.value = "" if stored.after is None else str(stored.after)
        card.date.value = stored.date
        card.note.value = stored.note
        n = card.number
        card.before.observe(lambda c: self._score(n, "before", c["new"]), "value")
        card.after.observe(lambda c: self._score(n, "after", c["new"]), "value")
        card.date.observe(lambda c: self._date(n, c["new"]), "value")
        card.note.observe(lambda c: self._note(n, c["new"]), "value")
        self.cards.append(card)
        self._cards_box.children = tuple(self.cards)
        full = len(self.cards) >= self._tracker.max_sessions
        self.add_button.layout.display = "none" if full else None
        self._update()
        if focus:
            card.before.focus()
        return card

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
        self._update()

    def _date(self, number: int, value: Any) -> None:
        self.session_log.set_date(number, value)
        self._update()

    def _note(self, number: int, text: str) -> None:
        card = self.cards[number - 1]
        try:
            self.session_log.set_note(number, text)
        except EntryError as exc:
            card.set_problem("note", exc.kind)
        else:
            card.set_problem("note", None)
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

    @property
    def message(self) -> str:
        """The result as plain text (for tests and the workshop)."""
        return " ".join(report(self._tracker, self.session_log.sessions).paragraphs)
