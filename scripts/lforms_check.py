#!/usr/bin/env python3
"""The exported Questionnaire in LHC-Forms, a real SDC form filler, in Chromium, offline.

Checks by hand what the tests check with fhirpathpy: filled in by LHC-Forms (NLM's form
renderer, npm ``lforms``), the export reaches ``decide()``'s outcome for every combination of
boxes. Not part of ``make test``: it needs npm once and takes a few minutes. Run it after a
change to the FHIR export or to the rules:

    make lforms-check                                   # everything, 5 to 10 minutes
    .venv/bin/python scripts/lforms_check.py --quick    # the 16 answer sets, about 30 s

The first run installs LHC-Forms (the version pinned in ``scripts/lforms/package.json`` and
``package-lock.json``) into ``scripts/lforms/node_modules/`` (ignored by git) with ``npm ci
--legacy-peer-deps --ignore-scripts`` (a plain ``npm install lforms`` hangs on its Angular
peer dependencies); later runs need no network. The page (``scripts/lforms/harness.html``)
loads LHC-Forms from there, served on 127.0.0.1; every request the browser makes is
recorded, and one that leaves 127.0.0.1 fails the run.

For each questionnaire (the shipped screening as ``export fhir`` writes it, R4 and R5, and
every rule variant of ``tests/rule_variants.py``) and each combination of boxes, it loads the
form, clicks the boxes (unchecked ones left "Not answered", and for the R4 export also
answered "No"), and compares with ``decide()``: the outcome LHC-Forms puts in its
QuestionnaireResponse, the outcome groups it shows, and our FHIRPath run by fhirpathpy on the
response LHC-Forms made. Then one page changes its answers eight times in turn. Writes
``scripts/lforms/results/latest.json`` and ``latest.md`` and screenshots in
``scripts/lforms/results/shots/``. Exit 0: no mismatch; 1: a mismatch or a request off this
machine; 2: LHC-Forms could not be installed or Chromium is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HERE = REPO / "scripts" / "lforms"
RESULTS = HERE / "results"
MAIN_JS = HERE / "node_modules" / "lforms" / "dist" / "lforms" / "webcomponent" / "main.js"
sys.path.insert(0, str(REPO / "tests"))

from helpers import CHROMIUM_ARGS, CONTENT, chromium_path  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from rule_variants import VARIANTS, answers, every_input, is_valid, variant  # noqa: E402
from sdc_eval import outcome_of  # noqa: E402
from sdc_eval import run as run_fhirpath  # noqa: E402

from cam_workbench.content.loading import load_content  # noqa: E402
from cam_workbench.content.model import ScreeningFile  # noqa: E402
from cam_workbench.content.rules import decide  # noqa: E402
from cam_workbench.fhir.constants import NONE_LINK, OUTCOME_LINK  # noqa: E402
from cam_workbench.fhir.questionnaire import questionnaire  # noqa: E402

DATE = dt.date(2026, 5, 1)
#: How LHC-Forms answers a boolean (radio buttons): Yes, No, Not answered.
YES, NO, NOT_ANSWERED = "true", "false", "null"
#: What LHC-Forms logs at every load without a FHIR server: harmless here.
KNOWN_CONSOLE = ("loadFHIRResources() was called before LForms.Util.setFHIRContext()",)


def ensure_lforms() -> None:
    """Install LHC-Forms into scripts/lforms/node_modules/ unless it is there."""
    if MAIN_JS.is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once to install LHC-Forms: apt-get install npm")
    print("installing LHC-Forms (npm ci, once) ...", flush=True)
    command = [npm, "ci", "--legacy-peer-deps", "--ignore-scripts", "--no-audit", "--no-fund"]
    done = subprocess.run(command, cwd=HERE, check=False)
    if done.returncode != 0 or not MAIN_JS.is_file():
        raise SystemExit(f"npm ci failed in {HERE} (exit {done.returncode}); see above")


def questionnaires(quick: bool) -> dict[str, dict[str, Any]]:
    """Name → questionnaire, its screening, FHIR version, the inputs and how to leave a box."""
    content = load_content(CONTENT)
    shipped = content.screening("en")
    spanish = content.screening("es")
    everything = list(every_input(shipped))
    valid = [(f, n) for f, n in everything if is_valid(f, n)]
    plan: dict[str, dict[str, Any]] = {
        "shipped_R4": {
            "screening": shipped,
            "version": "R4",
            "inputs": valid if quick else everything,
            "unchecked": [NOT_ANSWERED] if quick else [NOT_ANSWERED, NO],
        }
    }
    if not quick:
        plan["shipped_R5"] = {"screening": shipped, "version": "R5", "inputs": everything}
        for name in VARIANTS:
            screening = variant(shipped, name)
            plan[f"{name}_R4"] = {"screening": screening, "version": "R4", "inputs": everything}
        # A finding, not a check: two outcomes with one heading (the export notes it).
        plan["probe_tie_same_heading_R4"] = {
            "screening": variant(shipped, "tie_reversed", own_headings=False),
            "version": "R4",
            "inputs": valid,
            "probe": True,
        }
    for entry in plan.values():
        entry.setdefault("unchecked", [NOT_ANSWERED])
        translations = [spanish] if entry["screening"] is shipped else []
        entry["q"] = questionnaire(
            entry["screening"],
            date=DATE,
            translations=translations,
            fhir_version=entry["version"],
        ).resource
    return plan


def serve() -> tuple[http.server.ThreadingHTTPServer, int]:
    """Serve scripts/lforms/ on 127.0.0.1 (a free port), quietly."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(HERE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def load(page: Page, port: int, name: str, version: str) -> dict[str, Any]:
    """Open the form; wait until LHC-Forms has rendered it (or failed)."""
    page.goto(f"http://127.0.0.1:{port}/harness.html?q=results/q/{name}.json&lib={version}")
    page.wait_for_function("window.harness && (window.harness.ready || window.harness.error)")
    return dict(page.evaluate("window.harness"))


def set_box(page: Page, link: str, value: str) -> None:
    """Click Yes, No or Not answered of a boolean item."""
    page.click(f'[id="{link}/1/1|{value}"]')


def read_state(page: Page, screening: ScreeningFile, version: str) -> dict[str, Any]:
    """The outcome in LHC-Forms' response, the groups it shows, any check message shown."""
    page.wait_for_timeout(400)  # LHC-Forms runs the expressions after each change
    qr = page.evaluate(f"LForms.Util.getFormFHIRData('QuestionnaireResponse', '{version}')")
    codes = [
        answer.get("valueCoding", {}).get("code")
        for item in qr.get("item", [])
        if item["linkId"] == OUTCOME_LINK
        for answer in item.get("answer", [])
    ]
    shown = []
    for outcome in screening.outcomes:
        group = page.locator(f'[id="item-{OUTCOME_LINK}.{outcome.id}/1"]')
        if group.count() and group.first.is_visible():
            shown.append(outcome.id)
    field = page.locator(f'[id="{OUTCOME_LINK}/1"]')
    body = page.inner_text("body")
    prompts = screening.prompts
    return {
        "qr_codes": codes,
        "shown": shown,
        "display": field.input_value() if field.count() else None,
        "check_messages": [p for p in (prompts.nothing_chosen, prompts.contradiction) if p in body],
        "qr": qr,
    }


def fill(
    page: Page, port: int, name: str, entry: dict[str, Any], flags: frozenset[str], none: bool,
    unchecked: str,
) -> dict[str, Any]:  # fmt: skip
    """One form: load, click the boxes, compare with decide() and with fhirpathpy."""
    screening: ScreeningFile = entry["screening"]
    load(page, port, name, entry["version"])
    for item in screening.items:
        if item.id in flags or unchecked == NO:
            set_box(page, item.id, YES if item.id in flags else NO)
    if none or unchecked == NO:
        set_box(page, NONE_LINK, YES if none else NO)
    got = read_state(page, screening, entry["version"])
    decision = decide(screening, answers(flags, none))
    expected = [decision.outcome.id] if decision else []
    again = outcome_of(run_fhirpath(entry["q"], got.pop("qr"), entry["version"]))
    got["fhirpathpy_on_lforms_response"] = [again] if again else []
    ok = got["qr_codes"] == got["shown"] == got["fhirpathpy_on_lforms_response"] == expected
    return {
        "questionnaire": name,
        "probe": entry.get("probe", False),
        "flags": sorted(flags),
        "none": none,
        "unchecked": {NOT_ANSWERED: "not answered", NO: "no"}[unchecked],
        "expected": expected,
        **got,
        "ok": ok,
    }


def sequence(page: Page, port: int, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """One page, answers changed in turn (on, off, a contradiction, back to nothing)."""
    screening: ScreeningFile = entry["screening"]
    load(page, port, "shipped_R4", "R4")
    steps = [
        ("leg_symptoms", YES), ("bladder_bowel", YES), ("bladder_bowel", NO),
        ("leg_symptoms", NO), (NONE_LINK, YES), ("fever_nausea", YES),
        (NONE_LINK, NOT_ANSWERED), ("fever_nausea", NOT_ANSWERED),
    ]  # fmt: skip
    state: dict[str, str] = {}
    results = []
    for link, value in steps:
        set_box(page, link, value)
        state[link] = value
        flags = frozenset(k for k, v in state.items() if v == YES and k != NONE_LINK)
        none = state.get(NONE_LINK) == YES
        decision = decide(screening, answers(flags, none))
        expected = [decision.outcome.id] if decision else []
        got = read_state(page, screening, "R4")
        got.pop("qr")
        ok = got["qr_codes"] == got["shown"] == expected
        results.append({"step": f"{link}={value}", "expected": expected, **got, "ok": ok})
        if link == "fever_nausea" and value == YES:
            page.screenshot(path=str(RESULTS / "shots" / "sequence_contradiction.png"))
    return results


def check(quick: bool) -> dict[str, Any]:
    """Every fill of every questionnaire; the results as one JSON-ready dict."""
    plan = questionnaires(quick)
    (RESULTS / "q").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(RESULTS / "shots", ignore_errors=True)
    (RESULTS / "shots").mkdir()
    for name, entry in plan.items():
        text = json.dumps(entry["q"], indent=2, ensure_ascii=False)
        (RESULTS / "q" / f"{name}.json").write_text(text, encoding="utf-8")
    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("Chromium is needed: apt-get install chromium (or set CAM_CHROMIUM)")
    server, port = serve()
    local = (f"http://127.0.0.1:{port}/", "data:")
    outside: list[str] = []
    results: dict[str, Any] = {"fills": [], "loads": {}}
    started = time.monotonic()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            console: list[str] = []
            page.on(
                "console",
                lambda m: (
                    console.append(f"{m.type}: {m.text}")
                    if m.type in ("warning", "error")
                    else None
                ),
            )
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
            for name, entry in plan.items():
                console.clear()
                loaded = load(page, port, name, entry["version"])
                messages = [m for m in console if not any(k in m for k in KNOWN_CONSOLE)]
                results["loads"][name] = {**loaded, "console": messages}
                if not loaded.get("ready"):
                    print(f"{name}: LHC-Forms did not render it: {loaded.get('error')}")
                    continue
                for flags, none in entry["inputs"]:
                    for unchecked in entry["unchecked"]:
                        result = fill(page, port, name, entry, flags, none, unchecked)
                        results["fills"].append(result)
                        print(
                            f"{name:26} {result['unchecked']:12} "
                            f"{'+'.join(result['flags']) or '-':52} none={none!s:5} "
                            f"expected={result['expected']} lforms={result['qr_codes']} "
                            f"shown={result['shown']} {'OK' if result['ok'] else 'MISMATCH'}",
                            flush=True,
                        )
                        if name == "shipped_R4" and unchecked == NOT_ANSWERED and len(flags) <= 1:
                            tag = "+".join(sorted(flags)) or "nothing"
                            tag += "+none" if none else ""
                            page.screenshot(path=str(RESULTS / "shots" / f"{name}_{tag}.png"))
            results["sequence"] = sequence(page, port, plan["shipped_R4"])
            results["lforms"] = page.evaluate("LForms.lformsVersion")
            results["chromium"] = browser.version
            browser.close()
    finally:
        server.shutdown()
    results["outside_requests"] = outside
    results["seconds"] = round(time.monotonic() - started)
    return results


def summary(results: dict[str, Any]) -> str:
    """The results as a short Markdown table (also printed)."""
    by_name: dict[str, dict[str, int]] = {}
    for fill_ in results["fills"]:
        counts = by_name.setdefault(fill_["questionnaire"], {"fills": 0, "mismatches": 0})
        counts["fills"] += 1
        counts["mismatches"] += not fill_["ok"]
    lines = [
        f"LHC-Forms {results['lforms']} in Chromium {results['chromium']}, offline "
        f"({len(results['outside_requests'])} requests off 127.0.0.1), {results['seconds']} s.",
        "",
        "| questionnaire | fills | mismatches | warnings at load |",
        "|---|---:|---:|---:|",
    ]
    for name, counts in by_name.items():
        at_load = len(results["loads"][name]["console"])
        probe = " (a probe: not counted)" if name.startswith("probe_") else ""
        lines.append(f"| {name}{probe} | {counts['fills']} | {counts['mismatches']} | {at_load} |")
    steps = results["sequence"]
    bad = sum(not s["ok"] for s in steps)
    lines.append(f"| one page, answers changed in turn | {len(steps)} | {bad} | |")
    checked = [f for f in results["fills"] if not f["probe"]]
    mismatches = sum(not f["ok"] for f in checked) + bad
    lines[0:0] = [
        f"{len(checked)} fills and {len(steps)} answer changes checked: {mismatches} mismatches.",
        "",
    ]
    invalid = [f for f in checked if not is_valid(frozenset(f["flags"]), f["none"])]
    told = sum(bool(f["check_messages"]) for f in invalid)
    lines += [
        "",
        f"Check messages (targetConstraint) shown for the {len(invalid)} invalid fills: {told}.",
    ]
    probes = [f for f in results["fills"] if f["probe"]]
    if probes:
        stored = sum(f["qr_codes"] != f["expected"] for f in probes)
        shown = sum(f["shown"] == f["expected"] for f in probes)
        lines.append(
            f"Probe, two outcomes with one heading: in {stored} of {len(probes)} fills LHC-Forms "
            f"stored another outcome than decide()'s; it showed the right group in {shown}."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    """Install LHC-Forms if needed, run every fill, write and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 16 answer sets, R4 only")
    args = parser.parse_args()
    ensure_lforms()
    results = check(args.quick)
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    table = summary(results)
    (RESULTS / "latest.md").write_text(table, encoding="utf-8")
    print("\n" + table + f"\nwrote {RESULTS / 'latest.json'} and latest.md")
    checked = [f for f in results["fills"] if not f["probe"]] + results["sequence"]
    failed = [f for f in checked if not f["ok"]]
    return 1 if failed or results["outside_requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
