"""The rows every surface shows: built once from the engine's frames and the store's records, and
rendered as terminal text, JSON, HTML, email or a web page without computing a number again.

Each view is a plain frozen dataclass with units in its field names; the renderers in `render/`
only format them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from . import rules as rule_registry
from .analysis import Analysis
from .config import RuleSettings
from .load import REGISTRY
from .load.comeback import ReturnPlan, in_plans
from .load.effort import NO_RUNS, Effort, change_pct, weekly_effort, window_efforts
from .load.headroom import Headroom, bent_by_pain, headroom
from .load.knee import StepRateTrend, step_rate_trend, weekly_climb
from .load.pain import PainStatus
from .load.runpage import Curve, Outline, Split, curves, outline, splits
from .load.spikes import VARIANT as SPIKE_VARIANT
from .load.totals import RunFacts
from .load.zones import DEFAULT_HRR_EDGES, weekly_zone_seconds
from .model import Alert, LedgerEntry, Track, is_running, plausible_offset_s
from .rules.comeback import return_params
from .shoes import ShoeStatus
from .units import METRES, Units, amount, distance, distance_down, metres

# How each number of a day row is defined, named wherever it is shown: the metric registry's own
# words, so they cannot drift from what the engine computes. The day's column as the report's
# JSON names it (the km names of render/report.KM_NAMES for the distances) -> metric.
SHOWN_METRICS = {
    "load": "load",
    "acute7_km": "acute_sum",
    "chronic28_km": "chronic_weekly",
    "acwr_rolling_coupled": "acwr_rolling_coupled",
    "acwr_rolling_uncoupled": "acwr_rolling_uncoupled",
    "acwr_ewma": "acwr_ewma",
    "week_over_week_pct": "week_over_week_pct",
    "ctl": "ctl",
    "atl": "atl",
    "tsb": "tsb",
    "monotony": "monotony",
}


def _described(metric: str) -> str:
    m = REGISTRY[metric]
    return f"{m.variant} ({m.citation})" if m.citation else m.variant


VARIANTS = {
    **{column: _described(metric) for column, metric in SHOWN_METRICS.items()},
    "spike": SPIKE_VARIANT,
}


def num(x: object, digits: int = 6) -> float | None:
    """A finite float rounded for display and JSON, or None for missing, NaN and infinity."""
    if x is None:
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return round(f, digits)


@dataclass(frozen=True)
class DayRow:
    date: date
    distance_m: float | None  # metres, as every distance here, until a renderer says them
    acute7_m: float | None
    chronic28_m: float | None
    load: float | None
    acwr_rolling_coupled: float | None
    acwr_rolling_uncoupled: float | None
    acwr_ewma: float | None
    week_over_week_pct: float | None
    ctl: float | None
    atl: float | None
    tsb: float | None
    monotony: float | None


@dataclass(frozen=True)
class WeekRow:
    week_start: date
    distance_m: float | None
    days: int
    change_pct: float | None
    longest_m: float | None
    # Effort (load/effort.py): sRPE summed over the week's rated runs; None when runs have no
    # rating (never 0), its change only between two fully rated weeks.
    effort_au: float | None = None
    effort_change_pct: float | None = None
    rated_runs: int = 0
    runs: int = 0
    # Summed from the runs' own ascent/descent (None: no run that week carried altitude);
    # descriptive, never alerted on (load/knee.py).
    ascent_m: float | None = None
    descent_m: float | None = None
    descent_change_pct: float | None = None
    # Seconds in heart-rate zones 1-5 (load/zones.py: Karvonen reserve bands, a convention),
    # summed over the week's runs with heart rate; None when none has or the athlete's resting
    # or maximum heart rate is unknown (never 0). Descriptive, never alerted on.
    hr_zone1_s: float | None = None
    hr_zone2_s: float | None = None
    hr_zone3_s: float | None = None
    hr_zone4_s: float | None = None
    hr_zone5_s: float | None = None

    @property
    def hr_zones_s(self) -> tuple[float, ...] | None:
        zones = (
            self.hr_zone1_s,
            self.hr_zone2_s,
            self.hr_zone3_s,
            self.hr_zone4_s,
            self.hr_zone5_s,
        )
        return None if any(z is None for z in zones) else tuple(z for z in zones if z is not None)

    @property
    def effort_text(self) -> str:
        """'1240 AU', '980 AU (3 of 4 runs rated)', 'no RPE (4 runs)' or '0 AU' (no run)."""
        return effort_text(Effort(self.effort_au, self.rated_runs, self.runs))


def effort_text(e: Effort) -> str:
    if not e.runs:
        return "0 AU (no runs)"
    if e.au is None:
        return f"no RPE ({e.runs} run{'s' if e.runs != 1 else ''})"
    partial = "" if e.complete else f" ({e.rated_runs} of {e.runs} runs rated)"
    return f"{e.au:.0f} AU{partial}"


# What effort is and what it is not, wherever it is shown.
EFFORT_NOTE = (
    "Effort: how hard each run felt (session RPE, 0-10) times its moving minutes, summed over the "
    "week (Foster et al. 2001), in arbitrary units (AU); a run without a rating adds nothing, and "
    "a week without any says so. Common advice for runner's knee is to avoid sudden increases in "
    "mileage or intensity, but whether intensity matters apart from volume is not settled: the "
    "Run Clever trial (Ramskov et al. 2018) found no clear difference between progressing volume "
    "and progressing intensity (confidence intervals spanning 0). Shown, never alerted on."
)


@dataclass(frozen=True)
class RunRow:
    id: int | None
    date: date
    start_utc: datetime
    distance_m: float | None
    longest_prior_30d_m: float | None
    spike_pct: float | None
    spike_band: str | None
    full_30d_history: bool
    # Inside a return plan after a break: the plan judges it, so it is no "latest spike".
    in_return_plan: bool = False


@dataclass(frozen=True)
class ReportView:
    """One athlete on one day: what `report`, the HTML page and the web page show."""

    athlete: str
    as_of: date
    tz: str
    load_basis: str
    load_unit: str
    days: list[DayRow]
    weeks: list[WeekRow]
    runs: list[RunRow]
    shoes: list[ShoeStatus]
    headroom: Headroom
    analysis: Analysis  # the frames the charts draw
    step_rate: StepRateTrend | None = None  # easy runs' step rate, 4 weeks against 4 (knee.py)
    units: Units = "km"  # how its reader reads distances: the athlete's, or --units

    @property
    def unknown_load_runs(self) -> int:
        return self.analysis.load.unknown_load_runs

    @property
    def today(self) -> DayRow | None:
        return self.days[-1] if self.days else None

    @property
    def days_since_run(self) -> int | None:
        runs = self.analysis.distance.runs
        if not len(runs):
            return None
        return (self.as_of - pd.Timestamp(runs["day"].max()).date()).days

    @property
    def ratio_missing(self) -> str:
        """Why today has no ratio, in the words every surface uses."""
        return ratio_missing(self.headroom.run.history_days, self.days_since_run)

    @property
    def latest_spike(self) -> RunRow | None:
        spikes = [
            r
            for r in self.runs
            if r.spike_band not in (None, "none") and r.full_30d_history and not r.in_return_plan
        ]
        return spikes[-1] if spikes else None


def ratio_missing(history_days: int, days_since_run: int | None) -> str:
    """Why there is no acute:chronic ratio: a break says so, not a lack of history."""
    if days_since_run is not None and days_since_run >= 28:
        return "no run in 28 days"
    if history_days == 0:
        return "no runs yet"
    if history_days < 28:
        return f"from 28 days of history ({history_days} so far)"
    return "n/a"


def headroom_for(analysis: Analysis, rules: RuleSettings) -> Headroom:
    """The headroom on the analysis's day, with the thresholds the athlete's alerts use, bent
    by the runner's pain level where their reports were read."""
    return _headroom_on(analysis, rules, analysis.distance.as_of)


def _headroom_on(analysis: Analysis, rules: RuleSettings, day: date) -> Headroom:
    d = analysis.distance
    back = return_params(rules)
    h = headroom(
        d.runs,
        day,
        rules.spike_pct,
        rules.weekly_jump_pct,
        rules.weekly_jump_min_m,
        rules.spike_min_m,
        back,
        # On the analysis's own day, the plans the rules read (computed once an analysis).
        d.return_plans(back) if back is not None and day == d.as_of else None,
    )
    runs = d.runs
    # Pain last, over whatever built the numbers (see load/headroom.bent_by_pain).
    if analysis.pain_history is None:
        return h
    return bent_by_pain(h, runs, analysis.pain_history.status(day))


def headroom_days(analysis: Analysis, rules: RuleSettings, days: int) -> list[Headroom]:
    """The headroom on each of `days` days from the analysis's day on, if no other run comes
    first (the calendar feed): each day's windows move on, the runs stay those imported, and a
    pain report holds for the days it is valid, as it does today."""
    return [
        _headroom_on(analysis, rules, analysis.distance.as_of + timedelta(days=i))
        for i in range(days)
    ]


def _rows(values: np.ndarray) -> list[list[float | None]]:
    """A (rows x columns) array as display numbers at once, rounded to 0.1, NaN as None."""
    out: list[list[float | None]] = np.round(values, 1).tolist()
    for i, j in zip(*np.nonzero(~np.isfinite(values)), strict=True):
        out[int(i)][int(j)] = None
    return out


def _column(values: pd.Series) -> list[float | None]:
    """A column as display numbers at once: rounded like `num`, NaN and infinity as None."""
    a = values.to_numpy(dtype=float, na_value=np.nan)
    out: list[float | None] = np.round(a, 6).tolist()
    for i in np.flatnonzero(~np.isfinite(a)).tolist():
        out[i] = None
    return out


def report_view(
    analysis: Analysis,
    rules: RuleSettings = RuleSettings(),
    weeks: int | None = None,
    zone_edges: Sequence[float] = DEFAULT_HRR_EDGES,
) -> ReportView:
    """The report rows of the last `weeks` weeks (None: the whole history).

    A window keeps a 10-year history's report as quick as a new runner's: the engine computes
    every day (the ratios need them), but rows are made only for the days, weeks and runs shown.
    The days go back at least 28 days, so today's comparisons always have their weeks.
    """
    distance, load = analysis.distance, analysis.load
    d, b = distance.days, load.days
    week_frame, run_frame = distance.weeks, distance.runs
    if weeks is not None and len(d):
        week_frame = week_frame.tail(weeks)
        first = pd.Timestamp(week_frame["week_start"].iloc[0]) if len(week_frame) else d.index[0]
        first = min(first, d.index[-1] - pd.Timedelta(days=27))  # naive local days, both
        keep = d.index >= first
        d, b = d[keep], b[keep]
        if len(run_frame):
            run_frame = run_frame[run_frame["day"] >= first]
    idx = d.index
    cols = {  # the distance basis counts km: metres from here to the renderers
        "distance_m": metres(d["load"]),
        "acute7_m": metres(d["acute_sum"]),
        "chronic28_m": metres(d["chronic_weekly"]),
        "load": b["load"],
        **{
            c: b[c]
            for c in (
                "acwr_rolling_coupled",
                "acwr_rolling_uncoupled",
                "acwr_ewma",
                "week_over_week_pct",
                "ctl",
                "atl",
                "tsb",
                "monotony",
            )
        },
    }
    values = {k: _column(v) for k, v in cols.items()}
    dates = [day.date() for day in idx]
    names = list(values)
    days = [
        DayRow(day, **dict(zip(names, row, strict=True)))
        for day, *row in zip(dates, *values.values(), strict=True)
    ]
    efforts = weekly_effort(distance.runs)
    climb = weekly_climb(distance.runs, list(week_frame["week_start"]))
    all_runs = distance.runs
    zones = weekly_zone_seconds(
        list(all_runs["day"]) if len(all_runs) else [],
        all_runs["hr_histogram"] if "hr_histogram" in all_runs else [None] * len(all_runs),
        list(week_frame["week_start"]),
        analysis.athlete.resting_hr,
        analysis.athlete.max_hr,
        zone_edges,
    )
    week_rows = []
    for w, up, down, down_change, zone in zip(
        week_frame.itertuples(),
        climb["ascent_m"],
        climb["descent_m"],
        climb["descent_change_pct"],
        _rows(zones),
        strict=True,
    ):
        start = pd.Timestamp(w.week_start)
        e = efforts.get(start, NO_RUNS)
        before = efforts.get(start - pd.Timedelta(days=7), NO_RUNS)
        week_rows.append(
            WeekRow(
                start.date(),
                num(metres(w.total), 3),
                int(w.days),
                num(w.change_pct),
                num(metres(w.longest), 3),
                effort_au=num(e.au, 1),
                effort_change_pct=num(change_pct(e, before), 1),
                rated_runs=e.rated_runs,
                runs=e.runs,
                ascent_m=num(up, 1),
                descent_m=num(down, 1),
                descent_change_pct=num(down_change, 1),
                **{f"hr_zone{i}_s": z for i, z in enumerate(zone, start=1)},
            )
        )
    has_id = "id" in run_frame
    plans = distance.return_plans(return_params(rules))
    held = in_plans(plans, run_frame["day"]) if plans and len(run_frame) else None
    runs = [
        RunRow(
            int(r.id) if has_id and pd.notna(r.id) else None,
            pd.Timestamp(r.day).date(),
            r.start_utc.to_pydatetime(),
            num(r.distance_m, 3),
            num(r.longest_prior_30d_m, 3),
            num(r.spike_pct),
            r.spike_band,
            bool(r.full_30d_history),
            bool(held[i]) if held is not None else False,
        )
        for i, r in enumerate(run_frame.itertuples())
    ]
    return ReportView(
        analysis.athlete.name,
        load.as_of,
        load.tz,
        load.params.load_basis,
        load.params.unit,
        days,
        week_rows,
        runs,
        analysis.shoes,
        headroom_for(analysis, rules),
        analysis,
        _step_rate(distance.runs, load.as_of, weeks or 12),
        analysis.athlete.units,
    )


def _step_rate(runs: pd.DataFrame, as_of: date, weeks: int) -> StepRateTrend:
    if not len(runs) or "step_rate_spm" not in runs or "avg_pace_s_per_km" not in runs:
        return step_rate_trend([], [], [], as_of, weeks)
    return step_rate_trend(
        [pd.Timestamp(d).date() for d in runs["day"]],
        _column(runs["step_rate_spm"]),
        _column(runs["avg_pace_s_per_km"]),
        as_of,
        min(weeks, 52),
    )


def srpe_load(rpe: int | None, moving_s: float | None) -> float | None:
    """Foster's session-RPE load: CR-10 rating x duration in minutes (moving time here)."""
    if rpe is None or moving_s is None or not math.isfinite(moving_s):
        return None
    return round(rpe * moving_s / 60, 1)


@dataclass(frozen=True)
class ActivityRow:
    id: int
    start_utc: datetime
    local_start: datetime
    utc_offset_s: int | None
    sport: str
    sub_sport: str | None
    distance_m: float
    moving_s: float | None
    elapsed_s: float | None
    avg_hr: float | None
    max_hr: float | None
    elevation_gain_m: float | None
    device: str | None
    source: str
    source_path: str
    duplicate_of: int | None
    shoe_id: int | None
    distance_source: str | None = None
    excluded: bool = False
    exclude_reason: str | None = None
    recorded_sport: str | None = None  # what the file said, where an edit changed it
    recorded_distance_m: float | None = None
    rpe: int | None = None
    name: str | None = None
    # The run's own offset as text ("UTC+01:00") where it differs from the athlete's zone then.
    away: str | None = None

    @property
    def day(self) -> date:
        """The local day the run counts on."""
        return self.local_start.date()

    look: str | None = None  # why a person should look at it
    # Descriptive signals read at import (model.Activity); None for rows stored before them.
    step_rate_spm: float | None = None
    ascent_m: float | None = None
    descent_m: float | None = None
    avg_pace_s_per_km: float | None = None
    hr_drift_pct: float | None = None
    # Seconds in each of the five heart-rate zones, from the stored histogram and the athlete's
    # heart rates as they are now (load/zones.py); None without both heart rates or a histogram.
    hr_zones_s: tuple[float, ...] | None = None
    content_hash: str | None = None  # the imported bytes' SHA-256: the run page reads them again
    race: bool = False  # marked a race: in the load, out of the spike reference

    @property
    def edited(self) -> bool:
        return self.recorded_sport is not None or self.recorded_distance_m is not None

    @property
    def srpe_load(self) -> float | None:
        """Session RPE load (Foster 2001): the rating times the moving minutes, in arbitrary
        units; None without a rating."""
        return srpe_load(self.rpe, self.moving_s)


def _opt(v: object) -> object:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _opt_int(v: object) -> int | None:
    v = _opt(v)
    return None if v is None else int(v)  # type: ignore[call-overload]


def _opt_float(v: object) -> float | None:
    v = _opt(v)
    return None if v is None else float(v)  # type: ignore[arg-type]


def _opt_str(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _offset_text(seconds: int) -> str:
    sign, seconds = ("+" if seconds >= 0 else "-"), abs(seconds)
    return f"UTC{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def clock_start(
    start_utc: datetime, offset_s: object, zone: ZoneInfo
) -> tuple[datetime, str | None]:
    """Where and when a run started on the clock: at the file's own offset if it recorded one
    (as the engine counts its day), else in the athlete's zone; and that offset as text when
    it is not the athlete's zone's at that moment (a run abroad)."""
    home = start_utc.astimezone(zone)
    own = plausible_offset_s(_opt(offset_s))
    if own is None:
        return home, None
    there = start_utc.astimezone(timezone(timedelta(seconds=own)))
    return there, None if home.utcoffset() == there.utcoffset() else _offset_text(own)


def activity_rows(
    frame: pd.DataFrame, tz: str, hr_zones_s: np.ndarray | None = None
) -> list[ActivityRow]:
    """`hr_zones_s`: (rows x 5) seconds in each heart-rate zone (load/zones.py), NaN rows for
    runs without a histogram; None when the athlete's heart rates are not known."""
    zone = ZoneInfo(tz)
    rows = []
    for i, r in enumerate(frame.itertuples()):
        start = r.start_utc.to_pydatetime()
        local, away = clock_start(start, r.utc_offset_s, zone)
        row = _activity_row(r, start, local, away)
        if hr_zones_s is not None and not np.isnan(hr_zones_s[i]).any():
            row = replace(row, hr_zones_s=tuple(round(float(s), 1) for s in hr_zones_s[i]))
        rows.append(row)
    return rows


def _activity_row(r, start: datetime, local: datetime, away: str | None) -> ActivityRow:
    return ActivityRow(
        id=int(r.id),
        start_utc=start,
        local_start=local,
        utc_offset_s=_opt_int(r.utc_offset_s),
        sport=r.sport,
        sub_sport=_opt_str(r.sub_sport),
        distance_m=float(r.distance_m),
        moving_s=_opt_float(r.moving_s),
        elapsed_s=_opt_float(r.elapsed_s),
        avg_hr=_opt_float(r.avg_hr),
        max_hr=_opt_float(r.max_hr),
        elevation_gain_m=_opt_float(r.elevation_gain_m),
        device=_opt_str(r.device),
        source=r.source_format,
        source_path=r.source_path or "",
        duplicate_of=_opt_int(r.duplicate_of),
        shoe_id=_opt_int(r.shoe_id),
        distance_source=_opt_str(getattr(r, "distance_source", None)),
        excluded=bool(getattr(r, "excluded", False)),
        exclude_reason=_opt_str(getattr(r, "exclude_reason", None)),
        recorded_sport=r.recorded_sport if _opt_str(getattr(r, "sport_edit", None)) else None,
        recorded_distance_m=(
            float(r.recorded_distance_m)
            if _opt_float(getattr(r, "distance_edit_m", None)) is not None
            else None
        ),
        rpe=_opt_int(getattr(r, "rpe", None)),
        name=_opt_str(getattr(r, "name", None)),
        away=away,
        step_rate_spm=_opt_float(getattr(r, "step_rate_spm", None)),
        ascent_m=_opt_float(getattr(r, "ascent_m", None)),
        descent_m=_opt_float(getattr(r, "descent_m", None)),
        avg_pace_s_per_km=_opt_float(getattr(r, "avg_pace_s_per_km", None)),
        hr_drift_pct=_opt_float(getattr(r, "hr_drift_pct", None)),
        look=_opt_str(getattr(r, "look", None)),
        content_hash=_opt_str(getattr(r, "content_hash", None)),
        race=bool(getattr(r, "race", False)),
    )


@dataclass(frozen=True)
class RunAgainst:
    """Where one run sits against its day's headroom: its distance over the longest run of the
    30 days before it (the single-run spike rule's comparison, Frandsen et al. 2025)."""

    counted: bool  # False: excluded, a copy, or not a run: in no number
    longest_prior_30d_m: float | None
    spike_pct: float | None
    spike_band: str | None
    full_30d_history: bool
    spike_limit_pct: float
    units: Units = "km"  # how its reader reads the longest run

    @property
    def text(self) -> str:
        if not self.counted:
            return "not counted in the load (excluded, a copy kept as a duplicate, or not a run)"
        if not self.full_30d_history:
            return "fewer than 30 days of history before it: no 30-day longest to compare with"
        if self.longest_prior_30d_m is None or self.spike_pct is None:
            return "no run in the 30 days before it: nothing to compare with"
        longest = f"the 30-day longest ({distance(self.longest_prior_30d_m, self.units)})"
        if self.spike_pct <= 0:
            return f"{-self.spike_pct:.0f}% shorter than {longest}"
        inside = "above" if self.spike_pct > self.spike_limit_pct else "within"
        return (
            f"{self.spike_pct:+.0f}% over {longest}: {inside} the +{self.spike_limit_pct:g}% range"
        )


@dataclass(frozen=True)
class RunView:
    """One run's page (`/activities/{id}`, `activities show`): its stored row, and what its file's
    records give again (splits, curves, outline) or why they could not be read. The splits are
    cut per kilometre or per mile, as `units` (its reader's) reads."""

    athlete_id: int
    athlete: str
    activity: ActivityRow
    shoe: str | None
    against: RunAgainst
    track_source: str | None
    track_problem: str | None
    splits: list[Split]
    curves: list[Curve]
    outline: Outline | None
    units: Units = "km"
    km_splits: list[Split] = field(default_factory=list)  # per km whatever `units` (the JSON's)


def run_against(
    analysis: Analysis, activity: ActivityRow, rules: RuleSettings, units: Units = "km"
) -> RunAgainst:
    runs = analysis.distance.runs
    row = runs[runs["id"] == activity.id] if len(runs) and "id" in runs else runs.iloc[0:0]
    if not len(row):
        return RunAgainst(False, None, None, None, False, rules.spike_pct, units)
    r = row.iloc[-1]
    return RunAgainst(
        True,
        num(r["longest_prior_30d_m"], 3),
        num(r["spike_pct"], 1),
        _opt_str(r["spike_band"]),
        bool(r["full_30d_history"]),
        rules.spike_pct,
        units,
    )


def run_view(
    athlete_id: int,
    athlete: str,
    activity: ActivityRow,
    shoe: str | None,
    against: RunAgainst,
    track: Track | None,
    problem: str | None,
    units: Units = "km",
) -> RunView:
    if track is None:
        return RunView(
            athlete_id, athlete, activity, shoe, against, None, problem, [], [], None, units
        )
    per_km = splits(track)
    return RunView(
        athlete_id,
        athlete,
        activity,
        shoe,
        against,
        track.source,
        None,
        per_km if units == "km" else splits(track, METRES[units]),
        curves(track),
        outline(track),
        units,
        per_km,
    )


def alert_links(base: str | None, alerts: list[Alert], runs: pd.DataFrame) -> dict[str, str]:
    """Alert key -> the web page of the run it is about (a spike names its run's start), where
    the dashboard has a public address (`web.public_url`); none without one."""
    if not base or not len(runs) or "id" not in runs:
        return {}
    starts = {
        pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ"): int(i)
        for t, i in zip(runs["start_utc"], runs["id"], strict=True)
        if pd.notna(i)
    }
    out = {}
    for a in alerts:
        start = a.numbers.as_dict().get("start_utc")
        if isinstance(start, str) and start in starts:
            out[a.key] = f"{base.rstrip('/')}/activities/{starts[start]}"
    return out


def run_facts(rows: list[ActivityRow]) -> list[RunFacts]:
    """The runs that count (running sports, not excluded, not a copy), for the totals."""
    return [
        RunFacts(r.id, r.day, r.distance_m, r.moving_s, r.ascent_m, r.descent_m)
        for r in rows
        if not r.excluded and r.duplicate_of is None and is_running(r.sport, r.sub_sport)
    ]


def ledger_rows(entries: list[LedgerEntry], status: str | None = None) -> list[LedgerEntry]:
    """The ledger as `loadwatch alerts` lists it: oldest first, optionally one status."""
    return [e for e in entries if status is None or e.status == status]


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """Weekly totals as block characters (works in any mail client, unlike SVG)."""
    top = max(values, default=0.0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(
        SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + 0.5))] for v in values
    )


@dataclass(frozen=True)
class DigestRow:
    """One athlete in a coach's digest: the rolling week against the one before (never a partial
    calendar week against a full one), the ratio with its variant, the latest spike, the shoes,
    the headroom and what was flagged in the digest's period."""

    athlete: str
    last7_m: float  # metres until shown in the reader's `units`
    prev7_m: float
    acwr: float | None
    history_days: int
    days_since_run: int | None
    latest_spike_pct: float | None
    latest_spike_band: str | None
    shoes_near_limit: list[str]
    open_alerts: list[str]  # titles of the alerts sent or pending in the digest's period
    flags: list[str]  # the flag words of the rules with open alerts ("spike", "jump", ...)
    # The last 12 weeks as rolling 7-day totals ending today, 7 days before, ..., oldest first:
    # a calendar week just begun would look like a drop (a jump in progress most of all).
    weeks_m: list[float]
    headroom: str  # short: the longest run today and the distance more today within the ranges
    athlete_id: int = 0
    latest_spike_id: int | None = None  # the run's page on the team page
    pain_level: str = "none"  # the runner's own level today (load/pain.py)
    pain: str | None = None  # in words on amber and red: "knee 6/10 this morning"
    # Effort (sRPE) of the same rolling 7 days and the 7 before (load/effort.py).
    effort7: Effort = NO_RUNS
    effort_prev7: Effort = NO_RUNS

    @property
    def effort_text(self) -> str:
        """The last 7 days' effort against the 7 before, or why there is no comparison."""
        if not self.effort7.runs and not self.effort_prev7.runs:
            return "no runs in 14 days"
        now = effort_text(self.effort7)
        if self.effort7.au is None:
            return now
        pct = change_pct(self.effort7, self.effort_prev7)
        before = effort_text(self.effort_prev7)
        return f"{now}, the 7 before {before}" + (f" ({pct:+.0f}%)" if pct is not None else "")

    units: Units = "km"  # how the reader of this row reads distances (units.py)

    def rank_key(self) -> tuple:
        """Red pain first (the runner says it hurts: the coach hears it before any number),
        then open alerts, then the highest ratio or spike."""
        score = max(
            self.acwr or 0.0,
            (self.latest_spike_pct or 0.0) / 100.0 + 1.0 if self.latest_spike_pct else 0.0,
        )
        return (self.pain_level != "red", -len(self.open_alerts), -score, self.athlete)

    @property
    def needs_look(self) -> bool:
        return bool(self.open_alerts) or self.pain_level == "red"

    @property
    def ratio_text(self) -> str:
        if self.acwr is not None:
            return f"{self.acwr:.2f}"
        return ratio_missing(self.history_days, self.days_since_run)

    @property
    def spike_text(self) -> str:
        if self.latest_spike_pct is None:
            return "-"
        return f"{self.latest_spike_pct:+.0f}% ({self.latest_spike_band})"

    @property
    def sparkline(self) -> str:
        return sparkline(self.weeks_m)

    @property
    def summary(self) -> str:
        """The athlete's numbers in one line, as the plain-text digest prints them."""
        parts = [f"{self.athlete}: {self.pain} ({self.pain_level})"] if self.pain else []
        parts += [
            f"last 7 days {distance(self.last7_m, self.units)}, "
            f"the 7 before {distance(self.prev7_m, self.units)}",
            f"ratio 7:28 rolling coupled {self.ratio_text}",
        ]
        if self.latest_spike_pct is not None:
            parts.append(f"latest spike {self.spike_text}")
        if self.shoes_near_limit:
            parts.append("shoes: " + ", ".join(self.shoes_near_limit))
        parts.append(f"headroom: {self.headroom}")
        parts.append(f"effort: {self.effort_text}")
        return "; ".join(parts)


@dataclass(frozen=True)
class AthleteState:
    """An athlete's current state: the digest row's numbers (all but what the ledger says, which
    is read when shown) and the alerts a check would find news today. Stored per day as the
    athlete's snapshot (`snapshot.py`), so the team page, the alerts page and the digest read it
    instead of analysing every athlete on every view; a new field (the pain level) is one more
    field here and in the encoding."""

    athlete: str
    athlete_id: int
    as_of: date
    last7_m: float  # metres, as every distance of the state
    prev7_m: float
    acwr: float | None
    history_days: int
    days_since_run: int | None
    latest_spike_pct: float | None
    latest_spike_band: str | None
    shoes_near_limit: list[str]
    worn_shoe: bool  # a shoe past its retirement distance: flagged while worn out
    weeks_m: list[float]
    # The headroom (rendered in the reader's unit by `short_headroom`).
    run_max_m: int | None
    run_reason: str | None
    week_more_m: int | None
    week_reason: str | None
    # What the rules find on the day that is news to the ledger's policy (from the athlete's
    # alert start on, or still holding): those the ledger has not recorded are the new ones.
    found: list[Alert]
    pain_level: str = "none"  # the runner's own level today (load/pain.py)
    pain: str | None = None  # in words on amber and red: "knee 6/10 this morning"
    effort7: Effort = NO_RUNS  # sRPE of the last 7 days and the 7 before (load/effort.py)
    effort_prev7: Effort = NO_RUNS
    latest_spike_id: int | None = None  # the run's page on the team page


def athlete_state(
    analysis: Analysis,
    rules: RuleSettings,
    found: list[Alert] | None = None,
    daily: tuple[np.ndarray, np.ndarray] | None = None,
) -> AthleteState:
    """The state of the analysis's day, its headroom with the thresholds of the athlete's alerts
    (no default: a digest built with the defaults once contradicted `headroom`). `daily`: the
    7-day totals and the 7:28 coupled ratio of each of the athlete's days (first run .. the
    day), computed for many athletes at once; by default from the analysis's own days. Shoe
    words are in the athlete's own unit; every other distance stays a number until shown."""
    u = analysis.athlete.units
    d = analysis.distance
    if daily is None:
        days = d.days
        daily = (
            days["acute_sum"].to_numpy(dtype=float, na_value=np.nan),
            days["acwr_rolling_coupled"].to_numpy(dtype=float, na_value=np.nan),
        )
    acute_km, ratio = daily
    acute = np.nan_to_num(acute_km) * METRES["km"]  # the distance basis's km, as metres
    # The last 7 days and the 7 before as the headroom counts them (whole metres of the runs in
    # those days): the 7-day total metric is undefined in a runner's first 6 days, which once
    # showed a new runner's first week as 0 km beside a headroom that counted it.
    h = headroom_for(analysis, rules)
    last7, prev7 = float(h.week.last7_m), float(h.week.prev7_m)
    acwr = None
    if len(acute):
        v = ratio[-1]
        acwr = None if v is None or math.isnan(v) else float(v)
    runs = d.runs
    last = _latest_spike(runs, d.return_plans(return_params(rules)))
    near = [
        f"{s.name} {amount(s.distance_m, u):.0f}/{amount(s.retire_m, u):.0f} {u}"
        for s in analysis.shoes
        if not s.retired and s.distance_m >= 0.9 * s.warn_m
    ]
    worn = any(not s.retired and s.distance_m >= s.retire_m for s in analysis.shoes)
    pain = analysis.pain
    ends = list(range(len(acute) - 1, -1, -7))[:12][::-1]  # today, 7 days before, ...
    weeks_m = [float(x) for x in acute[ends]] if ends else []
    if weeks_m:
        weeks_m[-1] = last7  # this week's bar, also in the first 6 days
    last_run_day = pd.Timestamp(runs["day"].max()).date() if len(runs) else None
    today = pd.Timestamp(d.as_of)
    effort7, effort_prev7 = window_efforts(runs, (today, today - pd.Timedelta(days=7)))
    return AthleteState(
        athlete=analysis.athlete.name,
        athlete_id=analysis.athlete.id,
        as_of=d.as_of,
        last7_m=last7,
        prev7_m=prev7,
        acwr=acwr,
        history_days=h.run.history_days,
        days_since_run=(d.as_of - last_run_day).days if last_run_day else None,
        latest_spike_pct=float(last["spike_pct"]) if last is not None else None,
        latest_spike_band=last["spike_band"] if last is not None else None,
        shoes_near_limit=near,
        worn_shoe=worn,
        weeks_m=weeks_m,
        run_max_m=h.run.max_run_m,
        run_reason=h.run.reason,
        week_more_m=h.week.more_m,
        week_reason=h.week.reason,
        found=list(found or []),
        pain_level=pain.level if pain is not None else "none",
        pain=pain_words(pain, d.as_of) if pain is not None and pain.level in PAIN_SHOWN else None,
        effort7=effort7,
        effort_prev7=effort_prev7,
        latest_spike_id=_opt_int(last["id"]) if last is not None and "id" in last else None,
    )


def _latest_spike(runs: pd.DataFrame, plans: list[ReturnPlan]) -> pd.Series | None:
    """The latest run that is a spike outside a return plan (the plan judges those), as its
    row. Found on the columns as arrays: filtering the frame cost 2 ms an athlete."""
    if not len(runs):
        return None
    band = runs["spike_band"].to_numpy()
    spike = runs["full_30d_history"].to_numpy(dtype=bool) & (
        (band == "small") | (band == "moderate") | (band == "large")
    )
    at = np.flatnonzero(spike)
    if plans and len(at):
        at = at[~in_plans(plans, runs["day"].to_numpy()[at])]
    return runs.iloc[at[-1]] if len(at) else None


def state_row(
    state: AthleteState, open_alerts: list[LedgerEntry], units: Units = "km"
) -> DigestRow:
    """The one digest builder: an athlete's state with the alerts open in the digest's period
    (the coach's email, the team page, from a fresh analysis or a stored snapshot alike), in
    the reader's `units`."""
    flagged = {rule_registry.flag_of(e.alert.rule) for e in open_alerts}
    # A worn-out shoe is flagged while it is worn out, not only in the week its reminder went out.
    if state.worn_shoe:
        flagged.add(rule_registry.flag_of("shoe_retire"))
    if state.pain_level == "red":
        flagged.add(rule_registry.flag_of("pain"))  # while it is red, as a worn shoe is
    return DigestRow(
        athlete=state.athlete,
        last7_m=state.last7_m,
        prev7_m=state.prev7_m,
        acwr=state.acwr,
        history_days=state.history_days,
        days_since_run=state.days_since_run,
        latest_spike_pct=state.latest_spike_pct,
        latest_spike_band=state.latest_spike_band,
        shoes_near_limit=list(state.shoes_near_limit),
        open_alerts=[e.alert.title for e in open_alerts],
        flags=sorted(flagged - {""}),
        weeks_m=list(state.weeks_m),
        headroom=short_headroom(
            state.run_max_m, state.run_reason, state.week_more_m, state.week_reason, units
        ),
        athlete_id=state.athlete_id,
        pain_level=state.pain_level,
        pain=state.pain,
        effort7=state.effort7,
        effort_prev7=state.effort_prev7,
        latest_spike_id=state.latest_spike_id,
        units=units,
    )


def digest_row(
    analysis: Analysis,
    open_alerts: list[LedgerEntry],
    rules: RuleSettings,
    units: Units | None = None,
) -> DigestRow:
    """One athlete's line in a coach digest, from a fresh analysis; `units`: the reader's (a
    coach's `units`), else the athlete's own."""
    return state_row(athlete_state(analysis, rules), open_alerts, units or analysis.athlete.units)


def headroom_short(h: Headroom, units: Units = "km") -> str:
    """The headroom in a few words, in the reader's unit: the digest's column."""
    return short_headroom(h.run.max_run_m, h.run.reason, h.week.more_m, h.week.reason, units)


def short_headroom(
    run_max_m: int | None,
    run_reason: str | None,
    week_more_m: int | None,
    week_reason: str | None,
    units: Units = "km",
) -> str:
    short = []
    if run_reason == "pain" and run_max_m == 0:
        short.append("pain: no run today")
    elif run_reason == "pain":
        short.append(f"pain: hold, run up to {_km_down(run_max_m, units)}, nothing more")
    elif run_max_m is not None:
        short.append(f"run up to {_km_down(run_max_m, units)}")
    if week_more_m is not None and week_reason != "pain":
        short.append(f"{_km_down(max(week_more_m, 0), units)} more today")
    return ", ".join(short) or "-"


def rank(rows: list[DigestRow]) -> list[DigestRow]:
    """Red pain first, then open alerts, then the highest ratio or spike."""
    return sorted(rows, key=DigestRow.rank_key)


PAIN_EVIDENCE = (
    "Pain: the levels (green: as usual; amber: hold; red, or a morning score well up on the "
    "morning before: rest) borrow the pain-monitoring model used for Achilles and patellar "
    "tendinopathy (Silbernagel 2007, Sprague 2021) and follow Esculier 2018, where in 69 runners "
    "with knee pain (patellofemoral) education on symptom-guided load modification did as well "
    "as adding exercises or gait retraining. They are not validated thresholds for runner's knee."
)
HEADROOM_EVIDENCE = [
    "Run today: in 5,205 adult runners, single runs more than 10% longer than the longest run of "
    "the previous 30 days went with more self-reported overuse injuries than runs within +10% "
    "(Frandsen et al. 2025, hazard rate ratios 1.64 / 1.52 / 2.28 for >10-30% / >30-100% / "
    ">100%: not rising band by band).",
    "This week: in 874 novice runners, weeks more than 30% up against under 10% gave a hazard "
    "ratio of 1.59 for distance-related injuries, but its 95% CI (0.96-2.66, p = 0.07) includes "
    "no effect (Nielsen et al. 2014); no difference overall, and none for week-to-week change "
    "in Frandsen 2025. Weak evidence.",
    "These are the lines the studies compared groups of runners on, not a personal safe limit; "
    "how a run feels and any pain come first.",
    PAIN_EVIDENCE,
]
PAIN_SHOWN = ("amber", "red")  # the levels a digest names in words


def pain_words(p: PainStatus, as_of: date) -> str:
    """A report as a runner would say it: "knee 6/10 this morning", "pain 4/10 after a run
    yesterday"."""
    what = p.where or "pain"
    assert p.day is not None
    ago = (as_of - p.day).days
    day = "today" if ago == 0 else "yesterday" if ago == 1 else f"on {_day(p.day)}"
    if p.when == "morning":
        when = {"today": "this morning", "yesterday": "yesterday morning"}.get(
            day, f"{day} in the morning"
        )
    else:
        when = f"{'during' if p.when == 'during' else 'after'} a run {day}"
    return f"{what} {p.score}/10 {when}"


def _pain_line(h: Headroom, units: Units = "km") -> HeadroomLine | None:
    """The runner's pain level, leading the headroom it bends."""
    p = h.pain
    if p is None:
        return None
    if p.level == "none":
        return HeadroomLine(
            "pain: no report in the last days",
            "pain unknown (loadwatch pain SCORE says how it feels today)",
        )
    words = pain_words(p, h.as_of)
    if p.why == "24h":
        words += ", up from the morning before (the 24-hour response)"
    elif p.why == "holding":
        words += " after a worse day: one more good day before progressing"
    if p.level == "green":
        return HeadroomLine(f"{words} (green)", "the usual headroom below")
    if p.level == "amber":
        longest = f" ({_km_down(h.run.max_run_m, units)})" if h.run.max_run_m else ""
        return HeadroomLine(
            f"{words} (amber)",
            f"hold: no longer than your longest run of the last 7 days{longest}, nothing more "
            "this week",
        )
    return HeadroomLine(
        f"{words} (red)", "rest or cross-train today; see a clinician if it persists"
    )


def _km(m: int | None, units: Units = "km") -> str:
    return distance(m, units)


def _km_down(m: int | None, units: Units = "km") -> str:
    """An "up to" distance, rounded down: 5,950 m is "5.9 km", never a promised 6.0."""
    return distance_down(m, units)


def _day(d: date | None) -> str:
    return "" if d is None else f"{d:%a} {d.day} {d:%b}"


@dataclass(frozen=True)
class HeadroomLine:
    """One line of the headroom: what the numbers are, and what stays within the range."""

    facts: str
    guidance: str


def return_lines(h: Headroom, units: Units = "km") -> list[HeadroomLine]:
    """Return mode in words: today's run, what is left of the plan week, and the whole plan."""
    plan, run, week = h.return_plan, h.run, h.week
    assert plan is not None
    pw = plan.week_on(h.as_of)
    assert pw is not None and week.more_m is not None
    done = pw.week_m - week.more_m
    before = f"{_km(plan.pre_week_m, units)}/week"
    if plan.pre_longest_m is not None:
        before += f", longest run {_km(plan.pre_longest_m, units)}"
    rest = f"the plan runs again from {_day(pw.last_day + timedelta(days=1))}"
    weeks = ", ".join(f"{amount(w.week_m, units):.1f}" for w in plan.weeks)
    runs = ", ".join(f"{amount(w.run_m, units):.1f}" for w in plan.weeks)
    return [
        HeadroomLine(
            f"{plan.break_days} days without a run: return plan week {pw.week} of "
            f"{len(plan.weeks)}",
            f"a run up to {_km_down(run.max_run_m, units)} today stays within loadwatch's return plan"
            if run.max_run_m
            else f"the plan week's distance is reached: {rest}",
        ),
        HeadroomLine(
            f"plan week {_day(pw.first_day)} to {_day(pw.last_day)}: {_km(done, units)} of "
            f"{_km(pw.week_m, units)}",
            f"up to {_km_down(week.more_m, units)} more this plan week stays within the plan"
            if week.more_m > 0
            else "nothing more this plan week stays within the plan",
        ),
        HeadroomLine(
            f"before the break: {before}",
            f"the plan's weeks {weeks} {units}, runs up to {runs} {units}",
        ),
        HeadroomLine(
            f"from {_day(plan.last_day + timedelta(days=1))}: the pre-break level",
            "the usual comparisons again (the plan is loadwatch's own gradual build-up, as "
            "clinicians advise after time off; no trial tested its numbers)",
        ),
    ]


def headroom_lines(
    h: Headroom, units: Units = "km", unknown_pain: bool = True
) -> list[HeadroomLine]:
    """The headroom in words, one line per rule, as every surface shows it; a push, two lines
    long, leaves out that pain is unknown (`unknown_pain=False`)."""
    run, week, drop = h.run, h.week, h.drop
    if h.return_plan is not None and run.reason == "return":
        return return_lines(h, units)
    lines = []
    pain = _pain_line(h, units)
    if pain is not None and (unknown_pain or h.pain is None or h.pain.level != "none"):
        lines.append(pain)
    if run.reason == "pain" and h.pain is not None and h.pain.level == "red":
        lines.append(HeadroomLine("run today", "no run today while it hurts this much"))
    elif run.reason == "pain" and not run.max_run_m:
        lines.append(
            HeadroomLine("no run in the last 7 days", "no run today to hold at: let it settle")
        )
    elif run.reason == "pain":
        lines.append(
            HeadroomLine(
                f"longest run in the last 7 days: {_km(run.max_run_m, units)}",
                f"a run up to {_km_down(run.max_run_m, units)} today, no longer (no +{h.spike_pct:g}% "
                "while it hurts)",
            )
        )
    elif run.reason == "history":
        lines.append(
            HeadroomLine(
                f"{run.history_days} days of history",
                "the run-spike comparison starts after 30 days of history",
            )
        )
    elif run.reason == "break":
        lines.append(
            HeadroomLine(
                "no run in the last 30 days",
                "the spike rule has no recent longest run to compare with: build back gradually",
            )
        )
    else:
        lines.append(
            HeadroomLine(
                f"longest run in the last 30 days: {_km(run.longest_m, units)} ({_day(run.longest_day)})",
                f"a run up to {_km_down(run.max_run_m, units)} today stays within +{h.spike_pct:g}%",
            )
        )
    facts = f"last 7 days {_km(week.last7_m, units)}, the 7 before {_km(week.prev7_m, units)}"
    if week.prev14_m // 2 > week.prev7_m:
        facts += f" ({_km(week.prev14_m // 2, units)}/week over the 2 before)"
    if week.reason == "pain":
        lines.append(HeadroomLine(facts, "nothing more than that this week while it hurts"))
    elif week.reason == "history":
        lines.append(HeadroomLine(facts, "the weekly comparison starts after 21 days of history"))
    elif week.reason == "floor":
        lines.append(
            HeadroomLine(facts, "the week before was under the weekly rule's floor: no limit")
        )
    elif week.more_m is not None and week.more_m >= 0:
        lines.append(
            HeadroomLine(
                facts,
                f"up to {_km_down(week.more_m, units)} more today stays within +{h.weekly_pct:g}%",
            )
        )
    else:
        lines.append(
            HeadroomLine(facts, f"already more than +{h.weekly_pct:g}% above the weeks before")
        )
    if drop is not None:
        if drop.longest_m is None:
            lines.append(
                HeadroomLine(
                    f"on {_day(drop.day)} your last run leaves the 30-day window",
                    "from then the spike rule has nothing to compare with",
                )
            )
        else:
            lines.append(
                HeadroomLine(
                    f"on {_day(drop.day)} your 30-day longest drops to {_km(drop.longest_m, units)}",
                    f"from then, runs up to {_km_down(drop.max_run_m, units)} stay within +{h.spike_pct:g}%",
                )
            )
    return lines


def headroom_text(h: Headroom, indent: str = "  ", units: Units = "km") -> str:
    """Plain text: the lines aligned on their arrows, then the evidence."""
    lines = headroom_lines(h, units)
    width = max(len(x.facts) for x in lines)
    out = [f"{indent}{x.facts:<{width}}  -> {x.guidance}" for x in lines]
    return "\n".join(out)
