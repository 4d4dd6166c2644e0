"""The patient guide (``kind: guide``) and the texts every patient page shares (``shared``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from cam_workbench.content.model.common import (
    Body,
    PatientFile,
    Slug,
    SourceRefs,
    StrictModel,
    Text,
    template,
)

#: Texts with ``{placeholders}`` (checked when the content loads).
DateText = Annotated[Text, template("date", required=("date",))]
DateFormat = Annotated[Text, template("day", "month", "year", required=("day", "month", "year"))]


class Section(StrictModel):
    """One part of a patient guide."""

    id: Slug
    heading: Text
    body: Body
    sources: SourceRefs


class GuideFile(PatientFile):
    """A patient guide made of sections."""

    kind: Literal["guide"]
    intro: Body | None = None
    sections: Annotated[list[Section], Field(min_length=1)]


# --- shared texts ----------------------------------------------------------------------


class Notice(StrictModel):
    """A text shown on every patient page (emergency advice, disclaimer)."""

    heading: Text
    body: Body
    sources: SourceRefs


class UiTexts(StrictModel):
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


class ClearanceTexts(StrictModel):
    """The extra step that confirms the patient's own report that their doctor cleared them."""

    confirm: Text = Field(description="Asks the patient to check that what they said is true")
    yes: Text = Field(description="Button: yes, it is true; go on to the program")
    back: Text = Field(description="Button: go back to the advice")


class ReviewDateTexts(StrictModel):
    """How a patient page shows when its content was last reviewed and when it is next due."""

    last_reviewed: DateText = Field(description="'Last reviewed: {date}'")
    not_reviewed: Text = Field(description="Shown instead while no clinician has reviewed it")
    next_review: DateText = Field(description="'Next review: {date}'")
    date_format: DateFormat = Field(description="A date in words: '{month} {day}, {year}'")
    months: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=40)]],
        Field(min_length=12, max_length=12),
    ] = Field(description="The names of the 12 months, January first")


class SummaryTexts(StrictModel):
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
    summary_filename: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}\.html$",
            description="Name of the downloaded printable summary (no format words)",
        ),
    ]
    health_record_filename: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}\.json$",
            description="Name of the downloaded health-record file: what it is for, not its format",
        ),
    ]


class SharedFile(PatientFile):
    """Texts shared by every patient page in one language."""

    kind: Literal["shared"]
    emergency: Notice
    disclaimer: Notice
    ui: UiTexts
    summary: SummaryTexts
