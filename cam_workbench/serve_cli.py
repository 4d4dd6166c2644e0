"""The hardening options of ``cam-workbench serve`` (``cli`` adds them to its parser)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


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
