"""The review notebook's widgets: the sign-off status text and the table picker.

``notebooks/clinical_review.ipynb`` stays thin (import, build, display): the wiring of its
pickers lives here, where it is tested in plain pytest (set ``.value``, read ``.table``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import ipywidgets as w
from IPython.display import display

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.signoff import file_status
from cam_workbench.review import tables
from cam_workbench.review.signoff import status_lines

if TYPE_CHECKING:
    import pandas as pd


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
