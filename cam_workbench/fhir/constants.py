"""FHIR constants and names, one source of truth for the export, the response and the import.

URLs of the extensions we read and write, the linkIds of the screening's structure (they
contain a dot, which item ids never have, so nothing can clash), the canonical URLs of our
resources, the language codes we accept (those of the content model), and the one reader of
the core ``translation`` extension.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.model.common import LANGUAGE_PATTERN

FhirVersion = Literal["R4", "R5"]
FHIR_VERSIONS: Final[tuple[FhirVersion, ...]] = ("R4", "R5")

#: Canonical base of our resources. example.org is reserved for examples (RFC 2606): change
#: it when a real publisher owns the questionnaire.
CANONICAL_BASE: Final = "https://example.org/fhir"
#: A neutral publisher name (no real organisation).
PUBLISHER: Final = "CAM workbench"

TRANSLATION_URL: Final = "http://hl7.org/fhir/StructureDefinition/translation"
#: The deprecated constraint extension (``expression`` a string) that exports before the SDC
#: rules used for the two checks: the import still reads its messages.
OLD_CONSTRAINT_URL: Final = "http://hl7.org/fhir/StructureDefinition/questionnaire-constraint"

# The rules as SDC (Structured Data Capture, the HL7 guide for form behaviour; FHIR R4)
# FHIRPath expressions, so any SDC form filler reaches the outcome: see fhir/sdc.py.
#: A named FHIRPath value (core extension), on the Questionnaire root.
VARIABLE_URL: Final = "http://hl7.org/fhir/StructureDefinition/variable"
#: The value of a read-only item, computed from the answers (SDC).
CALCULATED_URL: Final = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
)
#: When an item is shown, as a FHIRPath boolean (SDC); never beside ``enableWhen``.
ENABLE_WHEN_EXPRESSION_URL: Final = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
#: A check of the answers with a message (core extension; replaces questionnaire-constraint).
TARGET_CONSTRAINT_URL: Final = "http://hl7.org/fhir/StructureDefinition/targetConstraint"
#: SDC's "Advanced Behavior Questionnaire" profile, which has all four of the above.
SDC_BEHAVE_PROFILE: Final = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-behave"
)
#: ``Expression.language`` of a FHIRPath expression.
FHIRPATH: Final = "text/fhirpath"
#: Our extension on an outcome group: where the patient may go from it (FHIR has no such
#: element): ``guide`` (straight on), ``clearance`` (once they say their doctor cleared
#: them) or ``stop`` (no way on, e.g. urgent care first).
WAY_ON_URL: Final = f"{CANONICAL_BASE}/StructureDefinition/outcome-way-on"
#: The extension that carries an outcome's tier on its answer option, per FHIR version.
WEIGHT_URL: Final[dict[str, str]] = {
    "R4": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "R5": "http://hl7.org/fhir/StructureDefinition/itemWeight",
}
#: The item type of a coded choice, per FHIR version.
CHOICE_TYPE: Final[dict[str, str]] = {"R4": "choice", "R5": "coding"}

#: The pain score of the session tracker: LOINC 72514-3, the 0-10 numeric rating scale.
PAIN_SEVERITY: Final = {
    "system": "http://loinc.org",
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
#: Observation category of a score the patient reports themselves.
SURVEY_CATEGORY: Final = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "survey",
    "display": "Survey",
}
#: Our extensions on a tracker Observation (FHIR has no element for either): the session's
#: number (``valuePositiveInt``), and whether the score is from before or after treatment
#: (``valueCode``: one of :data:`TIMING_CODES`).
TRACKER_SESSION_URL: Final = f"{CANONICAL_BASE}/StructureDefinition/tracker-session"
TRACKER_TIMING_URL: Final = f"{CANONICAL_BASE}/StructureDefinition/tracker-timing"
TIMING_CODES: Final = {"before": "before-treatment", "after": "after-treatment"}

QUESTION_LINK: Final = "screening.question"
HINT_LINK: Final = "screening.hint"
NONE_LINK: Final = "screening.none"
OUTCOME_LINK: Final = "screening.outcome"

#: Marks the answer option that means "none of these" in a multiple-choice item (import).
EXCLUSIVE_URL: Final = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"

#: Constraint keys on the question group → the prompt each one shows.
CONSTRAINTS: Final[dict[str, str]] = {
    "nothing-chosen": "nothing_chosen",
    "contradiction": "contradiction",
}


#: A language code we use, as the content model allows (``en``, ``es``, ``pt-BR``): the
#: export writes only these, and the import keeps only these.
LANGUAGE: Final = re.compile(LANGUAGE_PATTERN)


def outcome_link(outcome_id: str) -> str:
    """LinkId of an outcome's group."""
    return f"{OUTCOME_LINK}.{outcome_id}"


def message_link(outcome_id: str, part: str, number: int) -> str:
    """LinkId of one block of an outcome's ``message`` or ``cleared_message``."""
    return f"{outcome_link(outcome_id)}.{part}.{number}"


def if_worse_link(outcome_id: str) -> str:
    """LinkId of an outcome's "if your signs get worse" advice."""
    return f"{outcome_link(outcome_id)}.if_worse"


def cleared_link(outcome_id: str) -> str:
    """LinkId of a gated outcome's "my doctor has cleared me" boolean."""
    return f"{outcome_link(outcome_id)}.cleared"


def questionnaire_url(file_id: str, base_url: str = CANONICAL_BASE) -> str:
    """Return the canonical URL of the Questionnaire of the screening with this ``meta.id``."""
    return f"{base_url}/Questionnaire/{file_id}"


def outcome_system(file_id: str, base_url: str = CANONICAL_BASE) -> str:
    """Return the code system of the outcomes of the screening with this ``meta.id``."""
    return f"{base_url}/CodeSystem/{file_id}-outcome"


def canonical(screening: ScreeningFile, base_url: str = CANONICAL_BASE) -> str:
    """``url|version``: how a response names the exact questionnaire it answers."""
    return f"{questionnaire_url(screening.meta.id, base_url)}|{screening.meta.version}"


@dataclass(frozen=True)
class Translation:
    """One core ``translation`` extension on a text: its language and its content, as found."""

    language: Any
    content: Any
    parts: frozenset[str]

    @property
    def language_ok(self) -> bool:
        """Whether the language is a code we use (:data:`LANGUAGE`)."""
        return isinstance(self.language, str) and LANGUAGE.match(self.language) is not None

    @property
    def content_ok(self) -> bool:
        """Whether there is a text (not empty, not only spaces)."""
        return isinstance(self.content, str) and bool(self.content.strip())


def translations(element: Mapping[str, Any], name: str) -> Iterator[Translation]:
    """Every ``translation`` extension on ``element[name]`` (FHIR keeps them in ``_<name>``)."""
    holder = element.get(f"_{name}")
    extensions = holder.get("extension") if isinstance(holder, Mapping) else None
    for ext in extensions if isinstance(extensions, list) else ():
        if not isinstance(ext, Mapping) or ext.get("url") != TRANSLATION_URL:
            continue
        inner = ext.get("extension")
        entries = inner if isinstance(inner, list) else []
        parts = {e.get("url"): e for e in entries if isinstance(e, Mapping)}
        yield Translation(
            language=(parts.get("lang") or {}).get("valueCode"),
            content=(parts.get("content") or {}).get("valueString"),
            parts=frozenset(str(k) for k in parts),
        )
