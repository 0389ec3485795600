"""The local time a GPX or TCX file records: the UTC offset written on its times.

A watch that writes `2026-11-08T06:30:00+01:00` says where the run happened in time zones, which
decides its day (a Denver runner's 06:30 in Berlin is a Berlin morning, not a Denver evening).
`Z`, `-00:00` (RFC 3339: local offset unknown) and a time without a zone say nothing about it:
the athlete's own zone decides then, as for any file without local time.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..model import plausible_offset_s

# The first track point's time element, in any namespace prefix; the value is parsed strictly.
_TRKPT = re.compile(rb"<(?:[\w.-]+:)?trkpt[\s>/]")
_TIME = re.compile(rb"<(?:[\w.-]+:)?time>\s*([^<]{1,64}?)\s*</(?:[\w.-]+:)?time>")


def text_offset_s(text: str | None) -> int | None:
    """The offset written on one ISO 8601 time, in seconds, if it is one a clock can show."""
    if not text:
        return None
    text = text.strip()
    if text.endswith(("Z", "z", "-00:00")):
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    offset = dt.utcoffset()
    return None if offset is None else plausible_offset_s(offset.total_seconds())


def gpx_offset_s(data: bytes) -> int | None:
    """The offset on the first track point's time: the start the GPX reader takes.

    Two linear searches over the bytes, not the parsed points: the tree and the streamed reading
    stay as they are, and the text itself tells `Z` (UTC, no local time) from `+00:00`."""
    point = _TRKPT.search(data)
    if point is None:
        return None
    time = _TIME.search(data, point.end())
    return text_offset_s(time.group(1).decode("ascii", "replace")) if time else None
