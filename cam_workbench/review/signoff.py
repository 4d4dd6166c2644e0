"""Clinical sign-off, the writing side: submitting and approving files, writing the record.

:func:`approve` records a reviewer's approval of files as they are now (their hash and
each section's text, from :mod:`cam_workbench.content.fingerprints`), each signed with the
reviewer's SSH key; :func:`submit` records an author's signed word that they changed a file
to its current content (the first half of the two-person rule); :func:`write_signoff`
writes ``content/review/signoff.yaml``. Where each file stands (read-only, also needed by
the dashboard and ``serve``) is :mod:`cam_workbench.content.signoff`; :func:`status_lines`
words it for people.

Every signature is checked against ``content/review/allowed_signers`` right after it is
made, so a key that is not the named reviewer's is refused before anything is written.

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
from cam_workbench.content.model import Approval, SignoffFile, Submission
from cam_workbench.content.signing import REVIEWER_ID, Statement, sign, ssh_keygen, verify
from cam_workbench.content.signoff import (
    FileStatus,
    State,
    allowed_signers_path,
    approval_statement,
    needs_approval,
    signer_problems,
    signoff_of,
    signoff_path,
    submission_of,
    submission_statement,
    two_person_problem,
)

_HEADER: Final = (
    "# yaml-language-server: $schema=../schema/content.schema.json\n"
    "# Clinical sign-off record. Written by `cam-workbench submit` and `cam-workbench approve`\n"
    "# (each entry signed with an SSH key listed in allowed_signers); checked by\n"
    "# `cam-workbench review-status`. Do not edit by hand: a changed entry no longer verifies.\n"
)


class TwoPersonRefused(ValueError):
    """The two-person rule forbids this approval (names each file and why)."""


def _reviewer_id(reviewer: str, role: str) -> str:
    if not REVIEWER_ID.match(reviewer):
        raise ValueError(
            f"'{reviewer}' is not a {role} id: use the id of your line in "
            "content/review/allowed_signers (lowercase letters, digits and . _ @ -)"
        )
    return reviewer


def _signed(content: ContentSet, statement: Statement, key: Path) -> str:
    """Sign a statement, check the signature is the signer's now; return it.

    Raises:
        ValueError: the key is not the signer's key in allowed_signers, or may not sign this.
        SigningError, SigningUnavailable: ssh-keygen could not sign.

    """
    signature = sign(statement, key)
    verdict = verify(statement, signature, allowed_signers_path(content))
    if not verdict.ok:
        raise ValueError(f"{statement.file} was not signed as {statement.signer}: {verdict.reason}")
    return signature


def two_person_required(content: ContentSet, name: str) -> bool:
    """Whether two people must sign ``name`` off: the file says so now, or said so last time."""
    model = patient_files(content)[name].model
    previous = next((a for a in signoff_of(content).approvals if a.file == name), None)
    return bool(model.meta.two_person_review or (previous is not None and previous.two_person))


def approve(
    content: ContentSet,
    reviewer: str,
    key: Path,
    files: Iterable[str | Path] = (),
    today: dt.date | None = None,
) -> tuple[SignoffFile, list[str]]:
    """Record a reviewer's signed approval of files as they are now; return record and files.

    Without ``files``, approves every patient file that is not approved or has changed
    (approved, unchanged files keep their earlier approval). Approvals of files that no
    longer exist are dropped.

    Raises:
        ValueError: the reviewer id is not one, a file's next review date has passed
            (review dates are the reviewer's to set in the file; approving never moves
            them), or the key is not the reviewer's in allowed_signers.
        TwoPersonRefused: a file needs two people and the reviewer is its author, or nobody
            submitted it as it is.
        NotAContentFile: a named file is not patient content of this folder.
        SigningError, SigningUnavailable: ssh-keygen could not sign.

    """
    reviewer = _reviewer_id(reviewer, "reviewer")
    ssh_keygen()  # before anything else: without it nothing can be signed or checked
    today = today or dt.date.today()
    names = [resolve_file(content, f) for f in files] or needs_approval(content)
    present = patient_files(content)
    record = signoff_of(content)
    approvals = {a.file: a for a in record.approvals if a.file in present}
    overdue = [n for n in names if present[n].model.meta.next_review_due < today]
    if overdue:
        raise ValueError(
            f"the next review date of {', '.join(overdue)} has passed: set meta.last_reviewed "
            "and a new meta.next_review_due in the file, then approve it"
        )
    required = {name: two_person_required(content, name) for name in names}
    refused = [
        f"{name}: {why}"
        for name in names
        if required[name]
        and (why := two_person_problem(content, name, file_hash(present[name].model), reviewer))
    ]
    if refused:
        raise TwoPersonRefused("approval refused:\n  " + "\n  ".join(refused))
    for name in names:
        model = present[name].model
        approval = Approval(
            file=name,
            reviewer=reviewer,
            date=today,
            sha256=file_hash(model),
            sections=section_snapshots(model),
            next_review_due=model.meta.next_review_due,
            two_person=required[name],
        )
        signature = _signed(content, approval_statement(approval), key)
        approvals[name] = approval.model_copy(update={"signature": signature})
    kept = _current_submissions(content, record.submissions, approvals)
    record = SignoffFile(
        kind="signoff", submissions=kept, approvals=[approvals[k] for k in sorted(approvals)]
    )
    return record, list(dict.fromkeys(names))


def submit(
    content: ContentSet,
    author: str,
    key: Path,
    files: Iterable[str | Path] = (),
    today: dt.date | None = None,
) -> tuple[SignoffFile, list[str], list[str]]:
    """Record an author's signed submission of files as they are now.

    Without ``files``, submits every patient file that needs approval and has no submission
    of its current content. Content someone already submitted keeps its first author.
    Returns the record, the files submitted, and a note for each file already submitted.

    Raises:
        ValueError: the author id is not one, or the key is not the author's.
        NotAContentFile: a named file is not patient content of this folder.
        SigningError, SigningUnavailable: ssh-keygen could not sign.

    """
    author = _reviewer_id(author, "reviewer")
    ssh_keygen()
    today = today or dt.date.today()
    present = patient_files(content)
    record = signoff_of(content)
    names = [resolve_file(content, f) for f in files] or [
        n
        for n in needs_approval(content)
        if not submission_of(content, n, file_hash(present[n].model))
    ]
    submissions = list(record.submissions)
    done: list[str] = []
    notes: list[str] = []
    for name in dict.fromkeys(names):
        sha256 = file_hash(present[name].model)
        earlier = submission_of(content, name, sha256)
        if earlier is not None:
            notes.append(
                f"{name}: already submitted as it is by {earlier.author} on {earlier.date}"
            )
            continue
        unsigned = Submission(
            file=name, author=author, date=today, sha256=sha256, signature=_PLACEHOLDER
        )
        signature = _signed(content, submission_statement(unsigned), key)
        submissions.append(unsigned.model_copy(update={"signature": signature}))
        done.append(name)
    approvals = {a.file: a for a in record.approvals if a.file in present}
    kept = _current_submissions(content, submissions, approvals)
    return SignoffFile(kind="signoff", submissions=kept, approvals=record.approvals), done, notes


#: A well-formed stand-in, replaced by the real signature before the record is written.
_PLACEHOLDER: Final = "-----BEGIN SSH SIGNATURE-----\nAA==\n-----END SSH SIGNATURE-----\n"


def _current_submissions(
    content: ContentSet, submissions: Sequence[Submission], approvals: dict[str, Approval]
) -> list[Submission]:
    """Keep the submissions of each file's current content or of its approved content."""
    present = patient_files(content)
    wanted = {(n, file_hash(f.model)) for n, f in present.items()}
    wanted |= {(a.file, a.sha256) for a in approvals.values()}
    kept = [s for s in submissions if (s.file, s.sha256) in wanted]
    return sorted(kept, key=lambda s: (s.file, s.date))


class _NoAliasDumper(yaml.SafeDumper):
    """Write every value out in full: content files refuse YAML anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: D102
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Signatures (several lines) as ``|`` blocks, as ssh-keygen printed them."""
    style = "|" if "\n" in value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_NoAliasDumper.add_representer(str, _text)


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
            lines.append(
                f"{status.file}: approved by {a.reviewer} on {a.date} (signature verified)"
                + (", two-person rule kept" if a.two_person else "")
                + ", unchanged"
            )
        elif status.state is State.unapproved:
            lines.append(f"{status.file}: not approved by a clinical reviewer yet")
        elif status.state in (State.unsigned, State.bad_signature, State.two_person):
            lines.append(f"{status.file}: {status.state.value}: {status.detail}")
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


def signature_lines(content: ContentSet) -> list[str]:
    """Every signature problem outside the approvals (allowed_signers, submissions)."""
    return signer_problems(content)
