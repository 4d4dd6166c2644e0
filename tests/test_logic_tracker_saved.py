"""The sessions kept on the device and read back from the patient's CSV copy (pure logic)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cam_workbench.logic.tracker import Session, SessionLog, sessions_csv
from cam_workbench.logic.tracker_saved import (
    DEVICE_FORMAT,
    DEVICE_VERSION,
    MAX_SAVED_BYTES,
    Limits,
    SavedCopyError,
    SavedProblem,
    decode_copy,
    device_key,
    device_record,
    read_device_record,
    read_sessions_csv,
)

LIMITS = Limits(max_sessions=20, max_note_length=200)
SESSIONS = (
    Session(1, before=8, after=6, date=dt.date(2026, 1, 6), note="=Stiff, after a walk"),
    Session(2, before=7),
    Session(4, after=3, note="'quoted"),
)


def record(sessions: list[dict], **top) -> str:
    return json.dumps(
        {"format": DEVICE_FORMAT, "version": DEVICE_VERSION, "sessions": sessions} | top
    )


def entry(**values) -> dict:
    return {"session": 1, "before": 8, "after": None, "date": None, "note": ""} | values


# --- the device record ---------------------------------------------------------------------------


def test_the_device_record_round_trips_scores_dates_and_notes():
    text = device_record(SESSIONS)
    data = json.loads(text)
    assert data["format"] == DEVICE_FORMAT and data["version"] == DEVICE_VERSION
    assert read_device_record(text, LIMITS) == SESSIONS


def test_the_key_is_the_trackers_id_the_same_in_every_language(content):
    from cam_workbench.content.model import TrackerFile

    keys = {
        device_key(t.meta.id)
        for lang in content.languages
        for t in content.of_kind(TrackerFile, lang)
    }
    assert keys == {"cam-workbench:session-tracker"}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("not json", "not JSON"),
        ("[]", "not an object"),
        ('{"format": "other", "version": 1, "sessions": []}', "another format"),
        (record([], version=0), "version 0"),
        (record([], version="1"), "version as text"),
        (record([], version=True), "version true"),
        (record([], extra=1), "an unknown key"),
        (record([entry(before=11)]), "a score of 11"),
        (record([entry(before=-1)]), "a score of -1"),
        (record([entry(before=7.5)]), "a score of 7.5"),
        (record([entry(before=True)]), "a score of true"),
        (record([entry(session=0)]), "session 0"),
        (record([entry(session=21)]), "session past the most"),
        (record([entry(session="1")]), "a session number as text"),
        (record([entry(), entry()]), "a session twice"),
        (record([entry(date="06/01/2026")]), "a date not written YYYY-MM-DD"),
        (record([entry(date="2026-02-30")]), "a date that does not exist"),
        (record([entry(note="x" * 201)]), "a note too long"),
        (record([entry(note="a\x00b")]), "a control character in a note"),
        (record([entry(note=5)]), "a note that is a number"),
        (record([{"session": 1, "before": 8}]), "a session without every key"),
        (record([entry(colour="red")]), "a session with an unknown key"),
        (record([entry(session=n) for n in range(1, 22)]), "more sessions than the tracker holds"),
        ('{"format": "cam-workbench/session-tracker", "version": 1, "sessions": [NaN]}', "NaN"),
        ("[" * 100_000, "nested far too deep"),
    ],
)
def test_a_record_that_cannot_be_read_is_refused_whole(text, why):
    with pytest.raises(SavedCopyError) as refused:
        read_device_record(text, LIMITS)
    assert refused.value.problem is SavedProblem.unreadable, why


def test_a_record_of_a_newer_version_is_left_alone():
    with pytest.raises(SavedCopyError) as refused:
        read_device_record(record([entry()], version=DEVICE_VERSION + 1), LIMITS)
    assert refused.value.problem is SavedProblem.newer


def test_an_older_version_is_migrated_and_one_without_a_migration_is_refused(monkeypatch):
    import cam_workbench.logic.tracker_saved as saved

    monkeypatch.setattr(saved, "DEVICE_VERSION", 2)
    old = json.dumps({"format": DEVICE_FORMAT, "version": 1, "sessions": [entry()]})
    with pytest.raises(SavedCopyError):
        saved.read_device_record(old, LIMITS, migrations={})

    def to_2(data):
        return data | {"version": 2}

    assert saved.read_device_record(old, LIMITS, migrations={1: to_2}) == (Session(1, before=8),)


def test_a_record_over_the_size_limit_is_too_big():
    text = record([entry(note="x" * 10)]) + " " * MAX_SAVED_BYTES
    with pytest.raises(SavedCopyError) as refused:
        read_device_record(text, LIMITS)
    assert refused.value.problem is SavedProblem.too_big


def test_an_empty_record_holds_no_session():
    assert read_device_record(record([]), LIMITS) == ()


# --- the CSV copy --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tracker(content):
    from cam_workbench.content.model import TrackerFile

    return content.of_kind(TrackerFile, "en")[0]


@pytest.fixture(scope="module")
def headers(content):
    from cam_workbench.content.model import TrackerFile

    columns = [
        t.csv_columns for lang in content.languages for t in content.of_kind(TrackerFile, lang)
    ]
    return [(c.session, c.date, c.before, c.after, c.note) for c in columns]


def test_the_csv_copy_round_trips_exactly_also_notes_a_spreadsheet_would_run(tracker, headers):
    text = sessions_csv(tracker, SESSIONS)
    assert "'=Stiff" in text and "''quoted" in text  # escaped for spreadsheets
    assert read_sessions_csv(text, headers, LIMITS) == SESSIONS


def test_a_spanish_copy_loads_and_a_byte_order_mark_and_blank_lines_are_fine(content, headers):
    from cam_workbench.content.model import TrackerFile

    spanish = content.of_kind(TrackerFile, "es")[0]
    data = ("\ufeff" + sessions_csv(spanish, SESSIONS) + "\r\n,,,,\r\n\r\n").encode("utf-8")
    assert read_sessions_csv(decode_copy(data), headers, LIMITS) == SESSIONS


HEADER = "Session,Date,Pain before treatment (0 to 10),Pain after treatment (0 to 10),Note"


@pytest.mark.parametrize(
    ("rows", "line"),
    [
        (["1,,11,,"], 2),
        (["1,,8,,", "2,,seven,,"], 3),
        (["1,,8,,", "1,,7,,"], 3),  # a session twice
        (["0,,8,,"], 2),
        (["21,,8,,"], 2),
        (["x,,8,,"], 2),
        (["1,1/6/2026,8,,"], 2),  # a spreadsheet's own date format
        (["1,,8,"], 2),  # a cell missing
        (["1,,8,,,extra"], 2),
        (["1,,8,," + "y" * 201], 2),
        (["1,,8.5,,"], 2),
    ],
)
def test_a_changed_line_is_named_and_nothing_is_read(headers, rows, line):
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    with pytest.raises(SavedCopyError) as refused:
        read_sessions_csv(text, headers, LIMITS)
    assert (refused.value.problem, refused.value.line) == (SavedProblem.bad_line, line)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Name,Age\r\nAda,36\r\n",
        "Session;Date;Pain before treatment (0 to 10);Pain after treatment (0 to 10);Note\r\n",
        '"unclosed\r\n',
    ],
)
def test_a_file_that_is_not_our_copy_is_unreadable(headers, text):
    with pytest.raises(SavedCopyError) as refused:
        read_sessions_csv(text, headers, LIMITS)
    assert refused.value.problem is SavedProblem.unreadable


def test_a_copy_with_only_its_header_has_no_sessions(headers):
    with pytest.raises(SavedCopyError) as refused:
        read_sessions_csv(HEADER + "\r\n", headers, LIMITS)
    assert refused.value.problem is SavedProblem.no_sessions


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff\xfeS\x00e\x00", SavedProblem.unreadable),  # UTF-16
        (b"caf\xe9", SavedProblem.unreadable),  # Latin-1
        (b"x" * (MAX_SAVED_BYTES + 1), SavedProblem.too_big),
    ],
)
def test_only_utf8_text_within_the_limit_is_read(data, problem):
    with pytest.raises(SavedCopyError) as refused:
        decode_copy(data)
    assert refused.value.problem is problem


def test_replacing_a_log_checks_every_session_and_changes_nothing_on_a_bad_one():
    log = SessionLog(max_sessions=5, max_note_length=10)
    log.set_score(1, "before", "8")
    for bad in (Session(6, before=1), Session(1, before=11), Session(2, note="x" * 11)):
        with pytest.raises(ValueError):
            log.replace([Session(3, before=2), bad])
        assert log.sessions == (Session(1, before=8),)
    log.replace([Session(2, after=4, note="  ok  ")])
    assert log.sessions == (Session(2, after=4, note="ok"),)
