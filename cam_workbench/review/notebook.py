"""The review notebook's widgets: sign-off status, word-level changes, live preview, tables.

``notebooks/clinical_review.ipynb`` stays thin (import, build, display): the wiring of its
widgets lives here and in :mod:`~cam_workbench.review.preview`, where it is tested in plain
pytest (set ``.value``, ``.click()``, read ``.table``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as w
from IPython.display import display

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.signoff import file_status
from cam_workbench.review import changes, tables
from cam_workbench.review.live import LiveContent
from cam_workbench.review.preview import LivePreview, problems_html
from cam_workbench.review.signoff import status_lines

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ChangesView", "LiveContent", "LivePreview", "TablePicker", "status_text"]


def status_text(content: ContentSet) -> str:
    """Where each patient file stands with its clinical reviewer, one line per file."""
    return "\n".join(status_lines(file_status(content)))


class TablePicker(w.VBox):
    """Pick a reviewer table, a file and a language; the filtered table shows below."""

    def __init__(self, content: ContentSet, today: dt.date) -> None:
        """Build the three pickers and show the first table."""
        self._builders = tables.all_tables(content, today)
        self.table_pick = w.Dropdown(options=list(self._builders), description="Table")
        self.file_pick = w.Dropdown(
            options=[tables.ALL, *tables.file_names(content)], description="File"
        )
        self.language_pick = w.Dropdown(
            options=[tables.ALL, *content.languages], description="Language"
        )
        self.shown = w.Output()
        self.table: pd.DataFrame | None = None
        for pick in (self.table_pick, self.file_pick, self.language_pick):
            pick.observe(self.show, "value")
        super().__init__(
            [w.HBox([self.table_pick, self.file_pick, self.language_pick]), self.shown]
        )
        self.show()

    def show(self, _change: object = None) -> None:
        """Build the picked table, filter it, and show it."""
        table = self._builders[self.table_pick.value]()
        self.table = tables.filter_frame(table, self.file_pick.value, self.language_pick.value)
        self.shown.clear_output()
        with self.shown:
            display(self.table)


class ChangesView(w.VBox):
    """What changed in each patient file since its last approval, word by word.

    Follows a :class:`LiveContent` (shared with the live preview): after a Refresh, here or
    in the preview, or a saved file while the preview watches, it shows the files as they
    are now.
    """

    def __init__(self, live: LiveContent | Path | str | None = None) -> None:
        """Compare the content on disk with the sign-off record and show the changes."""
        self.live = live if isinstance(live, LiveContent) else LiveContent(live)
        self.refresh_button = w.Button(
            description="Refresh", icon="refresh", tooltip="Read the content files again"
        )
        self.shown = w.HTML()
        self.files: list[changes.FileWords] = []
        self.refresh_button.on_click(lambda _b: self.live.reload())
        self.live.observe(self._loaded)
        super().__init__([self.refresh_button, self.shown])
        self._loaded(self.live)

    def _loaded(self, live: LiveContent) -> None:
        if live.content is None:
            self.files = []
            self.shown.value = problems_html(live.problems)
            return
        self.files = changes.word_changes(live.content)
        self.shown.value = f"<style>{changes.CSS}</style>{changes.changes_html(self.files)}"
