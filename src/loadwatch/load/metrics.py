"""Each load metric is a small registered unit: name, unit, variant, minimum history, citation.

Every function takes the wide day-by-athlete grid (see grid.py) and the metrics computed before it,
and returns a frame of the same shape, so 10,000 athletes cost one vectorised pandas operation per
metric. A metric returns NaN (shown as null) where its window is not full, never a number that
only looks meaningful. Formulas and evidence: shared/research/science.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .params import LoadParams

Frames = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    variant: str
    min_history_days: int
    citation: str
    needs: tuple[str, ...]
    compute: Callable[[pd.DataFrame, Frames, LoadParams], pd.DataFrame]
    # Variants kept for comparison with other tools are computed only when asked for by name.
    default: bool = True


REGISTRY: dict[str, Metric] = {}


def metric(
    name: str,
    unit: str,
    variant: str,
    min_history_days: int,
    citation: str,
    needs: tuple[str, ...] = (),
    default: bool = True,
):
    def register(func):
        missing = [n for n in needs if n not in REGISTRY]
        if missing:
            raise ValueError(f"metric {name} needs {missing}, which must be registered first")
        REGISTRY[name] = Metric(
            name, unit, variant, min_history_days, citation, tuple(needs), func, default
        )
        return func

    return register


# Rolling sums are taken over whole micro-units (a millimetre, a micro-minute, a micro-TRIMP):
# sums of integers below 2**53 are exact in float64, so a window with no running is exactly 0 and
# the 21 days before the acute week are exactly empty after a break, instead of the residue of
# float additions and subtractions (which printed a 7:21 ratio of -1.3e16).
MICRO = 1_000_000


def _exact_rolling_sum(grid: pd.DataFrame, days: int) -> pd.DataFrame:
    """The `days`-day total, NaN until the window is full; exact to a micro-unit."""
    micro = grid.mul(MICRO).round()
    return micro.rolling(days, min_periods=days).sum() / MICRO


def _ratio(num: pd.DataFrame, den: pd.DataFrame) -> pd.DataFrame:
    """num/den, NaN where the denominator is 0: a ratio over no chronic load is undefined."""
    return num / den.where(den != 0)


@metric("load", "basis", "daily total", 1, "")
def load(grid, m, p):
    """The day's load (distance, moving time or TRIMP); rest days are 0."""
    return grid


@metric("history_days", "days", "days since the first run, counting that day as 1", 1, "")
def history_days(grid, m, p):
    """What gates every ratio: nothing is shown before the chronic window is full."""
    started = grid.notna().to_numpy()
    first = started.argmax(axis=0)  # each athlete's first day (the grid has no empty column)
    days = np.arange(len(grid))[:, None] - first[None, :] + 1.0
    return pd.DataFrame(np.where(started, days, np.nan), index=grid.index, columns=grid.columns)


@metric("acute_sum", "basis", "7-day rolling total", 7, "Hulin 2014")
def acute_sum(grid, m, p):
    return _exact_rolling_sum(grid, p.acute_days)


@metric("chronic_sum", "basis", "28-day rolling total", 28, "Hulin 2014")
def chronic_sum(grid, m, p):
    return _exact_rolling_sum(grid, p.chronic_days)


@metric(
    "acute_mean", "basis/day", "7-day mean, calendar days", 7, "Hulin 2014", needs=("acute_sum",)
)
def acute_mean(grid, m, p):
    """A_t = (1/7)·Σ L over t−6..t, rest days as 0."""
    return m["acute_sum"] / p.acute_days


@metric(
    "chronic_mean", "basis/day", "28-day mean, coupled", 28, "Hulin 2016", needs=("chronic_sum",)
)
def chronic_mean(grid, m, p):
    """C_t = (1/28)·Σ L over t−27..t: the acute week is part of it (coupled)."""
    return m["chronic_sum"] / p.chronic_days


@metric(
    "chronic_weekly",
    "basis/week",
    "28-day total / 4: the weekly average of the chronic window",
    28,
    "Hulin 2016",
    needs=("chronic_sum",),
)
def chronic_weekly(grid, m, p):
    """W_t = Σ L over t−27..t / 4: what the ratio's floor and the report's chronic column
    compare, in the unit of the acute 7-day total."""
    return m["chronic_sum"] / (p.chronic_days / 7.0)


@metric(
    "chronic_mean_uncoupled",
    "basis/day",
    "21-day mean before the acute week",
    28,
    "Windt & Gabbett 2019; Lolli 2019",
    needs=("chronic_sum", "acute_sum"),
)
def chronic_mean_uncoupled(grid, m, p):
    """C^u_t = (1/21)·Σ L over t−27..t−7: the 21 days before the acute week."""
    return (m["chronic_sum"] - m["acute_sum"]) / (p.chronic_days - p.acute_days)


@metric(
    "acwr_rolling_coupled",
    "ratio",
    "7:28 rolling, coupled",
    28,
    "Hulin 2014/2016; Gabbett 2016 (team sport)",
    needs=("acute_mean", "chronic_mean"),
)
def acwr_rolling_coupled(grid, m, p):
    """A_t / C_t. At most 4.0: the acute week is inside the chronic window."""
    return _ratio(m["acute_mean"], m["chronic_mean"])


@metric(
    "acwr_rolling_uncoupled",
    "ratio",
    "7:21 rolling, uncoupled",
    28,
    "Windt & Gabbett 2019; Frandsen 2025",
    needs=("acute_mean", "chronic_mean_uncoupled"),
)
def acwr_rolling_uncoupled(grid, m, p):
    """A_t / C^u_t = 3R/(4 − R) for the coupled R."""
    return _ratio(m["acute_mean"], m["chronic_mean_uncoupled"])


@metric("ewma_acute", "basis/day", "EWMA N=7, seeded with the first day", 1, "Williams 2017")
def ewma_acute(grid, m, p):
    """E_t = λL_t + (1−λ)E_{t−1}, λ = 2/(N+1), E_1 = L_1 (pandas adjust=False)."""
    return grid.ewm(alpha=2.0 / (p.ewma_acute_n + 1), adjust=False).mean().where(grid.notna())


@metric("ewma_chronic", "basis/day", "EWMA N=28, seeded with the first day", 1, "Williams 2017")
def ewma_chronic(grid, m, p):
    return grid.ewm(alpha=2.0 / (p.ewma_chronic_n + 1), adjust=False).mean().where(grid.notna())


@metric(
    "acwr_ewma",
    "ratio",
    "EWMA 7:28, coupled, seeded with the first day",
    28,
    "Williams 2017; Murray 2017 (team sport)",
    needs=("ewma_acute", "ewma_chronic", "history_days"),
)
def acwr_ewma(grid, m, p):
    """E_a,t / E_c,t, shown only once 28 days of history exist."""
    full = m["history_days"] >= p.chronic_days
    return _ratio(m["ewma_acute"], m["ewma_chronic"]).where(full)


@metric(
    "acwr_ewma_uncoupled_lag7",
    "ratio",
    "EWMA 7:28, chronic lagged 7 days (non-standard)",
    28,
    "no standard definition; see science.md 1.3",
    needs=("ewma_acute", "ewma_chronic", "history_days"),
    default=False,
)
def acwr_ewma_uncoupled_lag7(grid, m, p):
    """E_a,t / E_c,t−7: the chronic average excludes the whole acute week."""
    full = m["history_days"] >= p.chronic_days
    return _ratio(m["ewma_acute"], m["ewma_chronic"].shift(p.acute_days)).where(full)


@metric(
    "week_over_week_pct",
    "%",
    "last 7 days vs the 7 before",
    14,
    "Nielsen 2014",
    needs=("acute_sum",),
)
def week_over_week_pct(grid, m, p):
    """(sum7_t − sum7_{t−7}) / sum7_{t−7} × 100; null when the earlier week was empty."""
    prev = m["acute_sum"].shift(p.acute_days)
    return _ratio(m["acute_sum"] - prev, prev) * 100.0


def _pmc(grid: pd.DataFrame, alpha: float) -> pd.DataFrame:
    # Seed at 0: the grid's row before each athlete's first day becomes an explicit 0, so the
    # recursion starts C_0 = 0, C_1 = α·L_1 exactly as TrainingPeaks does.
    day_before_first = grid.isna() & grid.notna().shift(-1, fill_value=False)
    return grid.mask(day_before_first, 0.0).ewm(alpha=alpha, adjust=False).mean()


@metric(
    "ctl", "basis/day", "PMC CTL τ=42, TrainingPeaks form, seeded at 0", 1, "Coggan/TrainingPeaks"
)
def ctl(grid, m, p):
    """CTL_t = CTL_{t−1} + (L_t − CTL_{t−1})/42, CTL_0 = 0."""
    return _pmc(grid, 1.0 / p.ctl_tau_days).where(grid.notna())


@metric(
    "atl", "basis/day", "PMC ATL τ=7, TrainingPeaks form, seeded at 0", 1, "Coggan/TrainingPeaks"
)
def atl(grid, m, p):
    return _pmc(grid, 1.0 / p.atl_tau_days).where(grid.notna())


@metric(
    "tsb",
    "basis/day",
    "CTL − ATL of the previous day",
    1,
    "Coggan/TrainingPeaks; WKO shift(…,1)",
    needs=("ctl", "atl"),
)
def tsb(grid, m, p):
    """TSB_t = CTL_{t−1} − ATL_{t−1}, shown the next day (0 on the first day: both seeds are 0)."""
    return (m["ctl"] - m["atl"]).shift(1).fillna(0.0).where(grid.notna())


@metric(
    "ctl_exp",
    "basis/day",
    "PMC CTL τ=42, GoldenCheetah exponential form",
    1,
    "GoldenCheetah PMCData",
    default=False,
)
def ctl_exp(grid, m, p):
    return _pmc(grid, 1.0 - math.exp(-1.0 / p.ctl_tau_days)).where(grid.notna())


@metric(
    "atl_exp",
    "basis/day",
    "PMC ATL τ=7, GoldenCheetah exponential form",
    1,
    "GoldenCheetah PMCData",
    default=False,
)
def atl_exp(grid, m, p):
    return _pmc(grid, 1.0 - math.exp(-1.0 / p.atl_tau_days)).where(grid.notna())


@metric(
    "monotony",
    "ratio",
    "7-day mean / population SD",
    7,
    "Foster 1998",
    needs=("acute_mean", "acute_sum"),
)
def monotony(grid, m, p):
    """mean(L, 7 d) / SD(L, 7 d) with ddof 0; SD = 0 gives ∞ and a week without running has no
    monotony (both shown as null, never as 0.00)."""
    return _monotony(grid, m, p, ddof=0)


def _monotony(grid: pd.DataFrame, m: Frames, p: LoadParams, ddof: int) -> pd.DataFrame:
    sd = grid.rolling(p.acute_days, min_periods=p.acute_days).std(ddof=ddof)
    sd = sd.mask(sd.abs() < 1e-9, 0.0)  # a constant week is exactly 0, not rounding noise
    with np.errstate(divide="ignore", invalid="ignore"):
        return (m["acute_mean"] / sd).where(m["acute_mean"] > 0)


@metric(
    "strain", "basis", "7-day total × monotony", 7, "Foster 1998", needs=("acute_sum", "monotony")
)
def strain(grid, m, p):
    return m["acute_sum"] * m["monotony"]


# -- variants for comparison with other tools (not computed unless named) ------------------------
@metric(
    "ewma_acute_seed0",
    "basis/day",
    "EWMA N=7 seeded at 0",
    1,
    "Williams 2017; seeding (b) in science.md",
    default=False,
)
def ewma_acute_seed0(grid, m, p):
    """E_0 = 0, so E_1 = λL_1: early ratios are inflated (3.6 on day 1 of the reference)."""
    return _pmc(grid, 2.0 / (p.ewma_acute_n + 1)).where(grid.notna())


@metric(
    "ewma_chronic_seed0", "basis/day", "EWMA N=28 seeded at 0", 1, "Williams 2017", default=False
)
def ewma_chronic_seed0(grid, m, p):
    return _pmc(grid, 2.0 / (p.ewma_chronic_n + 1)).where(grid.notna())


@metric(
    "acwr_ewma_seed0",
    "ratio",
    "EWMA 7:28, coupled, seeded at 0",
    28,
    "Williams 2017",
    default=False,
    needs=("ewma_acute_seed0", "ewma_chronic_seed0", "history_days"),
)
def acwr_ewma_seed0(grid, m, p):
    full = m["history_days"] >= p.chronic_days
    return _ratio(m["ewma_acute_seed0"], m["ewma_chronic_seed0"]).where(full)


@metric(
    "acwr_ewma_uncoupled_lag1",
    "ratio",
    "EWMA 7:28, chronic lagged 1 day (non-standard)",
    28,
    "no standard definition; see science.md 1.3",
    default=False,
    needs=("ewma_acute", "ewma_chronic", "history_days"),
)
def acwr_ewma_uncoupled_lag1(grid, m, p):
    """E_a,t / E_c,t−1: the chronic average excludes today."""
    full = m["history_days"] >= p.chronic_days
    return _ratio(m["ewma_acute"], m["ewma_chronic"].shift(1)).where(full)


@metric(
    "monotony_sample",
    "ratio",
    "7-day mean / sample SD (ddof 1)",
    7,
    "Foster 1998",
    default=False,
    needs=("acute_mean",),
)
def monotony_sample(grid, m, p):
    """Foster does not say which SD; the sample SD reads 7.4% lower (factor √(6/7))."""
    return _monotony(grid, m, p, ddof=1)


@metric(
    "strain_sample",
    "basis",
    "7-day total × sample-SD monotony",
    7,
    "Foster 1998",
    default=False,
    needs=("acute_sum", "monotony_sample"),
)
def strain_sample(grid, m, p):
    return m["acute_sum"] * m["monotony_sample"]


@metric(
    "tsb_same_day",
    "basis/day",
    "CTL − ATL of the same day",
    1,
    "Coggan/TrainingPeaks",
    default=False,
    needs=("ctl", "atl"),
)
def tsb_same_day(grid, m, p):
    return m["ctl"] - m["atl"]


@metric(
    "tsb_exp",
    "basis/day",
    "CTL − ATL of the previous day, GoldenCheetah form",
    1,
    "GoldenCheetah PMCData",
    default=False,
    needs=("ctl_exp", "atl_exp"),
)
def tsb_exp(grid, m, p):
    return (m["ctl_exp"] - m["atl_exp"]).shift(1).fillna(0.0).where(grid.notna())


def compute_metrics(grid: pd.DataFrame, params: LoadParams, names=None) -> Frames:
    """The named metrics (default: the default set) and what they need, in registration order."""
    wanted = set(names) if names else {n for n, unit in REGISTRY.items() if unit.default}
    stack = list(wanted)
    while stack:
        for dep in REGISTRY[stack.pop()].needs:
            if dep not in wanted:
                wanted.add(dep)
                stack.append(dep)
    frames: Frames = {}
    for name, unit in REGISTRY.items():
        if name in wanted:
            frames[name] = unit.compute(grid, frames, params)
    return frames
