"""Where each patient file stands with its clinical reviewer (read-only).

The record is ``content/review/signoff.yaml`` (kind ``signoff``), written by
``cam-workbench approve`` (:mod:`cam_workbench.review.signoff`) and loaded and validated
like every other content file. For each approved file it keeps the reviewer, the date, the
sha256 of the file's normalised content (:mod:`~cam_workbench.content.fingerprints`) and,
per section, the section's hash and its text as ``path: value`` lines, so ``review-status``
shows *what* changed, line by line, without git and in any copy of the content folder.

Only patient content needs sign-off (models with ``patient_facing = True``: screening,
guide, shared texts, tracker); reviewer files (jargon list, PEMAT checklists, this record)
do not.

For ``serve --production``, ``review-status`` and the dashboard's preview banner:
:func:`publication_blockers` names every patient file that is not approved, has changed
since it was approved, or whose next review date has passed (or was moved since the
approval).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

from cam_workbench.content.contentset import ContentSet, patient_files
from cam_workbench.content.fingerprints import file_hash, section_snapshots
from cam_workbench.content.loading import load_content
from cam_workbench.content.model import Approval, ApprovedSection, SignoffFile

#: Where the sign-off record lives, relative to the content folder.
SIGNOFF_FILE: Final = Path("review") / "signoff.yaml"


class State(StrEnum):
    """Where a patient content file stands with its clinical reviewer."""

    approved = "approved"
    changed = "changed since approval"
    unapproved = "not approved"
    dates_moved = "review date moved since approval"


@dataclass(frozen=True)
class SectionChange:
    """One section added, removed or changed since approval, with a line diff."""

    section: str
    change: Literal["added", "removed", "changed"]
    diff: tuple[str, ...]


@dataclass(frozen=True)
class FileStatus:
    """The sign-off state of one patient content file."""

    file: str
    state: State
    approval: Approval | None
    changes: tuple[SectionChange, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the file is approved and unchanged since."""
        return self.state is State.approved


def section_changes(
    approved: Sequence[ApprovedSection], current: Sequence[ApprovedSection]
) -> list[SectionChange]:
    """Compare the sections of an approval with the file as it is now, in file order."""
    before = {s.id: s for s in approved}
    after = {s.id: s for s in current}
    changes: list[SectionChange] = []
    for section in current:
        old = before.get(section.id)
        if old is None:
            changes.append(SectionChange(section.id, "added", _diff([], section.text)))
        elif old.sha256 != section.sha256:
            changes.append(SectionChange(section.id, "changed", _diff(old.text, section.text)))
    for section in approved:
        if section.id not in after:
            changes.append(SectionChange(section.id, "removed", _diff(section.text, [])))
    return changes


def _diff(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """Return ``- old`` / ``+ new`` lines for the lines that differ."""
    lines = difflib.unified_diff(list(old), list(new), lineterm="", n=0)
    return tuple(
        f"{line[0]} {line[1:]}"
        for line in lines
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def signoff_of(content: ContentSet) -> SignoffFile:
    """Return the content's sign-off record (an empty one if there is none yet)."""
    found = content.of_kind(SignoffFile)
    return found[0] if found else SignoffFile(kind="signoff")


def signoff_path(content: ContentSet) -> Path:
    """Return where the sign-off record is (or will be written)."""
    for loaded in content.files:
        if isinstance(loaded.model, SignoffFile):
            return loaded.path
    return Path(content.root) / SIGNOFF_FILE


def file_status(content: ContentSet) -> list[FileStatus]:
    """Return the sign-off state of every patient content file, sorted by path."""
    approvals = {a.file: a for a in signoff_of(content).approvals}
    statuses: list[FileStatus] = []
    for name, loaded in sorted(patient_files(content).items()):
        approval = approvals.get(name)
        if approval is None:
            statuses.append(FileStatus(name, State.unapproved, None))
        elif approval.sha256 == file_hash(loaded.model):
            due = loaded.model.meta.next_review_due
            moved = approval.next_review_due is not None and approval.next_review_due != due
            state = State.dates_moved if moved else State.approved
            statuses.append(FileStatus(name, state, approval))
        else:
            changes = section_changes(approval.sections, section_snapshots(loaded.model))
            statuses.append(FileStatus(name, State.changed, approval, tuple(changes)))
    return statuses


@dataclass(frozen=True)
class Overdue:
    """A patient file whose next clinical review date has passed."""

    file: str
    due: dt.date


def overdue_files(content: ContentSet, today: dt.date | None = None) -> list[Overdue]:
    """Patient files whose ``meta.next_review_due`` is before ``today`` (sorted by path)."""
    today = today or dt.date.today()
    return [
        Overdue(name, loaded.model.meta.next_review_due)
        for name, loaded in sorted(patient_files(content).items())
        if loaded.model.meta.next_review_due < today
    ]


def publication_blockers(content: ContentSet, today: dt.date | None = None) -> list[str]:
    """Why the content may not be served to patients in production, one line per file.

    A file blocks when it is not approved, changed since approval, its review date was moved
    since approval, or its next review date has passed. Placeholder text never gets this far:
    content with placeholders does not load at all.
    """
    lines = [f"{s.file}: {s.state.value}" for s in file_status(content) if not s.ok]
    lines += [
        f"{o.file}: next clinical review was due on {o.due.isoformat()} (overdue)"
        for o in overdue_files(content, today)
    ]
    return lines


def needs_approval(content: ContentSet) -> list[str]:
    """Return the patient files not approved, or changed since approval (sorted paths)."""
    return [s.file for s in file_status(content) if not s.ok]


def unapproved_files(content_dir: Path | str) -> list[str]:
    """Load a content folder and name the patient files that block ``serve --production``.

    Returns paths relative to the content folder (``en/acupuncture.yaml``), sorted; an
    empty list means every patient file is approved and unchanged.

    Raises:
        ContentError: the content does not load (it could not be served either).

    """
    return needs_approval(load_content(Path(content_dir)))


def stale_approvals(content: ContentSet) -> list[str]:
    """Return approvals that name files no longer in the content folder."""
    present = patient_files(content)
    return sorted(a.file for a in signoff_of(content).approvals if a.file not in present)
