"""The patient's session tracker (``kind: tracker``): labels, messages and change bands."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from cam_workbench.content.model.common import (
    Body,
    PatientFile,
    Slug,
    SourceRefs,
    StrictModel,
    Text,
    template,
    unique,
)

#: Texts with ``{placeholders}`` (checked when the content loads).
WithN = Annotated[Text, template("n", required=("n",))]
MayHaveN = Annotated[Text, template("n")]
PercentText = Annotated[Text, template("value", required=("value",))]
MaxText = Annotated[Text, template("max", required=("max",))]
ChangeText = Annotated[
    Text, template("session", "points", "percent", required=("points", "percent"))
]
PointsText = Annotated[Text, template("session", "points", required=("points",))]
SessionText = Annotated[Text, template("session")]
ThresholdText = Annotated[Text, template("threshold")]
PointText = Annotated[Text, template("n", "value", required=("n", "value"))]
LineText = Annotated[Text, template("line", required=("line",))]
SessionNText = Annotated[Text, template("n", required=("n",))]


class SourcedBody(StrictModel):
    """Paragraphs with the sources of their facts."""

    body: Body
    sources: SourceRefs


class TrackerLabels(StrictModel):
    """Labels of the session tracker's fields, buttons and download."""

    session: WithN = Field(
        description="Heading of one session, also the start of each field's name: 'Session {n}'"
    )
    before: Text = Field(description="Field: pain before treatment, 0 to 10")
    after: Text = Field(description="Field: pain after treatment (optional)")
    date: Text = Field(description="Field: date of the session")
    note: Text = Field(description="Field: the patient's note")
    add_session: Text = Field(description="Button: add one more session")
    download: Text = Field(description="Link: download the sessions as a CSV file")
    download_filename: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}\.csv$")]
    download_health_record: Text = Field(
        description="Link, once there are scores: the answers and the pain scores as a file "
        "for the doctor's health record system (say what it is for, not its format)"
    )
    point_one: MayHaveN = Field(description="'1 point'")
    points_many: WithN = Field(description="'{n} points'")
    percent: PercentText = Field(description="How a percentage is written: '{value}%'")


class TrackerMessages(StrictModel):
    """What the tracker says about the scores (the change from session 1) and bad values."""

    bad_score: Text = Field(description="Inline message for text, 11, -1: not stored")
    note_too_long: MaxText
    need_first: Text = Field(description="Later sessions have a score but session 1 has none")
    need_two: Text = Field(description="Only session 1 has a score so far")
    lower: ChangeText = Field(description="Pain lower than at session 1: points and percent")
    higher: ChangeText = Field(description="Pain higher than at session 1: points and percent")
    higher_no_percent: PointsText = Field(
        description="Pain higher than a session-1 score of 0 (no percent of 0)"
    )
    same: SessionText = Field(description="Pain the same as at session 1")
    percent_undefined: Text = Field(description="Session 1 was 0: a percent cannot be given")
    smaller_drop: ThresholdText = Field(
        description="Lower, but by less than the smallest band ({threshold})"
    )
    not_lower: Text = Field(description="Pain not lower than at session 1")
    caution: Text = Field(description="Shown with every result: no promise, talk with the team")


class TrackerDevice(StrictModel):
    """What the page says about keeping the sessions in this browser, on this device."""

    restored: Text = Field(description="Sessions kept on this device were put back on the page")
    unreadable: Text = Field(
        description="Sessions kept on this device cannot be read: left as they are, not "
        "overwritten; how to start a new list (Forget my sessions)"
    )
    newer: Text = Field(
        description="Sessions kept by a newer version of the page: left as they are"
    )
    off: Text = Field(description="This browser does not let the page keep anything")
    failed: Text = Field(description="Keeping the sessions on this device failed just now")


class TrackerForget(StrictModel):
    """Forget my sessions: its button, the confirm step, and which button does what."""

    button: Text = Field(description="Button: forget the sessions on this page and device")
    confirm: Text = Field(description="The confirm step: what it removes; it cannot be undone")
    yes: Text = Field(description="Button: yes, forget them")
    no: Text = Field(description="Button: no, keep them")
    done: Text = Field(description="Said once the sessions are forgotten")
    which_is_which: Text = Field(
        description="Start again clears only the safety check; Forget my sessions clears "
        "the sessions"
    )


class TrackerLoad(StrictModel):
    """Loading a saved copy (the downloaded sessions or health-record file) back in."""

    label: Text = Field(description="Label of the file chooser")
    loaded: Text = Field(description="The file's sessions are now on the page")
    confirm: Text = Field(description="The file would take the place of sessions on the page")
    yes: Text = Field(description="Button: yes, use the file")
    no: Text = Field(description="Button: no, keep the sessions on the page")
    unreadable: Text = Field(description="Not a file from this page (or not readable): unchanged")
    bad_line: LineText = Field(
        description="A line of the sessions file has a value that cannot be used: unchanged"
    )
    bad_session: SessionNText = Field(
        description="A session in the health-record file has a value that cannot be used"
    )
    too_big: Text = Field(description="The file is far larger than a copy of sessions can be")
    no_sessions: Text = Field(description="The file holds no sessions: unchanged")


class ChangeBand(StrictModel):
    """A published threshold for a drop in pain from session 1 (e.g. IMMPACT 30%, 50%)."""

    id: Slug
    min_drop_percent: Annotated[float, Field(gt=0, le=100)] = Field(
        description="The band applies to a drop of at least this percent of session 1's score"
    )
    message: ThresholdText = Field(
        description="What a drop this size means; {threshold} is min_drop_percent as a percent"
    )
    sources: SourceRefs


class Milestone(StrictModel):
    """A message once the patient has reached a session (e.g. "about 4 sessions to tell")."""

    after_session: Annotated[int, Field(ge=1, le=50)]
    message: MayHaveN
    sources: SourceRefs


class TrackerChart(StrictModel):
    """Words of the line chart of pain by session (also its text for screen readers)."""

    title: Text
    x_label: Text
    y_label: Text
    before_series: Text = Field(description="Legend: the pain-before line")
    after_series: Text = Field(description="Legend: the pain-after line")
    point: PointText = Field(
        description="One value read out by screen readers: 'session {n}: {value}'"
    )


class TrackerColumns(StrictModel):
    """Column headings of the downloaded CSV file."""

    session: Text
    date: Text
    before: Text
    after: Text
    note: Text


class TrackerFile(PatientFile):
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
    device: TrackerDevice
    forget: TrackerForget
    load: TrackerLoad

    @model_validator(mode="after")
    def _consistent(self) -> TrackerFile:
        if self.initial_sessions > self.max_sessions:
            raise ValueError(
                f"initial_sessions ({self.initial_sessions}) is more than max_sessions "
                f"({self.max_sessions})"
            )
        unique([b.id for b in self.bands], "band")
        unique([f"{b.min_drop_percent:g}" for b in self.bands], "min_drop_percent")
        return self
