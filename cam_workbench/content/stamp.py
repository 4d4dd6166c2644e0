"""Stamping a translation: record in its ``meta.translation_of`` what its source is now.

``cam-workbench translation-stamp es/acupuncture.yaml`` runs :func:`stamp_translation`
after a translator has updated the file: it rewrites only the ``translation_of`` block
(:mod:`cam_workbench.content.yamledit` keeps every comment and the layout), checks that the
file still reads as the same content, and writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cam_workbench.content.checks.translations import file_key, translation_of
from cam_workbench.content.contentset import ContentSet, patient_files, resolve_file
from cam_workbench.content.fingerprints import SECTION_HASH_LENGTH, file_hash, section_hashes
from cam_workbench.content.model import KIND_MODELS, TranslationOf
from cam_workbench.content.yamledit import set_meta_entry
from cam_workbench.content.yamlsafe import parse


def stamp_for(source: Any) -> TranslationOf:
    """Return the ``translation_of`` block recording ``source`` as it is now."""
    return TranslationOf(
        id=source.meta.id,
        language=source.meta.language,
        source_hash=file_hash(source),
        source_sections=section_hashes(source),
    )


def stamp_text(text: str, stamp: TranslationOf) -> str:
    """Return the YAML text with ``meta.translation_of`` replaced by (or set to) ``stamp``.

    Everything else in the file (comments, layout, other keys) is kept as it is.

    Raises:
        ValueError: the file has no block-style ``meta:`` mapping to put it in.

    """
    return set_meta_entry(text, "translation_of", stamp.model_dump(mode="json", exclude_none=True))


def stamp_file(path: Path, source: Any) -> TranslationOf:
    """Write ``source``'s current stamp into the translation at ``path``; return the stamp.

    Raises:
        ValueError: the file could not be stamped (it is left as it was).

    """
    stamp = stamp_for(source)
    new = stamp_text(path.read_text(encoding="utf-8"), stamp)
    parsed, problems = parse(new, str(path))
    try:
        model = KIND_MODELS[source.kind].model_validate(parsed.data if parsed else None)
    except ValidationError:
        model = None
    if problems or model is None or translation_of(model) != stamp:
        raise ValueError(f"could not write meta.translation_of into {path}; edit it by hand")
    path.write_text(new, encoding="utf-8")
    return stamp


def stamp_translation(content: ContentSet, file: str | Path, source_language: str = "en") -> str:
    """Stamp one translation of ``content`` with its source's current hash; say what was done.

    ``file`` is a path relative to the content folder (``es/acupuncture.yaml``) or to the
    working directory. A file without ``meta.translation_of`` gets one, naming the file of
    the same kind and id in ``source_language``.

    Raises:
        ValueError: it is not a patient content file, or its source cannot be found.

    """
    name = resolve_file(content, file)
    loaded = patient_files(content)[name]
    model = loaded.model
    marked = translation_of(model)
    kind, language = str(model.kind), model.meta.language
    source_id, source_lang = (
        (marked.id, marked.language) if marked else (model.meta.id, source_language)
    )
    if source_lang == language:
        raise ValueError(f"{name} is in '{language}' itself: name a different --source-language")
    source = next(
        (
            f
            for f in content.files
            if file_key(f.model) == (kind, source_id, source_lang)
            and translation_of(f.model) is None
        ),
        None,
    )
    if source is None:
        raise ValueError(
            f"{name} translates {kind} '{source_id}' ({source_lang}), which is not in the content"
        )
    stamp = stamp_file(loaded.path, source.model)
    short = stamp.source_hash[:SECTION_HASH_LENGTH]
    return f"stamped {loaded.relpath}: translation of {source.relpath} (sha256 {short})"
