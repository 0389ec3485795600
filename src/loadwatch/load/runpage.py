"""One run's records -> its splits (per kilometre or per mile, as its reader reads), its curves
over distance and its outline: what the run's page draws. Pure: a Track in, typed rows out, in
metres and seconds (the renderers turn them into the reader's unit).

Splits are cut from the records at every full split length (1,000 m or 1,609.344 m) of the
track's cumulative distance (the
time at a boundary interpolated between the two records around it), not taken from the file's
laps: laps are whatever the runner pressed or the watch's auto-lap was set to, and GPX has none.
A split's time is clock time between its boundaries, pauses included; the run's moving time is
the device's (or the importer's) and is shown apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Track

# Slower than this over a stretch is standing or walking with the watch paused badly: no pace
# is drawn for it (20 min/km).
SLOWEST_PACE_S_PER_KM = 1200.0
# The curves are drawn from at most this many points: a 3-hour run at 1 Hz has 10,800.
CURVE_POINTS = 120
OUTLINE_POINTS = 600


@dataclass(frozen=True)
class Split:
    index: int  # 1 for the first kilometre (or mile)
    distance_m: float  # the split length, or less for the last part
    time_s: float  # clock time over it, pauses included
    pace_s_per_km: float | None  # unrounded: a mile split's pace per mile is its time
    avg_hr_bpm: float | None
    step_rate_spm: float | None
    climb_m: float | None  # altitude at its end minus at its start (net, not summed)


@dataclass(frozen=True)
class Curve:
    """One value over distance: `distance_m` (each stretch's middle) and `values` of equal
    length, None where not recorded. Pace is in minutes per kilometre."""

    name: str
    unit: str
    distance_m: list[float]
    values: list[float | None]

    @property
    def present(self) -> bool:
        return any(v is not None for v in self.values)


@dataclass(frozen=True)
class Outline:
    """The track projected flat (x east, y north, metres from the south-west corner)."""

    x_m: list[float]
    y_m: list[float]
    width_m: float
    height_m: float


def _monotone(distance: Sequence[float | None]) -> list[float | None]:
    """Cumulative distance that never goes back (a device correcting itself), None kept."""
    out: list[float | None] = []
    top = None
    for d in distance:
        if d is None or not math.isfinite(d):
            out.append(None)
            continue
        top = d if top is None else max(top, d)
        out.append(top)
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def splits(track: Track, split_m: float = 1000.0) -> list[Split]:
    """Splits of `split_m` each (1000.0 per km, 1609.344 per mile); the last, shorter part too
    when it is at least 100 m."""
    dist = _monotone(track.distance_m)
    pts = [(t, d, i) for i, (t, d) in enumerate(zip(track.t_s, dist, strict=True)) if d is not None]
    if len(pts) < 2:
        return []
    total = pts[-1][1] - pts[0][1]
    out = []
    k = 1
    start_t, start_d, start_i = pts[0]
    base = pts[0][1]
    j = 1
    while True:
        boundary = base + k * split_m
        last = boundary > pts[-1][1]
        if last:
            boundary = pts[-1][1]
            if boundary - (base + (k - 1) * split_m) < 100.0:
                break
        while j < len(pts) - 1 and pts[j][1] < boundary:
            j += 1
        (t0, d0, _), (t1, d1, i1) = pts[j - 1], pts[j]
        frac = (boundary - d0) / (d1 - d0) if d1 > d0 else 1.0
        end_t = t0 + frac * (t1 - t0)
        part = track.hr_bpm[start_i : i1 + 1], track.step_rate_spm[start_i : i1 + 1]
        hrs = [v for v in part[0] if v is not None]
        steps = [v for v in part[1] if v is not None]
        alts = [a for a in track.altitude_m[start_i : i1 + 1] if a is not None]
        length = boundary - start_d
        time_s = end_t - start_t  # unrounded, as its pace: both cut to the second agree
        pace = time_s / (length / 1000.0) if length > 0 else None
        out.append(
            Split(
                index=k,
                distance_m=round(length, 1),
                time_s=time_s,
                pace_s_per_km=pace,
                avg_hr_bpm=_round(_mean(hrs)),
                step_rate_spm=_round(_mean(steps)),
                climb_m=round(alts[-1] - alts[0], 1) if len(alts) >= 2 else None,
            )
        )
        if last or boundary >= base + total:
            break
        start_t, start_d, start_i = end_t, boundary, i1
        k += 1
    return out


def _round(v: float | None, digits: int = 1) -> float | None:
    return None if v is None else round(v, digits)


def curves(track: Track, points: int = CURVE_POINTS) -> list[Curve]:
    """Pace, heart rate, elevation and step rate over distance, each the mean of the records in
    one of `points` equal stretches (pace: the stretch's time over its distance)."""
    dist = _monotone(track.distance_m)
    known = [d for d in dist if d is not None]
    names = [
        ("Pace", "min/km"),
        ("Heart rate", "bpm"),
        ("Elevation", "m"),
        ("Step rate", "steps/min"),
    ]
    if len(known) < 2 or known[-1] - known[0] <= 0:
        return [Curve(n, u, [], []) for n, u in names]
    first, span = known[0], known[-1] - known[0]
    n = max(1, min(points, len(known) - 1))
    width = span / n
    sums: list[list[list[float]]] = [[[] for _ in range(n)] for _ in range(3)]
    times: list[list[float]] = [[] for _ in range(n)]
    for t, d, hr, alt, spm in zip(
        track.t_s, dist, track.hr_bpm, track.altitude_m, track.step_rate_spm, strict=True
    ):
        if d is None:
            continue
        b = min(n - 1, int((d - first) / width))
        times[b].append(t)
        for col, v in zip(sums, (hr, alt, spm), strict=True):
            if v is not None:
                col[b].append(v)
    mids = [round(first + (b + 0.5) * width, 1) for b in range(n)]
    pace: list[float | None] = []
    prev_end = None
    for b in range(n):
        if not times[b]:
            pace.append(None)
            continue
        begin = prev_end if prev_end is not None else times[b][0]
        secs = times[b][-1] - begin
        prev_end = times[b][-1]
        p = secs / (width / 1000.0) if width > 0 else None
        pace.append(round(p / 60.0, 3) if p and 0 < p <= SLOWEST_PACE_S_PER_KM else None)
    series = [pace] + [[_round(_mean(col[b])) for b in range(n)] for col in sums]
    return [Curve(nm, u, mids, vals) for (nm, u), vals in zip(names, series, strict=True)]


def outline(track: Track, points: int = OUTLINE_POINTS) -> Outline | None:
    """The positions projected flat around their middle (equirectangular: exact enough for a
    run's few kilometres), thinned to at most `points`; None without two positions."""
    pos = [
        (a, b) for a, b in zip(track.lat, track.lon, strict=True) if a is not None and b is not None
    ]
    if len(pos) < 2:
        return None
    step = max(1, math.ceil(len(pos) / points))
    kept = pos[::step] + ([pos[-1]] if (len(pos) - 1) % step else [])
    lat0 = math.radians(sum(a for a, _ in kept) / len(kept))
    metres = 6_371_008.8 * math.pi / 180.0
    xs = [b * metres * math.cos(lat0) for _, b in kept]
    ys = [a * metres for a, _ in kept]
    x0, y0 = min(xs), min(ys)
    return Outline(
        [round(x - x0, 1) for x in xs],
        [round(y - y0, 1) for y in ys],
        round(max(xs) - x0, 1),
        round(max(ys) - y0, 1),
    )
