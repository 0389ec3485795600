"""Shoe mileage: the start distance plus every run assigned to the shoe. Pure arithmetic.

The 480–800 km replacement rule is retail and podiatry convention, not outcome evidence (no
prospective study links shoe mileage to injury); loadwatch sends reminders, never risk claims.
Defaults: remind at 640 km (400 mi) and again at 800 km (500 mi).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .model import Shoe
from .units import METRES, amount


@dataclass(frozen=True)
class ShoeStatus:
    id: int
    name: str
    distance_m: float  # metres until a renderer says them in km or mi (units.py)
    warn_m: float
    retire_m: float
    retired: bool
    runs: int
    default_for: str | None

    @property
    def level(self) -> str:
        """'ok', 'warn' (past the reminder distance) or 'retire' (past the retirement distance)."""
        if self.distance_m >= self.retire_m:
            return "retire"
        if self.distance_m >= self.warn_m:
            return "warn"
        return "ok"

    def as_json(self) -> dict:
        """The JSON fields as they have always been, in km."""
        return {
            "name": self.name,
            "km": round(self.distance_m / METRES["km"], 3),
            "warn_km": amount(self.warn_m, "km"),
            "retire_km": amount(self.retire_m, "km"),
            "retired": self.retired,
            "runs": self.runs,
            "default_for": self.default_for,
            "level": self.level,
        }


def shoe_status(shoes: list[Shoe], activities: pd.DataFrame) -> list[ShoeStatus]:
    """`activities`: the primary copies only."""
    if not shoes:
        return []  # most runners of a club: no grouping of runs for no shoes
    if len(activities) and "shoe_id" in activities:
        assigned = activities.dropna(subset=["shoe_id"])
        per_shoe = assigned.groupby(assigned["shoe_id"].astype(int))["distance_m"].agg(
            ["sum", "count"]
        )
    else:
        per_shoe = pd.DataFrame(columns=["sum", "count"])
    out = []
    for s in shoes:
        total, count = (
            (per_shoe.loc[s.id, "sum"], per_shoe.loc[s.id, "count"])
            if s.id in per_shoe.index
            else (0.0, 0)
        )
        out.append(
            ShoeStatus(
                id=int(s.id),
                name=s.name,
                distance_m=s.start_m + float(total),
                warn_m=s.warn_m,
                retire_m=s.retire_m,
                retired=s.retired,
                runs=int(count),
                default_for=s.default_for,
            )
        )
    return out
