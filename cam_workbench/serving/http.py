"""HTTP hardening shared by every route of the patient server.

* :func:`harden` turns any tornado handler class into one that refuses a foreign ``Host``
  header (DNS rebinding), sends the security headers (:func:`content_security_policy`,
  ``Referrer-Policy``, ``X-Content-Type-Options``; no ``Server`` header), answers every error
  with a plain page (never a traceback, never jupyter_server's templates, which cannot render
  here) and logs an error as one line without query string, client address or traceback;
* :func:`client_address` finds the visitor's address, from ``X-Forwarded-For`` only when the
  direct peer is a trusted proxy (the first ``X-Forwarded-For`` from any other peer is worth
  one warning: a reverse proxy that is not a ``--trusted-proxy`` makes all its visitors one
  address);
* :class:`PrivacyLogFilter` rewrites what tornado and jupyter_server log themselves.

This module only knows tornado and the standard library; ``serving`` builds on it.
"""

from __future__ import annotations

import html
import ipaddress
import logging
import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

import tornado.web
from jupyter_server.base.handlers import APIHandler

POLICY_SETTING: Final = "cam_http_policy"
"""Key of the :class:`HttpPolicy` in the tornado application settings."""

LOCAL_HOSTS: Final = ("localhost", "127.0.0.1", "::1")
"""Host names always allowed in the ``Host`` header (besides the bound address)."""

DEFAULT_FRAME_ANCESTORS: Final = "'self'"
"""Who may show the page in a frame (CSP ``frame-ancestors``)."""

SECURITY_HEADERS: Final = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""Headers sent with every response, besides the Content-Security-Policy."""


@dataclass(frozen=True)
class HttpPolicy:
    """What every handler enforces; built once by the app (``settings[POLICY_SETTING]``)."""

    allowed_hosts: frozenset[str]
    """Host names (lower case, IPv6 without brackets) a request may name in ``Host``."""
    texts: dict[str, str] = field(default_factory=dict)
    """The server's texts (``ServerTexts`` as a dict): the plain error page's title, message
    and language."""
    frame_ancestors: str = DEFAULT_FRAME_ANCESTORS
    """CSP ``frame-ancestors`` sources: who may frame the page."""
    trusted_proxies: frozenset[str] = frozenset()
    """Peers whose ``X-Forwarded-For`` names the client (see :func:`client_address`)."""
    log_name: str = __name__
    """Logger for refusals and errors (the app's, whose handlers and filters are set up)."""
    replica: str = ""
    """This process' random name, sent as ``X-Cam-Replica`` (see ``serving.operations``)."""
    partitioned_cookies: bool = False
    """Mark cookies ``Partitioned`` (CHIPS): kept per top-level site, so a portal on another
    site can frame the page where third-party cookies are blocked (``serving.placement``)."""
    warned: set[str] = field(default_factory=set, compare=False, hash=False)
    """Warnings given already (each is logged once per server)."""

    @property
    def log(self) -> logging.Logger:
        """The logger named by :attr:`log_name`."""
        return logging.getLogger(self.log_name)


def plain_page(title: str, message: str, language: str = "en") -> str:
    """Render a small, self-contained HTML page (no scripts, no external resources)."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        "<style>body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
        "max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a;"
        "background:#fff;font-size:1.125rem}h1{font-size:1.6rem}</style>\n"
        "</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(message)}</p>\n"
        "</main>\n</body>\n</html>\n"
    )


# -- Host header and client address ---------------------------------------------------------

_HOST_RE: Final = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[^:\[\]]+))(?::\d{1,5})?$")


def host_name(host_header: str) -> str | None:
    """The host name of a ``Host`` header, lower case, without port or IPv6 brackets.

    ``None`` when the header is not a host name with an optional port.
    """
    match = _HOST_RE.match(host_header.strip())
    if match is None:
        return None
    return (match.group("v6") or match.group("name")).lower().rstrip(".")


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Names a request may use: the bound address, ``localhost``/loopback and ``extra``."""
    names = {*LOCAL_HOSTS, bound.strip("[]").lower()}
    for name in extra:
        parsed = host_name(name)
        if parsed is None:
            raise ValueError(f"not a host name: {name!r} (give a name such as clinic.example)")
        names.add(parsed)
    return frozenset(names)


def host_allowed(host_header: str, allowed: frozenset[str]) -> bool:
    """Whether a request's ``Host`` header names this server (DNS rebinding defence)."""
    name = host_name(host_header)
    return name is not None and name in allowed


def _normal_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


def trusted_proxy_set(values: Iterable[str]) -> frozenset[str]:
    """Normalise ``--trusted-proxy`` addresses; refuse anything that is not an IP address."""
    found = set()
    for value in values:
        address = _normal_address(value)
        if address is None:
            raise ValueError(f"not an IP address: {value!r} (give the proxy's address)")
        found.add(address)
    return frozenset(found)


UNTRUSTED_PROXY_WARNING: Final = (
    "A request came with X-Forwarded-For from a peer that is not a --trusted-proxy: the "
    "header is ignored, so every visitor behind that proxy counts as one client address for "
    "the per-address limits. If a reverse proxy runs in front of this server, pass its "
    "address with --trusted-proxy. (Said once.)"
)


def forwarded_by_untrusted(peer: str, forwarded_for: str | None, trusted: frozenset[str]) -> bool:
    """Whether a request carries ``X-Forwarded-For`` from a peer that is not a trusted proxy."""
    return forwarded_for is not None and (_normal_address(peer) or peer) not in trusted


def client_address(peer: str, forwarded_for: str | None, trusted: frozenset[str]) -> str:
    """The visitor's address, as used for the per-address limit.

    The direct peer, unless it is a trusted proxy: then the right-most address of
    ``X-Forwarded-For`` that is not itself a trusted proxy (entries to its left were written
    by the client and could be anything). Without trusted proxies the header is ignored.
    """
    current = _normal_address(peer) or peer
    if current not in trusted or not forwarded_for:
        return current
    for entry in reversed(forwarded_for.split(",")):
        address = _normal_address(entry)
        if address is None:
            return current  # a malformed hop: trust nothing beyond the last good one
        current = address
        if current not in trusted:
            return current
    return current


# -- headers --------------------------------------------------------------------------------


def content_security_policy(frame_ancestors: str, host: str) -> str:
    """The page's Content-Security-Policy.

    Scripts only from this server (no inline script, no ``eval``: our templates load every
    script from a file); inline styles are allowed (ipywidgets sets ``style`` attributes and
    the dashboard's HTML widgets carry ``<style>``); images from here or ``data:`` URLs; the
    kernel websocket on this host; framing as ``frame_ancestors`` says.
    """
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src 'self' ws://{host} wss://{host}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ]
    return "; ".join(directives)


# -- the handler mixin ----------------------------------------------------------------------


class HardenedHandler(tornado.web.RequestHandler):
    """Mixed in front of every route's handler class by :func:`harden`."""

    @property
    def http_policy(self) -> HttpPolicy:
        """The server's :class:`HttpPolicy` (an open policy if the app has none)."""
        policy = self.settings.get(POLICY_SETTING)
        return policy if isinstance(policy, HttpPolicy) else HttpPolicy(frozenset())

    def client_address(self) -> str:
        """The visitor's address (see :func:`client_address`)."""
        return client_address(
            self.request.remote_ip or "",
            self.request.headers.get("X-Forwarded-For"),
            self.http_policy.trusted_proxies,
        )

    def prepare(self) -> Any:
        """Refuse a foreign ``Host`` (400) before anything else runs.

        The first ``X-Forwarded-For`` from a peer that is not a trusted proxy gets one
        warning (without the header's value or any address).
        """
        policy = self.http_policy
        allowed = policy.allowed_hosts
        if allowed and not host_allowed(self.request.host, allowed):
            shown = self.request.host[:80]
            policy.log.warning("Refused a request for host %r (not an --allowed-host).", shown)
            raise tornado.web.HTTPError(400)
        if "untrusted proxy" not in policy.warned and forwarded_by_untrusted(
            self.request.remote_ip or "",
            self.request.headers.get("X-Forwarded-For"),
            policy.trusted_proxies,
        ):
            policy.warned.add("untrusted proxy")
            policy.log.warning("%s", UNTRUSTED_PROXY_WARNING)
        return super().prepare()

    def set_default_headers(self) -> None:
        """The parent's headers, then ours; no ``Server`` header naming the stack."""
        super().set_default_headers()
        self.clear_header("Server")
        policy = self.http_policy
        host = self.request.host if host_allowed(self.request.host, policy.allowed_hosts) else ""
        self.set_header(
            "Content-Security-Policy",
            content_security_policy(policy.frame_ancestors, host or "localhost"),
        )
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        if policy.replica:
            self.set_header("X-Cam-Replica", policy.replica)

    def flush(self, include_footers: bool = False) -> Any:
        """Tornado's flush; cookies marked ``Partitioned`` first when the policy says so.

        Python's cookie module (before 3.14) cannot write the attribute: the ``Set-Cookie``
        headers are written here, and tornado's own cookie list emptied.
        """
        cookies = getattr(self, "_new_cookie", None)
        if cookies and self.http_policy.partitioned_cookies and not self._headers_written:
            for morsel in cookies.values():
                self.add_header("Set-Cookie", morsel.OutputString(None) + "; Partitioned")
            cookies.clear()
        return super().flush(include_footers)

    def send_plain_page(self, status: int, title: str, message: str, **headers: str) -> None:
        """Finish with a plain page (see :func:`plain_page`); never cached."""
        self.clear()
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
        for name, value in headers.items():
            self.set_header(name.replace("_", "-"), value)
        texts = self.http_policy.texts
        page = plain_page(title, message, texts.get("language", "en"))
        if isinstance(self, APIHandler):  # its finish() would label the page as JSON
            self.finish(page, set_content_type="text/html; charset=UTF-8")
        else:
            self.finish(page)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error: the plain page with the server's error texts; never a traceback."""
        texts = self.http_policy.texts
        self.send_plain_page(
            status_code,
            texts.get("error_title", "Error"),
            texts.get("error_message", "Something went wrong."),
        )

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """One line, without query string, client address or traceback.

        Expected refusals (``HTTPError``) are already in the request log line; anything else
        is logged with its type and where it was raised.
        """
        if isinstance(value, tornado.web.HTTPError):
            return
        name = typ.__name__ if typ is not None else "error"
        self.http_policy.log.error(
            "Unexpected %s in %s %s%s", name, self.request.method, self.request.path, _where(tb)
        )


def _where(tb: TracebackType | None) -> str:
    """`` (at file.py:123)`` for the innermost frame of a traceback, or ``""``."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    if not frames:
        return ""
    last = frames[-1]
    return f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})"


_hardened: dict[type, type] = {}


def harden(handler_class: type) -> type:
    """``handler_class`` with :class:`HardenedHandler` in front (one class per original)."""
    if issubclass(handler_class, HardenedHandler):
        return handler_class
    if handler_class not in _hardened:
        _hardened[handler_class] = type(
            handler_class.__name__,
            (HardenedHandler, handler_class),
            {"__module__": handler_class.__module__, "__doc__": handler_class.__doc__},
        )
    return _hardened[handler_class]


# -- the log --------------------------------------------------------------------------------

_QUERY: Final = re.compile(r"(/[^\s?'\"<>]*)\?[^\s'\"()<>]*")
_IPV4: Final = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6: Final = re.compile(r"(?<![\w:.])\[?(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\]?(?![\w:])")


def redact(text: str, keep: frozenset[str] = frozenset()) -> str:
    """``text`` without query strings and IP addresses (but those in ``keep``)."""
    text = _QUERY.sub(r"\1?…", text)

    def address(match: re.Match[str]) -> str:
        found = match.group(0)
        bare = found.strip("[]")
        if bare in keep:
            return found
        clock = ":" in bare and "::" not in bare and not re.search(r"[a-fA-F]", bare)
        if clock and bare.count(":") < 4:  # a time such as 10:43:46, not an address
            return found
        return "<address>"

    text = _IPV4.sub(address, text)
    return _IPV6.sub(address, text)


class PrivacyLogFilter(logging.Filter):
    """Keep patients' data out of the server log, whoever logs.

    Drops the jupyter_server lines that would hold a whole kernel message; removes query
    strings and client addresses from every line; replaces a traceback by the exception's
    name (``strip_tracebacks``).
    """

    _DROPPED = ("No channel specified, assuming shell", "Malformed message")

    def __init__(self, keep: frozenset[str] = frozenset(), strip_tracebacks: bool = True):
        """``keep``: addresses that are the server's own (e.g. the bound address)."""
        super().__init__()
        self.keep = keep
        self.strip_tracebacks = strip_tracebacks

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; ``False`` drops it."""
        if str(record.msg).startswith(self._DROPPED):
            return False
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep only the template
            message = str(record.msg)
        if self.strip_tracebacks and record.exc_info:
            typ = record.exc_info[0]
            message += f" ({typ.__name__ if typ else 'error'}{_where(record.exc_info[2])})"
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        record.msg = redact(message, self.keep)
        record.args = ()
        return True
