"""``cam-workbench screen --answer ID=yes|no ...``: one set of answers → the outcome."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any, Final

from cam_workbench.cli.common import EXIT_OK, UsageError, load, screening_in

NAME: Final = "screen"
HELP: Final = "evaluate one set of screening answers, as the dashboard does"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--answer`` (repeated), ``--lang``, and ``--json`` or ``--fhir``."""
    parser.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="ID=yes|no",
        help="one answer per item (repeat it); all 'no', or none=yes, means none of these apply",
    )
    parser.add_argument("--lang", default="en", help="content language (default en)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the decision as JSON")
    form.add_argument("--fhir", action="store_true", help="print a FHIR QuestionnaireResponse")


def run(args: argparse.Namespace) -> int:
    """Evaluate one set of answers with the dashboard's logic; print the outcome."""
    from cam_workbench.fhir.response import questionnaire_response
    from cam_workbench.logic.answers import NONE_KEY, AnswerInputError, answer_map, parse_answers
    from cam_workbench.logic.screening import AnswerError, evaluate, way_on
    from cam_workbench.render.text import body_text

    screening = screening_in(load(args), args.lang)
    try:
        answers = parse_answers(screening, args.answer)
        decision = evaluate(screening, answers)
    except AnswerInputError as exc:
        count = len(exc.problems)
        lines = "\n".join(f"  {p}" for p in exc.problems)
        raise UsageError(
            f"{count} problem{'s' if count != 1 else ''} with --answer:\n{lines}"
        ) from None
    except AnswerError as exc:  # parse_answers prevents these; kept as a safety net
        raise UsageError(str(exc)) from None
    outcome = decision.outcome
    if args.fhir:
        now = dt.datetime.now(dt.UTC)
        print(json.dumps(questionnaire_response(screening, answers, decision, now), indent=2))
    elif args.json:
        result: dict[str, Any] = {
            "outcome": outcome.id,
            "tier": outcome.tier,
            "heading": outcome.heading,
            "message": body_text(outcome.message),
            "if_worse": outcome.if_worse,
            "way_on": way_on(outcome).value,
            "rule": decision.rule.id,
            "language": screening.meta.language,
            "answers": {
                **answer_map(screening, answers),
                NONE_KEY: answers.none_of_these and not answers.flags,
            },
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(f"{outcome.heading}\n\n{body_text(outcome.message)}\n\n{outcome.if_worse}")
    return EXIT_OK
