"""A local HTTP server on 127.0.0.1 that receives push notifications as the services Apprise
speaks to do, for tests of the Apprise channel (no mock of Apprise: its own HTTP calls reach
this server).

- ntfy (docs.ntfy.sh, "Publish as JSON"): `POST /` with a JSON body holding `topic`, `title`,
  `message`; answers 200 with the message as JSON (`id`, `time`, `event: "message"`, `topic`,
  `title`, `message`). Its errors are JSON too: `{"code": 42901, "http": 429, "error": "limit
  reached: too many requests...", "link": ...}` (the code is the HTTP status times 100 plus a
  number, as ntfy's server/errors.go declares them).
- Apprise's `json://` (a webhook): `POST /any/path` with `{"version", "title", "message",
  "type"}`; any 2xx is success.

Failures are injected per request, in order, each used once: "429" (ntfy's rate limit), "500",
"400" (a refused request), and "hang" (the server takes the request, then waits before it
answers, for a kill mid-send).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .smtp_server import free_port

NTFY_ERRORS = {
    "429": (
        429,
        42901,
        "limit reached: too many requests, please be nice",
        "https://ntfy.sh/docs/publish/#limitations",
    ),
    "500": (500, 50001, "internal server error", ""),
    "400": (400, 40001, "invalid request", ""),
}


@dataclass(frozen=True)
class Push:
    path: str
    body: dict

    @property
    def topic(self) -> str:
        """ntfy's topic (in the JSON body), or a webhook's path."""
        return str(self.body.get("topic", self.path.strip("/")))


class PushServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.pushes: list[Push] = []
        self.failures: list[str] = []
        self.hung = threading.Event()  # set when a "hang" request has been taken
        self.server: ThreadingHTTPServer | None = None

    def ntfy(self, topic: str) -> str:
        return f"ntfy://127.0.0.1:{self.port}/{topic}"

    def json(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def start(self) -> PushServer:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def to(self, topic: str) -> list[Push]:
        return [p for p in self.pushes if p.topic == topic]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, code: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                failure = server.failures.pop(0) if server.failures else None
                if failure in NTFY_ERRORS:
                    http, code, error, link = NTFY_ERRORS[failure]
                    return self._send(
                        http, {"code": code, "http": http, "error": error, "link": link}
                    )
                push = Push(self.path, body)
                if failure == "hang":
                    # Taken (the service has it), but the sender never hears so: it is killed.
                    server.pushes.append(push)
                    server.hung.set()
                    time.sleep(10)
                    try:
                        return self._send(200, {"id": "late", "event": "message"})
                    except OSError:  # the sender was killed meanwhile: nobody hears it
                        return None
                assert failure is None, failure
                server.pushes.append(push)
                if "topic" in body:  # ntfy
                    return self._send(
                        200,
                        {
                            "id": f"m{len(server.pushes)}",
                            "time": int(time.time()),
                            "event": "message",
                            "topic": body["topic"],
                            "title": body.get("title", ""),
                            "message": body.get("message", ""),
                        },
                    )
                return self._send(200, {})

        return Handler
