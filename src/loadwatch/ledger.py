"""The alert ledger's policy: every alert is written down before anything is sent.

States: `pending` (to send), `sent` (delivered on every channel; never sent again) and `known`
(history: kept, not emailed). An athlete's first check fixes the day their alerts start, the
lookback window before it; alerts about earlier days (their history, or a backfill of it) are
known, and every alert about a later day is news and is sent once, even if its run was synced
late. A failed send leaves alerts pending with the error and a count of attempts, so the next run
sends them. Each channel's delivery is recorded apart (store `deliveries`): a channel down
keeps only itself pending and the others are not sent twice. Keys are unique in the store, so overlapping runs and re-imports cannot make
a second copy. The rows themselves live in the store; this module decides what they say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .model import Alert, Delivery, LedgerEntry
from .store import Store


@dataclass(frozen=True)
class Recorded:
    new_pending: int
    new_known: int


def cutoff(
    store: Store, athlete_id: int, as_of: date, lookback_days: int, fix: bool = False
) -> date:
    """Alerts about days before this are history. The first check fixes it (with `fix`)."""
    first = as_of - timedelta(days=lookback_days)
    return store.athletes.alerts_since(athlete_id, first if fix else None) or first


def is_news(alert: Alert, limit: date) -> bool:
    """An event from the athlete's alert start on, or a state that still holds: a shoe that
    came in at 963 of 800 km is worn out today, however long ago it crossed the distance."""
    return alert.day >= limit or alert.ongoing


def _known(store: Store, alerts: list[Alert]) -> set[str]:
    keys = [k for a in alerts for k in (a.key, *a.aliases)]
    return store.ledger.known_keys(keys) if keys else set()


def unseen(store: Store, alerts: list[Alert]) -> list[Alert]:
    """The alerts the ledger has never recorded, under their key or an earlier one (a dry run's
    view of what is new)."""
    known = _known(store, alerts)
    return [a for a in alerts if a.key not in known and not known.intersection(a.aliases)]


def record(
    store: Store, athlete_id: int, alerts: list[Alert], as_of: date, lookback_days: int
) -> Recorded:
    """Write new alerts: those about days from the athlete's alert start on pending, older known.

    An alert an earlier loadwatch recorded under another key (its alias) is recorded as known:
    an upgrade that changes how alerts are keyed must not mail them again."""
    limit = cutoff(store, athlete_id, as_of, lookback_days, fix=True)
    known = _known(store, alerts)
    rows = [
        (a, "pending" if is_news(a, limit) and not known.intersection(a.aliases) else "known")
        for a in alerts
    ]
    inserted = store.ledger.insert(athlete_id, rows)
    return Recorded(inserted.count("pending"), inserted.count("known"))


def pending(store: Store, athlete_id: int) -> list[Alert]:
    return [e.alert for e in store.ledger.entries(athlete_id, ["pending"])]


def open_entries(store: Store, athlete_id: int, since_utc: datetime) -> list[LedgerEntry]:
    """What a digest and the team page count as open: every alert still pending, whatever its
    age (a mail server down for a week leaves it open), and those sent since a moment."""
    entries = store.ledger.entries(athlete_id, ["pending", "sent"])
    return [e for e in entries if e.status == "pending" or e.created_utc >= since_utc]


def recent(store: Store, athlete_id: int, since_utc: datetime) -> list[LedgerEntry]:
    """Alerts sent or pending since a moment: what a coach digest lists as open."""
    return store.ledger.entries(athlete_id, ["pending", "sent"], since_utc)


def settle(store: Store, keys: list[str], channels: list[str]) -> list[str]:
    """The keys every one of these channels has had: sent, never again on any. A channel down
    keeps its keys open; a channel taken out of the config no longer holds anything back."""
    left = set(keys)
    for channel in channels:
        if not left:
            break
        left &= store.ledger.delivered(sorted(left), channel)
    return [k for k in keys if k in left]


def digest_due(store: Store, key: str, coach: str) -> bool:
    """Record a digest as pending unless it was sent; True when it still has to go out."""
    return store.ledger.digest_status(key, coach) == "pending"


def digest_sent(store: Store, key: str) -> bool:
    return store.ledger.digest_status(key) == "sent"


@dataclass(frozen=True)
class ChannelState:
    """Where one alert stands on one channel, as `alerts --json` shows it: "delivered" (at
    `delivered_utc`), "failed" (tried `attempts` times, `last_error` the latest; the next check
    tries again) or "pending" (not tried yet: the next check sends it)."""

    channel: str  # the ledger's id: "email", "push:$ANA_PUSH_URL", "push:<hash>"
    label: str  # as messages name it, secrets masked
    state: str
    attempts: int = 0
    delivered_utc: datetime | None = None
    last_error: str | None = None
    message_id: str | None = None


def channel_states(
    entry: LedgerEntry, records: Sequence[Delivery], configured: Sequence[tuple[str, str]]
) -> list[ChannelState]:
    """One alert's channels from its deliveries `records` and the (id, label) channels its
    athlete's alerts go to now: a pending alert is pending on each configured channel that has
    not had it; a channel no longer configured keeps what it recorded; known history went
    nowhere. Configured channels first, in the config's order."""
    if entry.status == "known":
        return []
    labels = dict(configured)
    by_channel = {d.channel: d for d in records}
    order = [c for c, _ in configured]
    order += sorted(c for c in by_channel if c not in labels)
    out = []
    for channel in order:
        label = labels.get(channel, channel)
        d = by_channel.get(channel)
        if d is None:
            if entry.status == "pending":
                out.append(ChannelState(channel, label, "pending"))
            continue
        state = "delivered" if d.status == "sent" else "failed"
        out.append(
            ChannelState(channel, label, state, d.attempts, d.sent_utc, d.last_error, d.message_id)
        )
    return out
