"""The screening as a FHIR ``Questionnaire`` (``cam-workbench export fhir``).

Pure functions building plain JSON-ready dicts: no FHIR library at run time, no I/O. The
names and URLs are in :mod:`cam_workbench.fhir.constants`.

What the Questionnaire expresses (see the README, "FHIR"):

- The rules travel as SDC FHIRPath (:mod:`cam_workbench.fhir.sdc`): ``variable``
  extensions on the root (one per red flag, one per rule, ``%outcomeCode``), and
  ``meta.profile`` names SDC's Advanced Behavior profile (R4: SDC is an R4 guide).
- ``screening.question`` (group, text = the question) holds an optional ``screening.hint``
  display item, one ``boolean`` item per red flag (linkId = the item id, stable) and the
  ``screening.none`` boolean ("None of these apply to me"). Two ``targetConstraint``
  extensions on the group (FHIRPath, message = the content's prompts) say "check at least
  one box" and "never a flag together with none".
- ``screening.outcome`` is a read-only choice of the outcomes (code = outcome id, display
  = heading, tier as ``ordinalValue`` in R4 / ``itemWeight`` in R5) whose
  ``calculatedExpression`` picks the decided outcome, as ``decide()`` does.
- One group per outcome (``screening.outcome.<id>``, text = heading) holds the message
  (one display item per paragraph or bullet list) and, for a gated outcome, the "my doctor
  has cleared me" boolean and the cleared message (shown when it is checked). The group's
  ``enableWhenExpression`` shows it when it is the decided outcome; it has no plain
  ``enableWhen`` (SDC forbids both on one item; README, "FHIR", says why we chose this).

Structural linkIds contain a dot, which item ids never do, so they cannot clash. Texts in
other languages (same ids, e.g. ``content/es/screening.yaml``) travel in the core
``translation`` extension on each text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from cam_workbench.content.model import Meta, Outcome, ScreeningFile, Status
from cam_workbench.fhir import sdc
from cam_workbench.fhir.constants import (
    CANONICAL_BASE,
    CHOICE_TYPE,
    CONSTRAINTS,
    FHIR_VERSIONS,
    HINT_LINK,
    NONE_LINK,
    OUTCOME_LINK,
    PUBLISHER,
    QUESTION_LINK,
    SDC_BEHAVE_PROFILE,
    TRANSLATION_URL,
    WAY_ON_URL,
    WEIGHT_URL,
    FhirVersion,
    cleared_link,
    if_worse_link,
    message_link,
    outcome_link,
    outcome_system,
    questionnaire_url,
)
from cam_workbench.logic.screening import way_on
from cam_workbench.render.text import TextKey, screening_texts

#: Our review status → FHIR PublicationStatus.
STATUS_TO_FHIR: Final[dict[Status, str]] = {
    Status.draft: "draft",
    Status.approved: "active",
    Status.retired: "retired",
}


def computable_name(meta_id: str) -> str:
    """Make a computable name from a file id: ``back-pain-screening`` → ``BackPainScreening``."""
    name = "".join(part[:1].upper() + part[1:] for part in meta_id.split("-"))
    return name if name[:1].isalpha() else f"Q{name}"


@dataclass(frozen=True)
class ReviewDates:
    """Approval and last review dates; from the sign-off data when there is any."""

    approval_date: dt.date | None = None
    last_review_date: dt.date | None = None

    @classmethod
    def from_meta(cls, meta: Meta) -> ReviewDates:
        """Without sign-off data: no approval date, last review from ``meta.last_reviewed``."""
        return cls(approval_date=None, last_review_date=meta.last_reviewed)


@dataclass(frozen=True)
class QuestionnaireExport:
    """An exported Questionnaire and the notes on what FHIR could not express."""

    resource: dict[str, Any]
    notes: tuple[str, ...] = ()


@dataclass
class _Texts:
    """Primary texts by key, and the translations to attach to each."""

    primary: dict[TextKey, str]
    others: list[tuple[str, dict[TextKey, str]]] = field(default_factory=list)

    def put(self, element: dict[str, Any], name: str, key: TextKey) -> None:
        """Set ``element[name]`` to the primary text and attach its translations."""
        element[name] = self.primary[key]
        extensions = [
            {
                "url": TRANSLATION_URL,
                "extension": [
                    {"url": "lang", "valueCode": lang},
                    {"url": "content", "valueString": texts[key]},
                ],
            }
            for lang, texts in self.others
            if key in texts and texts[key] != self.primary[key]
        ]
        if extensions:
            element[f"_{name}"] = {"extension": extensions}


def _align(
    primary: ScreeningFile, translations: Iterable[ScreeningFile]
) -> tuple[list[tuple[str, dict[TextKey, str]]], list[str]]:
    """Line up each translation's texts with the primary ones; note what does not fit."""
    base = screening_texts(primary)
    lang0 = primary.meta.language
    aligned: list[tuple[str, dict[TextKey, str]]] = []
    notes: list[str] = []
    for other in translations:
        lang = other.meta.language
        if lang == lang0:
            raise ValueError(f"a translation must be in another language than {lang0!r}")
        if other.meta.id != primary.meta.id:
            notes.append(f"{lang}: file id '{other.meta.id}' differs from '{primary.meta.id}'")
        if other.meta.version != primary.meta.version:
            notes.append(
                f"{lang}: version {other.meta.version} differs from {lang0} version "
                f"{primary.meta.version}; the translation may be out of date"
            )
        texts = screening_texts(other)
        for outcome in primary.outcomes:
            twin = next((o for o in other.outcomes if o.id == outcome.id), None)
            if twin is None:
                continue
            for part in ("message", "cleared_message"):
                if len(getattr(outcome, part) or ()) != len(getattr(twin, part) or ()):
                    notes.append(
                        f"{lang}: outcome '{outcome.id}' {part} has a different number of "
                        f"paragraphs than {lang0}; its {lang} {part} is left out"
                    )
                    texts = {
                        k: v for k, v in texts.items() if k[:3] != ("outcome", outcome.id, part)
                    }
        extra = sorted(".".join(k) for k in texts.keys() - base.keys())
        missing = sorted(".".join(k) for k in base.keys() - texts.keys())
        if extra:
            notes.append(f"{lang}: texts with no {lang0} counterpart left out: {', '.join(extra)}")
        if missing:
            notes.append(f"{lang}: no translation for: {', '.join(missing)}")
        aligned.append((lang, texts))
    return aligned, notes


def _display(link_id: str, texts: _Texts, key: TextKey) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": link_id}
    texts.put(item, "text", key)
    item["type"] = "display"
    return item


def _question_group(screening: ScreeningFile, texts: _Texts) -> dict[str, Any]:
    prompts = {prompt: texts.primary[("prompt", prompt)] for prompt in CONSTRAINTS.values()}
    group: dict[str, Any] = {
        "extension": sdc.target_constraints(prompts),
        "linkId": QUESTION_LINK,
    }
    texts.put(group, "text", ("question",))
    group["type"] = "group"
    children: list[dict[str, Any]] = []
    if screening.hint is not None:
        children.append(_display(HINT_LINK, texts, ("hint",)))
    for item in screening.items:
        entry: dict[str, Any] = {"linkId": item.id}
        texts.put(entry, "text", ("item", item.id))
        entry["type"] = "boolean"
        children.append(entry)
    none: dict[str, Any] = {"linkId": NONE_LINK}
    texts.put(none, "text", ("none",))
    none["type"] = "boolean"
    children.append(none)
    group["item"] = children
    return group


def _outcome_item(
    screening: ScreeningFile, texts: _Texts, version: FhirVersion, system: str
) -> dict[str, Any]:
    item: dict[str, Any] = {"extension": [sdc.calculated_extension()], "linkId": OUTCOME_LINK}
    if screening.result_label is not None:
        texts.put(item, "text", ("result_label",))
    item["type"] = CHOICE_TYPE[version]
    item["readOnly"] = True
    if version == "R5":
        item["answerConstraint"] = "optionsOnly"
    options = []
    for outcome in screening.outcomes:
        coding: dict[str, Any] = {"system": system, "code": outcome.id}
        texts.put(coding, "display", ("outcome", outcome.id, "heading"))
        options.append(
            {
                "extension": [{"url": WEIGHT_URL[version], "valueDecimal": outcome.tier}],
                "valueCoding": coding,
            }
        )
    item["answerOption"] = options
    return item


def _outcome_group(outcome: Outcome, texts: _Texts) -> dict[str, Any]:
    group: dict[str, Any] = {
        "extension": [
            sdc.enable_when_extension(outcome.id),
            {"url": WAY_ON_URL, "valueCode": way_on(outcome).value},
        ],
        "linkId": outcome_link(outcome.id),
    }
    texts.put(group, "text", ("outcome", outcome.id, "heading"))
    group["type"] = "group"
    children = [
        _display(
            message_link(outcome.id, "message", n),
            texts,
            ("outcome", outcome.id, "message", str(n)),
        )
        for n in range(1, len(outcome.message) + 1)
    ]
    children.append(_display(if_worse_link(outcome.id), texts, ("outcome", outcome.id, "if_worse")))
    if outcome.gate and outcome.cleared_label is not None:
        cleared: dict[str, Any] = {"linkId": cleared_link(outcome.id)}
        texts.put(cleared, "text", ("outcome", outcome.id, "cleared_label"))
        cleared["type"] = "boolean"
        children.append(cleared)
        for n in range(1, len(outcome.cleared_message or ()) + 1):
            shown = _display(
                message_link(outcome.id, "cleared_message", n),
                texts,
                ("outcome", outcome.id, "cleared_message", str(n)),
            )
            shown["enableWhen"] = [
                {"question": cleared_link(outcome.id), "operator": "=", "answerBoolean": True}
            ]
            children.append(shown)
    group["item"] = children
    return group


def _same_headings(screening: ScreeningFile) -> list[str]:
    """A note for each outcome whose heading another outcome has already."""
    first: dict[str, str] = {}
    notes = []
    for outcome in screening.outcomes:
        if outcome.heading in first:
            notes.append(
                f"outcomes '{first[outcome.heading]}' and '{outcome.id}' have the same heading: "
                "a form filler that tells answer options apart by their text (LHC-Forms does) "
                f"records '{first[outcome.heading]}' as the result for both"
            )
        first.setdefault(outcome.heading, outcome.id)
    return notes


def questionnaire(
    screening: ScreeningFile,
    *,
    date: dt.date,
    translations: Iterable[ScreeningFile] = (),
    fhir_version: FhirVersion = "R4",
    review: ReviewDates | None = None,
    base_url: str = CANONICAL_BASE,
    publisher: str = PUBLISHER,
) -> QuestionnaireExport:
    """Build the screening as a FHIR Questionnaire (see the module doc for the shape).

    Args:
        screening: the screening in the primary language.
        date: the Questionnaire's ``date`` (when this version was published).
        translations: the same screening in other languages (same ids).
        fhir_version: ``"R4"`` or ``"R5"``.
        review: approval / last review dates (sign-off data); default from ``meta``.
        base_url: canonical base of the url and the outcome code system.
        publisher: the publisher's name.

    Returns:
        The resource as a JSON-ready dict and notes on what FHIR could not express.

    """
    if fhir_version not in FHIR_VERSIONS:
        raise ValueError(f"FHIR version must be one of {', '.join(FHIR_VERSIONS)}")
    meta = screening.meta
    review = review or ReviewDates.from_meta(meta)
    aligned, notes = _align(screening, translations)
    texts = _Texts(screening_texts(screening), aligned)
    system = outcome_system(meta.id, base_url)
    resource: dict[str, Any] = {"resourceType": "Questionnaire", "id": meta.id}
    if fhir_version == "R4":
        resource["meta"] = {"profile": [SDC_BEHAVE_PROFILE]}
    item_ids = [item.id for item in screening.items]
    tiers = {outcome.id: outcome.tier for outcome in screening.outcomes}
    resource |= {
        "language": meta.language,
        "extension": sdc.variable_extensions(item_ids, screening.rules, tiers),
        "url": questionnaire_url(meta.id, base_url),
        "version": meta.version,
    }
    if fhir_version == "R5":
        resource["versionAlgorithmCoding"] = {
            "system": "http://hl7.org/fhir/version-algorithm",
            "code": "semver",
        }
    resource["name"] = computable_name(meta.id)
    texts.put(resource, "title", ("title",))
    resource["status"] = STATUS_TO_FHIR[meta.status]
    resource["subjectType"] = ["Patient"]
    resource["date"] = date.isoformat()
    resource["publisher"] = publisher
    if review.approval_date is not None:
        resource["approvalDate"] = review.approval_date.isoformat()
    if review.last_review_date is not None:
        resource["lastReviewDate"] = review.last_review_date.isoformat()
    items = [
        _question_group(screening, texts),
        _outcome_item(screening, texts, fhir_version, system),
    ]
    items += [_outcome_group(outcome, texts) for outcome in screening.outcomes]
    resource["item"] = items
    notes += _same_headings(screening)
    names = sdc.variable_names(item_ids, [rule.id for rule in screening.rules])
    for kind in names.numbered:
        prefix = sdc.ITEM_PREFIX if kind == "item" else sdc.RULE_PREFIX
        after = ", and an import names the rules by number" if kind == "rule" else ""
        notes.append(
            f"the {kind} ids do not each give a FHIRPath variable name of their own (ids that "
            "differ only in '_' or '-', or in a separator before a digit, or an id over 60 "
            f"characters): the {kind} variables are numbered ({prefix}1, {prefix}2, ...){after}"
        )
    return QuestionnaireExport(resource, tuple(notes))
