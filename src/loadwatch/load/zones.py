"""Heart-rate histograms decoded once for many runs, and what is derived from them: time in five
heart-rate zones and Banister TRIMP, both vectorised over every run.

Why derived here and not stored at import: both depend on the athlete's resting and maximum heart
rate, which change (a new test, a fitter heart). The importers keep each run's histogram (seconds
at each bpm), so changing an athlete's heart rates re-derives every run's zones and TRIMP at the
next analysis without reading a file again.

Zones are bands of the heart-rate reserve, HRR = (HR - resting) / (max - resting) (Karvonen,
Kentala & Mustala 1957). The edges (`[zones] hrr_edges`, default 60/70/80/90% of the reserve) are a
coaching convention, the 10%-band split many watches use for reserve-based zones; no study ties
time in a zone to injury. Zone 1 holds everything below the first edge, zone 5 everything at or
above the last.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

ZONES = 5
DEFAULT_HRR_EDGES = (0.6, 0.7, 0.8, 0.9)
# Banister's weighting (load/trimp.py, Morton, Fitz-Clarke & Banister 1990): (a, b) by sex.
_TRIMP_WEIGHTS = {"male": (0.64, 1.92), "female": (0.86, 1.67)}


@dataclass(frozen=True)
class Histograms:
    """Every run's histogram as three flat columns: which run (its position), bpm, seconds."""

    runs: int
    run: np.ndarray
    bpm: np.ndarray
    seconds: np.ndarray

    def has(self) -> np.ndarray:
        """Per run: whether it has a histogram at all."""
        return np.bincount(self.run, minlength=self.runs) > 0


def decode(texts: Iterable[object]) -> Histograms:
    """Stored histograms (JSON of bpm -> seconds, or None/NaN for none) in one JSON parse, not one
    per run."""
    items = ["null" if not isinstance(t, str) or not t else t for t in texts]
    docs = json.loads("[" + ",".join(items) + "]")
    run: list[int] = []
    bpm: list[str] = []
    seconds: list[float] = []
    for i, doc in enumerate(docs):
        if doc:
            run.extend([i] * len(doc))
            bpm.extend(doc.keys())
            seconds.extend(doc.values())
    return Histograms(
        len(items),
        np.asarray(run, dtype=np.int64),
        np.asarray(bpm, dtype=float),
        np.asarray(seconds, dtype=float),
    )


def _reserve(h: Histograms, resting_hr: float, max_hr: float) -> np.ndarray:
    if max_hr <= resting_hr:
        raise ValueError("max_hr must be above resting_hr")
    return (h.bpm - resting_hr) / (max_hr - resting_hr)


def zone_seconds(
    h: Histograms,
    resting_hr: float,
    max_hr: float,
    edges: Sequence[float] = DEFAULT_HRR_EDGES,
) -> np.ndarray:
    """(runs x 5) seconds in each zone; a run without a histogram is a row of NaN."""
    zone = np.searchsorted(np.asarray(edges, dtype=float), _reserve(h, resting_hr, max_hr), "right")
    # (float: bincount of no histograms at all gives integers, which cannot hold NaN)
    out = np.bincount(h.run * ZONES + zone, weights=h.seconds, minlength=h.runs * ZONES)
    out = out.astype(float).reshape(h.runs, ZONES)
    out[~h.has()] = np.nan
    return out


def trimp(h: Histograms, resting_hr: float, max_hr: float, sex: str | None) -> np.ndarray:
    """Banister TRIMP per run, summed over its histogram (load/trimp.py's formula); NaN for a
    run without one."""
    a, b = _TRIMP_WEIGHTS.get(sex or "male", _TRIMP_WEIGHTS["male"])
    hrr = np.clip(_reserve(h, resting_hr, max_hr), 0.0, 1.0)
    weights = h.seconds / 60.0 * hrr * a * np.exp(b * hrr)
    out = np.bincount(h.run, weights=weights, minlength=h.runs).astype(float)
    out[~h.has()] = np.nan
    return out


def weekly_zone_seconds(
    days: Sequence[object],
    histograms: Iterable[object],
    week_starts: Sequence[object],
    resting_hr: float | None,
    max_hr: float | None,
    edges: Sequence[float] = DEFAULT_HRR_EDGES,
) -> np.ndarray:
    """(weeks x 5) seconds in each zone, summed over each Monday-to-Sunday week's runs (`days`:
    their local days; `histograms`: their stored histograms). A week is a row of NaN when no run
    in it has heart rate, and every week is when the athlete's resting or maximum heart rate is
    unknown: 0 s would say the runner spent no time there."""
    index = pd.DatetimeIndex(pd.to_datetime(list(week_starts)))
    out = np.full((len(index), ZONES), np.nan)
    if not resting_hr or not max_hr or max_hr <= resting_hr or not len(days) or not len(index):
        return out
    day = pd.DatetimeIndex(pd.to_datetime(list(days)))
    week = (day - pd.to_timedelta(day.day_of_week, unit="D")).normalize()
    pos = index.get_indexer(week)
    # Only the shown weeks' runs are decoded: 12 weeks of a 10-year history are a few dozen.
    texts = list(histograms)
    shown = np.flatnonzero(pos >= 0)
    per_run = zone_seconds(decode([texts[i] for i in shown]), resting_hr, max_hr, edges)
    # NaN rows (runs without heart rate) add nothing; a week counts as known when one run has.
    known = ~np.isnan(per_run[:, 0])
    rows = pos[shown][known]
    sums = np.zeros((len(index), ZONES))
    np.add.at(sums, rows, per_run[known])
    has = np.bincount(rows, minlength=len(index)) > 0
    out[has] = sums[has]
    return out
