"""Checks across files: file ids, the files each language needs, and the reviewer files."""

from __future__ import annotations

from collections.abc import Iterator

from cam_workbench.content.contentset import LoadedFile
from cam_workbench.content.model import PematFile, SignoffFile
from cam_workbench.content.problems import Problem, ProblemCode, problem


def check_across_files(files: list[LoadedFile]) -> Iterator[Problem]:
    """File ids are unique per language; each language has its screening and shared texts."""
    seen: dict[tuple[str, str], str] = {}
    yield from check_review_files(files)
    for f in files:
        if getattr(f.model, "meta", None) is None:
            continue  # reviewer files without meta (sign-off, PEMAT) have no file id
        key = (f.model.meta.id, f.model.meta.language)
        if key in seen:
            yield problem(
                ProblemCode.duplicate_file_id,
                f.relpath,
                f.id_line,
                id=key[0],
                language=key[1],
                other=seen[key],
            )
        else:
            seen[key] = f.relpath
    patient = [f for f in files if getattr(f.model, "patient_facing", False)]
    languages = {f.model.meta.language for f in patient}
    for language in sorted(languages):
        kinds = {f.model.kind for f in patient if f.model.meta.language == language}
        for needed in ("screening", "shared", "guide"):
            if needed not in kinds:
                first = next(f.relpath for f in patient if f.model.meta.language == language)
                yield problem(
                    ProblemCode.missing_file_kind, first, 1, kind=needed, language=language
                )


def check_review_files(files: list[LoadedFile]) -> Iterator[Problem]:
    """One sign-off file at most; each PEMAT checklist names a guide that exists."""
    signoffs = [f for f in files if isinstance(f.model, SignoffFile)]
    for extra in signoffs[1:]:
        yield problem(ProblemCode.second_signoff, extra.relpath, 1, first=signoffs[0].relpath)
    guides = {(g.model.meta.id, g.model.meta.language) for g in files if g.model.kind == "guide"}
    for f in files:
        if isinstance(f.model, PematFile) and (f.model.guide, f.model.language) not in guides:
            choices = ", ".join(sorted(f"{i} ({lang})" for i, lang in guides)) or "(none)"
            yield problem(
                ProblemCode.unknown_guide,
                f.relpath,
                1,
                id=f.model.guide,
                language=f.model.language,
                choices=choices,
            )
