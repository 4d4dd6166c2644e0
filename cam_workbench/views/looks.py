"""Shared widget models: one Layout and one style model per widget kind (a faster first page)."""

from __future__ import annotations

import ipywidgets as w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_button import ButtonStyle
from ipywidgets.widgets.widget_string import HTMLStyle


class Looks:
    """One Layout and one style model per widget kind, shared by widgets that keep theirs.

    Each ipywidget otherwise brings its own Layout and style model (three models for one
    checkbox), and the page fetches and builds every model before it shows the question.
    Widgets whose layout changes (Back/Next, the guide's parts) keep their own.

    Widgets get their classes and first state when they are made: each change after that is
    one more message through the server, and the first tick builds the outcome and the guide
    for many patients at once (issue 18).
    """

    def __init__(self) -> None:
        """Make the shared models."""
        self.layout = w.Layout()
        self.html_style = HTMLStyle()
        self.checkbox_style = CheckboxStyle()
        self.button_style = ButtonStyle()

    def html(self, value: str = "", classes: tuple[str, ...] = ()) -> w.HTML:
        """An HTML widget with CSS ``classes`` (set when it is made: no update message)."""
        return w.HTML(value, layout=self.layout, style=self.html_style, _dom_classes=classes)

    def checkbox(self, description: str) -> w.Checkbox:
        """An unchecked checkbox, its label beside it (no indent)."""
        return w.Checkbox(
            value=False,
            description=description,
            indent=False,
            layout=self.layout,
            style=self.checkbox_style,
        )

    def button(
        self, description: str = "", classes: tuple[str, ...] = (), **kwargs: str
    ) -> w.Button:
        """A button with CSS ``classes`` (set when it is made: no update message)."""
        return w.Button(
            description=description,
            layout=self.layout,
            style=self.button_style,
            _dom_classes=classes,
            **kwargs,
        )
