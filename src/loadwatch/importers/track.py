"""One run's records, read again from its stored file for the run's page (`/activities/{id}`,
`activities show`): time, distance, heart rate, altitude, step rate and position per record.

Nothing of this is stored: the database keeps each file's path and SHA-256, so the page reads the
one file again, and only when its bytes are still the ones imported (a changed file would draw
another run). FIT goes through the importer's own decoders (the same records the totals came
from); GPX and TCX are read as a stream of points, as their importers read them.

Step rate counts both feet: FIT `cadence` (+ `fractional_cadence`), the GPX Garmin extension's
`cad` and TCX's `RunCadence` count one foot, so they are doubled.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ..errors import UnreadableFile
from ..model import Track
from . import MAX_FILE_BYTES, check_depth, content_hash, gunzip, size_cap, sniff, xml_start

EARTH_RADIUS_M = 6_371_008.8
# Records this close past the run's recorded end still belong to it (a last record after the
# session's timestamp).
END_SLACK_S = 2.0
# Faster than this between two points is a GPS glitch, not a runner (as importers/gpx.py).
MAX_SPEED_MS = 50.0


def read_track(
    path: str, expected_hash: str, start_utc: datetime, elapsed_s: float | None
) -> Track:
    """The records of the run that started at `start_utc` (a file may hold several sessions),
    or UnreadableFile saying why not: no file there, or not the bytes imported."""
    data = _bytes(path)
    if expected_hash and content_hash(data) != expected_hash:
        raise UnreadableFile(path, "changed since it was imported (not the same bytes)")
    if path.lower().endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = gunzip(data, path, size_cap(path.lower())[1])
    kind = sniff(data)
    end = start_utc + timedelta(seconds=(elapsed_s or 0.0) + END_SLACK_S) if elapsed_s else None
    if kind == "fit":
        return _fit(data, path, start_utc, end)
    if kind in ("gpx", "tcx"):
        try:
            check_depth(data, path)
            return _xml(xml_start(data, path), kind, start_utc, end)
        except (DefusedXmlException, SafeET.ParseError) as e:
            raise UnreadableFile(path, f"{kind.upper()} not readable ({type(e).__name__})") from e
    raise UnreadableFile(path, "not a FIT, GPX or TCX file")


def _bytes(path: str) -> bytes:
    """The file's bytes, or an archive member's (`export.zip!activities/1.fit`, a zip in a zip
    too), read with the import's own caps."""
    p = Path(path)
    if "!" in path and not p.exists():
        return _member(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableFile(path, "larger than any file loadwatch imports")
        return p.read_bytes()
    except FileNotFoundError as e:
        raise UnreadableFile(path, "no longer there (moved or deleted since the import)") from e
    except OSError as e:
        raise UnreadableFile(path, f"cannot read: {e.strerror or e}") from e


def _member(path: str) -> bytes:
    from .archives import SafeZip

    archive, *inner = path.split("!")
    if not Path(archive).is_file():
        raise UnreadableFile(path, f"its archive {archive} is no longer there")
    with SafeZip(archive, archive) as top:
        z = top
        try:
            for name in inner[:-1]:
                z = z.nested(name)
            return z.read(inner[-1])
        except KeyError as e:
            raise UnreadableFile(path, "no longer in its archive (the archive changed)") from e


def _within(t: datetime, start: datetime, end: datetime | None) -> bool:
    return start - timedelta(seconds=END_SLACK_S) <= t and (end is None or t <= end)


def _fit(data: bytes, path: str, start: datetime, end: datetime | None) -> Track:
    from .fit import FIT_EPOCH, SEMICIRCLE_DEG, _decode

    decoded = _decode(data, path, "auto")
    cols: list[list] = [[] for _ in range(7)]
    t0 = start.timestamp()
    epoch = FIT_EPOCH.timestamp()
    first = start - timedelta(seconds=END_SLACK_S)
    for ts, hr, dist, lat, lon, alt, cad in decoded.records:
        when = epoch + ts
        if when < first.timestamp() or (end is not None and when > end.timestamp()):
            continue
        cols[0].append(when - t0)
        cols[1].append(dist)
        cols[2].append(float(hr) if hr else None)
        cols[3].append(alt)
        cols[4].append(2.0 * cad if cad else None)
        cols[5].append(lat * SEMICIRCLE_DEG if lat is not None else None)
        cols[6].append(lon * SEMICIRCLE_DEG if lon is not None else None)
    source = "FIT records"
    if not any(d is not None for d in cols[1]):
        cols[1] = _path_distance(cols[0], cols[5], cols[6], [0] * len(cols[0]))
        source = "FIT records (distance from positions)"
    return _track(cols, source)


def _track(cols: list[list], source: str) -> Track:
    t, dist, hr, alt, spm, lat, lon = cols
    return Track(t, dist, hr, alt, spm, lat, lon, source)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _num(text: str | None) -> float | None:
    try:
        v = float((text or "").strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _time(text: str | None) -> datetime | None:
    try:
        t = datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _xml(data: bytes, kind: str, start: datetime, end: datetime | None) -> Track:
    """GPX `trkpt` or TCX `Trackpoint`, each reduced to its numbers as it ends, then let go."""
    point = "trkpt" if kind == "gpx" else "trackpoint"
    cols: list[list] = [[] for _ in range(7)]
    t0 = start.timestamp()
    segments: list[int] = []  # a new GPX segment is a pause: the gap to it is not distance
    segment = 0
    for event, el in SafeET.iterparse(io.BytesIO(data), events=("start", "end")):
        if event == "start":
            segment += _local(el.tag) == "trkseg"
            continue
        if _local(el.tag) != point:
            continue
        values: dict[str, float | None] = {}
        when = None
        for child in el.iter():
            name = _local(child.tag)
            if name == "time":
                when = _time(child.text)
            elif name in ("ele", "altitudemeters"):
                values["alt"] = _num(child.text)
            elif name == "distancemeters":
                values["dist"] = _num(child.text)
            elif name in ("hr", "heartrate") or (name == "value" and "hr" not in values):
                values["hr"] = _num(child.text)
            elif name in ("cad", "runcadence", "cadence"):
                values["cad"] = _num(child.text)
            elif name == "latitudedegrees":
                values["lat"] = _num(child.text)
            elif name == "longitudedegrees":
                values["lon"] = _num(child.text)
        if kind == "gpx":
            values["lat"] = _num(el.get("lat"))
            values["lon"] = _num(el.get("lon"))
        el.clear()
        if when is None or not _within(when, start, end):
            continue
        segments.append(segment)
        cols[0].append(when.timestamp() - t0)
        cols[1].append(values.get("dist"))
        cols[2].append(values.get("hr") or None)
        cols[3].append(values.get("alt"))
        cad = values.get("cad")
        cols[4].append(2.0 * cad if cad else None)
        cols[5].append(values.get("lat"))
        cols[6].append(values.get("lon"))
    source = f"{kind.upper()} points"
    if not any(d is not None for d in cols[1]):
        cols[1] = _path_distance(cols[0], cols[5], cols[6], segments)
        source += " (distance summed from positions)"
    return _track(cols, source)


def _path_distance(
    t: list[float], lat: list[float | None], lon: list[float | None], segments: list[int]
) -> list[float | None]:
    """Cumulative great-circle distance over the points that have a position (None before the
    first), counted within a segment and without GPS jumps faster than MAX_SPEED_MS, as the GPX
    importer counts it (it also removes single-point spikes: its total can be a little less)."""
    out: list[float | None] = []
    total = 0.0
    last: tuple[float, float, float, int] | None = None
    for when, a, b, seg in zip(t, lat, lon, segments, strict=True):
        if a is None or b is None:
            out.append(total if last is not None else None)
            continue
        if last is not None and last[3] == seg:
            p1, p2 = math.radians(last[0]), math.radians(a)
            dp, dl = p2 - p1, math.radians(b - last[1])
            h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
            step = 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
            if step <= MAX_SPEED_MS * max(when - last[2], 1.0):
                total += step
        last = (a, b, when, seg)
        out.append(total)
    return out
