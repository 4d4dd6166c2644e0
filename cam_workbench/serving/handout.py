"""Pages nobody connected to yet: which one a visit may be handed; visits being admitted.

Pure bookkeeping for :class:`~cam_workbench.serving.kernels.CappedKernelManager`, which
decides when a visit gets a kernel of its own. Past its limits (a flood of requests that
never connect), a visit may be handed a page already made (:func:`pick_page`), but only one
that cannot hurt anyone:

- a page this browser holds already (the same identity asking again): nobody else's;
- else a page held by a browser of the *same client address*, made at least
  :data:`HAND_ON_AFTER_S` ago (a real page connects about a second after it arrives, so a
  patient still loading it keeps it); it then belongs to the new visitor alone.

Never a page held by another address: a flood from one address cannot hand its pages to
patients elsewhere, then race them to their kernel or end it. (Behind one address, such as a
clinic's network, the browsers there can still take each other's pages that nobody connected
to: the same-address rule is what lets a patient who comes right after a flood from their own
address get a page at once.)
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from cam_workbench.serving.sessions import Visitor

PAGE_WAIT_S: Final = 20.0
"""Past a limit, how long a visit may wait for room or for a page it may be handed."""

HAND_ON_AFTER_S: Final = 5.0
"""A page goes to another browser (of the same address) only this long after it was first
handed out (at most a quarter of the never-connected timeout)."""

EXPIRY_MARGIN_S: Final = 10.0
"""A page nobody connected to is neither handed on nor counted against the limits once it
has less than this left before the culler takes it (at most a quarter of the timeout)."""


_KERNEL_ID_IN_PAGE = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S
)


def kernel_id_of_page(page: str) -> str | None:
    """The kernel id a rendered Voila page connects to (from its ``jupyter-config-data``)."""
    match = _KERNEL_ID_IN_PAGE.search(page)
    if not match:
        return None
    try:
        return json.loads(match.group(1)).get("kernelId")
    except ValueError:
        return None


class Reservations:
    """Visits admitted but not holding a kernel yet, in all and per client address."""

    def __init__(self) -> None:
        """None yet."""
        self.total = 0
        self._by_address: Counter[str] = Counter()

    def of(self, address: str) -> int:
        """Admitted visits of this address."""
        return self._by_address[address]

    def reserve(self, address: str) -> Reservation:
        """Admit a visit of ``address``; it holds its claim until it releases it."""
        self.total += 1
        self._by_address[address] += 1
        return Reservation(self, address)

    def _release(self, address: str) -> None:
        self.total -= 1
        self._by_address[address] -= 1
        if not self._by_address[address]:
            del self._by_address[address]


class Reservation:
    """A visit's claim on one kernel, held until the kernel is really started or taken."""

    def __init__(self, book: Reservations, address: str) -> None:
        """Made by :meth:`Reservations.reserve`."""
        self._book: Reservations | None = book
        self.address = address

    def release(self) -> None:
        """Give the claim back (idempotent)."""
        if self._book is not None:
            self._book._release(self.address)
            self._book = None


@dataclass
class WaitingPage:
    """The rendered page of a handed-out kernel whose page has not connected yet."""

    query: str
    """The query string it was made for (the page's language is in it)."""
    html: str
    handed: float = field(default_factory=time.monotonic)
    """When the page was last handed to a visitor (``time.monotonic()``)."""


@dataclass(frozen=True)
class Candidate:
    """A page nobody connected to, who holds it, and how long ago it was first handed out."""

    kernel_id: str
    page: WaitingPage
    holder: Visitor
    age_s: float


def pick_page(
    candidates: Iterable[Candidate],
    visitor: Visitor,
    query: str,
    hand_on_after_s: float = HAND_ON_AFTER_S,
) -> str | None:
    """The kernel whose page ``visitor`` may be handed (see the module docstring), or ``None``.

    Only a page made for ``query``; one the visitor holds before one of its address; the
    one handed out least recently first.
    """
    own: list[tuple[float, str]] = []
    same_address: list[tuple[float, str]] = []
    for c in candidates:
        if c.page.query != query:
            continue
        if visitor.identity and c.holder.identity == visitor.identity:
            own.append((c.page.handed, c.kernel_id))
        elif c.holder.address == visitor.address and c.age_s >= hand_on_after_s:
            same_address.append((c.page.handed, c.kernel_id))
    if not own and not same_address:
        return None
    return min(own or same_address)[1]
