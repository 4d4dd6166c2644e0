"""Exports and imports: FHIR Questionnaire / QuestionnaireResponse, printable summaries.

Pure functions (no widgets, no I/O): the dashboard and the ``cam-workbench`` command call
the same ones.
"""

from cam_workbench.export.fhir import (
    QuestionnaireExport,
    ReviewDates,
    canonical,
    questionnaire,
    questionnaire_response,
)
from cam_workbench.fhir.importer import ImportProblem, ImportResult, import_questionnaire
from cam_workbench.logic.answers import AnswerInputError, answer_map, parse_answers
from cam_workbench.render.summary import summary_html

__all__ = [
    "AnswerInputError",
    "ImportProblem",
    "ImportResult",
    "QuestionnaireExport",
    "ReviewDates",
    "answer_map",
    "canonical",
    "import_questionnaire",
    "parse_answers",
    "questionnaire",
    "questionnaire_response",
    "summary_html",
]
