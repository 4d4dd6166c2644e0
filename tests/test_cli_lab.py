"""`cam-workbench lab` (what `make lab` runs): how it starts JupyterLab, and its usage errors.

The browser test (tests/e2e/test_lab.py) starts it for real; here its command line is
checked without starting anything (``os.execve`` is replaced).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CONTENT, REPO

from cam_workbench.cli import main
from cam_workbench.cli.commands import lab


@pytest.fixture
def started(monkeypatch):
    """Run ``lab`` up to the point where it would become JupyterLab; return what it ran."""
    calls: list[tuple[str, list[str], dict[str, str]]] = []
    monkeypatch.setattr(os, "execve", lambda path, argv, env: calls.append((path, argv, env)))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    return calls


def test_lab_starts_jupyterlab_on_the_review_notebook_local_only_and_offline(
    started, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CONTENT, tmp_path / "mine")
    assert main(["lab", "--content", "mine", "--port", "9999", "--no-browser"]) == 0
    [(path, argv, env)] = started
    assert path == sys.executable and argv[1:3] == ["-m", "jupyterlab"]
    assert "--ServerApp.ip=127.0.0.1" in argv and "--ServerApp.port=9999" in argv
    assert "--no-browser" in argv
    assert f"--ServerApp.root_dir={REPO}" in argv
    assert "--LabApp.default_url=/lab/tree/notebooks/clinical_review.ipynb" in argv
    # Nothing fetched from outside: no PyPI extension search, no news, no update check.
    assert "--LabApp.extension_manager=readonly" in argv
    assert "--LabApp.news_url=None" in argv
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in argv
    assert not any("token" in arg.lower() or "password" in arg.lower() for arg in argv)
    # The kernel (in notebooks/) gets the content folder as an absolute path.
    assert env["CAM_WORKBENCH_CONTENT"] == str((tmp_path / "mine").resolve())
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(Path(sys.prefix) / "share" / "jupyter")
    config = Path(env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0])
    page_config = (config / "labconfig" / "page_config.json").read_text(encoding="utf-8")
    assert '"@jupyterlab/apputils-extension:announcements": true' in page_config


def test_lab_opens_a_browser_unless_told_not_to(started):
    assert main(["lab", "--content", str(CONTENT)]) == 0
    [(_path, argv, _env)] = started
    assert "--no-browser" not in argv and "--allow-root" not in argv


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--content", "no/such/folder"], "content folder not found"),
        (["--port", "0"], "port must be between 1 and 65535"),
        (["--port", "lab"], "port must be a number"),
    ],
)
def test_lab_usage_errors_exit_2_and_start_nothing(started, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["lab", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert started == []


def test_lab_as_root_needs_allow_root(started, monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(SystemExit) as exit_info:
        main(["lab", "--content", str(CONTENT)])
    assert exit_info.value.code == 2 and "--allow-root" in capsys.readouterr().err
    assert started == []
    assert main(["lab", "--content", str(CONTENT), "--allow-root"]) == 0
    assert "--allow-root" in started[0][1]


def test_lab_without_jupyterlab_says_how_to_install_it(started, monkeypatch, capsys):
    real = lab.importlib.util.find_spec
    monkeypatch.setattr(
        lab.importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real(name)
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["lab", "--content", str(CONTENT)])
    assert exit_info.value.code == 2 and "make lab" in capsys.readouterr().err
    assert started == []


def test_lab_with_broken_content_still_opens_and_says_so(started, content_copy, capsys):
    (content_copy / "en" / "shared.yaml").write_text("kind: [shared\n", encoding="utf-8")
    assert main(["lab", "--content", str(content_copy)]) == 0
    assert "the content does not load yet (1 problem" in capsys.readouterr().err
    assert len(started) == 1  # the live preview shows the problems while they are fixed


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_passes_the_content_folder_and_options():
    out = subprocess.run(
        ["make", "-n", "lab", "CONTENT=some/content", "ARGS=--port 9000"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '.venv/bin/cam-workbench lab --content "some/content" --port 9000' in out
