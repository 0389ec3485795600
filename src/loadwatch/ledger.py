"""The alert ledger's policy: every alert is written down before anything is sent.

States: `pending` (to send), `sent` (accepted by the SMTP server; never sent again) and `known`
(history: kept, not emailed). An athlete's first check fixes the day their alerts start, the
lookback window before it; alerts about earlier days (their history, or a backfill of it) are
known, and every alert about a later day is news and is sent once, even if its run was synced
late. A failed send leaves alerts pending with the error and a count of attempts, so the next run
sends them. Keys are unique in the store, so overlapping runs and re-imports cannot make
a second copy. The rows themselves live in the store; this module decides what they say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .model import Alert
from .store import SqliteStore


@dataclass(frozen=True)
class Recorded:
    new_pending: int
    new_known: int


def cutoff(
    store: SqliteStore, athlete_id: int, as_of: date, lookback_days: int, fix: bool = False
) -> date:
    """Alerts about days before this are history. The first check fixes it (with `fix`)."""
    first = as_of - timedelta(days=lookback_days)
    return store.alerts_since(athlete_id, first if fix else None) or first


def unseen(store: SqliteStore, alerts: list[Alert]) -> list[Alert]:
    """The alerts the ledger has never recorded (a dry run's view of what is new)."""
    known = store.known_alert_keys([a.key for a in alerts]) if alerts else set()
    return [a for a in alerts if a.key not in known]


def record(
    store: SqliteStore, athlete_id: int, alerts: list[Alert], as_of: date, lookback_days: int
) -> Recorded:
    """Write new alerts: those about days from the athlete's alert start on pending, older known."""
    limit = cutoff(store, athlete_id, as_of, lookback_days, fix=True)
    rows = [
        (a.key, a.rule, "pending" if a.day >= limit else "known", json.dumps(a.as_json()))
        for a in alerts
    ]
    inserted = store.insert_alerts(athlete_id, rows)
    return Recorded(inserted.count("pending"), inserted.count("known"))


def pending(store: SqliteStore, athlete_id: int) -> list[Alert]:
    return [Alert.from_json(json.loads(p)) for p in store.alert_payloads(athlete_id, ["pending"])]


def mark_sent(store: SqliteStore, keys: list[str], message_id: str) -> None:
    store.alerts_sent(keys, message_id)


def mark_failed(store: SqliteStore, keys: list[str], error: str) -> None:
    store.alerts_failed(keys, error)


def recent(store: SqliteStore, athlete_id: int, since_utc: datetime) -> list[Alert]:
    """Alerts sent or pending since a moment: what a coach digest lists as open."""
    payloads = store.alert_payloads(athlete_id, ["pending", "sent"], since_utc)
    return [Alert.from_json(json.loads(p)) for p in payloads]


def digest_due(store: SqliteStore, key: str, coach: str) -> bool:
    """Record a digest as pending unless it was sent; True when it still has to go out."""
    return store.digest_status(key, coach) == "pending"


def digest_sent(store: SqliteStore, key: str) -> bool:
    return store.digest_status(key) == "sent"


def digest_done(
    store: SqliteStore, key: str, message_id: str | None, error: str | None = None
) -> None:
    store.digest_finished(key, message_id, error)
