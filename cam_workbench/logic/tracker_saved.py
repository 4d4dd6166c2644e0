"""The tracker's sessions as kept on the patient's device, and read back from their CSV copy.

Pure functions, no I/O: the page's script hands the kernel what the browser holds (the text
kept in ``localStorage``, or the bytes of a file the patient chose) and the kernel checks it
here. Everything read is treated as hostile: a value that a patient could not have typed, a
record of an unknown shape or version, or a file we did not write is refused as a whole
(:class:`SavedCopyError`, with a :class:`SavedProblem` the content words for the patient),
and nothing is half-loaded.

The device record is JSON with a format name and a version (:data:`DEVICE_VERSION`), so a
later version of the page can read (migrate) what an earlier one kept, and an earlier one
leaves a newer record alone instead of overwriting it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from cam_workbench.logic.tracker import (
    EntryError,
    Session,
    SessionLog,
    parse_score,
)

#: The ``format`` of the record kept on the device (``localStorage``).
DEVICE_FORMAT: Final = "cam-workbench/session-tracker"
#: The version of that record this code writes; older ones are migrated on reading.
DEVICE_VERSION: Final = 1
#: Largest saved copy read (a device record or a file): a full tracker (20 sessions with
#: 200-letter notes) is under 10 KiB as CSV and under 60 KiB as a health-record file. Far
#: below the server's websocket message cap (256 KiB), which the page's script checks first.
MAX_SAVED_BYTES: Final = 128 * 1024

_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SESSION: Final = re.compile(r"[0-9]{1,2}")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_SESSION_KEYS: Final = frozenset({"session", "before", "after", "date", "note"})


class SavedProblem(StrEnum):
    """Why a saved copy was not used (each has a message in the tracker content)."""

    unreadable = "unreadable"
    """Not something this page wrote (not text, wrong shape, wrong header)."""
    bad_line = "bad_line"
    """A line of the CSV copy has a value a patient could not have typed."""
    bad_session = "bad_session"
    """A session of the health-record file has such a value."""
    too_big = "too_big"
    """Larger than any copy of a tracker can be."""
    no_sessions = "no_sessions"
    """A copy without a single session."""
    newer = "newer"
    """Kept by a newer version of the page (device record only)."""


class SavedCopyError(ValueError):
    """A saved copy that is not used; says why and, where known, where."""

    def __init__(
        self, problem: SavedProblem, *, line: int | None = None, session: int | None = None
    ) -> None:
        """Keep the kind of problem and the line (CSV) or session where it is."""
        where = f" (line {line})" if line else f" (session {session})" if session else ""
        super().__init__(f"{problem.value}{where}")
        self.problem = problem
        self.line = line
        self.session = session


@dataclass(frozen=True)
class Limits:
    """What a tracker holds: its most sessions and its longest note."""

    max_sessions: int
    max_note_length: int

    @classmethod
    def of(cls, log: SessionLog) -> Limits:
        """The limits of a session log (those of its tracker content)."""
        return cls(log.max_sessions, log.max_note_length)


def device_key(tracker_id: str) -> str:
    """The ``localStorage`` key of a tracker's sessions (its content ``meta.id``).

    The id is the same in every language, so a language switch keeps the same sessions.
    """
    return f"cam-workbench:{tracker_id}"


# --- the values of one session ---------------------------------------------------------------


def session_number(value: object, limits: Limits) -> int:
    """A session number: an int from 1 to the most sessions, else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a session number")
    if not 1 <= value <= limits.max_sessions:
        raise ValueError(f"session {value} is not between 1 and {limits.max_sessions}")
    return value


def session_cell(text: str, limits: Limits) -> int:
    """A session number written in a CSV cell (digits only)."""
    if not _SESSION.fullmatch(text.strip()):
        raise ValueError("not a session number")
    return session_number(int(text.strip()), limits)


def score_value(value: object) -> int | None:
    """A pain score from an int, ``None`` or a text ("" is none); ``ValueError`` if not 0-10."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_score(value)
        except EntryError:
            raise ValueError("not a whole number from 0 to 10") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError("not a whole number from 0 to 10")
    return value


def date_value(value: object) -> dt.date | None:
    """A date written ``YYYY-MM-DD`` (or ``None``/""); ``ValueError`` for anything else."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("not a date written YYYY-MM-DD")
    return dt.date.fromisoformat(value)


def note_value(value: object, limits: Limits) -> str:
    """A note as typed: a line of text no longer than the tracker allows."""
    if value is None:
        return ""
    if not isinstance(value, str) or _CONTROL.search(value):
        raise ValueError("not a line of text")
    text = value.strip()
    if len(text) > limits.max_note_length:
        raise ValueError(f"longer than {limits.max_note_length} letters")
    return text


def checked_sessions(sessions: Iterable[Session], limits: Limits) -> tuple[Session, ...]:
    """The sessions by number; ``ValueError`` for a session number given twice."""
    found: dict[int, Session] = {}
    for session in sessions:
        if session.number in found:
            raise ValueError(f"session {session.number} is given twice")
        if not session.empty:
            found[session.number] = session
    log = SessionLog(limits.max_sessions, limits.max_note_length)
    log.replace(found.values())  # the same checks as typing: never a value a patient cannot type
    return log.sessions


# --- the record kept on the device -------------------------------------------------------------


def device_record(sessions: Iterable[Session]) -> str:
    """The sessions as the JSON text kept in the patient's browser (``localStorage``)."""
    entries = [
        {
            "session": s.number,
            "before": s.before,
            "after": s.after,
            "date": s.date.isoformat() if s.date else None,
            "note": s.note,
        }
        for s in sessions
        if not s.empty
    ]
    record = {"format": DEVICE_FORMAT, "version": DEVICE_VERSION, "sessions": entries}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


#: Migrations of the device record: version n → n + 1, each a function of the record (a
#: dict already known to have ``format`` and ``version``). Version 1 is the first.
MIGRATIONS: Final[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}


def _session_from_entry(entry: object, limits: Limits) -> Session:
    if not isinstance(entry, dict) or set(entry) != _SESSION_KEYS:
        raise ValueError("a session is an object with session, before, after, date and note")
    return Session(
        session_number(entry["session"], limits),
        before=score_value(entry["before"]),
        after=score_value(entry["after"]),
        date=date_value(entry["date"]),
        note=note_value(entry["note"], limits),
    )


def read_device_record(
    text: str,
    limits: Limits,
    migrations: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = MIGRATIONS,
) -> tuple[Session, ...]:
    """The sessions of a record kept on the device, checked as if each value were typed.

    Raises:
        SavedCopyError: ``too_big``, ``newer`` (a version this code does not know yet:
            leave it alone), or ``unreadable`` (not JSON, another format, a value out of
            range, a session given twice, an older version with no migration).
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SAVED_BYTES:
        raise SavedCopyError(SavedProblem.too_big)
    try:
        record = _json(text)
        if not isinstance(record, dict) or record.get("format") != DEVICE_FORMAT:
            raise ValueError("not a record of this tracker")
        version = record.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError("no version")
        if version > DEVICE_VERSION:
            raise SavedCopyError(SavedProblem.newer)
        while version < DEVICE_VERSION:
            record = migrations[version](record)
            version += 1
        if set(record) != {"format", "version", "sessions"}:
            raise ValueError("unknown keys")
        entries = record["sessions"]
        if not isinstance(entries, list) or len(entries) > limits.max_sessions:
            raise ValueError("sessions must be a list of at most max_sessions")
        return checked_sessions((_session_from_entry(e, limits) for e in entries), limits)
    except SavedCopyError:
        raise
    except (ValueError, KeyError, TypeError, RecursionError):
        raise SavedCopyError(SavedProblem.unreadable) from None


def _json(text: str) -> Any:
    """JSON without NaN or Infinity (which no file of ours holds)."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    return json.loads(text, parse_constant=refuse)


# --- a saved copy chosen by the patient ----------------------------------------------------------


def decode_copy(data: bytes) -> str:
    """The text of a saved copy: UTF-8 (a byte-order mark is dropped), within the size limit.

    Raises:
        SavedCopyError: ``too_big``; ``unreadable`` when it is not UTF-8 text.
    """
    if len(data) > MAX_SAVED_BYTES:
        raise SavedCopyError(SavedProblem.too_big)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SavedCopyError(SavedProblem.unreadable) from None
    return text.removeprefix("\ufeff")


def _unescape_cell(value: str) -> str:
    """The note as typed: without the "'" that ``sessions_csv`` put before it (if any)."""
    return value[1:] if value.startswith("'") else value


def read_sessions_csv(
    text: str, headers: Iterable[Sequence[str]], limits: Limits
) -> tuple[Session, ...]:
    """The sessions of the patient's CSV copy (``sessions_csv``), checked value by value.

    ``headers``: the header rows this page writes (one per language), any of which is taken.
    Lines are counted as a spreadsheet numbers its rows: the header is line 1.

    Raises:
        SavedCopyError: ``unreadable`` (not our header), ``bad_line`` with the line of a
            value a patient could not have typed (or a session given twice),
            ``no_sessions`` for a file with only its header.
    """
    rows = csv.reader(text.splitlines(), strict=True)
    try:
        header = next(rows, None)
    except csv.Error:
        raise SavedCopyError(SavedProblem.unreadable) from None
    if header is None or [h.strip() for h in header] not in [list(h) for h in headers]:
        raise SavedCopyError(SavedProblem.unreadable)
    found: dict[int, Session] = {}
    line = 1
    while True:
        try:
            row = next(rows, None)
        except csv.Error:
            raise SavedCopyError(SavedProblem.bad_line, line=rows.line_num) from None
        if row is None:
            break
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line (spreadsheets add them at the end)
        try:
            session = _session_from_row(row, limits)
            if session.number in found:
                raise ValueError("given twice")
        except ValueError:
            raise SavedCopyError(SavedProblem.bad_line, line=line) from None
        found[session.number] = session
    if not found:
        raise SavedCopyError(SavedProblem.no_sessions)
    return checked_sessions(found.values(), limits)


def _session_from_row(row: Sequence[str], limits: Limits) -> Session:
    if len(row) != 5:
        raise ValueError("a row has five cells")
    number, date, before, after, note = row
    return Session(
        session_cell(number, limits),
        before=score_value(before),
        after=score_value(after),
        date=date_value(date.strip()),
        note=note_value(_unescape_cell(note), limits),
    )
