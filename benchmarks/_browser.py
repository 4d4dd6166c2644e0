"""Real Chromium: time to first question, kernel memory at that moment, wire bytes, clicks."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _procs import memory_kib
from _servers import Server

# The browser tests' Chromium and flags (tests/helpers.py): one definition for both.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import CHROMIUM_ARGS, chromium_path  # noqa: E402

CHROMIUM = chromium_path() or "/usr/bin/chromium"
"""Debian's Chromium, or $CAM_CHROMIUM (as for the browser tests)."""

# Records, in ms since navigation start (performance.now()), when the first red-flag checkbox
# is usable: in the DOM, enabled, visible (no display: none or visibility: hidden on it or an
# ancestor: Voila keeps the cells hidden until the page is ready), laid out with a size, and,
# when it is on screen, the element a click at its centre would reach (nothing unstyled or
# covering it: a page missing its style sheets can have a "visible" checkbox nobody can see or
# click). Voila renders a widget only once its kernel is connected and its state fetched, so a
# rendered checkbox can be clicked. A style sheet arriving changes no DOM node, so while a
# candidate is there but not yet usable the check runs again on each animation frame.
FIRST_QUESTION_JS = """
(() => {
  const LABEL = %s;
  const inputs = document.getElementsByTagName('input');  // live, so a cheap check per change
  function usable() {
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      if (input.type !== 'checkbox' || input.disabled) continue;
      const label = input.closest('label') || input.parentElement;
      if (!label || !label.textContent.includes(LABEL)) continue;
      if (!input.checkVisibility({visibilityProperty: true})) continue;
      waiting = true;
      if (!reachable(input, label)) continue;
      return true;
    }
    return false;
  }
  function reachable(input, label) {
    const box = input.getBoundingClientRect();
    if (box.width <= 0 || box.height <= 0) return false;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return true;  // below the fold
    const hit = document.elementFromPoint(x, y);
    return hit !== null && (hit === input || label.contains(hit));
  }
  let waiting = false, frame = 0;
  const observer = new MutationObserver(check);
  function check() {
    if (window.__firstQuestion !== undefined || !inputs.length) return;
    waiting = false;
    if (usable()) {
      window.__firstQuestion = performance.now();
      observer.disconnect();
    } else if (waiting && !frame) {
      frame = requestAnimationFrame(() => { frame = 0; check(); });
    }
  }
  observer.observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['style', 'class']
  });
})();
"""

NAV_TIMING_JS = """
() => {
  const n = performance.getEntriesByType('navigation')[0];
  return n ? {response_start: n.responseStart, response_end: n.responseEnd,
              dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd} : {};
}
"""

KERNEL_ID_JS = """
() => {
  const el = document.getElementById('jupyter-config-data');
  return el ? JSON.parse(el.textContent).kernelId || null : null;
}
"""

# Click a button, and time until a heading with the given text is in the DOM and laid out
# (then one animation frame, so the browser has painted it).
CLICK_TO_HEADING_JS = """
async ([buttonText, headingText]) => {
  const button = [...document.querySelectorAll('button')]
    .find(b => b.textContent.trim() === buttonText && b.getClientRects().length);
  if (!button) return -2;
  const shown = () => [...document.querySelectorAll('h1, h2, h3')]
    .some(h => h.textContent.trim() === headingText && h.getClientRects().length);
  return await new Promise(resolve => {
    const t0 = performance.now();
    let done = false;
    const finish = () => {
      if (done || !shown()) return;
      done = true;
      observer.disconnect();
      requestAnimationFrame(() => resolve(performance.now() - t0));
    };
    const observer = new MutationObserver(finish);
    observer.observe(document.body, {childList: true, subtree: true, characterData: true});
    button.click();
    setTimeout(() => { if (!done) { done = true; observer.disconnect(); resolve(-1); } }, 15000);
  });
}
"""

_STATIC_TYPES = {"Script", "Stylesheet", "Font", "Image"}


def wait_for_first_question(page: Any, timeout_s: float) -> None:
    """Poll ``window.__firstQuestion`` every 20 ms until it is set (``TimeoutError`` after).

    ``page.evaluate``, not ``wait_for_function``: that one evaluates its predicate from a
    string inside the page, which the page's Content-Security-Policy (no ``unsafe-eval``)
    refuses. The time itself is recorded in the page, so polling adds nothing to it.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(Exception):  # the document may still be loading
            if page.evaluate("window.__firstQuestion") is not None:
                return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no first question after {timeout_s:.0f} s")
        page.wait_for_timeout(20)


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class WireLog:
    """Network events of one page (Chrome DevTools Protocol), for bytes and headers."""

    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    ws_bytes: int = 0
    ws_frames: int = 0

    def attach(self, context: Any, page: Any) -> None:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", self._memory_cache)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketFrameReceived", self._ws)
        cdp.on("Network.webSocketFrameSent", self._ws)

    def _entry(self, request_id: str) -> dict[str, Any]:
        return self.requests.setdefault(
            request_id, {"bytes": 0, "decoded": 0, "cached": False, "finished": False}
        )

    def _sent(self, event: dict[str, Any]) -> None:
        if event["request"]["url"].startswith(("data:", "blob:")):
            return
        entry = self._entry(event["requestId"])
        entry["url"] = event["request"]["url"]
        entry["time"] = time.monotonic()

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        entry = self._entry(event["requestId"])
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        entry.update(
            status=response.get("status"),
            type=event.get("type"),
            encoding=headers.get("content-encoding", ""),
            cache_control=headers.get("cache-control", ""),
        )
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            entry["cached"] = True

    def _memory_cache(self, event: dict[str, Any]) -> None:
        self._entry(event["requestId"])["cached"] = True

    def _data(self, event: dict[str, Any]) -> None:
        self._entry(event["requestId"])["decoded"] += event.get("dataLength", 0)

    def _finished(self, event: dict[str, Any]) -> None:
        entry = self._entry(event["requestId"])
        entry["bytes"] = event.get("encodedDataLength", 0)
        entry["finished"] = True

    def _ws(self, event: dict[str, Any]) -> None:
        self.ws_frames += 1
        self.ws_bytes += len(event.get("response", {}).get("payloadData", ""))

    def last_request_time(self) -> float:
        return max((e.get("time", 0.0) for e in self.requests.values()), default=0.0)

    def summary(self) -> dict[str, Any]:
        http = [e for e in self.requests.values() if "url" in e]
        static = [e for e in http if e.get("type") in _STATIC_TYPES and e.get("status") == 200]
        fetched = [e for e in static if not e["cached"]]
        compressible = [e for e in fetched if e.get("type") in {"Script", "Stylesheet"}]
        return {
            "requests": len(http),
            "from_cache": sum(1 for e in http if e["cached"]),
            "not_modified_304": sum(1 for e in http if e.get("status") == 304),
            "bytes": sum(e["bytes"] for e in http),
            "decoded_bytes": sum(e["decoded"] for e in http),
            "websocket_bytes": self.ws_bytes,
            "static_fetched": len(fetched),
            "static_js_css_compressed": sum(1 for e in compressible if e.get("encoding")),
            "static_js_css": len(compressible),
            "static_cacheable": sum(1 for e in static if _cacheable(e.get("cache_control", ""))),
            "static_total": len(static),
        }


def _cacheable(cache_control: str) -> bool:
    value = cache_control.lower()
    if "no-store" in value or "no-cache" in value:
        return False
    match = re.search(r"max-age=(\d+)", value)
    return bool(match and int(match.group(1)) >= 86400)


def open_tab(context: Any) -> Any:
    """A new, empty tab (about:blank): the tab a patient types the address into."""
    return context.new_page()


def measure_load(
    context: Any,
    server: Server,
    timeout_s: float = 60.0,
    page: Any = None,
    record_wire: bool = False,
) -> dict[str, Any]:
    """Open the page in ``context``; time to first question, kernel memory, and bytes.

    ``page``: a tab already open (from :func:`open_tab`); without it a new tab is opened
    here, and the new tab's start-up (a renderer process) falls inside the measured time.
    ``record_wire``: count requests and bytes with the DevTools network recorder (it slows
    the page, so its time to first question is not comparable with a load without it).
    The page is left open; the caller closes it (with the unload beacon, like a patient).
    """
    opened_ms = time.time() * 1000  # epoch ms, as performance.timeOrigin
    new_tab = page is None
    page = page if page is not None else context.new_page()
    page.add_init_script(FIRST_QUESTION_JS % json.dumps(server.texts.first_flag))
    wire = WireLog()
    if record_wire:
        wire.attach(context, page)
    result: dict[str, Any] = {"server": server.name}
    response = page.goto(server.url, wait_until="commit", timeout=timeout_s * 1000)
    result["status"] = response.status if response else None
    try:
        wait_for_first_question(page, timeout_s)
    except Exception as error:  # recorded, the run goes on
        result["error"] = f"no first question after {timeout_s:.0f} s: {type(error).__name__}"
        result["page"] = page
        return result
    kernel_id = page.evaluate(KERNEL_ID_JS)
    kernels = server.kernels()
    pid = kernels.get(kernel_id or "")
    if pid:
        with contextlib.suppress(OSError):
            result["kernel_memory_kib"] = memory_kib(pid)
    result["ttfq_ms"] = page.evaluate("window.__firstQuestion")
    if new_tab:  # from the moment the tab was asked for: its start-up counts too
        origin = page.evaluate("performance.timeOrigin")
        result["ttfq_new_tab_ms"] = round(origin + result["ttfq_ms"] - opened_ms, 1)
    result["kernel_id"] = kernel_id
    # Let late requests finish (at most 5 s) before counting bytes.
    deadline = time.monotonic() + (5.0 if record_wire else 0.0)
    while time.monotonic() < deadline:
        pending = [e for e in wire.requests.values() if "url" in e and not e["finished"]]
        if not pending and time.monotonic() - wire.last_request_time() > 0.5:
            break
        page.wait_for_timeout(100)
    result["navigation"] = page.evaluate(NAV_TIMING_JS)
    if record_wire:
        result["wire"] = wire.summary()
    result["page"] = page
    return result


def close_page(page: Any, beacon: bool = True) -> None:
    """Close a page; with ``beacon`` its unload handlers run (Voila's shutdown beacon)."""
    with contextlib.suppress(Exception):  # a page that is already gone is fine
        page.close(run_before_unload=beacon)


def click_latencies(
    page: Any, server: Server, count: int, pause_s: float = 0.3
) -> tuple[list[float], int]:
    """Check the first red flag, click Continue, time until the doctor advice shows; repeat.

    Between measured clicks the page is put back to the question (start again, or on the
    minimal notebook "none of these" → Continue, which shows another outcome).
    """
    texts = server.texts
    flag = page.get_by_role("checkbox", name=texts.first_flag)
    none = page.get_by_role("checkbox", name=texts.none_option)
    times: list[float] = []
    failures = 0
    for _ in range(count):
        flag.check(timeout=15_000)
        elapsed = page.evaluate(CLICK_TO_HEADING_JS, [texts.continue_, texts.doctor_heading])
        if elapsed < 0:
            failures += 1
        else:
            times.append(float(elapsed))
        page.wait_for_timeout(pause_s * 1000)
        if texts.start_again:
            page.get_by_role("button", name=texts.start_again).click(timeout=15_000)
            flag.wait_for(state="visible", timeout=15_000)
        else:
            flag.uncheck(timeout=15_000)
            none.check(timeout=15_000)
            page.get_by_role("button", name=texts.continue_).click(timeout=15_000)
            page.get_by_role("heading", name=texts.doctor_heading).wait_for(
                state="detached", timeout=15_000
            )
            none.uncheck(timeout=15_000)
        page.wait_for_timeout(pause_s * 1000)
    return times, failures
