"""Typed content model: what every content file holds, validated by pydantic.

Each file has a ``kind`` that picks its model (:data:`KIND_MODELS`). New kinds are added as
new entries without changing existing files; the JSON Schema in ``content/schema/`` is
generated from these classes (:func:`content_json_schema`). One module per family:

- :mod:`~cam_workbench.content.model.common`: base model, ``meta``, sources, text blocks.
- :mod:`~cam_workbench.content.model.screening`: the red-flag screening.
- :mod:`~cam_workbench.content.model.guide`: the patient guide and the shared page texts.
- :mod:`~cam_workbench.content.model.tracker`: the session tracker.
- :mod:`~cam_workbench.content.model.reviewer`: jargon list, sign-off record, PEMAT-P,
  workshop personas (never shown to patients).
- :mod:`~cam_workbench.content.model.registry`: ``kind`` → model, and the JSON Schema.
"""

from cam_workbench.content.model.common import (
    Block,
    Body,
    BulletList,
    Language,
    ListStyle,
    Meta,
    PatientFile,
    Source,
    Status,
    StrictModel,
    TranslationOf,
)
from cam_workbench.content.model.guide import (
    ClearanceTexts,
    GuideFile,
    Notice,
    ReviewDateTexts,
    Section,
    SharedFile,
    SummaryTexts,
    UiTexts,
)
from cam_workbench.content.model.registry import KIND_MODELS, ContentFile, content_json_schema
from cam_workbench.content.model.reviewer import (
    PEMAT_P_ITEMS,
    Approval,
    ApprovedSection,
    JargonFile,
    JargonTerm,
    PematFile,
    PematItem,
    PematRating,
    Persona,
    PersonaAnswers,
    PersonaSession,
    PersonasFile,
    SignoffFile,
    Submission,
    WorkshopLabels,
    WorkshopRuleChange,
)
from cam_workbench.content.model.screening import (
    Condition,
    Item,
    NoneOption,
    Outcome,
    Prompts,
    Rule,
    ScreeningFile,
)
from cam_workbench.content.model.tracker import (
    ChangeBand,
    Milestone,
    SourcedBody,
    TrackerChart,
    TrackerColumns,
    TrackerDevice,
    TrackerFile,
    TrackerForget,
    TrackerLabels,
    TrackerLoad,
    TrackerMessages,
)

__all__ = [
    "KIND_MODELS",
    "PEMAT_P_ITEMS",
    "Approval",
    "ApprovedSection",
    "Block",
    "Body",
    "BulletList",
    "ChangeBand",
    "ClearanceTexts",
    "Condition",
    "ContentFile",
    "GuideFile",
    "Item",
    "JargonFile",
    "JargonTerm",
    "Language",
    "ListStyle",
    "Meta",
    "Milestone",
    "NoneOption",
    "Notice",
    "Outcome",
    "PatientFile",
    "PematFile",
    "PematItem",
    "PematRating",
    "Persona",
    "PersonaAnswers",
    "PersonaSession",
    "PersonasFile",
    "Prompts",
    "ReviewDateTexts",
    "Rule",
    "ScreeningFile",
    "Section",
    "SharedFile",
    "SignoffFile",
    "Source",
    "SourcedBody",
    "Status",
    "StrictModel",
    "Submission",
    "SummaryTexts",
    "TrackerChart",
    "TrackerColumns",
    "TrackerDevice",
    "TrackerForget",
    "TrackerLoad",
    "TrackerFile",
    "TrackerLabels",
    "TrackerMessages",
    "TranslationOf",
    "UiTexts",
    "WorkshopLabels",
    "WorkshopRuleChange",
    "content_json_schema",
]
