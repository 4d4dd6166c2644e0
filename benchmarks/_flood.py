"""The flood: many page GETs that never open a websocket, with kernels and memory sampled."""

from __future__ import annotations

import collections
import concurrent.futures
import http.client
import threading
import time
from typing import Any

from _kernel_ws import get_page
from _servers import Server


class Sampler:
    """Samples a server's live kernels and RSS every ``every_s`` seconds in a thread."""

    def __init__(self, server: Server, every_s: float = 0.25) -> None:
        self.server = server
        self.every_s = every_s
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.monotonic()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(
                (
                    time.monotonic() - self._start,
                    len(self.server.kernels()),
                    self.server.rss_kib(),
                )
            )
            self._stop.wait(self.every_s)

    def peak_kernels(self) -> int:
        return max((k for _, k, _ in self.samples), default=0)

    def peak_rss_mib(self) -> float:
        return round(max((r for _, _, r in self.samples), default=0) / 1024, 1)


def flood(server: Server, total: int, concurrency: int) -> dict[str, Any]:
    """``total`` GETs of the page, ``concurrency`` at a time; no websocket is ever opened."""
    rss_before = server.rss_kib()
    kernels_before = len(server.kernels())
    durations: list[float] = []
    statuses: collections.Counter[str] = collections.Counter()

    def one(_: int) -> None:
        start = time.monotonic()
        try:
            status, _, _ = get_page(server.url, timeout_s=60)
            statuses[str(status)] += 1
        except (OSError, http.client.HTTPException) as error:  # counted, the flood goes on
            statuses[type(error).__name__] += 1
        durations.append(time.monotonic() - start)

    start = time.monotonic()
    with (
        Sampler(server) as sampler,
        concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool,
    ):
        list(pool.map(one, range(total)))
    took = time.monotonic() - start
    durations.sort()
    return {
        "gets": total,
        "concurrency": concurrency,
        "took_s": round(took, 1),
        "statuses": dict(statuses),
        "get_p50_s": round(durations[len(durations) // 2], 2) if durations else None,
        "get_max_s": round(durations[-1], 2) if durations else None,
        "kernels_before": kernels_before,
        "peak_kernels": sampler.peak_kernels(),
        "kernels_after": len(server.kernels()),
        "server_rss_before_mib": round(rss_before / 1024, 1),
        "server_rss_peak_mib": sampler.peak_rss_mib(),
        "server_alive": server.alive(),
    }
