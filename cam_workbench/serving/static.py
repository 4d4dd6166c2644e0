"""Static files of the patient page: compressed once, kept in memory, cached for a year.

Voila's bundle (``/voila/static/``, versioned under ``/voila/static/_/<version>/``), the
template's files (``?v=``) and the lab extensions (content-hashed names) are sent
gzip-compressed from memory when the browser accepts it, with ``immutable`` caching when
their URL is versioned.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path
from typing import Any, Final

import tornado.web
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import FileFindHandler
from voila._version import __version__ as VOILA_VERSION
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler

IMMUTABLE: Final = "public, max-age=31536000, immutable"
"""``Cache-Control`` of static files whose URL changes when their content does."""

_COMPRESSIBLE: Final = frozenset(
    {".js", ".css", ".json", ".svg", ".html", ".map", ".txt", ".ttf", ".eot"}
)
_ODD_PART: Final = frozenset({"", ".", ".."})
_HASHED_NAME: Final = re.compile(r"[.-][0-9a-f]{12,}\.[a-z0-9]+$")
_GZIP_CACHE_LIMIT: Final = 64 * 2**20
_gzip_cache: dict[str, tuple[float, int, bytes | None]] = {}


def gzipped(path: str) -> bytes | None:
    """The gzip-compressed content of a static file, compressed once and kept in memory.

    ``None`` when compression does not pay (already compressed formats, files under 1 KiB).
    At most 64 MiB of compressed files are kept; past that, files are compressed per request.
    """
    if Path(path).suffix.lower() not in _COMPRESSIBLE:
        return None
    stat = os.stat(path)
    if stat.st_size < 1024:
        return None
    cached = _gzip_cache.get(path)
    if cached and cached[0] == stat.st_mtime and cached[1] == stat.st_size:
        return cached[2]
    body = gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
    if sum(len(b or b"") for _, _, b in _gzip_cache.values()) + len(body) <= _GZIP_CACHE_LIMIT:
        _gzip_cache[path] = (stat.st_mtime, stat.st_size, body)
    return body


class _CompressedCachedStatic(tornado.web.StaticFileHandler):
    """Static files sent gzip-compressed (from memory), immutable when the URL is versioned."""

    immutable = False
    """Every URL this handler serves is versioned (set per route)."""

    def initialize(self, *args: Any, immutable: bool = False, **kwargs: Any) -> None:
        """Take our ``immutable`` route option; the rest goes to the parent handler."""
        self.immutable = immutable
        super().initialize(*args, **kwargs)

    def is_versioned(self) -> bool:
        """Whether the URL changes whenever the file's content does."""
        return self.immutable or "v" in self.request.arguments

    def set_headers(self) -> None:
        """The parent's headers, then a year of caching for versioned URLs."""
        super().set_headers()
        self.set_header("Vary", "Accept-Encoding")
        if self.is_versioned():
            self.set_header("Cache-Control", IMMUTABLE)

    async def get(self, path: str, include_body: bool = True) -> None:
        """Send the gzip-compressed file when the client accepts it; else the parent's way."""
        if "\x00" in path:  # os.path.realpath would raise: a plain 404 instead of a 500
            raise tornado.web.HTTPError(404)
        accepts = "gzip" in self.request.headers.get("Accept-Encoding", "")
        if not accepts or "Range" in self.request.headers:
            await super().get(path, include_body)
            return
        # The start of StaticFileHandler.get: the same path checks.
        self.path = self.parse_url_path(path)
        absolute_path = self.get_absolute_path(self.root, self.path)
        self.absolute_path = self.validate_absolute_path(self.root, absolute_path)
        if self.absolute_path is None:
            return
        body = gzipped(self.absolute_path)
        if body is None:
            await super().get(path, include_body)
            return
        self.modified = self.get_modified_time()
        self.set_headers()
        if self.should_return_304():
            self.set_status(304)
            return
        self.set_header("Content-Encoding", "gzip")
        self.set_header("Content-Length", str(len(body)))
        if include_body:
            self.write(body)


class CamStaticHandler(_CompressedCachedStatic, MultiStaticFileHandler):
    """Voila's bundle (``/voila/static/``; versioned under ``/voila/static/_/<version>/``)."""


class CamTemplateStaticHandler(_CompressedCachedStatic, TemplateStaticFileHandler):
    """The template's files (``/voila/templates/<name>/static/``, versioned with ``?v=``)."""

    def parse_url_path(self, url_path: str) -> str:
        """404 for a path that is not ``<template>/static/<file>`` (Voila's would raise).

        No empty, ``.`` or ``..`` part anywhere (``%2f`` arrives here as ``/``): Voila
        normalises the path before it splits it, so ``x/static/../y`` lost its ``static``.
        """
        parts = url_path.split("/")
        if len(parts) < 3 or parts[1] != "static" or _ODD_PART.intersection(parts):
            raise tornado.web.HTTPError(404)
        return str(super().parse_url_path(url_path))


class CamLabextensionsHandler(_CompressedCachedStatic, FileFindHandler):
    """Lab extension files (``/voila/labextensions/``): content-hashed names or ``?v=``."""

    def is_versioned(self) -> bool:
        """Versioned by ``?v=`` or by a content hash in the file name."""
        return super().is_versioned() or bool(_HASHED_NAME.search(self.request.path))

    @allow_unauthenticated
    async def get(self, path: str, include_body: bool = True) -> None:
        """As for every static file (the page's assets need no login)."""
        await super().get(path, include_body)


def static_version(static_paths: list[str]) -> str:
    """A short hash naming the installed Voila bundle (its version and its files)."""
    digest = hashlib.sha256(VOILA_VERSION.encode())
    for root in static_paths:
        main = Path(root) / "voila.js"
        if main.is_file():
            stat = main.stat()
            digest.update(f"{main}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
