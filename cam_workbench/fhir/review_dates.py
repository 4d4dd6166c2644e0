"""Approval and last review dates of a screening, from the sign-off record where present."""

from __future__ import annotations

from cam_workbench.content.contentset import ContentSet, patient_files
from cam_workbench.content.model import ScreeningFile
from cam_workbench.content.signoff import file_status, last_checked
from cam_workbench.fhir.questionnaire import ReviewDates


def review_dates(content: ContentSet, screening: ScreeningFile) -> tuple[ReviewDates, list[str]]:
    """Return the screening's :class:`ReviewDates` and notes on them.

    ``approvalDate`` is the sign-off date when the screening file is approved and unchanged
    since; ``lastReviewDate`` is the later of that date and ``meta.last_reviewed``. An
    approval of an older state of the file is not used (and a note says so).
    """
    base = ReviewDates.from_meta(screening.meta)
    name = next((n for n, f in patient_files(content).items() if f.model is screening), None)
    statuses = file_status(content)
    status = next((s for s in statuses if s.file == name), None)
    if status is None or status.approval is None:
        return base, []
    if not status.ok:
        return base, [
            f"{name} was approved on {status.approval.date} but has changed since: "
            "no approvalDate in the export"
        ]
    (last,) = last_checked(content, [screening], statuses)  # the patient page's rule too
    return ReviewDates(approval_date=status.approval.date, last_review_date=last), []
