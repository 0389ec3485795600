"""Weekly jump: the last 7 days more than 30% above the 7 days before (and above the weekly average
of the 14 before), judged on run days; one alert per episode, again only when it gets worse.

Nielsen et al. 2014 (JOSPT 44(10):739-747; 874 novice runners): >30% progression against <10% gave
HR 1.59 (95% CI 0.96-2.66, p = 0.07) for distance-related injuries such as patellofemoral pain; the
confidence interval includes 1, and the overall injury rate did not differ. Frandsen 2025 (5,205
runners) found no relationship for week-to-week change. Weak evidence, and the email says so. The
floor on the earlier week and the stability condition are loadwatch's choices (see
load/progression.py), not Nielsen's. During a return plan after a break (rules/comeback.py) the
plan speaks instead: no weekly jump is named on its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..model import Alert, Numbers
from ..rulesettings import RuleSetting
from ..units import distance
from . import CLINICIAN, POPULATION, Rule, exact_pct, iso_week, nice_day, register
from .episodes import mentions

CITATION = (
    "Nielsen RO et al. Excessive progression in weekly running distance. JOSPT 2014;44(10):739-747"
)

SETTINGS = (
    RuleSetting(
        "weekly_jump_pct",
        30,
        "Alert when the last 7 days are more than this % above the 7 before (and the weekly "
        "average of the 14 before), on run days.",
        "Nielsen et al. 2014, JOSPT 44(10):739-747",
        minimum=0,
    ),
    RuleSetting(
        "weekly_jump_min_km",
        10,
        "Only when the earlier 7 days had at least this many km.",
        "loadwatch's choice (Nielsen 2014 set no floor)",
        # Above 0: a week after an empty one is no jump in % (it read "nan% more"); the return
        # plan after a break judges it.
        positive=True,
        in_metres="weekly_jump_min_m",
    ),
)


@dataclass(frozen=True)
class WeeklyJumpNumbers(Numbers):
    KM = {
        "last7_m": ("last7_km", 3),
        "previous7_m": ("previous7_km", 3),
        "previous14_weekly_m": ("previous14_weekly_km", 3),
    }

    last7_m: float
    previous7_m: float
    change_pct: float
    # Rows written before episodes (2026-10) lack the next four.
    previous14_weekly_m: float | None = None
    episode_started: str | None = None  # ISO day the episode began
    band: int | None = None  # 1, 2, 3: above 1, 2 and 4 times the threshold
    floor_km: float | None = None  # the setting as the user typed it
    window: str = "last 7 days vs the 7 before and the weekly average of the 14 before"

    def episode(self) -> str | None:
        return self.episode_started


def band(pct: float, threshold: float) -> int:
    """1 above the threshold, 2 above twice it, 3 above four times it (30, 60, 120 %)."""
    return 3 if pct > 4 * threshold else 2 if pct > 2 * threshold else 1


def evaluate(analysis, settings, since: date | None = None) -> list[Alert]:
    # The engine where a rule evaluates, not where it declares (every command reads [rules]).
    import numpy as np

    from ..load.comeback import in_plans
    from ..load.progression import (
        daily_metres_array,
        jump_fires_array,
        jump_pct,
        week_over_week_arrays,
    )
    from .comeback import return_params

    runs = analysis.distance.runs
    if runs.empty:
        return []
    # Arrays, not frames: a frame of every day and a record of each firing day cost 7 ms an
    # athlete, most of a club's recompute (the days are many, the mentions few).
    first, daily = daily_metres_array(runs, analysis.distance.as_of)
    if first is None:
        return []
    wow = week_over_week_arrays(daily)
    t = settings.weekly_jump_pct
    fires = jump_fires_array(wow, t, settings.weekly_jump_min_m)
    plans = analysis.distance.return_plans(return_params(settings))
    if plans:
        fires = fires & ~in_plans(plans, first + np.arange(len(daily)))
    at = np.flatnonzero(fires)
    if not len(at):
        return []
    last7, prev7, prev14_weekly, baseline = (
        wow[c][at].tolist() for c in ("last7_m", "prev7_m", "prev14_weekly_m", "baseline_m")
    )
    hits = []
    for day, l7, p7, p14, base in zip(
        (first + at).astype(object), last7, prev7, prev14_weekly, baseline, strict=True
    ):
        row = {"last7_m": l7, "prev7_m": p7, "prev14_weekly_m": p14}
        hits.append((day, band(jump_pct(l7, base), t), (row, jump_pct(l7, p7))))
    aid, name = analysis.athlete.id, analysis.athlete.name
    u = analysis.athlete.units  # the words in their unit; the numbers stay metres
    edges = (t, 2 * t, 4 * t)
    out = []
    for m in mentions(hits):
        if since is not None and m.day < since:
            continue
        row, pct = m.detail
        floor = (
            f"{settings.weekly_jump_min_km:g} km"  # as the runner typed it
            if u == "km"
            else distance(settings.weekly_jump_min_m, u)
        )
        worse = "" if m.started == m.day else f"; the jump began on {nice_day(m.started)}"
        text = (
            f"Your last 7 days ({nice_day(m.day - timedelta(days=6))} to {nice_day(m.day)}) came to "
            f"{distance(row['last7_m'], u)}, {exact_pct(pct, edges)} more than the 7 days before "
            f"({distance(row['prev7_m'], u)}) and above your weekly average of the two weeks "
            f"before that ({distance(row['prev14_weekly_m'], u)}){worse}. "
            f"In 874 novice runners, weeks more than 30% up against under 10% gave a hazard ratio "
            f"of 1.59 for distance-related injuries such as runner's knee, but its 95% CI "
            f"(0.96-2.66, p = 0.07) includes no effect: not a clear association. The overall injury rate "
            f"did not differ, and a study of 5,205 runners found no relationship for week-to-week "
            f"change. Weak evidence, shown because a big jump is worth a second look (loadwatch "
            f"compares only after a week of at least {floor}: its own "
            f"floor, not Nielsen's). "
            f"{POPULATION} {CLINICIAN}"
        )
        out.append(
            Alert(
                key=f"weekly_jump:{aid}:{m.started.isoformat()}:{m.band}",
                athlete=name,
                rule="weekly_jump",
                day=m.day,
                title=f"{distance(row['last7_m'], u, 0)} in 7 days, {exact_pct(pct, edges)} more than the week before",
                text=text,
                citation=CITATION,
                numbers=WeeklyJumpNumbers(
                    last7_m=row["last7_m"],
                    previous7_m=row["prev7_m"],
                    previous14_weekly_m=row["prev14_weekly_m"],
                    change_pct=round(float(pct), 2),
                    episode_started=m.started.isoformat(),
                    band=m.band,
                    floor_km=settings.weekly_jump_min_km,
                ),
                aliases=(f"weekly_jump:{aid}:{iso_week(m.day)}",),
            )
        )
    return out


RULE = register(
    Rule(
        "weekly_jump",
        CITATION,
        evaluate,
        WeeklyJumpNumbers,
        priority=1,
        flag="jump",
        chart="weekly_distance",
        settings=SETTINGS,
    )
)
