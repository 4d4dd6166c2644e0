"""Content is read with YAML 1.2's core schema: an unquoted No, yes, on or off is text.

YAML 1.1 (PyYAML's default) reads them as booleans, so a Spanish paragraph "No" became
``false`` and was refused with "write a mapping of keys". Only true/false are booleans now.
"""

from __future__ import annotations

import pytest
from helpers import edit

from cam_workbench.cli import main
from cam_workbench.content.loading import load_content
from cam_workbench.content.yamlsafe import parse
from cam_workbench.workshop import try_rule_change

ES_INTRO = (
    "  - Le dice qué es la acupuntura y por qué se hace. También le dice qué esperar cuando vaya.\n"
)


# Plain scalars that YAML 1.1 (PyYAML's default) reads otherwise.
@pytest.mark.parametrize(
    "scalar, expected",
    [
        ("No", "No"),
        ("no", "no"),
        ("NO", "NO"),
        ("yes", "yes"),
        ("Yes", "Yes"),
        ("on", "on"),
        ("Off", "Off"),
        ("10:30", "10:30"),  # YAML 1.1: 630 (base 60)
        ("1_000", "1_000"),  # YAML 1.1: 1000
        ("010", 10),  # YAML 1.1: 8 (octal)
        ("0o17", 15),  # YAML 1.1: text
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(scalar, expected):
    snippet = f"value: {scalar}\nlist: [{scalar}]\nreal: [true, False, 2, 2.5, null, 2027-02-28]\n"
    parsed, problems = parse(snippet, "snippet.yaml")
    assert not problems and parsed is not None
    # Only true/false are booleans; numbers, null and dates (as text) read as before.
    real = [True, False, 2, 2.5, None, "2027-02-28"]
    assert parsed.data == {"value": expected, "list": [expected], "real": real}


def test_a_spanish_paragraph_no_and_an_english_paragraph_yes_are_text(content_copy, capsys):
    edit(content_copy / "es" / "acupuncture.yaml", ES_INTRO, "  - No\n")
    english = content_copy / "en" / "acupuncture.yaml"
    text = english.read_text(encoding="utf-8")
    intro = text.split("intro:\n", 1)[1].split("\n", 1)[0] + "\n"
    edit(english, intro, "  - Yes\n")
    content = load_content(content_copy)
    assert content.guide("es").intro[-1] == "No"
    assert content.guide("en").intro[0] == "Yes"
    assert main(["validate", "--content", str(content_copy)]) == 0
    assert "mapping of keys" not in capsys.readouterr().err


def test_unquoted_on_and_off_in_the_screening_are_text_and_real_booleans_still_work(
    content_copy,
):
    edit(
        content_copy / "es" / "screening.yaml",
        "hint: Marque cada uno que tenga.",
        "hint: Sí",
    )
    edit(
        content_copy / "en" / "screening.yaml",
        "hint: Check each one that applies to you.",
        "hint: On",
    )
    content = load_content(content_copy)
    assert content.screening("es").hint == "Sí"
    assert content.screening("en").hint == "On"
    assert any(o.gate is True for o in content.screening("en").outcomes)  # gate: true


def test_the_workshop_rule_change_keeps_an_unquoted_no(content_copy):
    edit(
        content_copy / "en" / "screening.yaml",
        "hint: Check each one that applies to you.",
        "hint: No",
    )
    change = """
rules:
  - id: fever_alone
    when:
      all_of: [fever_nausea]
    outcome: see_doctor
"""
    result = try_rule_change(content_copy, change)
    assert result.changed == ()  # the same outcome, by another rule
