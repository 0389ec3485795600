"""The calendar feed: an all-day event per coming day with its headroom, and each alert on its
day, as iCalendar (RFC 5545) for a phone or desktop calendar to subscribe to.

Each coming day says what its headroom would be if the runner runs nothing more before it: its
windows moved on, the runs those imported, a pain report holding for the days it is valid (see
views.headroom_days). During a return after a break, each day falls in the plan week it is in
(the plan's weeks are dated from the first run back); before that first run, the plan starts on
whichever day the runner starts: each day then reads week 1 "if you start back this day", as
the return rule would judge a first run that day (a later week's numbers promised for a day the
plan has not reached would be overruled by the rule itself).

Worded as every other surface words the headroom: the lines the studies compared groups of
runners on, not a personal safe limit. Pure: the numbers and a moment in, bytes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from ..load.comeback import PlanWeek
from ..load.headroom import Headroom
from ..model import Alert, Athlete
from ..units import Units, distance_down
from ..views import HEADROOM_EVIDENCE, headroom_lines

PRODID = "-//loadwatch//calendar feed//EN"
NOTHING_MORE = "If you run nothing more before then:"


@dataclass(frozen=True)
class PlanDay:
    """Where a coming day falls in the return plan: its dated week, of how many, and whether
    the plan is still waiting for the first run back (it starts on the day the runner starts)."""

    week: PlanWeek
    weeks: int
    waits: bool


def plan_day(h: Headroom, last_run_day: date | None) -> PlanDay | None:
    """The plan week of the day `h` describes, given the day of the runner's latest run so far
    (None: no run yet); None outside a return plan."""
    plan = h.return_plan
    week = plan.week_on(h.as_of) if plan is not None else None
    if plan is None or week is None:
        return None
    waits = plan.first_day == h.as_of and (last_run_day is None or last_run_day < h.as_of)
    return PlanDay(week, len(plan.weeks), waits)


def _plan_words(d: PlanDay) -> str:
    if d.waits:
        return f"Return plan week 1 of {d.weeks} if you start back this day"
    return f"Return plan week {d.week.week} of {d.weeks}"


def headroom_summary(h: Headroom, units: Units = "km", plan: PlanDay | None = None) -> str:
    """One short line for the calendar's day view: "Run up to 13.2 km; up to 6.5 km more",
    led by the return plan's week when the day falls in one."""
    text = _run_words(h, units)
    # Nothing more while it hurts: the hold says so.
    more = None if h.run.reason == "pain" else _more_words(h, units, plan)
    text = f"{text}; {more}" if text and more else text or more or ""
    text = text or "Headroom: not enough history to compare"
    if plan is None:
        return text
    return f"{_plan_words(plan)}: {text[0].lower()}{text[1:]}"


def _run_words(h: Headroom, units: Units) -> str | None:
    cap = h.run.max_run_m
    if h.run.reason == "pain" and h.pain is not None:
        if h.pain.level == "red":
            return "Pain red: no run, rest or cross-train"
        if cap:
            return f"Pain amber: hold, run up to {distance_down(cap, units)}"
        return "Pain amber: hold, no run (none in the 7 days before to hold at)"
    if h.run.reason == "return" and not cap:
        return "No run: the plan week's distance is reached"
    return None if cap is None else f"Run up to {distance_down(cap, units)}"


def _more_words(h: Headroom, units: Units, plan: PlanDay | None) -> str | None:
    """What more the day allows: what is left of the plan week (of its first week while the
    plan waits for the first run back), or of the weekly line."""
    more = h.week.more_m
    if more is None:
        return None
    if h.week.reason == "return":
        where = "in its first week" if plan is not None and plan.waits else "more this plan week"
        return f"up to {distance_down(more, units)} {where}" if more > 0 else None
    if h.week.reason is None:
        if more >= 0:
            return f"up to {distance_down(more, units)} in all that day"
        return f"week already above +{h.weekly_pct:g}%"
    return None


def feed(
    athlete: Athlete,
    days: Sequence[Headroom],
    alerts: Sequence[Alert],
    now: datetime,
    units: Units | None = None,
    last_run_day: date | None = None,
) -> bytes:
    """`days`: each coming day's headroom if nothing more is run before it; `last_run_day`:
    the runner's latest run so far (where a return plan still waits for the first run back);
    `now` stamps the events (DTSTAMP): when this copy of the feed was made; `units`: the
    reader's (--units), else the athlete's own."""
    u = units or athlete.units
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"loadwatch: {athlete.name}")
    notes = "\n".join(HEADROOM_EVIDENCE)
    for h in days:
        ev = Event()
        ev.add("uid", f"headroom-{athlete.id}-{h.as_of.isoformat()}@loadwatch")
        ev.add("dtstamp", now)
        ev.add("dtstart", h.as_of)
        ev.add("dtend", h.as_of + timedelta(days=1))
        plan = plan_day(h, last_run_day)
        ev.add("summary", headroom_summary(h, u, plan))
        lines = "\n".join(f"{x.facts}: {x.guidance}" for x in headroom_lines(h, u))
        waits = (
            "\n\nThe return plan starts with your first run back: its weeks count from that "
            "day, so a later start moves them."
            if plan is not None and plan.waits
            else ""
        )
        ev.add(
            "description",
            f"{NOTHING_MORE}\n{lines}{waits}\n\nA run before this day changes these numbers."
            f"\n\n{notes}",
        )
        ev.add("transp", "TRANSPARENT")  # a note on the day, not busy time
        cal.add_component(ev)
    for a in alerts:
        ev = Event()
        ev.add("uid", f"alert-{a.key}@loadwatch")
        ev.add("dtstamp", now)
        ev.add("dtstart", a.day)
        ev.add("dtend", a.day + timedelta(days=1))
        ev.add("summary", f"loadwatch: {a.title}")
        ev.add("description", f"{a.text}\n\n{a.citation}")
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
