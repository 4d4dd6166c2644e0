"""CAM workbench: clinical content (YAML) → validated model → patient dashboard and tools."""

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content
from cam_workbench.content.problems import ContentError, Problem, ProblemCode
from cam_workbench.content.rules import Answers, Decision, decide
from cam_workbench.logic.screening import AnswerError, evaluate
from cam_workbench.paths import default_content_dir

__all__ = [
    "AnswerError",
    "Answers",
    "ContentError",
    "ContentSet",
    "Decision",
    "Problem",
    "ProblemCode",
    "decide",
    "default_content_dir",
    "evaluate",
    "load_content",
]
