"""One Jinja bytecode cache for every page Voila renders in this server.

Voila builds a new nbconvert exporter for each page it renders (one per preheated kernel:
one per patient), and with it a new Jinja environment; Jinja keeps its parsed templates on
the environment, so every page parsed and compiled the whole template chain again (our
template, Voila's "lab" and nbconvert's base templates): about 0.1-0.15 s of the server's one
event loop per patient, during which no other patient's request is answered. Jinja's own
mechanism for this is a bytecode cache (:class:`jinja2.BytecodeCache`): each template is
compiled once per server process and every later environment loads the compiled code. The
cache is keyed by template name and file and checked against a checksum of the template's
source at every load, so an edited template is compiled again (Jinja does this itself).
"""

from __future__ import annotations

from typing import Any, Final

import jinja2
from voila.exporter import VoilaExporter


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in this process's memory (a few hundred KiB at most).

    Voila renders on the server's one event loop, so the cache needs no lock.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill ``bucket`` from memory (Jinja then checks its source checksum)."""
        data = self._buckets.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep the bucket Jinja has just compiled."""
        self._buckets[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        """Forget every compiled template."""
        self._buckets.clear()


TEMPLATE_CACHE: Final = MemoryBytecodeCache()
"""The cache every Voila page environment of this process uses once :func:`share` ran."""

_voila_environment: Any = VoilaExporter.environment


def _environment(exporter: VoilaExporter) -> jinja2.Environment:
    environment: jinja2.Environment = _voila_environment.fget(exporter)
    environment.bytecode_cache = TEMPLATE_CACHE
    return environment


def share() -> None:
    """Give every Voila exporter's Jinja environment :data:`TEMPLATE_CACHE` (idempotent).

    Voila offers no setting for its exporter's environment, so the patient server wraps
    ``VoilaExporter.environment`` (a property) in its own process only; what the property
    returns is otherwise unchanged.
    """
    VoilaExporter.environment = property(_environment)
