"""A local HTTP server on 127.0.0.1 that answers as intervals.icu's published API does (the
OpenAPI description and the forum's API Integration Cookbook): basic authentication with the
user name `API_KEY`, `GET /api/v1/athlete/{id}/activities?oldest=&newest=` (a JSON list, newest
first, with `id`, `start_date_local`, `start_date`, `type`, `name`, `distance`, `moving_time`,
`elapsed_time`, `total_elevation_gain`, `average_heartrate`, `max_heartrate`, `source`) and
`GET /api/v1/activity/{id}/file` (the original upload, gzipped; not for activities that came
from Strava). Failures are injected per request: 401, 429 with Retry-After, 5xx, a truncated
body, a malformed answer, a closed connection."""

from __future__ import annotations

import base64
import gzip
import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

KEY = "test-icu-key-1l0nlqjq3j1obdhg"


class IcuServer:
    def __init__(self, athlete_id: str = "i123456"):
        self.athlete_id = athlete_id
        self.activities: list[dict] = []
        self.files: dict[str, bytes] = {}
        self.failures: list[tuple[str, str]] = []  # (path fragment, kind), used once each
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> IcuServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(
        self, icu_id: str, start_local: datetime, offset_h: int, fit: bytes | None, **fields
    ) -> None:
        """One activity; `fit` None: it came from Strava (no file, as the service says)."""
        start_utc = (start_local - timedelta(hours=offset_h)).replace(tzinfo=UTC)
        self.activities.append(
            {
                "id": icu_id,
                "start_date_local": start_local.strftime("%Y-%m-%dT%H:%M:%S"),
                "start_date": start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "type": "Run",
                "name": "Morning Run",
                "source": "STRAVA" if fit is None else "GARMIN_CONNECT",
                **fields,
            }
        )
        if fit is not None:
            self.files[icu_id] = gzip.compress(fit)

    def fail(self, fragment: str, kind: str) -> None:
        self.failures.append((fragment, kind))

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, code: int, body: bytes, ctype: str, headers=()) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _error(self, code: int, message: str, headers=()) -> None:
                body = json.dumps({"status": code, "error": message}).encode()
                self._send(code, body, "application/json", headers)

            def do_GET(self) -> None:
                server.requests.append(self.path)
                for i, (fragment, kind) in enumerate(server.failures):
                    if fragment in self.path:
                        del server.failures[i]
                        return self._inject(kind)
                expected = "Basic " + base64.b64encode(f"API_KEY:{KEY}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._error(401, "Access denied")
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                if parts[:3] == ["api", "v1", "athlete"] and parts[4:] == ["activities"]:
                    if parts[3] not in (server.athlete_id, "0"):
                        return self._error(403, "Access denied")
                    q = parse_qs(url.query)
                    oldest = date.fromisoformat(q["oldest"][0])
                    newest = date.fromisoformat(q["newest"][0]) if "newest" in q else date.max
                    rows = [
                        a
                        for a in server.activities
                        if oldest <= date.fromisoformat(a["start_date_local"][:10]) <= newest
                    ]
                    rows.sort(key=lambda a: a["start_date_local"], reverse=True)
                    return self._send(200, json.dumps(rows).encode(), "application/json")
                if parts[:3] == ["api", "v1", "activity"] and parts[4:] == ["file"]:
                    data = server.files.get(parts[3])
                    if data is None:
                        return self._error(422, "Strava activities not supported")
                    return self._send(200, data, "application/octet-stream")
                return self._error(404, "Not found")

            def _inject(self, kind: str) -> None:
                if kind == "401":
                    return self._error(401, "Access denied")
                if kind == "429":
                    return self._error(429, "Too many requests", [("Retry-After", "42")])
                if kind == "503":
                    return self._error(503, "Service unavailable")
                if kind == "truncated":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "5000")
                    self.end_headers()
                    self.wfile.write(b'[{"id": "i1", "start_date_lo')
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                if kind == "malformed":
                    return self._send(200, b"<html>maintenance</html>", "text/html")
                if kind == "closed":
                    self.close_connection = True
                    self.connection.close()
                    return None
                raise AssertionError(kind)

        return Handler
