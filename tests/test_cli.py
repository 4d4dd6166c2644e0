"""The real ``cam-workbench`` console script: exit codes, messages, never a traceback."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CONTENT, edit, line_of, write_yaml

from cam_workbench.cli import build_parser, main
from cam_workbench.content.yamlsafe import MAX_BYTES
from cam_workbench.paths import CONTENT_ENV

BIN = Path(sys.executable).parent
SCRIPT = shutil.which("cam-workbench", path=str(BIN)) or shutil.which("cam-workbench")
PROBLEM_LINE = re.compile(r"^(?P<path>\S+\.ya?ml):(?P<line>[1-9]\d*): .+ — .+$")


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 30):
    """Run the installed console script; fail the test on a traceback."""
    assert SCRIPT, "the cam-workbench console script is not installed in this environment"
    full_env = {k: v for k, v in os.environ.items() if k != CONTENT_ENV} | (env or {})
    result = subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


def test_validate_shipped_content():
    result = run("validate", "--content", str(CONTENT))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert re.search(r"\d+ files \(en: \d+ screening items, \d+ guide sections", lines[0]), lines[0]


def test_validate_default_content_is_the_repository_content():
    result = run("validate")
    assert result.returncode == 0, result.stderr


def test_validate_reports_every_problem_as_path_line(content_copy):
    edit(content_copy / "en" / "screening.yaml", "  status: draft\n", "  status: finished\n")
    edit(content_copy / "en" / "shared.yaml", "  title: Texts", "  titel: Texts")
    result = run("validate", "--content", str(content_copy))
    assert result.returncode == 1
    assert result.stdout == ""
    *problems, summary = result.stderr.splitlines()
    assert len(problems) >= 2
    for line in problems:
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert Path(match["path"]).is_file()
    assert {Path(PROBLEM_LINE.match(line)["path"]).name for line in problems} == {
        "screening.yaml",
        "shared.yaml",
    }
    assert summary == f"{len(problems)} problems found."


def test_validate_reads_the_content_folder_from_the_environment(content_copy):
    text = edit(content_copy / "en" / "screening.yaml", "  status: draft\n", "  status: finished\n")
    result = run("validate", env={CONTENT_ENV: str(content_copy)})
    assert result.returncode == 1
    assert f"screening.yaml:{line_of(text, 'status: finished')}:" in result.stderr


@pytest.mark.parametrize("command", ["validate", "schema"])  # serve: slow to start, see below
def test_missing_content_folder_is_a_usage_error(tmp_path, command):
    missing = tmp_path / "no-such-folder"
    result = run(command, "--content", str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr


def test_content_that_is_a_file_is_a_usage_error():
    result = run("validate", "--content", str(CONTENT / "en" / "screening.yaml"))
    assert result.returncode == 2


def test_empty_content_folder_is_a_content_problem(tmp_path):
    result = run("validate", "--content", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path}:1:" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frobnicate"],
        ["validate", "--frobnicate"],
        ["validate", "--content"],
        ["validate", "extra-argument"],
        ["serve", "--port", "http"],
        ["serve", "--port", "70000"],
    ],
    ids=lambda args: " ".join(args) or "no command",
)
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.returncode == 2
    assert "usage: cam-workbench" in result.stderr


@pytest.mark.parametrize(
    ("args", "command", "unknown"),
    [
        (["serve", "--prot", "8866"], "serve", "--prot 8866"),
        (["validate", "extra-argument"], "validate", "extra-argument"),
        (["translation", "export", "--lang", "es", "--bogus"], "translation", "--bogus"),
    ],
)
def test_an_unknown_argument_is_named_with_the_commands_own_usage(args, command, unknown):
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"usage: cam-workbench {command} ")
    assert f"cam-workbench {command}: error: unrecognized arguments: {unknown} (" in lines[-1]
    assert f"see 'cam-workbench {command} --help' for its options" in lines[-1]


def test_every_subcommand_is_listed_in_help():
    result = run("--help")
    assert result.returncode == 0
    for name in subcommands():
        assert name in result.stdout


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_accepts_content(command, capsys):
    # the console script's own parser, in-process: one subprocess per command is slow
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    assert "--content DIR" in capsys.readouterr().out


def test_schema_check_and_regenerate(content_copy):
    schema = content_copy / "schema" / "content.schema.json"
    assert run("schema", "--check", "--content", str(content_copy)).returncode == 0

    schema.write_text("{}\n", encoding="utf-8")
    stale = run("schema", "--check", "--content", str(content_copy))
    assert stale.returncode == 1
    assert "cam-workbench schema" in stale.stderr

    assert run("schema", "--content", str(content_copy)).returncode == 0
    assert schema.read_bytes() == (CONTENT / "schema" / "content.schema.json").read_bytes()
    assert run("schema", "--check", "--content", str(content_copy)).returncode == 0


def test_serve_refuses_broken_content_before_starting(content_copy):
    text = edit(content_copy / "en" / "screening.yaml", "  status: draft\n", "  status: finished\n")
    result = run("serve", "--content", str(content_copy), "--port", "1", timeout=20)
    assert result.returncode == 1
    assert f"screening.yaml:{line_of(text, 'status: finished')}:" in result.stderr


HOSTILE = {
    "python tag": "kind: guide\nintro: !!python/object/apply:os.system ['echo pwned']\n",
    "alias bomb": "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n",
    "deep nesting": "[" * 100_000,
    "merge key": "kind: guide\n<<: {intro: [x]}\n",
    "value key": "kind: guide\nintro: =\n",
    "list as key": "kind: guide\n? [a, b]\n: 1\n",
    "null document": "null\n",
    "empty": "",
    "second document": "kind: guide\n---\nkind: shared\n",
    "control character": "kind: guide\nintro: \x00\n",
    "non-UTF-8": b"kind: guide\nintro: \xff\xfe\n",
    "random bytes": bytes(range(256)) * 4,
    "over the size limit": b"# " + b"x" * MAX_BYTES,
    "top-level list": "- kind: guide\n",
    "kind is a list": "kind: [guide]\n",
    "meta is text": "kind: guide\nmeta: hello\nsections: 3\nsources: {}\n",
    "huge number": "kind: screening\nmeta: {version: " + "9" * 5000 + "}\n",
}


def _write_hostile(content: Path, name: str, text: str | bytes) -> str:
    filename = re.sub(r"\W+", "-", name) + ".yaml"
    write_yaml(content / "en" / filename, text)
    return filename


def test_hostile_files_through_the_console_script(content_copy):
    names = [_write_hostile(content_copy, name, text) for name, text in HOSTILE.items()]
    result = run("validate", "--content", str(content_copy), timeout=30)
    assert result.returncode == 1, result.stdout + result.stderr
    *problems, summary = result.stderr.splitlines()
    assert all(PROBLEM_LINE.match(line) for line in problems), result.stderr
    assert summary == f"{len(problems)} problems found."
    named = {Path(PROBLEM_LINE.match(line)["path"]).name for line in problems}
    assert named == set(names), "every hostile file, and only those, is reported"


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_file_gives_problems_never_a_traceback(content_copy, text, capsys):
    # cli.main in-process (one subprocess per file is slow): an exception would fail the test
    filename = _write_hostile(content_copy, "hostile", text)
    assert main(["validate", "--content", str(content_copy)]) == 1
    captured = capsys.readouterr()
    *problems, _summary = captured.err.splitlines()
    assert problems and all(PROBLEM_LINE.match(line) for line in problems), captured.err
    assert all(f"{filename}:" in line for line in problems)


def test_serve_help_names_the_real_max_kernels_default():
    import dataclasses

    from cam_workbench.serving import ServeOptions

    default = next(f.default for f in dataclasses.fields(ServeOptions) if f.name == "max_kernels")
    serve = next(
        action.choices["serve"]
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert f"(default {default})" in " ".join(serve.format_help().split())


CLI = [str(Path(sys.executable).with_name("cam-workbench"))]
EXPORT_PO = ["translation", "export", "--lang", "es", "--format", "po"]


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """``cam-workbench ... | head``: the pipe closes early; no traceback, exit 141 as cat."""
    proc = subprocess.Popen(
        [*CLI, *EXPORT_PO], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=CONTENT.parent
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command writes anything
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_output_that_cannot_be_written_is_a_clear_error_not_a_traceback():
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [*CLI, *EXPORT_PO], stdout=full, stderr=subprocess.PIPE, text=True, cwd=CONTENT.parent
        )
    assert done.returncode == 1
    assert done.stderr == "cam-workbench translation: error: [Errno 28] No space left on device\n"
