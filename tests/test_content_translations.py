"""Spanish content and translation checks: complete, fresh, same logic; the stamp command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import CONTENT, edit, line_of, problems_loading

from cam_workbench.cli import main
from cam_workbench.content.checks.translations import translation_of
from cam_workbench.content.fingerprints import file_hash
from cam_workbench.content.loading import load_content
from cam_workbench.content.parts import patient_parts
from cam_workbench.content.problems import Problem, ProblemCode
from cam_workbench.content.rules import Answers, all_answer_sets
from cam_workbench.content.signoff import unapproved_files
from cam_workbench.content.stamp import stamp_text
from cam_workbench.logic.screening import evaluate
from cam_workbench.review import readability

STALE_SENTENCE = "It most often takes about 4 sessions to tell if acupuncture is helping you."


def warnings_of(root: Path) -> list[Problem]:
    """The reviewer warnings of a content folder that loads."""
    return list(load_content(root).warnings)


def codes(found: list[Problem]) -> list[ProblemCode]:
    return [p.code for p in found]


def only(found: list[Problem], code: ProblemCode) -> Problem:
    hits = [p for p in found if p.code == code]
    assert len(hits) == 1, "\n".join(str(p) for p in found)
    return hits[0]


def about(found: list[Problem], name: str) -> list[Problem]:
    """The problems about one file name (in either language): other files may change."""
    return [p for p in found if Path(p.path).name == name]


# --- the shipped Spanish content ---------------------------------------------------------


def test_shipped_content_has_no_warnings(content):
    assert content.warnings == ()
    assert content.languages == ["en", "es"]


def test_spanish_files_are_drafts_marked_as_translations(content):
    spanish = [f.model for f in content.files if f.relpath.split("/")[-2:-1] == ["es"]]
    assert {m.kind for m in spanish} >= {"screening", "guide", "shared"}
    for model in spanish:
        stamp = translation_of(model)
        assert stamp is not None and stamp.language == "en" and stamp.id == model.meta.id
        assert model.meta.status == "draft" and model.meta.last_reviewed is None
        # the hash is the sign-off hash of the English file (shared code, not a second hash)
        assert stamp.source_hash == file_hash(content.of_kind(type(model), "en")[0])


def test_content_set_gives_each_language(content):
    assert content.screening("es").question.startswith("¿")
    assert content.guide("es").meta.language == "es"
    assert content.shared("es").ui.language_name == "Español"
    assert content.shared("en").ui.language_name == "English"
    see_doctor = next(o for o in content.screening("es").outcomes if o.id == "see_doctor")
    assert see_doctor.cleared_label.startswith("Hablé con mi médico")
    assert "911" in content.shared("es").emergency.body[0]


def test_spanish_decides_exactly_as_english(content):
    en, es = content.screening("en"), content.screening("es")
    assert [i.id for i in es.items] == [i.id for i in en.items]
    for answers in all_answer_sets(en):
        assert evaluate(es, answers).outcome.id == evaluate(en, answers).outcome.id


def test_spanish_files_need_clinical_sign_off():
    blocking = unapproved_files(CONTENT)
    assert {"es/acupuncture.yaml", "es/screening.yaml", "es/shared.yaml"} <= set(blocking)


def test_smog_is_not_computed_for_spanish_and_sentences_stay_short(content):
    with pytest.raises(readability.UnsupportedLanguage):
        readability.analyse("Hola. ¿Cómo está usted?", language="es")
    parts = [p for p in patient_parts(content) if p.language == "es"]
    sentences = [
        s
        for part in parts
        for block in part.blocks
        for s in re.split(r"(?<=[.!?:])\s+", block)
        if s.strip()
    ]
    lengths = [len(s.split()) for s in sentences]
    assert max(lengths) <= 30, max(zip(lengths, sentences, strict=True))
    assert sum(lengths) / len(lengths) <= 12


# --- completeness: entries with no counterpart -------------------------------------------


def test_removing_a_spanish_section_warns_and_names_it(content_copy):
    path = content_copy / "es" / "acupuncture.yaml"
    text = path.read_text(encoding="utf-8")
    cut = text[text.index("  - id: side_effects") : text.index("  - id: next_steps")]
    path.write_text(text.replace(cut, ""), encoding="utf-8")
    found = only(warnings_of(content_copy), ProblemCode.translation_missing_entry)
    english = (content_copy / "en" / "acupuncture.yaml").read_text(encoding="utf-8")
    assert found.path.endswith("en/acupuncture.yaml")
    assert found.line == line_of(english, "- id: side_effects")
    assert "section 'side_effects' has no Spanish counterpart in" in found.what
    assert found.what.endswith("es/acupuncture.yaml") and found.is_warning


def test_adding_an_english_section_warns(content_copy):
    edit(
        content_copy / "en" / "acupuncture.yaml",
        "  - id: side_effects\n",
        "  - id: after_treatment\n    heading: After your treatment\n    body:\n"
        "      - Rest a little.\n    sources: [program-practice]\n  - id: side_effects\n",
    )
    found = warnings_of(content_copy)
    missing = only(found, ProblemCode.translation_missing_entry)
    assert "section 'after_treatment' has no Spanish counterpart" in missing.what
    stale = only(found, ProblemCode.translation_stale)
    assert "added: sections/after_treatment" in stale.what


def test_an_unknown_key_is_a_schema_error_in_every_language(content_copy):
    edit(
        content_copy / "es" / "shared.yaml",
        "  language_name: Español\n",
        "  language_name: Español\n  extra: Algo\n",
    )
    assert ProblemCode.unknown_key in codes(problems_loading(content_copy))


def test_an_extra_spanish_source_warns(content_copy):
    es = content_copy / "es" / "acupuncture.yaml"
    text = edit(
        es,
        "sources:\n  - id: nccih-whats-in-a-name\n",
        "sources:\n  - id: guia-extra\n    citation: Una fuente nueva\n"
        "  - id: nccih-whats-in-a-name\n",
    )
    found = only(warnings_of(content_copy), ProblemCode.translation_extra_entry)
    assert found.path.endswith("es/acupuncture.yaml")
    assert found.line == line_of(text, "- id: guia-extra")
    assert "source 'guia-extra' has no English counterpart in" in found.what


def test_a_missing_key_and_a_missing_paragraph_warn(content_copy):
    es = content_copy / "es" / "shared.yaml"
    edit(es, "  preview_banner: Versión de prueba", "  # preview_banner: Versión de prueba")
    edit(
        content_copy / "es" / "acupuncture.yaml",
        "      - La primera visita dura unos 30 minutos.\n",
        "",
    )
    found = warnings_of(content_copy)
    missing = only(found, ProblemCode.translation_missing_entry)
    assert "key 'ui.preview_banner' has no Spanish counterpart" in missing.what
    shape = only(found, ProblemCode.translation_shape_differs)
    assert "key 'body' of section 'first_visit' has 8 paragraphs and lists in" in shape.what
    assert "but 9 in" in shape.what


def test_sections_in_another_order_warn(content_copy):
    es = content_copy / "es" / "acupuncture.yaml"
    text = es.read_text(encoding="utf-8")
    last = text[text.index("  - id: next_steps") :]
    text = text.replace(last, "").replace("  - id: about_cam", last + "  - id: about_cam")
    es.write_text(text, encoding="utf-8")
    found = only(warnings_of(content_copy), ProblemCode.translation_shape_differs)
    assert found.what.startswith("key 'sections' has the order [next_steps, about_cam, ")
    assert found.line == text.splitlines().index("sections:") + 1


def test_an_english_file_with_no_translation_warns(content_copy):
    text = (content_copy / "en" / "acupuncture.yaml").read_text(encoding="utf-8")
    other = content_copy / "en" / "massage.yaml"
    other.write_text(text.replace("id: acupuncture-guide", "id: massage-guide"), encoding="utf-8")
    found = [p for p in warnings_of(content_copy) if p.path.endswith("massage.yaml")]
    assert codes(found) == [ProblemCode.translation_missing_file]
    assert "has no Spanish translation" in found[0].what


# --- stale translations ------------------------------------------------------------------


def test_changing_an_english_sentence_makes_the_translation_stale(content_copy):
    edit(content_copy / "en" / "acupuncture.yaml", STALE_SENTENCE, STALE_SENTENCE.replace("4", "5"))
    found = about(warnings_of(content_copy), "acupuncture.yaml")
    stale = only(found, ProblemCode.translation_stale)
    assert codes(found) == [ProblemCode.translation_stale]
    assert stale.path.endswith("es/acupuncture.yaml")
    text = (content_copy / "es" / "acupuncture.yaml").read_text(encoding="utf-8")
    assert stale.line == line_of(text, "source_hash:")
    assert "en/acupuncture.yaml changed after this translation was made" in stale.what
    assert "(sections changed: sections/why_it_is_done)" in stale.what
    assert "translation-stamp" in stale.fix


def test_layout_comments_and_bookkeeping_do_not_make_it_stale(content_copy):
    guide = content_copy / "en" / "acupuncture.yaml"
    edit(guide, "kind: guide\n", "# a comment\nkind: guide\n")
    edit(guide, "version: 1.1.0", "version: 1.1.1")
    edit(guide, "last_reviewed: null", "last_reviewed: 2026-11-27")
    assert about(warnings_of(content_copy), "acupuncture.yaml") == []


def test_stamp_command_clears_the_stale_warning(content_copy, capsys):
    edit(content_copy / "en" / "acupuncture.yaml", STALE_SENTENCE, STALE_SENTENCE.replace("4", "5"))
    es = content_copy / "es" / "acupuncture.yaml"
    before = es.read_text(encoding="utf-8")
    assert main(["translation-stamp", "--content", str(content_copy), str(es)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stamped ") and "translation of" in out
    after = es.read_text(encoding="utf-8")
    assert about(warnings_of(content_copy), "acupuncture.yaml") == []
    # only the translation_of block changed: comments and every other line are kept
    changed = [a for a, b in zip(after.splitlines(), before.splitlines(), strict=True) if a != b]
    assert changed and all(
        re.match(r"\s+(source_hash|sections/why_it_is_done):", c) for c in changed
    )


def test_stamp_marks_an_unmarked_translation(content_copy, capsys):
    es = content_copy / "es" / "shared.yaml"
    text = es.read_text(encoding="utf-8")
    start = text.index("  translation_of:")
    end = text.index("sources:", start)
    es.write_text(text[:start] + text[end:], encoding="utf-8")
    assert codes(about(warnings_of(content_copy), "shared.yaml")) == [
        ProblemCode.translation_unmarked
    ]
    assert main(["translation-stamp", "--content", str(content_copy), "es/shared.yaml"]) == 0
    assert es.read_text(encoding="utf-8") == text
    assert "stamped" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("en/acupuncture.yaml", "is in 'en' itself"),
        ("en/jargon.yaml", "not a patient content file"),
        ("es/missing.yaml", "not a patient content file"),
    ],
)
def test_stamp_usage_errors_exit_2(content_copy, capsys, file, message):
    with pytest.raises(SystemExit) as done:
        main(["translation-stamp", "--content", str(content_copy), file])
    assert done.value.code == 2
    assert message in capsys.readouterr().err


def test_stamp_text_adds_or_replaces_the_block():
    from cam_workbench.content.model import TranslationOf

    stamp = TranslationOf(id="x", language="en", source_hash="a" * 64)
    text = "kind: guide\nmeta:\n  id: x  # keep me\n  language: es\nsources: []\n"
    added = stamp_text(text, stamp)
    assert added == (
        "kind: guide\nmeta:\n  id: x  # keep me\n  language: es\n  translation_of:\n"
        f"    id: x\n    language: en\n    source_hash: {'a' * 64}\nsources: []\n"
    )
    again = stamp_text(added, stamp.model_copy(update={"source_hash": "b" * 64}))
    assert again == added.replace("a" * 64, "b" * 64)
    with pytest.raises(ValueError, match="no 'meta:'"):
        stamp_text("kind: guide\n", stamp)


# --- errors: the logic, and what a translation names --------------------------------------


def test_differing_rules_are_an_error(content_copy):
    es = content_copy / "es" / "screening.yaml"
    text = edit(
        es,
        "      any_of: [leg_symptoms, bladder_bowel, fever_nausea, cancer_weight]\n"
        "    outcome: see_doctor\n",
        "      any_of: [leg_symptoms, bladder_bowel, fever_nausea, cancer_weight]\n"
        "    outcome: see_doctor\n  - id: legs_again\n    when:\n      any_of: [leg_symptoms]\n"
        "    outcome: see_doctor\n",
    )
    found = problems_loading(content_copy)
    error = only(found, ProblemCode.translation_logic_differs)
    assert not error.is_warning and error.path.endswith("es/screening.yaml")
    assert error.line == line_of(text, "- id: legs_again")
    assert "rule 'legs_again' (it has no such rule) differs from" in error.what
    assert "the logic must be the same in every language" in error.what


def test_a_changed_condition_is_an_error(content_copy):
    es = content_copy / "es" / "screening.yaml"
    text = edit(
        es,
        "any_of: [leg_symptoms, bladder_bowel, fever_nausea, cancer_weight]",
        "any_of: [bladder_bowel, leg_symptoms, fever_nausea, cancer_weight]",
    )
    error = only(problems_loading(content_copy), ProblemCode.translation_logic_differs)
    assert error.line == line_of(text, "- id: any_red_flag")
    assert "rule 'any_red_flag' differs from" in error.what


def test_a_changed_tier_is_an_error(content_copy):
    es = content_copy / "es" / "screening.yaml"
    edit(es, "    tier: 2\n", "    tier: 4\n")
    error = only(problems_loading(content_copy), ProblemCode.translation_logic_differs)
    assert "tier of outcome 'urgent' differs from" in error.what


def test_reordered_rules_are_an_error(content_copy):
    es = content_copy / "es" / "screening.yaml"
    text = es.read_text(encoding="utf-8")
    rules = text.index("\nrules:\n")
    first = text[
        text.index("  - id: any_red_flag", rules) : text.index("  - id: no_red_flags", rules)
    ]
    rest = text[text.index("  - id: no_red_flags", rules) : text.index("\nresult_label:") + 1]
    es.write_text(text.replace(first + rest, rest + first), encoding="utf-8")
    error = only(problems_loading(content_copy), ProblemCode.translation_logic_differs)
    assert "the order of the rules" in error.what


def test_translation_of_an_unknown_file_is_an_error(content_copy):
    es = content_copy / "es" / "acupuncture.yaml"
    text = edit(
        es, "    id: acupuncture-guide\n    language: en\n", "    id: yoga\n    language: en\n"
    )
    error = only(problems_loading(content_copy), ProblemCode.unknown_translation_source)
    assert error.line == line_of(text, "translation_of:")
    assert "guide 'yoga' in language 'en', which does not exist" in error.what
    assert "acupuncture-guide (en)" in error.fix


def test_the_own_words_check_is_for_english_only(content_copy):
    es = content_copy / "es" / "screening.yaml"
    edit(es, "cleared_label: Hablé con mi médico", "cleared_label: Yo hablé con mi médico")
    assert ProblemCode.cleared_label_own_words not in codes(warnings_of(content_copy))
    edit(
        content_copy / "en" / "screening.yaml",
        "cleared_label: I have talked with my doctor",
        "cleared_label: You have talked with your doctor",
    )
    assert ProblemCode.cleared_label_own_words in codes(problems_loading(content_copy))


def test_the_urgent_tier_and_its_stop_are_the_same_in_every_language(content_copy):
    es = content_copy / "es" / "screening.yaml"
    edit(es, "    gate: true\n    stop: true\n", "    gate: false\n")
    found = [p.what for p in problems_loading(content_copy)]
    assert any("gate of outcome 'urgent' differs" in what for what in found), found
    assert any("stop of outcome 'urgent' differs" in what for what in found), found


# --- the command line --------------------------------------------------------------------


def test_validate_prints_warnings_and_exits_0(content_copy, capsys):
    edit(content_copy / "en" / "acupuncture.yaml", STALE_SENTENCE, STALE_SENTENCE.replace("4", "5"))
    assert main(["validate", "--content", str(content_copy)]) == 0
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if "acupuncture.yaml" in line]
    assert len(lines) == 1
    assert re.match(
        r".*es/acupuncture\.yaml:\d+: warning: .*en/acupuncture\.yaml changed", lines[0]
    )
    assert out.startswith("Content is valid: ") and "reviewer warning" in out


def test_validate_counts_errors_and_warnings(content_copy, capsys):
    edit(content_copy / "en" / "acupuncture.yaml", STALE_SENTENCE, STALE_SENTENCE.replace("4", "5"))
    edit(content_copy / "es" / "screening.yaml", "    tier: 2\n", "    tier: 4\n")
    assert main(["validate", "--content", str(content_copy)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"1 problem and \d+ reviewer warnings? found\.$", err.strip())


def test_validate_shipped_content_has_no_warnings(capsys):
    assert main(["validate", "--content", str(CONTENT)]) == 0
    out, err = capsys.readouterr()
    assert err == ""


def test_the_catalogue_marks_the_translation_reviewer_warnings():
    warnings = {code for code in ProblemCode if code.is_warning}
    assert warnings == {
        ProblemCode.translation_missing_entry,
        ProblemCode.translation_extra_entry,
        ProblemCode.translation_shape_differs,
        ProblemCode.translation_missing_file,
        ProblemCode.translation_unmarked,
        ProblemCode.translation_stale,
    }
    assert not ProblemCode.translation_logic_differs.is_warning
    found = Problem("a.yaml", 3, ProblemCode.translation_stale, "what", "fix", severity="warning")
    assert str(found) == ("a.yaml:3: warning: what — fix")


def test_answers_in_spanish_use_the_same_ids(content):
    es = content.screening("es")
    decision = evaluate(es, Answers.of(["leg_symptoms"]))
    assert decision.outcome.heading == "Hable primero con su médico"
