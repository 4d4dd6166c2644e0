"""``cam-workbench serve``: the patient dashboard (or the workshop slides) with Voila.

The command checks the content (and, with ``--production``, its approval and review dates),
then serves from a private runtime folder (:func:`cam_workbench.serving.runtime.prepared`),
with a pinned copy of the approved content in production.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Final

from cam_workbench.cli.common import EXIT_PROBLEMS, UsageError, port_number
from cam_workbench.cli.common import content_dir as _content_dir
from cam_workbench.content.loading import load_content

NAME: Final = "serve"
HELP: Final = "serve the patient dashboard with Voila"


def add_arguments(serve: argparse.ArgumentParser) -> None:
    """``--production``, ``--host``, ``--port``, ``--max-kernels``, ``--workshop``."""
    serve.add_argument(
        "--production",
        action="store_true",
        help="refuse to start unless every patient file is approved and unchanged",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8866, help="port (default 8866)")
    serve.add_argument(
        "--max-kernels",
        type=int,
        default=None,
        help="most patient sessions at once; past it a 'busy' page (default 60)",
    )
    serve.add_argument(
        "--workshop",
        action="store_true",
        help="serve the educators' workshop notebook as slides instead of the patient page",
    )
    add_hardening_arguments(serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the patient dashboard with Voila (production settings)."""
    content_dir = _content_dir(args).resolve()
    content = load_content(content_dir)
    if args.production:
        from cam_workbench.content.signoff import publication_blockers

        blocking = publication_blockers(content)
        if blocking:
            print(
                "cam-workbench serve: refusing --production: patient content not approved "
                "(by a signature that verifies), changed since approval, or past its review "
                "date:",
                file=sys.stderr,
            )
            for line in blocking:
                print(f"  {line}", file=sys.stderr)
            print(
                "Have a clinical reviewer check it (see 'cam-workbench review-status') and run "
                "'cam-workbench approve --reviewer ID --key KEY', or serve without --production (a "
                "preview banner is shown).",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS

    from cam_workbench.paths import CONTENT_ENV, notebooks_dir
    from cam_workbench.serving import ServeOptions, ServerTexts, serve

    ui = content.shared("en").ui
    texts = ServerTexts(
        page_title=ui.page_title,
        busy_title=ui.busy_title,
        busy_message=ui.busy_message,
        error_title=ui.error_title,
        error_message=ui.error_message,
        session_lost=ui.session_lost,
        language="en",
        loading=ui.loading,
    )
    from cam_workbench.serving.runtime import ServeProblem, prepared

    extra = {} if args.max_kernels is None else {"max_kernels": args.max_kernels}
    extra.update(hardening_options(args))
    notebook = "patient_dashboard.ipynb"
    if args.workshop:  # the educators' workshop notebook as slides
        from cam_workbench.serving import workshop_options

        notebook, extra = "workshop.ipynb", {**workshop_options(), **extra}
    try:
        options = ServeOptions(
            notebook=notebooks_dir() / notebook,
            texts=texts,
            host=args.host,
            port=args.port,
            env={CONTENT_ENV: str(content_dir)},
            **extra,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    what = "the workshop slides" if args.workshop else "the patient dashboard"
    # Production serves a private, read-only copy of the content just checked (pinned).
    try:
        with prepared(options, content if args.production else None) as options:
            print(f"Serving {what} on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
            return serve(options)
    except ServeProblem as exc:
        print(f"cam-workbench serve: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS


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


def add_hardening_arguments(serve: argparse.ArgumentParser) -> None:
    """Add the hardening options to the ``serve`` parser (see SECURITY.md)."""
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
        "--max-messages-per-second",
        type=_positive(float, "--max-messages-per-second"),
        default=None,
        metavar="N",
        help="most websocket messages a page may send a second (four seconds' worth at once); "
        "past it they are dropped (default 50; the page sends a few, one per click)",
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


def hardening_options(args: argparse.Namespace) -> dict[str, object]:
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
    if args.max_messages_per_second is not None:
        found["max_messages_per_s"] = args.max_messages_per_second
    return found


run = cmd_serve
