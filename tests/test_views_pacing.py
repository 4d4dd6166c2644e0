"""The health-record download follows the tracker once typing pauses, not on every key."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any

import pytest
from helpers import guide, open_tracker, run_async

from cam_workbench.content.model import TrackerFile
from cam_workbench.views import pacing
from cam_workbench.views.pacing import AfterPause


def test_outside_a_kernel_the_action_runs_at_once():
    runs: list[int] = []
    later = AfterPause(lambda: runs.append(1))
    later.soon()
    later.soon()
    assert runs == [1, 1] and not later.waiting


def test_on_a_loop_the_action_runs_once_after_the_last_call():
    async def body() -> tuple[list[int], list[int], bool]:
        runs: list[int] = []
        later = AfterPause(lambda: runs.append(1), delay=0.2, loop=asyncio.get_running_loop)
        for _ in range(5):
            later.soon()
            await asyncio.sleep(0.05)
        while_typing = list(runs)
        waiting = later.waiting
        await asyncio.sleep(0.4)
        return while_typing, runs, waiting

    while_typing, runs, waiting = run_async(body())
    assert while_typing == [] and waiting
    assert runs == [1]


def test_now_runs_at_once_and_drops_the_waiting_run():
    async def body() -> list[int]:
        runs: list[int] = []
        later = AfterPause(lambda: runs.append(1), delay=0.1, loop=asyncio.get_running_loop)
        later.soon()
        later.now()
        await asyncio.sleep(0.3)
        return runs

    assert run_async(body()) == [1]


def health_record(downloads_html: str) -> dict[str, Any]:
    data = re.search(r'href="data:application/fhir\+json;[^,]*base64,([^"]+)"', downloads_html)
    assert data is not None
    return json.loads(base64.b64decode(data.group(1)))


def test_typing_a_note_rebuilds_the_health_record_once_the_typing_pauses(
    content, monkeypatch: pytest.MonkeyPatch
):
    tracker = content.of_kind(TrackerFile, "en")[0]
    monkeypatch.setattr(pacing, "kernel_loop", asyncio.get_running_loop)

    async def body() -> tuple[int, int, dict[str, Any]]:
        dashboard = guide(content)
        panel = open_tracker(dashboard, tracker)
        panel.cards[0].before.value = "7"
        await asyncio.sleep(pacing.PAUSE_S + 0.3)
        changes: list[str] = []
        dashboard.downloads.observe(lambda c: changes.append(c["new"]), "value")
        note = panel.cards[0].note
        for letter in "sore next day":
            note.value += letter
            await asyncio.sleep(0.02)
        while_typing = len(changes)
        await asyncio.sleep(pacing.PAUSE_S + 0.3)
        return while_typing, len(changes), health_record(dashboard.downloads.value)

    while_typing, after_pause, record = run_async(body())
    assert while_typing == 0
    assert after_pause == 1
    (first, *_rest) = [e["resource"] for e in record["entry"][1:]]
    assert first["valueInteger"] == 7
    assert first["note"] == [{"text": "sore next day"}]
