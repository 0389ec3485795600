"""A local HTTPS server on 127.0.0.1 that answers as Strava's published API v3 does
(developers.strava.com: Authentication, Rate Limits, the API reference):

- `GET /oauth/authorize?client_id=&redirect_uri=&response_type=code&scope=&state=`: the
  athlete "authorises" at once; a 302 to `redirect_uri?state=&code=&scope=`.
- `POST /oauth/token` (form: client_id, client_secret, and code with
  `grant_type=authorization_code`, or refresh_token with `grant_type=refresh_token`):
  `{"token_type": "Bearer", "access_token", "expires_at", "expires_in", "refresh_token"}` (and
  the athlete on the code exchange); each refresh gives a new refresh token and retires the old.
  A wrong secret or a retired token: 400 `{"message": "Bad Request", "errors": [...]}`.
- `GET /api/v3/athlete/activities?before=&after=&page=&per_page=` with `Authorization: Bearer`:
  SummaryActivity objects (`id`, `name`, `distance`, `moving_time`, `elapsed_time`,
  `total_elevation_gain`, `type`, `sport_type`, `start_date`, `start_date_local`, `timezone`,
  `utc_offset`, `manual`, `has_heartrate`, `average_heartrate`, `max_heartrate`).
- `GET /api/v3/activities/{id}/streams?keys=...&key_by_type=true`: an object keyed by stream
  type, each `{"data": [...], "series_type": "distance", "original_size": n, "resolution":
  "high"}`; a manual activity has none (404 Record Not Found).
- Every API answer carries `X-RateLimit-Limit`/`X-RateLimit-Usage` ("15-minute,daily") and the
  read limits' `X-ReadRateLimit-Limit`/`X-ReadRateLimit-Usage`; past the read limit, 429
  `{"message": "Rate Limit Exceeded", ...}`. An unknown or expired access token: 401
  `{"message": "Authorization Error", ...}`.

It speaks https because stravalib builds every address as `https://{server}`; the client trusts
its throw-away CA (trustme) through `REQUESTS_CA_BUNDLE`. Failures are injected per request: 401,
429 with Retry-After, 503, a truncated body, a malformed answer, a closed connection.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import trustme

CLIENT_ID = "4242"
CLIENT_SECRET = "test-strava-secret-9b1f2c"
ATHLETE_ID = 7001


class StravaServer:
    def __init__(self, tmp: Path, read_limit: tuple[int, int] = (100, 1000)):
        self.ca = trustme.CA()
        self.ca_file = tmp / "strava-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(ctx)
        self.activities: list[dict] = []
        self.streams: dict[int, dict[str, list]] = {}
        self.failures: list[tuple[str, str]] = []  # (path fragment, kind), used once each
        self.requests: list[str] = []
        self.read_limit = read_limit
        self.usage = [0, 0]
        self.codes: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token -> expires_at
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StravaServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def grant(self) -> str:
        """A refresh token as an earlier authorisation would have left (for tests that start
        connected)."""
        token = secrets.token_hex(20)
        self.refresh_tokens.add(token)
        return token

    def add(
        self,
        activity_id: int,
        start_local: datetime,
        offset_h: int,
        distance: float,
        moving_time: int,
        streams: dict[str, list] | None = None,
        **fields,
    ) -> None:
        start_utc = start_local - timedelta(hours=offset_h)
        self.activities.append(
            {
                "resource_state": 2,
                "athlete": {"id": ATHLETE_ID, "resource_state": 1},
                "id": activity_id,
                "name": "Morning Run",
                "distance": distance,
                "moving_time": moving_time,
                "elapsed_time": fields.pop("elapsed_time", moving_time + 30),
                "total_elevation_gain": fields.pop("total_elevation_gain", 12.0),
                "type": "Run",
                "sport_type": "Run",
                "start_date": start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "start_date_local": start_local.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timezone": f"(GMT+{offset_h:02d}:00) Europe/Berlin",
                "utc_offset": offset_h * 3600.0,
                "manual": streams is None,
                "has_heartrate": bool(streams and "heartrate" in streams),
                **fields,
            }
        )
        if streams is not None:
            self.streams[activity_id] = streams

    def fail(self, fragment: str, kind: str) -> None:
        self.failures.append((fragment, kind))

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, code: int, body: bytes, headers=()) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, code: int, payload, headers=()) -> None:
                self._send(code, json.dumps(payload).encode(), headers)

            def _fault(self, code: int, message: str, resource: str, field: str, what: str):
                errors = [{"resource": resource, "field": field, "code": what}]
                return self._json(code, {"message": message, "errors": errors}, self._rates())

            def _rates(self):
                if not urlparse(self.path).path.startswith("/api/"):
                    return []
                short, day = server.read_limit
                usage = f"{server.usage[0]},{server.usage[1]}"
                return [
                    ("X-RateLimit-Limit", f"{short * 2},{day * 2}"),
                    ("X-RateLimit-Usage", usage),
                    ("X-ReadRateLimit-Limit", f"{short},{day}"),
                    ("X-ReadRateLimit-Usage", usage),
                ]

            def _injected(self) -> bool:
                for i, (fragment, kind) in enumerate(server.failures):
                    if fragment in self.path:
                        del server.failures[i]
                        self._inject(kind)
                        return True
                return False

            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/oauth/authorize":
                    return self._authorize(q)
                if not url.path.startswith("/api/v3/"):
                    return self._fault(404, "Record Not Found", "Resource", "path", "invalid")
                server.usage[0] += 1
                server.usage[1] += 1
                if self._injected():
                    return None
                short, day = server.read_limit
                if server.usage[0] > short or server.usage[1] > day:
                    return self._fault(
                        429, "Rate Limit Exceeded", "Application", "rate limit", "exceeded"
                    )
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if server.access_tokens.get(token, 0) < time.time():
                    return self._fault(
                        401, "Authorization Error", "Athlete", "access_token", "invalid"
                    )
                parts = url.path.strip("/").split("/")[2:]
                if parts == ["athlete", "activities"]:
                    return self._activities(q)
                if len(parts) == 3 and parts[0] == "activities" and parts[2] == "streams":
                    return self._streams(int(parts[1]), q)
                return self._fault(404, "Record Not Found", "Resource", "path", "invalid")

            def _authorize(self, q) -> None:
                assert q["client_id"] == CLIENT_ID and q["response_type"] == "code", q
                code = secrets.token_hex(20)
                server.codes.add(code)
                back = urlencode({"state": q.get("state", ""), "code": code, "scope": q["scope"]})
                self.send_response(302)
                self.send_header("Location", f"{q['redirect_uri']}?{back}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _activities(self, q) -> None:
                after = int(q.get("after", 0))
                before = int(q.get("before", 2**40))
                page, per_page = int(q.get("page", 1)), int(q.get("per_page", 30))

                def epoch(a) -> float:
                    return datetime.fromisoformat(
                        a["start_date"].replace("Z", "+00:00")
                    ).timestamp()

                rows = [a for a in server.activities if after < epoch(a) < before]
                # With `after`, the service answers oldest first.
                rows.sort(key=epoch, reverse="after" not in q)
                rows = rows[(page - 1) * per_page : page * per_page]
                return self._json(200, rows, self._rates())

            def _streams(self, activity_id: int, q) -> None:
                data = server.streams.get(activity_id)
                if data is None:
                    return self._fault(404, "Record Not Found", "Activity", "id", "not found")
                # stravalib sends "True"; the service reads any case
                assert q.get("key_by_type", "").lower() == "true", q
                keys = q["keys"].split(",")
                out = {
                    k: {
                        "data": v,
                        "series_type": "distance",
                        "original_size": len(v),
                        "resolution": "high",
                    }
                    for k, v in data.items()
                    if k in keys
                }
                return self._json(200, out, self._rates())

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                if self._injected():
                    return None
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlparse(self.path).path != "/oauth/token":
                    return self._fault(404, "Record Not Found", "Resource", "path", "invalid")
                if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                    return self._fault(400, "Bad Request", "Application", "client_id", "invalid")
                grant = form.get("grant_type")
                if grant == "authorization_code" and form.get("code") in server.codes:
                    server.codes.discard(form["code"])
                elif (
                    grant == "refresh_token" and form.get("refresh_token") in server.refresh_tokens
                ):
                    server.refresh_tokens.discard(form["refresh_token"])
                else:
                    return self._fault(
                        400, "Bad Request", "RefreshToken", "refresh_token", "invalid"
                    )
                access, refresh = secrets.token_hex(20), secrets.token_hex(20)
                expires_at = int(time.time()) + 21600
                server.access_tokens[access] = expires_at
                server.refresh_tokens.add(refresh)
                answer = {
                    "token_type": "Bearer",
                    "access_token": access,
                    "expires_at": expires_at,
                    "expires_in": 21600,
                    "refresh_token": refresh,
                }
                if grant == "authorization_code":
                    answer["athlete"] = {"id": ATHLETE_ID, "username": "ana", "resource_state": 2}
                return self._json(200, answer)

            def _inject(self, kind: str) -> None:
                if kind == "401":
                    return self._fault(
                        401, "Authorization Error", "Athlete", "access_token", "invalid"
                    )
                if kind == "429":
                    self.close_connection = True
                    body = json.dumps({"message": "Rate Limit Exceeded", "errors": []}).encode()
                    return self._send(429, body, [*self._rates(), ("Retry-After", "42")])
                if kind == "503":
                    return self._send(503, b"<html>Service Unavailable</html>")
                if kind == "truncated":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "5000")
                    self.end_headers()
                    self.wfile.write(b'[{"id": 1, "start_da')
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                if kind == "malformed":
                    return self._send(200, b"<html>maintenance</html>")
                if kind == "closed":
                    self.close_connection = True
                    self.connection.close()
                    return None
                raise AssertionError(kind)

        return Handler
