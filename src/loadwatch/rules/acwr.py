"""Acute:chronic workload ratio above 1.5 (7:28 rolling, coupled), with 28 days of history.

The threshold comes from team sport (Gabbett 2016; Hulin 2016, rugby league); in runners the ratio
showed a negative dose-response (Frandsen 2025) and the whole construct is disputed (Impellizzeri
2020/2021). The alert says all of that.
"""

from __future__ import annotations

from ..model import Alert
from . import CLINICIAN, Rule, iso_week, nice_day

CITATION = (
    "Gabbett TJ. The training-injury prevention paradox. BJSM 2016;50(5):273-280 (team sport); "
    "Frandsen 2025 found no such rise in runners"
)


def evaluate(analysis, settings) -> list[Alert]:
    if not settings.acwr_enabled:
        return []
    days = analysis.distance.days
    if days.empty:
        return []
    name = analysis.athlete.name
    hit = days["acwr_rolling_coupled"] > settings.acwr_threshold
    out = []
    for ts in days.index[hit.fillna(False).to_numpy()]:
        day = ts.date()
        ratio = days.at[ts, "acwr_rolling_coupled"]
        acute, chronic = days.at[ts, "acute_sum"], days.at[ts, "chronic_sum"] / 4.0
        text = (
            f"On {nice_day(day)} your acute:chronic workload ratio (7:28 rolling, coupled) was {ratio:.2f}: "
            f"{acute:.1f} km in the last 7 days against a weekly average of {chronic:.1f} km over the last 28. "
            f"The {settings.acwr_threshold:g} threshold comes from team-sport studies (Gabbett 2016); in a "
            f"study of 5,205 runners the ratio did not show a rising injury risk, so read it as context for "
            f"the other numbers, not as a verdict. {CLINICIAN}"
        )
        out.append(
            Alert(
                key=f"acwr:{analysis.athlete.id}:{iso_week(day)}",
                athlete=name,
                rule="acwr",
                day=day,
                title=f"acute:chronic ratio {ratio:.2f} (7:28 rolling, coupled; team-sport threshold {settings.acwr_threshold:g})",
                text=text,
                citation=CITATION,
                numbers={
                    "acwr_rolling_coupled": round(float(ratio), 4),
                    "acute7_km": round(float(acute), 3),
                    "chronic28_weekly_km": round(float(chronic), 3),
                    "variant": "7:28 rolling, coupled",
                    "threshold": settings.acwr_threshold,
                },
            )
        )
    return out


RULE = Rule("acwr", CITATION, evaluate)
