"""Every registered metric and rule declares what it is, and metrics honour their minimum history."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from loadwatch.load import REGISTRY, LoadParams, compute_many
from loadwatch.rules import registry


def _daily_runs(days: int) -> pd.DataFrame:
    start = pd.Timestamp("2024-01-01 07:00", tz="UTC")
    km = 5.0 + (np.arange(days) % 4)  # a run every day, never a constant week
    return pd.DataFrame(
        {
            "athlete": "a",
            "start_utc": start + pd.to_timedelta(np.arange(days), unit="D"),
            "load": km,
            "sport": "running",
        }
    )


@pytest.mark.parametrize("name", list(REGISTRY))
def test_metric_declares_itself_and_honours_its_minimum_history(name: str) -> None:
    m = REGISTRY[name]
    assert m.unit and m.variant and m.min_history_days >= 1
    if m.unit in ("ratio", "%"):
        assert m.citation, f"{name} is a ratio without its study"
    frames = compute_many(
        _daily_runs(60), date(2024, 1, 1) + timedelta(days=59), {"a": "UTC"}, LoadParams(), [name]
    )
    values = frames[name]["a"].to_numpy(dtype=float)
    assert np.isnan(values[: m.min_history_days - 1]).all(), (
        f"{name} shows a value before its window is full"
    )
    assert not np.isnan(values[m.min_history_days - 1 :]).any(), (
        f"{name} is null with a full window"
    )


def test_rules_declare_name_and_study() -> None:
    rules = registry()
    assert [r.name for r in rules] == ["run_spike", "weekly_jump", "acwr", "shoe"]
    assert all(r.citation and callable(r.evaluate) for r in rules)
