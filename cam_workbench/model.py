"""Typed content model: what every content file holds, validated by pydantic.

Each file has a ``kind`` that picks its model (see :data:`KIND_MODELS`). New kinds
(translations, sign-off, jargon, personas) are added as new entries without changing
existing files. The JSON Schema in ``content/schema/`` is generated from these classes.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter

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


class Source(_Strict):
    """One citation a section can point at."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
    citation: Text
    url: str | None = None


class BulletList(_Strict):
    """A bulleted list inside a body of text."""

    bullets: Annotated[list[Text], Field(min_length=1)]


def _block_tag(value: Any) -> str:
    """Tell a paragraph (plain string) from a bullet list (mapping)."""
    return "paragraph" if isinstance(value, str) else "bullets"


Block = Annotated[
    Annotated[Text, Tag("paragraph")] | Annotated[BulletList, Tag("bullets")],
    Discriminator(_block_tag),
]
Body = Annotated[list[Block], Field(min_length=1)]
SourceRefs = Annotated[list[str], Field(min_length=1)]


class _File(_Strict):
    """Keys every content file has."""

    meta: Meta
    sources: Annotated[list[Source], Field(min_length=1)]


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
    gate: bool = Field(description="True: the patient must confirm their doctor cleared them")
    cleared_label: Text | None = None
    cleared_message: Body | None = None
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
    previous: Text
    next: Text
    busy_title: Text
    busy_message: Text
    error_title: Text
    error_message: Text
    session_lost: Text
    language_name: Text


class SharedFile(_File):
    """Texts shared by every patient page in one language."""

    kind: Literal["shared"]
    emergency: Notice
    disclaimer: Notice
    ui: UiTexts


# --- registry --------------------------------------------------------------------------

#: Read-only table: the ``kind`` key of a file → the model that validates it.
KIND_MODELS: Final[dict[str, type[_File]]] = {
    "screening": ScreeningFile,
    "guide": GuideFile,
    "shared": SharedFile,
}

ContentFile = Annotated[
    ScreeningFile | GuideFile | SharedFile,
    Field(discriminator="kind"),
]


def content_json_schema() -> dict[str, Any]:
    """Return the JSON Schema for any content file (generated from the model)."""
    schema = TypeAdapter(ContentFile).json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "CAM workbench content file"
    return schema
