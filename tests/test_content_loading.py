"""Loading the content folder: every check, one small edit of the shipped content per case."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import (
    CONTENT,
    assert_problem,
    find,
    line_of,
    problems_loading,
    write_yaml,
)

from cam_workbench.content.loading import MAX_FILES, content_files, load_content
from cam_workbench.content.model import GuideFile, ScreeningFile, SharedFile
from cam_workbench.content.problems import ContentError, ProblemCode

UNREACHED_OUTCOME = """\
  - id: second_opinion
    tier: 3
    heading: Get a second opinion
    message:
      - Please ask another doctor.
    if_worse: If it gets worse, call 911.
    gate: false
    sources: [program-gate]
"""

_SCREENING = (CONTENT / "en" / "screening.yaml").read_text(encoding="utf-8")
SCREENING_SOURCES = _SCREENING[
    _SCREENING.index("\nsources:") + 1 : _SCREENING.index("\nquestion:") + 1
]
CLEARED_LABEL = next(line for line in _SCREENING.splitlines() if "cleared_label:" in line)
CLEARED_MESSAGE = _SCREENING[
    _SCREENING.index("    cleared_message:") : _SCREENING.index("    sources: [program-gate, chou")
]

NONE_RULE = """\
  - id: no_red_flags
    when:
      none_of_these: true
    outcome: proceed
"""

ALL_FLAGS = "[leg_symptoms, bladder_bowel, fever_nausea, cancer_weight]"


def test_shipped_content_loads(content):
    assert [item.id for item in content.screening().items] == [
        "leg_symptoms",
        "bladder_bowel",
        "fever_nausea",
        "cancer_weight",
    ]
    assert isinstance(content.screening(), ScreeningFile)
    assert isinstance(content.guide(), GuideFile)
    assert isinstance(content.shared(), SharedFile)
    assert content.languages == ["en", "es"]  # es: the Spanish translation


def test_the_unedited_copy_loads(content_copy):
    assert len(load_content(content_copy).files) == len(content_files(CONTENT))


# One edit of one shipped file → the problem the loader must report.
# (file, old text, new text, code, needle for the line, which occurrence of the needle,
#  text the fix must suggest or None)
CASES = {
    # ids
    "duplicate item id": (
        "screening.yaml",
        "  - id: bladder_bowel\n",
        "  - id: leg_symptoms\n",
        ProblemCode.duplicate_id,
        "- id: leg_symptoms",
        2,
        None,
    ),
    "duplicate outcome id": (
        "screening.yaml",
        "  - id: proceed\n",
        "  - id: see_doctor\n",
        ProblemCode.duplicate_id,
        "- id: see_doctor",
        2,
        None,
    ),
    "duplicate rule id": (
        "screening.yaml",
        "  - id: no_red_flags\n",
        "  - id: any_red_flag\n",
        ProblemCode.duplicate_id,
        "- id: any_red_flag",
        2,
        None,
    ),
    "duplicate section id": (
        "acupuncture.yaml",
        "  - id: what_is_acupuncture\n",
        "  - id: about_cam\n",
        ProblemCode.duplicate_id,
        "- id: about_cam",
        2,
        None,
    ),
    "duplicate source id": (
        "acupuncture.yaml",
        "  - id: nih-consensus-1998\n",
        "  - id: nci-pdq-acupuncture\n",
        ProblemCode.duplicate_id,
        "- id: nci-pdq-acupuncture",
        2,
        None,
    ),
    "id with spaces and capitals": (
        "screening.yaml",
        "  - id: leg_symptoms\n",
        "  - id: Leg Symptoms\n",
        ProblemCode.wrong_value,
        "- id: Leg Symptoms",
        1,
        None,
    ),
    # rules
    "rule names an unknown item": (
        "screening.yaml",
        f"any_of: {ALL_FLAGS}",
        "any_of: [leg_symtoms, bladder_bowel, fever_nausea, cancer_weight]",
        ProblemCode.unknown_item,
        "any_of: [leg_symtoms",
        1,
        "'leg_symptoms'",
    ),
    "rule names an item that is nothing like any": (
        "screening.yaml",
        f"any_of: {ALL_FLAGS}",
        "any_of: [leg_symptoms, bladder_bowel, fever_nausea, cancer_weight, zzz]",
        ProblemCode.unknown_item,
        "zzz",
        1,
        "cancer_weight",  # no near miss: the fix lists the items
    ),
    "rule leads to an unknown outcome": (
        "screening.yaml",
        "    outcome: see_doctor\n",
        "    outcome: see_docter\n",
        ProblemCode.unknown_outcome,
        "outcome: see_docter",
        1,
        "'see_doctor'",
    ),
    "outcome no rule reaches": (
        "screening.yaml",
        "  - id: proceed\n",
        UNREACHED_OUTCOME + "  - id: proceed\n",
        ProblemCode.unreached_outcome,
        "- id: second_opinion",
        1,
        None,
    ),
    "item no rule uses": (
        "screening.yaml",
        f"any_of: {ALL_FLAGS}",
        "any_of: [leg_symptoms, bladder_bowel, fever_nausea]",
        ProblemCode.unused_item,
        "- id: cancer_weight",
        1,
        None,
    ),
    "no rule for none of these": (
        "screening.yaml",
        NONE_RULE,
        "",
        ProblemCode.no_none_rule,
        "rules:",
        1,
        "none_of_these: true",
    ),
    "an answer no rule decides": (
        "screening.yaml",
        f"any_of: {ALL_FLAGS}",
        f"all_of: {ALL_FLAGS}",
        ProblemCode.uncovered_answers,
        "rules:",
        1,
        None,
    ),
    "rule with no condition": (
        "screening.yaml",
        "      none_of_these: true\n",
        "      none_of_these: false\n",
        ProblemCode.empty_rule,
        "- id: no_red_flags",
        1,
        None,
    ),
    "two outcomes on one tier": (
        "screening.yaml",
        "    tier: 0\n",
        "    tier: 1\n",
        ProblemCode.duplicate_tier,
        "- id: proceed",
        1,
        None,
    ),
    # the gate
    "gate outcome without cleared_label": (
        "screening.yaml",
        CLEARED_LABEL + "\n",
        "",
        ProblemCode.gate_needs_clearance,
        "- id: see_doctor",
        1,
        "cleared_label:",
    ),
    "gate outcome without cleared_message": (
        "screening.yaml",
        CLEARED_MESSAGE,
        "",
        ProblemCode.gate_needs_clearance,
        "- id: see_doctor",
        1,
        "cleared_message:",
    ),
    "cleared_label stated as a fact, not the patient's own words": (
        "screening.yaml",
        CLEARED_LABEL,
        "    cleared_label: Your doctor has cleared you",
        ProblemCode.cleared_label_own_words,
        "- id: see_doctor",
        1,
        None,
    ),
    "an outcome that stops must be a gate": (
        "screening.yaml",
        "    gate: true\n    stop: true\n",
        "    gate: false\n    stop: true\n",
        ProblemCode.stop_needs_gate,
        "- id: urgent",
        1,
        "gate: true",
    ),
    "an outcome that stops offers no clearance": (
        "screening.yaml",
        "    stop: true\n",
        "    stop: true\n    cleared_label: I can go on anyway\n",
        ProblemCode.stop_with_clearance,
        "- id: urgent",
        1,
        "cleared_label",
    ),
    # placeholders never reach patients
    "a placeholder paragraph in the guide": (
        "acupuncture.yaml",
        "      - The first visit takes about 30 minutes.\n",
        "      - 'TODO: write this text'\n",
        ProblemCode.placeholder_text,
        "TODO",
        1,
        "import fhir",
    ),
    "a placeholder outcome message": (
        "screening.yaml",
        "      - Tell them that you have back pain and which signs you checked.\n",
        "      - 'TODO: write this text'\n",
        ProblemCode.placeholder_text,
        "TODO",
        1,
        None,
    ),
    # sources
    "section without a sources key": (
        "acupuncture.yaml",
        "so that it all fits well.\n    sources: [nccih-whats-in-a-name, program-practice]\n",
        "so that it all fits well.\n",
        ProblemCode.no_source,
        "- id: about_cam",
        1,
        None,
    ),
    "section with an empty sources list": (
        "acupuncture.yaml",
        "    sources: [program-practice]\n",
        "    sources: []\n",
        ProblemCode.no_source,
        "sources: []",
        1,
        None,
    ),
    "notice without a sources key": (
        "shared.yaml",
        "  sources: [usc-1395dd-emergency, usc-300gg-19a-layperson, cal-hsc-1317-1-psychiatric]\n",
        "",
        ProblemCode.no_source,
        "emergency:",
        1,
        None,
    ),
    "item without a sources key": (
        "screening.yaml",
        "in one or both legs\n    sources: [ahcpr-1994-red-flags, chou-2007-acp-aps, "
        "program-gate]\n",
        "in one or both legs\n",
        ProblemCode.no_source,
        "- id: leg_symptoms",
        1,
        None,
    ),
    "file without a sources list": (
        "screening.yaml",
        SCREENING_SOURCES,
        "",
        ProblemCode.no_source,
        "kind: screening",
        1,
        None,
    ),
    "unknown source reference": (
        "acupuncture.yaml",
        "    sources: [program-practice]\n",
        "    sources: [program-practise]\n",
        ProblemCode.unknown_source,
        "program-practise",
        1,
        "program-practice",
    ),
    # keys
    "misspelt meta key": (
        "screening.yaml",
        "  title: Back pain program safety check\n",
        "  titel: Back pain program safety check\n",
        ProblemCode.unknown_key,
        "titel:",
        1,
        "'title'",
    ),
    "misspelt top-level key": (
        "screening.yaml",
        "question: Do you",
        "questoin: Do you",
        ProblemCode.unknown_key,
        "questoin:",
        1,
        "'question'",
    ),
    "misspelt section key": (
        "acupuncture.yaml",
        "    heading: Adding other kinds of care\n",
        "    heding: Adding other kinds of care\n",
        ProblemCode.unknown_key,
        "heding:",
        1,
        "'heading'",
    ),
    "missing meta key": (
        "screening.yaml",
        "  owner_role: Clinical content lead\n",
        "",
        ProblemCode.missing_key,
        "meta:",
        1,
        "owner_role",
    ),
    "missing ui text": (
        "shared.yaml",
        "  loading: Loading the questions. This takes a few seconds.\n",
        "",
        ProblemCode.missing_key,
        "ui:",
        1,
        "loading",
    ),
    # values
    "status: finished": (
        "screening.yaml",
        "  status: draft\n",
        "  status: finished\n",
        ProblemCode.wrong_value,
        "status: finished",
        1,
        None,
    ),
    "next_review_due: soon": (
        "screening.yaml",
        "  next_review_due: 2027-02-28\n",
        "  next_review_due: soon\n",
        ProblemCode.wrong_value,
        "next_review_due: soon",
        1,
        "YYYY-MM-DD",
    ),
    "a date that does not exist": (
        "shared.yaml",
        "  next_review_due: 2027-02-28\n",
        "  next_review_due: 2027-02-30\n",
        ProblemCode.wrong_value,
        "next_review_due:",
        1,
        "YYYY-MM-DD",
    ),
    "tier: high": (
        "screening.yaml",
        "    tier: 1\n",
        "    tier: high\n",
        ProblemCode.wrong_value,
        "tier: high",
        1,
        None,
    ),
    "gate: maybe": (
        "screening.yaml",
        "    gate: false\n",
        "    gate: maybe\n",
        ProblemCode.wrong_value,
        "gate: maybe",
        1,
        "true or false",
    ),
    "version is a number": (
        "acupuncture.yaml",
        "  version: 1.1.0\n",
        "  version: 1.1\n",
        ProblemCode.wrong_value,
        "version: 1.1",
        1,
        None,
    ),
    # kind
    "missing kind": (
        "shared.yaml",
        "kind: shared\n",
        "",
        ProblemCode.missing_kind,
        "# yaml",
        1,
        "shared",
    ),
    "misspelt kind": (
        "acupuncture.yaml",
        "kind: guide\n",
        "kind: guid\n",
        ProblemCode.unknown_kind,
        "kind: guid",
        1,
        "'guide'",
    ),
}


@pytest.mark.parametrize(
    ("file", "old", "new", "code", "needle", "occurrence", "suggestion"),
    CASES.values(),
    ids=CASES.keys(),
)
def test_one_edit_one_problem(
    edit_content, content_copy, file, old, new, code, needle, occurrence, suggestion
):
    text = edit_content(file, old, new)
    problems = problems_loading(content_copy)
    found = assert_problem(problems, code, line_of(text, needle, occurrence), file)
    if suggestion is not None:
        assert suggestion in found.fix, found
    assert all(Path(p.path).name == file for p in problems), "the other files are fine"


def test_duplicate_file_id_names_both_files(edit_content, content_copy):
    edit_content("acupuncture.yaml", "  id: acupuncture-guide\n", "  id: shared-texts\n")
    problems = problems_loading(content_copy)
    shared = (content_copy / "en" / "shared.yaml").read_text(encoding="utf-8")
    found = assert_problem(
        problems, ProblemCode.duplicate_file_id, line_of(shared, "id: shared-texts"), "shared.yaml"
    )
    assert "acupuncture.yaml" in found.what


def test_copy_of_a_file_is_a_duplicate_file_id(content_copy):
    screening = content_copy / "en" / "screening.yaml"
    (content_copy / "en" / "screening-copy.yaml").write_bytes(screening.read_bytes())
    problems = problems_loading(content_copy)
    # files are read in name order: 'screening-copy.yaml' first, so the second is reported
    text = screening.read_text(encoding="utf-8")
    found = assert_problem(
        problems,
        ProblemCode.duplicate_file_id,
        line_of(text, "id: back-pain-screening"),
        "screening.yaml",
    )
    assert "screening-copy.yaml" in found.what


def test_a_language_without_its_guide(content_copy):
    (content_copy / "en" / "acupuncture.yaml").unlink()
    problems = problems_loading(content_copy)
    missing = find(problems, ProblemCode.missing_file_kind)
    assert [("guide" in p.what, "'en'" in p.what) for p in missing] == [(True, True)]


def test_the_schema_folder_is_not_content(content_copy):
    write_yaml(content_copy / "schema" / "notes.yaml", "not: content\n")
    assert len(load_content(content_copy).files) == len(content_files(CONTENT))


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_no_content_files(tmp_path, folder):
    root = tmp_path / folder
    if folder == "empty":
        write_yaml(root / "readme.txt", "not yaml")
    problems = problems_loading(root)
    assert [p.code for p in problems] == [ProblemCode.no_content]


def test_too_many_files_are_refused_not_silently_skipped(tmp_path):
    for index in range(MAX_FILES + 1):
        write_yaml(tmp_path / "content" / f"file{index:03}.yaml", "kind: guide\n")
    problems = problems_loading(tmp_path / "content")
    assert [p.code for p in problems] == [ProblemCode.too_many_files]


def test_every_problem_in_every_file_in_one_run(edit_content, content_copy):
    edit_content("screening.yaml", "    outcome: see_doctor\n", "    outcome: see_docter\n")
    edit_content("acupuncture.yaml", "  status: draft\n", "  status: finished\n")
    edit_content(
        "acupuncture.yaml", "    sources: [program-practice]\n", "    sources: [nowhere]\n"
    )
    edit_content("shared.yaml", "  title: Texts", "  titel: Texts")
    write_yaml(content_copy / "en" / "broken.yaml", "kind: guide\nintro: [unclosed\n")

    problems = problems_loading(content_copy)

    by_file = {
        name: [p.code for p in problems if Path(p.path).name == name]
        for name in ("screening.yaml", "acupuncture.yaml", "shared.yaml", "broken.yaml")
    }
    assert ProblemCode.unknown_outcome in by_file["screening.yaml"]
    assert {ProblemCode.wrong_value, ProblemCode.unknown_source} <= set(by_file["acupuncture.yaml"])
    assert ProblemCode.unknown_key in by_file["shared.yaml"]
    assert by_file["broken.yaml"] == [ProblemCode.yaml_syntax]
    assert problems == sorted(problems), "reported in file and line order"


def test_message_has_path_line_what_fix_shape(edit_content, content_copy):
    edit_content("screening.yaml", "  status: draft\n", "  status: finished\n")
    edit_content("shared.yaml", "  title: Texts", "  titel: Texts")
    with pytest.raises(ContentError) as caught:
        load_content(content_copy)
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems) >= 2
    shape = re.compile(r"^(?P<path>\S+\.yaml):(?P<line>[1-9]\d*): (?P<what>.+) — (?P<fix>.+)$")
    for rendered, found in zip(lines, caught.value.problems, strict=True):
        match = shape.match(rendered)
        assert match, rendered
        assert Path(match["path"]) == Path(found.path)
        assert Path(match["path"]).is_file()
        assert int(match["line"]) == found.line


# (text, the problem it must get)
HOSTILE = {
    "250 KiB of open brackets": ("[" * (250 * 1024), ProblemCode.too_deep),
    "250 KiB of nested flow sequences": (
        "kind: guide\nintro: " + "[" * (125 * 1024) + "]" * (125 * 1024),
        ProblemCode.too_deep,
    ),
    "one 250 KiB key": ("k" * (250 * 1024) + ": 1\n", ProblemCode.yaml_syntax),
    "one 250 KiB value": (
        "kind: guide\nintro: " + "v" * (250 * 1024) + "\n",
        ProblemCode.wrong_value,
    ),
    "thousands of anchors": (
        "kind: guide\n" + "".join(f"a{i}: &x{i} [*x{i}]\n" for i in range(9000)),
        ProblemCode.alias,
    ),
}

_LOAD_IN_CHILD = textwrap.dedent(
    """
    import sys
    from cam_workbench.content.problems import ContentError
    from cam_workbench.content.loading import load_content
    try:
        load_content(sys.argv[1])
    except ContentError as exc:
        print(" ".join(sorted({p.code.name for p in exc.problems})))
    """
)


@pytest.mark.parametrize(("text", "code"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_file_is_refused_quickly(content_copy, text, code):
    assert len(text.encode()) < 256 * 1024
    write_yaml(content_copy / "en" / "hostile.yaml", text)
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_CHILD, str(content_copy)],
        capture_output=True,
        text=True,
        timeout=10,  # generous: each takes well under a second; this catches hangs
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert code.name in result.stdout.split(), result.stdout


def test_placeholder_checks_leave_words_and_reviewer_fields_alone(content_copy):
    """Spanish "todo" (all) is a word; a placeholder in meta (not patient text) is allowed."""
    spanish = (content_copy / "es" / "acupuncture.yaml").read_text(encoding="utf-8")
    assert " todo" in spanish.lower()
    screening = content_copy / "en" / "screening.yaml"
    text = screening.read_text(encoding="utf-8").replace(
        "  owner_role: Clinical content lead", "  owner_role: 'TODO: the role that owns this'"
    )
    screening.write_text(text, encoding="utf-8")
    assert load_content(content_copy).screening().meta.owner_role.startswith("TODO")
