"""Episodes: a condition that holds for days is one thing to say, not one email a day or a week.

An episode starts on the first day the condition holds and ends once it has not held for
`QUIET_DAYS` days. It is mailed when it starts, and again only when it gets worse by a band
(the alert key names the episode's first day and the band, so the ledger sends each once).
Keying by ISO week instead mailed an episode again every Monday it crossed and never mailed a
second episode in the same week.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

QUIET_DAYS = 7

T = TypeVar("T")


@dataclass(frozen=True)
class Mention(Generic[T]):
    """One alert of an episode: when the episode started, the day it is about, its band."""

    started: date
    day: date
    band: int
    detail: T


def mentions(hits: Iterable[tuple[date, int, T]], quiet_days: int = QUIET_DAYS) -> list[Mention[T]]:
    """`hits`: (day, band >= 1, detail) for the days the condition holds, in day order."""
    out: list[Mention[T]] = []
    started: date | None = None
    last: date | None = None
    worst = 0
    for day, band, detail in hits:
        if started is None or last is None or (day - last).days > quiet_days:
            started, worst = day, 0
        if band > worst:
            out.append(Mention(started, day, band, detail))
            worst = band
        last = day
    return out
