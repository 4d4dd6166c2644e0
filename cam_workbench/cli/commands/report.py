"""``cam-workbench report --out FILE.html``: the clinical review packet, one HTML file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from cam_workbench.cli.common import EXIT_OK, UsageError, load

NAME: Final = "report"
HELP: Final = "write the clinical review packet as one HTML file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--out``."""
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE.html", help="where to write the packet"
    )


def run(args: argparse.Namespace) -> int:
    """Write the clinical review packet as one self-contained HTML file."""
    from cam_workbench.review.report import write_report

    out: Path = args.out
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: give a file name in an existing folder")
    content = load(args)
    write_report(content, out)
    print(f"wrote {out}")
    return EXIT_OK
