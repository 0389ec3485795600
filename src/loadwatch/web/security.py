"""Who may see and change what: a token for anything beyond this machine, CSRF for edits, and
headers that keep the pages to themselves."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

TOKEN_ENV = "LOADWATCH_WEB_TOKEN"
HEADERS = {
    # No scripts at all, styles inline, images only as data: the pages need nothing else.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


class TokenAuth(BaseHTTPMiddleware):
    """Every request needs the token (when one is set); the browser asks for it as a password."""

    def __init__(self, app, token: str | None):
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if self.token:
            given = presented_token(request)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                return PlainTextResponse(
                    "401: this loadwatch needs its token (LOADWATCH_WEB_TOKEN)",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="loadwatch"', **HEADERS},
                )
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response
