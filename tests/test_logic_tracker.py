"""The session tracker's arithmetic, thresholds and words (pure logic, no widgets)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from fractions import Fraction

import pytest
from helpers import CONTENT, assert_problem, edit, line_of, problems_loading

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile
from cam_workbench.content.problems import ProblemCode
from cam_workbench.logic.tracker import (
    Change,
    EntryError,
    EntryProblem,
    Session,
    SessionLog,
    band_for,
    change_from_first,
    parse_score,
    percent_text,
    points_text,
    report,
    sessions_csv,
    sessions_from_scores,
)

TRACKER: TrackerFile = load_content(CONTENT).of_kind(TrackerFile, "en")[0]
M = TRACKER.messages
BANDS = {b.id: b for b in TRACKER.bands}


def said(before, after=()) -> str:
    """Everything the tracker says for these scores, as one text."""
    return " ".join(report(TRACKER, sessions_from_scores(before, after)).paragraphs)


# --- scores the patient types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score"),
    [("0", 0), ("7", 7), ("10", 10), (" 4 ", 4), ("05", 5), ("", None), ("   ", None)],
)
def test_whole_numbers_from_0_to_10_are_scores(text, score):
    assert parse_score(text) == score


@pytest.mark.parametrize(
    "text", ["seven", "11", "-1", "7.5", "7,5", "1e1", "+3", "100", "٣", "10 points", "½"]
)
def test_anything_else_is_refused(text):
    with pytest.raises(EntryError) as caught:
        parse_score(text)
    assert caught.value.kind is EntryProblem.bad_score


def test_a_bad_value_is_not_stored_and_clears_the_field():
    log = SessionLog()
    log.set_score(1, "before", "7")
    for bad in ("seven", "11", "-1"):
        with pytest.raises(EntryError):
            log.set_score(1, "before", bad)
        assert log.session(1).before is None
    assert log.sessions == ()  # nothing else was recorded for session 1


def test_log_keeps_before_after_date_and_note_per_session():
    log = SessionLog()
    log.set_score(2, "before", "6")
    log.set_score(2, "after", "4")
    log.set_date(2, dt.date(2026, 1, 13))
    log.set_note(2, "  Slept better  ")
    assert log.sessions == (Session(2, 6, 4, dt.date(2026, 1, 13), "Slept better"),)
    log.set_score(2, "before", "")
    log.set_score(2, "after", "")
    log.set_date(2, None)
    log.set_note(2, "")
    assert log.sessions == ()


def test_a_note_over_the_limit_is_refused_and_not_stored():
    log = SessionLog(max_note_length=10)
    log.set_note(1, "short")
    with pytest.raises(EntryError) as caught:
        log.set_note(1, "x" * 11)
    assert caught.value.kind is EntryProblem.note_too_long
    assert log.session(1).note == ""


def test_sessions_past_the_maximum_are_refused():
    log = SessionLog(max_sessions=3)
    with pytest.raises(ValueError):
        log.set_score(4, "before", "5")
    with pytest.raises(ValueError):
        log.set_score(0, "before", "5")


# --- the change from session 1 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "session", "points", "percent"),
    [
        ([8, 7, 5, 4], 4, -4, Fraction(50)),
        ([10, 7], 2, -3, Fraction(30)),  # exactly 30, not 30.000000000000004
        ([7, 5], 2, -2, Fraction(200, 7)),  # 28.57...
        ([4, 6], 2, 2, Fraction(-50)),  # a rise is a negative drop
        ([5, 5], 2, 0, Fraction(0)),
        ([8, None, None, 6], 4, -2, Fraction(25)),  # missed sessions are skipped
        ([8, 6, None], 2, -2, Fraction(25)),  # the latest session with a score counts
        ([0, 3], 2, 3, None),  # baseline 0: no percent of 0
        ([0, 0], 2, 0, None),
    ],
)
def test_change_in_points_and_percent_from_session_1(before, session, points, percent):
    change = change_from_first(sessions_from_scores(before))
    assert change is not None
    assert (change.session, change.points, change.drop_percent) == (session, points, percent)


@pytest.mark.parametrize("before", [[], [None, 5, 4], [6], [6, None], [None, None]], ids=str)
def test_no_change_without_session_1_and_a_later_score(before):
    assert change_from_first(sessions_from_scores(before)) is None


def test_after_scores_do_not_count_towards_the_change():
    sessions = sessions_from_scores([8, None], after=[6, 2])
    assert change_from_first(sessions) is None


@pytest.mark.parametrize(
    ("drop", "band"),
    [
        (Fraction("29.9"), None),
        (Fraction(30), "moderate"),
        (Fraction("49.9"), "moderate"),
        (Fraction(50), "substantial"),
        (Fraction(100), "substantial"),
        (Fraction(0), None),
        (Fraction(-40), None),
        (29.9, None),
        (30.0, "moderate"),
        (49.9, "moderate"),
        (50.0, "substantial"),
    ],
)
def test_immpact_bands_from_the_content(drop, band):
    found = band_for(TRACKER, drop)
    assert (found.id if found else None) == band


def test_the_thresholds_are_the_contents_not_the_codes():
    assert {b.id: b.min_drop_percent for b in TRACKER.bands} == {
        "substantial": 50,
        "moderate": 30,
    }
    stricter = TRACKER.model_copy(
        update={"bands": [BANDS["substantial"].model_copy(update={"min_drop_percent": 60})]}
    )
    assert band_for(stricter, 50) is None
    assert band_for(stricter, 60).id == "substantial"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(50), "50%"),
        (Fraction(200, 7), "28%"),
        (Fraction(2, 3) * 100, "66%"),
        (Fraction(1, 3), "0.3%"),
        (Fraction(0), "0%"),
    ],
)
def test_percent_is_truncated_so_it_never_overstates(value, shown):
    assert percent_text(TRACKER, value) == shown


@pytest.mark.parametrize(("points", "shown"), [(-1, "1 point"), (1, "1 point"), (-4, "4 points")])
def test_points_use_the_contents_words(points, shown):
    assert points_text(TRACKER, points) == shown


# --- what the patient reads ---------------------------------------------------------------


def test_four_sessions_8_7_5_4_is_a_substantial_50_percent_drop_and_the_4_session_message():
    result = report(TRACKER, sessions_from_scores([8, 7, 5, 4]))
    assert result.change == Change(session=4, baseline=8, current=4)
    assert result.band.id == "substantial"
    assert result.paragraphs == (
        M.lower.format(session=4, points="4 points", percent="50%"),
        BANDS["substantial"].message.format(threshold="50%"),
        M.caution,
        TRACKER.milestone.message.format(n=4),
    )


@pytest.mark.parametrize(
    ("before", "band"),
    [
        ([10, 7], "moderate"),
        ([10, 8, 7], "moderate"),
        ([10, 5], "substantial"),
        ([9, 6], "moderate"),
    ],
)
def test_a_drop_names_its_band(before, band):
    text = said(before)
    assert BANDS[band].message.format(threshold=f"{BANDS[band].min_drop_percent:g}%") in text
    assert M.smaller_drop.format(threshold="30%") not in text


def test_a_small_drop_says_so_with_the_lowest_threshold():
    text = said([7, 5])
    assert M.smaller_drop.format(threshold="30%") in text
    assert "went down by 28%" in text
    for band in TRACKER.bands:
        assert band.message.format(threshold=f"{band.min_drop_percent:g}%") not in text


def test_baseline_0_gives_points_and_says_percent_is_undefined():
    text = said([0, 3])
    assert M.higher_no_percent.format(session=2, points="3 points") in text
    assert M.percent_undefined in text
    assert M.not_lower in text
    assert "%" not in text.replace(M.percent_undefined, "")


@pytest.mark.parametrize(
    ("before", "first"),
    [
        ([5, 5], M.same.format(session=2)),
        ([4, 6], M.higher.format(session=2, points="2 points", percent="50%")),
    ],
)
def test_no_drop_is_never_called_a_change_that_matters(before, first):
    result = report(TRACKER, sessions_from_scores(before))
    assert result.paragraphs[0] == first
    assert M.not_lower in result.paragraphs
    assert result.band is None


@pytest.mark.parametrize(
    ("before", "message"),
    [([None, 5], M.need_first), ([6], M.need_two), ([], None)],
)
def test_what_to_do_before_there_is_a_change(before, message):
    result = report(TRACKER, sessions_from_scores(before))
    assert result.paragraphs == ((message,) if message else ())


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        ([8, 7, 5], [], False),
        ([8, 7, 5, 4], [], True),
        ([8, None, None, 6], [], True),  # session 4 reached, sessions 2-3 missed
        ([8, 7, 5, None], [None, None, None, 3], True),  # an after score counts as attended
        ([8, 7, 5, 4, 4], [], True),
    ],
)
def test_the_4_sessions_message_comes_from_session_4_on(before, after, shown):
    result = report(TRACKER, sessions_from_scores(before, after))
    assert (result.milestone == TRACKER.milestone.message.format(n=4)) is shown


def test_every_word_is_the_contents_and_nothing_promises():
    words = " ".join(
        said(before) for before in ([8, 7, 5, 4], [7, 5], [0, 3], [5, 5], [4, 6], [6], [None, 5])
    ).lower()
    for promise in ("will work", "will help", "guarantee", "cure", "you will feel better"):
        assert promise not in words


# --- the patient's copy -------------------------------------------------------------------


def test_csv_has_the_contents_headers_and_one_row_per_recorded_session():
    sessions = (
        Session(1, 8, 6, dt.date(2026, 1, 6), "Stiff"),
        Session(3, 5, None, None, ""),
    )
    rows = list(csv.reader(io.StringIO(sessions_csv(TRACKER, sessions))))
    c = TRACKER.csv_columns
    assert rows == [
        [c.session, c.date, c.before, c.after, c.note],
        ["1", "2026-01-06", "8", "6", "Stiff"],
        ["3", "", "5", "", ""],
    ]


@pytest.mark.parametrize("note", ["=HYPERLINK(1)", "+1", "-1+2", "@SUM(A1)"])
def test_csv_notes_never_run_as_spreadsheet_formulas(note):
    text = sessions_csv(TRACKER, (Session(1, 5, note=note),))
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[4] == "'" + note


def test_csv_keeps_commas_quotes_and_new_lines_in_a_note():
    note = 'Sore, "a bit"\nbetter later'
    row = list(csv.reader(io.StringIO(sessions_csv(TRACKER, (Session(1, 5, note=note),)))))[1]
    assert row[4] == note


# --- the content file ----------------------------------------------------------------------


def test_a_misspelt_placeholder_is_a_content_problem_with_its_line(content_copy):
    path = content_copy / "en" / "tracker.yaml"
    text = edit(path, "  session: Session {n}\n", "  session: Session {number}\n")
    problems = problems_loading(content_copy)
    found = assert_problem(
        problems, ProblemCode.wrong_value, line_of(text, "Session {number}"), "tracker.yaml"
    )
    assert "{number}" in str(found) and "{n}" in str(found)


def test_a_lone_brace_is_a_content_problem(content_copy):
    path = content_copy / "en" / "tracker.yaml"
    text = edit(path, '  percent: "{value}%"\n', '  percent: "{value%"\n')
    problems = problems_loading(content_copy)
    assert_problem(problems, ProblemCode.wrong_value, line_of(text, "{value%"), "tracker.yaml")


def test_a_band_needs_a_source_and_a_unique_threshold(content_copy):
    path = content_copy / "en" / "tracker.yaml"
    edit(path, "    min_drop_percent: 30\n", "    min_drop_percent: 50\n")
    problems = problems_loading(content_copy)
    assert any("min_drop_percent '50' appears twice" in str(p) for p in problems)
