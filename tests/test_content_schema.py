"""The committed JSON Schema matches the model, and every content file points at it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import CONTENT, SCHEMA, edit

from cam_workbench.content.loading import content_files
from cam_workbench.content.model import content_json_schema
from cam_workbench.content.yamlsafe import parse

CONTENT_FILES = content_files(CONTENT)
SCHEMA_COMMENT = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(CONTENT)) for p in paths]


def _data(path: Path) -> object:
    """The file's data as the loader reads it (dates stay text, as in JSON)."""
    parsed, problems = parse(path.read_text(encoding="utf-8"), str(path))
    assert parsed is not None and not problems, problems
    return parsed.data


def test_shipped_content_is_found():
    assert len(CONTENT_FILES) >= 3
    assert not [p for p in CONTENT_FILES if "schema" in p.parts[len(CONTENT.parts) :]]


def test_committed_schema_is_up_to_date():
    expected = json.dumps(content_json_schema(), indent=2, sort_keys=True) + "\n"
    committed = SCHEMA.read_text(encoding="utf-8") if SCHEMA.exists() else ""
    assert committed == expected, (
        f"{SCHEMA.relative_to(CONTENT.parent)} is out of date with the model: "
        "run 'cam-workbench schema' and commit the result"
    )


@pytest.mark.parametrize("path", CONTENT_FILES, ids=_ids(CONTENT_FILES))
def test_first_line_points_editors_at_the_schema(path):
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    match = SCHEMA_COMMENT.match(first_line)
    assert match, f"{path.name}: first line must be '# yaml-language-server: $schema=...'"
    assert (path.parent / match["path"]).resolve() == SCHEMA.resolve()


def test_english_files_use_the_documented_relative_path():
    for path in (CONTENT / "en").glob("*.yaml"):
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line == "# yaml-language-server: $schema=../schema/content.schema.json"


try:
    import jsonschema
except ImportError:  # optional: it comes with jupyter; without it these tests skip
    jsonschema = None


@pytest.fixture(scope="module")
def validator():
    if jsonschema is None:
        pytest.skip("jsonschema is not installed")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("path", CONTENT_FILES, ids=_ids(CONTENT_FILES))
def test_shipped_file_validates_against_committed_schema(validator, path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_data(path))]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  status: draft\n", "  status: finished\n"),
        ("  title: Back pain program safety check\n", "  titel: Back pain program safety check\n"),
        ("kind: screening\n", "kind: screenin\n"),
        ("    tier: 1\n", "    tier: high\n"),
        ("  next_review_due: 2027-02-28\n", "  next_review_due: soon\n"),
    ],
)
def test_schema_catches_what_an_editor_should_flag(validator, content_copy, old, new):
    path = content_copy / "en" / "screening.yaml"
    edit(path, old, new)
    assert list(validator.iter_errors(_data(path))), "the schema accepted a broken file"
