"""The private runtime folder and the pinned production content, unit by unit.

(The live server, killed with SIGKILL and serving pinned content, is in tests/e2e/.)
"""

from __future__ import annotations

import fcntl
import os
import stat

import pytest
from helpers import edit

from cam_workbench.content.loading import load_content
from cam_workbench.serving import ServeOptions, ServerTexts, voila_config
from cam_workbench.serving.runtime import (
    ContentChanged,
    RuntimeFolderProblem,
    claim_runtime_folder,
    pin_content,
)

TEXTS = ServerTexts("t", "busy", "busy.", "error", "error.", "lost.")


def test_the_runtime_folder_is_private_locked_and_emptied_at_claim(tmp_path):
    root = tmp_path / "runtime"
    stale = root / "8866" / "voila_old" / "kernel-old.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    folder = claim_runtime_folder(8866, root)
    try:
        assert not stale.exists()
        for path in (root, folder.path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o700
        with pytest.raises(RuntimeFolderProblem, match="another cam-workbench serve"):
            claim_runtime_folder(8866, root)
    finally:
        folder.release()
    assert not folder.path.exists()
    claim_runtime_folder(8866, root).release()  # free again


def test_a_start_removes_what_killed_servers_left_for_other_ports_and_a_stop_its_own(tmp_path):
    root = tmp_path / "runtime"
    for port in ("9001", "9002", "9003"):
        (root / port / "voila_old").mkdir(parents=True)
        (root / port / "voila_old" / "kernel-old.json").write_text("{}")
    (root / "9001.lock").write_text("")  # its server was killed: nobody holds the lock
    (root / "9004.lock").write_text("")  # a lock file alone
    with open(root / "9002.lock", "a") as running:  # a server still runs on 9002
        fcntl.flock(running.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        folder = claim_runtime_folder(8866, root)
        try:
            left = sorted(p.name for p in root.iterdir())
            assert left == ["8866", "8866.lock", "9002", "9002.lock"]
            assert (root / "9002" / "voila_old" / "kernel-old.json").exists()
        finally:
            folder.release()
    assert sorted(p.name for p in root.iterdir()) == ["9002", "9002.lock"]


def test_a_runtime_root_that_is_not_ours_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "runtime").symlink_to(target)
    with pytest.raises(RuntimeFolderProblem, match="not a folder"):
        claim_runtime_folder(8866, tmp_path / "runtime")


def test_pinned_content_is_a_read_only_copy_of_what_was_checked(content_copy, tmp_path):
    checked = load_content(content_copy)
    pinned = pin_content(checked, tmp_path / "pinned")
    assert load_content(pinned).screening().items == checked.screening().items
    guide = pinned / "en" / "acupuncture.yaml"
    assert stat.S_IMODE(guide.stat().st_mode) == 0o444
    assert stat.S_IMODE(pinned.stat().st_mode) == 0o555
    if os.geteuid() != 0:  # root writes anyway; the mode is what protects other users
        with pytest.raises(PermissionError):
            guide.write_text("changed")


def test_content_changed_after_the_check_is_not_pinned(content_copy, tmp_path):
    checked = load_content(content_copy)
    edit(content_copy / "en" / "shared.yaml", "page_title:", "page_title: Changed. #")
    with pytest.raises(ContentChanged, match="en/shared.yaml"):
        pin_content(checked, tmp_path / "pinned")


def test_kernel_connection_files_go_to_the_runtime_folder(tmp_path):
    options = ServeOptions(notebook=tmp_path / "n.ipynb", texts=TEXTS, runtime_dir=tmp_path)
    assert voila_config(options).Voila.connection_dir_root == str(tmp_path)
