"""The headroom: how long a run today stays within +10% of the 30-day longest (the reference range of
Frandsen 2025), and how much more running today stays under the weekly +30% line (weak evidence:
Nielsen 2014's interval includes no effect). The forward view of the same rules that raise alerts, with
the same windows, whole-metre comparisons and history gates. Pure: runs and a day in, numbers out.

These are population associations turned into arithmetic, not a personal safe limit: staying
inside them is what the studies' reference groups did, nothing more.

- Run today (Frandsen et al. 2025, 5,205 runners): a run more than 10% longer than the longest run
  of the previous 30 days was associated with more overuse injuries (HRR 1.64 for >10-30%). The
  reference counts only runs that are inside the 30-day window whenever today's run starts: runs
  of the last 29 days and earlier today (a run of 30 days ago drops out during today). Runs under
  `min_run_m` never count as spikes.
- More today (Nielsen et al. 2014, 874 novices; weak: HR 1.59, 95% CI 0.96-2.66): the last 7 days
  more than 30% above the 7 before and above the weekly average of the 14 before; see
  progression.py. Applies once there are 21 days of history and the 7 days before had at least
  the floor (loadwatch's choice, not Nielsen's).
- Pain (see pain.py; borrowed thresholds, not validated for runner's knee): applied after the
  numbers above by `bent_by_pain`, so whatever built them (the normal rules, a return plan) stays
  underneath. Amber holds: no run longer than the longest of the last 7 days (no +10%), nothing
  more this week; red: no run today. Both say `reason = "pain"`; green and none change nothing.
- The next drop: the first coming day on which the 30-day longest run shrinks (if no longer run
  comes first), with the longest run that is then within +10%.
- Races the runner marked stay in the weeks but are no longest run to compare with (see
  spikes.reference_metres).
- Return mode (comeback.py, loadwatch's own plan, not a study's): after a break, both numbers come
  from the plan's week instead (`reason` "return"): a run up to the week's single-run cap, and
  no further than the plan week's distance.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .comeback import ReturnParams, ReturnPlan, plan_on, return_plans, week_so_far_m
from .pain import PainStatus
from .spikes import reference_metres

SPIKE_WINDOW_DAYS = 30
SPIKE_HISTORY_DAYS = 30
WEEKLY_HISTORY_DAYS = 21
RETURN_DEFAULTS = ReturnParams()


def within(longest_m: int, pct: float) -> int:
    """The longest whole-metre distance d with 100·d <= (100 + pct)·longest."""
    return int(np.floor((100.0 + pct) * longest_m / 100.0 + 1e-9))


@dataclass(frozen=True)
class RunHeadroom:
    history_days: int
    longest_m: int | None  # the reference, in whole metres; None: no run in the window
    longest_day: date | None
    max_run_m: int | None  # None where the rule cannot compare (see `reason`)
    # None, "history" (under 30 days), "break" (no run in 30 days), "return" (the plan's cap) or
    # "pain" (bent_by_pain)
    reason: str | None


@dataclass(frozen=True)
class WeekHeadroom:
    last7_m: int
    prev7_m: int
    prev14_m: int
    baseline_m: int  # the larger of the 7 before and the weekly average of the 14 before
    more_m: int | None  # metres more today that stay within; None: the rule does not apply
    # None, "history" (under 21 days), "floor" (the 7 before under the floor), "return" (the
    # plan week's distance left) or "pain" (bent_by_pain)
    reason: str | None


@dataclass(frozen=True)
class LongestDrop:
    day: date
    longest_m: int | None  # None: no run left in the window from that day
    max_run_m: int | None


@dataclass(frozen=True)
class Headroom:
    as_of: date
    spike_pct: float
    weekly_pct: float
    run: RunHeadroom
    week: WeekHeadroom
    drop: LongestDrop | None
    # What the runner's own reports say (see pain.py), once `bent_by_pain` applied it; None
    # where the reports were not read.
    pain: PainStatus | None = None
    # The return plan in force on the day (after a break), which set `run` and `week`.
    return_plan: ReturnPlan | None = None


@dataclass(frozen=True)
class _Runs:
    """One athlete's runs up to the day as plain arrays: each run's local day (numpy days),
    whole metres, and whole metres as a reference for later runs (NaN for a race). Read off the
    frame once: a pandas filter per window cost about 2 ms, 15 windows an athlete."""

    days: np.ndarray  # datetime64[D]
    metres: np.ndarray  # int64, rounded to whole metres
    reference: np.ndarray  # float, rounded; NaN: a race (spikes.reference_metres)

    @classmethod
    def of(cls, runs: pd.DataFrame, as_of: date) -> _Runs:
        days = runs["day"].to_numpy(dtype="datetime64[D]")
        upto = days <= np.datetime64(as_of, "D")
        metres = np.rint(runs["distance_m"].to_numpy(dtype=float)[upto]).astype(np.int64)
        return cls(days[upto], metres, np.rint(reference_metres(runs))[upto])

    def longest(self, first: np.datetime64, last: np.datetime64) -> tuple[int | None, date | None]:
        """The longest reference run of the days first..last, and the last day it was run."""
        inside = (self.days >= first) & (self.days <= last)
        metres = self.reference[inside]
        if not (~np.isnan(metres)).any():
            return None, None
        top = int(np.nanmax(metres))
        return top, _date(self.days[inside][metres == top].max())

    def total(self, first: np.datetime64, last: np.datetime64) -> int:
        """Whole metres run on the days first..last."""
        return int(self.metres[(self.days >= first) & (self.days <= last)].sum())


def _date(day: np.datetime64) -> date:
    return date.fromordinal(int(day.astype(np.int64)) + _EPOCH)


_EPOCH = date(1970, 1, 1).toordinal()
_DAY = np.timedelta64(1, "D")


def headroom(
    runs: pd.DataFrame,
    as_of: date,
    spike_pct: float = 10.0,
    weekly_pct: float = 30.0,
    weekly_floor_m: int = 10_000,
    min_run_m: int = 1_000,
    back: ReturnParams | None = RETURN_DEFAULTS,
    plans: list[ReturnPlan] | None = None,
) -> Headroom:
    """`runs`: one athlete's runs with `day` (local) and `distance_m` (and `race`); those after
    `as_of` are ignored. `back`: the return plan's numbers (None: no return mode). `plans`:
    comeback.return_plans of these runs on `as_of` with `back`, when the caller has them (the
    rules read the same plans; computing them again was 5% of a club's recompute)."""
    r = _Runs.of(runs, as_of)
    today = np.datetime64(as_of, "D")
    first_day = _date(r.days.min()) if len(r.days) else None
    history = (as_of - first_day).days + 1 if first_day else 0

    window_start = today - (SPIKE_WINDOW_DAYS - 1) * _DAY
    longest_m, longest_day = r.longest(window_start, today)
    floor_run = min_run_m - 1
    if history <= SPIKE_HISTORY_DAYS:
        run = RunHeadroom(history, longest_m, longest_day, None, "history")
    elif longest_m is None:
        run = RunHeadroom(history, None, None, None, "break")
    else:
        run = RunHeadroom(
            history, longest_m, longest_day, max(within(longest_m, spike_pct), floor_run), None
        )

    if not len(r.days):
        week = WeekHeadroom(0, 0, 0, 0, None, "history")
    else:
        # The windows of progression.week_over_week on the day: the last 7 days, the 7 before,
        # and the 14 before the last 7 (days before the first run hold nothing).
        last7 = r.total(today - 6 * _DAY, today)
        prev7 = r.total(today - 13 * _DAY, today - 7 * _DAY)
        prev14 = r.total(today - 20 * _DAY, today - 7 * _DAY)
        baseline = max(prev7, prev14 // 2)
        if history < WEEKLY_HISTORY_DAYS:
            week = WeekHeadroom(last7, prev7, prev14, baseline, None, "history")
        elif prev7 < weekly_floor_m:
            week = WeekHeadroom(last7, prev7, prev14, baseline, None, "floor")
        else:
            # The rule fires only above both baselines: the larger one bounds the headroom.
            allowed = max(within(prev7, weekly_pct), within(prev14, weekly_pct) // 2)
            week = WeekHeadroom(last7, prev7, prev14, baseline, allowed - last7, None)

    drop = None
    if run.reason is None and longest_m is not None and longest_day is not None:
        # The 30-day longest holds until its last day leaves the window (no run comes after
        # today here); then the longest is that of the days after it.
        ahead = (longest_day - _date(window_start)).days + 1
        m, _ = r.longest(np.datetime64(longest_day, "D") + _DAY, today)
        max_run = max(within(m, spike_pct), floor_run) if m is not None else None
        drop = LongestDrop(as_of + timedelta(days=ahead), m, max_run)
    if back is not None and plans is None:
        plans = return_plans(runs, as_of, back)
    plan = plan_on(plans, as_of) if back is not None and plans is not None else None
    if plan is not None:
        run, week, drop = _on_plan(plan, runs, as_of, run, week)
    return Headroom(as_of, spike_pct, weekly_pct, run, week, drop, return_plan=plan)


def _on_plan(
    plan: ReturnPlan, runs: pd.DataFrame, as_of: date, run: RunHeadroom, week: WeekHeadroom
) -> tuple[RunHeadroom, WeekHeadroom, None]:
    """The headroom from the plan's week: what is left of its distance, and a run no longer than
    its single-run cap nor than what is left."""
    pw = plan.week_on(as_of)
    assert pw is not None  # plan_on found the plan by its weeks
    more = pw.week_m - week_so_far_m(runs, pw, as_of)
    max_run = max(0, min(pw.run_m, more))
    return (
        RunHeadroom(run.history_days, run.longest_m, run.longest_day, max_run, "return"),
        WeekHeadroom(week.last7_m, week.prev7_m, week.prev14_m, week.baseline_m, more, "return"),
        None,
    )


def bent_by_pain(h: Headroom, runs: pd.DataFrame, pain: PainStatus) -> Headroom:
    """The headroom as the runner's pain level leaves it (symptom-guided load, Esculier 2018).

    Amber: hold, no progression: the run cap is the longest run of the last 7 days (0 without
    one), nothing more this week. Red: no run today, nothing more. Either way the next drop is
    not offered (it promises a longer run). Green and none: the numbers as they were."""
    if pain.level not in ("amber", "red"):
        return replace(h, pain=pain)
    cap = 0
    if pain.level == "amber":
        today = np.datetime64(h.as_of, "D")
        longest7, _ = (
            _Runs.of(runs, h.as_of).longest(today - 6 * _DAY, today) if len(runs) else (None, None)
        )
        cap = longest7 or 0
    run = replace(h.run, max_run_m=cap, reason="pain")
    week = replace(h.week, more_m=0, reason="pain")
    return replace(h, run=run, week=week, drop=None, pain=pain)
