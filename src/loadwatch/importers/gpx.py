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
from array import array
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
import gpxpy
import gpxpy.gpx
import numpy as np
from defusedxml import DefusedXmlException
from gpxpy.geo import calculate_uphill_downhill
from gpxpy.gpxfield import gpx_fields_from_xml

from ..errors import NotAnActivity, UnreadableFile
from ..model import Activity, is_running
from . import check_depth, xml_start
from .climb import climb_m
from .drift import hr_drift_pct
from .hr import hr_histogram, mean_hr, reading
from .localtime import gpx_offset_s
from .sports import infer
from .steps import step_rate_spm

EARTH_RADIUS_M = 6_371_008.8
# Faster than this between two points is a GPS glitch, not a person (about 180 km/h).
MAX_SPEED_MS = 50.0
# Slower than this (1.8 km/h) is standing still: it counts toward elapsed, not moving time.
MOVING_SPEED_MS = 0.5
# A point whose detour is this much longer than the straight line past it is a GPS spike.
SPIKE_DETOUR_FACTOR = 3.0
SPIKE_MIN_DETOUR_M = 40.0


# gpxpy holds every point as objects, about 30 times the file in memory (a 6 MiB file: 186 MB).
# Above this size the points are streamed: each is parsed by gpxpy's own field definitions as it
# ends in the XML, then let go; gpxpy then reads what is left (tracks' names, metadata).
GPXPY_MAX_BYTES = 2 * 2**20


class _Segment:
    """One track segment's points as columns of doubles, NaN where a point has no value (8 bytes
    a value: a long ultra's points as Python tuples took 40 MB)."""

    __slots__ = ("t", "lat", "lon", "ele", "hr", "cad")

    def __init__(self) -> None:
        self.t, self.lat, self.lon, self.ele, self.hr, self.cad = (array("d") for _ in range(6))

    def add(self, p: gpxpy.gpx.GPXTrackPoint, sensors: tuple[int, float]) -> None:
        self.t.append(_epoch(p.time) if p.time is not None else math.nan)
        self.lat.append(p.latitude)
        self.lon.append(p.longitude)
        self.ele.append(p.elevation if p.elevation is not None else math.nan)
        self.hr.append(sensors[0])
        self.cad.append(sensors[1])

    def __len__(self) -> int:
        return len(self.t)


@dataclass
class _Parsed:
    """A GPX reduced to what the summary needs, whichever way it was read."""

    segments: list[_Segment]
    gpx: gpxpy.gpx.GPX  # tracks' names and types, name, creator, routes (points may be gone)
    waypoints: bool
    dropped: int  # track points without a position
    channels: _Channels  # what the points carried that was not read


def read_gpx(data: bytes, path: str = "", *, stream: bool | None = None) -> list[Activity]:
    """`stream` (default: by size) reads the points one by one instead of as a gpxpy tree."""
    data = xml_start(data, path)
    check_depth(data, path)
    if stream is None:
        stream = len(data) > GPXPY_MAX_BYTES
    act = _summary(_streamed(data, path) if stream else _tree(data, path), path)
    return [replace(act, utc_offset_s=gpx_offset_s(data))]


def _tree(data: bytes, path: str) -> _Parsed:
    try:
        tree = SafeET.fromstring(data)  # refuses DTD entities before gpxpy (and maybe lxml) sees it
    except DefusedXmlException as e:
        raise _refused(path, e) from e
    except SafeET.ParseError as e:
        raise UnreadableFile(path, f"not well-formed XML ({e})") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # A point without a position (an eTrex writes one now and then) would fail the whole file in
    # gpxpy: it is dropped, and said so.
    text, dropped = _TRKPT_WITHOUT_POSITION.subn("", text)
    channels = _Channels(Counter())
    sensors = _sensors(tree, _default_namespace(data), channels)
    try:
        gpx = gpxpy.parse(io.StringIO(text))
    except Exception as e:  # gpxpy raises GPXException, but also ValueError from bad numbers
        raise _invalid(path, e) from e
    # Heart rate from the XML itself, point by point in document order: gpxpy drops the
    # extensions of a file that says version="1.0" but uses the GPX 1.1 namespace.
    points = sum(len(seg.points) for trk in gpx.tracks for seg in trk.segments)
    if len(sensors) != points:
        sensors = [(0, math.nan)] * points
    each = iter(sensors)
    segments = []
    for trk in gpx.tracks:
        for seg in trk.segments:
            segments.append(_Segment())
            for p in seg.points:
                segments[-1].add(p, next(each))
    return _Parsed(segments, gpx, bool(gpx.waypoints), dropped, channels)


def _streamed(data: bytes, path: str) -> _Parsed:
    """The same reading as `_tree`, in memory that does not grow with the points.

    Every track, route and waypoint point is handed to gpxpy's own parser for its kind as soon
    as it is complete (so a bad value refuses the file as gpxpy would), then removed from the
    tree; the skeleton left (tracks without points, metadata) is parsed by gpxpy at the end. As
    gpxpy does, elements are read in the document's default namespace."""
    prefix = _default_namespace(data)
    open_: list = []  # the elements open around the current one, outermost first
    version = ""  # gpxpy reads 1.1 as 1.1 and anything else as 1.0
    segments: list[_Segment] = []
    waypoints = False
    dropped = 0
    channels = _Channels(Counter())
    try:
        for event, el in SafeET.iterparse(io.BytesIO(data), events=("start", "end")):
            if prefix and el.tag.startswith(prefix):
                el.tag = el.tag[len(prefix) :]
            if event == "start":
                if not open_:
                    version = el.get("version", "")
                elif el.tag == "trkseg" and len(open_) == 2 and open_[1].tag == "trk":
                    segments.append(_Segment())
                open_.append(el)
                continue
            open_.pop()
            if el.tag == "trkpt" and [e.tag for e in open_[1:]] == ["trk", "trkseg"]:
                if el.get("lat") is None and el.get("lon") is None:
                    dropped += 1
                else:
                    p = gpx_fields_from_xml(gpxpy.gpx.GPXTrackPoint, el, version)
                    segments[-1].add(p, _point_sensors(el, channels))
                open_[-1].remove(el)  # by identity: the parser may have read further ahead
            elif el.tag == "rtept" and [e.tag for e in open_[1:]] == ["rte"]:
                gpx_fields_from_xml(gpxpy.gpx.GPXRoutePoint, el, version)
                open_[-1].remove(el)
            elif len(open_) == 1 and el.tag == "wpt":
                gpx_fields_from_xml(gpxpy.gpx.GPXWaypoint, el, version)
                waypoints = True
                open_[-1].remove(el)
            elif not open_:
                gpx = gpx_fields_from_xml(gpxpy.gpx.GPX, el, version)
    except DefusedXmlException as e:
        raise _refused(path, e) from e
    except SafeET.ParseError as e:
        raise UnreadableFile(path, f"not well-formed XML ({e})") from e
    except Exception as e:  # gpxpy's own errors, as `_tree` reports them
        raise _invalid(path, e) from e
    return _Parsed(segments, gpx, waypoints, dropped, channels)


def _default_namespace(data: bytes) -> str:
    """'{uri}' of the namespace gpxpy reads elements in (the first default one), or ''."""
    m = _DEFAULT_NAMESPACE.search(data)
    return "{" + m.group(2).decode("utf-8", "replace") + "}" if m else ""


def _gain(segments: list[_Segment]) -> float | None:
    """Climb as gpxpy counts it (after its 3-point smoothing), segment by segment."""
    try:
        up = sum(
            calculate_uphill_downhill([None if math.isnan(e) else e for e in seg.ele])[0] or 0
            for seg in segments
        )
    except Exception:  # elevation is optional context; a track without it still counts
        return None
    return float(up) if up else None


def _refused(path: str, e: Exception) -> UnreadableFile:
    return UnreadableFile(path, f"GPX refused: XML entity or DTD tricks ({type(e).__name__})")


def _invalid(path: str, e: Exception) -> UnreadableFile:
    return UnreadableFile(path, f"invalid GPX ({_one_line(e)})")


def _summary(parsed: _Parsed, path: str) -> Activity:
    gpx = parsed.gpx
    segments = [seg for seg in parsed.segments if seg]
    if not segments:
        what = "a route" if gpx.routes else ("only waypoints" if parsed.waypoints else "no points")
        raise NotAnActivity(path, f"not an activity: GPX track has {what}")

    total_points = sum(len(s) for s in segments)
    timed = sum(int(np.count_nonzero(~np.isnan(np.frombuffer(s.t)))) for s in segments)
    if timed == 0:
        raise UnreadableFile(path, "GPX track has no timestamps, so it cannot be placed on a day")
    if timed * 2 < total_points:
        raise UnreadableFile(
            path,
            f"only {timed} of {total_points} GPX points have a time; the track is not a recording",
        )

    distance = moving = 0.0
    hist: Counter[int] = Counter()
    hr_values: list[int] = []
    starts, ends = [], []
    cadence: list[tuple[float, float]] = []
    intervals: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (dt, metres, hr) for drift
    for seg in segments:
        t, lat, lon, hr, cad = _clean(seg)
        if len(t) == 0:
            continue
        starts.append(t[0])
        ends.append(t[-1])
        if len(t) < 2:
            continue
        t, lat, lon, hr, cad = _despike(t, lat, lon, hr, cad)
        d = _haversine(lat[:-1], lon[:-1], lat[1:], lon[1:])
        dt = np.diff(t)
        distance += float(d.sum())
        speed = d / np.maximum(dt, 1e-9)
        moving += float(dt[speed >= MOVING_SPEED_MS].sum())
        hist.update(hr_histogram(zip(t, hr, strict=True)))
        hr_values.extend(int(h) for h in hr if h > 0)
        intervals.append((dt, d, hr[:-1]))
        if not np.isnan(cad).all():
            cadence.extend(zip(t.tolist(), cad.tolist(), strict=True))

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
    dropped = parsed.dropped
    climb = climb_m(seg.ele for seg in segments)
    drift = (
        hr_drift_pct(*(np.concatenate(column) for column in zip(*intervals, strict=True)))
        if hist and intervals
        else None
    )
    return Activity(
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
        elevation_gain_m=_gain(parsed.segments),
        ascent_m=climb[0] if climb else None,
        descent_m=climb[1] if climb else None,
        step_rate_spm=step_rate_spm(cadence) if cadence and is_running(sport, sub_sport) else None,
        hr_drift_pct=drift,
        hr_histogram_s=dict(sorted(hist.items())),
        distance_source="gps",
        name=name,
        notes=(
            (f"{dropped} point{'s' if dropped > 1 else ''} without a position dropped",)
            if dropped
            else ()
        )
        + parsed.channels.notes(),
        device=(gpx.creator or None),
    )


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())[:200]


def _epoch(dt: datetime) -> float:
    # GPX times without a zone are UTC by the standard.
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


_DEFAULT_NAMESPACE = re.compile(rb"""\sxmlns=(['"])([^'"]+)\1""")  # as gpxpy finds it
_TRKPT_WITHOUT_POSITION = re.compile(
    r"<(?:\w+:)?trkpt(?![^>]*\blat=)(?![^>]*\blon=)[^>]*?(?:/>|>.*?</(?:\w+:)?trkpt>)", re.S
)


def _sensors(tree, ns: str, channels: _Channels) -> list[tuple[int, float]]:
    """Heart rate (0 where none) and cadence (NaN where none) of each positioned track point
    gpxpy reads, in its order."""
    return [
        _point_sensors(pt, channels)
        for trk in tree
        if trk.tag in ("trk", ns + "trk")
        for seg in trk
        if seg.tag in ("trkseg", ns + "trkseg")
        for pt in seg
        if pt.tag in ("trkpt", ns + "trkpt")
        and pt.get("lat") is not None
        and pt.get("lon") is not None
    ]


# Heart rate as the exporters write it, in any namespace prefix: Garmin's TrackPointExtension v1/v2
# (gpxtpx:hr, ns3:hr), ClueTrust's gpxdata:hr, plain <hr> or <heartrate>, <heart_rate>, a TCX-style
# <HeartRateBpm><Value>, or an attribute of that name on the point or one of its extensions.
_HR_NAMES = frozenset(("hr", "heartrate", "heart_rate", "heartratebpm"))
# Cadence likewise: Garmin's gpxtpx:cad / ns3:cad, ClueTrust's gpxdata:cadence, a TCX-style
# RunCadence; read as one foot's strides a minute (importers/steps.py).
_CADENCE_NAMES = frozenset(("cad", "cadence", "runcadence"))
# What a point may carry that loadwatch reads elsewhere or has no use for; anything else is a
# channel it could not read, which `import --verbose` names (it may be heart rate in a new form).
_KNOWN_CHANNELS = frozenset(
    (
        # GPX's own point fields and the extension containers
        *("trkpt", "ele", "time", "magvar", "geoidheight", "name", "cmt", "desc", "src", "link"),
        *("text", "url", "urlname", "sym", "type", "fix", "sat", "hdop", "vdop", "pdop"),
        *("ageofdgpsdata", "dgpsid", "extensions", "trackpointextension", "value"),
        # cadence (read as the step rate, `_CADENCE_NAMES`) and channels loadwatch has no use for
        *("cad", "cadence", "runcadence", "power", "watts", "atemp", "wtemp", "temp"),
        *("temperature", "depth", "speed", "course", "bearing", "distance", "hacc", "vacc"),
        *("accuracy", "accuracy_horizontal", "accuracy_vertical", "sensor", "altitude"),
        *("gain", "loss", "powerinwatts"),
    )
)
_BPM = re.compile(r"\s*([0-9]+(?:[.,][0-9]*)?)\s*(?:bpm)?\s*", re.I)


@dataclass
class _Channels:
    """What the points carried that was not read: unknown channels by name, unreadable heart rates."""

    unknown: Counter[str]
    bad_hr: int = 0
    bad_example: str = ""

    def notes(self) -> tuple[str, ...]:
        out = []
        if self.bad_hr:
            out.append(
                f"heart rate on {self.bad_hr} point{'s' if self.bad_hr > 1 else ''} could not be "
                f"read (e.g. {self.bad_example[:20]!r})"
            )
        if self.unknown:
            names = ", ".join(
                f"{n} ({c} point{'s' if c > 1 else ''})"
                for n, c in sorted(self.unknown.items())[:5]
            )
            out.append(f"point data loadwatch could not read: {names}")
        return tuple(out)


def _bpm(text: str | None, channels: _Channels | None) -> int:
    m = _BPM.fullmatch(text or "")
    if m is None:
        if channels is not None and text and text.strip():
            channels.bad_hr += 1
            channels.bad_example = channels.bad_example or text.strip()
        return 0
    return reading(float(m.group(1).replace(",", ".")))


def _point_sensors(el, channels: _Channels | None = None) -> tuple[int, float]:
    """The first heart rate (0 if none) and cadence (NaN if none) the point or its extensions
    give; `channels` collects what could not be read."""
    hr = 0
    cad = math.nan
    for child in el.iter():
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if child.attrib:
            for name, value in child.attrib.items():
                if not hr and name.rsplit("}", 1)[-1].lower() in _HR_NAMES:
                    hr = _bpm(value, channels)
        local = tag.rsplit("}", 1)[-1].lower()
        if local in _HR_NAMES:
            text = child.text
            if (text is None or not text.strip()) and len(child):
                text = child[0].text  # <HeartRateBpm><Value>112</Value></HeartRateBpm>
            if not hr:
                hr = _bpm(text, channels)
        elif local in _CADENCE_NAMES:
            if cad != cad:  # the first one given
                cad = _cadence(child.text)
        elif (
            channels is not None
            and local not in _KNOWN_CHANNELS
            and not len(child)
            and child.text
            and child.text.strip()
        ):
            channels.unknown[local] += 1
    return hr, cad


def _cadence(text: str | None) -> float:
    """A cadence reading, NaN where it is not a plausible number (0-300 a minute)."""
    try:
        value = float(text or "")
    except ValueError:
        return math.nan
    return value if 0 <= value <= 300 else math.nan


def _clean(seg: _Segment):
    """Timed points in time order, with glitches (time backwards, impossible jumps) dropped."""
    t_out, lat_out, lon_out, hr_out, cad_out = (array("d") for _ in range(5))
    for ts, lat, lon, hr, cad in zip(seg.t, seg.lat, seg.lon, seg.hr, seg.cad, strict=True):
        if math.isnan(ts) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        if t_out:
            dt = ts - t_out[-1]
            if dt <= 0:
                continue
            jump = _haversine_scalar(lat_out[-1], lon_out[-1], lat, lon)
            if jump / dt > MAX_SPEED_MS:
                continue
        t_out.append(ts)
        lat_out.append(lat)
        lon_out.append(lon)
        hr_out.append(hr)
        cad_out.append(cad)
    return (
        np.frombuffer(t_out),
        np.frombuffer(lat_out),
        np.frombuffer(lon_out),
        np.frombuffer(hr_out).astype(int),
        np.frombuffer(cad_out),
    )


def _despike(t, lat, lon, hr, cad):
    """Drop single points that jump away and straight back: a GPS reflection, not a step."""
    if len(t) < 3:
        return t, lat, lon, hr, cad
    a = _haversine(lat[:-2], lon[:-2], lat[1:-1], lon[1:-1])
    b = _haversine(lat[1:-1], lon[1:-1], lat[2:], lon[2:])
    c = _haversine(lat[:-2], lon[:-2], lat[2:], lon[2:])
    spike = (a + b) > SPIKE_DETOUR_FACTOR * c + SPIKE_MIN_DETOUR_M
    keep = np.concatenate([[True], ~spike, [True]])
    return t[keep], lat[keep], lon[keep], hr[keep], cad[keep]


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
