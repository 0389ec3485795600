"""An analysis on a load basis other than distance prepares, judges and grids the runs once.

`analyse` used to call `compute_daily` twice (the chosen basis, then distance for the km figures
and spikes): the runs' local days, the spike pass and the daily grid all twice. Now one
preparation and one grid of two columns give both (`compute_daily_and_distance`): each frame
(days, weeks, runs) must be exactly what the two calls give, on generated histories in several
time zones, on moving time and on TRIMP, with the day asked about before, on and after the runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from loadwatch.analysis import analyse
from loadwatch.load import HeartRateProfile, LoadParams, compute_daily, compute_daily_and_distance
from loadwatch.model import Athlete

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]
LAST = date(2026, 11, 6)
HR = HeartRateProfile(50, 190, "female")

one_run = st.tuples(
    st.sampled_from([0, 1, 1, 2, 3, 5, 15, 31]),  # days after the previous run
    st.sampled_from([0, 6, 7, 12, 23]),  # local hour
    st.integers(min_value=1, max_value=40_000),  # metres
    st.one_of(st.none(), st.floats(min_value=100, max_value=185)),  # average heart rate
    st.sampled_from(["running", "running", "trail_running", "cycling"]),
)


def activities(runs, tz: str) -> pd.DataFrame:
    zone = ZoneInfo(tz)
    days, day = [], LAST
    for gap, *_ in reversed(runs):
        days.append(day)
        day -= timedelta(days=gap)
    days.reverse()
    starts = [
        datetime.combine(d, time(r[1], 15)).replace(tzinfo=zone)
        for d, r in zip(days, runs, strict=True)
    ]
    return pd.DataFrame(
        {
            "id": range(1, len(runs) + 1),
            "sport": [r[4] for r in runs],
            "start_utc": pd.to_datetime([s.isoformat() for s in starts], utc=True),
            "distance_m": [float(r[2]) for r in runs],
            "moving_s": [r[2] * 0.33 for r in runs],
            "elapsed_s": [r[2] * 0.34 for r in runs],
            "avg_hr": [r[3] for r in runs],
            "hr_histogram": None,
            "shoe_id": None,
        }
    )


def same(a, b) -> None:
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.days, b.days)
    pd.testing.assert_frame_equal(a.weeks, b.weeks)
    assert (a.as_of, a.tz, a.params) == (b.as_of, b.tz, b.params)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(one_run, min_size=0, max_size=40),
    st.sampled_from(ZONES),
    st.integers(min_value=-10, max_value=30),
    st.sampled_from(["moving_time", "trimp"]),
)
def test_both_bases_at_once_are_the_two_computations(runs, tz, after, basis) -> None:
    frame = activities(runs, tz)
    as_of = LAST + timedelta(days=after)
    params = LoadParams(load_basis=basis)
    load, distance = compute_daily_and_distance(frame, as_of, tz, params, HR)
    same(load, compute_daily(frame, as_of, tz, params, HR))
    km = replace(params, load_basis="distance")
    same(distance, compute_daily(frame, as_of, tz, km, HR))


def test_an_analysis_on_moving_time_reads_both_bases() -> None:
    runs = [(1, 7, 8_000 + 500 * (i % 5), 150.0, "running") for i in range(50)]
    frame = activities(runs, "Europe/Berlin")
    a = analyse(Athlete(1, "ana", "a@x.test", "Europe/Berlin"), frame, [], LAST,
                LoadParams(load_basis="moving_time"))  # fmt: skip
    assert a.load.params.load_basis == "moving_time" and a.distance.params.load_basis == "distance"
    # 8 to 10 km runs: the distance basis counts km, moving time minutes (0.33 s a metre).
    assert a.distance.days["load"].iloc[-1] == runs[-1][2] / 1000
    assert a.load.days["load"].iloc[-1] == runs[-1][2] * 0.33 / 60
    assert a.distance.weeks["total"].sum() * 0.33 * 1000 / 60 == a.load.weeks["total"].sum()
