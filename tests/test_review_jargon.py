"""Plain-language list: the jargon file loads, and the table shows where each term appears."""

from __future__ import annotations

import pytest
from helpers import CONTENT

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import JargonFile, JargonTerm
from cam_workbench.content.parts import Part
from cam_workbench.content.problems import ProblemCode
from cam_workbench.review import jargon


def _part(*blocks: str, heading: str | None = None) -> Part:
    return Part("en/x.yaml", "guide", "x", "en", "sections/a", heading, blocks, 1, {})


def test_jargon_list_is_content(content):
    [terms] = content.of_kind(JargonFile)
    plain = {t.term: t.plain for t in terms.terms}
    assert plain["musculoskeletal"] == "muscles and joints"
    assert {"chemotherapy", "vigorous", "endorphins"} <= set(plain)


@pytest.mark.parametrize(
    ("text", "found", "explained"),
    [
        ("It can ease nausea (feeling sick).", ["nausea"], [True]),
        ("Nausea is common.", ["Nausea"], [False]),  # any case
        ("Throwing up (vomiting) and vomited.", ["vomiting", "vomited"], [True, False]),
        ("Two seizures.", ["seizures"], [False]),  # plural
        ("Chronically tired.", [], []),  # whole words only
        ("Alternative\n medicine", ["Alternative\n medicine"], [False]),  # phrase over a break
    ],
)
def test_find_terms(text, found, explained):
    terms = [
        JargonTerm(term="nausea", plain="feeling sick"),
        JargonTerm(term="vomiting", plain="throwing up", variants=["vomited"]),
        JargonTerm(term="seizure", plain="fit"),
        JargonTerm(term="chronic", plain="long-lasting"),
        JargonTerm(term="alternative medicine", plain="care instead of usual care"),
    ]
    hits = jargon.find_terms(terms, [_part(text)])
    assert [h.found for h in hits] == found
    assert [h.explained_in_brackets for h in hits] == explained


def test_headings_are_searched_too():
    hits = jargon.find_terms(
        [JargonTerm(term="chronic", plain="long-lasting")], [_part("x.", heading="Chronic pain")]
    )
    assert [h.found for h in hits] == ["Chronic"]


def test_where_each_term_appears_in_the_shipped_content(content):
    rows = {r["term"]: r for r in jargon.summary_rows(content)}
    assert rows["chemotherapy"]["uses"] == 1
    assert rows["chemotherapy"]["where"] == "en/acupuncture.yaml#sections/why_it_is_done"
    assert rows["chemotherapy"]["without_brackets"] == 0  # "(strong drugs used to treat cancer)"
    assert rows["musculoskeletal"]["uses"] == 0  # the guide says "muscles and joints"
    assert rows["vigorous"]["uses"] == 0  # the guide says "work out hard"
    # the red-flag item now says "feeling sick to your stomach" without the word "nausea"
    assert "en/screening.yaml#items/fever_nausea" not in rows["nausea"]["where"]
    assert "en/acupuncture.yaml#sections/what_is_acupuncture" in rows["nausea"]["where"]
    uses = jargon.occurrence_rows(content)
    assert all(u["file"] != "en/jargon.yaml" and u["file"].startswith("en/") for u in uses)
    [endorphins] = [u for u in uses if u["term"] == "endorphins"]
    assert endorphins["section"] == "sections/what_is_acupuncture"
    assert "[endorphins]" in endorphins["context"]


def test_duplicate_terms_are_refused(tmp_path):
    import shutil

    from cam_workbench.content.problems import ContentError

    shutil.copytree(CONTENT, tmp_path / "content")
    path = tmp_path / "content" / "en" / "jargon.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "  - term: Chronic\n    plain: long-lasting\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as error:
        load_content(tmp_path / "content")
    assert [p.code for p in error.value.problems] == [ProblemCode.wrong_value]
    assert "'chronic' appears twice" in error.value.problems[0].what
