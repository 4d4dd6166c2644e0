"""What every content file is made of: the base model, metadata, sources, text blocks.

Also the shared field types (``Slug``, ``Text``, ``Language`` ...) and :func:`template`, the
validator of texts with ``{placeholders}``.
"""

from __future__ import annotations

import datetime as dt
import string
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class StrictModel(BaseModel):
    """Base for all content models: unknown keys are errors, objects are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Status(StrEnum):
    """Where a file is in its clinical review life."""

    draft = "draft"
    approved = "approved"
    retired = "retired"


FileId = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
#: A language code we use: ``en``, ``es``, ``pt-BR`` (also what FHIR import and export accept).
LANGUAGE_PATTERN: Final = r"^[a-z]{2}(-[A-Z]{2})?$"
Language = Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
SectionKey = Annotated[str, Field(min_length=1, max_length=200)]
ShortHash = Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class TranslationOf(StrictModel):
    """Which file a translation was made from, and that file's content at the time.

    Written by ``cam-workbench translation-stamp``. Validation warns when the source has
    changed since (its current hash differs), naming the sections that changed.
    """

    id: FileId = Field(description="meta.id of the source file (usually the same id)")
    language: Language = Field(description="Language of the source file, e.g. 'en'")
    source_hash: Sha256 = Field(
        description="sha256 of the source file's normalised content when it was translated"
    )
    source_sections: dict[SectionKey, ShortHash] | None = Field(
        default=None,
        description="Section of the source → first 12 hex digits of its sha256 then "
        "(names the sections that changed since)",
    )


class Meta(StrictModel):
    """What a reviewer needs to know about a file."""

    id: FileId
    title: Text
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    status: Status
    owner_role: Text
    last_reviewed: dt.date | None = Field(description="Date of last clinical review; null=never")
    next_review_due: dt.date
    language: Language
    translation_of: TranslationOf | None = Field(
        default=None,
        description="Set on a translation: its source file; the translation needs clinical "
        "review like any other file (keep status: draft until approved)",
    )
    two_person_review: bool = Field(
        default=False,
        description="Two people sign this file off: whoever submitted the content as it is "
        "now (`cam-workbench submit`) may not approve it. Part of the content: changing it "
        "needs an approval, and turning it off needs two people too",
    )


class Source(StrictModel):
    """One citation a section can point at."""

    id: FileId
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


class BulletList(StrictModel):
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


def template(*allowed: str, required: tuple[str, ...] = ()) -> AfterValidator:
    """A validator for a text with ``{placeholders}`` filled in by the code, e.g. ``Session {n}``.

    The text's placeholders must be among ``allowed`` and include ``required``. Use it in an
    ``Annotated`` alias built once, e.g. ``Annotated[Text, template("n", required=("n",))]``.

    Checked when the content loads, so a typo in a placeholder is a content problem with a
    line number, never an error on the patient's page.
    """
    names = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
    needed = frozenset(required)

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
        missing = sorted(needed - {name for name, _, _ in fields})
        if missing:
            raise ValueError(f"this text must contain {', '.join(f'{{{m}}}' for m in missing)}")
        return text

    return AfterValidator(check)


class PatientFile(StrictModel):
    """Keys every patient content file has (its metadata and its citations)."""

    meta: Meta
    sources: Annotated[list[Source], Field(min_length=1)]

    #: Patient content: a clinical reviewer must sign it off before patients see it.
    patient_facing: ClassVar[bool] = True


def unique(values: list[str], what: str) -> None:
    """Raise ValueError naming the first value that appears twice (for model validators)."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice; keep one")
        seen.add(value)
