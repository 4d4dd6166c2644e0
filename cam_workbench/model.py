"""Typed content model: what every content file holds, validated by pydantic.

Each file has a ``kind`` that picks its model (see :data:`KIND_MODELS`). New kinds
(translations, sign-off, jargon, personas) are added as new entries without changing
existing files. The JSON Schema in ``content/schema/`` is generated from these classes.
"""

from __future__ import annotations

import datetime as dt
import string
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    field_validator,
    model_validator,
)

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Strict(BaseModel):
    """Base for all content models: unknown keys are errors, objects are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Status(StrEnum):
    """Where a file is in its clinical review life."""

    draft = "draft"
    approved = "approved"
    retired = "retired"


FileId = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
SectionKey = Annotated[str, Field(min_length=1, max_length=200)]
ShortHash = Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]


class TranslationOf(_Strict):
    """Which file a translation was made from, and that file's content at the time.

    Written by ``cam-workbench translation-stamp``. Validation warns when the source has
    changed since (its current hash differs), naming the sections that changed.
    """

    id: FileId = Field(description="meta.id of the source file (usually the same id)")
    language: Language = Field(description="Language of the source file, e.g. 'en'")
    source_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="sha256 of the source file's normalised content when it was translated"
    )
    source_sections: dict[SectionKey, ShortHash] | None = Field(
        default=None,
        description="Section of the source → first 12 hex digits of its sha256 then "
        "(names the sections that changed since)",
    )


class Meta(_Strict):
    """What a reviewer needs to know about a file."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
    title: Text
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    status: Status
    owner_role: Text
    last_reviewed: dt.date | None = Field(description="Date of last clinical review; null=never")
    next_review_due: dt.date
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
    translation_of: TranslationOf | None = Field(
        default=None,
        description="Set on a translation: its source file; the translation needs clinical "
        "review like any other file (keep status: draft until approved)",
    )


class Source(_Strict):
    """One citation a section can point at."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
    citation: Text = Field(description="Authors, title, publisher or journal, year (exactly)")
    url: str | None = None
    note: Text | None = Field(
        default=None,
        description="For the reviewer: what this source supports here, and what it does not",
    )


class ListStyle(StrEnum):
    """How a list inside a body is shown."""

    bullets = "bullets"
    checklist = "checklist"
    steps = "steps"


class BulletList(_Strict):
    """A list inside a body of text: bullets, a checklist to print, or numbered steps."""

    bullets: Annotated[list[Text], Field(min_length=1)]
    style: ListStyle = Field(
        default=ListStyle.bullets,
        description="bullets (default); checklist: a box to tick before each entry (a tool "
        "the patient can print); steps: numbered steps joined by a line (a visual aid)",
    )


def _block_tag(value: Any) -> str:
    """Tell a paragraph (plain string) from a bullet list (mapping)."""
    return "paragraph" if isinstance(value, str) else "bullets"


Block = Annotated[
    Annotated[Text, Tag("paragraph")] | Annotated[BulletList, Tag("bullets")],
    Discriminator(_block_tag),
]
Body = Annotated[list[Block], Field(min_length=1)]
SourceRefs = Annotated[list[str], Field(min_length=1)]


def _template_check(allowed: frozenset[str], required: frozenset[str]) -> Any:
    """A validator: the text's ``{placeholders}`` are among ``allowed`` and include ``required``.

    Checked when the content loads, so a typo in a placeholder is a content problem with a
    line number, never an error on the patient's page.
    """
    names = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"

    def check(text: str) -> str:
        try:
            fields = [
                (name, spec, conversion)
                for _, name, spec, conversion in string.Formatter().parse(text)
                if name is not None
            ]
        except ValueError:
            raise ValueError(
                "a '{' or '}' without its pair: placeholders look like {n}; "
                "write {{ or }} for a brace"
            ) from None
        for name, spec, conversion in fields:
            if name not in allowed:
                raise ValueError(f"unknown placeholder {{{name}}}: this text may use {names}")
            if spec or conversion:
                raise ValueError(f"write the placeholder as plain {{{name}}}, with no ':' or '!'")
        missing = sorted(required - {name for name, _, _ in fields})
        if missing:
            raise ValueError(f"this text must contain {', '.join(f'{{{m}}}' for m in missing)}")
        return text

    return AfterValidator(check)


def _template(*allowed: str, required: tuple[str, ...] = ()) -> Any:
    """A text with ``{placeholders}`` filled in by the code, e.g. ``Session {n}``."""
    return Annotated[Text, _template_check(frozenset(allowed), frozenset(required))]


class _File(_Strict):
    """Keys every content file has."""

    meta: Meta
    sources: Annotated[list[Source], Field(min_length=1)]

    #: Patient content: a clinical reviewer must sign it off before patients see it.
    patient_facing: ClassVar[bool] = True


# --- screening -------------------------------------------------------------------------


class Item(_Strict):
    """One red flag the patient can check."""

    id: Slug
    text: Text
    sources: SourceRefs


class NoneOption(_Strict):
    """The explicit "none of these apply to me" answer."""

    text: Text


class Outcome(_Strict):
    """Where an answer set leads, with the patient's message."""

    id: Slug
    tier: Annotated[int, Field(ge=0, le=100, description="Higher = more severe; most severe wins")]
    heading: Text
    message: Body
    if_worse: Text = Field(
        description="What to do if the signs get worse or new ones start (every outcome)"
    )
    gate: bool = Field(
        description="True: the page stops here instead of going straight to the program"
    )
    stop: bool = Field(
        default=False,
        description="True (with gate: true): no way on to the program from this outcome, "
        "not even once cleared (e.g. urgent care first); no cleared_label or cleared_message",
    )
    cleared_label: Text | None = Field(
        default=None,
        description="The patient's own statement that their doctor said they can go on "
        "(first person: 'I have talked with my doctor ...'); never a fact stated by the page",
    )
    cleared_message: Body | None = Field(
        default=None, description="Shown once the patient has said so: 'You told us ...'"
    )
    sources: SourceRefs


class Condition(_Strict):
    """When a rule fires. Exactly one kind of condition is expected."""

    any_of: list[Slug] | None = Field(default=None, description="Fires if any is checked")
    all_of: list[Slug] | None = Field(default=None, description="Fires if all are checked")
    none_of_these: bool | None = Field(default=None, description="Fires on 'None of these'")


class Rule(_Strict):
    """A condition on the answers and the outcome it leads to."""

    id: Slug
    when: Condition
    outcome: Slug


class Prompts(_Strict):
    """Messages for incomplete or contradictory answers."""

    nothing_chosen: Text
    contradiction: Text


class ScreeningFile(_File):
    """The red-flag screening gate: items, outcomes and rules."""

    kind: Literal["screening"]
    question: Text
    hint: Text | None = None
    items: Annotated[list[Item], Field(min_length=1, max_length=12)]
    none_option: NoneOption
    outcomes: Annotated[list[Outcome], Field(min_length=1)]
    rules: Annotated[list[Rule], Field(min_length=1)]
    prompts: Prompts
    result_label: Text | None = Field(
        default=None,
        description="Label of the screening's result in exports (FHIR), e.g. 'Your result'",
    )


# --- guide -----------------------------------------------------------------------------


class Section(_Strict):
    """One part of a patient guide."""

    id: Slug
    heading: Text
    body: Body
    sources: SourceRefs


class GuideFile(_File):
    """A patient guide made of sections."""

    kind: Literal["guide"]
    intro: Body | None = None
    sections: Annotated[list[Section], Field(min_length=1)]


# --- shared texts ----------------------------------------------------------------------


class Notice(_Strict):
    """A text shown on every patient page (emergency advice, disclaimer)."""

    heading: Text
    body: Body
    sources: SourceRefs


class UiTexts(_Strict):
    """Short texts of the patient pages: labels, titles, status messages."""

    page_title: Text
    loading: Text
    continue_: Text = Field(alias="continue")
    start_again: Text
    guide_heading: Text
    guide_contents: Text = Field(description="Label of the list of guide sections")
    emergency_more: Text = Field(description="Opens the full emergency notice (what counts)")
    previous: Text
    next: Text
    busy_title: Text
    busy_message: Text
    error_title: Text
    error_message: Text
    session_lost: Text
    language_name: Text
    preview_banner: Text | None = Field(
        default=None, description="Shown on every page while the content is not signed off"
    )
    clearance: ClearanceTexts
    review_dates: ReviewDateTexts


class ClearanceTexts(_Strict):
    """The extra step that confirms the patient's own report that their doctor cleared them."""

    confirm: Text = Field(description="Asks the patient to check that what they said is true")
    yes: Text = Field(description="Button: yes, it is true; go on to the program")
    back: Text = Field(description="Button: go back to the advice")


class ReviewDateTexts(_Strict):
    """How a patient page shows when its content was last reviewed and when it is next due."""

    last_reviewed: _template("date", required=("date",)) = Field(  # type: ignore[valid-type]
        description="'Last reviewed: {date}'"
    )
    not_reviewed: Text = Field(description="Shown instead while no clinician has reviewed it")
    next_review: _template("date", required=("date",)) = Field(  # type: ignore[valid-type]
        description="'Next review: {date}'"
    )
    date_format: _template(  # type: ignore[valid-type]
        "day", "month", "year", required=("day", "month", "year")
    ) = Field(description="A date in words: '{month} {day}, {year}'")
    months: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=40)]],
        Field(min_length=12, max_length=12),
    ] = Field(description="The names of the 12 months, January first")


class SummaryTexts(_Strict):
    """Words of the printable summary of a patient's answers and of its download buttons."""

    title: Text = Field(description="Title of the printable summary page")
    date_label: Text = Field(description="Label before the date the summary was made")
    answers_heading: Text = Field(description="Heading above the questions and answers")
    answer_yes: Text = Field(description="How a 'yes' answer is shown")
    answer_no: Text = Field(description="How a 'no' answer is shown")
    outcome_heading: Text = Field(description="Heading above the outcome message")
    print_hint: Text = Field(description="Tells the patient they can print it for their doctor")
    privacy_note: Text = Field(description="Says the page holds nothing that names the patient")
    download_summary: Text = Field(description="Button: download the printable summary")
    download_fhir: Text = Field(description="Button: download the answers as a FHIR file")


class SharedFile(_File):
    """Texts shared by every patient page in one language."""

    kind: Literal["shared"]
    emergency: Notice
    disclaimer: Notice
    ui: UiTexts
    summary: SummaryTexts


# --- reviewer files (not shown to patients; no sign-off needed) --------------------------


def _unique(values: list[str], what: str) -> None:
    """Raise ValueError naming the first value that appears twice."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice; keep one")
        seen.add(value)


class JargonTerm(_Strict):
    """A word patients may not know and the plain words to use instead."""

    term: Annotated[str, Field(min_length=2, max_length=80, description="lowercase word/phrase")]
    plain: Text
    variants: list[Annotated[str, Field(min_length=2, max_length=80)]] = Field(
        default_factory=list, description="Other forms to find too (e.g. 'vomited')"
    )
    note: Text | None = None


class JargonFile(_Strict):
    """A plain-language list: terms to avoid or explain in patient text, per language."""

    kind: Literal["jargon"]
    meta: Meta
    terms: Annotated[list[JargonTerm], Field(min_length=1)]

    patient_facing: ClassVar[bool] = False

    @field_validator("terms")
    @classmethod
    def _terms_unique(cls, terms: list[JargonTerm]) -> list[JargonTerm]:
        _unique([t.term.lower() for t in terms], "term")
        return terms


Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
DiffLine = Annotated[str, Field(max_length=8000)]


class ApprovedSection(_Strict):
    """One section of a file as it was approved (its hash and its text, for diffs)."""

    id: Annotated[str, Field(min_length=1, max_length=200)]
    sha256: Sha256
    text: list[DiffLine]


class Approval(_Strict):
    """A clinical reviewer's sign-off of one content file."""

    file: Annotated[str, Field(pattern=r"^[^/\\][^\\]*\.ya?ml$", max_length=300)]
    reviewer: Annotated[str, Field(min_length=1, max_length=200)]
    date: dt.date
    sha256: Sha256
    sections: list[ApprovedSection]
    next_review_due: dt.date | None = Field(
        default=None,
        description="The file's meta.next_review_due when it was approved: moving the date "
        "later needs a new approval",
    )


class SignoffFile(_Strict):
    """The clinical sign-off record: which file was approved, by whom, when, as what."""

    kind: Literal["signoff"]
    approvals: list[Approval] = Field(default_factory=list)

    patient_facing: ClassVar[bool] = False

    @field_validator("approvals")
    @classmethod
    def _files_unique(cls, approvals: list[Approval]) -> list[Approval]:
        _unique([a.file for a in approvals], "file")
        return approvals


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


class PematItem(_Strict):
    """One PEMAT-P item, the rating and the reviewer's reason."""

    number: Annotated[int, Field(ge=1, le=26)]
    summary: Text = Field(description="What the item asks, in our own words")
    rating: PematRating
    note: Text


class PematFile(_Strict):
    """A PEMAT-P checklist for one patient guide."""

    kind: Literal["pemat"]
    guide: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)] = Field(
        description="meta.id of the guide this checklist rates"
    )
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
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
        _unique([str(n) for n in numbers], "item")
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


# --- session tracker (patient) ---------------------------------------------------------


class SourcedBody(_Strict):
    """Paragraphs with the sources of their facts."""

    body: Body
    sources: SourceRefs


class TrackerLabels(_Strict):
    """Labels of the session tracker's fields, buttons and download."""

    session: _template("n", required=("n",)) = Field(  # type: ignore[valid-type]
        description="Heading of one session, also the start of each field's name: 'Session {n}'"
    )
    before: Text = Field(description="Field: pain before treatment, 0 to 10")
    after: Text = Field(description="Field: pain after treatment (optional)")
    date: Text = Field(description="Field: date of the session")
    note: Text = Field(description="Field: the patient's note")
    add_session: Text = Field(description="Button: add one more session")
    download: Text = Field(description="Link: download the sessions as a CSV file")
    download_filename: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}\.csv$")]
    point_one: _template("n") = Field(description="'1 point'")  # type: ignore[valid-type]
    points_many: _template("n", required=("n",)) = Field(  # type: ignore[valid-type]
        description="'{n} points'"
    )
    percent: _template("value", required=("value",)) = Field(  # type: ignore[valid-type]
        description="How a percentage is written: '{value}%'"
    )


class TrackerMessages(_Strict):
    """What the tracker says about the scores (the change from session 1) and bad values."""

    bad_score: Text = Field(description="Inline message for text, 11, -1: not stored")
    note_too_long: _template("max", required=("max",))  # type: ignore[valid-type]
    need_first: Text = Field(description="Later sessions have a score but session 1 has none")
    need_two: Text = Field(description="Only session 1 has a score so far")
    lower: _template(  # type: ignore[valid-type]
        "session", "points", "percent", required=("points", "percent")
    ) = Field(description="Pain lower than at session 1: points and percent")
    higher: _template(  # type: ignore[valid-type]
        "session", "points", "percent", required=("points", "percent")
    ) = Field(description="Pain higher than at session 1: points and percent")
    higher_no_percent: _template(  # type: ignore[valid-type]
        "session", "points", required=("points",)
    ) = Field(description="Pain higher than a session-1 score of 0 (no percent of 0)")
    same: _template("session") = Field(  # type: ignore[valid-type]
        description="Pain the same as at session 1"
    )
    percent_undefined: Text = Field(description="Session 1 was 0: a percent cannot be given")
    smaller_drop: _template("threshold") = Field(  # type: ignore[valid-type]
        description="Lower, but by less than the smallest band ({threshold})"
    )
    not_lower: Text = Field(description="Pain not lower than at session 1")
    caution: Text = Field(description="Shown with every result: no promise, talk with the team")


class ChangeBand(_Strict):
    """A published threshold for a drop in pain from session 1 (e.g. IMMPACT 30%, 50%)."""

    id: Slug
    min_drop_percent: Annotated[float, Field(gt=0, le=100)] = Field(
        description="The band applies to a drop of at least this percent of session 1's score"
    )
    message: _template("threshold") = Field(  # type: ignore[valid-type]
        description="What a drop this size means; {threshold} is min_drop_percent as a percent"
    )
    sources: SourceRefs


class Milestone(_Strict):
    """A message once the patient has reached a session (e.g. "about 4 sessions to tell")."""

    after_session: Annotated[int, Field(ge=1, le=50)]
    message: _template("n")  # type: ignore[valid-type]
    sources: SourceRefs


class TrackerChart(_Strict):
    """Words of the line chart of pain by session (also its text for screen readers)."""

    title: Text
    x_label: Text
    y_label: Text
    before_series: Text = Field(description="Legend: the pain-before line")
    after_series: Text = Field(description="Legend: the pain-after line")
    point: _template("n", "value", required=("n", "value")) = Field(  # type: ignore[valid-type]
        description="One value read out by screen readers: 'session {n}: {value}'"
    )


class TrackerColumns(_Strict):
    """Column headings of the downloaded CSV file."""

    session: Text
    date: Text
    before: Text
    after: Text
    note: Text


class TrackerFile(_File):
    """The patient's session tracker: pain scores by session, and what the change means."""

    kind: Literal["tracker"]
    heading: Text
    intro: SourcedBody
    initial_sessions: Annotated[int, Field(ge=1, le=50)] = Field(
        default=4, description="Sessions shown before the patient adds more"
    )
    max_sessions: Annotated[int, Field(ge=1, le=50)] = Field(
        default=20, description="Most sessions the patient can add"
    )
    max_note_length: Annotated[int, Field(ge=1, le=2000)] = 200
    labels: TrackerLabels
    messages: TrackerMessages
    bands: Annotated[list[ChangeBand], Field(min_length=1)] = Field(
        description="Thresholds for a drop in pain; the highest one reached applies"
    )
    milestone: Milestone
    chart: TrackerChart
    csv_columns: TrackerColumns

    @model_validator(mode="after")
    def _consistent(self) -> TrackerFile:
        if self.initial_sessions > self.max_sessions:
            raise ValueError(
                f"initial_sessions ({self.initial_sessions}) is more than max_sessions "
                f"({self.max_sessions})"
            )
        _unique([b.id for b in self.bands], "band")
        _unique([f"{b.min_drop_percent:g}" for b in self.bands], "min_drop_percent")
        return self


# --- workshop personas (educators; not shown to patients) --------------------------------


class PersonaAnswers(_Strict):
    """How a persona answers the screening."""

    flags: list[Slug] = Field(default_factory=list, description="Red-flag item ids checked")
    none_of_these: bool = False
    cleared_by_doctor: bool = Field(
        default=False, description="Goes on once told to see their doctor (doctor cleared them)"
    )


class PersonaSession(_Strict):
    """One acupuncture session a persona records (any value may be missing)."""

    before: Annotated[int, Field(ge=0, le=10)] | None = None
    after: Annotated[int, Field(ge=0, le=10)] | None = None
    date: dt.date | None = None
    note: Text | None = None


class Persona(_Strict):
    """A fictional person an educator walks through the system (no real names)."""

    id: Slug
    name: Text = Field(description="A role, not a name: 'Person A, 58, retired teacher'")
    story: Text
    answers: PersonaAnswers
    sessions: list[PersonaSession] = Field(
        default_factory=list, description="Sessions 1, 2, ... in order; empty if not tracking"
    )
    teaching_point: Text


class WorkshopLabels(_Strict):
    """Words of the workshop slides (for educators)."""

    answers: Text = Field(description="Heading: what the persona answers")
    path: Text = Field(description="Heading: the screens the persona passes")
    rule: _template(  # type: ignore[valid-type]
        "rule", "outcome", "tier", required=("rule", "outcome")
    ) = Field(description="Which rule decided: 'Rule {rule} → outcome {outcome} (tier {tier})'")
    teaching_point: Text
    changed: _template(  # type: ignore[valid-type]
        "changed", "total", required=("changed", "total")
    ) = Field(description="'{changed} of {total} possible answers now lead elsewhere'")
    none_of_these: Text = Field(description="Column: the 'None of these' answer")
    before: Text = Field(description="Column: outcome before the change")
    after: Text = Field(description="Column: outcome after the change")
    decided_by: Text = Field(description="Column: the rule that decides after the change")
    change_yaml: Text = Field(description="Opens the YAML of the rule change on its slide")


class PersonasFile(_Strict):
    """Fictional personas for the educators' workshop notebook."""

    kind: Literal["personas"]
    meta: Meta
    note: Text | None = None
    labels: WorkshopLabels
    personas: Annotated[list[Persona], Field(min_length=1)]

    patient_facing: ClassVar[bool] = False

    @field_validator("personas")
    @classmethod
    def _ids_unique(cls, personas: list[Persona]) -> list[Persona]:
        _unique([p.id for p in personas], "persona")
        return personas


# --- registry --------------------------------------------------------------------------

#: Read-only table: the ``kind`` key of a file → the model that validates it.
KIND_MODELS: Final[dict[str, type[_Strict]]] = {
    "screening": ScreeningFile,
    "guide": GuideFile,
    "shared": SharedFile,
    "jargon": JargonFile,
    "signoff": SignoffFile,
    "pemat": PematFile,
    "tracker": TrackerFile,
    "personas": PersonasFile,
}

ContentFile = Annotated[
    ScreeningFile
    | GuideFile
    | SharedFile
    | JargonFile
    | SignoffFile
    | PematFile
    | TrackerFile
    | PersonasFile,
    Field(discriminator="kind"),
]


def content_json_schema() -> dict[str, Any]:
    """Return the JSON Schema for any content file (generated from the model)."""
    schema = TypeAdapter(ContentFile).json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "CAM workbench content file"
    return schema
