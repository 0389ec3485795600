"""Invariants of the engine on random training histories (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from loadwatch.load import compute_daily

START = date(2024, 1, 1)
loads = st.lists(
    st.one_of(st.just(0.0), st.floats(min_value=0.5, max_value=60.0, allow_nan=False)),
    min_size=1,
    max_size=120,
)


def _activities(kms: list[float]) -> pd.DataFrame:
    kms = [5.0, *kms]  # a run on day 1 starts the history
    days = [START + timedelta(days=i) for i, km in enumerate(kms) if km > 0]
    return pd.DataFrame(
        {
            "sport": "running",
            "start_utc": pd.to_datetime([f"{d}T06:00Z" for d in days]),
            "distance_m": [km * 1000.0 for km in kms if km > 0],
            "moving_s": 1800.0,
        }
    )


@settings(max_examples=150, deadline=None)
@given(loads)
def test_ratio_invariants(kms: list[float]) -> None:
    as_of = START + timedelta(days=len(kms))
    days = compute_daily(_activities(kms), as_of, "UTC").days
    # A rest day is a 0, never a missing row.
    assert len(days) == len(kms) + 1 and days["load"].notna().all()
    r = days["acwr_rolling_coupled"].to_numpy(dtype=float)
    u = days["acwr_rolling_uncoupled"].to_numpy(dtype=float)
    assert np.isnan(r[:27]).all() and np.isnan(u[:27]).all()
    ok = ~np.isnan(r)
    # The acute week is inside the chronic window: at most 28/7 = 4.
    assert (r[ok] <= 4.0 + 1e-9).all() and (r[ok] >= 0).all()
    finite = ok & (r < 4.0 - 1e-9) & ~np.isnan(u)
    np.testing.assert_allclose(u[finite], 3 * r[finite] / (4 - r[finite]), rtol=1e-9, atol=1e-9)
    assert (days["ctl"] >= 0).all() and (days["atl"] >= 0).all()
    # TSB is yesterday's CTL - ATL.
    tsb = (days["ctl"] - days["atl"]).shift(1).fillna(0.0)
    np.testing.assert_allclose(days["tsb"], tsb, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(loads, st.integers(min_value=0, max_value=40))
def test_the_future_does_not_change_the_past(kms: list[float], cut: int) -> None:
    as_of = START + timedelta(days=min(cut, len(kms)))
    full = compute_daily(_activities(kms), START + timedelta(days=len(kms)), "UTC").days
    part = compute_daily(_activities(kms), as_of, "UTC").days
    pd.testing.assert_frame_equal(part, full.loc[: pd.Timestamp(as_of)], check_freq=False)
