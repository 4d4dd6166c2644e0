"""Who may use a patient's kernel, and what counts as that patient's activity.

A page is *handed* to a visitor (one browser: the anonymous identity of jupyter_server's
signed, HttpOnly login cookie, and the client address), its *holder*. The holder's first
websocket session *owns* the kernel. From then on only that session may connect, and only
that visitor may see that the kernel exists or shut it down. A page nobody has connected to
may be handed on during a flood (see ``serving.kernels``: only to a visitor of the same
address): it then belongs to its new holder alone, and the earlier one can neither connect,
nor see it, nor shut it down. A kernel id is no secret: it opens nothing.

Activity is real widget activity only: an update or a custom event (a click) sent to a widget
of the page (a comm the kernel opened), not any message at all.

Pure bookkeeping: no tornado, no Jupyter; times are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

ACTIVITY_METHODS: Final = frozenset({"update", "custom"})
"""Widget message methods that a patient's action sends (a changed value, a click)."""


@dataclass(frozen=True)
class Visitor:
    """One browser asking for something."""

    identity: str
    """The anonymous user id of the login cookie (``""`` when there is none)."""
    address: str
    """The client address (see ``serving.http.client_address``)."""


@dataclass
class KernelSession:
    """What is known about one handed-out kernel."""

    handed_out: datetime
    """When the page was first handed to a visitor (the session's lifetime starts here)."""
    activity: datetime
    """Last real widget activity (or the hand-out, or the first connection)."""
    holder: Visitor
    """The visitor the page was (last) handed to."""
    owner: tuple[str, str] | None = None
    """(identity, websocket session id) of the first connection."""
    owner_address: str | None = None
    """Client address of the first connection."""
    widget_comms: set[str] = field(default_factory=set)
    """Comm ids of the page's widgets (opened by the kernel)."""
    client_comms: int = 0
    """``comm_open`` messages the page's client sent (whether let through or not)."""


class SessionBook:
    """Ownership, per-address counts, activity and comms of every handed-out kernel."""

    def __init__(self) -> None:
        """Start with no kernel handed out."""
        self._sessions: dict[str, KernelSession] = {}

    def __contains__(self, kernel_id: object) -> bool:
        """Whether this kernel was handed out (and not forgotten since)."""
        return kernel_id in self._sessions

    def get(self, kernel_id: str) -> KernelSession | None:
        """The session of a handed-out kernel, or ``None``."""
        return self._sessions.get(kernel_id)

    def kernel_ids(self) -> list[str]:
        """Every kernel in the book."""
        return list(self._sessions)

    def hand_out(self, kernel_id: str, visitor: Visitor, now: datetime) -> None:
        """Record that ``visitor`` was given the page of ``kernel_id``.

        A page nobody connected to that is handed on is the new holder's alone. Once a
        session owns the kernel, its page goes to nobody else (this does nothing).
        """
        session = self._sessions.get(kernel_id)
        if session is None:
            self._sessions[kernel_id] = KernelSession(now, now, holder=visitor)
        elif session.owner is None:
            session.holder = visitor

    def holder(self, kernel_id: str) -> Visitor | None:
        """Who holds the page of a kernel nobody connected to yet (``None`` once owned)."""
        session = self._sessions.get(kernel_id)
        return session.holder if session is not None and session.owner is None else None

    def claim(self, kernel_id: str, visitor: Visitor, session_id: str, now: datetime) -> bool:
        """Whether this websocket session may connect; the first holder's session owns it."""
        session = self._sessions.get(kernel_id)
        if session is None or not session_id or not visitor.identity:
            return False
        if session.owner is None:
            if visitor.identity != session.holder.identity:
                return False
            session.owner = (visitor.identity, session_id)
            session.owner_address = visitor.address
            session.activity = now
            return True
        return session.owner == (visitor.identity, session_id)

    def may_see(self, kernel_id: str, identity: str) -> bool:
        """Whether this visitor may learn that the kernel exists (the page's own check)."""
        session = self._sessions.get(kernel_id)
        if session is None or not identity:
            return False
        if session.owner is not None:
            return session.owner[0] == identity
        return identity == session.holder.identity

    def may_shut_down(self, kernel_id: str, identity: str) -> bool:
        """Whether this visitor may shut the kernel down (the page's unload beacon).

        The owner may; before anyone connected, its holder may.
        """
        return self.may_see(kernel_id, identity)

    def held_by(self, address: str) -> int:
        """Kernels this address holds: owned by it, or handed to it and not owned by anyone."""
        return sum(
            1
            for s in self._sessions.values()
            if (s.owner_address if s.owner is not None else s.holder.address) == address
        )

    def note_activity(self, kernel_id: str, now: datetime) -> None:
        """A patient did something on the page."""
        session = self._sessions.get(kernel_id)
        if session is not None:
            session.activity = now

    def add_widget_comms(self, kernel_id: str, comm_ids: Iterable[str]) -> None:
        """Widgets of the page (the kernel opened them, or reported their state)."""
        session = self._sessions.get(kernel_id)
        if session is not None:
            session.widget_comms.update(c for c in comm_ids if isinstance(c, str))

    def remove_widget_comm(self, kernel_id: str, comm_id: str) -> None:
        """A widget of the page was closed."""
        session = self._sessions.get(kernel_id)
        if session is not None:
            session.widget_comms.discard(comm_id)

    def is_widget_activity(self, kernel_id: str, comm_id: object, data: object) -> bool:
        """Whether a ``comm_msg`` from the page is a patient's action on one of its widgets."""
        session = self._sessions.get(kernel_id)
        if session is None or not isinstance(comm_id, str) or not isinstance(data, dict):
            return False
        if comm_id not in session.widget_comms:
            return False
        method = data.get("method")
        if method == "update":
            return isinstance(data.get("state"), dict) and bool(data["state"])
        return method in ACTIVITY_METHODS and isinstance(data.get("content"), dict)

    def allow_client_comm(self, kernel_id: str, limit: int) -> bool:
        """Count a ``comm_open`` from the client; ``False`` past ``limit`` (refuse it)."""
        session = self._sessions.get(kernel_id)
        if session is None:
            return False
        session.client_comms += 1
        return session.client_comms <= limit

    def forget(self, kernel_id: str) -> None:
        """The kernel is gone."""
        self._sessions.pop(kernel_id, None)

    def forget_all_but(self, live: Iterable[str]) -> None:
        """Forget every kernel not in ``live``."""
        keep = set(live)
        for kernel_id in [k for k in self._sessions if k not in keep]:
            del self._sessions[kernel_id]
