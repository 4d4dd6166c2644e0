"""Reviewer and educator files, never shown to patients (no sign-off needed).

The jargon list (``kind: jargon``), the sign-off record (``kind: signoff``), PEMAT-P
checklists (``kind: pemat``) and the workshop personas (``kind: personas``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal

from pydantic import Field, field_validator, model_validator

from cam_workbench.content.model.common import (
    FileId,
    Language,
    Meta,
    Sha256,
    Slug,
    StrictModel,
    Text,
    template,
    unique,
)
from cam_workbench.content.model.screening import Item, Outcome, Rule

#: Texts with ``{placeholders}`` (checked when the content loads).
RuleText = Annotated[Text, template("rule", "outcome", "tier", required=("rule", "outcome"))]
ChangedText = Annotated[Text, template("changed", "total", required=("changed", "total"))]


class JargonTerm(StrictModel):
    """A word patients may not know and the plain words to use instead."""

    term: Annotated[str, Field(min_length=2, max_length=80, description="lowercase word/phrase")]
    plain: Text
    variants: list[Annotated[str, Field(min_length=2, max_length=80)]] = Field(
        default_factory=list, description="Other forms to find too (e.g. 'vomited')"
    )
    note: Text | None = None


class JargonFile(StrictModel):
    """A plain-language list: terms to avoid or explain in patient text, per language."""

    kind: Literal["jargon"]
    meta: Meta
    terms: Annotated[list[JargonTerm], Field(min_length=1)]

    patient_facing: ClassVar[bool] = False

    @field_validator("terms")
    @classmethod
    def _termsunique(cls, terms: list[JargonTerm]) -> list[JargonTerm]:
        unique([t.term.lower() for t in terms], "term")
        return terms


DiffLine = Annotated[str, Field(max_length=8000)]


class ApprovedSection(StrictModel):
    """One section of a file as it was approved (its hash and its text, for diffs)."""

    id: Annotated[str, Field(min_length=1, max_length=200)]
    sha256: Sha256
    text: list[DiffLine]


ContentPath = Annotated[str, Field(pattern=r"^[^/\\][^\\]*\.ya?ml$", max_length=300)]
Signature = Annotated[
    str,
    Field(
        max_length=4000,
        pattern=r"^-----BEGIN SSH SIGNATURE-----\n[A-Za-z0-9+/=\n]+-----END SSH SIGNATURE-----\n?$",
        description="ssh-keygen -Y sign's armored signature of the statement",
    ),
]


class Approval(StrictModel):
    """A clinical reviewer's sign-off of one content file, signed with their SSH key."""

    file: ContentPath
    reviewer: Annotated[
        str, Field(min_length=1, max_length=200, description="The id in allowed_signers")
    ]
    date: dt.date
    sha256: Sha256
    sections: list[ApprovedSection]
    next_review_due: dt.date | None = Field(
        default=None,
        description="The file's meta.next_review_due when it was approved: moving the date "
        "later needs a new approval",
    )
    two_person: bool = Field(
        default=False, description="Approved under the two-person rule (someone else submitted)"
    )
    signature: Signature | None = Field(
        default=None, description="Missing only in records written before signatures"
    )


class Submission(StrictModel):
    """An author's signed word that they changed a file to this content (two-person rule)."""

    file: ContentPath
    author: Annotated[str, Field(min_length=1, max_length=200, description="allowed_signers id")]
    date: dt.date
    sha256: Sha256
    signature: Signature


class SignoffFile(StrictModel):
    """The clinical sign-off record: which file was approved, by whom, when, as what."""

    kind: Literal["signoff"]
    submissions: list[Submission] = Field(
        default_factory=list, description="Who submitted each file's content (`submit`)"
    )
    approvals: list[Approval] = Field(default_factory=list)

    patient_facing: ClassVar[bool] = False

    @field_validator("approvals")
    @classmethod
    def _filesunique(cls, approvals: list[Approval]) -> list[Approval]:
        unique([a.file for a in approvals], "file")
        return approvals

    @field_validator("submissions")
    @classmethod
    def _contentunique(cls, submissions: list[Submission]) -> list[Submission]:
        unique([f"{s.file} {s.sha256}" for s in submissions], "submission of the same content")
        return submissions


class PematRating(StrEnum):
    """A PEMAT rating: Agree = 1 point, Disagree = 0, N/A = not counted."""

    agree = "agree"
    disagree = "disagree"
    na = "na"


#: PEMAT-P (AHRQ, printable materials): item number → (domain, whether N/A is allowed).
#: Items 13 and 14 are for audiovisual material only, so PEMAT-P has 17 understandability
#: items (1-12, 15-19) and 7 actionability items (20-26).
PEMAT_P_ITEMS: Final[dict[int, tuple[str, bool]]] = {
    **{n: ("understandability", n in {6, 8, 9, 11, 16, 17, 18, 19}) for n in range(1, 13)},
    **{n: ("understandability", n in {16, 17, 18, 19}) for n in range(15, 20)},
    **{n: ("actionability", n in {24, 25}) for n in range(20, 27)},
}


class PematItem(StrictModel):
    """One PEMAT-P item, the rating and the reviewer's reason."""

    number: Annotated[int, Field(ge=1, le=26)]
    summary: Text = Field(description="What the item asks, in our own words")
    rating: PematRating
    note: Text


class PematFile(StrictModel):
    """A PEMAT-P checklist for one patient guide."""

    kind: Literal["pemat"]
    guide: FileId = Field(description="meta.id of the guide this checklist rates")
    language: Language
    assessment: Literal["self-assessment", "clinical review"]
    assessor_role: Text
    assessed_on: dt.date
    note: Text | None = None
    items: list[PematItem]

    patient_facing: ClassVar[bool] = False

    @field_validator("items")
    @classmethod
    def _all_pemat_p_items(cls, items: list[PematItem]) -> list[PematItem]:
        numbers = [i.number for i in items]
        unique([str(n) for n in numbers], "item")
        unknown = sorted(set(numbers) - set(PEMAT_P_ITEMS))
        missing = sorted(set(PEMAT_P_ITEMS) - set(numbers))
        if unknown:
            raise ValueError(f"items {unknown} are not PEMAT-P items (13 and 14 are AV only)")
        if missing:
            raise ValueError(f"PEMAT-P items {missing} are missing; rate all 24")
        for item in items:
            if item.rating is PematRating.na and not PEMAT_P_ITEMS[item.number][1]:
                raise ValueError(
                    f"item {item.number} cannot be rated 'na' (PEMAT allows N/A only on "
                    f"items {sorted(n for n, (_, na) in PEMAT_P_ITEMS.items() if na)})"
                )
        return items


# --- workshop personas (educators; not shown to patients) --------------------------------


class PersonaAnswers(StrictModel):
    """How a persona answers the screening."""

    flags: list[Slug] = Field(default_factory=list, description="Red-flag item ids checked")
    none_of_these: bool = False
    cleared_by_doctor: bool = Field(
        default=False, description="Goes on once told to see their doctor (doctor cleared them)"
    )


class PersonaSession(StrictModel):
    """One acupuncture session a persona records (any value may be missing)."""

    before: Annotated[int, Field(ge=0, le=10)] | None = None
    after: Annotated[int, Field(ge=0, le=10)] | None = None
    date: dt.date | None = None
    note: Text | None = None


class Persona(StrictModel):
    """A fictional person an educator walks through the system (no real names)."""

    id: Slug
    name: Text = Field(description="A role, not a name: 'Person A, 58, retired teacher'")
    story: Text
    answers: PersonaAnswers
    sessions: list[PersonaSession] = Field(
        default_factory=list, description="Sessions 1, 2, ... in order; empty if not tracking"
    )
    teaching_point: Text


class WorkshopLabels(StrictModel):
    """Words of the workshop slides (for educators)."""

    answers: Text = Field(description="Heading: what the persona answers")
    path: Text = Field(description="Heading: the screens the persona passes")
    rule: RuleText = Field(
        description="Which rule decided: 'Rule {rule} → outcome {outcome} (tier {tier})'"
    )
    teaching_point: Text
    changed: ChangedText = Field(
        description="'{changed} of {total} possible answers now lead elsewhere'"
    )
    none_of_these: Text = Field(description="Column: the 'None of these' answer")
    before: Text = Field(description="Column: outcome before the change")
    after: Text = Field(description="Column: outcome after the change")
    decided_by: Text = Field(description="Column: the rule that decides after the change")
    change_yaml: Text = Field(description="Opens the YAML of the rule change on its slide")


class WorkshopRuleChange(StrictModel):
    """A change to the screening that the workshop tries on a copy of the content.

    Its entries are added to the screening's lists in the copy, which is then loaded with
    every check of ``cam-workbench validate``; the real content never changes.
    """

    items: list[Item] = Field(default_factory=list, description="Red flags to add")
    outcomes: list[Outcome] = Field(default_factory=list, description="Outcomes to add")
    rules: list[Rule] = Field(default_factory=list, description="Rules to add")

    @model_validator(mode="after")
    def _not_empty(self) -> WorkshopRuleChange:
        if not (self.items or self.outcomes or self.rules):
            raise ValueError("the change adds nothing: give items, outcomes or rules to add")
        return self


class PersonasFile(StrictModel):
    """Fictional personas for the educators' workshop notebook."""

    kind: Literal["personas"]
    meta: Meta
    note: Text | None = None
    labels: WorkshopLabels
    personas: Annotated[list[Persona], Field(min_length=1)]
    rule_change: WorkshopRuleChange | None = Field(
        default=None, description="The rule change the workshop tries, on a copy of the content"
    )

    patient_facing: ClassVar[bool] = False

    @field_validator("personas")
    @classmethod
    def _idsunique(cls, personas: list[Persona]) -> list[Persona]:
        unique([p.id for p in personas], "persona")
        return personas
