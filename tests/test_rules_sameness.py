"""The array routes of the weekly jump, the spike rule and a state's spike and effort windows give
exactly what the pandas routes they replaced gave.

A club's recompute spent most of its time building frames per athlete: the weekly jump a frame
of every day and a record of every firing day, the spike rule two filtered copies of the runs, a
state a filtered copy for its latest spike and its runs' efforts twice. The references below are
that earlier code, kept verbatim (tests/test_headroom_sameness.py holds the headroom the same
way): on generated histories (breaks and return plans, races, blips, four time zones, ratings
missing or not, different thresholds, alerts since different days) every field of every alert
and of every state must be the same, for one athlete at a time and for the club-wide pass.
"""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import event, given, settings
from hypothesis import strategies as st

from loadwatch.analysis import Analysis, analyse, analyse_many
from loadwatch.config import RuleSettings
from loadwatch.load.comeback import in_plans
from loadwatch.load.effort import NO_RUNS, Effort
from loadwatch.load.pain import PainHistory, PainThresholds
from loadwatch.load.progression import jump_pct
from loadwatch.model import Alert, Athlete, PainReport
from loadwatch.rules import CLINICIAN, POPULATION, exact_pct, iso_week, nice_day, spike, weekly_jump
from loadwatch.rules.comeback import return_params
from loadwatch.rules.episodes import mentions
from loadwatch.rules.spike import BAND_WORDS, RANK, SpikeNumbers
from loadwatch.rules.weekly_jump import WeeklyJumpNumbers, band
from loadwatch.units import METRES, amount, distance
from loadwatch.views import (
    PAIN_SHOWN,
    AthleteState,
    _opt_int,
    athlete_state,
    headroom_for,
    pain_words,
)

from .test_effort import effort_as_before
from .test_headroom_sameness import AS_OF, ZONES, activities, history


# -- the references: the code before the array routes, verbatim ------------------------------
def ref_daily_metres(runs: pd.DataFrame, as_of: date) -> pd.Series:
    """Whole metres run on each local day from the first run day to `as_of` (rest days 0).

    `runs` needs `day` (local, normalised) and `distance_m`. Summed by day number in numpy: a
    pandas filter, groupby and reindex cost 5 ms an athlete, on every state a page recomputes."""
    end = np.datetime64(as_of, "D")
    stamps = runs["day"].to_numpy()
    days = stamps.astype("datetime64[D]")
    upto = days <= end
    if not upto.any():
        return pd.Series(dtype=np.int64)
    days = days[upto]
    metres = np.rint(runs["distance_m"].to_numpy(dtype=float)[upto]).astype(np.int64)
    first = days.min()
    values = np.zeros(int((end - first).astype(np.int64)) + 1, dtype=np.int64)
    np.add.at(values, (days - first).astype(np.int64), metres)
    index = pd.date_range(pd.Timestamp(stamps[upto].min()), pd.Timestamp(as_of), freq="D")
    return pd.Series(values, index=index)


def ref_week_over_week(daily_m: pd.Series) -> pd.DataFrame:
    """Per day: metres of the last 7 days (this day included), of the 7 before, and of the 14
    before those 7 (`prev14_m`, two weeks; `prev14_weekly_m` its weekly average); the baseline
    an increase is measured against (`baseline_m`: the larger of the 7 before and that weekly
    average); days of history; and whether a run happened that day."""
    values = daily_m.to_numpy(dtype=np.int64)
    cs = np.concatenate([[0], np.cumsum(values)])
    i = np.arange(1, len(values) + 1)  # cs[i] = total up to and including day i-1

    def window(lo: int, hi: int) -> np.ndarray:
        """Metres of days t-hi+1 .. t-lo (0-based offsets back from today), clipped at the start."""
        return cs[np.maximum(i - lo, 0)] - cs[np.maximum(i - hi, 0)]

    prev7, prev14 = window(7, 14), window(7, 21)
    return pd.DataFrame(
        {
            "last7_m": window(0, 7),
            "prev7_m": prev7,
            "prev14_m": prev14,
            "prev14_weekly_m": prev14 / 2,
            "baseline_m": np.maximum(prev7, prev14 / 2),
            "history_days": i,
            "ran": values > 0,
        },
        index=daily_m.index,
    )


def ref_jump_fires(wow: pd.DataFrame, pct: float, floor_m: int) -> pd.Series:
    """Where the weekly-jump rule fires: a run day with 21 days of history, the 7 days before at
    least `floor_m`, and the last 7 more than `pct` % above both the 7 before and the weekly
    average of the 14 before (compared in whole metres)."""
    factor = 100.0 + pct
    last7 = wow["last7_m"].to_numpy()
    prev7 = wow["prev7_m"].to_numpy()
    fires = (
        wow["ran"].to_numpy()
        & (wow["history_days"].to_numpy() >= 21)
        & (prev7 >= floor_m)
        & (100 * last7 > factor * prev7)
        & (200 * last7 > factor * wow["prev14_m"].to_numpy())
    )
    return pd.Series(fires, index=wow.index)


def ref_session_effort(runs: pd.DataFrame) -> pd.Series:
    """Each run's sRPE: RPE x moving minutes; NaN where either is missing."""
    if "rpe" not in runs or "moving_s" not in runs:
        return pd.Series(np.nan, index=runs.index, dtype=float)
    rpe = pd.to_numeric(runs["rpe"], errors="coerce").astype(float)
    minutes = pd.to_numeric(runs["moving_s"], errors="coerce").astype(float) / 60.0
    return rpe * minutes


def ref_window_effort(runs: pd.DataFrame, last_day: pd.Timestamp, days: int = 7) -> Effort:
    """The effort of the `days` local days ending with `last_day` (runs need a local `day`)."""
    if runs.empty:
        return NO_RUNS
    day = pd.to_datetime(runs["day"]).to_numpy()
    first = (last_day - pd.Timedelta(days=days)).to_datetime64()
    inside = (day <= last_day.to_datetime64()) & (day > first)
    # The runs' efforts filtered as numbers: filtering the whole frame cost 3 ms an athlete.
    return effort_as_before(
        pd.Series(ref_session_effort(runs).to_numpy(dtype=float)[inside], dtype=float)
    )


def ref_weekly_jump(analysis, settings, since: date | None = None) -> list[Alert]:
    # The engine where a rule evaluates, not where it declares (every command reads [rules]).
    runs = analysis.distance.runs
    if runs.empty:
        return []
    wow = ref_week_over_week(ref_daily_metres(runs, analysis.distance.as_of))
    fires = ref_jump_fires(wow, settings.weekly_jump_pct, settings.weekly_jump_min_m)
    plans = analysis.distance.return_plans(return_params(settings))
    if plans:
        fires = fires & ~in_plans(plans, wow.index)
    hits = []
    fired = wow[fires].to_dict("records") if fires.any() else []  # no jump ever: no frame
    for ts, row in zip(wow.index[fires], fired, strict=True):
        baseline = row["baseline_m"]
        pct = jump_pct(row["last7_m"], row["prev7_m"])
        hits.append(
            (
                ts.date(),
                band(jump_pct(row["last7_m"], baseline), settings.weekly_jump_pct),
                (row, pct),
            )
        )
    aid, name = analysis.athlete.id, analysis.athlete.name
    u = analysis.athlete.units  # the words in their unit; the numbers stay metres
    t = settings.weekly_jump_pct
    edges = (t, 2 * t, 4 * t)
    out = []
    for m in mentions(hits):
        if since is not None and m.day < since:
            continue
        row, pct = m.detail
        floor = (
            f"{settings.weekly_jump_min_km:g} km"  # as the runner typed it
            if u == "km"
            else distance(settings.weekly_jump_min_m, u)
        )
        worse = "" if m.started == m.day else f"; the jump began on {nice_day(m.started)}"
        text = (
            f"Your last 7 days ({nice_day(m.day - timedelta(days=6))} to {nice_day(m.day)}) came to "
            f"{distance(row['last7_m'], u)}, {exact_pct(pct, edges)} more than the 7 days before "
            f"({distance(row['prev7_m'], u)}) and above your weekly average of the two weeks "
            f"before that ({distance(row['prev14_weekly_m'], u)}){worse}. "
            f"In 874 novice runners, weeks more than 30% up against under 10% gave a hazard ratio "
            f"of 1.59 for distance-related injuries such as runner's knee, but its 95% CI "
            f"(0.96-2.66, p = 0.07) includes no effect: not a clear association. The overall injury rate "
            f"did not differ, and a study of 5,205 runners found no relationship for week-to-week "
            f"change. Weak evidence, shown because a big jump is worth a second look (loadwatch "
            f"compares only after a week of at least {floor}: its own "
            f"floor, not Nielsen's). "
            f"{POPULATION} {CLINICIAN}"
        )
        out.append(
            Alert(
                key=f"weekly_jump:{aid}:{m.started.isoformat()}:{m.band}",
                athlete=name,
                rule="weekly_jump",
                day=m.day,
                title=f"{distance(row['last7_m'], u, 0)} in 7 days, {exact_pct(pct, edges)} more than the week before",
                text=text,
                citation=weekly_jump.CITATION,
                numbers=WeeklyJumpNumbers(
                    last7_m=row["last7_m"],
                    previous7_m=row["prev7_m"],
                    previous14_weekly_m=row["prev14_weekly_m"],
                    change_pct=round(float(pct), 2),
                    episode_started=m.started.isoformat(),
                    band=m.band,
                    floor_km=settings.weekly_jump_min_km,
                ),
                aliases=(f"weekly_jump:{aid}:{iso_week(m.day)}",),
            )
        )
    return out


def ref_spike(analysis, settings, since: date | None = None) -> list[Alert]:
    import numpy as np  # the engine where a rule evaluates, not where it declares
    import pandas as pd

    from loadwatch.load import HAZARD_CI, HAZARD_RATIO

    bands = ", ".join(f"{HAZARD_RATIO[b]} for {BAND_WORDS[b]}" for b in BAND_WORDS)

    runs = analysis.distance.runs
    if runs.empty:
        return []
    # A run inside a return plan is the plan's to judge (rules/comeback.py).
    plans = analysis.distance.return_plans(return_params(settings))
    held = in_plans(plans, runs["day"]) if plans else None
    if held is not None and held.all():
        return []
    if since is not None and len(runs):
        keep = (runs["day"] >= pd.Timestamp(since)).to_numpy()
        runs = runs[keep]  # each run is its own alert
        held = held[keep] if held is not None else None
    # Only the runs that can be alerts go through the loop below, which judges them (a frame
    # row each costs more than the whole-frame test: 5 ms an athlete over two years of runs).
    with np.errstate(invalid="ignore"):
        d_all = np.rint(runs["distance_m"].to_numpy(dtype=float))
        ref_all = np.rint(runs["longest_prior_30d_m"].to_numpy(dtype=float))
        can = (
            runs["full_30d_history"].to_numpy(dtype=bool)
            & runs["spike_band"].notna().to_numpy()
            & (d_all >= round(settings.spike_min_km * 1000))
            & (100 * d_all > (100.0 + settings.spike_pct) * ref_all)
        )
    runs = runs[can]
    held = held[can] if held is not None else None
    if runs.empty:
        return []
    name, u = analysis.athlete.name, analysis.athlete.units  # the words in their unit
    out = []
    min_rank = RANK[settings.spike_min_band]
    threshold = 100.0 + settings.spike_pct
    min_m = settings.spike_min_m
    for i, r in enumerate(runs.itertuples()):
        if held is not None and held[i]:
            continue
        if not r.full_30d_history or r.spike_band is None or RANK.get(r.spike_band, 0) < min_rank:
            continue
        d_m, ref_m = round(r.distance_m), round(r.longest_prior_30d_m)
        if d_m < min_m or not 100 * d_m > threshold * ref_m:  # whole metres, as the bands are
            continue
        day = pd.Timestamp(r.day).date()
        start = pd.Timestamp(r.start_utc).tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")
        hr = HAZARD_RATIO[r.spike_band]
        lo, hi = HAZARD_CI[r.spike_band]
        pct = exact_pct(r.spike_pct, (settings.spike_pct, 30.0, 100.0))
        text = (
            f"Your {distance(r.distance_m, u)} run on {nice_day(day)} was {pct} longer than "
            f"your longest run in the previous 30 days ({distance(r.longest_prior_30d_m, u)}). "
            f"In a study of 5,205 adult runners, single runs {BAND_WORDS[r.spike_band]} longer than "
            f"the recent longest were associated with a higher rate of self-reported overuse "
            f"injury (hazard rate ratio {hr}, 95% CI {lo:.2f}-{hi:.2f}, against runs no more than "
            f"10% longer). The bands were not monotonic ({bands}): a bigger jump was not "
            f"always a higher rate. "
            f"{POPULATION} {CLINICIAN}"
        )
        out.append(
            Alert(
                key=f"run_spike:{analysis.athlete.id}:{start}",
                athlete=name,
                rule="run_spike",
                day=day,
                title=f"{distance(r.distance_m, u)} run, {pct} over the 30-day longest "
                f"({r.spike_band} spike)",
                text=text,
                citation=spike.CITATION,
                numbers=SpikeNumbers(
                    distance_m=r.distance_m,
                    longest_prior_30d_m=r.longest_prior_30d_m,
                    spike_pct=round(float(r.spike_pct), 4),
                    band=r.spike_band,
                    hazard_ratio=hr,
                    start_utc=start,
                ),
                # Until 2026-11 a spike was keyed by its day.
                aliases=(f"run_spike:{analysis.athlete.id}:{day.isoformat()}",),
            )
        )
    return out


def ref_athlete_state(
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
    # The one intended change since the base, in the reference too: the last 7 days and the 7
    # before as the headroom counts them (the 7-day metric is undefined in the first 6 days).
    h = headroom_for(analysis, rules)
    last7, prev7 = float(h.week.last7_m), float(h.week.prev7_m)
    acwr = None
    if len(acute):
        v = ratio[-1]
        acwr = None if v is None or math.isnan(v) else float(v)
    runs = d.runs
    spikes = (
        runs[runs["full_30d_history"] & runs["spike_band"].isin(["small", "moderate", "large"])]
        if len(runs)
        else runs
    )
    plans = d.return_plans(return_params(rules))
    if plans and len(spikes):
        spikes = spikes[~in_plans(plans, spikes["day"])]  # the return plan judges those
    last = spikes.iloc[-1] if len(spikes) else None
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
        weeks_m[-1] = last7
    last_run_day = pd.Timestamp(runs["day"].max()).date() if len(runs) else None
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
        effort7=ref_window_effort(runs, pd.Timestamp(d.as_of)),
        effort_prev7=ref_window_effort(runs, pd.Timestamp(d.as_of) - pd.Timedelta(days=7)),
        latest_spike_id=_opt_int(last["id"]) if last is not None and "id" in last else None,
    )


# -- generated histories ------------------------------------------------------------------------
RULES = st.sampled_from(
    [
        {},
        {"weekly_jump_pct": 10, "weekly_jump_min_km": 5, "spike_pct": 25, "spike_min_km": 3},
        {"weekly_jump_pct": 50, "weekly_jump_min_km": 0, "spike_min_band": "moderate"},
        {"spike_pct": 0, "spike_min_band": "large", "spike_min_km": 0},
    ]
)
RATINGS = st.lists(
    st.one_of(st.none(), st.integers(0, 10), st.floats(0, 10, allow_nan=False)),
    min_size=80,
    max_size=80,
)


def rated(frame: pd.DataFrame, rpe: list | None) -> pd.DataFrame:
    """The runs with ratings (some missing) or with none at all (the column all None)."""
    if rpe is None:
        return frame.assign(rpe=None)
    return frame.assign(rpe=pd.Series(rpe[: len(frame)], dtype=object))


def same(x: object, y: object, where: str = "") -> None:
    """Equal field by field, of the same types (an int written as a float reads back otherwise);
    NaN equal to NaN (a jump over an empty week with a floor of 0 is NaN % in both)."""
    assert type(x) is type(y), where
    if is_dataclass(x):
        for f in fields(x):
            same(getattr(x, f.name), getattr(y, f.name), f"{where}.{f.name}")
    elif isinstance(x, list | tuple):
        assert len(x) == len(y), where  # type: ignore[arg-type]
        for i, (a, b) in enumerate(zip(x, y, strict=True)):  # type: ignore[call-overload]
            same(a, b, f"{where}[{i}]")
    elif isinstance(x, float) and math.isnan(x):
        assert math.isnan(y), where  # type: ignore[arg-type]
    else:
        assert x == y, where


def check(analysis: Analysis, rules: RuleSettings, since: date | None) -> None:
    for new_rule, old_rule in (
        (weekly_jump.evaluate, ref_weekly_jump),
        (spike.evaluate, ref_spike),
    ):
        new, old = new_rule(analysis, rules, since), old_rule(analysis, rules, since)
        same(new, old, new_rule.__module__)
        event(f"{new_rule.__module__}: {min(len(new), 3)} alerts")
    found = weekly_jump.evaluate(analysis, rules, since) + spike.evaluate(analysis, rules, since)
    state = athlete_state(analysis, rules, found)
    same(state, ref_athlete_state(analysis, rules, found), "state")
    plans = bool(analysis.distance.return_plans(return_params(rules)))
    event(f"latest spike {state.latest_spike_band}, effort {state.effort7.rated_runs > 0}")
    event(f"return plans {plans}")


@settings(max_examples=250, deadline=None)
@given(
    history,
    st.sampled_from(ZONES),
    st.one_of(st.integers(min_value=-3, max_value=3), st.integers(min_value=-3, max_value=40)),
    RULES,
    st.one_of(st.none(), RATINGS),
    st.sampled_from([None, 0, 10, 60, 400]),
)
def test_the_array_rules_and_states_are_the_pandas_ones(runs, tz, after, rules, rpe, since) -> None:
    as_of = AS_OF + timedelta(days=after)
    frame = rated(activities(runs, tz, AS_OF), rpe)
    a = Athlete(1, "a", "a@example.com", tz)
    analysis = analyse(a, frame, [], as_of)
    check(
        analysis,
        RuleSettings(**rules),
        None if since is None else as_of - timedelta(days=since),
    )


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(history, st.sampled_from(ZONES), st.integers(0, 20), st.integers(0, 10)),
        min_size=1,
        max_size=6,
    ),
    RULES,
    RATINGS,
)
def test_the_club_pass_gives_the_pandas_alerts_and_states(club, rules, rpe) -> None:
    """What the check and a stale page compute for everyone at once (`analyse_many`)."""
    t = PainThresholds()
    athletes, frames, pain, days = [], [], {}, {}
    for i, (runs, tz, after, score) in enumerate(club, start=1):
        a = Athlete(i, f"a{i}", f"a{i}@example.com", tz)
        last = AS_OF - timedelta(days=after)
        frame = rated(activities(runs, tz, last), rpe if i % 2 else None).assign(athlete_id=i)
        athletes.append(a)
        frames.append(frame)
        days[i] = AS_OF if i % 2 else last  # runs today, and days after the last run
        pain[i] = PainHistory([PainReport(i, i, days[i] - timedelta(days=1), score)], t)
    passed = analyse_many(athletes, pd.concat(frames, ignore_index=True), {}, days, pain)
    for a in athletes:
        check(passed[a.id], RuleSettings(**rules), days[a.id] - timedelta(days=30))
