"""What the files say about the knee, per week and over time: weekly ascent and descent, and step
rate at comparable effort. Descriptive only: no rule alerts on them (README "Step rate and
descent": what the studies found and did not). Pure: runs in, numbers out; `as_of` is given.

Step rate at comparable effort: a runner's step rate rises with speed, so a month of faster runs
would read as a change of form. Only easy runs are compared: in each 28-day window, the runs with a
step rate at or slower than that window's median pace (its slower half: a runner getting fitter runs
easy faster, so one threshold for both windows would leave the recent one with no easy runs). The
median step rate of the easy runs of the last 28 days is set against that of the 28 days before; a
fall of 5% or more gets a note. The 5% is loadwatch's own heuristic (about 8 steps a minute at 165), not a
threshold any study tested: Lenhart 2014 and Willson 2014 studied raising it by 5-10% on purpose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

import numpy as np
import pandas as pd

WINDOW_DAYS = 28
FELL_PCT = -5.0
# Fewer easy runs than this in either window: no comparison (one odd run would decide it).
MIN_EASY_RUNS = 3


def weekly_climb(runs: pd.DataFrame, week_starts: Sequence[object]) -> pd.DataFrame:
    """Ascent and descent summed per Monday-to-Sunday week (`runs["day"]`: the local day), and
    descent's change on the week before. A week whose runs carry no altitude has None, not 0:
    0 m would say it was flat."""
    index = pd.DatetimeIndex(pd.to_datetime(list(week_starts)))
    out = pd.DataFrame(index=index)
    for col in ("ascent_m", "descent_m"):
        if len(runs) and col in runs:
            day = pd.to_datetime(runs["day"])
            week = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
            sums = (
                pd.to_numeric(runs[col], errors="coerce").groupby(week.to_numpy()).sum(min_count=1)
            )
            out[col] = sums.reindex(index).to_numpy()
        else:
            out[col] = np.nan
    prev = out["descent_m"].shift(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["descent_change_pct"] = (out["descent_m"] - prev) / prev.where(prev > 0) * 100.0
    return out


@dataclass(frozen=True)
class StepRateTrend:
    as_of: date
    easy_pace_s_per_km: float | None  # the last 28 days' easy threshold: this pace or slower
    last28_spm: float | None
    prev28_spm: float | None
    easy_runs_last28: int
    easy_runs_prev28: int
    change_pct: float | None
    # (week end, the 28-day median of easy runs ending then), oldest first: the trend line.
    points: list[tuple[date, float | None]]

    @property
    def fell(self) -> bool:
        """A fall of 5% or more: loadwatch's own heuristic, worth a look, not a warning."""
        return self.change_pct is not None and self.change_pct <= FELL_PCT


def _easy(runs: list[tuple[date, float, float]]) -> tuple[float | None, list[float]]:
    """The window's median pace and the step rates of its runs at that pace or slower."""
    if not runs:
        return None, []
    pace = median(p for _, _, p in runs)
    return pace, [s for _, s, p in runs if p >= pace]


def _window(
    runs: list[tuple[date, float, float]], end: date
) -> tuple[float | None, float | None, int, float | None, int]:
    """The easy threshold of the 28 days to `end`, their easy runs' median step rate and count,
    and the same of the 28 days before (each window's easy runs by its own median pace)."""
    mid = end - timedelta(days=WINDOW_DAYS - 1)
    start = mid - timedelta(days=WINDOW_DAYS)
    pace, last = _easy([r for r in runs if mid <= r[0] <= end])
    _, prev = _easy([r for r in runs if start <= r[0] < mid])
    return (
        pace,
        median(last) if last else None,
        len(last),
        median(prev) if prev else None,
        len(prev),
    )


def step_rate_trend(
    days: Sequence[date],
    step_rate_spm: Sequence[float | None],
    pace_s_per_km: Sequence[float | None],
    as_of: date,
    weeks: int = 12,
) -> StepRateTrend:
    """The comparison on `as_of` and the trend line of the last `weeks` weeks (each point the
    comparison's "last 28 days" value on that day)."""
    runs = [
        (d, float(s), float(p))
        for d, s, p in zip(days, step_rate_spm, pace_s_per_km, strict=True)
        if s is not None and p is not None and math.isfinite(s) and math.isfinite(p) and s > 0
        and d <= as_of
    ]  # fmt: skip
    pace, last, n_last, prev, n_prev = _window(runs, as_of)
    change = None
    if last is not None and prev and n_last >= MIN_EASY_RUNS and n_prev >= MIN_EASY_RUNS:
        change = round((last - prev) / prev * 100.0, 1)
    points = []
    for i in range(weeks - 1, -1, -1):
        end = as_of - timedelta(days=7 * i)
        _, value, n, _, _ = _window(runs, end)
        points.append((end, round(value, 1) if value is not None and n else None))
    return StepRateTrend(
        as_of,
        round(pace, 1) if pace is not None else None,
        round(last, 1) if last is not None else None,
        round(prev, 1) if prev is not None else None,
        n_last,
        n_prev,
        change,
        points,
    )
