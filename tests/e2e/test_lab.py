"""`make lab` end to end: `cam-workbench lab` starts JupyterLab; a reviewer runs the review
notebook from the Run menu in real Chromium and uses its widgets (live preview, word-level
changes, tables). Offline: every request the page makes goes to 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import CONTENT, edit, sign_off
from playwright.sync_api import Page, expect

from cam_workbench.content.loading import load_content
from cam_workbench.content.model import TrackerFile
from cam_workbench.review.preview import stops

from .servers import REPO, free_port, wait_for_port

pytestmark = pytest.mark.e2e

OLD = "It most often takes about 4 sessions to tell if acupuncture is helping you."
NEW = "It often takes about 6 sessions to tell if acupuncture is helping you."
NOTEBOOK = REPO / "notebooks" / "clinical_review.ipynb"
SHIPPED = load_content(CONTENT)
ES = SHIPPED.shared("es")
ES_DOCTOR = next(o for o in SHIPPED.screening("es").outcomes if o.id == "see_doctor")
CONFIRM_STEP = next(s for s in stops(SHIPPED, "es") if s.key == "outcome:see_doctor:confirm")
TRACKER_STEP = next(s for s in stops(SHIPPED, "es") if s.key == "tracker")
KERNEL_IDLE = """() => [...document.querySelectorAll('.jp-StatusBar-Widget')]
  .some(e => e.textContent.includes('(ipykernel) | Idle'))"""
ALL_PROMPTS_NUMBERED = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
    .map(e => e.textContent.trim());
  return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
}"""


@dataclass
class Lab:
    url: str
    port: int
    token: str
    content: Path
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def lab(tmp_path_factory, reviewer_keys) -> Iterator[Lab]:
    """`cam-workbench lab` (what `make lab CONTENT=...` runs) on an approved, then edited copy.

    Jupyter's own folders (settings, workspaces, runtime, IPython history) go to a
    temporary folder, so the test neither reads nor writes the user's; autosave is off there,
    so running the notebook does not write its outputs into the repository.
    """
    tmp = tmp_path_factory.mktemp("lab")
    content = tmp / "content"
    shutil.copytree(CONTENT, content)
    sign_off(content, reviewer_keys)
    edit(content / "en" / "acupuncture.yaml", OLD, NEW)
    settings = tmp / "config" / "lab" / "user-settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text('{"autosave": false}', encoding="utf-8")
    port, token = free_port(), secrets.token_hex(24)
    env = {
        **os.environ,
        "JUPYTER_TOKEN": token,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "IPYTHONDIR": str(tmp / "ipython"),
    }
    args = ["lab", "--content", str(content), "--port", str(port), "--no-browser"]
    if os.geteuid() == 0:
        args.append("--allow-root")  # containers run the tests as root
    log_path = tmp / "lab.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("cam-workbench")), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
            start_new_session=True,
        )
    lab = Lab(f"http://127.0.0.1:{port}", port, token, content, proc, log_path)
    try:
        wait_for_port(port, proc)
        yield lab
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()


def _run_all_cells(page: Page) -> None:
    """Run every cell as a reviewer does: Run menu → Run All Cells; wait until all have run."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(ALL_PROMPTS_NUMBERED, timeout=180_000)
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)


def test_the_review_notebook_runs_in_jupyterlab_with_its_widgets_and_no_error(browser, lab):
    assert "127.0.0.1" in lab.log() and "0.0.0.0" not in lab.log()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    elsewhere: list[str] = []
    local = (lab.url, "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(local) else elsewhere.append(r.url))
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    stored = NOTEBOOK.read_bytes()
    try:
        # Without the token: the login page, not the notebook.
        page.goto(f"{lab.url}/lab/tree/notebooks/clinical_review.ipynb")
        expect(page.locator("input[type=password]").first).to_be_visible()
        page.goto(f"{lab.url}/lab/tree/notebooks/clinical_review.ipynb?token={lab.token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=90_000)
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)  # its kernel started and connected
        _run_all_cells(page)

        notebook = page.locator(".jp-NotebookPanel")
        errors = notebook.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        assert errors.count() == 0, errors.all_inner_texts()
        assert notebook.get_by_text("Error displaying widget").count() == 0
        assert notebook.get_by_text("Traceback").count() == 0

        # What changed, word by word (the approved sentence against the file as it is now).
        changes = notebook.locator(".cam-wdiff")
        expect(changes.locator("del", has_text="4")).to_be_visible()
        expect(changes.locator("ins", has_text="6")).to_be_visible()
        expect(changes.get_by_text("sections/why_it_is_done: changed")).to_be_visible()

        # The live preview: the patient page with its banner, in English.
        preview = notebook.locator(".cam-live-preview")
        banner = preview.locator(".cam-preview")
        expect(banner).to_have_text(SHIPPED.shared("en").ui.preview_banner)
        question = SHIPPED.screening("en").items[0].text
        expect(preview.get_by_role("checkbox", name=question)).to_be_visible()
        # In Spanish: the tracker, then the doctor advice's confirm step (the page's own flow).
        preview.get_by_role("combobox", name="Language").select_option(label="Español")
        expect(banner).to_have_text(ES.ui.preview_banner)
        screen = preview.get_by_role("combobox", name="Screen")
        # The tracker's cards, and none of the page's device widgets (their code is in the
        # patient page's template only: JupyterLab has none, and would show an error).
        screen.select_option(label=TRACKER_STEP.label)
        [tracker] = SHIPPED.of_kind(TrackerFile, "es")
        expect(preview.get_by_role("heading", name=tracker.heading).first).to_be_visible()
        expect(preview.locator(".cam-sessions")).to_be_visible()
        assert notebook.get_by_text("Error displaying widget").count() == 0
        assert not [m for m in console if "cam-workbench-device" in m], console
        screen.select_option(label=CONFIRM_STEP.label)
        expect(preview.get_by_role("heading", name=ES_DOCTOR.heading)).to_be_visible()
        expect(preview.locator(".cam-confirm")).to_have_text(ES.ui.clearance.confirm)
        expect(preview.get_by_role("button", name=ES.ui.clearance.yes)).to_be_visible()
        # An edit on disk shows after Refresh; a broken file shows where, in its place.
        spanish = lab.content / "es" / "screening.yaml"
        edit(spanish, ES_DOCTOR.heading, ES_DOCTOR.heading + " hoy")
        preview.get_by_role("button", name="Refresh").click()
        expect(preview.get_by_role("heading", name=ES_DOCTOR.heading + " hoy")).to_be_visible()
        edit(spanish, "\nkind: screening", "\nkind: [screening")
        preview.get_by_role("button", name="Refresh").click()
        problems = preview.locator(".cam-problems")
        expect(problems).to_contain_text("es/screening.yaml:")
        expect(problems).to_contain_text("YAML syntax error")
        assert preview.locator(".cam-app").count() == 0

        # The table picker still works.
        picker = notebook.get_by_role("combobox", name="Table")
        picker.select_option(label="Sources")
        expect(notebook.get_by_text("qaseem-2017-acp").first).to_be_visible()
        assert elsewhere == [], f"requests that left the machine: {elsewhere}"
        assert NOTEBOOK.read_bytes() == stored  # stored without outputs, as committed
    finally:
        context.close()
