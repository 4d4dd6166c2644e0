"""The hardening options of ``cam-workbench serve``, and the runtime folder it serves from.

``cli.cmd_serve`` checks the content (and, with ``--production``, its approval), then calls
:func:`add_arguments` / :func:`options_from` for these options and :func:`prepared` to claim
the private runtime folder and pin the approved content before serving.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cam_workbench.content.contentset import ContentSet
from cam_workbench.paths import CONTENT_ENV
from cam_workbench.serving_options import ServeOptions
from cam_workbench.serving_runtime import (
    CONTENT_FOLDER,
    ContentChanged,
    RuntimeFolderProblem,
    claim_runtime_folder,
    pin_content,
)


def _positive(kind: type[int] | type[float], what: str) -> Callable[[str], int | float]:
    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, not {value!r}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be more than 0, not {value}")
        return number

    return parse


def add_arguments(serve: argparse.ArgumentParser) -> None:
    """Add the hardening options to the ``serve`` parser."""
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name browsers use to reach the server (repeatable); requests naming "
        "any other host are refused (default: the bound address, localhost, 127.0.0.1, [::1])",
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help="address of a reverse proxy whose X-Forwarded-For names the client (repeatable; "
        "default: none, the header is ignored)",
    )
    serve.add_argument(
        "--max-per-address",
        type=_positive(int, "--max-per-address"),
        default=None,
        metavar="N",
        help="most sessions one client address may hold; past it a 'busy' page (default 20)",
    )
    serve.add_argument(
        "--max-session-hours",
        type=_positive(float, "--max-session-hours"),
        default=None,
        metavar="H",
        help="a session ends this long after it started, active or not (default 3)",
    )
    serve.add_argument(
        "--idle-minutes",
        type=_positive(float, "--idle-minutes"),
        default=None,
        metavar="M",
        help="a session with no patient activity for this long ends (default 10)",
    )


def options_from(args: argparse.Namespace) -> dict[str, object]:
    """:class:`ServeOptions` settings from the parsed hardening options (only those given)."""
    found: dict[str, object] = {}
    if args.allowed_host:
        found["allowed_hosts"] = tuple(args.allowed_host)
    if args.trusted_proxy:
        found["trusted_proxies"] = tuple(args.trusted_proxy)
    if args.max_per_address is not None:
        found["max_per_address"] = args.max_per_address
    if args.max_session_hours is not None:
        found["max_session_s"] = max(1, round(args.max_session_hours * 3600))
    if args.idle_minutes is not None:
        found["idle_timeout_s"] = max(1, round(args.idle_minutes * 60))
    return found


class ServeProblem(Exception):
    """The server cannot start as asked; the message says why and what to do."""


@contextmanager
def prepared(options: ServeOptions, approved: ContentSet | None) -> Iterator[ServeOptions]:
    """Claim the port's private runtime folder; with ``approved``, serve a pinned copy of it.

    Yields the options to serve with; on leaving, the runtime folder is removed.

    Raises:
        ServeProblem: another server runs on this port, the runtime folder is not ours, or
            the approved content changed before it could be copied.
    """
    try:
        runtime = claim_runtime_folder(options.port)
    except RuntimeFolderProblem as exc:
        raise ServeProblem(str(exc)) from None
    try:
        env = dict(options.env)
        if approved is not None:
            try:
                pinned = pin_content(approved, runtime.path / CONTENT_FOLDER)
            except ContentChanged as exc:
                raise ServeProblem(
                    f"the content changed while the server was starting ({exc}); start again"
                ) from None
            env[CONTENT_ENV] = str(pinned)
        yield dataclasses.replace(options, runtime_dir=runtime.path, env=env)
    finally:
        runtime.release()
