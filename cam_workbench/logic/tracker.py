"""The patient's session tracker, as pure logic: scores in, change and messages out.

No widgets, no I/O. A patient records, per acupuncture session, a pain score on the 0-10
numeric rating scale (NRS) before treatment and, if they like, after it, with a date and
a note. :func:`change_from_first` compares the latest session's score before treatment
with session 1's, in points and in percent; :func:`report` words the result with the
content's texts and thresholds (IMMPACT: a drop of 30% or more is moderately important,
50% or more substantial; see ``content/en/tracker.yaml``), never with words of its own.

Percentages are exact fractions, so 3 points down from 10 is exactly 30% and reaches the
30% band (``0.3 * 100`` in floating point would not). They are shown truncated toward zero
("28%" for 2 of 7), so a shown percent never overstates the change nor crosses a band.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from typing import Final, Literal

from cam_workbench.content.model import ChangeBand, TrackerFile

#: The 0-10 numeric rating scale (NRS): whole numbers only.
SCORE_MIN: Final = 0
SCORE_MAX: Final = 10
_SCORE_TEXT: Final = re.compile(r"[0-9]{1,2}")

#: Cells of the CSV that a spreadsheet would run as a formula get a leading "'" (and so does a
#: cell that starts with "'" itself, so that reading the file back removes exactly one).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "'")

Which = Literal["before", "after"]


class EntryProblem(StrEnum):
    """Why a value the patient typed was not used (each has a message in the content)."""

    bad_score = "bad_score"
    note_too_long = "note_too_long"


class EntryError(ValueError):
    """A value the patient typed cannot be used; it is not stored."""

    def __init__(self, kind: EntryProblem) -> None:
        """Keep the kind of problem, so the view shows the content's own message."""
        super().__init__(kind.value)
        self.kind = kind


def parse_score(text: str | None) -> int | None:
    """Read a pain score: a whole number from 0 to 10; empty means "no score".

    Raises:
        EntryError: anything else (``"seven"``, ``"7.5"``, ``"11"``, ``"-1"``).
    """
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    if not _SCORE_TEXT.fullmatch(cleaned):
        raise EntryError(EntryProblem.bad_score)
    score = int(cleaned)
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise EntryError(EntryProblem.bad_score)
    return score


@dataclass(frozen=True)
class Session:
    """One session as recorded; every value may be missing."""

    number: int
    before: int | None = None
    after: int | None = None
    date: dt.date | None = None
    note: str = ""

    @property
    def empty(self) -> bool:
        """Whether nothing is recorded for this session."""
        return self.before is None and self.after is None and self.date is None and not self.note


def _with_score(session: Session, which: Which, score: int | None) -> Session:
    """The session with its pain score ``before`` or ``after`` treatment set."""
    return replace(session, before=score) if which == "before" else replace(session, after=score)


class SessionLog:
    """One patient's sessions, kept in their kernel only. Bad values are never stored.

    A bad value also removes what was stored for that field before: the field then shows
    what the patient typed, so keeping an older number would show a chart and a result
    the patient cannot see on the form.
    """

    def __init__(self, max_sessions: int = 20, max_note_length: int = 200) -> None:
        """Start with no sessions."""
        self.max_sessions = max_sessions
        self.max_note_length = max_note_length
        self._sessions: dict[int, Session] = {}

    @classmethod
    def for_tracker(cls, tracker: TrackerFile) -> SessionLog:
        """A log with the limits of the tracker's content."""
        return cls(tracker.max_sessions, tracker.max_note_length)

    @property
    def sessions(self) -> tuple[Session, ...]:
        """The sessions with anything recorded, by number."""
        return tuple(self._sessions[n] for n in sorted(self._sessions))

    def session(self, number: int) -> Session:
        """Session ``number`` (empty if nothing is recorded)."""
        return self._sessions.get(number, Session(number))

    def _put(self, session: Session) -> None:
        if not 1 <= session.number <= self.max_sessions:
            raise ValueError(f"session {session.number} is not between 1 and {self.max_sessions}")
        if session.empty:
            self._sessions.pop(session.number, None)
        else:
            self._sessions[session.number] = session

    def set_score(self, number: int, which: Which, text: str | None) -> int | None:
        """Store the score typed for session ``number`` (``before`` or ``after``).

        Raises:
            EntryError: not a whole number from 0 to 10; the field is then left empty.
        """
        try:
            score = parse_score(text)
        except EntryError:
            self._put(_with_score(self.session(number), which, None))
            raise
        self._put(_with_score(self.session(number), which, score))
        return score

    def set_date(self, number: int, date: dt.date | None) -> None:
        """Store the date of session ``number`` (``None`` clears it)."""
        self._put(replace(self.session(number), date=date))

    def set_note(self, number: int, note: str | None) -> None:
        """Store the note of session ``number``.

        Raises:
            EntryError: longer than ``max_note_length``; the note is then left empty.
        """
        text = (note or "").strip()
        if len(text) > self.max_note_length:
            self._put(replace(self.session(number), note=""))
            raise EntryError(EntryProblem.note_too_long)
        self._put(replace(self.session(number), note=text))

    def clear(self) -> None:
        """Forget every session."""
        self._sessions.clear()

    def replace(self, sessions: Iterable[Session]) -> None:
        """Put ``sessions`` in place of every session, each checked as if it were typed.

        Raises:
            ValueError: a session number out of range, a score that is not a whole number
                from 0 to 10, or a note too long; the log is then unchanged.
        """
        checked = SessionLog(self.max_sessions, self.max_note_length)
        for given in sessions:
            n = given.number
            if not 1 <= n <= self.max_sessions:
                raise ValueError(f"session {n} is not between 1 and {self.max_sessions}")
            for which in ("before", "after"):
                score = getattr(given, which)
                if score is not None and (
                    isinstance(score, bool) or not SCORE_MIN <= score <= SCORE_MAX
                ):
                    raise ValueError(f"session {n}: {which} score {score!r} is not 0 to 10")
            if len(given.note) > self.max_note_length:
                raise ValueError(f"session {n}: note longer than {self.max_note_length}")
            checked._put(replace(given, note=given.note.strip()))
        self._sessions = checked._sessions


# --- the change from session 1 -----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The latest session's pain before treatment, compared with session 1's."""

    session: int
    baseline: int
    current: int

    @property
    def points(self) -> int:
        """Points of change: negative when pain is lower than at session 1."""
        return self.current - self.baseline

    @property
    def drop_percent(self) -> Fraction | None:
        """The drop as an exact percent of session 1's score (negative: a rise).

        ``None`` when session 1's score is 0: a percent of 0 does not exist.
        """
        if self.baseline == 0:
            return None
        return Fraction(self.baseline - self.current, self.baseline) * 100


def change_from_first(sessions: Iterable[Session]) -> Change | None:
    """Compare the latest session with a score before treatment against session 1.

    Sessions without a score (missed, or not typed yet) are skipped. ``None`` when session 1
    has no score or no later session has one.
    """
    scored = {s.number: s.before for s in sessions if s.before is not None}
    if 1 not in scored:
        return None
    latest = max(scored)
    if latest == 1:
        return None
    return Change(session=latest, baseline=scored[1], current=scored[latest])


def band_for(tracker: TrackerFile, drop_percent: Fraction | float) -> ChangeBand | None:
    """The highest band whose threshold the drop reaches (``>=``), or ``None``."""
    drop = Fraction(drop_percent)
    reached = [b for b in tracker.bands if drop >= Fraction(str(b.min_drop_percent))]
    return max(reached, key=lambda b: b.min_drop_percent, default=None)


def percent_text(tracker: TrackerFile, value: Fraction | float) -> str:
    """A percent as the content writes it: ``{value}%``, truncated toward zero ("28%")."""
    number = Fraction(value)
    whole = math.trunc(number)
    if number == whole or abs(number) >= 1:
        shown = str(abs(whole))
    else:  # below 1%: one decimal rather than "0%"
        shown = f"{math.trunc(abs(number) * 10) / 10:g}"
    return tracker.labels.percent.format(value=shown)


def _threshold_text(tracker: TrackerFile, value: float) -> str:
    return tracker.labels.percent.format(value=f"{value:g}")


def points_text(tracker: TrackerFile, points: int) -> str:
    """``1 point`` / ``4 points`` (of the absolute change), as the content writes them."""
    n = abs(points)
    template = tracker.labels.point_one if n == 1 else tracker.labels.points_many
    return template.format(n=n)


def reached_session(sessions: Iterable[Session]) -> int:
    """The highest session number with a pain score (before or after); 0 if none."""
    return max(
        (s.number for s in sessions if s.before is not None or s.after is not None), default=0
    )


@dataclass(frozen=True)
class Report:
    """What the tracker tells the patient: the change, its meaning, and the milestone."""

    change: Change | None
    band: ChangeBand | None
    lines: tuple[str, ...]
    milestone: str | None

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Every paragraph to show, in order (the milestone last)."""
        return self.lines + ((self.milestone,) if self.milestone else ())


def change_lines(tracker: TrackerFile, change: Change) -> tuple[list[str], ChangeBand | None]:
    """Word one change with the content's messages; return the lines and the band reached."""
    m = tracker.messages
    points = points_text(tracker, change.points)
    drop = change.drop_percent
    band: ChangeBand | None = None
    if change.points == 0:
        lines = [m.same.format(session=change.session)]
    elif drop is None:  # session 1 was 0, so pain can only have gone up
        lines = [
            m.higher_no_percent.format(session=change.session, points=points),
            m.percent_undefined,
        ]
    elif change.points < 0:
        lines = [
            m.lower.format(
                session=change.session, points=points, percent=percent_text(tracker, drop)
            )
        ]
    else:
        lines = [
            m.higher.format(
                session=change.session, points=points, percent=percent_text(tracker, -drop)
            )
        ]
    if change.points < 0 and drop is not None:
        band = band_for(tracker, drop)
        if band is not None:
            lines.append(
                band.message.format(threshold=_threshold_text(tracker, band.min_drop_percent))
            )
        else:
            lowest = min(b.min_drop_percent for b in tracker.bands)
            lines.append(m.smaller_drop.format(threshold=_threshold_text(tracker, lowest)))
    else:
        lines.append(m.not_lower)
    lines.append(m.caution)
    return lines, band


def report(tracker: TrackerFile, sessions: Sequence[Session]) -> Report:
    """Everything the tracker says about these sessions, in the content's words."""
    m = tracker.messages
    change = change_from_first(sessions)
    band: ChangeBand | None = None
    lines: list[str] = []
    if change is not None:
        lines, band = change_lines(tracker, change)
    elif any(s.before is not None for s in sessions):
        has_first = any(s.number == 1 and s.before is not None for s in sessions)
        lines = [m.need_two if has_first else m.need_first]
    milestone = None
    if reached_session(sessions) >= tracker.milestone.after_session:
        milestone = tracker.milestone.message.format(n=tracker.milestone.after_session)
    return Report(change, band, tuple(lines), milestone)


# --- the patient's copy ------------------------------------------------------------------


def _cell(value: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def sessions_csv(tracker: TrackerFile, sessions: Iterable[Session]) -> str:
    """The sessions as CSV text (UTF-8, comma-separated, a header row from the content)."""
    columns = tracker.csv_columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([columns.session, columns.date, columns.before, columns.after, columns.note])
    for s in sessions:
        if s.empty:
            continue
        writer.writerow(
            [
                s.number,
                s.date.isoformat() if s.date else "",
                "" if s.before is None else s.before,
                "" if s.after is None else s.after,
                _cell(s.note),
            ]
        )
    return out.getvalue()


def sessions_from_scores(
    before: Sequence[int | None], after: Sequence[int | None] = ()
) -> tuple[Session, ...]:
    """Sessions 1, 2, ... from lists of scores (``None`` for a missing one): for tests, demos."""
    count = max(len(before), len(after))
    padded_before = list(before) + [None] * (count - len(before))
    padded_after = list(after) + [None] * (count - len(after))
    sessions = (
        Session(n, b, a)
        for n, (b, a) in enumerate(zip(padded_before, padded_after, strict=True), start=1)
    )
    return tuple(s for s in sessions if not s.empty)
