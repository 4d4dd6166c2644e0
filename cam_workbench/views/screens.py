"""The patient dashboard's screens: the question, the outcome's parts, and the guide.

Each is a widget container built from the content; the dashboard
(:class:`~cam_workbench.views.patient.PatientDashboard`) shows one at a time and wires their
buttons to the patient's flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import ipywidgets as w

from cam_workbench.content.model import GuideFile, ScreeningFile, SharedFile
from cam_workbench.content.rules import Answers
from cam_workbench.logic.screening import AnswerProblem
from cam_workbench.render.html import body_html, heading_html
from cam_workbench.views.looks import Looks


class QuestionScreen(w.VBox):
    """The red-flag question: one checkbox per item, "none of these", and Continue."""

    def __init__(self, screening: ScreeningFile, shared: SharedFile, looks: Looks) -> None:
        """Build the checkboxes from the screening items."""
        self._screening = screening
        heading = heading_html(screening.question, 2)
        hint = f"<p>{escape(screening.hint)}</p>" if screening.hint else ""
        self._flags = {item.id: looks.checkbox(item.text) for item in screening.items}
        self.none_box = looks.checkbox(screening.none_option.text)
        self.prompt = looks.html(classes=("cam-prompt",))
        self.continue_button = looks.button(shared.ui.continue_, button_style="primary")
        super().__init__(
            [
                looks.html(heading + hint),
                *self._flags.values(),
                self.none_box,
                self.prompt,
                self.continue_button,
            ],
            layout=looks.layout,
        )

    @property
    def flags(self) -> dict[str, w.Checkbox]:
        """The red-flag checkboxes by item id."""
        return dict(self._flags)

    def answers(self) -> Answers:
        """The answers as currently checked."""
        return Answers.of(
            (item_id for item_id, box in self._flags.items() if box.value),
            none_of_these=self.none_box.value,
        )

    def show_prompt(self, kind: AnswerProblem | None) -> None:
        """Show the content's prompt for incomplete or contradictory answers."""
        texts = {
            AnswerProblem.nothing_chosen: self._screening.prompts.nothing_chosen,
            AnswerProblem.contradiction: self._screening.prompts.contradiction,
        }
        text = texts.get(kind) if kind else None
        self.prompt.value = f'<p role="alert">{escape(text)}</p>' if text else ""

    def clear(self) -> None:
        """Uncheck everything and hide any prompt."""
        for box in (*self._flags.values(), self.none_box):
            box.value = False
        self.show_prompt(None)


class GuideScreen(w.VBox):
    """The guide, one section at a time, with a list of sections and Back/Next."""

    children: tuple[w.Widget, ...]  # the traitlet VBox has (add_part inserts parts in it)

    def __init__(
        self,
        guide: GuideFile,
        shared: SharedFile,
        looks: Looks,
        parts: Sequence[tuple[str, Callable[[], w.Widget]]] = (),
    ) -> None:
        """Build the section list (with ``parts``: see :meth:`add_part`) and the section view.

        Everything is made as it first shows (section 1, no Back), so that building the guide
        sends one message per widget and no updates after it.
        """
        self._guide = guide
        self._shared = shared
        self._looks = looks
        self.current = 0
        self.top = looks.html()
        intro = body_html(guide.intro) if guide.intro else ""
        contents = f"<p><strong>{escape(shared.ui.guide_contents)}</strong></p>"
        header = looks.html(heading_html(shared.ui.guide_heading, 2) + intro + contents)
        self.section_buttons = [
            looks.button(s.heading, classes=("cam-current",) if i == 0 else ())
            for i, s in enumerate(guide.sections)
        ]
        for index, button in enumerate(self.section_buttons):
            button.on_click(lambda _b, i=index: self.show_section(i))
        self.section = looks.html(self._section_html(0))
        # Back and Next hide and show: a layout of their own each.
        last = len(guide.sections) <= 1
        self.previous_button = w.Button(
            description=shared.ui.previous,
            style=looks.button_style,
            layout=w.Layout(visibility="hidden"),
        )
        self.next_button = w.Button(
            description=shared.ui.next,
            style=looks.button_style,
            layout=w.Layout(visibility="hidden" if last else "visible"),
        )
        self.previous_button.on_click(lambda _b: self.show_section(self.current - 1))
        self.next_button.on_click(lambda _b: self.show_section(self.current + 1))
        made = [self._make_part(label, build) for label, build in parts]
        self.part_buttons = [button for button, _ in made]
        """The list's entries of the parts (:meth:`add_part`), in order."""
        self.nav = w.Box(
            [*self.section_buttons, *(button for button, _ in made)],
            layout=looks.layout,
            _dom_classes=("cam-nav",),
        )
        steps = w.HBox([self.previous_button, self.next_button], layout=looks.layout)
        holders = [holder for _, holder in made]
        super().__init__(
            [self.top, header, self.nav, self.section, *holders, steps], layout=looks.layout
        )
        self.show_section(0)  # nothing left to change: sends nothing

    def _section_html(self, index: int) -> str:
        section = self._guide.sections[index]
        return (
            f'<section class="cam-section" aria-labelledby="sec-{section.id}">'
            f"{heading_html(section.heading, 3, f'sec-{section.id}')}"
            f"{body_html(section.body)}</section>"
        )

    def show_section(self, index: int) -> None:
        """Show section ``index`` (clamped to the guide's sections)."""
        sections = self._guide.sections
        self.current = max(0, min(index, len(sections) - 1))
        self.section.value = self._section_html(self.current)
        for i, button in enumerate(self.section_buttons):
            if i == self.current:
                button.add_class("cam-current")
            else:
                button.remove_class("cam-current")
        self.previous_button.layout.visibility = "hidden" if self.current == 0 else "visible"
        last = self.current == len(sections) - 1
        self.next_button.layout.visibility = "hidden" if last else "visible"

    def show_top(self, html: str) -> None:
        """Show a message above the guide (e.g. the outcome or the cleared message)."""
        self.top.value = html

    def add_part(self, label: str, build: Callable[[], w.Widget]) -> w.Button:
        """Add an entry to the list of sections that shows ``build()`` in the section's place.

        The widget is built the first time the entry is opened (its imports stay off the
        path to the first question) and kept from then on. Showing a section
        closes it again. (Parts known when the guide is made are cheaper as its ``parts``.)
        """
        button, holder = self._make_part(label, build)
        self.part_buttons.append(button)
        self.nav.children = (*self.nav.children, button)
        at = self.children.index(self.section) + 1
        self.children = (*self.children[:at], holder, *self.children[at:])
        return button

    def _make_part(self, label: str, build: Callable[[], w.Widget]) -> tuple[w.Button, w.VBox]:
        """The entry's button and the (hidden) box its widget goes in, wired together."""
        button = self._looks.button(label)
        # Shown and hidden: a layout of its own.
        holder = w.VBox([], layout=w.Layout(display="none"), _dom_classes=("cam-part",))

        def open_part(_b: object = None) -> None:
            if not holder.children:
                holder.children = (build(),)
            self.section.value = ""  # show_section sets it again, which closes the part
            for other in self.nav.children:
                other.remove_class("cam-current")
            button.add_class("cam-current")
            holder.layout.display = None
            for step in (self.previous_button, self.next_button):
                step.layout.display = "none"  # no Back/Next from here: no empty gap either

        def close_part(change: dict[str, object]) -> None:
            if change["new"]:
                holder.layout.display = "none"
                button.remove_class("cam-current")
                self.previous_button.layout.display = self.next_button.layout.display = None

        button.on_click(open_part)
        self.section.observe(close_part, "value")
        return button, holder


class OutcomeParts:
    """The outcome screen's widgets: message, clearance step, downloads and Start again."""

    def __init__(self, shared: SharedFile, looks: Looks) -> None:
        """Build the widgets; the dashboard fills them in for each outcome."""
        clearance = shared.ui.clearance
        self.message = looks.html(classes=("cam-outcome",))
        self.cleared_button = looks.button(button_style="primary")
        self.confirm_text = looks.html(f'<p class="cam-confirm">{escape(clearance.confirm)}</p>')
        self.confirm_button = looks.button(clearance.yes, button_style="primary")
        self.back_button = looks.button(clearance.back)
        self.confirm = w.VBox(
            [
                self.confirm_text,
                w.HBox([self.confirm_button, self.back_button], layout=looks.layout),
            ],
            layout=looks.layout,
            _dom_classes=("cam-step",),  # the page shows a step's top when it opens
        )
        self.start_again_button = looks.button(shared.ui.start_again)
        self.downloads = looks.html()
        self.screen = w.VBox([self.message], layout=looks.layout)

    def show(
        self, outcome_message: str, label: str | None, confirming: bool, stop: bool = False
    ) -> None:
        """The message, then the clearance step (its label, or its confirmation), if any."""
        self.message.value = outcome_message
        if stop:
            self.message.add_class("cam-stop")
        else:
            self.message.remove_class("cam-stop")
        if label is None:
            self.screen.children = [self.message]
        elif confirming:
            self.screen.children = [self.message, self.confirm]
        else:
            self.cleared_button.description = label
            self.screen.children = [self.message, self.cleared_button]
