"""Where the server sits: under which path, in which portals' frames, with which cookies.

* :func:`normal_base_url`: the path prefix a reverse proxy mounts the server under
  (``serve --base-url /back-pain/``); every page, asset, websocket and API route of the server
  lives under it.
* :func:`frame_ancestor_sources`: the ``--frame-ancestors`` sources (the portals allowed to
  show the page in a frame), checked and written as the CSP wants them.
* :func:`cookie_options`: the cookies' ``SameSite`` and ``Secure`` attributes. The login
  cookie names the visitor (it decides who owns a kernel) and is ``SameSite=Strict``: a
  browser never sends it with a request another site starts. A portal on another *site*
  (another registrable domain) that frames the page is such a site: with ``Strict`` the
  browser neither stores nor sends the cookie inside the frame, the page's websocket is
  refused and the patient sees "session lost". So when ``--frame-ancestors`` names an
  origin, the cookies become ``SameSite=None; Secure`` (browsers store ``Secure`` cookies only
  from https or loopback pages: the server must be behind TLS). SECURITY.md says why the
  other defences (XSRF token, websocket ``Origin`` check, session ownership) still hold.

Only the standard library: ``options`` and ``config`` build on it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

DEFAULT_BASE_URL: Final = "/"
"""The server at the root of its host."""

_SEGMENT: Final = re.compile(r"^[A-Za-z0-9._~-]+$")
_KEYWORDS: Final = {"self": "'self'", "none": "'none'"}
_HOST_LABEL: Final = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normal_base_url(value: str) -> str:
    """``value`` as a base URL: ``/`` or ``/segment/.../`` (slashes added where missing).

    Segments are letters, digits and ``. _ ~ -`` (no ``..``, no empty segment, no query): the
    prefix goes into every URL of the page and into the server's routes.

    Raises:
        ValueError: the value cannot be a path prefix; the message says what to give.
    """
    text = value.strip()
    if text in ("", "/"):
        return DEFAULT_BASE_URL
    if "://" in text or "?" in text or "#" in text:
        raise ValueError(
            f"base URL must be a path such as /back-pain/, not {value!r} "
            "(no scheme, host, query or fragment)"
        )
    segments = text.strip("/").split("/")
    for segment in segments:
        if not segment or segment in (".", "..") or not _SEGMENT.match(segment):
            raise ValueError(
                f"base URL must be a path such as /back-pain/, not {value!r} "
                "(segments of letters, digits, '.', '_', '~' and '-'; no '..' or '//')"
            )
    if len(text) > 200:
        raise ValueError(f"base URL is too long ({len(text)} characters; at most 200)")
    return "/" + "/".join(segments) + "/"


def _host_ok(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        try:
            return ipaddress.ip_address(host[1:-1]).version == 6
        except ValueError:
            return False
    name = host[2:] if host.startswith("*.") else host
    try:
        ipaddress.ip_address(name)
        return not host.startswith("*.")
    except ValueError:
        pass
    labels = name.split(".")
    return all(_HOST_LABEL.match(label) for label in labels) and not name.replace(".", "").isdigit()


def _origin(source: str) -> str:
    """A host source as an origin (``https://portal.example.org[:port]``), or ValueError."""
    parts = urlsplit(source)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("an origin starts with https:// (or http://) and names a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError("an origin has no path, query or user name: https://portal.example.org")
    host, port = parts.netloc.lower(), ""
    match = re.match(r"^(.*?)(?::(\d{1,5}|\*))?$", host)
    if match:
        host, port = match.group(1), match.group(2) or ""
    if port and port != "*" and not 0 < int(port) < 65536:
        raise ValueError(f"port {port} is out of range")
    if not _host_ok(host):
        raise ValueError(f"{host!r} is not a host name")
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def frame_ancestor_sources(value: str) -> tuple[str, ...]:
    """The CSP ``frame-ancestors`` sources of ``--frame-ancestors``, normalised.

    ``value`` holds sources separated by spaces or commas: ``'self'`` (or ``self``),
    ``'none'`` (alone), and portal origins such as ``https://portal.example.org`` (a port, or
    a ``*.`` subdomain wildcard, may be given). Anything broader is refused: ``*`` or a bare
    scheme would let any site frame the page (clickjacking).

    Raises:
        ValueError: a source is not one of those; the message names it and says what to give.
    """
    raw = [part for part in re.split(r"[\s,]+", value.strip()) if part]
    if not raw:
        raise ValueError("frame-ancestors is empty: give 'self', 'none' or portal origins")
    found: list[str] = []
    for part in raw:
        keyword = _KEYWORDS.get(part.strip("'").lower())
        if keyword is not None:
            source = keyword
        elif part in ("*", "https:", "http:", "data:", "blob:") or part.endswith(":"):
            raise ValueError(
                f"frame-ancestors source {part!r} would let any site frame the page: name the "
                "portal's origin, such as https://portal.example.org"
            )
        else:
            try:
                source = _origin(part)
            except ValueError as exc:
                raise ValueError(
                    f"frame-ancestors source {part!r} is not 'self', 'none' or an origin: {exc}"
                ) from None
        if source not in found:
            found.append(source)
    if "'none'" in found and len(found) > 1:
        raise ValueError("frame-ancestors 'none' cannot be combined with other sources")
    return tuple(found)


def frame_ancestors_directive(value: str) -> str:
    """``value`` normalised for the CSP header (sources joined by one space)."""
    return " ".join(frame_ancestor_sources(value))


def embeds_cross_origin(frame_ancestors: str) -> bool:
    """Whether the sources name a portal origin (not only ``'self'`` or ``'none'``)."""
    return any(s not in _KEYWORDS.values() for s in frame_ancestor_sources(frame_ancestors))


def cookie_options(frame_ancestors: str) -> dict[str, object]:
    """The cookies' attributes: ``SameSite=Strict``, or ``None`` + ``Secure`` for portals.

    See the module docstring: a portal on another site can only keep the page's session
    with cookies the browser sends inside a cross-site frame.
    """
    if embeds_cross_origin(frame_ancestors):
        return {"samesite": "None", "secure": True}
    return {"samesite": "Strict"}
