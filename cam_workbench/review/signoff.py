"""Clinical sign-off, the writing side: approving files and writing the record.

:func:`approve` records a reviewer's approval of files as they are now (their hash and
each section's text, from :mod:`cam_workbench.content.fingerprints`); :func:`write_signoff`
writes ``content/review/signoff.yaml``. Where each file stands (read-only, also needed by
the dashboard and ``serve``) is :mod:`cam_workbench.content.signoff`; :func:`status_lines`
words it for people.

``approve`` never changes review dates: a reviewer renews a file by setting
``meta.last_reviewed`` and ``meta.next_review_due`` in it, then approving it again (the
approval records the new due date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from cam_workbench.content.contentset import ContentSet, patient_files, resolve_file
from cam_workbench.content.fingerprints import file_hash, section_snapshots
from cam_workbench.content.model import Approval, SignoffFile
from cam_workbench.content.signoff import (
    FileStatus,
    State,
    needs_approval,
    signoff_of,
    signoff_path,
)

_HEADER: Final = (
    "# yaml-language-server: $schema=../schema/content.schema.json\n"
    "# Clinical sign-off record. Written by `cam-workbench approve --reviewer NAME [FILE ...]`;\n"
    "# checked by `cam-workbench review-status`. Do not edit by hand: approve again instead.\n"
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
