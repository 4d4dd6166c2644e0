"""Keeping the tracker's sessions: on this device, forgetting them, loading a saved copy.

The part of "Track your sessions" under the download link (:class:`KeepPart`): what the page
says about the sessions kept on this device, a file chooser to load a saved copy back (with
a confirm step when it would take the place of sessions on the page), which of "Start again"
and "Forget my sessions" does what, and "Forget my sessions" with its confirm step. Every
word comes from the tracker content (``device``, ``load`` and ``forget``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import ipywidgets as w

from cam_workbench.content.model import TrackerFile
from cam_workbench.logic.tracker import Session
from cam_workbench.logic.tracker_saved import SavedCopyError, SavedProblem, device_record
from cam_workbench.views.device import DeviceState, DeviceStore, FilePicker, read_saved_copy


def _confirm_box(text: str, yes: w.Button, no: w.Button) -> w.VBox:
    box = w.VBox([w.HTML(f"<p>{escape(text)}</p>"), w.HBox([yes, no])]).add_class("cam-confirm")
    box.layout.display = "none"
    return box


class KeepPart(w.VBox):
    """The device's sessions, "Load a saved copy" and "Forget my sessions" of one panel.

    ``current()`` gives the sessions on the page; ``put(sessions)`` puts sessions in their
    place (and the panel then writes them to the device).
    """

    def __init__(
        self,
        tracker: TrackerFile,
        trackers: Sequence[TrackerFile],
        store: DeviceStore,
        current: Callable[[], tuple[Session, ...]],
        put: Callable[[Sequence[Session]], None],
    ) -> None:
        """Build the part; it follows ``store`` (the page's answer may come later)."""
        self._tracker = tracker
        self._trackers = tuple(trackers) or (tracker,)
        self.store = store
        self._current = current
        self._put = put
        self._pending: tuple[Session, ...] | None = None
        forget, load = tracker.forget, tracker.load
        self.message = w.HTML("").add_class("cam-live").add_class("cam-keep-message")
        self.picker: FilePicker | None = None
        self._picker_box = w.VBox([])
        self.load_yes = w.Button(description=load.yes, button_style="primary")
        self.load_no = w.Button(description=load.no)
        self.load_confirm = _confirm_box(load.confirm, self.load_yes, self.load_no)
        self.load_yes.on_click(lambda _b: self._apply_pending())
        self.load_no.on_click(lambda _b: self._drop_pending())
        self.forget_button = w.Button(description=forget.button)
        self.forget_yes = w.Button(description=forget.yes, button_style="danger")
        self.forget_no = w.Button(description=forget.no)
        self.forget_confirm = _confirm_box(forget.confirm, self.forget_yes, self.forget_no)
        self.forget_button.on_click(lambda _b: self._ask_forget())
        self.forget_yes.on_click(lambda _b: self._forget())
        self.forget_no.on_click(lambda _b: self._close_forget())
        super().__init__(
            [
                self.message,
                self._picker_box,
                self.load_confirm,
                w.HTML(f"<p>{escape(forget.which_is_which)}</p>"),
                self.forget_button,
                self.forget_confirm,
            ]
        )
        self.add_class("cam-keep")
        store.listener = self._device_changed
        if store.state is not DeviceState.waiting:
            self._show_picker()
            self._say_state()

    # -- the device -----------------------------------------------------------------------------

    def _device_changed(self) -> None:
        """The page answered (or a write failed): restore what it kept, say where it stands."""
        self._show_picker()
        found = self.store.take_found()
        if found:
            on_page = {s.number: s for s in self._current()}
            merged = {s.number: s for s in found} | on_page  # what is on the page wins
            self._put(sorted(merged.values(), key=lambda s: s.number))
            self._say(self._tracker.device.restored)
            return
        self._say_state()
        self.save()

    def _say_state(self) -> None:
        device = self._tracker.device
        texts = {
            DeviceState.unreadable: device.unreadable,
            DeviceState.newer: device.newer,
            DeviceState.off: device.off,
            DeviceState.failed: device.failed,
        }
        text = texts.get(self.store.state)
        if text:
            self._say(text, alert=self.store.state is not DeviceState.off)

    def save(self) -> None:
        """Write the page's sessions to the device (when it keeps them)."""
        sessions = self._current()
        self.store.write(device_record(sessions) if sessions else None)

    def _show_picker(self) -> None:
        """The file chooser, once the page has shown it can run our widgets (it answered)."""
        if self.picker is None:
            self.picker = FilePicker(self._tracker.load.label, self._file_chosen)
            self._picker_box.children = (self.picker,)

    # -- loading a saved copy -------------------------------------------------------------------

    def _file_chosen(self, data: bytes | None, problem: SavedProblem | None) -> None:
        self._drop_pending(say=False)
        try:
            if data is None:
                raise SavedCopyError(problem or SavedProblem.unreadable)
            sessions = read_saved_copy(data, self._trackers, self.store.limits)
        except SavedCopyError as exc:
            self._say(self.problem_text(exc), alert=True)
            return
        on_page = self._current()
        if on_page and on_page != sessions:
            self._pending = sessions
            self._say("")
            self.load_confirm.layout.display = None
            self.load_yes.focus()
            return
        self._load(sessions)

    def problem_text(self, exc: SavedCopyError) -> str:
        """The content's words for why a saved copy was not used."""
        load = self._tracker.load
        if exc.problem is SavedProblem.bad_line and exc.line:
            return load.bad_line.format(line=exc.line)
        if exc.problem is SavedProblem.bad_session and exc.session:
            return load.bad_session.format(n=exc.session)
        texts = {SavedProblem.too_big: load.too_big, SavedProblem.no_sessions: load.no_sessions}
        return texts.get(exc.problem, load.unreadable)

    def _load(self, sessions: Sequence[Session]) -> None:
        self._put(sessions)
        self._say(self._tracker.load.loaded)

    def _apply_pending(self) -> None:
        pending = self._pending
        self._drop_pending(say=False)
        if pending is not None:
            self._load(pending)
        if self.picker is not None:
            self.picker.focus()

    def _drop_pending(self, say: bool = True) -> None:
        self._pending = None
        self.load_confirm.layout.display = "none"
        if say:
            self._say("")
            if self.picker is not None:
                self.picker.focus()

    # -- forgetting -----------------------------------------------------------------------------

    def _ask_forget(self) -> None:
        self.forget_confirm.layout.display = None
        self.forget_yes.focus()

    def _close_forget(self) -> None:
        self.forget_confirm.layout.display = "none"
        self.forget_button.focus()

    def _forget(self) -> None:
        self._drop_pending(say=False)
        self.store.forget()
        self._put(())
        self.forget_confirm.layout.display = "none"
        self._say(self._tracker.forget.done)
        self.forget_button.focus()

    # -- what the part says ---------------------------------------------------------------------

    def _say(self, text: str, alert: bool = False) -> None:
        role = ' role="alert"' if alert else ""
        self.message.value = f"<p{role}>{escape(text)}</p>" if text else ""

    @property
    def said(self) -> str:
        """The part's message now (HTML; "" if none)."""
        return self.message.value
