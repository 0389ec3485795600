"""Each athlete's current state, stored: the team page, the alerts page and the digest read it
instead of analysing every athlete on every view (22 ms an athlete, 25 s for a 1,000-athlete
club).

A stored state is current while four things hold: the athlete's data is at the revision it was
computed from (the store's triggers bump the revision in the same transaction as every change
to runs, shoes, pain reports or the athlete), it describes today in the athlete's zone, the
settings and program that computed it are the same (a fingerprint), and the ledger's alert start
is the one it used. Anything else is recomputed, in one vectorised pass over the athletes that
need it (`analysis.analyse_many`, the check's route), and stored again where the caller may
write; a stale state is never shown as current. The ledger (what is open, what is new) is read
when a page is shown: it changes with the clock and every send, and costs one query.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from . import __version__, ledger, rules
from .analysis import Analysis, analyse_many
from .config import Settings
from .load import compute_many
from .load.effort import Effort
from .load.pain import PainHistory, PainThresholds
from .model import Alert, Athlete, LedgerEntry, numbers_from
from .store import Store
from .store.base import SnapshotRepo, StoredState
from .units import Units
from .views import AthleteState, DigestRow, athlete_state, rank, state_row

_NO_DAYS = (np.zeros(0), np.zeros(0))  # an athlete without runs up to the day

# Bumped when AthleteState or what goes into it changes: every stored state then reads as stale.
FORMAT = 4  # 2: pain, effort and the latest spike's run; 3: the headroom in metres;
# 4: the 7-day totals and the 12 weeks in metres (last7_m, prev7_m, weeks_m)


def fingerprint(settings: Settings) -> str:
    """The settings and program a state was computed under; a change makes every state stale."""
    text = f"{__version__}|{FORMAT}|{settings.rules!r}|{settings.pain!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _alert_json(a: Alert) -> dict[str, Any]:
    return {
        "key": a.key,
        "athlete": a.athlete,
        "rule": a.rule,
        "day": a.day.isoformat(),
        "title": a.title,
        "text": a.text,
        "citation": a.citation,
        "numbers": a.numbers.as_dict(),
        "aliases": list(a.aliases),
        "ongoing": a.ongoing,
    }


def _alert(d: dict[str, Any]) -> Alert:
    return Alert(
        key=d["key"],
        athlete=d["athlete"],
        rule=d["rule"],
        day=date.fromisoformat(d["day"]),
        title=d["title"],
        text=d["text"],
        citation=d["citation"],
        numbers=numbers_from(d["rule"], d["numbers"]),
        aliases=tuple(d["aliases"]),
        ongoing=d["ongoing"],
    )


def encode(state: AthleteState) -> str:
    d = {f.name: getattr(state, f.name) for f in fields(state)}
    d["as_of"] = state.as_of.isoformat()
    d["found"] = [_alert_json(a) for a in state.found]
    d["effort7"] = asdict(state.effort7)
    d["effort_prev7"] = asdict(state.effort_prev7)
    return json.dumps(d, allow_nan=False)


def decode(text: str) -> AthleteState:
    d = json.loads(text)
    d["as_of"] = date.fromisoformat(d["as_of"])
    d["found"] = [_alert(a) for a in d["found"]]
    d["effort7"] = Effort(**d["effort7"])
    d["effort_prev7"] = Effort(**d["effort_prev7"])
    return AthleteState(**d)


def is_current(stored: StoredState | None, day: date, fp: str) -> bool:
    return (
        stored is not None
        and stored.payload is not None
        and stored.computed_revision == stored.revision
        and stored.day == day
        and stored.fingerprint == fp
        and stored.alerts_since == stored.athlete_alerts_since
    )


def pain_thresholds(settings: Settings) -> PainThresholds:
    """The `[pain]` settings as the engine reads them."""
    p = settings.pain
    return PainThresholds(p.green_max, p.red_min, p.response_points, p.valid_days)


def analyse_stored(
    store: Store, settings: Settings, athletes: Sequence[Athlete], days: Mapping[int, date]
) -> dict[int, Analysis]:
    """The athletes' stored runs, shoes and pain reports through the engine's one pass
    (`analyse_many`): a query for the runs, one for the pain reports, one per athlete's shoes.
    The check's pass and a page's recomputation of stale states both come here."""
    ids = [a.id for a in athletes]
    shoes = {a.id: store.shoes.all(a.id) for a in athletes}
    t = pain_thresholds(settings)
    pain = {i: PainHistory(r, t) for i, r in store.pain.all_for(ids).items()}
    return analyse_many(list(athletes), store.activities.counted_all(ids), shoes, days, pain)


def state_of(
    analysis: Analysis,
    settings: Settings,
    alerts_since: date | None,
    daily: tuple[np.ndarray, np.ndarray] | None = None,
) -> AthleteState:
    """A fresh state: the analysis's numbers, and the alerts a check on its day would find news
    (about days from the athlete's alert start on, or still holding; see ledger.cutoff)."""
    day = analysis.distance.as_of
    limit = alerts_since or day - timedelta(days=settings.rules.lookback_days)
    found = [a for a in rules.evaluate(analysis, settings.rules, limit) if ledger.is_news(a, limit)]
    return athlete_state(analysis, settings.rules, found, daily)


DAILY = ("acute_sum", "acwr_rolling_coupled")


def daily_many(analyses: Sequence[Analysis]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The 7-day totals and 7:28 ratios a state needs, of each athlete's days (first run .. the
    day described), in one wide pass per day described (load.compute_many) instead of every
    metric of every athlete's days one athlete at a time (40 ms an athlete on a loaded machine)."""
    by_day: dict[date, list[Analysis]] = {}
    for x in analyses:
        if len(x.distance.runs):
            by_day.setdefault(x.distance.as_of, []).append(x)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for day, group in by_day.items():
        # Only what the grid reads (the runs are running already): the whole frames cost more.
        runs = pd.concat(
            [_grid_columns(x.distance.runs).assign(athlete=x.athlete.id) for x in group]
        )
        tz: dict[object, str] = {x.athlete.id: x.athlete.tz for x in group}
        frames = compute_many(runs, day, tz, names=DAILY)
        acute, ratio = frames["acute_sum"], frames["acwr_rolling_coupled"]
        for x in group:
            first = acute.index.searchsorted(pd.Timestamp(x.distance.runs["day"].min()))
            out[x.athlete.id] = (
                acute[x.athlete.id].to_numpy(dtype=float)[first:],
                ratio[x.athlete.id].to_numpy(dtype=float)[first:],
            )
    return out


def _grid_columns(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[[c for c in ("start_utc", "utc_offset_s", "load") if c in runs]]


@dataclass
class States:
    """The states asked for, and how many were read as stored and how many computed."""

    by_id: dict[int, AthleteState]
    read: int = 0
    computed: int = 0
    written: int = 0


def today_of(athlete: Athlete, now: datetime) -> date:
    return now.astimezone(ZoneInfo(athlete.tz)).date()


# Where a process keeps the states it computed but could not store (the web's read-only
# connections): athlete id -> (what the state was computed from, the state). One per athlete.
Cache = dict[int, tuple[tuple[int, date, str, date | None], AthleteState]]


def current_states(
    store: Store,
    settings: Settings,
    athletes: Sequence[Athlete],
    now: datetime,
    as_of: Mapping[int, date] | None = None,
    write: bool = True,
    analyses: Mapping[int, Analysis] | None = None,
    *,
    writer: SnapshotRepo | None = None,
    cache: Cache | None = None,
) -> States:
    """Every athlete's state on their day (today in their zone unless `as_of` says): the stored
    one where it is current, else computed (from `analyses` where given, else in one pass) and,
    with `write` and for today, stored (through `writer`, by default the store's own). A past
    day is computed, never stored. `cache` keeps computed states for as long as they are
    current, where nothing can be stored."""
    # The revisions first: data read after them is no older. Then the payloads of only those
    # current and not kept already (`cache`: a server keeps what it decoded).
    stored = store.snapshots.all(payloads=False)
    fp = fingerprint(settings)
    days = {a.id: (as_of or {}).get(a.id) or today_of(a, now) for a in athletes}
    out = States({})
    stale = []
    unread: dict[int, int] = {}
    for a in athletes:
        s = stored.get(a.id)
        today = days[a.id] == today_of(a, now)
        kept = cache.get(a.id) if cache is not None and s is not None else None
        if (
            today
            and s is not None
            and kept is not None
            and kept[0] == (s.revision, days[a.id], fp, s.athlete_alerts_since)
        ):
            out.by_id[a.id] = kept[1]
            out.read += 1
        elif today and is_current(s, days[a.id], fp):
            assert s is not None
            unread[a.id] = s.revision
        else:
            stale.append(a)
    if unread:
        texts = store.snapshots.payloads(unread)
        for a in athletes:
            if a.id not in unread:
                continue
            if a.id not in texts:
                stale.append(a)  # recomputed since the revisions were read: compute it here
                continue
            s = stored[a.id]
            state = decode(texts[a.id])
            out.by_id[a.id] = state
            out.read += 1
            if cache is not None:
                cache[a.id] = ((s.revision, days[a.id], fp, s.athlete_alerts_since), state)
    if not stale:
        return out
    given = analyses or {}
    missing = [a for a in stale if a.id not in given]
    passed: dict[int, Analysis] = {}
    if missing:
        passed = analyse_stored(store, settings, missing, {a.id: days[a.id] for a in missing})
    daily = daily_many([given.get(a.id) or passed[a.id] for a in stale])
    for a in stale:
        s = stored.get(a.id)
        since = s.athlete_alerts_since if s is not None else None
        analysis = given.get(a.id) or passed[a.id]
        state = state_of(analysis, settings, since, daily.get(a.id, _NO_DAYS))
        out.by_id[a.id] = state
        out.computed += 1
        if s is None or days[a.id] != today_of(a, now):
            continue
        if cache is not None:
            cache[a.id] = ((s.revision, days[a.id], fp, since), state)
        if write:
            to = writer or store.snapshots
            out.written += to.write(a.id, s.revision, days[a.id], fp, since, encode(state))
    return out


def stale(
    store: Store,
    settings: Settings,
    athletes: Sequence[Athlete],
    now: datetime,
    cache: Cache | None = None,
) -> list[Athlete]:
    """The athletes whose state for today a page would have to compute: neither stored current
    nor kept current in `cache`, and with a state row to store it in (one query, no payloads).
    A server's background refresh computes these before a page asks."""
    stored = store.snapshots.all(payloads=False)
    fp = fingerprint(settings)
    out = []
    for a in athletes:
        s = stored.get(a.id)
        if s is None:
            continue
        day = today_of(a, now)
        if is_current(s, day, fp):
            continue
        kept = cache.get(a.id) if cache is not None else None
        if kept is not None and kept[0] == (s.revision, day, fp, s.athlete_alerts_since):
            continue
        out.append(a)
    return out


def store_states(
    store: Store,
    settings: Settings,
    analyses: Mapping[int, Analysis],
    before: Mapping[int, StoredState],
    now: datetime,
) -> int:
    """The check's states, from its own pass: each stored only if the athlete's data is still at
    the revision read `before` the pass (an import meanwhile leaves it stale, to be recomputed).
    The alert start is read now: the check may just have fixed it."""
    fp = fingerprint(settings)
    current = store.snapshots.all(payloads=False)
    todo = []
    for athlete_id, analysis in analyses.items():
        s, now_s = before.get(athlete_id), current.get(athlete_id)
        day = analysis.distance.as_of
        if s is None or now_s is None or day != today_of(analysis.athlete, now):
            continue
        if is_current(now_s, day, fp):
            continue  # nothing changed since it was stored (a check that found nothing new)
        todo.append((analysis, s, now_s))
    daily = daily_many([analysis for analysis, _, _ in todo])
    written = 0
    for analysis, s, now_s in todo:
        i, since = analysis.athlete.id, now_s.athlete_alerts_since
        state = state_of(analysis, settings, since, daily.get(i, _NO_DAYS))
        day = analysis.distance.as_of
        written += store.snapshots.write(i, s.revision, day, fp, since, encode(state))
    return written


def rows(
    store: Store,
    athletes: Sequence[Athlete],
    states: Mapping[int, AthleteState],
    open_since: datetime,
    now: datetime,
    extra: Mapping[str, list[LedgerEntry]] | None = None,
    with_new: bool = False,
    units: Units | None = None,
) -> list[DigestRow]:
    """The digest's rows, ranked, from the states and one read of the ledger. Alerts pending (of
    any age) or sent since `open_since` are open; so are the `extra` ones (athlete name ->
    entries: what a dry run would record) and, `with_new`, those the states found that the
    ledger has not recorded (what a check would record now, as the team page shows them)."""
    entries = store.ledger.open_all(open_since)
    unseen: set[str] = set()
    if with_new:
        found = [x for a in athletes for x in states[a.id].found]
        unseen = {x.key for x in ledger.unseen(store, found)} if found else set()
    out = []
    for a in athletes:
        state = states[a.id]
        opened = entries.get(a.id, []) + (extra or {}).get(a.name, [])
        opened += [LedgerEntry(x, "new", now) for x in state.found if x.key in unseen]
        out.append(state_row(state, opened, units or a.units))
    return rank(out)


def clock_changes(
    zones: Iterable[str], sent: Iterable[datetime], now: datetime, open_days: int
) -> datetime:
    """The first moment after `now` that rows built at `now` change with the clock alone: the
    next midnight in one of the athletes' `zones` (a new day to describe), or an alert `sent`
    (created then, as `rows` counts it) leaving the `open_days` window. Until then only a
    change to the data changes them."""
    moments = [x + timedelta(days=open_days) for x in sent]
    for zone in set(zones):
        tz = ZoneInfo(zone)
        day = now.astimezone(tz).date() + timedelta(days=1)
        # A midnight skipped by a clock change: the earlier of its two readings (never late).
        moments += [datetime.combine(day, time(fold=f), tz).astimezone(UTC) for f in (0, 1)]
    return min(moments, default=now + timedelta(days=1))


def new_alerts(store: Store, states: Mapping[int, AthleteState]) -> dict[int, list[Alert]]:
    """What a check would record as pending now, per athlete: the found alerts the ledger does
    not know (under their key or an earlier one)."""
    found = [x for s in states.values() for x in s.found]
    unseen = {x.key for x in ledger.unseen(store, found)} if found else set()
    return {i: [x for x in s.found if x.key in unseen] for i, s in states.items()}


__all__ = [
    "FORMAT",
    "Cache",
    "States",
    "clock_changes",
    "current_states",
    "decode",
    "encode",
    "fingerprint",
    "is_current",
    "new_alerts",
    "rows",
    "stale",
    "state_of",
    "store_states",
]
