"""GPX tracks via gpxpy, after defusedxml has refused entity tricks (billion laughs, external DTDs).

GPX carries no device totals, so distance and moving time are computed from the points: points
without a time are dropped, time running backwards and impossible jumps are dropped, single-point
GPS spikes (out and straight back) are removed, and distance is summed in 2D within each segment
(a new segment is a pause/resume, so the gap between them is not distance).

Why no moving-average smoothing: on the paired corpus tracks (watch positions against the watch's
own distance) a 5-point mean cut 0.1-9.2% off, worst on slow runs where real steps are as small as
the jitter; the raw 2D sum stayed within 1.3% on all six. Spike removal keeps the noise handling
that does not eat real distance.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
import gpxpy
import gpxpy.gpx
import numpy as np
from defusedxml import DefusedXmlException

from ..errors import NotAnActivity, UnreadableFile
from ..model import Activity
from . import check_depth, xml_start
from .hr import hr_histogram, mean_hr
from .sports import infer

EARTH_RADIUS_M = 6_371_008.8
# Faster than this between two points is a GPS glitch, not a person (about 180 km/h).
MAX_SPEED_MS = 50.0
# Slower than this (1.8 km/h) is standing still: it counts toward elapsed, not moving time.
MOVING_SPEED_MS = 0.5
# A point whose detour is this much longer than the straight line past it is a GPS spike.
SPIKE_DETOUR_FACTOR = 3.0
SPIKE_MIN_DETOUR_M = 40.0


def read_gpx(data: bytes, path: str = "") -> list[Activity]:
    data = xml_start(data, path)
    check_depth(data, path)
    try:
        tree = SafeET.fromstring(data)  # refuses DTD entities before gpxpy (and maybe lxml) sees it
    except DefusedXmlException as e:
        raise UnreadableFile(
            path, f"GPX refused: XML entity or DTD tricks ({type(e).__name__})"
        ) from e
    except SafeET.ParseError as e:
        raise UnreadableFile(path, f"not well-formed XML ({e})") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # A point without a position (an eTrex writes one now and then) would fail the whole file in
    # gpxpy: it is dropped, and said so.
    text, dropped = _TRKPT_WITHOUT_POSITION.subn("", text)
    heart_rates = _heart_rates(tree)
    try:
        gpx = gpxpy.parse(io.StringIO(text))
    except Exception as e:  # gpxpy raises GPXException, but also ValueError from bad numbers
        raise UnreadableFile(path, f"invalid GPX ({_one_line(e)})") from e

    segments = [seg for trk in gpx.tracks for seg in trk.segments if seg.points]
    if not segments:
        what = "a route" if gpx.routes else ("only waypoints" if gpx.waypoints else "no points")
        raise NotAnActivity(path, f"not an activity: GPX track has {what}")

    total_points = sum(len(s.points) for s in segments)
    timed = sum(1 for s in segments for p in s.points if p.time is not None)
    if timed == 0:
        raise UnreadableFile(path, "GPX track has no timestamps, so it cannot be placed on a day")
    if timed * 2 < total_points:
        raise UnreadableFile(
            path,
            f"only {timed} of {total_points} GPX points have a time; the track is not a recording",
        )

    # Heart rate from the XML itself, point by point in document order: gpxpy drops the
    # extensions of a file that says version="1.0" but uses the GPX 1.1 namespace.
    all_points = [p for trk in gpx.tracks for seg in trk.segments for p in seg.points]
    hr_of = (
        {id(p): hr for p, hr in zip(all_points, heart_rates, strict=True)}
        if len(heart_rates) == len(all_points)
        else {}
    )
    distance = moving = 0.0
    hist: Counter[int] = Counter()
    hr_values: list[int] = []
    starts, ends = [], []
    for seg in segments:
        t, lat, lon, ele, hr = _clean(seg.points, hr_of)
        if len(t) == 0:
            continue
        starts.append(t[0])
        ends.append(t[-1])
        if len(t) < 2:
            continue
        t, lat, lon, hr = _despike(t, lat, lon, hr)
        d = _haversine(lat[:-1], lon[:-1], lat[1:], lon[1:])
        dt = np.diff(t)
        distance += float(d.sum())
        speed = d / np.maximum(dt, 1e-9)
        moving += float(dt[speed >= MOVING_SPEED_MS].sum())
        hist.update(hr_histogram(zip(t, hr, strict=True)))
        hr_values.extend(int(h) for h in hr if h > 0)

    if not starts:
        raise UnreadableFile(path, "GPX track has no usable timed points")
    # The start is the first timed point in file order (as gpxpy's time bounds have it), even in
    # odd multi-track files whose tracks are not in time order.
    start_ts = starts[0]
    end_ts = max(max(ends), start_ts)
    # Overlapping segments cannot make a person move for longer than the track lasted.
    moving = min(moving, end_ts - start_ts)
    trk_type = next((t.type for t in gpx.tracks if t.type), None)
    name = next((t.name.strip() for t in gpx.tracks if t.name and t.name.strip()), None)
    sport, sub_sport = infer(
        trk_type, name or gpx.name, gpx.creator, distance / moving if moving else None
    )
    gain = None
    try:
        up, _down = gpx.get_uphill_downhill()
        gain = float(up) if up else None
    except Exception:  # elevation is optional context; a track without it still counts
        gain = None
    return [
        Activity(
            sport=sport,
            sub_sport=sub_sport,
            start_utc=datetime.fromtimestamp(start_ts, UTC),
            distance_m=distance,
            moving_s=moving,
            elapsed_s=end_ts - start_ts,
            source_format="gpx",
            source_path=path,
            avg_hr=mean_hr(dict(hist)),
            max_hr=float(max(hr_values)) if hr_values else None,
            elevation_gain_m=gain,
            hr_histogram_s=dict(sorted(hist.items())),
            distance_source="gps",
            name=name,
            notes=(f"{dropped} point{'s' if dropped > 1 else ''} without a position dropped",)
            if dropped
            else (),
            device=(gpx.creator or None),
        )
    ]


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())[:200]


def _epoch(dt: datetime) -> float:
    # GPX times without a zone are UTC by the standard.
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


_TRKPT_WITHOUT_POSITION = re.compile(
    r"<(?:\w+:)?trkpt(?![^>]*\blat=)(?![^>]*\blon=)[^>]*?(?:/>|>.*?</(?:\w+:)?trkpt>)", re.S
)


def _heart_rates(tree) -> list[int]:
    """Each positioned track point's heart rate (0 where none), in document order."""
    out = []
    for el in tree.iter():
        if el.tag.rsplit("}", 1)[-1] != "trkpt" or el.get("lat") is None or el.get("lon") is None:
            continue
        hr = 0
        for child in el.iter():
            tag = child.tag.rsplit("}", 1)[-1].lower()
            if tag in ("hr", "heartrate") and child.text:
                try:
                    hr = int(float(child.text))
                except ValueError:
                    hr = 0
                break
        out.append(hr)
    return out


def _clean(points, hr_of: dict[int, int]):
    """Timed points in time order, with glitches (time backwards, impossible jumps) dropped."""
    t_out: list[float] = []
    lat_out: list[float] = []
    lon_out: list[float] = []
    ele_out: list[float | None] = []
    hr_out: list[int] = []
    for p in points:
        if p.time is None or p.latitude is None or p.longitude is None:
            continue
        if not (-90 <= p.latitude <= 90 and -180 <= p.longitude <= 180):
            continue
        ts = _epoch(p.time)
        if t_out:
            dt = ts - t_out[-1]
            if dt <= 0:
                continue
            jump = _haversine_scalar(lat_out[-1], lon_out[-1], p.latitude, p.longitude)
            if jump / dt > MAX_SPEED_MS:
                continue
        t_out.append(ts)
        lat_out.append(p.latitude)
        lon_out.append(p.longitude)
        ele_out.append(p.elevation if p.elevation is not None else np.nan)
        hr_out.append(hr_of.get(id(p), 0))
    return (
        np.asarray(t_out, dtype=float),
        np.asarray(lat_out, dtype=float),
        np.asarray(lon_out, dtype=float),
        np.asarray(ele_out, dtype=float),
        np.asarray(hr_out, dtype=int),
    )


def _despike(t, lat, lon, hr):
    """Drop single points that jump away and straight back: a GPS reflection, not a step."""
    if len(t) < 3:
        return t, lat, lon, hr
    a = _haversine(lat[:-2], lon[:-2], lat[1:-1], lon[1:-1])
    b = _haversine(lat[1:-1], lon[1:-1], lat[2:], lon[2:])
    c = _haversine(lat[:-2], lon[:-2], lat[2:], lon[2:])
    spike = (a + b) > SPIKE_DETOUR_FACTOR * c + SPIKE_MIN_DETOUR_M
    keep = np.concatenate([[True], ~spike, [True]])
    return t[keep], lat[keep], lon[keep], hr[keep]


def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _haversine_scalar(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
