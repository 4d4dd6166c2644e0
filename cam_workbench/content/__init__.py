"""The content layer, the package's lowest: YAML in, a validated :class:`ContentSet` out.

It imports nothing above it. Read top-down:

- :mod:`~cam_workbench.content.problems`: the catalogue of every problem (a typed ``Enum``).
- :mod:`~cam_workbench.content.yamlsafe`: strict, bounded YAML reading with line numbers.
- :mod:`~cam_workbench.content.model`: the typed model of every kind of file.
- :mod:`~cam_workbench.content.rules`: what the screening rules mean (answers → outcome).
- :mod:`~cam_workbench.content.validation`: the model picked by ``kind``; pydantic's errors
  in words.
- :mod:`~cam_workbench.content.checks`: what the schema cannot say, one module per family.
- :mod:`~cam_workbench.content.contentset`: the content set and its files.
- :mod:`~cam_workbench.content.loading`: the pipeline (read → parse → validate → check → build).
- :mod:`~cam_workbench.content.fingerprints`: what counts as a change (hashes, sections).
- :mod:`~cam_workbench.content.parts`: files as the sections a reviewer reads.
- :mod:`~cam_workbench.content.signoff`: where each patient file stands (read-only).
- :mod:`~cam_workbench.content.yamledit`, :mod:`~cam_workbench.content.stamp`: writing a
  translation's ``translation_of`` stamp, keeping the file's comments and layout.
"""

from cam_workbench.content.contentset import ContentSet, LoadedFile
from cam_workbench.content.loading import load_content
from cam_workbench.content.problems import ContentError, Problem, ProblemCode

__all__ = ["ContentError", "ContentSet", "LoadedFile", "Problem", "ProblemCode", "load_content"]
