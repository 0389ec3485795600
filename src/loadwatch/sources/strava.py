"""Strava, through stravalib, with the runner's own API application (OAuth 2).

As published (developers.strava.com: Authentication, Rate Limits, API v3 reference):
`POST /oauth/token` exchanges an authorisation code (`grant_type=authorization_code`) or a
refresh token (`grant_type=refresh_token`) for a six-hour access token and a refresh token that
may change with each exchange (the old one then stops working, so it is written back at once);
`GET /api/v3/athlete/activities?after=EPOCH&page=&per_page=` lists the athlete's activities
(`id`, `start_date`, `start_date_local`, `sport_type`, `name`, `distance`, `moving_time`,
`elapsed_time`, `total_elevation_gain`, `average_heartrate`, `max_heartrate`, `manual`);
`GET /api/v3/activities/{id}/streams?keys=...&key_by_type=true` their recorded series. Every
API answer carries `X-RateLimit-Limit`/`X-RateLimit-Usage` (and the read limits'
`X-ReadRateLimit-*`): "15-minute,daily". Over a limit the service answers 429.

stravalib builds every address as `https://{server}/...`; a client is pointed at another host
(tests, a proxy) by setting `protocol.server`, so `base_url` must be https. Its own rate
limiter sleeps until a window resets (up to a day); this one stops instead, and the pull goes
on at the next one.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests
from stravalib import exc
from stravalib.client import Client
from stravalib.protocol import Scope
from stravalib.util.limiter import RequestRate, get_rates_from_response_headers

from .base import TIMEOUT_S, RemoteActivity, SourceFailed

KIND = "strava"
DEFAULT_URL = "https://www.strava.com"
SCOPES: list[Scope] = ["read", "activity:read_all"]
STREAM_TYPES = ["time", "distance", "heartrate", "altitude", "cadence"]
REFRESH_MARGIN_S = 120  # refresh a token that ends within two minutes
T = TypeVar("T")


class _QuietCredentials(logging.Filter):
    """stravalib warns on the root logger, at every client it makes, that STRAVA_CLIENT_ID is
    not in the environment (it reads its credentials from there to refresh by itself). loadwatch
    passes the application's credentials explicitly and refreshes itself: those lines would be
    noise beside the one warning a failed pull is allowed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not ("stravalib" in record.pathname and "STRAVA_CLIENT" in str(record.msg))


logging.getLogger().addFilter(_QuietCredentials())


@dataclass(frozen=True)
class Tokens:
    refresh_token: str
    access_token: str | None = None
    expires_at: int = 0
    athlete_id: int | None = None  # the Strava athlete who authorised


@dataclass(frozen=True)
class Streams:
    """One activity's recorded series, as lists of the same length (SI units)."""

    time_s: list[float]
    distance_m: list[float] | None
    heartrate: list[float | None] | None
    altitude_m: list[float] | None
    cadence: list[float] | None


def read_tokens(path: Path, who: str) -> Tokens:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Tokens(
            str(raw["refresh_token"]),
            raw.get("access_token"),
            int(raw.get("expires_at") or 0),
            raw.get("athlete_id"),
        )
    except FileNotFoundError as e:
        raise SourceFailed(
            KIND, f"no refresh token in {path}: run `loadwatch strava connect --athlete {who}`"
        ) from e
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SourceFailed(
            KIND,
            f"cannot read the refresh token in {path} ({e}): run `loadwatch strava connect "
            f"--athlete {who}` again",
        ) from e


def write_tokens(path: Path, tokens: Tokens) -> None:
    """Readable by its owner only (0600) from its first byte, and replaced whole: a crash
    leaves the old token or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(tokens.__dict__, f)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class _Session(requests.Session):
    """stravalib sends its requests without a timeout; a silent server would hang a check."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT_S)
        return super().request(*args, **kwargs)


class _Limits:
    """Remembers the rate-limit headers of the last answer (stravalib calls this after each)."""

    def __init__(self) -> None:
        self.rate: RequestRate | None = None

    def __call__(self, headers: Any, method: Any) -> None:
        try:
            self.rate = get_rates_from_response_headers(dict(headers), method) or self.rate
        except ValueError:
            pass  # headers that are not numbers: no knowledge, the 429 still stops us

    def spent(self) -> str | None:
        r = self.rate
        if r is None:
            return None
        if r.long_usage >= r.long_limit:
            return f"{r.long_usage} of {r.long_limit} requests today"
        if r.short_usage >= r.short_limit:
            return f"{r.short_usage} of {r.short_limit} requests in 15 minutes"
        return None


class Strava:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_file: Path,
        base_url: str = DEFAULT_URL,
        who: str = "",
    ):
        self.name = KIND
        self.client_id, self.secret = int(client_id), client_secret
        self.token_file, self.who = token_file, who
        self.limits = _Limits()
        self.client = Client(rate_limiter=self.limits, requests_session=_Session())  # type: ignore[arg-type]
        self.client.protocol.server = urlsplit(base_url or DEFAULT_URL).netloc
        self.refreshed = False

    # --- authorisation -------------------------------------------------------------------
    def authorization_url(self, redirect_uri: str, state: str) -> str:
        return self.client.authorization_url(
            self.client_id,
            redirect_uri,
            approval_prompt="auto",
            scope=SCOPES,
            state=state,
        )

    def exchange(self, code: str) -> Tokens:
        """The code the browser brought back -> tokens, written to the token file."""
        info, athlete = self._call(
            lambda: self.client.exchange_code_for_token(
                self.client_id, self.secret, code, return_athlete=True
            ),
            what="the authorisation code",
        )
        tokens = Tokens(
            info["refresh_token"],
            info["access_token"],
            int(info["expires_at"]),
            getattr(athlete, "id", None),
        )
        write_tokens(self.token_file, tokens)
        return tokens

    def _authorise(self, force: bool = False) -> None:
        tokens = read_tokens(self.token_file, self.who)
        if not force and tokens.access_token and tokens.expires_at > time.time() + REFRESH_MARGIN_S:
            self.client.access_token = tokens.access_token
            return
        info = self._call(
            lambda: self.client.refresh_access_token(
                self.client_id, self.secret, tokens.refresh_token
            ),
            what="the refresh token",
        )
        write_tokens(
            self.token_file,
            Tokens(
                info["refresh_token"],
                info["access_token"],
                int(info["expires_at"]),
                tokens.athlete_id,
            ),
        )
        self.client.access_token = info["access_token"]

    # --- the athlete's data ----------------------------------------------------------------
    def activities(self, after: datetime) -> list[RemoteActivity]:
        """Activities that started after `after` (UTC), oldest first."""
        self._authorise()
        listed = self._api(lambda: list(self.client.get_activities(after=after)))
        return sorted((self._activity(a) for a in listed), key=lambda a: (a.start_utc, a.id))

    def streams(self, activity_id: str) -> Streams | None:
        """The recorded series of one activity; None where it has none (a manual entry)."""
        try:
            got = self._api(
                lambda: self.client.get_activity_streams(int(activity_id), types=STREAM_TYPES)
            )
        except _NotFound:
            return None

        def series(key: str) -> list | None:
            s = got.get(key)
            return list(s.data) if s is not None and s.data else None

        times = series("time")
        if not times:
            return None
        out = Streams(
            [float(t) for t in times],
            series("distance"),
            series("heartrate"),
            series("altitude"),
            series("cadence"),
        )
        for name, values in vars(out).items():
            if values is not None and len(values) != len(times):
                raise SourceFailed(
                    self.name,
                    f"malformed answer (activity {activity_id}: {name} has {len(values)} "
                    f"samples, time {len(times)})",
                )
        return out

    def _api(self, fn: Any) -> Any:
        """One API call: refused before it is sent when a limit is spent; a 401 refreshes the
        access token once and tries again."""
        spent = self.limits.spent()
        if spent:
            raise SourceFailed(
                self.name, f"rate limit reached ({spent}): the next pull goes on from here"
            )
        try:
            return self._call(fn)
        except _Unauthorized:
            if self.refreshed:
                raise SourceFailed(self.name, self._refused(401)) from None
            self.refreshed = True
            self._authorise(force=True)
            try:
                return self._call(fn)
            except _Unauthorized:
                raise SourceFailed(self.name, self._refused(401)) from None

    def _refused(self, code: int, what: str = "the access token") -> str:
        return (
            f"Strava refused {what} (HTTP {code}): run `loadwatch strava connect --athlete "
            f"{self.who}` again"
        )

    def _call(self, fn: Any, what: str | None = None) -> Any:
        """Every failure of stravalib and requests becomes SourceFailed with the reason."""
        try:
            return fn()
        except exc.AccessUnauthorized as e:
            if what:
                raise SourceFailed(self.name, self._refused(401, what)) from e
            raise _Unauthorized from e
        except exc.ObjectNotFound as e:
            raise _NotFound from e
        except exc.Fault as e:
            code = e.response.status_code if e.response is not None else 0
            if code == 429 and e.response is not None:
                raise SourceFailed(self.name, self._rate_limited(e.response)) from e
            if code >= 500:
                raise SourceFailed(
                    self.name, f"the service failed (HTTP {code}); the next pull tries again"
                ) from e
            if what and code in (400, 403):
                raise SourceFailed(self.name, self._refused(code, what)) from e
            raise SourceFailed(self.name, f"unexpected answer HTTP {code}") from e
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as e:
            raise SourceFailed(
                self.name, "truncated answer (the connection closed before its end)"
            ) from e
        except requests.exceptions.JSONDecodeError as e:  # a RequestException too
            raise SourceFailed(self.name, f"malformed answer (not JSON: {e})") from e
        except requests.exceptions.RequestException as e:
            host = self.client.protocol.server
            raise SourceFailed(self.name, f"cannot reach {host}: {_reason(e)}") from e
        except (ValueError, KeyError, TypeError) as e:  # not JSON, or not what the API documents
            raise SourceFailed(self.name, f"malformed answer ({_first_line(e)})") from e

    def _rate_limited(self, response: requests.Response) -> str:
        self.limits(response.headers, "GET")
        spent = self.limits.spent()
        after = response.headers.get("Retry-After")
        words = "rate limited (HTTP 429"
        words += f", {spent})" if spent else ")"
        if after:
            words += f"; it asks to wait {after} s"
        return words + ": the next pull goes on from here"

    def _activity(self, a: Any) -> RemoteActivity:
        start, local = a.start_date, a.start_date_local
        if a.id is None or start is None:
            raise SourceFailed(self.name, "malformed answer (an activity without id or start)")
        start = start.replace(tzinfo=start.tzinfo or UTC).astimezone(UTC)
        offset = None
        if local is not None:
            offset = round(
                (local.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds()
            )
        kind = a.sport_type or a.type
        return RemoteActivity(
            id=str(a.id),
            start_utc=start,
            utc_offset_s=offset if offset is not None and abs(offset) <= 14 * 3600 else None,
            type=str(getattr(kind, "root", kind)) if kind is not None else None,
            name=a.name or None,
            distance_m=_float(a.distance),
            moving_s=_float(a.moving_time),
            elapsed_s=_float(a.elapsed_time),
            avg_hr=_float(a.average_heartrate),
            max_hr=_float(a.max_heartrate),
            elevation_gain_m=_float(a.total_elevation_gain),
            has_file=not a.manual,  # a manual entry has no recorded streams
        )


class _Unauthorized(Exception):
    pass


class _NotFound(Exception):
    pass


def _float(v: Any) -> float | None:
    return float(v) if v is not None else None


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _reason(e: Exception) -> str:
    text = str(e)
    for marker in ("Connection refused", "timed out", "Name or service not known", "CERTIFICATE"):
        if marker in text:
            return marker.lower() if marker != "CERTIFICATE" else "certificate not trusted"
    return type(e).__name__


def connect(strava: Strava, port: int, timeout_s: float, announce: Callable[[str], None]) -> Tokens:
    """The OAuth authorisation on 127.0.0.1: a listener for Strava's redirect, the address to
    open announced, the code it brings exchanged and the tokens written to the token file."""
    state = secrets.token_urlsafe(16)
    answers: list[dict[str, str]] = []

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if "code" not in query and "error" not in query:
                self.send_error(404)
                return
            answers.append(query)
            ok = "code" in query and query.get("state") == state
            body = (
                "loadwatch: connected to Strava; this tab can be closed."
                if ok
                else "loadwatch: the authorisation did not complete; see the terminal."
            ).encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    try:
        listener = HTTPServer(("127.0.0.1", port), Redirect)
    except OSError as e:
        raise SourceFailed(KIND, f"cannot listen on 127.0.0.1:{port}: {e.strerror}") from e
    with listener as server:
        server.timeout = 1.0
        redirect = f"http://127.0.0.1:{server.server_address[1]}/authorized"
        announce(strava.authorization_url(redirect, state))
        deadline = time.monotonic() + timeout_s
        while not answers and time.monotonic() < deadline:
            server.handle_request()
    if not answers:
        raise SourceFailed(KIND, f"no answer from the browser within {timeout_s:.0f} s")
    query = answers[0]
    if query.get("state") != state:
        raise SourceFailed(KIND, "the redirect's state does not match this request; refused")
    if "code" not in query:
        raise SourceFailed(KIND, f"the authorisation was not given ({query.get('error')})")
    granted = set(query.get("scope", "").split(","))
    if not granted & {"activity:read", "activity:read_all"}:
        raise SourceFailed(
            KIND, 'the activities were not shared (tick "View data about your activities")'
        )
    return strava.exchange(query["code"])
