"""PEMAT-P scores from a checklist file (kind ``pemat``).

AHRQ's Patient Education Materials Assessment Tool for printable materials has 17
understandability and 7 actionability items, each Agree (1 point), Disagree (0) or N/A (not
counted). Each domain's score is points / applicable items × 100; 70% or more counts as
understandable (or actionable). A score below that is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.model import PEMAT_P_ITEMS, PematFile, PematRating

#: A domain scoring below this percentage is flagged (PEMAT's threshold).
PEMAT_TARGET: Final = 70.0
DOMAINS: Final = ("understandability", "actionability")


@dataclass(frozen=True)
class DomainScore:
    """The score of one PEMAT domain."""

    domain: str
    points: int
    applicable: int
    items: int

    @property
    def percent(self) -> float | None:
        """Points as a percentage of applicable items (None when no item applies)."""
        return None if self.applicable == 0 else 100 * self.points / self.applicable

    @property
    def below_target(self) -> bool:
        """Whether the score is under :data:`PEMAT_TARGET` (70%)."""
        return self.percent is not None and self.percent < PEMAT_TARGET


def scores(checklist: PematFile) -> list[DomainScore]:
    """Score both domains of a checklist."""
    result: list[DomainScore] = []
    for domain in DOMAINS:
        items = [i for i in checklist.items if PEMAT_P_ITEMS[i.number][0] == domain]
        rated = [i for i in items if i.rating is not PematRating.na]
        points = sum(i.rating is PematRating.agree for i in rated)
        result.append(DomainScore(domain, points, len(rated), len(items)))
    return result


def checklists(content: ContentSet) -> list[PematFile]:
    """Return the PEMAT checklists in the content."""
    return content.of_kind(PematFile)


def score_rows(content: ContentSet) -> list[dict[str, object]]:
    """Return one row per checklist and domain: points, applicable items, %, flag."""
    rows: list[dict[str, object]] = []
    for checklist in checklists(content):
        for score in scores(checklist):
            rows.append(
                {
                    "guide": checklist.guide,
                    "language": checklist.language,
                    "assessment": checklist.assessment,
                    "assessor": checklist.assessor_role,
                    "assessed_on": checklist.assessed_on.isoformat(),
                    "domain": score.domain,
                    "points": score.points,
                    "applicable": score.applicable,
                    "percent": None if score.percent is None else round(score.percent, 1),
                    "flag": "below 70%" if score.below_target else "",
                }
            )
    return rows


def item_rows(content: ContentSet) -> list[dict[str, object]]:
    """Return one row per rated item of every checklist, in item order."""
    rows: list[dict[str, object]] = []
    for checklist in checklists(content):
        for item in sorted(checklist.items, key=lambda i: i.number):
            rows.append(
                {
                    "guide": checklist.guide,
                    "language": checklist.language,
                    "item": item.number,
                    "domain": PEMAT_P_ITEMS[item.number][0],
                    "summary": item.summary,
                    "rating": item.rating.value,
                    "note": item.note,
                }
            )
    return rows
