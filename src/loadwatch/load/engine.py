"""The load engine's entry points: activities in, daily frame, weeks and runs out. Pure: no I/O,
no clock; `as_of` and the time zone are arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..model import decode_histogram
from .grid import load_grid, running_only
from .metrics import REGISTRY, compute_metrics
from .params import LoadParams
from .spikes import run_spikes
from .trimp import banister_trimp, banister_trimp_mean
from .weekly import weekly


@dataclass(frozen=True)
class HeartRateProfile:
    resting_hr: float | None = None
    max_hr: float | None = None
    sex: str | None = None

    @property
    def known(self) -> bool:
        """TRIMP needs both heart rates and the sex that selects Banister's weighting: loadwatch
        does not silently use the men's weights."""
        return bool(
            self.resting_hr
            and self.max_hr
            and self.max_hr > self.resting_hr
            and self.sex in ("female", "male")
        )


def run_loads(
    runs: pd.DataFrame, params: LoadParams, hr: HeartRateProfile | None = None
) -> pd.Series:
    """Each run's load in the chosen basis: km, moving minutes, or Banister TRIMP."""
    if params.load_basis == "distance":
        return runs["distance_m"].astype(float) / 1000.0
    if params.load_basis == "moving_time":
        return runs["moving_s"].astype(float).fillna(runs.get("elapsed_s")) / 60.0
    if hr is None or hr.resting_hr is None or hr.max_hr is None or not hr.known:
        raise ValueError(
            "the TRIMP load basis needs the athlete's resting and maximum heart rate and sex "
            "(loadwatch athletes add NAME --update --resting-hr .. --max-hr .. --sex female|male)"
        )
    rest, peak, sex = hr.resting_hr, hr.max_hr, hr.sex

    def one(row) -> float:
        hist = decode_histogram(row.get("hr_histogram"))
        if hist:
            return banister_trimp(hist, rest, peak, sex)
        if pd.notna(row.get("avg_hr")) and pd.notna(row.get("moving_s")):
            return banister_trimp_mean(row["moving_s"] / 60.0, row["avg_hr"], rest, peak, sex)
        return float("nan")

    return runs.apply(one, axis=1).astype(float)


@dataclass(frozen=True)
class AthleteLoad:
    """Everything the report and the rules need about one athlete on one day."""

    as_of: date
    tz: str
    params: LoadParams
    days: pd.DataFrame  # one row per local day, first run day .. as_of
    weeks: pd.DataFrame
    runs: pd.DataFrame  # one row per run, with spike columns

    @property
    def unknown_load_runs(self) -> int:
        """Runs of the last 28 days whose load is unknown (TRIMP of a run without heart rate):
        they count as 0, and the report says how many."""
        if self.runs.empty or "load" not in self.runs:
            return 0
        recent = self.runs["day"] > pd.Timestamp(self.as_of) - pd.Timedelta(days=28)
        return int(self.runs.loc[recent, "load"].isna().sum())


DAILY_COLUMNS = [name for name, metric in REGISTRY.items() if metric.default]


def compute_daily(
    activities: pd.DataFrame,
    as_of: date,
    tz: str,
    params: LoadParams = LoadParams(),
    hr: HeartRateProfile | None = None,
    names=None,
) -> AthleteLoad:
    """One athlete: their activities (as the store gives them) in, daily frame, weeks and runs out.

    `names` picks metrics (default: the default set; comparison variants only when named)."""
    runs = running_only(activities).copy()
    runs["athlete"] = 0
    runs["load"] = run_loads(runs, params, hr) if len(runs) else pd.Series(dtype=float)
    runs["start_local"] = (
        runs["start_utc"].dt.tz_convert(tz).dt.tz_localize(None)
        if len(runs)
        else pd.Series(dtype="datetime64[ns]")
    )
    runs["day"] = runs["start_local"].dt.normalize()
    runs = runs[runs["day"] <= pd.Timestamp(as_of)]
    grid = load_grid(runs, as_of, tz)
    if grid.empty:
        empty = pd.DataFrame(columns=list(names or DAILY_COLUMNS))
        return AthleteLoad(
            as_of, tz, params, empty, weekly(pd.Series(dtype=float)), run_spikes(runs)
        )
    frames = compute_metrics(grid, params, names)
    days = pd.DataFrame({name: f[0] for name, f in frames.items()}).iloc[1:]  # drop the seed row
    days.index.name = "date"
    spikes = run_spikes(runs, params.spike_window_days)
    weeks = weekly(days["load"], spikes["day"], spikes["load"])
    return AthleteLoad(as_of, tz, params, days, weeks, spikes)


def compute_many(
    runs: pd.DataFrame,
    as_of: date,
    tz_by_athlete: Mapping[object, str],
    params: LoadParams = LoadParams(),
    names=None,
) -> dict[str, pd.DataFrame]:
    """Many athletes at once: `runs` with `athlete`, `start_utc`, `load`; wide frames out.

    This is the coach's and the scheduler's path: one vectorised computation for every athlete
    instead of a loop, each frame indexed by local day with one column per athlete.
    """
    grid = load_grid(running_only(runs) if "sport" in runs else runs, as_of, tz_by_athlete)
    frames = compute_metrics(grid, params, names)
    return {name: f.iloc[1:] for name, f in frames.items()}
