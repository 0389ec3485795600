"""Acute:chronic workload ratio above 1.5 (7:28 rolling, coupled). Off by default.

The threshold comes from team sport (Gabbett 2016; Hulin 2016, rugby league). In runners, Frandsen
2025 (5,205 runners) studied the uncoupled ratio (1 week against the 3 before) and found a negative
dose-response; the whole construct is disputed (Impellizzeri 2020/2021). When enabled it never
fires on trivial volume (a 28-day weekly average under `acwr_min_chronic_km`) or at its cap (a
coupled ratio of 4.0 means no running in the 21 days before the acute week: a return after a
break, which the ratio cannot judge). One alert per episode, again only when it gets worse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..model import Alert, Numbers
from ..rulesettings import RuleSetting
from ..units import distance, metres
from . import CLINICIAN, Rule, iso_week, nice_day, register
from .episodes import mentions

CITATION = (
    "Gabbett TJ. The training-injury prevention paradox. BJSM 2016;50(5):273-280 (team sport); "
    "Frandsen 2025 found a negative dose-response in runners (uncoupled 1:3-week ratio)"
)
CAP = 4.0  # coupled 7:28 ratio with nothing in the 21 days before the acute week
EPSILON = 1e-9  # "above 1.5" means above: 1.5000000000000002 from a float division is not

SETTINGS = (
    RuleSetting(
        "acwr_enabled",
        False,
        "Alert on the 7:28 rolling coupled ratio. Off: its bands come from team sport; in runners "
        "Frandsen 2025 studied another ratio (one week against the 3 before, uncoupled), and "
        "higher values of it went with fewer injuries, not more.",
        "Gabbett 2016; Frandsen 2025 (uncoupled ratio, negative dose-response in runners)",
    ),
    RuleSetting(
        "acwr_threshold",
        1.5,
        "Alert when the 7:28 rolling coupled ratio is above this.",
        "Gabbett 2016, BJSM 50(5):273-280 (team sport)",
        minimum=0,
    ),
    RuleSetting(
        "acwr_min_chronic_km",
        10,
        "No ratio alert while the 28-day weekly average is under this (a ratio of trivial volume).",
        "loadwatch's choice",
        minimum=0,
    ),
)


@dataclass(frozen=True)
class AcwrNumbers(Numbers):
    KM = {"acute7_m": ("acute7_km", 3), "chronic28_weekly_m": ("chronic28_weekly_km", 3)}

    acwr_rolling_coupled: float
    acute7_m: float
    chronic28_weekly_m: float
    variant: str
    threshold: float
    # Rows written before episodes (2026-10) lack the next two.
    episode_started: str | None = None  # ISO day the episode began
    band: int | None = None  # 1, 2, 3: above the threshold, +0.5, +1.0

    def episode(self) -> str | None:
        return self.episode_started


def band(ratio: float, threshold: float) -> int:
    return 3 if ratio > threshold + 1.0 + EPSILON else 2 if ratio > threshold + 0.5 + EPSILON else 1


def evaluate(analysis, settings, since: date | None = None) -> list[Alert]:
    if not settings.acwr_enabled:
        return []
    days = analysis.distance.days
    if days.empty:
        return []
    ratio = days["acwr_rolling_coupled"]
    chronic_week = days["chronic_weekly"]
    hit = (
        (ratio > settings.acwr_threshold + EPSILON)
        & (ratio < CAP - EPSILON)
        & (chronic_week >= settings.acwr_min_chronic_km)
    )
    hits = [
        (ts.date(), band(float(ratio[ts]), settings.acwr_threshold), ts)
        for ts in days.index[hit.fillna(False).to_numpy()]
    ]
    aid, name = analysis.athlete.id, analysis.athlete.name
    u = analysis.athlete.units  # the words in their unit; the numbers are metres
    out = []
    for m in mentions(hits):
        if since is not None and m.day < since:
            continue
        ts = m.detail
        r = float(ratio[ts])
        # The distance basis counts km: metres from here on.
        acute, chronic = metres(days.at[ts, "acute_sum"]), metres(chronic_week[ts])
        text = (
            f"On {nice_day(m.day)} your acute:chronic workload ratio (7:28 rolling, coupled) was "
            f"{r:.2f}: {distance(acute, u)} in the last 7 days against a weekly average of "
            f"{distance(chronic, u)} over the last 28. The {settings.acwr_threshold:g} threshold comes from team-sport "
            f"studies (Gabbett 2016). In runners, a study of 5,205 (Frandsen 2025) looked at a "
            f"different ratio (the last week against the 3 before, uncoupled) and found that higher ratios "
            f"went with fewer, not more, injuries, so read this as context for the other numbers, "
            f"not as a verdict. {CLINICIAN}"
        )
        out.append(
            Alert(
                key=f"acwr:{aid}:{m.started.isoformat()}:{m.band}",
                athlete=name,
                rule="acwr",
                day=m.day,
                title=f"acute:chronic ratio {r:.2f} (7:28 rolling, coupled; team-sport threshold "
                f"{settings.acwr_threshold:g})",
                text=text,
                citation=CITATION,
                numbers=AcwrNumbers(
                    acwr_rolling_coupled=round(r, 4),
                    acute7_m=acute,
                    chronic28_weekly_m=chronic,
                    variant="7:28 rolling, coupled",
                    threshold=settings.acwr_threshold,
                    episode_started=m.started.isoformat(),
                    band=m.band,
                ),
                aliases=(f"acwr:{aid}:{iso_week(m.day)}",),
            )
        )
    return out


RULE = register(
    Rule(
        "acwr",
        CITATION,
        evaluate,
        AcwrNumbers,
        priority=2,
        flag="ratio",
        chart="ratio",
        settings=SETTINGS,
    )
)
