"""TCX (Garmin Training Center) files: lap totals are the device's own, trackpoints give heart rate.

Read as a stream (standard-library XML behind defusedxml): each trackpoint is reduced to its time,
heart rate and altitude as it ends and then let go, so a day-long recording (about 34 MB) costs
its laps, not a tree of every point (a whole tree took five times the file)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
import numpy as np
from defusedxml import DefusedXmlException

from ..errors import NotAnActivity, UnreadableFile
from ..model import Activity, is_running
from . import check_depth, xml_start
from .climb import climb_m
from .drift import hr_drift_pct
from .hr import hr_histogram, reading
from .localtime import text_offset_s
from .steps import step_rate_spm

NS = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
AX = "{http://www.garmin.com/xmlschemas/ActivityExtension/v2}"
_SPORTS = {"running": "running", "biking": "cycling", "other": "generic"}


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _float(el, path: str) -> float | None:
    node = el.find(path)
    if node is None or node.text is None:
        return None
    try:
        return float(node.text)
    except ValueError:
        return None


def read_tcx(data: bytes, path: str = "") -> list[Activity]:
    try:
        check_depth(data, path)
        return _read(xml_start(data, path), path)
    except DefusedXmlException as e:
        raise UnreadableFile(
            path, f"TCX refused: XML entity or DTD tricks ({type(e).__name__})"
        ) from e
    except SafeET.ParseError as e:
        raise UnreadableFile(path, f"not well-formed XML ({e})") from e


@dataclass
class _Points:
    """What an activity's trackpoints say, in document order."""

    hr: list[tuple[float, int]] = field(default_factory=list)  # (epoch, bpm)
    altitudes: list[float] = field(default_factory=list)
    cadence: list[tuple[float, float]] = field(default_factory=list)  # (epoch, strides a minute)
    # (epoch, cumulative metres, bpm or 0) of the points with a distance, for the HR drift
    distance: list[tuple[float, float, int]] = field(default_factory=list)
    last: float | None = None  # the latest trackpoint time


def _read(data: bytes, path: str) -> list[Activity]:
    activities = []
    open_: list = []  # the elements open around the current one, outermost first
    points = _Points()
    index = -1
    for event, el in SafeET.iterparse(io.BytesIO(data), events=("start", "end")):
        if event == "start":
            if not open_ and not el.tag.endswith("TrainingCenterDatabase"):
                raise UnreadableFile(path, f"not a TCX file (root element {el.tag!r})")
            if el.tag == f"{NS}Activity":
                index += 1
                points = _Points()
            open_.append(el)
            continue
        open_.pop()
        if el.tag == f"{NS}Trackpoint":
            if _in_lap(open_):
                _add(points, el)
            if open_:
                open_[-1].remove(el)  # by identity: the parser may have read further ahead
        elif el.tag == f"{NS}Activity":
            act = _activity(el, index, points, path)
            if act is not None:
                activities.append(act)
    if not activities:
        raise NotAnActivity(path, "not an activity: TCX file has no activity with laps (a course?)")
    return activities


def _in_lap(open_: list) -> bool:
    """Inside a lap of an activity (where a tree reader's `activity/Lap//Trackpoint` looks)."""
    pairs = zip(open_, open_[1:], strict=False)
    return any(a.tag == f"{NS}Activity" and b.tag == f"{NS}Lap" for a, b in pairs)


def _add(points: _Points, tp) -> None:
    t = _time(tp.findtext(f"{NS}Time"))
    if t is None:
        return
    ts = t.timestamp()
    points.last = ts if points.last is None else max(points.last, ts)
    hr = _float(tp, f"{NS}HeartRateBpm/{NS}Value")
    bpm = reading(hr) if hr is not None else 0
    if bpm:
        points.hr.append((ts, bpm))
    alt = _float(tp, f"{NS}AltitudeMeters")
    if alt is not None:
        points.altitudes.append(alt)
    # RunCadence (ActivityExtension v2) is a footpod's or wrist's running cadence; the schema's
    # own Cadence is written for runs too (a Polar M400's): both one foot's strides a minute.
    cad = _float(tp, f"{NS}Extensions/{AX}TPX/{AX}RunCadence")
    if cad is None:
        cad = _float(tp, f"{NS}Cadence")
    if cad is not None:
        points.cadence.append((ts, cad))
    dist = _float(tp, f"{NS}DistanceMeters")
    if dist is not None:
        points.distance.append((ts, dist, bpm))


def _activity(act, index: int, points: _Points, path: str) -> Activity | None:
    """An activity from its laps' totals (the device's own) and its trackpoints."""
    laps = act.findall(f"{NS}Lap")
    if not laps:
        return None
    start_text = act.findtext(f"{NS}Id")
    if _time(start_text) is None:
        start_text = laps[0].get("StartTime")
    start = _time(start_text)
    if start is None:
        raise UnreadableFile(path, f"TCX activity {index} has no start time")
    distance = moving = 0.0
    hr_weighted = hr_time = 0.0
    max_hr = None
    last_end = start.timestamp()
    if points.last is not None:
        last_end = max(last_end, points.last)
    for lap in laps:
        lap_s = _float(lap, f"{NS}TotalTimeSeconds") or 0.0
        distance += _float(lap, f"{NS}DistanceMeters") or 0.0
        moving += lap_s
        avg = _float(lap, f"{NS}AverageHeartRateBpm/{NS}Value")
        if avg:
            hr_weighted += avg * lap_s
            hr_time += lap_s
        mx = _float(lap, f"{NS}MaximumHeartRateBpm/{NS}Value")
        if mx:
            max_hr = max(max_hr or 0.0, mx)
        lap_start = _time(lap.get("StartTime"))
        if lap_start:
            last_end = max(last_end, lap_start.timestamp() + lap_s)
    sport_attr = (act.get("Sport") or "other").lower()
    climb = climb_m([points.altitudes])
    sport = _SPORTS.get(sport_attr, sport_attr)
    return Activity(
        sport=sport,
        sub_sport=None,
        start_utc=start,
        distance_m=distance,
        moving_s=moving,
        elapsed_s=max(last_end - start.timestamp(), moving),
        source_format="tcx",
        source_path=path,
        session_index=index,
        utc_offset_s=text_offset_s(start_text),
        avg_hr=(hr_weighted / hr_time) if hr_time else None,
        max_hr=max_hr,
        elevation_gain_m=_gain(points.altitudes),
        ascent_m=climb[0] if climb else None,
        descent_m=climb[1] if climb else None,
        step_rate_spm=step_rate_spm(points.cadence) if is_running(sport) else None,
        hr_drift_pct=_drift(points.distance) if points.hr else None,
        hr_histogram_s=hr_histogram(points.hr),
        distance_source="laps",  # TCX totals are the sum of the laps' DistanceMeters
        device=_creator(act),
    )


def _drift(rows: list[tuple[float, float, int]]) -> float | None:
    """Pace:HR decoupling (importers/drift.py) from the points with a distance, in time order."""
    if len(rows) < 2:
        return None
    a = np.array(sorted(rows), dtype=float)
    return hr_drift_pct(np.diff(a[:, 0]), np.diff(a[:, 1]), a[:-1, 2])


def _creator(act) -> str | None:
    name = act.findtext(f"{NS}Creator/{NS}Name")
    return name.strip() if name else None


def _gain(altitudes: list[float], hysteresis_m: float = 3.0) -> float | None:
    """Climb counted only once it exceeds the hysteresis, so barometer noise does not add up."""
    if len(altitudes) < 2:
        return None
    gain, ref = 0.0, altitudes[0]
    for a in altitudes[1:]:
        if a - ref >= hysteresis_m:
            gain += a - ref
            ref = a
        elif a < ref:
            ref = a
    return gain
