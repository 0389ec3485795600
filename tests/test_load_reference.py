"""The engine against the independent reference tables in shared/research/reference (to 1e-6)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from loadwatch.load import REGISTRY, LoadParams, compute_daily, compute_many, spike_band
from loadwatch.load.trimp import banister_trimp, banister_trimp_mean

from .conftest import REFERENCE

TOL = 1e-6

# reference column -> engine column, for every column the engine offers
DAILY_COLUMNS = {
    "load": "load",
    "sum7": "acute_sum",
    "sum28": "chronic_sum",
    "acute7_mean": "acute_mean",
    "chronic28_mean_coupled": "chronic_mean",
    "chronic21_mean_uncoupled": "chronic_mean_uncoupled",
    "acwr_ra_coupled_7_28": "acwr_rolling_coupled",
    "acwr_hulin_weekly": "acwr_rolling_coupled",
    "acwr_ra_uncoupled_7_21": "acwr_rolling_uncoupled",
    "ewma_acute_seedfirst": "ewma_acute",
    "ewma_chronic_seedfirst": "ewma_chronic",
    "acwr_ewma_coupled_seedfirst": "acwr_ewma",
    "acwr_ewma_uncoupled_lag7_seedfirst": "acwr_ewma_uncoupled_lag7",
    "monotony7_pop_sd": "monotony",
    "strain7_pop_sd": "strain",
    "week_over_week_rolling_pct": "week_over_week_pct",
    "ctl_coggan_42": "ctl",
    "atl_coggan_7": "atl",
    "tsb_coggan_prevday": "tsb",
    "ctl_exp_42": "ctl_exp",
    "atl_exp_7": "atl_exp",
    # comparison variants, computed when named
    "ewma_acute_seed0": "ewma_acute_seed0",
    "ewma_chronic_seed0": "ewma_chronic_seed0",
    "acwr_ewma_coupled_seed0": "acwr_ewma_seed0",
    "acwr_ewma_uncoupled_lag1_seedfirst": "acwr_ewma_uncoupled_lag1",
    "monotony7_sample_sd": "monotony_sample",
    "strain7_sample_sd": "strain_sample",
    "tsb_coggan_sameday": "tsb_same_day",
    "tsb_exp_prevday": "tsb_exp",
}
ALL = sorted(set(DAILY_COLUMNS.values()) | {"history_days"})
# Ratios the engine withholds until the chronic window is full, whatever the reference shows.
GATED = {"acwr_ewma", "acwr_ewma_uncoupled_lag7", "acwr_ewma_seed0", "acwr_ewma_uncoupled_lag1"}


def _sessions() -> pd.DataFrame:
    ref = pd.read_csv(REFERENCE / "sessions_spike_reference.csv")
    return pd.DataFrame(
        {
            "id": range(1, len(ref) + 1),
            "sport": "running",
            "start_utc": pd.to_datetime(ref["session_start"]).dt.tz_localize("UTC"),
            "distance_m": ref["distance_km"] * 1000.0,
            "moving_s": ref["distance_km"] * 330.0,
        }
    )


def _daily_activities(loads: pd.Series, dates: pd.Series) -> pd.DataFrame:
    keep = loads > 0
    return pd.DataFrame(
        {
            "sport": "running",
            "start_utc": pd.to_datetime(dates[keep]).dt.tz_localize("UTC") + pd.Timedelta(hours=7),
            "distance_m": loads[keep] * 1000.0,
            "moving_s": 3600.0,
        }
    )


def _compare(days: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(days.index.strftime("%Y-%m-%d")) == list(ref["date"])
    complete = (days["history_days"] >= 28).astype(int)
    assert list(complete) == list(ref["chronic_window_complete"])
    for ref_col, ours in DAILY_COLUMNS.items():
        expected = ref[ref_col].to_numpy(dtype=float)
        got = days[ours].to_numpy(dtype=float)
        if ours in GATED:
            assert np.isnan(got[:27]).all(), f"{ours} shown before 28 days of history"
            expected, got = expected[27:], got[27:]
        assert (np.isnan(got) == np.isnan(expected)).all(), (
            f"{ours}: null where the reference is not"
        )
        # equal_nan, and inf equals inf (monotony of a constant week)
        assert np.allclose(got, expected, rtol=0, atol=TOL, equal_nan=True), ours


def test_main_series_from_the_sessions() -> None:
    """56 days built from the real session list (two runs on day 39 add up to 8 km)."""
    ref = pd.read_csv(REFERENCE / "daily_reference.csv")
    result = compute_daily(_sessions(), date(2024, 2, 25), "UTC", names=ALL)
    _compare(result.days, ref)


def test_published_case_28x50_then_7x100() -> None:
    ref = pd.read_csv(REFERENCE / "daily_reference_published_case.csv")
    result = compute_daily(
        _daily_activities(ref["load"], ref["date"]), date(2024, 2, 4), "UTC", names=ALL
    )
    _compare(result.days, ref)
    day35 = result.days.iloc[34]
    # The published values (Lombergine/acwr README): RAC 1.60, RAU 2.00, EWMA 1.34.
    assert day35["acwr_rolling_coupled"] == pytest.approx(1.60, abs=1e-9)
    assert day35["acwr_rolling_uncoupled"] == pytest.approx(2.00, abs=1e-9)
    assert round(day35["acwr_ewma"], 2) == 1.34


def test_no_ratio_before_28_days() -> None:
    days = compute_daily(_sessions(), date(2024, 2, 25), "UTC").days
    for name in ("acwr_rolling_coupled", "acwr_rolling_uncoupled", "acwr_ewma"):
        assert days[name].iloc[:27].isna().all() and days[name].iloc[27:].notna().all()
    assert REGISTRY["acwr_rolling_coupled"].min_history_days == 28


def test_sessions_spike_reference() -> None:
    ref = pd.read_csv(REFERENCE / "sessions_spike_reference.csv")
    runs = compute_daily(_sessions(), date(2024, 2, 25), "UTC").runs
    assert len(runs) == len(ref)
    longest = runs["longest_prior_30d_m"].to_numpy() / 1000.0
    expected = ref["longest_prior_30d_km"].to_numpy()
    assert np.array_equal(np.isnan(longest), np.isnan(expected))
    assert np.nanmax(np.abs(longest - expected)) < TOL
    pct = runs["spike_pct"].to_numpy(dtype=float)
    assert np.nanmax(np.abs(pct - ref["increase_pct"].to_numpy())) < TOL
    names = {
        None: "no_reference",
        "none": "none_or_<=10pct",
        "small": "small_>10-30pct",
        "moderate": "moderate_>30-100pct",
        "large": "large_>100pct",
    }
    assert [names[b] for b in runs["spike_band"]] == list(ref["category"])
    assert list(runs["full_30d_history"].astype(int)) == list(ref["full_30d_history"])


def test_spike_boundaries_in_whole_metres() -> None:
    ref = pd.read_csv(REFERENCE / "spike_boundary_cases.csv")
    bands = spike_band(ref["distance_km"] * 1000.0, ref["longest_prior_30d_km"] * 1000.0)
    names = {
        "none": "none_or_<=10pct",
        "small": "small_>10-30pct",
        "moderate": "moderate_>30-100pct",
        "large": "large_>100pct",
    }
    assert [names[b] for b in bands] == list(ref["category_exact_metres"])
    # The naive float test would call 11.0 km after 10.0 km a spike; we must not.
    assert spike_band([11_000.0], [10_000.0])[0] == "none"


def test_weekly_reference() -> None:
    ref = pd.read_csv(REFERENCE / "weekly_reference.csv")
    weeks = compute_daily(_sessions(), date(2024, 2, 25), "UTC").weeks
    assert list(weeks["week_start"].dt.strftime("%Y-%m-%d")) == list(ref["week_start_monday"])
    for ours, theirs in (
        ("total", "total"),
        ("change_pct", "change_vs_prev_week_pct"),
        ("longest", "longest_session"),
        ("monotony", "monotony_pop_sd"),
        ("strain", "strain_pop_sd"),
    ):
        got, exp = weeks[ours].to_numpy(dtype=float), ref[theirs].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(got), np.isnan(exp)), ours
        assert np.nanmax(np.abs(got - exp)) < TOL, ours


def test_published_monotony_and_progression_examples() -> None:
    # Foster monotony [0,80,40,0,90,60,80]: published 1.321 with the sample SD.
    week = pd.Series([0, 80, 40, 0, 90, 60, 80], dtype=float)
    acts = _daily_activities(
        week, pd.Series(pd.date_range("2024-01-01", periods=7).strftime("%Y-%m-%d"))
    )
    acts = pd.concat(
        [
            acts,
            pd.DataFrame(
                {
                    "sport": ["running"],
                    "start_utc": [pd.Timestamp("2024-01-01 06:00Z")],
                    "distance_m": [0.0],
                    "moving_s": [0.0],
                }
            ),
        ]
    )
    days = compute_daily(acts, date(2024, 1, 7), "UTC").days
    assert days["monotony"].iloc[-1] * math.sqrt(6 / 7) == pytest.approx(1.3207, abs=1e-4)
    # Week to week: 7 x 10 then 7 x 12 is +20%.
    loads = pd.Series([10.0] * 7 + [12.0] * 7)
    dates = pd.Series(pd.date_range("2024-01-01", periods=14).strftime("%Y-%m-%d"))
    days = compute_daily(_daily_activities(loads, dates), date(2024, 1, 14), "UTC").days
    assert days["week_over_week_pct"].iloc[-1] == pytest.approx(20.0, abs=1e-9)


def test_banister_trimp_examples() -> None:
    ref = pd.read_csv(REFERENCE / "session_load_examples.csv").set_index("metric")["value"]
    assert banister_trimp_mean(60, 150, 50, 190, "male") == pytest.approx(
        ref["Banister TRIMP avgHR (M)"], abs=TOL
    )
    assert banister_trimp_mean(60, 150, 50, 190, "female") == pytest.approx(
        ref["Banister TRIMP avgHR (F)"], abs=TOL
    )
    segments = {130: 1200.0, 160: 1200.0, 175: 1200.0}
    assert banister_trimp(segments, 50, 190, "male") == pytest.approx(
        ref["Banister TRIMP summed per segment (M)"], abs=TOL
    )
    assert banister_trimp_mean(60, 155, 50, 190, "male") == pytest.approx(
        ref["Banister TRIMP from session mean HR (M)"], abs=TOL
    )


def test_many_athletes_equal_one_at_a_time() -> None:
    sessions = _sessions()
    shifted = sessions.assign(
        start_utc=sessions["start_utc"] + pd.Timedelta(days=3),
        distance_m=sessions["distance_m"] * 1.5,
    )
    runs = pd.concat([sessions.assign(athlete="a"), shifted.assign(athlete="b")])
    runs["load"] = runs["distance_m"] / 1000.0
    wide = compute_many(runs, date(2024, 3, 1), {"a": "UTC", "b": "Asia/Tokyo"})
    for athlete, frame, tz in (("a", sessions, "UTC"), ("b", shifted, "Asia/Tokyo")):
        alone = compute_daily(frame, date(2024, 3, 1), tz).days
        col = wide["acwr_rolling_coupled"][athlete].dropna()
        np.testing.assert_allclose(
            col.to_numpy(), alone["acwr_rolling_coupled"].dropna().to_numpy()
        )
        np.testing.assert_allclose(
            wide["ctl"][athlete].dropna().to_numpy(), alone["ctl"].to_numpy()
        )


def test_time_zone_decides_the_day() -> None:
    """A 23:30 run in Berlin is that day's run, though it is the next day... no: the same day
    in Berlin is 22:30 UTC in winter; and a 00:30 Berlin run is the previous day in UTC."""
    late = pd.Timestamp("2024-01-10 23:30", tz="Europe/Berlin").tz_convert("UTC")
    early = pd.Timestamp("2024-01-11 00:30", tz="Europe/Berlin").tz_convert("UTC")
    acts = pd.DataFrame(
        {
            "sport": "running",
            "start_utc": [late, early],
            "distance_m": [5000.0, 7000.0],
            "moving_s": 1800.0,
        }
    )
    berlin = compute_daily(acts, date(2024, 1, 11), "Europe/Berlin").days["load"]
    assert berlin.to_dict() == {pd.Timestamp("2024-01-10"): 5.0, pd.Timestamp("2024-01-11"): 7.0}
    utc = compute_daily(acts, date(2024, 1, 11), "UTC").days["load"]
    assert utc.to_dict() == {pd.Timestamp("2024-01-10"): 12.0, pd.Timestamp("2024-01-11"): 0.0}


def test_walks_and_rides_carry_no_running_load() -> None:
    acts = pd.DataFrame(
        {
            "sport": ["running", "cycling", "walking", "running"],
            "start_utc": pd.to_datetime(
                ["2024-01-01 07:00Z", "2024-01-01 12:00Z", "2024-01-02 07:00Z", "2024-01-03 07:00Z"]
            ),
            "distance_m": [5000.0, 40000.0, 6000.0, 6000.0],
            "moving_s": 1800.0,
        }
    )
    result = compute_daily(acts, date(2024, 1, 3), "UTC")
    assert list(result.days["load"]) == [5.0, 0.0, 6.0]
    assert len(result.runs) == 2


def test_other_load_bases() -> None:
    sessions = _sessions()
    moving = compute_daily(
        sessions, date(2024, 2, 25), "UTC", LoadParams(load_basis="moving_time")
    ).days
    distance = compute_daily(sessions, date(2024, 2, 25), "UTC").days
    # Moving time proportional to distance (5:30 per km) gives the same ratios.
    np.testing.assert_allclose(moving["load"], distance["load"] * 5.5)
    np.testing.assert_allclose(
        moving["acwr_rolling_coupled"].dropna(), distance["acwr_rolling_coupled"].dropna()
    )
    with pytest.raises(ValueError, match="resting and maximum heart rate"):
        compute_daily(sessions, date(2024, 2, 25), "UTC", LoadParams(load_basis="trimp"))
