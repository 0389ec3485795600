"""Coach digests: every athlete of a coach, ranked by what needs attention. Pure assembly from
analyses and ledger entries; check.py sends it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .analysis import Analysis
from .model import Alert


@dataclass(frozen=True)
class DigestRow:
    athlete: str
    this_week_km: float
    last_week_km: float
    acwr: float | None
    latest_spike_pct: float | None
    latest_spike_band: str | None
    shoes_near_limit: list[str]
    open_alerts: list[Alert]

    def rank_key(self) -> tuple:
        """Open alerts first, then the highest ratio or spike."""
        score = max(
            self.acwr or 0.0,
            (self.latest_spike_pct or 0.0) / 100.0 + 1.0 if self.latest_spike_pct else 0.0,
        )
        return (-len(self.open_alerts), -score, self.athlete)

    def as_dict(self) -> dict:
        parts = [f"this week {self.this_week_km:.1f} km, last week {self.last_week_km:.1f} km"]
        parts.append(
            f"ratio 7:28 rolling coupled {self.acwr:.2f}"
            if self.acwr is not None
            else "ratio n/a (<28 days)"
        )
        if self.latest_spike_pct is not None:
            parts.append(f"latest spike {self.latest_spike_pct:+.0f}% ({self.latest_spike_band})")
        if self.shoes_near_limit:
            parts.append("shoes: " + ", ".join(self.shoes_near_limit))
        return {
            "athlete": self.athlete,
            "summary": "; ".join(parts),
            "open_alerts": [a.title for a in self.open_alerts],
        }


def digest_row(analysis: Analysis, open_alerts: list[Alert]) -> DigestRow:
    weeks = analysis.distance.weeks
    this_week = float(weeks["total"].iloc[-1]) if len(weeks) else 0.0
    last_week = float(weeks["total"].iloc[-2]) if len(weeks) > 1 else 0.0
    days = analysis.distance.days
    acwr = None
    if len(days):
        v = days["acwr_rolling_coupled"].iloc[-1]
        acwr = None if v is None or math.isnan(v) else float(v)
    spikes = analysis.distance.runs
    spikes = (
        spikes[
            spikes["full_30d_history"] & spikes["spike_band"].isin(["small", "moderate", "large"])
        ]
        if len(spikes)
        else spikes
    )
    last = spikes.iloc[-1] if len(spikes) else None
    near = [
        f"{s.name} {s.km:.0f}/{s.retire_km:.0f} km"
        for s in analysis.shoes
        if not s.retired and s.km >= 0.9 * s.warn_km
    ]
    return DigestRow(
        analysis.athlete.name,
        this_week,
        last_week,
        acwr,
        float(last["spike_pct"]) if last is not None else None,
        last["spike_band"] if last is not None else None,
        near,
        open_alerts,
    )


def rank(rows: list[DigestRow]) -> list[DigestRow]:
    return sorted(rows, key=DigestRow.rank_key)
