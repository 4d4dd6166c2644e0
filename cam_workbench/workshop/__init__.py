"""The educators' workshop (``notebooks/workshop.ipynb``): personas and a rule change.

Fictional personas are walked through the real logic, and a rule change is tried on a copy
of the content; the slides show both. Read top-down:

- :mod:`~cam_workbench.workshop.personas`: each persona through the patient flow and tracker.
- :mod:`~cam_workbench.workshop.rule_change`: a change to the rules, tried in a copy.
- :mod:`~cam_workbench.workshop.slides`: the HTML of the slides.
"""

from cam_workbench.workshop.personas import (
    Walk,
    labels,
    persona,
    persona_problems,
    persona_sessions,
    personas,
    walk,
)
from cam_workbench.workshop.rule_change import (
    RowChange,
    RuleChange,
    compare_tables,
    suggested_change,
    try_rule_change,
)
from cam_workbench.workshop.slides import personas_html, presenter_css, rule_change_html, walk_html

__all__ = [
    "RowChange",
    "RuleChange",
    "Walk",
    "compare_tables",
    "labels",
    "persona",
    "persona_problems",
    "persona_sessions",
    "personas",
    "personas_html",
    "presenter_css",
    "rule_change_html",
    "suggested_change",
    "try_rule_change",
    "walk",
    "walk_html",
]
