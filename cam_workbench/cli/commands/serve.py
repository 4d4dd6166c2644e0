"""``cam-workbench serve``: the patient dashboard (or the workshop slides) with Voila.

The command checks the content (and, with ``--production``, its approval and review dates),
then serves from a private runtime folder (:func:`cam_workbench.serving.runtime.prepared`),
with a pinned copy of the approved content in production.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, time
from typing import Any, Final

from cam_workbench.cli import serve_settings
from cam_workbench.cli.common import EXIT_PROBLEMS, UsageError
from cam_workbench.cli.common import content_dir as _content_dir
from cam_workbench.content.contentset import ContentSet
from cam_workbench.content.loading import load_content
from cam_workbench.paths import CONTENT_ENV

NAME: Final = "serve"
HELP: Final = "serve the patient dashboard with Voila"


def add_arguments(serve: argparse.ArgumentParser) -> None:
    """Every ``serve`` setting (:mod:`cam_workbench.cli.serve_settings`) and ``--config``."""
    serve_settings.add_arguments(serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the patient dashboard with Voila (production settings)."""
    settings = serve_settings.resolve(args, os.environ)
    if args.content is None and not os.environ.get(CONTENT_ENV) and "content" in settings:
        args.content = settings["content"]  # the config file's, below --content and the env
    content_dir = _content_dir(args).resolve()
    content = load_content(content_dir)
    production = bool(settings.get("production"))
    if production:
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

    from cam_workbench.paths import notebooks_dir
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

    extra: dict[str, Any] = serve_settings.serve_options(settings)
    notebook = "patient_dashboard.ipynb"
    if settings.get("workshop"):  # the educators' workshop notebook as slides
        from cam_workbench.serving import workshop_options

        notebook, extra = "workshop.ipynb", {**workshop_options(), **extra}
    try:
        options = ServeOptions(
            notebook=notebooks_dir() / notebook,
            texts=texts,
            env={CONTENT_ENV: str(content_dir)},
            review_due=review_due(content),
            **extra,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    what = "the workshop slides" if settings.get("workshop") else "the patient dashboard"
    # Production serves a private, read-only copy of the content just checked (pinned).
    try:
        with prepared(options, content if production else None) as options:
            where = f"http://{options.host}:{options.port}{options.base_url}"
            announce = f"Serving {what} on {where} (Ctrl-C to stop)"
            if options.log_format == "json":  # log shippers read every line as JSON
                from cam_workbench.serving.logs import json_line

                announce = json_line("cam_workbench.serve", announce)
            print(announce, flush=True)
            return serve(options)
    except ServeProblem as exc:
        print(f"cam-workbench serve: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS


def review_due(content: ContentSet) -> float | None:
    """The earliest ``next_review_due`` of the content's files, as Unix time (UTC midnight)."""
    dates = [
        f.model.meta.next_review_due
        for f in content.files
        if getattr(getattr(f.model, "meta", None), "next_review_due", None) is not None
    ]
    if not dates:
        return None
    return datetime.combine(min(dates), time(), tzinfo=UTC).timestamp()


run = cmd_serve
