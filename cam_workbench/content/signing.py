"""SSH signatures on sign-off statements, made and checked by OpenSSH's ``ssh-keygen``.

An approval (and a *submission*, an author vouching for the content they changed) is a small
canonical text (:class:`Statement`) signed with the person's SSH key
(``ssh-keygen -Y sign``) in a namespace of its own: :data:`APPROVE_NAMESPACE` or
:data:`SUBMIT_NAMESPACE`. The signature is kept beside the approval in
``content/review/signoff.yaml`` and checked (``ssh-keygen -Y verify``) against the committed
list of reviewers' public keys, ``content/review/allowed_signers`` (OpenSSH's
allowed-signers format: one line per reviewer id, with the namespaces, that is the roles,
the key may sign in, and optionally ``valid-before`` to retire it).

Everything cryptographic is ssh-keygen's (the reference implementation; keys in files, in
ssh-agent or on FIDO tokens): this module builds the message, runs the command and words its
answer. It needs ``ssh-keygen`` (Debian: ``openssh-client``; OpenSSH 8.2 or newer) and says
so when it is missing. Signatures are checked at the current time, so the approvals of a
retired key stop counting (a statement's date is the signer's word, and could be set back).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

#: Where the reviewers' public keys are, relative to the content folder.
ALLOWED_SIGNERS: Final = Path("review") / "allowed_signers"
APPROVE_NAMESPACE: Final = "cam-workbench-signoff"
SUBMIT_NAMESPACE: Final = "cam-workbench-submit"
#: Namespaces a key in allowed_signers may name (``git``: the same file may check commits).
KNOWN_NAMESPACES: Final = frozenset({APPROVE_NAMESPACE, SUBMIT_NAMESPACE, "git"})
#: A reviewer id: one literal principal (ssh reads ``* ? ! ,`` in it as a pattern).
REVIEWER_ID: Final = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
#: Seconds to wait for ssh-keygen: signing may wait for a passphrase or a FIDO touch.
SIGN_TIMEOUT: Final = 300
VERIFY_TIMEOUT: Final = 30
INSTALL_HINT: Final = "install OpenSSH's ssh-keygen (Debian/Ubuntu: apt-get install openssh-client)"

Action = Literal["approve", "submit"]


class SigningUnavailable(RuntimeError):
    """ssh-keygen is not installed: nothing can be signed or checked."""


class SigningError(ValueError):
    """ssh-keygen refused to sign (wrong key file, passphrase, a key not in the agent)."""


@dataclass(frozen=True)
class Statement:
    """What a signature vouches for: who does what to which content, as of when."""

    action: Action
    file: str
    sha256: str
    date: dt.date
    signer: str
    next_review_due: dt.date | None = None
    sections_sha256: str | None = None
    two_person: bool = False

    def message(self) -> bytes:
        """The canonical bytes signed: fixed keys in a fixed order, LF line ends, UTF-8.

        Raises:
            ValueError: a field that could change the message's meaning (not a plain id,
                a line break in a file name, not a sha256).

        """
        if not REVIEWER_ID.match(self.signer):
            raise ValueError(
                f"'{self.signer}' is not a reviewer id: lowercase letters, digits and . _ @ -"
            )
        if not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ValueError("the content hash must be 64 lowercase hex digits")
        if any(c in self.file for c in "\r\n"):
            raise ValueError("a file name with a line break")
        due = self.next_review_due.isoformat() if self.next_review_due else "-"
        lines = [
            "cam-workbench statement v1",
            f"action: {self.action}",
            f"file: {self.file}",
            f"sha256: {self.sha256}",
            f"date: {self.date.isoformat()}",
            f"signer: {self.signer}",
            f"next_review_due: {due}",
            f"sections_sha256: {self.sections_sha256 or '-'}",
            f"two_person: {'yes' if self.two_person else 'no'}",
        ]
        return ("\n".join(lines) + "\n").encode("utf-8")

    @property
    def namespace(self) -> str:
        """The signature namespace of this action (a role in allowed_signers)."""
        return APPROVE_NAMESPACE if self.action == "approve" else SUBMIT_NAMESPACE


@dataclass(frozen=True)
class Verdict:
    """Whether a signature holds, in words for ``review-status``."""

    ok: bool
    reason: str


def ssh_keygen() -> str:
    """Path of ``ssh-keygen``.

    Raises:
        SigningUnavailable: it is not installed.

    """
    path = shutil.which("ssh-keygen")
    if path is None:
        raise SigningUnavailable(f"ssh-keygen was not found: {INSTALL_HINT}")
    return path


def sign(statement: Statement, key: Path) -> str:
    """Sign a statement with an SSH key; return the armored signature.

    ``key`` is a private key file, or a ``.pub`` file whose private key is in ssh-agent.

    Raises:
        SigningUnavailable: no ssh-keygen.
        SigningError: ssh-keygen could not sign (its own message is included).

    """
    if not key.is_file():
        raise SigningError(f"key file not found: {key}")
    try:
        done = subprocess.run(
            [ssh_keygen(), "-q", "-Y", "sign", "-n", statement.namespace, "-f", str(key)],
            input=statement.message(),
            capture_output=True,
            timeout=SIGN_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise SigningError(f"ssh-keygen did not sign within {SIGN_TIMEOUT} s") from None
    signature = done.stdout.decode("ascii", "replace")
    if done.returncode != 0 or "BEGIN SSH SIGNATURE" not in signature:
        said = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise SigningError(f"ssh-keygen could not sign with {key}: {said}")
    return signature


def verify(statement: Statement, signature: str, allowed_signers: Path) -> Verdict:
    """Check that ``signature`` is ``statement.signer``'s, for this statement and action.

    Never raises: a missing ssh-keygen or allowed_signers file is a failed verdict that says
    so. Results are cached for the life of the process (same bytes, same verdict).
    """
    try:
        allowed = allowed_signers.read_bytes()
    except OSError:
        return Verdict(False, f"no list of reviewers' keys ({allowed_signers.name}) to check with")
    try:
        message = statement.message()
        ssh_keygen()  # checked on every call: a missing ssh-keygen is never cached
    except (ValueError, SigningUnavailable) as exc:
        prefix = "cannot be checked: " if isinstance(exc, SigningUnavailable) else ""
        return Verdict(False, f"{prefix}{exc}")
    return _verify(
        message, statement.signer, statement.namespace, statement.date, signature, allowed
    )


def _run_verify(
    folder: Path, message: bytes, signer: str, namespace: str, at: dt.date | None
) -> subprocess.CompletedProcess[bytes]:
    command = [ssh_keygen(), "-Y", "verify", "-f", str(folder / "allowed_signers")]
    command += ["-I", signer, "-n", namespace, "-s", str(folder / "statement.sig")]
    if at is not None:
        command += ["-O", f"verify-time={at.strftime('%Y%m%d')}"]
    return subprocess.run(command, input=message, capture_output=True, timeout=VERIFY_TIMEOUT)


@lru_cache(maxsize=512)
def _verify(
    message: bytes, signer: str, namespace: str, date: dt.date, signature: str, allowed: bytes
) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="cam-verify-") as tmp:
        folder = Path(tmp)
        (folder / "allowed_signers").write_bytes(allowed)
        (folder / "statement.sig").write_text(signature, encoding="ascii", errors="replace")
        done = _run_verify(folder, message, signer, namespace, None)
        if done.returncode == 0:
            return Verdict(True, f"good signature by {signer}")
        then = _run_verify(folder, message, signer, namespace, date).returncode == 0
        signers = _find_principals(folder)
    said = " ".join((done.stderr + done.stdout).decode("utf-8", "replace").replace(tmp, "").split())
    known = signer in listed_ids(allowed.decode("utf-8", "replace"))
    if then or "key has expired" in said:
        reason = (
            f"the key of {signer} has been retired (its valid-before date in allowed_signers "
            "has passed): a current reviewer must approve again"
        )
    elif "not permitted for use in signature namespace" in said:
        reason = f"the key of {signer} may not sign '{namespace}' statements (allowed_signers)"
    elif "namespace does not match" in said:
        reason = "the signature was made for another action (namespace)"
    elif not known:
        reason = f"{signer} is not a reviewer in allowed_signers"
    elif signers and signer not in signers:
        reason = f"signed with the key of {', '.join(signers)}, not with the key of {signer}"
    elif not signers and "incorrect signature" not in said:
        reason = f"not signed with a key in allowed_signers ({said or 'no signature'})"
    else:
        reason = "the record differs from what was signed (changed file, hash, date or dates)"
    return Verdict(False, reason)


def _find_principals(folder: Path) -> list[str]:
    done = subprocess.run(
        [ssh_keygen(), "-Y", "find-principals", "-s", str(folder / "statement.sig")]
        + ["-f", str(folder / "allowed_signers")],
        capture_output=True,
        timeout=VERIFY_TIMEOUT,
    )
    return done.stdout.decode("utf-8", "replace").split() if done.returncode == 0 else []


def _entries(text: str) -> list[tuple[int, str, str]]:
    """(line number, principal, the rest) of every non-comment line."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            principal, _, rest = line.partition(" ")
            found.append((number, principal, rest.strip()))
    return found


def listed_ids(text: str) -> list[str]:
    """The reviewer ids an allowed_signers text names, in order."""
    return [principal for _, principal, _ in _entries(text)]


def check_allowed_signers(text: str) -> list[str]:
    """Problems with an allowed_signers text, one line each (none: it is fine).

    On top of OpenSSH's own format: one literal reviewer id per line (a pattern such as
    ``*`` would let one key sign as anyone), one line per id, a ``namespaces="..."`` option
    naming only ours (a key without it may sign in every namespace), no ``cert-authority``.
    """
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, principal, rest in _entries(text):
        where = f"allowed_signers:{number}"
        if not REVIEWER_ID.match(principal):
            problems.append(f"{where}: '{principal}' is not one plain reviewer id")
            continue
        if principal in seen:
            problems.append(f"{where}: {principal} already has a key on line {seen[principal]}")
        seen.setdefault(principal, number)
        options = rest.split(" ", 1)[0] if not rest.startswith(("ssh-", "ecdsa-", "sk-")) else ""
        found = re.search(r'namespaces="([^"]*)"', options)
        if found is None:
            problems.append(f'{where}: {principal} needs namespaces="{APPROVE_NAMESPACE}" etc.')
        elif extra := sorted(set(found.group(1).split(",")) - KNOWN_NAMESPACES):
            problems.append(f"{where}: namespaces {', '.join(extra)} are not cam-workbench's")
        if "cert-authority" in options:
            problems.append(f"{where}: certificate authorities are not accepted")
    return problems
