"""Return plan: after a break, one alert for the first run that goes beyond loadwatch's plan.

After 14 or more days without a run, the usual comparisons say the wrong things: the 30-day
longest is gone ("nothing to compare with"), the week before is under the floor ("no limit"), and
the second run back (5 km after 4 km) reads as a spike. While a return plan lasts (see
load/comeback.py) the spike and weekly-jump rules stay quiet and this rule speaks instead, once
per plan: for the first run longer than the plan week's single-run cap, or taking the plan week
past its distance.

The plan is loadwatch's own. Building back gradually after time off (graded exposure) is what
clinicians advise; no trial tested these numbers, and the email says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..model import Alert, Numbers
from ..rulesettings import RuleSetting, RuleSettings
from ..units import Units, distance
from . import CLINICIAN, Rule, nice_day, register

if TYPE_CHECKING:
    from ..load.comeback import ReturnParams

CITATION = (
    "loadwatch's return plan (graded exposure as advised after time off; not tested in a trial)"
)
SETTINGS = (
    RuleSetting(
        "return_break_days",
        14,
        "Days without a run that start return mode: the headroom and the alerts follow "
        "loadwatch's return plan until the pre-break level is reached.",
        "loadwatch's choice (no study set this)",
        kind=int,
        minimum=1,
    ),
    RuleSetting(
        "return_first_week_pct",
        50,
        "The return plan's first week: at most this % of the pre-break weekly average (4 "
        "weeks) and of the pre-break 30-day longest run.",
        "loadwatch's choice (graded exposure; no trial tested the numbers)",
        positive=True,
    ),
    RuleSetting(
        "return_step_pct",
        20,
        "Each next week of the return plan: at most this % more than the week before, the "
        "single run likewise.",
        "loadwatch's choice (graded exposure; no trial tested the numbers)",
        positive=True,
    ),
)


def return_params(settings: RuleSettings) -> ReturnParams:
    """The plan's numbers from `[rules]` (the headroom and three rules read the same)."""
    from ..load.comeback import ReturnParams

    return ReturnParams(
        int(settings.return_break_days),
        float(settings.return_first_week_pct),
        float(settings.return_step_pct),
    )


@dataclass(frozen=True)
class ReturnNumbers(Numbers):
    KM = {
        "distance_m": ("distance_km", 3),
        "plan_run_m": ("plan_run_km", 3),
        "plan_week_m": ("plan_week_km", 3),
        "week_m": ("week_km", 3),
        "pre_week_m": ("pre_week_km", 3),
        "pre_longest_m": ("pre_longest_km", 3),
    }

    distance_m: float
    plan_week: int
    plan_weeks: int
    plan_run_m: float  # the week's single-run cap
    plan_week_m: float  # the week's distance
    week_m: float  # the plan week's distance with this run
    break_days: int
    pre_week_m: float
    pre_longest_m: float | None
    plan_started: str  # ISO day of the first run back
    start_utc: str | None = None


def _km(m: float | None, u: Units = "km") -> str:
    return "-" if m is None else distance(m, u)


def evaluate(analysis, settings, since: date | None = None) -> list[Alert]:
    from ..load.comeback import first_breach

    runs = analysis.distance.runs
    if runs.empty:
        return []
    min_m = settings.spike_min_m
    aid, name = analysis.athlete.id, analysis.athlete.name
    u = analysis.athlete.units  # the words in their unit; the numbers stay metres
    out = []
    for plan in analysis.distance.return_plans(return_params(settings)):
        b = first_breach(runs, plan, min_m)
        if b is None or (since is not None and b.day < since):
            continue
        w = b.week
        why = (
            f"longer than the plan's {_km(w.run_m, u)} for a single run this week"
            if b.distance_m > w.run_m
            else f"taking the plan week to {_km(b.week_total_m, u)}, past its {_km(w.week_m, u)}"
        )
        before = f"{_km(plan.pre_week_m, u)} a week"
        if plan.pre_longest_m is not None:
            before += f", longest run {_km(plan.pre_longest_m, u)}"
        text = (
            f"Your {_km(b.distance_m, u)} run on {nice_day(b.day)} went beyond loadwatch's return "
            f"plan after {plan.break_days} days without a run: week {w.week} of "
            f"{len(plan.weeks)} ({nice_day(w.first_day)} to {nice_day(w.last_day)}) allows "
            f"{_km(w.week_m, u)} with runs up to {_km(w.run_m, u)}, and this run was {why}. The plan "
            f"builds back from your level before the break ({before}): the first week at most "
            f"{settings.return_first_week_pct:g}% of it, then at most "
            f"{settings.return_step_pct:g}% more a week, until that level is reached. It is "
            "loadwatch's plan, the graded build-up clinicians advise after time off, not a "
            "tested prescription; this is the one alert of this plan. "
            f"{CLINICIAN}"
        )
        start = b.start_utc.tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")
        out.append(
            Alert(
                key=f"return_plan:{aid}:{plan.first_day.isoformat()}",
                athlete=name,
                rule="return_plan",
                day=b.day,
                title=f"{_km(b.distance_m, u)} run beyond the return plan (week {w.week}: runs up "
                f"to {_km(w.run_m, u)}, {_km(w.week_m, u)} in the week)",
                text=text,
                citation=CITATION,
                numbers=ReturnNumbers(
                    distance_m=b.distance_m,
                    plan_week=w.week,
                    plan_weeks=len(plan.weeks),
                    plan_run_m=w.run_m,
                    plan_week_m=w.week_m,
                    week_m=b.week_total_m,
                    break_days=plan.break_days,
                    pre_week_m=plan.pre_week_m,
                    pre_longest_m=plan.pre_longest_m or None,
                    plan_started=plan.first_day.isoformat(),
                    start_utc=start,
                ),
            )
        )
    return out


RULE = register(
    Rule(
        "return_plan",
        CITATION,
        evaluate,
        ReturnNumbers,
        priority=0.25,  # after a break it speaks where the spike rule would
        flag="return",
        chart="run_spikes",
        settings=SETTINGS,
    )
)
