"""The red-flag screening (``kind: screening``): items, outcomes and the rules between them."""

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
)


class Item(StrictModel):
    """One red flag the patient can check."""

    id: Slug
    text: Text
    sources: SourceRefs


class NoneOption(StrictModel):
    """The explicit "none of these apply to me" answer."""

    text: Text


class Outcome(StrictModel):
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


class Condition(StrictModel):
    """When a rule fires. Exactly one kind of condition is expected."""

    any_of: list[Slug] | None = Field(default=None, description="Fires if any is checked")
    all_of: list[Slug] | None = Field(default=None, description="Fires if all are checked")
    none_of_these: bool | None = Field(default=None, description="Fires on 'None of these'")


class Rule(StrictModel):
    """A condition on the answers and the outcome it leads to."""

    id: Slug
    when: Condition
    outcome: Slug


class Prompts(StrictModel):
    """Messages for incomplete or contradictory answers."""

    nothing_chosen: Text
    contradiction: Text


class ScreeningFile(PatientFile):
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
