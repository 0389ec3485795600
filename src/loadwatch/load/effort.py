"""Effort load: how hard the runs felt, as session RPE x moving minutes (Foster et al. 2001), summed
per Monday week and per rolling 7 days. Pure: runs in, numbers out.

Distance says how much; effort says how hard it felt, so a week of the same kilometres run faster
shows here and not in the weekly distance. The common advice for runner's knee is to avoid
sudden increases in mileage *or intensity*; whether intensity matters apart from volume is not
settled (the Run Clever trial, Ramskov et al. 2018, found no clear difference between progressing
volume and progressing intensity: confidence intervals spanning 0). So effort is shown, never
alerted on.

A run's effort is known only when it has a rating (CR-10, 0-10) and a moving time. A week whose
runs have no rating has no effort (None, never 0: unrated is not easy), and a change is given only
between two weeks whose every run is rated (a partly rated week would look like a drop).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Effort:
    """The effort of a stretch of days: the sum of the rated runs' sRPE (arbitrary units, AU),
    None when no run in it is rated; how many of its runs are rated."""

    au: float | None
    rated_runs: int = 0
    runs: int = 0

    @property
    def complete(self) -> bool:
        return self.rated_runs == self.runs


def session_effort(runs: pd.DataFrame) -> pd.Series:
    """Each run's sRPE: RPE x moving minutes; NaN where either is missing."""
    if "rpe" not in runs or "moving_s" not in runs:
        return pd.Series(np.nan, index=runs.index, dtype=float)
    rpe = _numbers(runs["rpe"])
    minutes = _numbers(runs["moving_s"]) / 60.0
    return pd.Series(rpe * minutes, index=runs.index)


def _numbers(column: pd.Series) -> np.ndarray:
    """A column as floats, what is no number NaN: as `pd.to_numeric(errors="coerce")`, whose
    parsing is needed only for text (a state computes this for every athlete)."""
    values = column.to_numpy()
    if values.dtype.kind in "iuf":
        return values.astype(float)
    if values.dtype == object and pd.isna(values).all():  # never rated
        return np.full(len(values), np.nan)
    return pd.to_numeric(column, errors="coerce").astype(float).to_numpy()


NO_RUNS = Effort(0.0)  # no run, no effort: a true 0, unlike runs without a rating


def change_pct(now: Effort, before: Effort) -> float | None:
    """Week over week, only between two fully rated stretches with effort before."""
    if not (now.complete and before.complete) or not before.au or now.au is None:
        return None
    return (now.au - before.au) / before.au * 100.0


def window_effort(runs: pd.DataFrame, last_day: pd.Timestamp, days: int = 7) -> Effort:
    """The effort of the `days` local days ending with `last_day` (runs need a local `day`)."""
    return window_efforts(runs, (last_day,), days)[0]


def window_efforts(
    runs: pd.DataFrame, last_days: Sequence[pd.Timestamp], days: int = 7
) -> list[Effort]:
    """`window_effort` for each of `last_days`, the runs' efforts computed once for all (a
    state reads two windows: each computing them cost 2 ms an athlete)."""
    if runs.empty:
        return [NO_RUNS for _ in last_days]
    day = runs["day"]
    day = (day if day.dtype.kind == "M" else pd.to_datetime(day)).to_numpy()
    # The runs' efforts filtered as numbers: filtering the whole frame cost 3 ms an athlete.
    loads = session_effort(runs).to_numpy(dtype=float)
    out = []
    for last_day in last_days:
        first = (last_day - pd.Timedelta(days=days)).to_datetime64()
        inside = (day <= last_day.to_datetime64()) & (day > first)
        out.append(_array_effort(loads[inside]))
    return out


def _array_effort(loads: np.ndarray) -> Effort:
    """The effort of the runs' efforts (NaN: unrated). As an array: a Series cost more than the
    sums."""
    if not len(loads):
        return NO_RUNS
    missing = np.isnan(loads)
    rated = int(len(loads) - missing.sum())
    # Summed as pandas sums a Series: the missing as 0, in the same order (the same last bit).
    total = float(np.where(missing, 0.0, loads).sum()) if rated else None
    return Effort(total, rated, len(loads))


def weekly_effort(runs: pd.DataFrame) -> dict[pd.Timestamp, Effort]:
    """Each Monday week that has runs, by its first day (a week without runs: NO_RUNS).

    Grouped on arrays: a pandas group per week cost 0.1 s for a 10-year history, half of an
    athlete page's report. Each week's runs keep their order, so its sum is the same to the
    last bit."""
    if runs.empty:
        return {}
    day = pd.to_datetime(runs["day"])
    week = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).to_numpy()
    loads = session_effort(runs).to_numpy(dtype=float)
    order = np.argsort(week, kind="stable")
    week, loads = week[order], loads[order]
    starts = np.flatnonzero(np.r_[True, week[1:] != week[:-1]])
    groups = np.split(loads, starts[1:])
    return {pd.Timestamp(week[i]): _array_effort(g) for i, g in zip(starts, groups, strict=True)}
