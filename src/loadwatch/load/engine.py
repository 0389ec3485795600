"""The load engine's entry points: activities in, daily frame, weeks and runs out. Pure: no I/O,
no clock; `as_of` and the time zone are arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from .comeback import ReturnParams, ReturnPlan, return_plans
from .grid import load_grid, local_starts, running_only
from .metrics import REGISTRY, compute_metrics
from .params import LoadParams
from .spikes import run_spikes
from .trimp import banister_trimp_mean
from .weekly import weekly
from .zones import decode, trimp


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
    # The histograms decoded once for all runs (load/zones.py), not one JSON text per row.
    texts = runs["hr_histogram"] if "hr_histogram" in runs else [None] * len(runs)
    loads = pd.Series(trimp(decode(texts), rest, peak, sex), index=runs.index, dtype=float)
    # A run with only an average heart rate: the session-mean form.
    if "avg_hr" in runs and "moving_s" in runs:
        mean_only = loads.isna() & runs["avg_hr"].notna() & runs["moving_s"].notna()
        for i in runs.index[mean_only]:
            loads[i] = banister_trimp_mean(
                float(runs.at[i, "moving_s"]) / 60.0, float(runs.at[i, "avg_hr"]), rest, peak, sex
            )
    return loads


class AthleteLoad:
    """Everything the report and the rules need about one athlete on one day.

    `runs` (with the spike columns) is computed at once; the daily frame and the weeks when first
    asked for: the daily check's rules read only the runs, so a check that finds nothing new
    never computes a day's metrics (the report, an email's chart and a digest do)."""

    def __init__(
        self,
        as_of: date,
        tz: str,
        params: LoadParams,
        runs: pd.DataFrame,
        frames: Callable[[], tuple[pd.DataFrame, pd.DataFrame]],
    ):
        self.as_of = as_of
        self.tz = tz
        self.params = params
        self.runs = runs  # one row per run, with spike columns
        self._frames = frames
        self._computed: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._plans: dict[ReturnParams, list[ReturnPlan]] = {}

    def return_plans(self, params: ReturnParams) -> list[ReturnPlan]:
        """The return plans of these runs up to `as_of` (comeback.py), computed once: three
        rules read them in every check."""
        if params not in self._plans:
            self._plans[params] = return_plans(self.runs, self.as_of, params)
        return self._plans[params]

    def _days_weeks(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._computed is None:
            self._computed = self._frames()
        return self._computed

    @property
    def days(self) -> pd.DataFrame:
        """One row per local day, first run day .. as_of."""
        return self._days_weeks()[0]

    @property
    def weeks(self) -> pd.DataFrame:
        return self._days_weeks()[1]

    @property
    def unknown_load_runs(self) -> int:
        """Runs of the last 28 days whose load is unknown (TRIMP of a run without heart rate):
        they count as 0, and the report says how many."""
        if self.runs.empty or "load" not in self.runs:
            return 0
        recent = self.runs["day"] > pd.Timestamp(self.as_of) - pd.Timedelta(days=28)
        return int(self.runs.loc[recent, "load"].isna().sum())


DAILY_COLUMNS = [name for name, metric in REGISTRY.items() if metric.default]


def prepare_runs(
    activities: pd.DataFrame, tz: str, params: LoadParams, hr: HeartRateProfile | None = None
) -> pd.DataFrame:
    """One athlete's counted runs with their load, local start and local day."""
    runs = running_only(activities).copy()
    runs["athlete"] = 0
    runs["load"] = run_loads(runs, params, hr) if len(runs) else pd.Series(dtype=float)
    runs["start_local"] = (
        local_starts(runs["start_utc"], tz, runs.get("utc_offset_s"))
        if len(runs)
        else pd.Series(dtype="datetime64[ns]")
    )
    runs["day"] = runs["start_local"].dt.normalize()
    return runs


def athlete_load(
    runs: pd.DataFrame,
    spikes: pd.DataFrame,
    as_of: date,
    tz: str,
    params: LoadParams = LoadParams(),
    names=None,
) -> AthleteLoad:
    """An AthleteLoad from prepared runs (up to as_of) and their spikes; days and weeks lazily."""

    def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
        grid = load_grid(runs, as_of, tz)
        if grid.empty:
            return pd.DataFrame(columns=list(names or DAILY_COLUMNS)), weekly(
                pd.Series(dtype=float)
            )
        computed = compute_metrics(grid, params, names)
        days = pd.DataFrame({name: f[0] for name, f in computed.items()}).iloc[1:]  # no seed row
        days.index.name = "date"
        return days, weekly(days["load"], spikes["day"], spikes["load"])

    return AthleteLoad(as_of, tz, params, spikes, frames)


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
    runs = prepare_runs(activities, tz, params, hr)
    runs = runs[runs["day"] <= pd.Timestamp(as_of)]
    return athlete_load(runs, run_spikes(runs, params.spike_window_days), as_of, tz, params, names)


def compute_daily_and_distance(
    activities: pd.DataFrame,
    as_of: date,
    tz: str,
    params: LoadParams,
    hr: HeartRateProfile | None = None,
) -> tuple[AthleteLoad, AthleteLoad]:
    """One athlete on the chosen basis and on distance (km figures and spikes read distance),
    as two `compute_daily` calls give them, from one preparation of the runs (local days), one
    spike pass (spikes compare distances, whatever the basis) and one grid of two columns for
    the daily frames: two calls prepared, judged and gridded the same runs twice."""
    distance_params = replace(params, load_basis="distance")
    runs = prepare_runs(activities, tz, params, hr)
    runs = runs[runs["day"] <= pd.Timestamp(as_of)]
    spikes = run_spikes(runs, params.spike_window_days)
    km_runs = runs.assign(load=run_loads(runs, distance_params))
    km_spikes = spikes.assign(load=run_loads(spikes, distance_params))
    cache: list[list[pd.DataFrame] | None] = []

    def daily() -> list[pd.DataFrame] | None:
        """Both daily frames (distance, then the basis), on first asking; None: no run."""
        if not cache:
            grid = load_grid(pd.concat([km_runs, runs.assign(athlete=1)]), as_of, tz)
            computed = compute_metrics(grid, params) if not grid.empty else None
            cache.append(
                None
                if computed is None
                else [
                    pd.DataFrame({name: f[c] for name, f in computed.items()})
                    .iloc[1:]  # no seed row
                    .rename_axis("date")
                    for c in (0, 1)
                ]
            )
        return cache[0]

    def frames(column: int, mine: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        days = daily()
        if days is None:
            return pd.DataFrame(columns=list(DAILY_COLUMNS)), weekly(pd.Series(dtype=float))
        return days[column], weekly(days[column]["load"], mine["day"], mine["load"])

    distance = AthleteLoad(as_of, tz, distance_params, km_spikes, lambda: frames(0, km_spikes))
    load = AthleteLoad(as_of, tz, params, spikes, lambda: frames(1, spikes))
    return load, distance


def compute_runs_many(
    activities: pd.DataFrame,
    as_of: Mapping[int, date],
    tz: Mapping[int, str],
    params: LoadParams = LoadParams(),
) -> dict[int, AthleteLoad]:
    """Many athletes' runs and spikes in one vectorised pass: the daily check's path.

    `activities`: every athlete's activities as the store gives them, with `athlete_id`, ordered
    by athlete then start. Each athlete gets the AthleteLoad `compute_daily` would give (the
    distance basis only: TRIMP needs each athlete's heart rates), its days computed lazily.
    """
    if params.load_basis != "distance":
        raise ValueError("compute_runs_many computes the distance basis only")
    runs = running_only(activities).copy()
    ids = runs["athlete_id"].to_numpy()
    runs["athlete"] = 0
    runs["load"] = runs["distance_m"].astype(float) / 1000.0
    zones = pd.Series(ids, index=runs.index).map({a: tz[a] for a in as_of})
    runs["start_local"] = local_starts(runs["start_utc"], zones, runs.get("utc_offset_s"))
    runs["day"] = runs["start_local"].dt.normalize()
    limit = pd.Series(ids).map({a: pd.Timestamp(d) for a, d in as_of.items()}).to_numpy()
    keep = runs["day"].to_numpy() <= limit
    runs, ids = runs[keep], ids[keep]
    # One spike pass over everyone: `athlete` tells them apart, then each part says 0 again.
    spikes = run_spikes(runs.assign(athlete=ids), params.spike_window_days)
    spike_ids = spikes["athlete"].to_numpy()
    spikes["athlete"] = 0
    run_rows = pd.Series(np.arange(len(ids))).groupby(ids).indices if len(ids) else {}
    spike_rows = pd.Series(np.arange(len(spike_ids))).groupby(spike_ids).indices if len(ids) else {}
    empty = prepare_runs(activities.iloc[:0], "UTC", params)
    out: dict[int, AthleteLoad] = {}
    for a in as_of:
        if a in run_rows:
            mine = runs.iloc[run_rows[a]]
            theirs = spikes.iloc[spike_rows[a]].reset_index(drop=True)
        else:
            mine, theirs = empty, run_spikes(empty, params.spike_window_days)
        out[a] = athlete_load(mine, theirs, as_of[a], tz[a], params)
    return out


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
