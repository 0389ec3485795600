"""intervals.icu: the hub Garmin, COROS, Suunto, Polar and Wahoo sync to.

As published (the OpenAPI description at intervals.icu/api/v1/docs and the forum's "API
Integration Cookbook"): a personal API key is sent with HTTP basic authentication, user name
`API_KEY`; `GET /api/v1/athlete/{id}/activities?oldest=YYYY-MM-DD&newest=YYYY-MM-DD` lists the
activities of a date range (newest first) with `id` ("i55751783"), `start_date_local`,
`start_date`, `type` ("Run"), `name`, `distance` (m), `moving_time` and `elapsed_time` (s),
`total_elevation_gain` (m), `average_heartrate`, `max_heartrate` and `source`;
`GET /api/v1/activity/{id}/file` returns the original upload (FIT, GPX or TCX, gzipped), except
for activities that came from Strava (`source` "STRAVA"), which the service does not pass on.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from .base import RemoteActivity, SourceFailed, http_get, json_answer

KIND = "intervals.icu"


class IntervalsIcu:
    def __init__(self, athlete_id: str, api_key: str, base_url: str = "https://intervals.icu"):
        self.athlete_id = athlete_id
        self.name = f"{KIND} {athlete_id}"
        self.base = base_url.rstrip("/")
        token = base64.b64encode(f"API_KEY:{api_key}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def activities(self, oldest: date, newest: date) -> list[RemoteActivity]:
        """The athlete's activities from `oldest` to `newest` (local dates), oldest first."""
        query = urlencode({"oldest": oldest.isoformat(), "newest": newest.isoformat()})
        url = f"{self.base}/api/v1/athlete/{quote(self.athlete_id)}/activities?{query}"
        answer = json_answer(self.name, http_get(self.name, url, self.headers))
        if not isinstance(answer, list):
            raise SourceFailed(self.name, "malformed answer (expected a list of activities)")
        out = [self._activity(item) for item in answer]
        return sorted(out, key=lambda a: (a.start_utc, a.id))

    def file(self, activity_id: str) -> bytes:
        """The original file as uploaded (gzipped, as the service sends it)."""
        url = f"{self.base}/api/v1/activity/{quote(activity_id)}/file"
        return http_get(self.name, url, self.headers)

    def _activity(self, item: Any) -> RemoteActivity:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str | int):
            raise SourceFailed(self.name, "malformed answer (an activity without an id)")
        try:
            local = datetime.fromisoformat(str(item["start_date_local"]))
            utc_text = item.get("start_date")
            if utc_text:
                start = datetime.fromisoformat(str(utc_text).replace("Z", "+00:00"))
                start = start.replace(tzinfo=start.tzinfo or UTC).astimezone(UTC)
                offset = round((local.replace(tzinfo=UTC) - start).total_seconds())
            else:
                start, offset = local.replace(tzinfo=UTC), None
        except (KeyError, ValueError, TypeError) as e:
            raise SourceFailed(
                self.name, f"malformed answer (activity {item.get('id')}: no usable start date)"
            ) from e
        return RemoteActivity(
            id=str(item["id"]),
            start_utc=start,
            utc_offset_s=offset if offset is not None and abs(offset) <= 14 * 3600 else None,
            type=_text(item.get("type")),
            name=_text(item.get("name")),
            distance_m=_number(item.get("distance")),
            moving_s=_number(item.get("moving_time")),
            elapsed_s=_number(item.get("elapsed_time")),
            avg_hr=_number(item.get("average_heartrate")),
            max_hr=_number(item.get("max_heartrate")),
            elevation_gain_m=_number(item.get("total_elevation_gain")),
            has_file=str(item.get("source") or "").upper() != "STRAVA",
        )


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
