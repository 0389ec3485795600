"""The pain level a runner's own reports set: none, green, amber or red. Pure: reports and a
day in, a level out.

Borrowed, not validated: the thresholds follow the pain-monitoring model used for Achilles and
patellar tendinopathy (Silbernagel 2007; Sprague 2021) and Esculier 2018's symptom-guided load
modification for patellofemoral pain. No study tested these numbers for runner's knee.

- The latest report counts for `valid_days` days (today and the days before); without one the
  level is `none`: pain is unknown, not absent.
- Its score sets the level: up to `green_max` green, from `red_min` red, between them amber.
- A morning score `response_points` or more above the previous morning's is red (the 24-hour
  response), whatever the score.
- Back to green takes two green reports on different days after the last amber or red one still
  valid; one alone holds at amber.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ..model import PainReport

LEVELS = ("none", "green", "amber", "red")


@dataclass(frozen=True)
class PainThresholds:
    green_max: int = 2
    red_min: int = 6
    response_points: int = 2
    valid_days: int = 7


@dataclass(frozen=True)
class PainStatus:
    level: str  # one of LEVELS
    score: int | None = None  # the latest valid report's, None at level none
    day: date | None = None
    when: str | None = None
    where: str | None = None
    why: str | None = None  # "score", "24h" (a morning jump) or "holding" (one green day since)


def _raw_level(r: PainReport, before: Sequence[PainReport], t: PainThresholds) -> tuple[str, str]:
    """A report's own level and why; `before`: the reports written before it, oldest first."""
    if r.when == "morning":
        mornings = [p for p in before if p.when == "morning" and p.day < r.day]
        if mornings:
            previous = max(mornings, key=lambda p: (p.day, p.id))
            if r.score - previous.score >= t.response_points:
                return "red", "24h"
    if r.score >= t.red_min:
        return "red", "score"
    if r.score > t.green_max:
        return "amber", "score"
    return "green", "score"


def pain_status(reports: Sequence[PainReport], as_of: date, t: PainThresholds) -> PainStatus:
    """The level on `as_of` from the reports on or before it (any order)."""
    known = sorted((r for r in reports if r.day <= as_of), key=lambda r: (r.day, r.id))
    first_valid = as_of - timedelta(days=t.valid_days - 1)
    if not known or known[-1].day < first_valid:
        return PainStatus("none")
    levels = [_raw_level(r, known[:i], t) for i, r in enumerate(known)]
    latest = known[-1]
    level, why = levels[-1]
    if level == "green":
        # The last amber or red report still valid, and the green days since it.
        bad = [
            i for i, (lv, _) in enumerate(levels) if lv != "green" and known[i].day >= first_valid
        ]
        if bad:
            green_days = {r.day for r in known[bad[-1] + 1 :]}
            if len(green_days) < 2:
                level, why = "amber", "holding"
    return PainStatus(level, latest.score, latest.day, latest.when, latest.where, why)
