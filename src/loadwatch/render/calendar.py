"""The calendar feed: an all-day event per coming day with its headroom, and each alert on its
day, as iCalendar (RFC 5545) for a phone or desktop calendar to subscribe to.

Worded as every other surface words the headroom: the lines the studies compared groups of
runners on, not a personal safe limit. Pure: the numbers and a moment in, bytes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from ..load.headroom import Headroom
from ..model import Alert, Athlete
from ..units import Units, distance_down
from ..views import HEADROOM_EVIDENCE, headroom_lines

PRODID = "-//loadwatch//calendar feed//EN"


def headroom_summary(h: Headroom, units: Units = "km") -> str:
    """One short line for the calendar's day view: "Run up to 13.2 km; up to 6.5 km more"."""
    parts = []
    if h.run.reason == "pain" and h.pain is not None:
        if h.pain.level == "red":
            return "Pain red: no run, rest or cross-train"
        parts.append(f"Pain amber: hold, run up to {distance_down(h.run.max_run_m or 0, units)}")
    elif h.run.max_run_m is not None:
        parts.append(f"Run up to {distance_down(h.run.max_run_m, units)}")
    if h.week.reason == "return" and h.week.more_m is not None:
        parts.append(
            f"up to {distance_down(max(h.week.more_m, 0), units)} more in the return plan's week"
        )
    elif h.week.reason is None and h.week.more_m is not None:
        if h.week.more_m >= 0:
            parts.append(f"up to {distance_down(h.week.more_m, units)} in all that day")
        else:
            parts.append(f"week already above +{h.weekly_pct:g}%")
    return "; ".join(parts) if parts else "Headroom: not enough history to compare"


def feed(
    athlete: Athlete,
    days: Sequence[Headroom],
    alerts: Sequence[Alert],
    now: datetime,
    units: Units | None = None,
) -> bytes:
    """`now` stamps the events (DTSTAMP): when this copy of the feed was made; `units`: the
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
        ev.add("summary", headroom_summary(h, u))
        lines = "\n".join(f"{x.facts}: {x.guidance}" for x in headroom_lines(h, u))
        ev.add(
            "description",
            f"{lines}\n\nIf you run before this day, the numbers change with it.\n\n{notes}",
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
