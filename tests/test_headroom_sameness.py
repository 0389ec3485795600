"""The headroom's array route gives exactly the Headroom of the pandas route it replaced.

`load/headroom.py` used to filter the runs frame once per window (15 pandas filters an athlete, a
30-step loop for the next drop): 40 ms an athlete, most of a whole club's recompute. It now reads
the runs into arrays once. The reference below is that earlier code, kept verbatim: on generated
histories (breaks and return plans, races, blips, runs today and later today, four time zones one
of them across a clock change, pain levels, different thresholds) every field of every Headroom
must be the same; and so must the club-wide pass (`analyse_many`, what the check and a stale page
compute) against one athlete at a time (`analyse`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import event, given, settings
from hypothesis import strategies as st

from loadwatch.analysis import analyse, analyse_many
from loadwatch.config import RuleSettings
from loadwatch.load import compute_daily
from loadwatch.load.comeback import ReturnParams, plan_on, return_plans
from loadwatch.load.effort import NO_RUNS, session_effort, window_effort
from loadwatch.load.headroom import (
    RETURN_DEFAULTS,
    SPIKE_HISTORY_DAYS,
    SPIKE_WINDOW_DAYS,
    WEEKLY_HISTORY_DAYS,
    Headroom,
    LongestDrop,
    RunHeadroom,
    WeekHeadroom,
    _on_plan,
    bent_by_pain,
    headroom,
    within,
)
from loadwatch.load.pain import PainHistory, PainStatus, PainThresholds
from loadwatch.load.progression import daily_metres, jump_fires, week_over_week
from loadwatch.load.spikes import reference_metres
from loadwatch.model import Athlete, PainReport
from loadwatch.rules.comeback import return_params
from loadwatch.views import headroom_for

from .test_effort import effort_as_before

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]
AS_OF = date(2026, 11, 6)  # the European clock change on 25 Oct is inside the 30 days


# -- the reference: load/headroom.py before the array route, verbatim -------------------------
def _ref_longest(runs: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp):
    inside = runs[(runs["day"] >= first) & (runs["day"] <= last)]
    metres = np.rint(reference_metres(inside))
    if not (~np.isnan(metres)).any():
        return None, None
    top = int(np.nanmax(metres))
    day = pd.Timestamp(inside["day"].to_numpy()[metres == top].max()).date()
    return top, day


def reference_headroom(
    runs: pd.DataFrame,
    as_of: date,
    spike_pct: float = 10.0,
    weekly_pct: float = 30.0,
    weekly_floor_m: int = 10_000,
    min_run_m: int = 1_000,
    back: ReturnParams | None = RETURN_DEFAULTS,
) -> Headroom:
    today = pd.Timestamp(as_of)
    runs = runs[runs["day"] <= today]
    first_day = pd.Timestamp(runs["day"].min()).date() if len(runs) else None
    history = (as_of - first_day).days + 1 if first_day else 0

    window_start = today - pd.Timedelta(days=SPIKE_WINDOW_DAYS - 1)
    longest_m, longest_day = _ref_longest(runs, window_start, today)
    floor_run = min_run_m - 1
    if history <= SPIKE_HISTORY_DAYS:
        run = RunHeadroom(history, longest_m, longest_day, None, "history")
    elif longest_m is None:
        run = RunHeadroom(history, None, None, None, "break")
    else:
        run = RunHeadroom(
            history, longest_m, longest_day, max(within(longest_m, spike_pct), floor_run), None
        )

    wow = week_over_week(reference_daily_metres(runs, as_of)) if len(runs) else None
    if wow is None or wow.empty:
        week = WeekHeadroom(0, 0, 0, 0, None, "history")
    else:
        row = wow.iloc[-1]
        last7, prev7, prev14 = int(row["last7_m"]), int(row["prev7_m"]), int(row["prev14_m"])
        baseline = max(prev7, prev14 // 2)
        if history < WEEKLY_HISTORY_DAYS:
            week = WeekHeadroom(last7, prev7, prev14, baseline, None, "history")
        elif prev7 < weekly_floor_m:
            week = WeekHeadroom(last7, prev7, prev14, baseline, None, "floor")
        else:
            allowed = max(within(prev7, weekly_pct), within(prev14, weekly_pct) // 2)
            week = WeekHeadroom(last7, prev7, prev14, baseline, allowed - last7, None)

    drop = None
    if run.reason is None and longest_m is not None:
        for ahead in range(1, SPIKE_WINDOW_DAYS + 1):
            day = today + pd.Timedelta(days=ahead)
            m, _ = _ref_longest(runs, day - pd.Timedelta(days=SPIKE_WINDOW_DAYS - 1), today)
            if m is None or m < longest_m:
                max_run = max(within(m, spike_pct), floor_run) if m is not None else None
                drop = LongestDrop(as_of + timedelta(days=ahead), m, max_run)
                break
    plan = plan_on(return_plans(runs, as_of, back), as_of) if back is not None else None
    if plan is not None:
        run, week, drop = _on_plan(plan, runs, as_of, run, week)
    return Headroom(as_of, spike_pct, weekly_pct, run, week, drop, return_plan=plan)


def reference_bent(h: Headroom, runs: pd.DataFrame, pain: PainStatus) -> Headroom:
    if pain.level not in ("amber", "red"):
        return replace(h, pain=pain)
    cap = 0
    if pain.level == "amber":
        today = pd.Timestamp(h.as_of)
        longest7, _ = (
            _ref_longest(runs, today - pd.Timedelta(days=6), today) if len(runs) else (None, None)
        )
        cap = longest7 or 0
    run = replace(h.run, max_run_m=cap, reason="pain")
    week = replace(h.week, more_m=0, reason="pain")
    return replace(h, run=run, week=week, drop=None, pain=pain)


# -- generated histories ------------------------------------------------------------------------
# One run: (days after the previous one, 0 = the same day; local hour; metres; a race?). Gaps of
# 14 days and more are breaks (return plans); metres down to GPS blips under the 1 km floor;
# round distances so that equal longest runs and window edges happen often.
one_run = st.tuples(
    st.sampled_from([0] * 5 + [1] * 60 + [2] * 20 + [3] * 8 + [5] * 4 + [14, 20, 31]),
    st.sampled_from([0, 1, 6, 7, 12, 23]),
    st.one_of(
        *[st.sampled_from([5_000, 8_000, 10_000, 11_000, 12_100, 16_000, 21_098])] * 3,
        st.integers(min_value=1, max_value=45_000),
    ),
    st.sampled_from([False] * 9 + [True]),
)
history = st.one_of(st.lists(one_run, max_size=80), st.lists(one_run, min_size=40, max_size=80))


def activities(runs: list[tuple[int, int, int, bool]], tz: str, last: date) -> pd.DataFrame:
    """The runs laid out backwards from `last` (the last run's local day), as the store gives
    them."""
    zone = ZoneInfo(tz)
    days, day = [], last
    for gap, *_ in reversed(runs):
        days.append(day)
        day -= timedelta(days=gap)
    days.reverse()
    starts = [
        datetime.combine(d, time(hour, 30)).replace(tzinfo=zone)
        for d, (_, hour, _, _) in zip(days, runs, strict=True)
    ]
    return pd.DataFrame(
        {
            "id": range(1, len(runs) + 1),
            "sport": "running",
            "start_utc": pd.to_datetime([s.isoformat() for s in starts], utc=True),
            "distance_m": [float(m) for _, _, m, _ in runs],
            "moving_s": [m * 0.33 for _, _, m, _ in runs],
            "elapsed_s": [m * 0.34 for _, _, m, _ in runs],
            "avg_hr": None,
            "hr_histogram": None,
            "shoe_id": None,
            "race": [race for *_, race in runs],
        }
    )


PAIN = st.sampled_from(
    [PainStatus("none"), PainStatus("green", 1), PainStatus("amber", 4), PainStatus("red", 7)]
)
BACK = st.sampled_from([RETURN_DEFAULTS, None, ReturnParams(7, 40.0, 25.0)])


@settings(max_examples=300, deadline=None)
@given(
    history,
    st.sampled_from(ZONES),
    # Days from the last run to the day asked about (mostly a few: a runner still running);
    # before it, the later runs are ignored.
    st.one_of(st.integers(min_value=-3, max_value=3), st.integers(min_value=-3, max_value=40)),
    st.sampled_from([(10.0, 30.0, 10_000, 1_000), (25.0, 10.0, 5_000, 3_000)]),
    BACK,
    PAIN,
)
def test_the_array_headroom_is_the_pandas_headroom(runs, tz, after, rules, back, pain) -> None:
    as_of = AS_OF + timedelta(days=after)
    frame = compute_daily(activities(runs, tz, AS_OF), AS_OF, tz).runs
    spike, weekly, floor, min_run = rules
    new = headroom(frame, as_of, spike, weekly, floor, min_run, back)
    old = reference_headroom(frame, as_of, spike, weekly, floor, min_run, back)
    assert new == old
    assert bent_by_pain(new, frame, pain) == reference_bent(old, frame, pain)
    event(f"run {new.run.reason}, week {new.week.reason}, drop {new.drop is not None}")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(history, st.sampled_from(ZONES), st.integers(0, 20), st.integers(0, 10)),
        min_size=1,
        max_size=6,
    )
)
def test_the_club_pass_gives_each_athletes_own_headroom(club) -> None:
    """What the check and a stale page compute for everyone at once (`analyse_many`, then each
    state's headroom) is the reference headroom of each athlete analysed on their own."""
    rules = RuleSettings()
    t = PainThresholds()
    athletes, frames, pain, days = [], [], {}, {}
    for i, (runs, tz, after, score) in enumerate(club, start=1):
        a = Athlete(i, f"a{i}", f"a{i}@example.com", tz)
        last = AS_OF - timedelta(days=after)
        frame = activities(runs, tz, last).assign(athlete_id=i)
        athletes.append(a)
        frames.append(frame)
        days[i] = AS_OF if i % 2 else last  # runs today, and days after the last run
        pain[i] = PainHistory([PainReport(i, i, days[i] - timedelta(days=1), score)], t)
    counted = pd.concat(frames, ignore_index=True)
    passed = analyse_many(athletes, counted, {}, days, pain)
    for a, frame in zip(athletes, frames, strict=True):
        own = analyse(a, frame.drop(columns="athlete_id"), [], days[a.id], pain=pain[a.id])
        runs = own.distance.runs
        expected = reference_headroom(
            runs,
            days[a.id],
            rules.spike_pct,
            rules.weekly_jump_pct,
            round(rules.weekly_jump_min_km * 1000),
            round(rules.spike_min_km * 1000),
            return_params(rules),
        )
        expected = reference_bent(expected, runs, pain[a.id].status(days[a.id]))
        assert headroom_for(passed[a.id], rules) == expected
        assert headroom_for(own, rules) == expected


# -- the progression and effort windows the states read, against their pandas forms ----------
def reference_daily_metres(runs: pd.DataFrame, as_of: date) -> pd.Series:
    end = pd.Timestamp(as_of)
    runs = runs[runs["day"] <= end]
    if runs.empty:
        return pd.Series(dtype=np.int64)
    metres = np.rint(runs["distance_m"].to_numpy(dtype=float)).astype(np.int64)
    per_day = pd.Series(metres, index=runs["day"].to_numpy()).groupby(level=0).sum()
    days = pd.date_range(per_day.index.min(), end, freq="D")
    return per_day.reindex(days, fill_value=0).astype(np.int64)


def reference_jump_fires(wow: pd.DataFrame, pct: float, floor_m: int) -> pd.Series:
    factor = 100.0 + pct
    return (
        wow["ran"]
        & (wow["history_days"] >= 21)
        & (wow["prev7_m"] >= floor_m)
        & (100 * wow["last7_m"] > factor * wow["prev7_m"])
        & (200 * wow["last7_m"] > factor * wow["prev14_m"])
    )


def reference_window_effort(runs: pd.DataFrame, last_day: pd.Timestamp, days: int = 7):
    if runs.empty:
        return NO_RUNS
    day = pd.to_datetime(runs["day"])
    inside = (day <= last_day) & (day > last_day - pd.Timedelta(days=days))
    return effort_as_before(session_effort(runs[inside]))


@settings(max_examples=150, deadline=None)
@given(
    history,
    st.sampled_from(ZONES),
    st.integers(min_value=-3, max_value=40),
    st.sampled_from([(30.0, 10_000), (10.0, 5_000)]),
    st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=80, max_size=80),
)
def test_the_daily_metres_jumps_and_efforts_are_the_pandas_ones(runs, tz, after, rule, rpe) -> None:
    as_of = AS_OF + timedelta(days=after)
    frame = compute_daily(activities(runs, tz, AS_OF), AS_OF, tz).runs
    frame = frame.assign(rpe=rpe[: len(frame)]) if len(frame) else frame
    new, old = daily_metres(frame, as_of), reference_daily_metres(frame, as_of)
    pd.testing.assert_series_equal(new, old, check_freq=False)
    wow = week_over_week(new)
    pd.testing.assert_series_equal(
        jump_fires(wow, *rule), reference_jump_fires(wow, *rule), check_names=False
    )
    for last in (pd.Timestamp(as_of), pd.Timestamp(as_of) - pd.Timedelta(days=7)):
        assert window_effort(frame, last) == reference_window_effort(frame, last)
