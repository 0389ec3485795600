"""Every registered metric and rule declares what it is, and metrics honour their minimum history."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from loadwatch.load import REGISTRY, LoadParams, compute_many
from loadwatch.model import NUMBER_TYPES, Numbers
from loadwatch.render.charts import ALERT_CHARTS
from loadwatch.rules import chart_of, flag_of, priority, registry, rule_of
from loadwatch.rulesettings import SECTION_KEYS, declared


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
    assert [r.name for r in rules] == [
        "pain",
        "run_spike",
        "return_plan",
        "weekly_jump",
        "acwr",
        "shoe",
    ]
    assert all(r.citation and callable(r.evaluate) for r in rules)


@pytest.mark.parametrize("rule", registry(), ids=lambda r: r.name)
def test_rule_declares_itself(rule) -> None:
    """Its study, a priority, a digest flag, a chart an email can carry, typed numbers that
    read its stored alerts back, and settings with a default, help and study each."""
    assert rule.citation and callable(rule.evaluate)
    assert rule.flag and rule.chart in ALERT_CHARTS
    assert issubclass(rule.numbers, Numbers) and dataclasses.is_dataclass(rule.numbers)
    assert dataclasses.fields(rule.numbers), f"{rule.name} declares no numbers"
    for kind in rule.alert_kinds:
        assert rule_of(kind) is rule and NUMBER_TYPES[kind] is rule.numbers
        assert priority(kind)[0] == rule.priority
        assert flag_of(kind) == rule.flag and chart_of(kind) == rule.chart
    for s in rule.settings:
        assert s.key and s.help and s.citation, f"{rule.name}: {s.key} needs a help and a study"
        assert s.metadata["kind"] and s.default is not None


def test_rule_registry_has_no_clashes() -> None:
    rules = registry()
    names = [r.name for r in rules]
    kinds = [k for r in rules for k in r.alert_kinds]
    priorities = [r.priority for r in rules]
    keys = [s.key for s in declared()]
    assert len(set(names)) == len(names) and len(set(kinds)) == len(kinds)
    assert len(set(priorities)) == len(priorities)
    assert len(set(keys)) == len(keys)
    assert keys == [s.key for r in rules for s in r.settings] + [s.key for s in SECTION_KEYS]
    # An alert's order in the email: by its rule, then by its kind's place in the rule.
    assert sorted(kinds, key=priority) == [
        "pain", "run_spike", "return_plan", "weekly_jump", "acwr", "shoe_retire", "shoe_warn"
    ]  # fmt: skip


def test_report_variants_are_the_metric_registrys_words() -> None:
    """Every number of a report's day rows is described, in the registry's words (one source)."""
    from loadwatch.render.report import KM_NAMES
    from loadwatch.views import SHOWN_METRICS, VARIANTS, DayRow

    # The report's JSON names them, the km names for the rows' metres.
    columns = {KM_NAMES.get(f.name, f.name) for f in dataclasses.fields(DayRow)}
    columns -= {"date", "distance_km"}
    assert columns == set(SHOWN_METRICS)
    for column, metric in SHOWN_METRICS.items():
        assert VARIANTS[column].startswith(REGISTRY[metric].variant), column
        assert REGISTRY[metric].citation in VARIANTS[column], column
