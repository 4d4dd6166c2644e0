"""A FHIR ``Questionnaire`` of yes/no or choice items → screening content (plain YAML data).

Reads our own export exactly (question group, "none of these", outcomes, the rules from
their SDC FHIRPath variables (:mod:`cam_workbench.fhir.rules_read`), tiers, prompts and
translations), so export → import → export is stable, and reads questionnaires from other
tools as far as our model allows:

- ``boolean`` items, and single-choice items whose options are yes/no, become red-flag items;
- a multiple-choice item (``repeats``) becomes one red-flag item per option; an option
  marked exclusive (``questionnaire-optionExclusive``) or coded ``none`` becomes
  "None of these";
- the first group's (or choice item's) text becomes the question, a display item before
  the first question becomes the hint.

Everything else (other item types, conditions on questions, unknown keys and extensions,
missing texts) is listed in :attr:`ImportResult.notes`; gaps are filled with a visible
placeholder (``TODO: ...``) so a reviewer sees what to write: ``validate`` reports each one
as an error until it is written, so a placeholder can never reach patients.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from cam_workbench.content.model import BulletList
from cam_workbench.fhir.constants import (
    CHOICE_TYPE,
    CONSTRAINTS,
    EXCLUSIVE_URL,
    HINT_LINK,
    LANGUAGE,
    NONE_LINK,
    OLD_CONSTRAINT_URL,
    OUTCOME_LINK,
    QUESTION_LINK,
    TARGET_CONSTRAINT_URL,
    VARIABLE_URL,
    WAY_ON_URL,
    WEIGHT_URL,
    questionnaire_url,
    translations,
)
from cam_workbench.fhir.rules_read import read_sdc_rules, rules_from_enable_when
from cam_workbench.render.text import TextKey, text_block

PLACEHOLDER: Final = "TODO: write this text"
OWNER_PLACEHOLDER: Final = "TODO: the role that owns this content"
SOURCE_ID: Final = "imported-fhir"
SCHEMA_LINE: Final = "# yaml-language-server: $schema=../schema/content.schema.json\n"
FROM_FHIR_STATUS: Final = {"draft": "draft", "active": "approved", "retired": "retired"}
YES_NO: Final = ({"yes", "no"}, {"y", "n"}, {"true", "false"})

_TOP_KEYS: Final = frozenset(
    [
        "resourceType",
        "id",
        "meta",
        "language",
        "url",
        "version",
        "versionAlgorithmCoding",
        "versionAlgorithmString",
        "name",
        "title",
        "_title",
        "status",
        "subjectType",
        "date",
        "publisher",
        "approvalDate",
        "lastReviewDate",
        "item",
        "text",
        "extension",
    ]
)
_ITEM_KEYS: Final = frozenset(
    [
        "linkId",
        "text",
        "_text",
        "type",
        "item",
        "enableWhen",
        "enableBehavior",
        "answerOption",
        "readOnly",
        "extension",
        "answerConstraint",
        "repeats",
    ]
)
_KNOWN_EXTENSIONS: Final = frozenset(
    {OLD_CONSTRAINT_URL, TARGET_CONSTRAINT_URL, *WEIGHT_URL.values(), EXCLUSIVE_URL}
)
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


class ImportProblem(ValueError):
    """The file is not a Questionnaire, or has nothing a screening can hold."""


@dataclass(frozen=True)
class ImportResult:
    """The screening content per language (plain data for YAML) and what was not kept."""

    language: str
    files: dict[str, dict[str, Any]]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Ref:
    """A text to fill in per language."""

    key: TextKey


@dataclass
class _Reader:
    """Collects texts (with their translations) and notes while walking the items."""

    primary: dict[TextKey, str] = field(default_factory=dict)
    translated: dict[str, dict[TextKey, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def text(self, element: dict[str, Any], name: str, key: TextKey) -> _Ref | None:
        """Read ``element[name]`` and its translations under ``key``."""
        value = element.get(name)
        if not isinstance(value, str) or not value.strip():
            return None
        self.primary[key] = value
        for found in translations(element, name):
            if not found.language_ok:
                language = found.language
                self.notes.append(
                    f"translation language {language!r} is not a language code we use"
                )
            elif found.content_ok:
                self.translated.setdefault(found.language, {})[key] = found.content
        return _Ref(key)

    def placeholder(self, key: TextKey, what: str) -> _Ref:
        """Fill a text the questionnaire does not have, and say so."""
        self.primary[key] = PLACEHOLDER
        self.notes.append(f"{what}: not in the questionnaire; wrote '{PLACEHOLDER}'")
        return _Ref(key)


def slug(text: str, sep: str = "_") -> str:
    """Make a content id from a FHIR code or linkId: lowercase letters, digits and ``sep``."""
    out = re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)
    return out[:64].strip(sep)


@dataclass
class _Draft:
    question: _Ref | None = None
    hint: _Ref | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    none: _Ref | None = None
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    prompts: dict[str, _Ref] = field(default_factory=dict)
    result_label: _Ref | None = None
    ours: bool = False


def _unknown(
    element: dict[str, Any],
    known: Iterable[str],
    where: str,
    reader: _Reader,
    extensions: frozenset[str] = _KNOWN_EXTENSIONS,
) -> None:
    extra = sorted(k for k in element if k not in known and not k.startswith("_"))
    if extra:
        reader.notes.append(f"{where}: not kept: {', '.join(extra)}")
    for ext in element.get("extension") or []:
        if ext.get("url") not in extensions:
            reader.notes.append(f"{where}: extension {ext.get('url')} not kept")


def _is_choice(kind: Any) -> bool:
    return kind in ("choice", "open-choice", *CHOICE_TYPE.values())


def _option_label(option: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
    """(code, element holding the text, name of the text field) of an answer option."""
    if isinstance(option.get("valueCoding"), dict):
        coding = option["valueCoding"]
        code = str(coding.get("code") or coding.get("display") or "")
        return code, coding, ("display" if coding.get("display") else "code")
    if isinstance(option.get("valueString"), str):
        return option["valueString"], option, "valueString"
    return None


def _add_item(
    draft: _Draft, reader: _Reader, link: str, element: dict[str, Any], name: str
) -> None:
    item_id = slug(link) or f"item_{len(draft.items) + 1}"
    taken = {i["id"] for i in draft.items}
    base, n = item_id, 2
    while item_id in taken:
        item_id, n = f"{base}_{n}", n + 1
    if item_id != link:
        reader.notes.append(f"item '{link}': id written as '{item_id}'")
    text = reader.text(element, name, ("item", item_id)) or reader.placeholder(
        ("item", item_id), f"item '{item_id}' text"
    )
    draft.items.append({"id": item_id, "text": text, "sources": [SOURCE_ID]})


def _visit(item: dict[str, Any], draft: _Draft, reader: _Reader) -> None:
    link = str(item.get("linkId", "?"))
    kind = item.get("type")
    where = f"item '{link}'"
    if link in (QUESTION_LINK, OUTCOME_LINK) or link.startswith(f"{OUTCOME_LINK}."):
        draft.ours = True
        _visit_ours(item, draft, reader)
        return
    if link == HINT_LINK:
        draft.hint = reader.text(item, "text", ("hint",))
        return
    if link == NONE_LINK:
        draft.none = reader.text(item, "text", ("none",))
        return
    _unknown(item, _ITEM_KEYS - {"readOnly", "answerConstraint"}, where, reader)
    if item.get("enableWhen"):
        reader.notes.append(f"{where}: shown only under a condition; screening items always show")
    if kind == "group":
        if draft.question is None and item.get("text"):
            draft.question = reader.text(item, "text", ("question",))
        elif item.get("text"):
            reader.notes.append(f"{where}: group text not kept: {item['text']!r}")
        for child in item.get("item") or []:
            _visit(child, draft, reader)
    elif kind == "display":
        if draft.hint is None and not draft.items:
            draft.hint = reader.text(item, "text", ("hint",))
        else:
            reader.notes.append(f"{where}: display text not kept: {item.get('text')!r}")
    elif kind == "boolean":
        _add_item(draft, reader, link, item, "text")
    elif _is_choice(kind):
        _visit_choice(item, draft, reader)
    else:
        reader.notes.append(f"{where}: type '{kind}' cannot be a screening item; not imported")


def _visit_choice(item: dict[str, Any], draft: _Draft, reader: _Reader) -> None:
    link = str(item.get("linkId", "?"))
    options = [(o, _option_label(o)) for o in item.get("answerOption") or []]
    labels = [label for _, label in options if label is not None]
    if not labels:
        reader.notes.append(f"item '{link}': choice without inline options; not imported")
        return
    codes = {code.lower() for code, _, _ in labels}
    if not item.get("repeats") and codes in YES_NO:
        _add_item(draft, reader, link, item, "text")
        return
    if not item.get("repeats"):
        reader.notes.append(
            f"item '{link}': a single choice among {len(labels)} options cannot be a screening "
            "item (only yes/no); not imported"
        )
        return
    if draft.question is None and item.get("text"):
        draft.question = reader.text(item, "text", ("question",))
    for option, label in options:
        if label is None:
            reader.notes.append(f"item '{link}': an option without a code or text; not imported")
            continue
        code, element, name = label
        exclusive = any(
            e.get("url") == EXCLUSIVE_URL and e.get("valueBoolean") is True
            for e in option.get("extension") or []
        )
        if exclusive or code.lower() == "none":
            draft.none = reader.text(element, name, ("none",))
        else:
            _add_item(draft, reader, code, element, name)


def _visit_ours(item: dict[str, Any], draft: _Draft, reader: _Reader) -> None:
    link = str(item["linkId"])
    if link == QUESTION_LINK:
        draft.question = reader.text(item, "text", ("question",))
        for ext in item.get("extension") or []:
            if ext.get("url") not in (TARGET_CONSTRAINT_URL, OLD_CONSTRAINT_URL):
                continue
            parts = {e.get("url"): e for e in ext.get("extension", [])}
            prompt = CONSTRAINTS.get(str(parts.get("key", {}).get("valueId")))
            if prompt and "human" in parts:
                ref = reader.text(parts["human"], "valueString", ("prompt", prompt))
                if ref is not None:
                    draft.prompts[prompt] = ref
        for child in item.get("item") or []:
            _visit(child, draft, reader)
        return
    if link == OUTCOME_LINK:
        draft.result_label = reader.text(item, "text", ("result_label",))
        for number, option in enumerate(item.get("answerOption") or []):
            coding = option.get("valueCoding") or {}
            outcome_id = str(coding.get("code", ""))
            weights = [
                e.get("valueDecimal")
                for e in option.get("extension") or []
                if e.get("url") in WEIGHT_URL.values()
            ]
            outcome = draft.outcomes.setdefault(outcome_id, {"id": outcome_id})
            outcome["tier"] = int(weights[0]) if weights else -number
            if not weights:
                reader.notes.append(f"outcome '{outcome_id}': no tier; guessed from its order")
            heading = reader.text(coding, "display", ("outcome", outcome_id, "heading"))
            if heading is not None:
                outcome["heading"] = heading
        return
    outcome_id = link.removeprefix(f"{OUTCOME_LINK}.")
    outcome = draft.outcomes.setdefault(outcome_id, {"id": outcome_id})
    heading = reader.text(item, "text", ("outcome", outcome_id, "heading"))
    if heading is not None:
        outcome["heading"] = heading
    for ext in item.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == WAY_ON_URL:
            outcome["way_on"] = ext.get("valueCode")
    for child in item.get("item") or []:
        child_link = str(child.get("linkId", ""))
        rest = child_link.removeprefix(f"{link}.").split(".")
        if rest[0] in ("message", "cleared_message") and len(rest) == 2:
            key = ("outcome", outcome_id, rest[0], rest[1])
            ref = reader.text(child, "text", key)
            if ref is not None:
                outcome.setdefault(rest[0], []).append(ref)
        elif rest == ["if_worse"]:
            outcome["if_worse"] = reader.text(child, "text", ("outcome", outcome_id, "if_worse"))
        elif rest == ["cleared"]:
            outcome["cleared_label"] = reader.text(
                child, "text", ("outcome", outcome_id, "cleared_label")
            )
        else:
            reader.notes.append(f"item '{child_link}': not kept")
    draft.rules += rules_from_enable_when(
        outcome_id, item, {i["id"] for i in draft.items}, reader.notes
    )


def _outcomes(draft: _Draft, reader: _Reader) -> list[dict[str, Any]]:
    if not draft.outcomes:
        reader.notes.append(
            "the questionnaire has no outcomes: added 'see_doctor' (any item checked) and "
            "'proceed' (none of these) with placeholder texts; review the rules and texts"
        )
        ids = [i["id"] for i in draft.items]
        draft.outcomes = {"see_doctor": {"id": "see_doctor", "tier": 1, "way_on": "clearance"}}
        draft.outcomes["proceed"] = {"id": "proceed", "tier": 0}
        draft.rules = [
            {"id": "any_red_flag", "when": {"any_of": ids}, "outcome": "see_doctor"},
            {"id": "no_red_flags", "when": {"none_of_these": True}, "outcome": "proceed"},
        ]
    result = []
    for outcome_id, found in draft.outcomes.items():
        where = f"outcome '{outcome_id}'"
        heading = found.get("heading") or reader.placeholder(
            ("outcome", outcome_id, "heading"), f"{where} heading"
        )
        message = found.get("message") or [
            reader.placeholder(("outcome", outcome_id, "message", "1"), f"{where} message")
        ]
        if_worse = found.get("if_worse") or reader.placeholder(
            ("outcome", outcome_id, "if_worse"), f"{where} advice if signs get worse"
        )
        way = found.get("way_on") or ("clearance" if "cleared_label" in found else "guide")
        if way not in ("guide", "clearance", "stop"):
            reader.notes.append(f"{where}: unknown way on '{way}'; the patient stops here")
            way = "stop"
        outcome: dict[str, Any] = {
            "id": outcome_id,
            "tier": found.get("tier", 0),
            "heading": heading,
            "message": message,
            "if_worse": if_worse,
            "gate": way != "guide",
        }
        if way == "stop":
            outcome["stop"] = True
        elif way == "clearance" and "cleared_label" not in found:
            found["cleared_label"] = reader.placeholder(
                ("outcome", outcome_id, "cleared_label"), f"{where} cleared label"
            )
        if way == "clearance":
            outcome["cleared_label"] = found["cleared_label"]
            outcome["cleared_message"] = found.get("cleared_message") or [
                reader.placeholder(
                    ("outcome", outcome_id, "cleared_message", "1"), f"{where} cleared message"
                )
            ]
        outcome["sources"] = [SOURCE_ID]
        result.append(outcome)
        if not any(rule["outcome"] == outcome_id for rule in draft.rules):
            reader.notes.append(f"{where}: no rule leads to it; add one")
    return result


def _meta(q: dict[str, Any], reader: _Reader, today: dt.date) -> dict[str, Any]:
    meta_id = slug(str(q.get("id") or q.get("name") or ""), "-") or "imported-screening"
    if meta_id != q.get("id"):
        reader.notes.append(f"meta.id written as '{meta_id}'")
    title = reader.text(q, "title", ("title",))
    if title is None:
        title = reader.placeholder(("title",), "meta.title")
    version = str(q.get("version") or "")
    if not _SEMVER.match(version):
        reader.notes.append(f"version {version!r} is not like 1.0.0; wrote 0.1.0")
        version = "0.1.0"
    status = FROM_FHIR_STATUS.get(str(q.get("status")))
    if status is None:
        reader.notes.append(f"status {q.get('status')!r} has no match; wrote draft")
        status = "draft"
    language = str(q.get("language") or "")
    if not LANGUAGE.match(language):
        reader.notes.append(f"language {language!r} is not a language code we use; wrote en")
        language = "en"
    last = _date(q.get("lastReviewDate"), "lastReviewDate", reader)
    if q.get("approvalDate"):
        reader.notes.append(
            f"approvalDate {q['approvalDate']} not kept: it belongs to the sign-off record"
        )
    due = (
        today.replace(year=today.year + 1)
        if not (today.month == 2 and today.day == 29)
        else (today + dt.timedelta(days=365))
    )
    reader.notes.append(f"meta.next_review_due: not in FHIR; wrote {due.isoformat()}")
    reader.notes.append(f"meta.owner_role: not in FHIR; wrote '{OWNER_PLACEHOLDER}'")
    return {
        "id": meta_id,
        "title": title,
        "version": version,
        "status": status,
        "owner_role": OWNER_PLACEHOLDER,
        "last_reviewed": last,
        "next_review_due": due,
        "language": language,
    }


def _date(value: Any, what: str, reader: _Reader) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        reader.notes.append(f"{what} {value!r} is not a date; not kept")
        return None


def import_questionnaire(q: dict[str, Any], *, today: dt.date) -> ImportResult:
    """Read a FHIR Questionnaire (R4 or R5, as JSON data) into screening content.

    Args:
        q: the Questionnaire resource.
        today: the import date (sets the placeholder next review date).

    Returns:
        The screening as plain data per language (the primary first) and the notes on
        everything that was not kept or had to be filled in.

    Raises:
        ImportProblem: not a Questionnaire, or no item a screening can hold.

    """
    if not isinstance(q, dict) or q.get("resourceType") != "Questionnaire":
        found = q.get("resourceType") if isinstance(q, dict) else type(q).__name__
        raise ImportProblem(f"the file holds a {found!r}, not a FHIR Questionnaire")
    reader = _Reader()
    _unknown(q, _TOP_KEYS, "questionnaire", reader, frozenset({VARIABLE_URL}))
    meta = _meta(q, reader, today)
    draft = _Draft()
    # Items first (rules refer to them), then our outcome groups.
    top = [i for i in q.get("item") or [] if isinstance(i, dict)]
    for item in sorted(top, key=lambda i: str(i.get("linkId", "")).startswith(OUTCOME_LINK)):
        _visit(item, draft, reader)
    if not draft.items:
        raise ImportProblem(
            "no yes/no or choice items to import — a screening needs at least one "
            "(see the notes: " + "; ".join(reader.notes) + ")"
        )
    tiers = {key: found.get("tier", 0) for key, found in draft.outcomes.items()}
    read = read_sdc_rules(q, [item["id"] for item in draft.items], tiers)
    reader.notes += read.notes
    if read.rules is not None:
        draft.rules = read.rules
    if draft.question is None:
        draft.question = reader.placeholder(("question",), "question")
    if draft.none is None:
        draft.none = reader.placeholder(("none",), "'None of these' text")
    outcomes = _outcomes(draft, reader)
    prompts = {
        name: draft.prompts.get(name) or reader.placeholder(("prompt", name), f"prompt {name}")
        for name in ("nothing_chosen", "contradiction")
    }
    url, version = q.get("url"), q.get("version")
    if url and url != questionnaire_url(meta["id"]):
        reader.notes.append(f"url {url} not kept: exports use {questionnaire_url(meta['id'])}")
    reader.notes.append(
        f"sources: FHIR has no citations; every entry cites '{SOURCE_ID}' — add the real sources"
    )
    source: dict[str, Any] = {
        "id": SOURCE_ID,
        "citation": f"Imported from the FHIR Questionnaire {url or meta['id']}|{version or '?'}",
    }
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        source["url"] = url
    data: dict[str, Any] = {
        "kind": "screening",
        "meta": meta,
        "sources": [source],
        "question": draft.question,
    }
    if draft.hint is not None:
        data["hint"] = draft.hint
    data["items"] = draft.items
    data["none_option"] = {"text": draft.none}
    data["outcomes"] = outcomes
    data["rules"] = draft.rules
    if draft.result_label is not None:
        data["result_label"] = draft.result_label
    data["prompts"] = prompts
    files = {meta["language"]: _resolve(data, reader.primary)}
    for lang, texts in sorted(reader.translated.items()):
        if lang == meta["language"]:
            continue
        missing = sorted(".".join(k) for k in reader.primary.keys() - texts.keys())
        if missing:
            reader.notes.append(
                f"{lang}: no translation for {len(missing)} text(s), the {meta['language']} "
                f"text is used: {', '.join(missing)}"
            )
        translated = _resolve(data, {**reader.primary, **texts})
        translated["meta"] = {**translated["meta"], "language": lang}
        files[lang] = translated
    return ImportResult(meta["language"], files, tuple(dict.fromkeys(reader.notes)))


def _resolve(data: Any, texts: dict[TextKey, str]) -> Any:
    """Fill every text reference from ``texts``; message blocks become paragraphs/bullets."""
    if isinstance(data, _Ref):
        value = texts[data.key]
        if data.key[0] == "outcome" and data.key[2] in ("message", "cleared_message"):
            block = text_block(value)
            return {"bullets": list(block.bullets)} if isinstance(block, BulletList) else block
        return value
    if isinstance(data, dict):
        return {k: _resolve(v, texts) for k, v in data.items()}
    if isinstance(data, list):
        return [_resolve(v, texts) for v in data]
    return data


class _Dumper(yaml.SafeDumper):
    """Safe YAML without anchors/aliases (our loader refuses them)."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: D102
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: D102
        super().increase_indent(flow, False)  # lists indented under their key, as we write them


def screening_yaml(data: dict[str, Any]) -> str:
    """Screening data as a content file (with the schema line editors use)."""
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, indent=2
    )
    return SCHEMA_LINE + body
