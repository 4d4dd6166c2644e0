"""The kernel's side of the page's ``cam-workbench-device`` widgets, and reading saved copies.

The widgets' browser code is ``cam-device.js`` in our Voila template (served from this
server: the page's Content-Security-Policy allows no script from anywhere else, nor a
``blob:`` module, which is how anywidget would load code sent by the kernel).

- :class:`DeviceStore` (no view): the tracker's sessions in the patient's browser
  (``localStorage``), as a versioned JSON record (:mod:`cam_workbench.logic.tracker_saved`).
  The page tells the kernel what it holds when the tracker opens; the kernel asks it to
  write the record after every change, or to remove it ("Forget my sessions"). The record
  goes between the browser and the patient's own kernel only: nothing on the server's disk.
- :class:`FilePicker`: a labelled file chooser; the page sends the chosen file's bytes (at
  most :data:`~cam_workbench.logic.tracker_saved.MAX_SAVED_BYTES`) to the kernel, which reads
  it with :func:`read_saved_copy`.

Every message from the page is checked here: one of a few known events, of known types,
with at most one buffer of bounded size. Anything else is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Final

import ipywidgets as w
from traitlets import Int, Unicode

from cam_workbench.content.model import TrackerFile
from cam_workbench.fhir.observations import sessions_from_health_record
from cam_workbench.logic.tracker import Session
from cam_workbench.logic.tracker_saved import (
    MAX_SAVED_BYTES,
    Limits,
    SavedCopyError,
    SavedProblem,
    decode_copy,
    read_device_record,
    read_sessions_csv,
)

MODULE: Final = "cam-workbench-device"
"""The widget module that ``cam-device.js`` registers with the page's widget manager."""
MODULE_VERSION: Final = "1.0.0"
#: The files the chooser offers first (any file may still be chosen, and is checked).
ACCEPT: Final = ".csv,.json,text/csv,application/json,application/fhir+json"


def _one_buffer(buffers: Sequence[Any] | None) -> bytes | None:
    """The single buffer of a message as bytes; ``None`` if none, several, or too large."""
    if not buffers or len(buffers) != 1:
        return None
    data = bytes(buffers[0])
    return data if len(data) <= MAX_SAVED_BYTES else None


class DeviceState(StrEnum):
    """Where the sessions kept on this device stand."""

    waiting = "waiting"
    """The page has not answered yet (or cannot: no browser, e.g. in tests)."""
    ready = "ready"
    """The page keeps the sessions: each change is written to the device."""
    unreadable = "unreadable"
    """The device holds a record that cannot be read: left alone, not overwritten."""
    newer = "newer"
    """The device holds a record of a newer version of the page: left alone."""
    off = "off"
    """The browser does not let the page keep anything."""
    failed = "failed"
    """The last write failed (e.g. the browser's storage is full); the next one is tried."""


class DeviceStore(w.Widget):
    """The tracker's sessions in the patient's browser (``localStorage``, under :attr:`key`).

    :attr:`listener` is called after every change of :attr:`state`; the sessions found on
    the device when the page first answered are in :attr:`found` until taken with
    :meth:`take_found`.
    """

    _model_name = Unicode("DeviceStoreModel").tag(sync=True)
    _model_module = Unicode(MODULE).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    key = Unicode("").tag(sync=True)
    max_bytes = Int(MAX_SAVED_BYTES).tag(sync=True)

    def __init__(self, key: str, limits: Limits) -> None:
        """A store for the sessions under ``key``, checked against ``limits`` when read."""
        super().__init__(key=key)
        self.limits = limits
        self.state = DeviceState.waiting
        self.found: tuple[Session, ...] = ()
        self.listener: Callable[[], None] | None = None
        self._last_written: str | None | bool = False  # False: not known yet
        self._serial = 0
        self.on_msg(self._receive)

    # -- what the kernel asks -------------------------------------------------------------------

    @property
    def keeps(self) -> bool:
        """Whether changes are written to the device (the page answered, and may write)."""
        return self.state in (DeviceState.ready, DeviceState.failed)

    def write(self, record: str | None) -> bool:
        """Ask the page to keep ``record`` (``None``: nothing to keep, remove the record).

        ``False`` when the device does not keep anything. What the device already holds is
        not sent again.
        """
        if not self.keeps:
            return False
        if record != self._last_written:
            self._serial += 1
            self._last_written = record
            if record is None:
                self.send({"command": "forget"})
            else:
                self.send({"command": "save", "text": record, "serial": self._serial})
        return True

    def forget(self) -> None:
        """Ask the page to remove the record at once (also an unreadable or newer one)."""
        self.send({"command": "forget"})
        self._last_written = None
        self.found = ()
        if self.state is not DeviceState.off:
            self._set(DeviceState.ready)

    def take_found(self) -> tuple[Session, ...]:
        """The sessions found on the device (once; then empty)."""
        found, self.found = self.found, ()
        return found

    # -- what the page says ---------------------------------------------------------------------

    def _set(self, state: DeviceState) -> None:
        self.state = state
        if self.listener is not None:
            self.listener()

    def _receive(self, _widget: object, content: Any, buffers: Sequence[Any] | None) -> None:
        """Handle one message from the page (anything unexpected is ignored)."""
        if not isinstance(content, dict):
            return
        event = content.get("event")
        if event == "loaded" and self.state is DeviceState.waiting:
            self._loaded(content, buffers)
        elif event == "saved" and content.get("serial") == self._serial:
            if content.get("ok") is True:
                if self.state is DeviceState.failed:
                    self._set(DeviceState.ready)
            elif self.state is DeviceState.ready:
                self._last_written = False  # try again with the next change
                self._set(DeviceState.failed)
        elif event == "forgotten" and content.get("ok") is not True and self.keeps:
            self._set(DeviceState.failed)

    def _loaded(self, content: dict[str, Any], buffers: Sequence[Any] | None) -> None:
        if content.get("available") is not True:
            self._set(DeviceState.off)
            return
        if content.get("found") is not True:
            self._last_written = None  # nothing kept yet
            self._set(DeviceState.ready)
            return
        data = _one_buffer(buffers)
        if content.get("too_big") is True or data is None:
            self._set(DeviceState.unreadable)
            return
        try:
            self.found = read_device_record(decode_copy(data), self.limits)
        except SavedCopyError as exc:
            newer = exc.problem is SavedProblem.newer
            self._set(DeviceState.newer if newer else DeviceState.unreadable)
            return
        self._set(DeviceState.ready)


class FilePicker(w.DOMWidget):
    """A labelled file chooser whose file is read in the browser and sent to the kernel.

    ``on_file(data, problem)`` gets the file's bytes, or ``None`` and why not
    (``too_big``: the page did not send it; ``unreadable``: the browser could not read it).
    """

    _model_name = Unicode("FilePickerModel").tag(sync=True)
    _model_module = Unicode(MODULE).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_name = Unicode("FilePickerView").tag(sync=True)
    _view_module = Unicode(MODULE).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    label = Unicode("").tag(sync=True)
    accept = Unicode(ACCEPT).tag(sync=True)
    max_bytes = Int(MAX_SAVED_BYTES).tag(sync=True)

    def __init__(
        self, label: str, on_file: Callable[[bytes | None, SavedProblem | None], None]
    ) -> None:
        """A chooser labelled ``label``; ``on_file`` is called for each file chosen."""
        super().__init__(label=label)
        self._on_file = on_file
        self.on_msg(self._receive)

    def _receive(self, _widget: object, content: Any, buffers: Sequence[Any] | None) -> None:
        if not isinstance(content, dict) or content.get("event") != "file":
            return
        if content.get("too_big") is True:
            self._on_file(None, SavedProblem.too_big)
            return
        data = _one_buffer(buffers)
        if data is None:
            too_big = buffers is not None and len(buffers) == 1
            self._on_file(None, SavedProblem.too_big if too_big else SavedProblem.unreadable)
            return
        self._on_file(data, None)


def read_saved_copy(
    data: bytes, trackers: Sequence[TrackerFile], limits: Limits
) -> tuple[Session, ...]:
    """The sessions of a file the patient chose: their CSV copy or their health-record file.

    ``trackers``: the tracker content in every language (a copy downloaded in Spanish loads
    in English too). A file whose text starts with ``{`` is read as the health-record file.

    Raises:
        SavedCopyError: why it is not used (the content words it for the patient).
    """
    text = decode_copy(data)
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise SavedCopyError(SavedProblem.unreadable) from None
        return sessions_from_health_record(document, limits)
    headers = [
        (c.session, c.date, c.before, c.after, c.note) for c in (t.csv_columns for t in trackers)
    ]
    return read_sessions_csv(text, headers, limits)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
