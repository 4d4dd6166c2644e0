"""``cam-workbench serve``: the patient dashboard (or the workshop slides) with Voila.

``cmd_serve`` and its arguments are moved here as they were in ``cli.py``; the serving
package split waits for issue 13 (server hardening), which rewrites both.
"""

from __future__ import annotations

import argparse
import sys
from typing import Final

from cam_workbench.cli.common import EXIT_PROBLEMS, UsageError
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
    serve.add_argument("--port", type=_port, default=8866, help="port (default 8866)")
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
    from cam_workbench.serve_cli import add_arguments as add_hardening_arguments

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
                "cam-workbench serve: refusing --production: patient content not approved, "
                "changed since approval, or past its review date:",
                file=sys.stderr,
            )
            for line in blocking:
                print(f"  {line}", file=sys.stderr)
            print(
                "Have a clinical reviewer check it (see 'cam-workbench review-status') and run "
                "'cam-workbench approve --reviewer NAME', or serve without --production (a "
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
    from cam_workbench import serve_cli  # the hardening options and the runtime folder

    extra = {} if args.max_kernels is None else {"max_kernels": args.max_kernels}
    extra.update(serve_cli.options_from(args))
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
        with serve_cli.prepared(options, content if args.production else None) as options:
            print(f"Serving {what} on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
            return serve(options)
    except serve_cli.ServeProblem as exc:
        print(f"cam-workbench serve: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


run = cmd_serve
