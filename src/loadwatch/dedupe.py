"""Which stored activity is the same outing as a new one, which copy counts, and which shoe a new
run gets. Pure functions: the store finds the candidates, these decide.

The same run often arrives twice: from the watch folder and again from an account export, or as
FIT and as the GPX a phone app wrote. Counting both would double the load, so one copy is primary
(the device's own totals win: FIT > TCX > summary > GPX > manual) and the other is kept, marked as
its duplicate, where `activities --all` shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import SOURCE_RANK, Activity, Shoe, ShoeDecl

# The same outing from two sources: start within this window and distance within this fraction.
DUPLICATE_START_S = 120
DUPLICATE_DISTANCE_FRACTION = 0.05
# The same file re-saved by a desktop program with its clock shifted by whole hours (a time zone
# applied twice): up to 14 h apart, the same distance to the metre and the same moving and
# elapsed time to the second. Only a likely copy: kept as a duplicate, listed to look at.
CLOCK_SHIFT_MAX_H = 14


@dataclass(frozen=True)
class StoredRun:
    """A primary activity already stored, as the twin search needs to see it."""

    id: int
    start_utc: datetime
    distance_m: float
    source_format: str
    content_hash: str
    moving_s: float | None = None
    elapsed_s: float | None = None
    avg_hr: float | None = None
    max_hr: float | None = None


def twin_window(act: Activity) -> tuple[datetime, datetime]:
    """The start times a twin of `act` may have; the store fetches the primaries inside it."""
    half = timedelta(seconds=DUPLICATE_START_S)
    return act.start_utc - half, act.start_utc + half


def find_twin(act: Activity, candidates: Iterable[StoredRun]) -> StoredRun | None:
    """The stored primary that is the same outing, nearest start first.

    Another session of the same file (a multisport leg) is never a twin of its sibling.
    """
    lo, hi = twin_window(act)
    near = sorted(
        (c for c in candidates if lo <= c.start_utc <= hi),
        key=lambda c: (abs((c.start_utc - act.start_utc).total_seconds()), c.id),
    )
    for c in near:
        if c.content_hash == act.content_hash:
            continue
        longer = max(c.distance_m, act.distance_m)
        if abs(c.distance_m - act.distance_m) <= DUPLICATE_DISTANCE_FRACTION * longer:
            return c
    return None


def shifted_window(act: Activity) -> tuple[datetime, datetime]:
    """The start times a clock-shifted copy of `act` may have."""
    half = timedelta(hours=CLOCK_SHIFT_MAX_H, seconds=1)
    return act.start_utc - half, act.start_utc + half


def _same(a: float | None, b: float | None, within: float) -> bool:
    return a is not None and b is not None and abs(a - b) <= within


def find_shifted_copy(act: Activity, candidates: Iterable[StoredRun]) -> StoredRun | None:
    """A stored run that is `act` with its clock shifted by whole hours: same distance (to
    the metre), same moving and elapsed time (to the second), the same heart rate where both
    have one. Two real runs of one length on one day differ in their seconds or their heart
    rate; a re-saved file differs in nothing but the clock."""
    if act.distance_m <= 0:
        return None
    for c in sorted(candidates, key=lambda c: (abs(c.start_utc - act.start_utc), c.id)):
        shift = (act.start_utc - c.start_utc).total_seconds()
        hours = round(shift / 3600)
        if c.content_hash == act.content_hash or hours == 0 or abs(shift - hours * 3600) > 1:
            continue
        if abs(hours) > CLOCK_SHIFT_MAX_H or not _same(c.distance_m, act.distance_m, 1.0):
            continue
        if not (_same(c.moving_s, act.moving_s, 1.0) and _same(c.elapsed_s, act.elapsed_s, 1.0)):
            continue
        if any(
            x is not None and y is not None and abs(x - y) > 0.5
            for x, y in ((c.avg_hr, act.avg_hr), (c.max_hr, act.max_hr))
        ):
            continue
        return c
    return None


def shifted_look(copy_id: int, kept_id: int, hours: int) -> str:
    """What the copy kept out of the numbers says, and how to undo it."""
    return (
        f"likely the same run as activity {kept_id} re-saved with its clock {abs(hours)} h off "
        f"(same distance, same duration to the second): counted once; if it is a run of its "
        f"own: loadwatch activities separate {copy_id}"
    )


def new_is_primary(act: Activity, twin: StoredRun | None) -> bool:
    """The new copy counts when it has no twin or comes from a better source.

    Between two copies from equally good sources (a watch and a bike computer, both FIT), the one
    with the smaller content hash counts: arbitrary, but the same files give the same result
    whatever order they arrive in (a pool's, or an import killed and run again)."""
    if twin is None:
        return True
    new, old = SOURCE_RANK.get(act.source_format, 0), SOURCE_RANK.get(twin.source_format, 0)
    return new > old or (new == old and act.content_hash < twin.content_hash)


def default_shoe(act: Activity, shoes: Sequence[Shoe]) -> int | None:
    """The athlete's default shoe for this kind of run: a sub-sport default (e.g. trail) beats
    the running default; walks, rides and swims get no shoe; the newest default wins."""
    if not act.is_run:
        return None
    for key in (act.sub_sport, act.sport, "running"):
        if not key or key == "generic":
            continue
        mine = [s.id for s in shoes if s.default_for == key and not s.retired]
        if mine:
            return max(mine)
    return None


def declared_default(decl: ShoeDecl, shoes: Sequence[Shoe]) -> str | None:
    """A shoe an export declares becomes a default only where the athlete has none yet."""
    if decl.default_for and not any(s.default_for == decl.default_for for s in shoes):
        return decl.default_for
    return None
