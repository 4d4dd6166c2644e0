"""The session tracker in real Chromium, and the workshop slides (`serve --workshop`).

The sessions are kept in the browser (localStorage): they survive a reload and a browser
restart in the same profile, another browser context sees none, "Forget my sessions"
removes them, a downloaded copy loads back, and no note typed reaches the server's log or
files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from helpers import CHROMIUM_ARGS, chromium_path
from playwright.sync_api import expect

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile

from .servers import start_server, stop_server

pytestmark = pytest.mark.e2e

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
SCREENING = CONTENT.screening()
SHARED = CONTENT.shared()
TRACKER = CONTENT.of_kind(TrackerFile, "en")[0]


def pain_field(page, number: int):
    """The "Session N" field: its accessible name is "Session N: Pain before ..."."""
    name = f"{TRACKER.labels.session.format(n=number)}: {TRACKER.labels.before}"
    return page.get_by_role("textbox", name=name, exact=True)


KEY = "cam-workbench:session-tracker"


def open_tracker(page, url):
    """Do the safety check, open the tracker, and wait until the device has answered."""
    page.goto(url)
    page.get_by_role("checkbox", name=SCREENING.none_option.text).check(timeout=30_000)
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    expect(page.get_by_role("heading", name=SHARED.ui.guide_heading)).to_be_visible()
    page.get_by_role("button", name=TRACKER.heading).click()
    expect(page.get_by_role("heading", name=TRACKER.heading, level=3)).to_be_visible()
    expect(page.get_by_label(TRACKER.load.label)).to_be_visible()  # the device answered


def kept_on_device(page, text: str) -> None:
    """Wait until the browser's localStorage holds ``text`` in the tracker's record."""
    page.wait_for_function(
        "([key, text]) => (localStorage.getItem(key) || '').includes(text)", arg=[KEY, text]
    )


def health_record_holds(page, scores: int) -> None:
    """Wait until the health-record download holds ``scores`` pain scores: the link follows
    the tracker once typing pauses (not on every key)."""
    page.wait_for_function(
        """([name, n]) => {
            const link = [...document.querySelectorAll('a[download]')]
                .find((a) => a.textContent.trim() === name);
            if (!link) return false;
            const bytes = Uint8Array.from(atob(link.href.split(',')[1]), (c) => c.charCodeAt(0));
            const bundle = JSON.parse(new TextDecoder().decode(bytes));
            return bundle.entry.filter((e) => e.resource.resourceType === 'Observation')
                .length === n;
        }""",
        arg=[TRACKER.labels.download_health_record, scores],
    )


def watch_policy(page) -> list[str]:
    """Collect Content-Security-Policy violations and script errors of the page."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        "  console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI); });"
    )
    return problems


def forget(page) -> None:
    page.get_by_role("button", name=TRACKER.forget.button, exact=True).click()
    expect(page.get_by_text(TRACKER.forget.confirm)).to_be_visible()
    page.get_by_role("button", name=TRACKER.forget.yes).click()
    expect(page.get_by_text(TRACKER.forget.done)).to_be_visible()


def test_four_scores_show_a_50_percent_drop_and_a_chart(page, server, tmp_path):
    open_tracker(page, server.url)
    for number, score in enumerate(("8", "7", "5", "4"), start=1):
        pain_field(page, number).fill(score)
    expect(page.get_by_text("went down by 50%")).to_be_visible()
    milestone = TRACKER.milestone.message.format(n=TRACKER.milestone.after_session)
    expect(page.get_by_text(milestone)).to_be_visible()
    chart = page.get_by_role("img", name=re.compile(re.escape(TRACKER.chart.title)))
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_name(re.compile(r"session 4: 4"))
    assert chart.locator("polyline").count() == 1
    with page.expect_download() as info:
        page.get_by_role("link", name=TRACKER.labels.download).click()
    saved = tmp_path / "sessions.csv"
    info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [row[2] for row in rows[1:]] == ["8", "7", "5", "4"]


def test_a_bad_score_gets_a_message_and_is_not_used(page, server):
    open_tracker(page, server.url)
    pain_field(page, 1).fill("8")
    pain_field(page, 2).fill("11")
    alert = page.get_by_role("alert").filter(has_text=TRACKER.messages.bad_score)
    expect(alert).to_be_visible()
    expect(page.get_by_text(TRACKER.messages.need_two)).to_be_visible()
    pain_field(page, 2).fill("4")
    expect(alert).to_have_count(0)
    expect(page.get_by_text("went down by 50%")).to_be_visible()


def test_scores_survive_a_reload_stay_in_their_browser_and_go_when_forgotten(browser, page, server):
    problems = watch_policy(page)
    open_tracker(page, server.url)
    for number, score in enumerate(("8", "7", "5", "4"), start=1):
        pain_field(page, number).fill(score)
    kept_on_device(page, '"before":4')
    page.reload()
    open_tracker(page, server.url)
    expect(page.get_by_text(TRACKER.device.restored)).to_be_visible()
    expect(pain_field(page, 4)).to_have_value("4")
    expect(page.get_by_text("went down by 50%")).to_be_visible()
    # Another browser context (another profile, another person) sees none of them.
    other = browser.new_context()
    try:
        stranger = other.new_page()
        stranger.set_default_timeout(30_000)
        open_tracker(stranger, server.url)
        expect(pain_field(stranger, 1)).to_have_value("")
        expect(stranger.get_by_text(TRACKER.device.restored)).to_have_count(0)
        assert stranger.evaluate(f"localStorage.getItem('{KEY}')") is None
    finally:
        other.close()
    # "Start again" is about the safety check only: the sessions stay.
    page.get_by_role("button", name=SHARED.ui.start_again).click()
    page.get_by_role("checkbox", name=SCREENING.none_option.text).check()
    page.get_by_role("button", name=SHARED.ui.continue_).click()
    page.get_by_role("button", name=TRACKER.heading).click()
    expect(pain_field(page, 1)).to_have_value("8")
    forget(page)
    assert page.evaluate(f"localStorage.getItem('{KEY}')") is None  # gone at once
    expect(pain_field(page, 1)).to_have_value("")
    page.reload()
    open_tracker(page, server.url)
    expect(pain_field(page, 1)).to_have_value("")
    expect(page.get_by_text(TRACKER.device.restored)).to_have_count(0)
    assert problems == []


def test_scores_are_still_there_weeks_later_in_the_same_browser_profile(browser, server, tmp_path):
    profile = tmp_path / "profile"
    chromium = browser.browser_type

    def visit():
        context = chromium.launch_persistent_context(
            profile, executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(30_000)
        return context, page

    context, page = visit()
    try:
        open_tracker(page, server.url)
        pain_field(page, 1).fill("6")
        page.get_by_role(
            "textbox", name=f"{TRACKER.labels.session.format(n=1)}: {TRACKER.labels.note}"
        ).fill("first visit")
        kept_on_device(page, "first visit")
    finally:
        context.close()  # the browser closes: what it keeps is on disk, in the profile
    context, page = visit()
    try:
        page.clock.set_fixed_time(dt.datetime.now() + dt.timedelta(weeks=6))
        open_tracker(page, server.url)
        expect(pain_field(page, 1)).to_have_value("6")
        expect(page.get_by_text(TRACKER.device.restored)).to_be_visible()
    finally:
        context.close()


def download(page, name: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_a_saved_copy_loads_back_and_a_wrong_file_changes_nothing(page, server, tmp_path):
    problems = watch_policy(page)
    open_tracker(page, server.url)
    for number, score in enumerate(("8", "6"), start=1):
        pain_field(page, number).fill(score)
    kept_on_device(page, '"before":6')
    health_record_holds(page, 2)
    sessions_file = download(page, TRACKER.labels.download, tmp_path)
    record_file = download(page, TRACKER.labels.download_health_record, tmp_path)
    bundle = json.loads(record_file.read_text(encoding="utf-8"))
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "QuestionnaireResponse",
        "Observation",
        "Observation",
    ]
    chooser = page.get_by_label(TRACKER.load.label)
    for saved in (sessions_file, record_file):
        forget(page)
        expect(pain_field(page, 2)).to_have_value("")
        chooser.set_input_files(saved)
        expect(page.get_by_text(TRACKER.load.loaded)).to_be_visible()
        expect(pain_field(page, 2)).to_have_value("6")
        kept_on_device(page, '"before":6')
    # A changed file: a clear message, and nothing on the page or the device changes.
    changed = tmp_path / "changed.csv"
    changed.write_text(sessions_file.read_text(encoding="utf-8").replace(",6,", ",16,"), "utf-8")
    chooser.set_input_files(changed)
    expect(page.get_by_role("alert").filter(has_text=TRACKER.load.bad_line.format(line=3)))
    expect(page.get_by_text(TRACKER.load.bad_line.format(line=3))).to_be_visible()
    expect(pain_field(page, 2)).to_have_value("6")
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (1024 * 1024))  # over the websocket cap: never sent
    chooser.set_input_files(big)
    expect(page.get_by_text(TRACKER.load.too_big)).to_be_visible()
    pain_field(page, 1).fill("7")  # the session still works: nothing was cut off
    expect(page.get_by_text("went down by 14%")).to_be_visible()
    assert problems == []


def files_holding(needle: bytes, roots: list[Path], since: float, skip: list[Path]) -> set[str]:
    """Files under ``roots`` written since ``since`` whose bytes hold ``needle``.

    Under /tmp, a folder not changed since then is not entered (a file created in it would
    have changed it): the machine's /tmp may hold other projects' large trees.
    """
    found = set()
    for root in roots:
        for folder, dirs, names in os.walk(root):
            here = Path(folder)
            kept = []
            for d in dirs:
                sub = here / d
                try:
                    old = root == Path("/tmp") and sub.stat().st_mtime < since
                except OSError:
                    continue
                if (
                    not old
                    and not sub.is_symlink()
                    and not any(sub.is_relative_to(s) for s in skip)
                ):
                    kept.append(d)
            dirs[:] = kept
            for name in names:
                path = here / name
                try:
                    info = path.stat()
                    if path.is_symlink() or info.st_mtime < since or info.st_size > 50 * 2**20:
                        continue
                    if needle in path.read_bytes():
                        found.add(str(path))
                except OSError:
                    continue
    return found


def test_a_note_typed_in_the_tracker_never_reaches_the_servers_log_or_files(
    browser, tmp_path, tmp_path_factory
):
    note = f"TRACKER-NOTE-{os.getpid()}-{time.time_ns()}"
    server_root = Path(tempfile.mkdtemp(prefix="cam-leak-check-"))
    server_tmp, runtime = server_root / "tmp", server_root / "xdg"
    server_tmp.mkdir()
    runtime.mkdir()
    started = time.time() - 1
    server = start_server(
        tmp_path, env={"TMPDIR": str(server_tmp), "XDG_RUNTIME_DIR": str(runtime)}
    )
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_tracker(page, server.url)
        pain_field(page, 1).fill("5")
        note_field = f"{TRACKER.labels.session.format(n=1)}: {TRACKER.labels.note}"
        page.get_by_role("textbox", name=note_field).fill(note)
        kept_on_device(page, note)
        page.reload()
        open_tracker(page, server.url)  # the note goes back to the kernel from the device
        expect(page.get_by_text(TRACKER.device.restored)).to_be_visible()
        copy = download(page, TRACKER.labels.download, tmp_path / "downloads")
        forget(page)
        page.get_by_label(TRACKER.load.label).set_input_files(copy)  # and from a file
        expect(page.get_by_text(TRACKER.load.loaded)).to_be_visible()
        expect(page.get_by_role("textbox", name=note_field)).to_have_value(note)
        roots = [
            server_tmp,  # the server's and its kernels' temporary files
            runtime,  # the runtime folder (connection files)
            CONTENT.root,
            Path("/tmp"),
            Path.home() / ".ipython",
            Path.home() / ".local" / "share" / "jupyter",
        ]
        # Not the server's: this test's own files (the downloaded copy, the server's log,
        # read below) and the browser's (its profile is the patient's device).
        skip = [tmp_path_factory.getbasetemp(), *Path("/tmp").glob("playwright*")]
        skip += list(Path("/tmp").glob(".org.chromium.*"))
        leaks = files_holding(note.encode(), [r for r in roots if r.exists()], started, skip)
        assert leaks == set(), leaks
    finally:
        context.close()
        stop_server(server)
        shutil.rmtree(server_root, ignore_errors=True)
    assert note not in server.log()
    assert "TRACKER-NOTE" not in server.log()


def test_serve_workshop_shows_slides_offline(browser, tmp_path):
    server = start_server(tmp_path, "--workshop")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    outside: list[str] = []

    def local_only(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", local_only)
        page.goto(server.url)
        current = page.locator(".reveal .slides > section.present")
        expect(current).to_be_visible()
        expect(current.get_by_role("heading", level=1)).to_be_visible()
        assert page.locator(".reveal .slides > section").count() >= 8
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        expect(current.get_by_role("heading", name=re.compile(r"^Person A"))).to_be_visible()
        assert outside == []
        # Under the server's Content-Security-Policy: no refused script, no script error.
        assert page.evaluate("window.reveal_width") == 1280
        # JupyterLab's typesetter loads the same MathJax stub once widgets show; slide changes
        # after that still find what Voila's reveal script asks of MathJax.
        typesetter = (
            "performance.getEntriesByType('resource')"
            ".some(r => r.name.includes('delayStartupUntil'))"
        )
        for _ in range(300):
            if page.evaluate(typesetter):
                break
            page.wait_for_timeout(100)
        assert page.evaluate(typesetter)
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")
        expect(current.get_by_role("heading", name=re.compile(r"^Person A"))).to_be_visible()
        assert errors == []
    finally:
        context.close()
        stop_server(server)
