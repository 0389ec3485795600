"""Shoe reminders: a shoe passing its warn distance, and again its retirement distance.

The 480-800 km rule is retail and podiatry convention; no prospective study links shoe mileage to
injury. Running in more than one pair in parallel went with fewer injuries in one study of 264
runners (Malisoux 2015, HR 0.614, 95% CI 0.389-0.969). The alert is a
reminder, never a risk claim. Its day is the local day the shoe crossed the distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..model import Alert, Numbers
from ..rulesettings import RuleSetting
from ..units import distance
from . import Rule, nice_day, register

if TYPE_CHECKING:  # the engine is imported where a rule evaluates, not where it declares
    import pandas as pd

CITATION = (
    "Convention: replace at 480-800 km (no outcome trial); Malisoux L et al. Scand J Med Sci Sports "
    "2015;25(1):110-115 (more than one pair in parallel)"
)

SETTINGS = (
    RuleSetting(
        "shoe_alerts",
        True,
        "Remind when a shoe passes its warn and its retire distance.",
        "convention (480-800 km), not outcome evidence",
    ),
)


# The convention in the runner's unit (the same distances: 480-800 km is 300-500 mi).
CONVENTION = {"km": "480-800 km", "mi": "300-500 mi"}


@dataclass(frozen=True)
class ShoeNumbers(Numbers):
    KM = {"distance_m": ("km", 1), "limit_m": ("limit_km", None)}

    shoe: str
    distance_m: float
    limit_m: float
    level: str  # "warn" or "retire"


def _crossing_day(shoe, runs: pd.DataFrame, limit_m: float, as_of: date) -> date | None:
    import pandas as pd

    if shoe.distance_m < limit_m:
        return None
    mine = runs[runs["shoe_id"] == shoe.id].sort_values("start_utc") if len(runs) else runs
    start_m = shoe.distance_m - (mine["distance_m"].sum() if len(mine) else 0.0)
    if start_m >= limit_m or mine.empty:
        return as_of  # the shoe came in past the limit: remind now
    total = start_m + mine["distance_m"].cumsum()
    return pd.Timestamp(mine.loc[(total >= limit_m).idxmax(), "day"]).date()


def evaluate(analysis, settings, since: date | None = None) -> list[Alert]:
    """The strongest level each shoe has passed, as a state that holds today (`ongoing`).

    Only the strongest: a shoe that came in at 700 km and now has 1,220 km is past its
    retirement distance, and saying it passed 640 km would be wrong. Never filtered by `since`:
    a state is news on the first check however long ago it began (one line per worn shoe, and
    the ledger's unique key sends it once)."""
    if not settings.shoe_alerts:
        return []
    name, u = analysis.athlete.name, analysis.athlete.units  # the words in their unit
    runs = analysis.shoe_runs
    out = []
    for shoe in analysis.shoes:
        if shoe.retired:
            continue
        passed = [
            (level, limit)
            for level, limit in (("warn", shoe.warn_m), ("retire", shoe.retire_m))
            if shoe.distance_m >= limit
        ]
        if not passed:
            continue
        level, limit = max(passed, key=lambda p: p[1])
        day = _crossing_day(shoe, runs, limit, analysis.load.as_of)
        if day is None:
            continue
        what = "its reminder distance" if level == "warn" else "its retirement distance"
        text = (
            f"Your shoe {shoe.name} has {distance(shoe.distance_m, u, 0)} on it and passed {what} of "
            f"{distance(limit, u, 0)} on {nice_day(day)}. Replacing running shoes at "
            f"{CONVENTION[u]} is common guidance, not a proven injury threshold; if the cushioning "
            f"feels flat, consider a new pair. In one study of 264 runners, those who ran in more "
            f"than one pair in parallel had fewer injuries (Malisoux 2015, hazard ratio 0.614, "
            f"95% CI 0.389-0.969)."
        )
        out.append(
            Alert(
                key=f"shoe:{analysis.athlete.id}:{shoe.id}:{level}",
                athlete=name,
                rule=f"shoe_{level}",
                day=day,
                title=f"{shoe.name}: {distance(shoe.distance_m, u, 0)}, past "
                f"{distance(limit, u, 0)}",
                text=text,
                citation=CITATION,
                numbers=ShoeNumbers(shoe.name, shoe.distance_m, limit, level),
                ongoing=True,
            )
        )
    return out


RULE = register(
    Rule(
        "shoe",
        CITATION,
        evaluate,
        ShoeNumbers,
        priority=3,  # reminders come last, retirement before the first reminder
        flag="shoe",
        chart="shoes",
        settings=SETTINGS,
        kinds=("shoe_retire", "shoe_warn"),
    )
)
