"""The educators' workshop: personas through the real logic, a rule change in a copy, slides."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from helpers import CONTENT, assert_problem, edit, line_of, problems_loading

from cam_workbench.cli import build_parser
from cam_workbench.content.loading import load_content
from cam_workbench.content.model import PersonasFile
from cam_workbench.content.problems import ContentError, ProblemCode
from cam_workbench.serving import (
    TEMPLATE_ROOT,
    WORKSHOP_TEMPLATE,
    ServeOptions,
    ServerTexts,
    voila_config,
    workshop_options,
)
from cam_workbench.workshop import (
    persona_problems,
    personas,
    personas_html,
    rule_change_html,
    suggested_change,
    try_rule_change,
    walk,
    walk_html,
)

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "workshop.ipynb"

LEGS_URGENT = """
rules:
  - id: leg_symptoms_urgent
    when:
      any_of: [leg_symptoms]
    outcome: urgent
"""


@pytest.mark.parametrize(
    ("persona_id", "outcome", "screens", "band", "milestone"),
    [
        ("tingling_legs", "see_doctor", ["question", "outcome"], None, False),
        ("no_flags", "proceed", ["question", "guide"], None, False),
        ("cleared_by_doctor", "see_doctor", ["question", "outcome", "guide"], None, False),
        ("four_sessions", "proceed", ["question", "guide"], "substantial", True),
    ],
)
def test_each_persona_walks_through_the_real_logic(
    content, persona_id, outcome, screens, band, milestone
):
    result = walk(content, persona_id)
    assert result.outcome == outcome
    assert [s.value for s in result.screens] == screens
    if result.report is None:
        assert band is None
    else:
        assert (result.report.band.id if result.report.band else None) == band
        assert (result.report.milestone is not None) is milestone


def test_the_tracking_persona_scores_8_7_5_4_a_50_percent_drop(content):
    result = walk(content, "four_sessions")
    assert [s.before for s in result.sessions] == [8, 7, 5, 4]
    assert result.report.change.points == -4
    assert result.report.change.drop_percent == 50


def test_personas_are_fictional_roles_that_name_real_items(content):
    assert persona_problems(content) == []
    for p in personas(content):
        assert p.name.startswith("Person ")  # a role, never a name
    assert {p.id for p in personas(content)} >= {
        "tingling_legs",
        "no_flags",
        "cleared_by_doctor",
        "four_sessions",
    }


def test_a_persona_naming_an_unknown_item_is_reported(content_copy):
    edit(content_copy / "en" / "personas.yaml", "flags: [leg_symptoms]", "flags: [leg_symtoms]")
    content = load_content(content_copy)
    (problem,) = persona_problems(content)
    assert "leg_symtoms" in problem and "leg_symptoms" in problem


def test_an_unknown_persona_is_a_clear_error(content):
    with pytest.raises(LookupError, match="four_sessions"):
        walk(content, "nobody")


def test_walk_html_shows_the_contents_words_escaped(content):
    page = walk_html(content, walk(content, "cleared_by_doctor"))
    see_doctor = next(o for o in content.screening().outcomes if o.id == "see_doctor")
    assert see_doctor.heading in page
    assert see_doctor.cleared_message[0] in page
    assert content.shared().ui.guide_heading in page
    tracking = walk_html(content, walk(content, "four_sessions"))
    assert "<svg" in tracking and "went down by 50%" in tracking
    assert "<li>" in personas_html(content)


def test_a_rule_change_in_a_copy_moves_every_answer_with_leg_symptoms_alone(content):
    before = CONTENT.joinpath("en", "screening.yaml").read_text(encoding="utf-8")
    change = try_rule_change(CONTENT, LEGS_URGENT)
    assert CONTENT.joinpath("en", "screening.yaml").read_text(encoding="utf-8") == before
    assert len(change.after) == 17
    assert len(change.changed) == 4  # leg symptoms without bladder/bowel (already urgent)
    for moved in change.changed:
        assert "leg_symptoms" in moved.answers.flags
        assert "bladder_bowel" not in moved.answers.flags
        assert (moved.before, moved.after, moved.decided_by) == (
            "see_doctor",
            "urgent",
            "leg_symptoms_urgent",
        )
    page = rule_change_html(content, change)
    words = content.of_kind(PersonasFile, "en")[0].labels
    assert words.changed.format(changed=4, total=17) in page
    assert page.count("<tr>") == 1 + 4
    assert rule_change_html(content, change, show_all=True).count("<tr>") == 1 + 17
    assert "leg_symptoms_urgent" in page and "<pre>" in page


def test_the_workshops_rule_change_is_content(content):
    change = suggested_change(content)
    assert yaml.safe_load(change) == yaml.safe_load(LEGS_URGENT)
    assert len(try_rule_change(CONTENT, change).changed) == 4


def test_a_misspelt_rule_change_in_content_is_a_content_problem(content_copy):
    path = content_copy / "en" / "personas.yaml"
    text = edit(path, "any_of: [leg_symptoms]", "any: [leg_symptoms]")
    problems = problems_loading(content_copy)
    assert_problem(problems, ProblemCode.unknown_key, line_of(text, "any: [leg"), "personas.yaml")


def test_a_broken_rule_change_gets_the_validators_message():
    broken = LEGS_URGENT.replace("any_of: [leg_symptoms]", "any_of: [leg_symptom]")
    with pytest.raises(ContentError) as caught:
        try_rule_change(CONTENT, broken)
    assert any(
        p.code == ProblemCode.unknown_item and "leg_symptoms" in str(p)
        for p in caught.value.problems
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [("meta: {id: x}", "only"), ("- a list", "mapping"), ("rules: {id: x}", "list")],
)
def test_a_change_outside_the_rules_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        try_rule_change(CONTENT, change)


# --- the notebook and its slides ------------------------------------------------------------


def test_the_notebook_is_stored_without_outputs_and_every_cell_is_on_a_slide():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert "stored without outputs" in nb.cells[0].source
    for cell in nb.cells:
        assert cell.metadata["slideshow"]["slide_type"] in {"slide", "subslide", "-", "fragment"}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert nb.cells[0].metadata["slideshow"]["slide_type"] == "slide"


def test_the_notebooks_opening_counts_the_personas_the_content_has(content):
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    count = len(personas(content))
    opening = nbformat.read(NOTEBOOK, as_version=4).cells[0].source
    assert f"{words[count]} made-up people" in opening, f"the content has {count} personas"


def test_the_notebook_is_thin():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert all("def " not in source and "class " not in source for source in code)
    assert not any("rules:" in source for source in code), "clinical YAML belongs in content/"


def test_serve_workshop_uses_the_offline_reveal_template(tmp_path):
    args = build_parser().parse_args(["serve", "--workshop"])
    assert args.workshop
    texts = ServerTexts("t", "b", "bm", "e", "em", "lost")
    options = ServeOptions(notebook=NOTEBOOK, texts=texts, **workshop_options())
    config = voila_config(options)
    assert config.VoilaConfiguration.template == WORKSHOP_TEMPLATE
    assert config.VoilaConfiguration.resources["reveal"]["transition"] == "none"
    folder = TEMPLATE_ROOT / "voila" / "templates" / WORKSHOP_TEMPLATE
    assert json.loads((folder / "conf.json").read_text())["base_template"] == "reveal"
    template = (folder / "index.html.j2").read_text()
    assert "https://" not in template and "http://" not in template
