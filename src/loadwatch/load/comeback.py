"""Return mode: the way back after a break, as loadwatch's own plan. Pure: runs and a day in,
a plan out.

No study tested these numbers. Graded exposure (build back gradually from below what you did
before) is what clinicians advise after time off, not a trial result; the shape here is
loadwatch's plan: from the pre-break level, the first week at most `first_week_pct` % of the
pre-break week, then at most `step_pct` % more each week, a single run capped likewise, until a
week would reach the pre-break level; then the usual comparisons (single-run spike, weekly jump)
take over again.

- A break: `break_days` or more days without a counted run before a run (or before the day asked
  about, when no run has come yet). The plan starts on that run's day (week 1 is that day and the
  6 after it, and so on).
- The pre-break level, from the last run day before the break (P): the 4-week average weekly
  distance (the 28 days ending on P, divided by 4) and the longest run of the 30 days ending on
  P, races left out (see spikes.reference_metres).
- A later break during a plan ends it; the new plan starts from the level before the new break.
- Whole metres throughout, rounded down, as the other rules compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .spikes import reference_metres

MAX_WEEKS = 26  # a plan with a tiny step still ends


@dataclass(frozen=True)
class ReturnParams:
    break_days: int = 14
    first_week_pct: float = 50.0
    step_pct: float = 20.0


@dataclass(frozen=True)
class PlanWeek:
    week: int  # 1, 2, ...
    first_day: date
    last_day: date
    week_m: int  # the most the plan runs in this week
    run_m: int  # the longest single run the plan has in this week


@dataclass(frozen=True)
class ReturnPlan:
    last_run_day: date  # the last run before the break
    first_day: date  # the first run back (or the day asked about, before one)
    break_days: int  # days without a run in between
    pre_week_m: int  # the 4-week average weekly distance before the break
    pre_longest_m: int | None  # the 30-day longest before it (races left out); None: only races
    weeks: tuple[PlanWeek, ...]  # ends early where a later break starts a new plan

    @property
    def last_day(self) -> date:
        return self.weeks[-1].last_day

    def week_on(self, day: date) -> PlanWeek | None:
        for w in self.weeks:
            if w.first_day <= day <= w.last_day:
                return w
        return None


@dataclass(frozen=True)
class PlanBreach:
    """The first run that went beyond a plan: longer than its week's single-run cap, or taking
    the plan week past its distance."""

    plan: ReturnPlan
    week: PlanWeek
    day: date
    start_utc: pd.Timestamp
    distance_m: int
    week_total_m: int  # the plan week's metres with this run


def plan_weeks(
    first_day: date, pre_week_m: int, pre_longest_m: int | None, p: ReturnParams
) -> tuple[PlanWeek, ...]:
    """The weeks of a plan: each a fraction of the pre-break level, the first `first_week_pct`
    %, each next `step_pct` % more, while the fraction stays under 1 (whole metres, down)."""
    weeks = []
    for k in range(1, MAX_WEEKS + 1):
        fraction = p.first_week_pct / 100.0 * (1.0 + p.step_pct / 100.0) ** (k - 1)
        if fraction >= 1.0 - 1e-12:
            break
        week_m = math.floor(pre_week_m * fraction + 1e-9)
        run_m = week_m if pre_longest_m is None else math.floor(pre_longest_m * fraction + 1e-9)
        start = first_day + timedelta(days=7 * (k - 1))
        weeks.append(PlanWeek(k, start, start + timedelta(days=6), week_m, min(run_m, week_m)))
    return tuple(weeks)


def _days(runs: pd.DataFrame) -> np.ndarray:
    return runs["day"].to_numpy(dtype="datetime64[D]")


def return_plans(
    runs: pd.DataFrame, as_of: date, p: ReturnParams = ReturnParams()
) -> list[ReturnPlan]:
    """Every plan up to `as_of`, oldest first: one after each break, and one starting on
    `as_of` itself when the athlete is on a break that day (a run today would start it).

    `runs`: one athlete's counted runs with `day` (local, normalised) and `distance_m`, and
    optionally `race`."""
    end = np.datetime64(as_of, "D")
    days = _days(runs)
    upto = days <= end
    if not upto.any():
        return []
    days = days[upto]
    metres = np.rint(runs["distance_m"].to_numpy(dtype=float))[upto]
    reference = np.rint(reference_metres(runs))[upto]
    run_days = np.unique(days)
    following = np.append(run_days[1:], end)  # the next run day (or the day asked about)
    gaps = (following - run_days).astype(np.int64) - 1
    starts = np.nonzero((following > run_days) & (gaps >= p.break_days))[0]
    plans: list[ReturnPlan] = []
    for i in starts.tolist():
        first, last, gap = following[i], run_days[i], int(gaps[i])
        pre_week_m = int(metres[(days >= last - 27) & (days <= last)].sum()) // 4
        inside = reference[(days >= last - 29) & (days <= last)]
        inside = inside[~np.isnan(inside)]
        pre_longest = int(inside.max()) if len(inside) else None
        if pre_week_m <= 0:
            continue  # nothing to build back to
        weeks = plan_weeks(_date(first), pre_week_m, pre_longest, p)
        if weeks:
            plans.append(ReturnPlan(_date(last), _date(first), gap, pre_week_m, pre_longest, weeks))
    # A later break ends the plan it falls in.
    out = []
    for i, plan in enumerate(plans):
        later = plans[i + 1] if i + 1 < len(plans) else None
        if later is not None and later.first_day <= plan.last_day:
            end_day = later.first_day - timedelta(days=1)
            cut = tuple(
                replace(w, last_day=min(w.last_day, end_day))
                for w in plan.weeks
                if w.first_day < later.first_day
            )
            plan = replace(plan, weeks=cut)
        out.append(plan)
    return out


def _date(d: np.datetime64) -> date:
    return pd.Timestamp(d).date()


def plan_on(plans: list[ReturnPlan], day: date) -> ReturnPlan | None:
    """The plan in force on `day`, if any."""
    for plan in plans:
        if plan.first_day <= day <= plan.last_day:
            return plan
    return None


def in_plans(plans: list[ReturnPlan], days: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Per day: whether a plan is in force (the rules stay quiet there; the plan speaks)."""
    values = pd.DatetimeIndex(days).to_numpy(dtype="datetime64[D]")
    out = np.zeros(len(values), dtype=bool)
    for plan in plans:
        out |= (values >= np.datetime64(plan.first_day)) & (values <= np.datetime64(plan.last_day))
    return out


def week_so_far_m(runs: pd.DataFrame, week: PlanWeek, day: date) -> int:
    """Whole metres run in a plan week from its first day up to `day`."""
    days = _days(runs)
    inside = (days >= np.datetime64(week.first_day)) & (days <= np.datetime64(day))
    return int(np.rint(runs["distance_m"].to_numpy(dtype=float))[inside].sum())


def first_breach(runs: pd.DataFrame, plan: ReturnPlan, min_run_m: int = 0) -> PlanBreach | None:
    """The first run in the plan that went beyond it, in the order the runs started. Runs
    shorter than `min_run_m` count towards the week but never raise it themselves (a GPS blip is
    no run)."""
    days = _days(runs)
    first = np.datetime64(plan.first_day, "D")
    inside = np.nonzero((days >= first) & (days <= np.datetime64(plan.last_day, "D")))[0]
    if not len(inside):
        return None
    clock = runs["start_local"] if "start_local" in runs else runs["start_utc"]
    order = inside[np.argsort(clock.to_numpy()[inside], kind="stable")]
    metres = np.rint(runs["distance_m"].to_numpy(dtype=float)[order]).astype(np.int64)
    week = (days[order] - first).astype(np.int64) // 7
    # Each run's plan week total with it: a running sum that restarts with each week.
    total = np.cumsum(metres)
    starts = np.searchsorted(week, week, side="left")
    total -= np.concatenate([[0], total])[starts]
    week_m = np.array([w.week_m for w in plan.weeks])[week]
    run_m = np.array([w.run_m for w in plan.weeks])[week]
    beyond = np.nonzero((metres >= min_run_m) & ((metres > run_m) | (total > week_m)))[0]
    if not len(beyond):
        return None
    i = int(beyond[0])
    row = int(order[i])
    return PlanBreach(
        plan,
        plan.weeks[int(week[i])],
        pd.Timestamp(days[row]).date(),
        pd.Timestamp(runs["start_utc"].iloc[row]),
        int(metres[i]),
        int(total[i]),
    )
