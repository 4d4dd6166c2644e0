"""Which model validates each ``kind`` of file, and the JSON Schema generated from them."""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field, TypeAdapter

from cam_workbench.content.model.common import StrictModel
from cam_workbench.content.model.guide import GuideFile, SharedFile
from cam_workbench.content.model.reviewer import JargonFile, PematFile, PersonasFile, SignoffFile
from cam_workbench.content.model.screening import ScreeningFile
from cam_workbench.content.model.tracker import TrackerFile

KIND_MODELS: Final[dict[str, type[StrictModel]]] = {
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
