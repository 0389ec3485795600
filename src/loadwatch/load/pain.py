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

from bisect import bisect_right
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


class PainHistory:
    """One athlete's reports read once, for the level on any day.

    Each report's own level depends only on the reports before it, so it is computed once; the
    level on a day is then a look-up, and walking every day of a history (the rule's episodes)
    stays linear, where calling `pain_status` per day compared every report with every earlier
    one each time."""

    def __init__(self, reports: Sequence[PainReport], t: PainThresholds):
        self.t = t
        self.known = sorted(reports, key=lambda r: (r.day, r.id))
        self.days = [r.day for r in self.known]
        self.levels = _raw_levels(self.known, t)

    def status(self, as_of: date) -> PainStatus:
        """The level on `as_of` from the reports on or before it."""
        t = self.t
        last = bisect_right(self.days, as_of) - 1
        first_valid = as_of - timedelta(days=t.valid_days - 1)
        if last < 0 or self.days[last] < first_valid:
            return PainStatus("none")
        latest = self.known[last]
        level, why = self.levels[last]
        if level == "green":
            # The last amber or red report still valid, and the green days since it.
            i = last
            while i >= 0 and self.days[i] >= first_valid and self.levels[i][0] == "green":
                i -= 1
            if i >= 0 and self.days[i] >= first_valid:
                green_days = set(self.days[i + 1 : last + 1])
                if len(green_days) < 2:
                    level, why = "amber", "holding"
        return PainStatus(level, latest.score, latest.day, latest.when, latest.where, why)


def _raw_levels(known: Sequence[PainReport], t: PainThresholds) -> list[tuple[str, str]]:
    """Each report's own level and why (`known` oldest first): its score, or red for a morning
    `response_points` above the previous morning's (the latest morning of an earlier day)."""
    out = []
    previous: PainReport | None = None  # the latest morning of the days before this one
    today: PainReport | None = None  # the latest morning so far of this report's day
    for i, r in enumerate(known):
        if i and r.day != known[i - 1].day and today is not None:
            previous, today = today, None
        level, why = "green", "score"
        if r.score >= t.red_min:
            level = "red"
        elif r.score > t.green_max:
            level = "amber"
        if (
            r.when == "morning"
            and previous is not None
            and r.score - previous.score >= t.response_points
        ):
            level, why = "red", "24h"
        out.append((level, why))
        if r.when == "morning":
            today = r
    return out


def pain_status(reports: Sequence[PainReport], as_of: date, t: PainThresholds) -> PainStatus:
    """The level on `as_of` from the reports on or before it (any order)."""
    return PainHistory(reports, t).status(as_of)


@dataclass(frozen=True)
class PainEpisode:
    """A red spell: from the first red day until the level is back to green (two green days)
    or unknown (no report for `valid_days`); amber between red days belongs to it."""

    started: date
    status: PainStatus  # the level on the day it started: the report that made it red
    ended: date | None  # the first day no longer in it; None: still on `as_of`


def pain_episodes(history: PainHistory, as_of: date) -> list[PainEpisode]:
    """Every red episode up to `as_of`, oldest first."""
    if not history.known or history.days[0] > as_of:
        return []
    out: list[PainEpisode] = []
    day, started, status = history.days[0], None, None
    while day <= as_of:
        s = history.status(day)
        if started is None and s.level == "red":
            started, status = day, s
        elif started is not None and s.level in ("green", "none"):
            assert status is not None
            out.append(PainEpisode(started, status, day))
            started = None
        if started is None and s.level == "none":
            # Nothing changes until the next report: jump to it.
            nxt = bisect_right(history.days, day)
            if nxt >= len(history.days):
                break
            day = history.days[nxt]
            continue
        day += timedelta(days=1)
    if started is not None:
        assert status is not None
        out.append(PainEpisode(started, status, None))
    return out
