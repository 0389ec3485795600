"""Weekly jump: the last 7 days more than 30% above the 7 days before.

Nielsen et al. 2014 (JOSPT 44(10):739-747; 874 novice runners): >30% progression against <10% gave
HR 1.59 (95% CI 0.96-2.66, p=0.07) for distance-related injuries such as patellofemoral pain.
Weak evidence, said so. Only when the earlier 7 days were at least `weekly_jump_min_km`.
"""

from __future__ import annotations

from datetime import timedelta

from ..model import Alert
from . import CLINICIAN, POPULATION, Rule, iso_week, nice_day

CITATION = (
    "Nielsen RO et al. Excessive progression in weekly running distance. JOSPT 2014;44(10):739-747"
)


def evaluate(analysis, settings) -> list[Alert]:
    days = analysis.distance.days
    if days.empty:
        return []
    name = analysis.athlete.name
    prev = days["acute_sum"].shift(7)
    hit = (days["week_over_week_pct"] > settings.weekly_jump_pct) & (
        prev >= settings.weekly_jump_min_km
    )
    out = []
    for ts in days.index[hit.fillna(False).to_numpy()]:
        day = ts.date()
        now, before, pct = days.at[ts, "acute_sum"], prev.at[ts], days.at[ts, "week_over_week_pct"]
        text = (
            f"Your last 7 days ({nice_day(day - timedelta(days=6))} to {nice_day(day)}) came to {now:.1f} km, "
            f"{pct:.0f}% more than the 7 days before ({before:.1f} km). In 874 novice runners, weekly increases "
            f"of more than 30% were associated with more distance-related injuries such as runner's knee "
            f"(hazard ratio 1.59, 95% CI 0.96-2.66: weak evidence). {POPULATION} {CLINICIAN}"
        )
        out.append(
            Alert(
                key=f"weekly_jump:{analysis.athlete.id}:{iso_week(day)}",
                athlete=name,
                rule="weekly_jump",
                day=day,
                title=f"{now:.0f} km in 7 days, {pct:.0f}% more than the week before",
                text=text,
                citation=CITATION,
                numbers={
                    "last7_km": round(float(now), 3),
                    "previous7_km": round(float(before), 3),
                    "change_pct": round(float(pct), 2),
                    "window": "last 7 days vs the 7 before",
                },
            )
        )
    return out


RULE = Rule("weekly_jump", CITATION, evaluate)
