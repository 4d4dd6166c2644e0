"""The screening as a FHIR ``Questionnaire`` (``cam-workbench export fhir``).

Pure functions building plain JSON-ready dicts: no FHIR library at run time, no I/O. The
names and URLs are in :mod:`cam_workbench.fhir.constants`.

What the Questionnaire expresses (see the README, "FHIR"):

- ``screening.question`` (group, text = the question) holds an optional ``screening.hint``
  display item, one ``boolean`` item per red flag (linkId = the item id, stable) and the
  ``screening.none`` boolean ("None of these apply to me"). Two constraints on the group
  (the core ``questionnaire-constraint`` extension, FHIRPath, message = the content's
  prompts) say "check at least one box" and "never a flag together with none".
- ``screening.outcome`` is a read-only choice of the outcomes (code = outcome id, display
  = heading, tier as ``ordinalValue`` in R4 / ``itemWeight`` in R5); cam-workbench fills it
  in a response.
- One group per outcome (``screening.outcome.<id>``, text = heading) holds the message
  (one display item per paragraph or bullet list) and, for a gated outcome, the "my doctor
  has cleared me" boolean and the cleared message (shown when it is checked). The group's
  ``enableWhen`` states the rules when FHIR can say them exactly (checked against every
  answer set); otherwise the group is shown when ``screening.outcome`` holds its code, and
  a note says so.

Structural linkIds contain a dot, which item ids never do, so they cannot clash. Texts in
other languages (same ids, e.g. ``content/es/screening.yaml``) travel in the core
``translation`` extension on each text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cam_workbench.content.model import Meta, Outcome, Rule, ScreeningFile, Status
from cam_workbench.content.rules import Answers, all_answer_sets, decide
from cam_workbench.fhir.constants import (
    CANONICAL_BASE,
    CHOICE_TYPE,
    CONSTRAINT_URL,
    CONSTRAINTS,
    FHIR_VERSIONS,
    HINT_LINK,
    NONE_LINK,
    OUTCOME_LINK,
    PUBLISHER,
    QUESTION_LINK,
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


def _constraint_expression(key: str) -> str:
    """Return a constraint's FHIRPath (context: the question group's response item)."""
    checked = "answer.value.where($this = true)"
    if key == "nothing-chosen":
        return f"item.{checked}.exists()"
    return (
        f"item.where(linkId = '{NONE_LINK}').{checked}.exists() implies "
        f"item.where(linkId != '{NONE_LINK}').{checked}.empty()"
    )


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


def _rule_conditions(rules: Sequence[Rule]) -> tuple[list[str], str] | None:
    """Return the rules as ``(linkIds that must be true, 'any'|'all')`` if enableWhen can.

    Only a candidate: :func:`_enable_when` checks it against every answer set.
    """
    atoms: list[tuple[str, list[str]]] = []
    for rule in rules:
        when = rule.when
        any_ids = list(when.any_of) if when.any_of is not None else None
        all_ids = list(when.all_of) if when.all_of is not None else None
        none = when.none_of_these
        kinds = sum(x is not None for x in (any_ids, all_ids, none))
        if none is False:
            return None
        if kinds == 1:
            atoms.append(("any", [NONE_LINK]) if none else ("any", any_ids or all_ids or []))
            if all_ids is not None:
                atoms[-1] = ("all", all_ids)
        elif len(rules) == 1 and none is None and any_ids is not None and len(any_ids) == 1:
            atoms.append(("all", (all_ids or []) + any_ids))
        else:
            return None
    if len(atoms) == 1:
        kind, ids = atoms[0]
        return list(dict.fromkeys(ids)), kind
    if any(kind == "all" and len(ids) > 1 for kind, ids in atoms):
        return None
    return list(dict.fromkeys(i for _, ids in atoms for i in ids)), "any"


def _enabled(link_ids: Sequence[str], behavior: str, answers: Answers) -> bool:
    """Whether boolean enableWhen conditions ``= true`` hold for the answers."""
    none = answers.none_of_these and not answers.flags
    hits = [none if link == NONE_LINK else link in answers.flags for link in link_ids]
    return any(hits) if behavior == "any" else all(hits)


def _enable_when(
    screening: ScreeningFile, outcome: Outcome, system: str
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """EnableWhen of an outcome's group, its behavior, and a note when it is not the rules."""
    rules = [rule for rule in screening.rules if rule.outcome == outcome.id]
    found = _rule_conditions(rules)
    reason = "they combine conditions in a way enableWhen cannot say"
    if found is not None:
        link_ids, behavior = found
        exact = all(
            _enabled(link_ids, behavior, answers)
            == ((d := decide(screening, answers)) is not None and d.outcome.id == outcome.id)
            for answers in all_answer_sets(screening)
        )
        if exact:
            conditions = [
                {"question": link, "operator": "=", "answerBoolean": True} for link in link_ids
            ]
            return conditions, (behavior if len(conditions) > 1 else None), None
        reason = "a more severe outcome wins for some answers, which enableWhen cannot say"
    code = {"system": system, "code": outcome.id}
    note = (
        f"outcome '{outcome.id}': its rules are not in the FHIR form ({reason}); its message "
        f"shows when '{OUTCOME_LINK}' holds code '{outcome.id}', which cam-workbench fills in"
    )
    return [{"question": OUTCOME_LINK, "operator": "=", "answerCoding": code}], None, note


def _display(link_id: str, texts: _Texts, key: TextKey) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": link_id}
    texts.put(item, "text", key)
    item["type"] = "display"
    return item


def _question_group(screening: ScreeningFile, texts: _Texts) -> dict[str, Any]:
    group: dict[str, Any] = {"linkId": QUESTION_LINK}
    constraints = []
    for key, prompt in CONSTRAINTS.items():
        # No translations here: fhir.resources refuses '_valueString' inside an extension.
        human: dict[str, Any] = {"url": "human", "valueString": texts.primary[("prompt", prompt)]}
        constraints.append(
            {
                "url": CONSTRAINT_URL,
                "extension": [
                    {"url": "key", "valueId": key},
                    {"url": "severity", "valueCode": "error"},
                    {"url": "expression", "valueString": _constraint_expression(key)},
                    human,
                ],
            }
        )
    group["extension"] = constraints
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
    item: dict[str, Any] = {"linkId": OUTCOME_LINK}
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


def _outcome_group(
    screening: ScreeningFile, outcome: Outcome, texts: _Texts, system: str
) -> tuple[dict[str, Any], str | None]:
    group: dict[str, Any] = {
        "extension": [{"url": WAY_ON_URL, "valueCode": way_on(outcome).value}],
        "linkId": outcome_link(outcome.id),
    }
    texts.put(group, "text", ("outcome", outcome.id, "heading"))
    group["type"] = "group"
    conditions, behavior, note = _enable_when(screening, outcome, system)
    group["enableWhen"] = conditions
    if behavior:
        group["enableBehavior"] = behavior
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
    return group, note


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
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": meta.id,
        "language": meta.language,
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
    for outcome in screening.outcomes:
        group, note = _outcome_group(screening, outcome, texts, system)
        items.append(group)
        if note:
            notes.append(note)
    resource["item"] = items
    return QuestionnaireExport(resource, tuple(notes))
