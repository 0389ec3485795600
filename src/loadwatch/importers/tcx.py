"""TCX (Garmin Training Center) files: lap totals are the device's own, trackpoints give heart rate."""

from __future__ import annotations

from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ..errors import NotAnActivity, UnreadableFile
from ..model import Activity
from . import check_depth, xml_start
from .hr import hr_histogram

NS = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
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
        root = SafeET.fromstring(xml_start(data, path))
    except DefusedXmlException as e:
        raise UnreadableFile(
            path, f"TCX refused: XML entity or DTD tricks ({type(e).__name__})"
        ) from e
    except SafeET.ParseError as e:
        raise UnreadableFile(path, f"not well-formed XML ({e})") from e
    if not root.tag.endswith("TrainingCenterDatabase"):
        raise UnreadableFile(path, f"not a TCX file (root element {root.tag!r})")

    activities = []
    for index, act in enumerate(root.iter(f"{NS}Activity")):
        laps = act.findall(f"{NS}Lap")
        if not laps:
            continue
        start = _time(act.findtext(f"{NS}Id")) or _time(laps[0].get("StartTime"))
        if start is None:
            raise UnreadableFile(path, f"TCX activity {index} has no start time")
        distance = moving = 0.0
        hr_weighted = hr_time = 0.0
        max_hr = None
        points: list[tuple[float, int]] = []
        altitudes: list[float] = []
        last_end = start.timestamp()
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
            for tp in lap.iter(f"{NS}Trackpoint"):
                t = _time(tp.findtext(f"{NS}Time"))
                if t is None:
                    continue
                last_end = max(last_end, t.timestamp())
                hr = _float(tp, f"{NS}HeartRateBpm/{NS}Value")
                if hr:
                    points.append((t.timestamp(), int(hr)))
                alt = _float(tp, f"{NS}AltitudeMeters")
                if alt is not None:
                    altitudes.append(alt)
        sport_attr = (act.get("Sport") or "other").lower()
        activities.append(
            Activity(
                sport=_SPORTS.get(sport_attr, sport_attr),
                sub_sport=None,
                start_utc=start,
                distance_m=distance,
                moving_s=moving,
                elapsed_s=max(last_end - start.timestamp(), moving),
                source_format="tcx",
                source_path=path,
                session_index=index,
                avg_hr=(hr_weighted / hr_time) if hr_time else None,
                max_hr=max_hr,
                elevation_gain_m=_gain(altitudes),
                hr_histogram_s=hr_histogram(points),
                distance_source="laps",  # TCX totals are the sum of the laps' DistanceMeters
                device=_creator(act),
            )
        )
    if not activities:
        raise NotAnActivity(path, "not an activity: TCX file has no activity with laps (a course?)")
    return activities


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
