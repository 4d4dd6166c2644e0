"""Clinical sign-off: who approved which content file, when, and what has changed since.

The record is ``content/review/signoff.yaml`` (kind ``signoff``), written by
``cam-workbench approve`` and loaded and validated like every other content file. For each
approved file it keeps the reviewer, the date, the sha256 of the file's *normalised*
content and, per section, the section's hash and its text as ``path: value`` lines.

- *Normalised content* is the validated model as canonical JSON (sorted keys, no
  whitespace): YAML layout, comments and quoting do not count as changes; the review
  bookkeeping in ``meta`` (version, status, owner role, review dates) does not count
  either. Every text, rule, setting and source does.
- Keeping each approved section's text (not only its hash) lets ``review-status`` show
  *what* changed, line by line, without git and in any copy of the content folder.

Only patient content needs sign-off (models with ``patient_facing = True``: screening,
guide, shared texts); reviewer files (jargon list, PEMAT checklists, this record) do not.

For ``serve --production`` and ``review-status``: :func:`publication_blockers` names every
patient file that is not approved, has changed since it was approved, or whose next review
date has passed (or was moved since the approval). ``approve`` never changes review dates: a
reviewer renews a file by setting ``meta.last_reviewed`` and ``meta.next_review_due`` in it,
then approving it again (the approval records the new due date).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from cam_workbench.content.model import Approval, ApprovedSection, SignoffFile
from cam_workbench.loading import ContentSet, LoadedFile, load_content
from cam_workbench.review.units import canonical_hash, flatten, normalised, relpath, sections_of

#: Where the sign-off record lives, relative to the content folder.
SIGNOFF_FILE: Final = Path("review") / "signoff.yaml"

_HEADER: Final = (
    "# yaml-language-server: $schema=../schema/content.schema.json\n"
    "# Clinical sign-off record. Written by `cam-workbench approve --reviewer NAME [FILE ...]`;\n"
    "# checked by `cam-workbench review-status`. Do not edit by hand: approve again instead.\n"
)


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


class NotAContentFile(ValueError):
    """A file named for approval is not patient content in this content folder."""


# --- snapshots ---------------------------------------------------------------------------


def file_hash(model: Any) -> str:
    """Return the sha256 of a file's normalised content."""
    return canonical_hash(normalised(model))


def section_snapshots(model: Any) -> list[ApprovedSection]:
    """Return each section's id, hash and text lines, as an approval records them."""
    return [
        ApprovedSection(id=section_id, sha256=canonical_hash(data), text=flatten(data))
        for section_id, data in sections_of(model)
    ]


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


# --- status ------------------------------------------------------------------------------


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


def patient_files(content: ContentSet) -> dict[str, LoadedFile]:
    """Return the files that need sign-off, by path relative to the content folder."""
    return {
        relpath(content, f): f for f in content.files if getattr(f.model, "patient_facing", False)
    }


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


# --- approving ---------------------------------------------------------------------------


def resolve_file(content: ContentSet, name: str | Path) -> str:
    """Turn a file argument into its path relative to the content folder.

    Accepts ``en/acupuncture.yaml`` (relative to the content folder) or a path to the file
    (``content/en/acupuncture.yaml``, absolute or relative to the working directory).

    Raises:
        NotAContentFile: it is not a patient content file of this folder.

    """
    files = patient_files(content)
    candidates = [Path(name).as_posix()]
    path = Path(name)
    for base in (Path(content.root), Path.cwd()):
        full = path if path.is_absolute() else base / path
        try:
            candidates.append(full.resolve().relative_to(Path(content.root).resolve()).as_posix())
        except (ValueError, OSError):
            continue
    for candidate in candidates:
        if candidate in files:
            return candidate
    raise NotAContentFile(
        f"{name} is not a patient content file of {content.root} "
        f"(choose from: {', '.join(sorted(files))})"
    )


def approve(
    content: ContentSet,
    reviewer: str,
    files: Iterable[str | Path] = (),
    today: dt.date | None = None,
) -> tuple[SignoffFile, list[str]]:
    """Record a reviewer's approval of files as they are now; return the record and the files.

    Without ``files``, approves every patient file that is not approved or has changed
    (approved, unchanged files keep their earlier approval). Approvals of files that no
    longer exist are dropped.

    Raises:
        ValueError: the reviewer's name is empty, or a file's next review date has passed
            (review dates are the reviewer's to set in the file; approving never moves them).
        NotAContentFile: a named file is not patient content of this folder.

    """
    reviewer = " ".join(reviewer.split())
    if not reviewer:
        raise ValueError("the reviewer's name is empty")
    today = today or dt.date.today()
    names = [resolve_file(content, f) for f in files] or needs_approval(content)
    present = patient_files(content)
    approvals = {a.file: a for a in signoff_of(content).approvals if a.file in present}
    overdue = [n for n in names if present[n].model.meta.next_review_due < today]
    if overdue:
        raise ValueError(
            f"the next review date of {', '.join(overdue)} has passed: set meta.last_reviewed "
            "and a new meta.next_review_due in the file, then approve it"
        )
    for name in names:
        model = present[name].model
        approvals[name] = Approval(
            file=name,
            reviewer=reviewer,
            date=today,
            sha256=file_hash(model),
            sections=section_snapshots(model),
            next_review_due=model.meta.next_review_due,
        )
    record = SignoffFile(kind="signoff", approvals=[approvals[k] for k in sorted(approvals)])
    return record, list(dict.fromkeys(names))


class _NoAliasDumper(yaml.SafeDumper):
    """Write every value out in full: content files refuse YAML anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: D102
        return True


def signoff_yaml(record: SignoffFile) -> str:
    """Render a sign-off record as the YAML text of ``content/review/signoff.yaml``."""
    data = record.model_dump(mode="python")
    body = yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=100)
    return _HEADER + body


def write_signoff(content: ContentSet, record: SignoffFile) -> Path:
    """Write the sign-off record into the content folder; return its path."""
    path = signoff_path(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(signoff_yaml(record), encoding="utf-8")
    return path


# --- words -------------------------------------------------------------------------------


def status_lines(statuses: Sequence[FileStatus], stale: Sequence[str] = ()) -> list[str]:
    """Describe each file's sign-off state, and each change since approval, for people."""
    lines: list[str] = []
    for status in statuses:
        a = status.approval
        if status.state is State.approved and a is not None:
            lines.append(f"{status.file}: approved by {a.reviewer} on {a.date}, unchanged")
        elif status.state is State.unapproved:
            lines.append(f"{status.file}: not approved by a clinical reviewer yet")
        elif status.state is State.dates_moved and a is not None:
            lines.append(
                f"{status.file}: next_review_due moved from {a.next_review_due} since approval "
                f"by {a.reviewer} on {a.date}: a reviewer must approve the new date"
            )
        elif a is not None:
            lines.append(f"{status.file}: changed since approval by {a.reviewer} on {a.date}")
            for change in status.changes:
                lines.append(f"  section '{change.section}' {change.change}:")
                lines += [f"    {line}" for line in change.diff]
    lines += [f"note: the approval of {name} names a file that no longer exists" for name in stale]
    return lines
