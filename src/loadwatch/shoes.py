"""Shoe mileage: the start distance plus every run assigned to the shoe. Pure arithmetic.

The 480–800 km replacement rule is retail and podiatry convention, not outcome evidence (no
prospective study links shoe mileage to injury); loadwatch sends reminders, never risk claims.
Defaults: remind at 640 km (400 mi) and again at 800 km (500 mi).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .model import Shoe


@dataclass(frozen=True)
class ShoeStatus:
    id: int
    name: str
    km: float
    warn_km: float
    retire_km: float
    retired: bool
    runs: int
    default_for: str | None

    @property
    def level(self) -> str:
        """'ok', 'warn' (past the reminder distance) or 'retire' (past the retirement distance)."""
        if self.km >= self.retire_km:
            return "retire"
        if self.km >= self.warn_km:
            return "warn"
        return "ok"

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "km": round(self.km, 3),
            "warn_km": self.warn_km,
            "retire_km": self.retire_km,
            "retired": self.retired,
            "runs": self.runs,
            "default_for": self.default_for,
            "level": self.level,
        }


def shoe_status(shoes: list[Shoe], activities: pd.DataFrame) -> list[ShoeStatus]:
    """`activities`: the primary copies only."""
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
                km=(s.start_m + float(total)) / 1000.0,
                warn_km=s.warn_m / 1000.0,
                retire_km=s.retire_m / 1000.0,
                retired=s.retired,
                runs=int(count),
                default_for=s.default_for,
            )
        )
    return out
