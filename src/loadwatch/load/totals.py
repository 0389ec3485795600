"""Totals by week, month or year, the year to date and the longest runs: what a runner's log
adds up to. Pure: counted runs in (local day, distance, time, climb), rows out in metres and
seconds (the renderers say them in the reader's km or mi); `as_of` given.

Every period from the first run's to `as_of`'s is listed, the empty ones as zeros (a week off is
part of the log). Climb sums only the runs that carried altitude; a period with none has None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

BY = ("week", "month", "year")
LONGEST_SHOWN = 5


@dataclass(frozen=True)
class RunFacts:
    id: int
    day: date  # the local day it counts on
    distance_m: float
    moving_s: float | None
    ascent_m: float | None
    descent_m: float | None


@dataclass(frozen=True)
class PeriodTotal:
    period: str  # "2026-11-02" (a week, by its Monday), "2026-11", "2026", or a span's words
    start: date
    end: date  # inclusive
    runs: int
    distance_m: float
    moving_s: float
    ascent_m: float | None
    descent_m: float | None
    longest_m: float | None


@dataclass(frozen=True)
class Totals:
    as_of: date
    by: str
    periods: list[PeriodTotal]  # oldest first
    year_to_date: PeriodTotal
    last_year_to_date: PeriodTotal  # 1 January to the same day a year before
    longest: list[RunFacts]  # the longest runs of the whole log, longest first


def period_start(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next(start: date, by: str) -> date:
    if by == "week":
        return start + timedelta(days=7)
    if by == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def _label(start: date, by: str) -> str:
    return {"week": start.isoformat(), "month": f"{start:%Y-%m}", "year": f"{start:%Y}"}[by]


def _climb(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 1) if known else None


def _total(period: str, start: date, end: date, runs: Sequence[RunFacts]) -> PeriodTotal:
    return PeriodTotal(
        period,
        start,
        end,
        len(runs),
        round(sum(r.distance_m for r in runs), 1),
        round(sum(r.moving_s or 0.0 for r in runs), 1),
        _climb([r.ascent_m for r in runs]),
        _climb([r.descent_m for r in runs]),
        max(r.distance_m for r in runs) if runs else None,
    )


def _same_day_a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def totals(runs: Sequence[RunFacts], as_of: date, by: str = "week") -> Totals:
    if by not in BY:
        raise ValueError(f"by {by!r}: one of {', '.join(BY)}")
    mine = sorted((r for r in runs if r.day <= as_of), key=lambda r: (r.day, r.id))
    groups: dict[date, list[RunFacts]] = {}
    for r in mine:
        groups.setdefault(period_start(r.day, by), []).append(r)
    periods = []
    if mine:
        start, last = period_start(mine[0].day, by), period_start(as_of, by)
        while start <= last:
            end = min(_next(start, by) - timedelta(days=1), as_of)
            periods.append(_total(_label(start, by), start, end, groups.get(start, [])))
            start = _next(start, by)
    jan1 = as_of.replace(month=1, day=1)
    before = _same_day_a_year_before(as_of)
    ytd = [r for r in mine if r.day >= jan1]
    last_ytd = [r for r in mine if before.replace(month=1, day=1) <= r.day <= before]
    longest = sorted(mine, key=lambda r: (-r.distance_m, r.day))[:LONGEST_SHOWN]
    return Totals(
        as_of,
        by,
        periods,
        _total(f"{as_of.year} to date", jan1, as_of, ytd),
        _total(
            f"{before.year} to {before.day} {before:%b}",
            before.replace(month=1, day=1),
            before,
            last_ytd,
        ),
        longest,
    )
