"""Decision table: 17 rows, the dashboard's own rules, dead rules flagged, nbval guard."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CONTENT, REPO, english_only

from cam_workbench.content.loading import load_content
from cam_workbench.content.rules import Answers, decide
from cam_workbench.review import decision_table

NOTEBOOK = REPO / "notebooks" / "clinical_review.ipynb"
FEVER_URGENT = (
    "  - id: fever_urgent\n    when:\n      any_of: [fever_nausea]\n    outcome: urgent\n"
)


@pytest.fixture
def content_dir(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return english_only(target)  # these tests change the English rules on their own


def _add_rule(content_dir: Path, rule: str) -> None:
    """Insert a rule first in the copy's English screening rules."""
    path = content_dir / "en" / "screening.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("rules:\n", f"rules:\n{rule}", 1), encoding="utf-8")


def test_seventeen_rows_for_four_flags(content):
    screening = content.screening()
    rows = decision_table.table_rows(screening)
    assert len(rows) == 17  # 2^4 flag combinations + "none of these"
    assert rows[0]["none_of_these"] == "x" and rows[0]["outcome"] == "proceed"
    assert rows[0]["way_on"] == "guide"
    assert rows[1]["outcome"] == "(asks again)"  # nothing chosen
    bladder = [r for r in rows[2:] if r["bladder_bowel"] == "x"]
    others = [r for r in rows[2:] if r["bladder_bowel"] != "x"]
    assert len(bladder) == 8 and len(others) == 7
    assert {(r["outcome"], r["decided_by"], r["way_on"]) for r in bladder} == {
        ("urgent", "bladder_bowel_urgent", "stop")
    }
    assert {(r["outcome"], r["decided_by"], r["way_on"]) for r in others} == {
        ("see_doctor", "any_red_flag", "clearance")
    }
    combos = {tuple(r[i.id] for i in screening.items) for r in rows[1:]}
    assert len(combos) == 16


def test_rows_agree_with_decide(content):
    screening = content.screening()
    for row in decision_table.decision_rows(screening):
        decision = decide(screening, row.answers)
        assert row.outcome == (decision.outcome.id if decision else row.outcome)
        assert row.decided_by == (decision.rule.id if decision else "")


def test_shipped_rules_all_fire(content):
    rules = decision_table.rule_rows(content.screening())
    assert [(r["rule"], r["fires_for"], r["decides"], r["flag"]) for r in rules] == [
        ("bladder_bowel_urgent", 8, 8, ""),
        ("any_red_flag", 15, 7, ""),  # outranked by the urgent tier for the other 8
        ("no_red_flags", 1, 1, ""),
    ]


def test_rule_that_never_fires_is_flagged(content_dir):
    # Conditions combine with AND: a flag checked AND "none of these" never holds together.
    _add_rule(
        content_dir,
        "  - id: impossible\n    when:\n      any_of: [leg_symptoms]\n"
        "      none_of_these: true\n    outcome: see_doctor\n",
    )
    screening = load_content(content_dir).screening()
    flags = {r["rule"]: r["flag"] for r in decision_table.rule_rows(screening)}
    assert flags == {
        "impossible": "never fires",
        "bladder_bowel_urgent": "",
        "any_red_flag": "",
        "no_red_flags": "",
    }
    assert decision_table.dead_rules(screening) == ["impossible"]


def test_rule_that_is_always_outranked_is_flagged(content_dir):
    _add_rule(
        content_dir,
        "  - id: late_copy\n    when:\n      any_of: [fever_nausea]\n    outcome: see_doctor\n",
    )
    path = content_dir / "en" / "screening.yaml"
    text = path.read_text(encoding="utf-8")
    # Move the copy after the first rule: it then fires but an earlier rule of the same tier wins.
    block = "  - id: late_copy\n    when:\n      any_of: [fever_nausea]\n    outcome: see_doctor\n"
    text = text.replace(block, "").replace(
        "  - id: no_red_flags\n", block + "  - id: no_red_flags\n"
    )
    path.write_text(text, encoding="utf-8")
    flags = {
        r["rule"]: r["flag"]
        for r in decision_table.rule_rows(load_content(content_dir).screening())
    }
    assert flags["late_copy"] == "never decides"


def test_a_rule_change_moves_rows_to_the_urgent_tier(content_dir):
    _add_rule(content_dir, FEVER_URGENT)
    screening = load_content(content_dir).screening()
    rows = decision_table.decision_rows(screening)
    fever = [r for r in rows if "fever_nausea" in r.answers.flags]
    assert len(fever) == 8
    assert {r.outcome for r in fever} == {"urgent"}
    assert decide(screening, Answers.of(["leg_symptoms"])).outcome.id == "see_doctor"


def _nbval(content_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAM_WORKBENCH_CONTENT": str(content_dir)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            str(NOTEBOOK),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_notebook_keeps_only_the_checked_output():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    with_output = [c for c in nb.cells if c.cell_type == "code" and c.outputs]
    assert len(with_output) == 1
    assert with_output[0].source.startswith("# NBVAL_CHECK_OUTPUT")
    assert "NBVAL_CHECK_OUTPUT" in nb.cells[0].source  # the first cell says so


def test_changed_rules_fail_the_notebook_check(content_dir):
    _add_rule(content_dir, FEVER_URGENT)
    changed = _nbval(content_dir)
    assert changed.returncode != 0, changed.stdout
    assert "Cell outputs differ" in changed.stdout
    assert "NBVAL_CHECK_OUTPUT" in changed.stdout  # the decision-table cell is the one
