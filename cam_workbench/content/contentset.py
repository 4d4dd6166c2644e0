"""The validated content of one folder (:class:`ContentSet`) and its files (:class:`LoadedFile`).

Built by :func:`cam_workbench.content.loading.load_content`; every other layer reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from cam_workbench.content.model import GuideFile, ScreeningFile, SharedFile
from cam_workbench.content.problems import Problem
from cam_workbench.content.yamlsafe import Parsed

F = TypeVar("F", bound=BaseModel)


@dataclass(frozen=True)
class LoadedFile:
    """One validated content file and where it came from."""

    path: Path
    relpath: str
    model: Any
    id_line: int = 1  # line of meta.id, for problems found across files
    parsed: Parsed | None = field(default=None, compare=False, repr=False)  # lines of values

    def line_of(self, path: tuple[str | int, ...]) -> int:
        """Line of a data path in the file (the line of ``meta.id`` when lines are unknown)."""
        return self.parsed.line_of(path) if self.parsed is not None else self.id_line


@dataclass(frozen=True)
class ContentSet:
    """All validated content of one folder."""

    root: Path
    files: tuple[LoadedFile, ...]
    #: Reviewer warnings (``Problem.severity == "warning"``): reported, but not a failure.
    warnings: tuple[Problem, ...] = ()

    def of_kind(self, kind: type[F], language: str | None = None) -> list[F]:
        """Return the models of one kind, optionally in one language."""
        return [
            f.model
            for f in self.files
            if isinstance(f.model, kind) and (language is None or language_of(f.model) == language)
        ]

    def _one(self, kind: type[F], language: str) -> F:
        found = self.of_kind(kind, language)
        if not found:
            raise LookupError(f"no {kind.__name__} in language {language!r}")
        return found[0]

    def screening(self, language: str = "en") -> ScreeningFile:
        """Return the screening in ``language``."""
        return self._one(ScreeningFile, language)

    def guide(self, language: str = "en") -> GuideFile:
        """Return the (first) patient guide in ``language``."""
        return self._one(GuideFile, language)

    def shared(self, language: str = "en") -> SharedFile:
        """Return the shared page texts in ``language``."""
        return self._one(SharedFile, language)

    @property
    def languages(self) -> list[str]:
        """Languages that have content, sorted."""
        return sorted({lang for f in self.files if (lang := language_of(f.model)) is not None})

    def summary(self) -> str:
        """One line: how many files, and screening items and guide sections per language."""
        per_language = []
        for language in self.languages:
            items = sum(len(s.items) for s in self.of_kind(ScreeningFile, language))
            sections = sum(len(g.sections) for g in self.of_kind(GuideFile, language))
            per_language.append(f"{language}: {items} screening items, {sections} guide sections")
        return f"{len(self.files)} files ({'; '.join(per_language)})"


def language_of(model: Any) -> str | None:
    """Return a file's language: ``meta.language``, a top-level ``language``, or None."""
    meta = getattr(model, "meta", None)
    language = meta.language if meta is not None else getattr(model, "language", None)
    return str(language) if language is not None else None


def relpath(content: ContentSet, loaded: LoadedFile) -> str:
    """Path of a file relative to the content folder, with '/' (``en/acupuncture.yaml``)."""
    try:
        rel = loaded.path.resolve().relative_to(Path(content.root).resolve())
    except ValueError:
        rel = Path(loaded.relpath)
    return rel.as_posix()


def patient_files(content: ContentSet) -> dict[str, LoadedFile]:
    """Return the files that need sign-off, by path relative to the content folder."""
    return {
        relpath(content, f): f for f in content.files if getattr(f.model, "patient_facing", False)
    }


class NotAContentFile(ValueError):
    """A file named on the command line is not patient content in this content folder."""


def resolve_file(content: ContentSet, name: str | Path) -> str:
    """Turn a file argument into its path relative to the content folder.

    Accepts ``en/acupuncture.yaml`` (relative to the content folder) or a path to the file
    (``content/en/acupuncture.yaml``, absolute or relative to the working directory).

    Raises:
        NotAContentFile: it is not a patient content file of this folder.

    """
    files = patient_files(content)
    candidates = [Path(name).as_posix()]
    path = Path(name)
    for base in (Path(content.root), Path.cwd()):
        full = path if path.is_absolute() else base / path
        try:
            candidates.append(full.resolve().relative_to(Path(content.root).resolve()).as_posix())
        except (ValueError, OSError):
            continue
    for candidate in candidates:
        if candidate in files:
            return candidate
    raise NotAContentFile(
        f"{name} is not a patient content file of {content.root} "
        f"(choose from: {', '.join(sorted(files))})"
    )
