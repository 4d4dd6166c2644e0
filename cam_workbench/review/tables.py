"""The reviewer tables as pandas DataFrames, for the review notebook.

Every table is built from the plain rows of the other ``review`` modules, so the notebook,
the HTML report and the tests show the same numbers. pandas is imported here only, inside
the functions: nothing on the patient dashboard's path imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from cam_workbench.content.contentset import ContentSet, relpath
from cam_workbench.content.parts import patient_parts
from cam_workbench.content.signoff import file_status
from cam_workbench.review import decision_table, inventory, jargon, pemat, readability

if TYPE_CHECKING:
    import pandas as pd

ALL: Final = "(all)"


def frame(rows: Sequence[dict[str, object]], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Turn plain rows into a DataFrame (with ``columns`` when there are no rows)."""
    import pandas as pd

    if not rows:
        return pd.DataFrame(columns=list(columns or []))
    return pd.DataFrame(list(rows))


def file_names(content: ContentSet) -> list[str]:
    """Return every content file's path relative to the content folder, sorted (for pickers)."""
    return sorted(relpath(content, f) for f in content.files)


def filter_frame(table: pd.DataFrame, file: str = ALL, language: str = ALL) -> pd.DataFrame:
    """Keep the rows of one file and/or one language (``"(all)"`` keeps every row)."""
    keep = table
    if file != ALL and "file" in keep.columns:
        keep = keep[keep["file"] == file]
    if language != ALL and "language" in keep.columns:
        keep = keep[keep["language"] == language]
    return keep


def inventory_table(content: ContentSet, today: dt.date) -> pd.DataFrame:
    """Return every item and section with review dates; overdue ones flagged."""
    return frame(inventory.inventory_rows(content, today))


def files_table(content: ContentSet, today: dt.date) -> pd.DataFrame:
    """Return one row per content file with its metadata."""
    return frame(inventory.file_rows(content, today))


def sources_table(content: ContentSet) -> pd.DataFrame:
    """Return every source of every file and the sections that cite it."""
    return frame(inventory.source_rows(content))


def readability_table(content: ContentSet, by: str = "section") -> pd.DataFrame:
    """Return reading-level scores per section (or ``by="file"``); above grade 8 flagged."""
    return frame(readability.readability_rows(patient_parts(content), by=by))


def jargon_table(content: ContentSet) -> pd.DataFrame:
    """Return one row per jargon term: plain words, uses and where."""
    return frame(jargon.summary_rows(content))


def jargon_uses_table(content: ContentSet) -> pd.DataFrame:
    """Return one row per use of a jargon term, with the words around it."""
    return frame(
        jargon.occurrence_rows(content),
        ["term", "plain", "file", "language", "section", "found", "explained_in_brackets"],
    )


def decision_frame(content: ContentSet, language: str = "en") -> pd.DataFrame:
    """Return every combination of screening answers with its outcome and deciding rule."""
    return frame(decision_table.table_rows(content.screening(language)))


def rules_table(content: ContentSet, language: str = "en") -> pd.DataFrame:
    """Return each screening rule, how often it fires and decides; dead rules flagged."""
    return frame(decision_table.rule_rows(content.screening(language)))


def signoff_table(content: ContentSet) -> pd.DataFrame:
    """Return the sign-off state of every patient content file."""
    rows: list[dict[str, object]] = [
        {
            "file": s.file,
            "state": s.state.value,
            "reviewer": s.approval.reviewer if s.approval else "",
            "date": s.approval.date.isoformat() if s.approval else "",
            "changed_sections": ", ".join(c.section for c in s.changes),
        }
        for s in file_status(content)
    ]
    return frame(rows)


def pemat_table(content: ContentSet) -> pd.DataFrame:
    """Return PEMAT-P scores per guide and domain; below 70% flagged."""
    return frame(pemat.score_rows(content))


def pemat_items_table(content: ContentSet) -> pd.DataFrame:
    """Return every PEMAT-P item rating with the reviewer's note."""
    return frame(pemat.item_rows(content))


def all_tables(content: ContentSet, today: dt.date) -> dict[str, Callable[[], pd.DataFrame]]:
    """Return the reviewer tables by title, each built when called (for a picker widget)."""
    return {
        "Sign-off": lambda: signoff_table(content),
        "Inventory": lambda: inventory_table(content, today),
        "Readability per file": lambda: readability_table(content, by="file"),
        "Readability per section": lambda: readability_table(content),
        "Jargon": lambda: jargon_table(content),
        "Jargon: where each term is used": lambda: jargon_uses_table(content),
        "Sources": lambda: sources_table(content),
        "PEMAT-P scores": lambda: pemat_table(content),
        "PEMAT-P items": lambda: pemat_items_table(content),
    }
