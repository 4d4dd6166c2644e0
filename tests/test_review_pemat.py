"""PEMAT-P: the checklist file validates, scores are points / applicable x 100, < 70% flagged."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from helpers import CONTENT
from pydantic import ValidationError

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import PEMAT_P_ITEMS, ListStyle, PematFile, PematRating
from cam_workbench.content.problems import ContentError, ProblemCode
from cam_workbench.review import pemat

UNDERSTANDING = [n for n, (d, _) in PEMAT_P_ITEMS.items() if d == "understandability"]
ACTIONS = [n for n, (d, _) in PEMAT_P_ITEMS.items() if d == "actionability"]


def checklist(ratings: dict[int, str]) -> PematFile:
    """A checklist: every item 'agree' unless ``ratings`` says otherwise."""
    return PematFile(
        kind="pemat",
        guide="acupuncture-guide",
        language="en",
        assessment="self-assessment",
        assessor_role="Reviewer A",
        assessed_on=dt.date(2026, 1, 2),
        items=[
            {"number": n, "summary": "item", "rating": ratings.get(n, "agree"), "note": "n"}
            for n in PEMAT_P_ITEMS
        ],
    )


def test_pemat_p_has_17_plus_7_items():
    assert len(UNDERSTANDING) == 17 and 13 not in PEMAT_P_ITEMS and 14 not in PEMAT_P_ITEMS
    assert len(ACTIONS) == 7 and min(ACTIONS) == 20 and max(ACTIONS) == 26


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ({}, {"understandability": (17, 17, 100.0), "actionability": (7, 7, 100.0)}),
        # N/A items do not count: 13 applicable understandability items, 11 agreed.
        (
            {11: "disagree", 15: "disagree", 16: "na", 17: "na", 18: "na", 19: "na"},
            {"understandability": (11, 13, 100 * 11 / 13), "actionability": (7, 7, 100.0)},
        ),
        # 3 of 5 applicable actionability items: 60%, below the 70% line.
        (
            {23: "disagree", 26: "disagree", 24: "na", 25: "na"},
            {"understandability": (17, 17, 100.0), "actionability": (3, 5, 60.0)},
        ),
    ],
)
def test_scores(ratings, expected):
    scores = {s.domain: s for s in pemat.scores(checklist(ratings))}
    for domain, (points, applicable, percent) in expected.items():
        assert scores[domain].points == points
        assert scores[domain].applicable == applicable
        assert scores[domain].percent == pytest.approx(percent)
        assert scores[domain].below_target == (percent < 70)


def test_exactly_70_percent_is_not_flagged():
    score = pemat.DomainScore("actionability", points=7, applicable=10, items=10)
    assert score.percent == 70 and not score.below_target


def test_all_na_has_no_score():
    score = pemat.DomainScore("actionability", points=0, applicable=0, items=7)
    assert score.percent is None and not score.below_target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drop": 26}, "missing"),
        ({"add": 13}, "not PEMAT-P items"),
        ({"rate": (1, "na")}, "cannot be rated 'na'"),
        ({"duplicate": 5}, "appears twice"),
    ],
)
def test_checklist_must_hold_the_24_items(change, message):
    items = [{"number": n, "summary": "s", "rating": "agree", "note": "n"} for n in PEMAT_P_ITEMS]
    if "drop" in change:
        items = [i for i in items if i["number"] != change["drop"]]
    if "add" in change:
        items.append({"number": change["add"], "summary": "s", "rating": "agree", "note": "n"})
    if "rate" in change:
        number, rating = change["rate"]
        items[number - 1]["rating"] = rating
    if "duplicate" in change:
        items.append(dict(items[change["duplicate"] - 1]))
    with pytest.raises(ValidationError, match=message):
        PematFile(
            kind="pemat",
            guide="g",
            language="en",
            assessment="self-assessment",
            assessor_role="Reviewer A",
            assessed_on=dt.date(2026, 1, 2),
            items=items,
        )


def test_shipped_self_assessment(content):
    [shipped] = content.of_kind(PematFile)
    assert shipped.assessment == "self-assessment"  # not a clinical sign-off
    assert shipped.guide == content.guide().meta.id
    rows = {r["domain"]: r for r in pemat.score_rows(content)}
    assert rows["understandability"]["flag"] == ""
    assert rows["actionability"]["flag"] == ""  # the checklist and visit steps (was 60%)
    assert rows["actionability"]["percent"] >= 70
    styles = {
        b.style
        for section in content.guide().sections
        for b in section.body
        if not isinstance(b, str)
    }
    assert {ListStyle.checklist, ListStyle.steps} <= styles  # what items 23 and 26 rate
    assert all(i.note for i in shipped.items)
    assert {i.rating for i in shipped.items} == set(PematRating)
    assert len(pemat.item_rows(content)) == 24


def test_checklist_must_name_an_existing_guide(tmp_path):
    shutil.copytree(CONTENT, tmp_path / "content")
    path = tmp_path / "content" / "review" / "pemat-acupuncture.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("guide: acupuncture-guide", "guide: yoga-guide"),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as error:
        load_content(tmp_path / "content")
    assert [p.code for p in error.value.problems] == [ProblemCode.unknown_guide]
