"""``cam-workbench schema [--check]``: regenerate (or check) the JSON Schema of content files."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Final

from cam_workbench.cli.common import EXIT_OK, EXIT_PROBLEMS, content_dir
from cam_workbench.paths import schema_path

NAME: Final = "schema"
HELP: Final = "regenerate the JSON Schema for content files from the model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--check``."""
    parser.add_argument(
        "--check", action="store_true", help="only check the committed schema is up to date"
    )


def run(args: argparse.Namespace) -> int:
    """Write (or with --check, compare) the generated JSON Schema for content files."""
    from cam_workbench.content.model import content_json_schema

    target = schema_path(content_dir(args))
    text = json.dumps(content_json_schema(), indent=2, sort_keys=True) + "\n"
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date — run 'cam-workbench schema'", file=sys.stderr)
            return EXIT_PROBLEMS
        print(f"{target} matches the model.")
        return EXIT_OK
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return EXIT_OK
