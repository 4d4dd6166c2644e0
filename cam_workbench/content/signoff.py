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

Every approval carries its reviewer's SSH signature over a canonical statement of it
(:mod:`~cam_workbench.content.signing`), checked against ``content/review/allowed_signers``;
an approval that is not signed, or whose signature does not verify, counts for nothing.
When a file says ``meta.two_person_review: true`` (or was approved under that rule), its
approval must also be by someone other than the author who submitted the content as it is
(a signed submission, ``cam-workbench submit``).

For ``serve --production``, ``review-status`` and the dashboard's preview banner:
:func:`publication_blockers` names every patient file that is not approved (or not by a
signature that verifies), has changed since it was approved, or whose next review date has
passed (or was moved since the approval), and every problem of allowed_signers.
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
from cam_workbench.content.fingerprints import canonical_hash, file_hash, section_snapshots
from cam_workbench.content.loading import load_content
from cam_workbench.content.model import (
    Approval,
    ApprovedSection,
    PatientFile,
    SignoffFile,
    Submission,
)
from cam_workbench.content.signing import (
    ALLOWED_SIGNERS,
    Statement,
    Verdict,
    check_allowed_signers,
    verify,
)

#: Where the sign-off record lives, relative to the content folder.
SIGNOFF_FILE: Final = Path("review") / "signoff.yaml"


class State(StrEnum):
    """Where a patient content file stands with its clinical reviewer."""

    approved = "approved"
    changed = "changed since approval"
    unapproved = "not approved"
    dates_moved = "review date moved since approval"
    unsigned = "approval not signed"
    bad_signature = "approval does not verify"
    two_person = "two-person rule not kept"


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
    detail: str = ""

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
    """Return the sign-off state of every patient content file, sorted by path.

    An approval counts only when its signature verifies (and, under the two-person rule,
    someone else submitted the content); then the file is approved if unchanged since.
    """
    approvals = {a.file: a for a in signoff_of(content).approvals}
    statuses: list[FileStatus] = []
    for name, loaded in sorted(patient_files(content).items()):
        approval = approvals.get(name)
        if approval is None:
            statuses.append(FileStatus(name, State.unapproved, None))
            continue
        broken = approval_problem(content, approval, loaded.model.meta.two_person_review)
        if broken is not None:
            statuses.append(FileStatus(name, broken[0], approval, (), broken[1]))
        elif approval.sha256 == file_hash(loaded.model):
            due = loaded.model.meta.next_review_due
            moved = approval.next_review_due is not None and approval.next_review_due != due
            state = State.dates_moved if moved else State.approved
            statuses.append(FileStatus(name, state, approval))
        else:
            changes = section_changes(approval.sections, section_snapshots(loaded.model))
            statuses.append(FileStatus(name, State.changed, approval, tuple(changes)))
    return statuses


# --- signatures and the two-person rule --------------------------------------------------


def allowed_signers_path(content: ContentSet) -> Path:
    """Where the reviewers' public keys are: ``<content>/review/allowed_signers``."""
    return Path(content.root) / ALLOWED_SIGNERS


def sections_hash(sections: Sequence[ApprovedSection]) -> str:
    """The sha256 of an approval's section snapshots (the texts diffs compare against)."""
    return canonical_hash([s.model_dump(mode="json") for s in sections])


def approval_statement(approval: Approval) -> Statement:
    """The statement an approval's signature vouches for."""
    return Statement(
        action="approve",
        file=approval.file,
        sha256=approval.sha256,
        date=approval.date,
        signer=approval.reviewer,
        next_review_due=approval.next_review_due,
        sections_sha256=sections_hash(approval.sections),
        two_person=approval.two_person,
    )


def submission_statement(submission: Submission) -> Statement:
    """The statement a submission's signature vouches for."""
    return Statement(
        action="submit",
        file=submission.file,
        sha256=submission.sha256,
        date=submission.date,
        signer=submission.author,
    )


def check_signature(content: ContentSet, item: Approval | Submission) -> Verdict:
    """Verify an approval's or a submission's signature against allowed_signers."""
    if item.signature is None:
        return Verdict(False, "not signed")
    statement = (
        approval_statement(item) if isinstance(item, Approval) else submission_statement(item)
    )
    return verify(statement, item.signature, allowed_signers_path(content))


def submission_of(content: ContentSet, file: str, sha256: str) -> Submission | None:
    """The submission of ``file`` with this content (None if nobody submitted it)."""
    return next(
        (s for s in signoff_of(content).submissions if s.file == file and s.sha256 == sha256),
        None,
    )


def two_person_problem(content: ContentSet, file: str, sha256: str, approver: str) -> str | None:
    """Why ``approver`` may not approve this content under the two-person rule, or None."""
    submission = submission_of(content, file, sha256)
    if submission is None:
        return (
            "two people must sign this file off: its author submits the content as it is now "
            "('cam-workbench submit'), then another reviewer approves it"
        )
    verdict = check_signature(content, submission)
    if not verdict.ok:
        return f"its submission by {submission.author} does not verify: {verdict.reason}"
    if submission.author == approver:
        return (
            f"{approver} submitted this content on {submission.date}: another reviewer must "
            "approve it (two-person rule)"
        )
    return None


def approval_problem(
    content: ContentSet, approval: Approval, required_now: bool
) -> tuple[State, str] | None:
    """Why an approval does not count (its state and the reason), or None if it does."""
    if approval.signature is None:
        return State.unsigned, (
            "the approval has no signature (recorded before signed approvals): approve it "
            "again with 'cam-workbench approve --reviewer ID --key KEY'"
        )
    verdict = check_signature(content, approval)
    if not verdict.ok:
        return State.bad_signature, f"the approval by {approval.reviewer}: {verdict.reason}"
    if approval.two_person or required_now:
        if not approval.two_person:
            return State.two_person, "approved without the two-person rule the file asks for"
        problem = two_person_problem(content, approval.file, approval.sha256, approval.reviewer)
        if problem is not None:
            return State.two_person, problem
    return None


def signer_problems(content: ContentSet) -> list[str]:
    """Problems with allowed_signers, and submissions whose signature does not verify."""
    path = allowed_signers_path(content)
    record = signoff_of(content)
    lines: list[str] = []
    if path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        lines += [f"review/{p}" for p in check_allowed_signers(text)]
    elif record.approvals or record.submissions:
        lines.append(f"review/allowed_signers is missing: no signature can be checked ({path})")
    for submission in record.submissions:
        verdict = check_signature(content, submission)
        if not verdict.ok:
            lines.append(
                f"{submission.file}: the submission by {submission.author} on "
                f"{submission.date} does not verify: {verdict.reason}"
            )
    return lines


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


def publication_blockers(
    content: ContentSet,
    today: dt.date | None = None,
    statuses: Sequence[FileStatus] | None = None,
) -> list[str]:
    """Why the content may not be served to patients in production, one line per file.

    A file blocks when it is not approved (or its approval's signature does not verify, or
    breaks the two-person rule), changed since approval, its review date was moved since
    approval, or its next review date has passed; so does a problem with allowed_signers or
    a submission's signature. Placeholder text never gets this far: content with
    placeholders does not load at all. ``statuses``: :func:`file_status` of ``content``, when
    the caller has it already.
    """
    lines = [
        f"{s.file}: {s.state.value}" + (f" ({s.detail})" if s.detail else "")
        for s in (file_status(content) if statuses is None else statuses)
        if not s.ok
    ]
    lines += signer_problems(content)
    lines += [
        f"{o.file}: next clinical review was due on {o.due.isoformat()} (overdue)"
        for o in overdue_files(content, today)
    ]
    return lines


def last_checked(
    content: ContentSet,
    models: Sequence[PatientFile],
    statuses: Sequence[FileStatus] | None = None,
) -> list[dt.date | None]:
    """When a clinical reviewer last checked each of ``models`` (files of ``content``), if ever.

    The later of its ``meta.last_reviewed`` and the date of an approval that covers the file
    as it is now (an approval is a clinical check of exactly this text). An approval of an
    older state of the file does not count. ``statuses`` as in :func:`publication_blockers`.
    """
    known = file_status(content) if statuses is None else statuses
    approved = {s.file: s.approval.date for s in known if s.ok and s.approval}
    names = patient_files(content)
    checked: list[dt.date | None] = []
    for model in models:
        name = next((n for n, f in names.items() if f.model is model), None)
        dates = [d for d in (model.meta.last_reviewed, approved.get(name or "")) if d]
        checked.append(max(dates) if dates else None)
    return checked


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
