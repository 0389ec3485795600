"""What every account source hands over, and how it fails."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import LoadwatchError

TIMEOUT_S = 30.0
MAX_ANSWER_BYTES = 64 * 2**20  # a file larger than this is no single activity


class SourceFailed(LoadwatchError):
    """A source that could not answer: network, refused key, rate limit, server error, or an
    answer that is not what the API documents. One line, naming the source."""

    def __init__(self, source: str, reason: str):
        self.source, self.reason = source, reason
        super().__init__(f"{source}: {reason}")


@dataclass(frozen=True)
class RemoteActivity:
    """One activity as an account lists it (SI units; times as the service gives them)."""

    id: str
    start_utc: datetime
    utc_offset_s: int | None
    type: str | None
    name: str | None
    distance_m: float | None
    moving_s: float | None
    elapsed_s: float | None
    avg_hr: float | None
    max_hr: float | None
    elevation_gain_m: float | None
    has_file: bool  # the original file can be fetched


def http_get(source: str, url: str, headers: dict[str, str]) -> bytes:
    """GET one URL; every failure becomes SourceFailed with the reason in words."""
    request = urllib.request.Request(url, headers={"User-Agent": "loadwatch", **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            data = response.read(MAX_ANSWER_BYTES + 1)
            expected = response.headers.get("Content-Length")
    except urllib.error.HTTPError as e:
        raise SourceFailed(source, _http_reason(e)) from e
    except http.client.IncompleteRead as e:
        raise SourceFailed(
            source, f"truncated answer ({len(e.partial)} bytes, then the connection closed)"
        ) from e
    except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", None) or e
        raise SourceFailed(source, f"cannot reach {url.split('?')[0]}: {reason}") from e
    if len(data) > MAX_ANSWER_BYTES:
        raise SourceFailed(source, f"answer larger than {MAX_ANSWER_BYTES // 2**20} MiB; refused")
    if expected is not None and expected.isdigit() and int(expected) != len(data):
        raise SourceFailed(source, f"truncated answer ({len(data)} of {expected} bytes)")
    return data


def _http_reason(e: urllib.error.HTTPError) -> str:
    if e.code in (401, 403):
        return f"the service refused the API key (HTTP {e.code})"
    if e.code == 429:
        after = e.headers.get("Retry-After")
        wait = f"; it asks to wait {after} s" if after else ""
        return f"rate limited (HTTP 429){wait}: the next pull goes on from here"
    if e.code >= 500:
        return f"the service failed (HTTP {e.code}); the next pull tries again"
    return f"unexpected answer HTTP {e.code} {e.reason}"


def json_answer(source: str, data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError as e:
        raise SourceFailed(source, f"malformed answer (not JSON: {e})") from e
