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
    rpe = pd.to_numeric(runs["rpe"], errors="coerce").astype(float)
    minutes = pd.to_numeric(runs["moving_s"], errors="coerce").astype(float) / 60.0
    return rpe * minutes


NO_RUNS = Effort(0.0)  # no run, no effort: a true 0, unlike runs without a rating


def _effort(loads: pd.Series) -> Effort:
    rated = int(loads.notna().sum())
    if not len(loads):
        return NO_RUNS
    return Effort(float(loads.sum()) if rated else None, rated, len(loads))


def change_pct(now: Effort, before: Effort) -> float | None:
    """Week over week, only between two fully rated stretches with effort before."""
    if not (now.complete and before.complete) or not before.au or now.au is None:
        return None
    return (now.au - before.au) / before.au * 100.0


def window_effort(runs: pd.DataFrame, last_day: pd.Timestamp, days: int = 7) -> Effort:
    """The effort of the `days` local days ending with `last_day` (runs need a local `day`)."""
    if runs.empty:
        return NO_RUNS
    day = pd.to_datetime(runs["day"]).to_numpy()
    first = (last_day - pd.Timedelta(days=days)).to_datetime64()
    inside = (day <= last_day.to_datetime64()) & (day > first)
    # The runs' efforts filtered as numbers: filtering the whole frame cost 3 ms an athlete.
    return _effort(pd.Series(session_effort(runs).to_numpy(dtype=float)[inside], dtype=float))


def weekly_effort(runs: pd.DataFrame) -> dict[pd.Timestamp, Effort]:
    """Each Monday week that has runs, by its first day (a week without runs: NO_RUNS)."""
    if runs.empty:
        return {}
    day = pd.to_datetime(runs["day"])
    week = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).to_numpy()
    loads = session_effort(runs)
    return {pd.Timestamp(w): _effort(g) for w, g in loads.groupby(week)}
