"""Who may see and change what: only this dashboard's own host names (no DNS rebinding), a token
for anything beyond this machine, CSRF and the origin for edits, and headers that keep the pages
to themselves."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_ENV = "LOADWATCH_WEB_TOKEN"
HEADERS = {
    # No scripts at all, styles inline, images from this dashboard (an athlete's charts) or as
    # data: the pages need nothing else.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Nothing to other sites; our own form posts keep their Origin (no-referrer sends "null").
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("0.0.0.0", "::", "")


def host_name(header: str) -> str:
    """The host of a Host header or an origin's netloc, without port or brackets, lowercase."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else ""
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostPolicy:
    """The host names this dashboard answers to. A DNS rebinding attack serves its page under
    its own name pointed at this machine, so any other name is refused: the loopback names, the
    address it is bound to, and the configured public URL's host. Bound to every address (0.0.0.0,
    with a token), any IP address and this machine's own names are accepted too: an address
    literal cannot be rebound."""

    def __init__(self, bound: str, public_url: str | None = None):
        self.public_origin = public_url.rstrip("/").lower() if public_url else None
        self.wildcard = host_name(bound) in WILDCARDS
        names: set[str] = {*LOOPBACK_NAMES, host_name(bound)}
        if public_url:
            names.add(host_name(urlsplit(public_url).netloc))
        if self.wildcard:
            names |= {host_name(n) for n in _machine_names()}
        self.names = frozenset(names - {""})

    def allows_host(self, header: str | None) -> bool:
        if not header:
            return False
        name = host_name(header)
        return name in self.names or (self.wildcard and _is_ip(name))

    def allows_origin(self, origin: str, host_header: str) -> bool:
        """A change comes from this dashboard's own page: its Origin is the Host asked for (or
        the public URL a proxy serves it under)."""
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null": a sandboxed frame, a file, a privacy-stripped origin
        if self.public_origin and f"{parts.scheme}://{parts.netloc}" == self.public_origin:
            return True
        return parts.netloc == host_header.strip().lower()


def _machine_names() -> Iterable[str]:
    try:
        yield socket.gethostname()
        yield socket.getfqdn()
    except OSError:
        return


def presented_token(request: Request) -> str | None:
    """The token from `Authorization: Bearer TOKEN`, or the password of HTTP basic auth."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class TokenAuth:
    """Every request needs the token (when one is set); the browser asks for it as a password.

    Plain ASGI, as HostCheck: Starlette's BaseHTTPMiddleware spent about 0.5 ms of every request
    each (a task group and streams per request), half a shared team page's time."""

    def __init__(self, app: ASGIApp, token: str | None, keyed: re.Pattern[str] | None = None):
        """`keyed`: paths that check a key of their own instead (a calendar app sends no
        token); the host check still applies to them."""
        self.app = app
        self.token = token
        self.keyed = keyed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        own_key = self.keyed is not None and self.keyed.fullmatch(request.url.path) is not None
        if self.token and not own_key:
            given = presented_token(request)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                refused = PlainTextResponse(
                    "401: this loadwatch needs its token (LOADWATCH_WEB_TOKEN)",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="loadwatch"', **HEADERS},
                )
                await refused(scope, receive, send)
                return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(HEADERS)
            await send(message)

        await self.app(scope, receive, with_headers)


class HostCheck:
    """Refuses requests for another host name (400) and changes from another origin (403),
    before anything else looks at them."""

    def __init__(self, app: ASGIApp, policy: HostPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(Request(scope))
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, request: Request) -> Response | None:
        host = request.headers.get("host")
        if not self.policy.allows_host(host):
            return PlainTextResponse(
                f"400: this loadwatch does not answer to the host name {host_name(host or '')!r} "
                "(set web.public_url for the name a proxy serves it under)",
                status_code=400,
                headers=HEADERS,
            )
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            if origin is None and request.headers.get("referer"):
                referer = urlsplit(request.headers["referer"])
                origin = f"{referer.scheme}://{referer.netloc}"
            if origin is None or not self.policy.allows_origin(origin, host or ""):
                return PlainTextResponse(
                    "403: a change must come from this dashboard's own page "
                    f"(Origin {origin or 'missing'})",
                    status_code=403,
                    headers=HEADERS,
                )
        return None
