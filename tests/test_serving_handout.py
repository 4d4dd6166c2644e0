"""Who is given which kernel: the cap, the limits on pages waiting to connect, handing on.

The kernel manager's bookkeeping, unit by unit, with pretend kernels (the live server, with a
flood from another address and a patient in Chromium, is in tests/e2e/).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from typing import Any

from helpers import run_async

from cam_workbench.serving import CappedKernelManager, kernel_id_of_page
from cam_workbench.serving.handout import HAND_ON_AFTER_S
from cam_workbench.serving.sessions import Visitor

FLOODER = Visitor("flooder", "10.0.0.2")
NEIGHBOUR = Visitor("neighbour", "10.0.0.2")  # another browser behind the flooder's address
PATIENT = Visitor("patient", "10.0.0.1")


def manager_of(**limits: Any) -> CappedKernelManager:
    return CappedKernelManager(log=logging.getLogger("test"), **limits)


def fake_kernels(manager: CappedKernelManager, *kernel_ids: str) -> None:
    """Pretend these kernels run (the bookkeeping only looks at the ids)."""
    for kernel_id in kernel_ids:
        manager._kernels[kernel_id] = object()


def page_for(kernel_id: str) -> str:
    config = json.dumps({"baseUrl": "/", "kernelId": kernel_id})
    return f'<html><script id="jupyter-config-data" type="application/json">{config}</script>'


def handed(
    manager: CappedKernelManager, visitor: Visitor, *kernel_ids: str, age_s: float = 30
) -> None:
    """Pages of these (pretend) kernels were handed to ``visitor`` ``age_s`` seconds ago."""
    fake_kernels(manager, *kernel_ids)
    manager.note_handed_out()
    for kernel_id in kernel_ids:
        manager.hand_out(page_for(kernel_id), visitor)
        manager._handed_out_at[kernel_id] -= datetime.timedelta(seconds=age_s)
        manager.keep_page(page_for(kernel_id), "")


def recycled(manager: CappedKernelManager, visitor: Visitor, query: str = "") -> str | None:
    page = manager.recycle(query, visitor)
    return kernel_id_of_page(page) if page is not None else None


def test_cap_counts_admitted_visits_until_they_hold_a_kernel():
    manager = manager_of(max_kernels=3)
    claims = [manager.try_reserve(f"10.0.0.{n}") for n in range(3)]
    assert all(claims)
    assert manager.try_reserve("10.0.0.9") is None  # busy
    claims[0].release()
    claims[0].release()  # idempotent
    assert manager.projected_kernel_count() == 2
    assert manager.try_reserve("10.0.0.9") is not None


def test_one_address_cannot_hold_every_page_waiting_to_connect():
    manager = manager_of(max_unconnected=4, max_unconnected_per_address=2)
    flood = [manager.try_reserve(FLOODER.address) for _ in range(2)]
    assert all(flood)
    assert manager.try_reserve(FLOODER.address) is None
    assert manager.try_reserve(PATIENT.address) is not None  # another address has room
    for reservation in flood:
        reservation.release()
    handed(manager, FLOODER, "k1", "k2")  # now rendered and handed out: they still count
    assert manager.try_reserve(FLOODER.address) is None
    assert manager.unconnected_of(FLOODER.address) == 2


def test_past_the_limits_a_visit_gets_its_own_page_or_one_of_its_address_never_anothers():
    manager = manager_of(max_unconnected_per_address=2)
    handed(manager, FLOODER, "k1", "k2")
    before = dict(manager._handed_out_at)
    assert manager.try_reserve(FLOODER.address) is None
    # The flooder asking again gets its own pages back (least recently handed first).
    assert recycled(manager, FLOODER) == "k1"
    assert recycled(manager, FLOODER) == "k2"
    assert recycled(manager, FLOODER, "lang=es") is None  # only for the same query
    # A patient at another address is never given a page the flooder holds.
    assert recycled(manager, PATIENT) is None
    # Another browser at the flooder's address may be: then it is that browser's alone.
    taken = recycled(manager, NEIGHBOUR)
    assert taken == "k1"
    book = manager.sessions
    assert not manager.claim(taken, FLOODER, "flooder-session")
    assert not book.may_see(taken, FLOODER.identity)
    assert not book.may_shut_down(taken, FLOODER.identity)
    assert manager.claim(taken, NEIGHBOUR, "neighbour-session")
    # Handing pages on never restarts their never-connected time.
    assert manager._handed_out_at == before


def test_a_page_goes_to_another_browser_only_seconds_after_it_was_first_handed_out():
    manager = manager_of(max_unconnected_per_address=1)
    handed(manager, FLOODER, "k1", age_s=HAND_ON_AFTER_S / 2)  # its page may still be loading
    assert recycled(manager, NEIGHBOUR) is None
    assert recycled(manager, FLOODER) == "k1"  # the same browser asking again
    manager._handed_out_at["k1"] -= datetime.timedelta(seconds=HAND_ON_AFTER_S)
    assert recycled(manager, NEIGHBOUR) == "k1"


def test_pages_about_to_be_culled_go_to_nobody_and_count_for_nothing():
    manager = manager_of(unconnected_timeout=60, max_unconnected_per_address=1)
    handed(manager, FLOODER, "k1", age_s=55)
    assert manager.unconnected_kernels() == []
    assert recycled(manager, FLOODER) is None and recycled(manager, NEIGHBOUR) is None
    assert manager.try_reserve(FLOODER.address) is not None


def test_a_connected_page_is_handed_to_nobody_and_makes_room():
    manager = manager_of(max_unconnected=2)
    handed(manager, FLOODER, "k1", "k2")
    assert manager.try_reserve(PATIENT.address) is None
    manager.notify_connect("k1")  # k1's page connected: it is someone's now
    assert {recycled(manager, NEIGHBOUR) for _ in range(3)} == {"k2"}
    assert manager.try_reserve(PATIENT.address) is not None


def test_at_the_start_of_a_flood_visits_wait_for_a_page_being_made_not_the_busy_page():
    manager = manager_of(max_unconnected=1)
    reservation = manager.try_reserve(FLOODER.address)  # the first visit's page is being made
    assert reservation is not None
    assert manager.try_reserve(FLOODER.address) is None  # the next visit may not start a kernel

    async def page_made_later() -> None:
        await asyncio.sleep(0.3)
        reservation.release()
        handed(manager, FLOODER, "k1")

    async def visit() -> tuple[Any, Any]:
        maker = asyncio.create_task(page_made_later())
        shared = await manager.wait_for_room("", FLOODER, timeout_s=5)
        other = await manager.wait_for_room("lang=es", FLOODER, timeout_s=0.5)
        await maker
        return shared, other

    shared, other = run_async(visit())
    assert kernel_id_of_page(shared) == "k1"
    assert other is None  # no page for that query: the busy page


def test_a_waiting_visit_gets_room_when_a_page_connects():
    manager = manager_of(max_unconnected=1)
    handed(manager, FLOODER, "k1")

    async def visit() -> Any:
        asyncio.get_running_loop().call_later(0.3, manager.notify_connect, "k1")
        return await manager.wait_for_room("", PATIENT, timeout_s=5)

    room = run_async(visit())
    assert room is not None and not isinstance(room, str)  # a reservation: a kernel of its own


def test_waiting_gives_up_after_its_timeout_and_not_at_all_when_nothing_can_change():
    manager = manager_of(max_unconnected=1)
    assert manager.try_reserve(FLOODER.address) is not None  # a page that is never finished
    assert run_async(manager.wait_for_room("", PATIENT, timeout_s=0.3)) is None
    full = manager_of(max_kernels=3)
    fake_kernels(full, "k1", "k2", "k3")  # every kernel is a connected patient's
    for kernel_id in ("k1", "k2", "k3"):
        full.notify_connect(kernel_id)
    assert run_async(full.wait_for_room("", PATIENT, timeout_s=30)) is None


def test_first_websocket_session_of_a_visitor_given_the_page_owns_the_kernel():
    manager = manager_of()
    fake_kernels(manager, "k1", "k2")
    patient, other = Visitor("patient", "10.0.0.1"), Visitor("other", "10.0.0.1")
    manager.hand_out(page_for("k1"), patient)
    assert not manager.claim("k1", other, "session-o")  # never given this page
    assert manager.claim("k1", patient, "session-a")
    assert manager.claim("k1", patient, "session-a")  # the same page reconnecting
    assert not manager.claim("k1", patient, "session-b")  # another tab of the same browser
    assert not manager.claim("k1", patient, "")
    assert not manager.claim("k2", patient, "session-a")  # a pool kernel nobody was given
    assert not manager.claim("unknown", patient, "session-a")
