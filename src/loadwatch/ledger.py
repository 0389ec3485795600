"""The alert ledger: every alert is written down before anything is sent.

States: `pending` (to send), `sent` (accepted by the SMTP server; never sent again) and `known`
(about days older than the lookback window on the athlete's first check or in a backfill: kept,
not emailed). A failed send leaves alerts pending with the error and a count of attempts, so the
next run sends them. Keys are unique in the table, so overlapping runs and re-imports cannot make
a second copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .model import Alert
from .store import SqliteStore


@dataclass(frozen=True)
class Recorded:
    new_pending: int
    new_known: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def cutoff(as_of: date, lookback_days: int) -> date:
    """Alerts about days before this are history: recorded as known, not emailed."""
    return as_of - timedelta(days=lookback_days)


def unseen(store: SqliteStore, alerts: list[Alert]) -> list[Alert]:
    """The alerts the ledger has never recorded."""
    if not alerts:
        return []
    known = set()
    keys = [a.key for a in alerts]
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = store.db.execute(
            f"SELECT key FROM alerts WHERE key IN ({', '.join('?' * len(chunk))})", chunk
        )
        known.update(r[0] for r in rows)
    return [a for a in alerts if a.key not in known]


def record(
    store: SqliteStore, athlete_id: int, alerts: list[Alert], as_of: date, lookback_days: int
) -> Recorded:
    """Write new alerts in one transaction: recent ones pending, older ones known."""
    limit = cutoff(as_of, lookback_days)
    pending = known = 0
    with store.write() as db:
        for a in alerts:
            status = "pending" if a.day >= limit else "known"
            cur = db.execute(
                "INSERT INTO alerts (athlete_id, key, rule, status, payload, created_utc) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (athlete_id, a.key, a.rule, status, json.dumps(a.as_json()), _now()),
            )
            if cur.rowcount:
                pending += status == "pending"
                known += status == "known"
    return Recorded(pending, known)


def pending(store: SqliteStore, athlete_id: int) -> list[Alert]:
    rows = store.db.execute(
        "SELECT payload FROM alerts WHERE athlete_id = ? AND status = 'pending' ORDER BY id",
        (athlete_id,),
    )
    return [Alert.from_json(json.loads(r[0])) for r in rows]


def mark_sent(store: SqliteStore, keys: list[str], message_id: str) -> None:
    with store.write() as db:
        db.executemany(
            "UPDATE alerts SET status = 'sent', sent_utc = ?, message_id = ?, attempts = attempts + 1, "
            "last_error = NULL WHERE key = ? AND status = 'pending'",
            [(_now(), message_id, k) for k in keys],
        )


def mark_failed(store: SqliteStore, keys: list[str], error: str) -> None:
    with store.write() as db:
        db.executemany(
            "UPDATE alerts SET attempts = attempts + 1, last_error = ? WHERE key = ? AND status = 'pending'",
            [(error, k) for k in keys],
        )


def recent(store: SqliteStore, athlete_id: int, since_utc: datetime) -> list[Alert]:
    """Alerts sent (or pending) since a moment: what a coach digest lists as open."""
    rows = store.db.execute(
        "SELECT payload FROM alerts WHERE athlete_id = ? AND status IN ('pending', 'sent') "
        "AND created_utc >= ? ORDER BY id",
        (athlete_id, since_utc.astimezone(UTC).isoformat(timespec="seconds")),
    )
    return [Alert.from_json(json.loads(r[0])) for r in rows]


def digest_due(store: SqliteStore, key: str, coach: str) -> bool:
    """Record a digest as pending unless it was sent; True when it still has to go out."""
    with store.write() as db:
        db.execute(
            "INSERT INTO digests (key, coach, status, created_utc) VALUES (?, ?, 'pending', ?) "
            "ON CONFLICT (key) DO NOTHING",
            (key, coach, _now()),
        )
        row = db.execute("SELECT status FROM digests WHERE key = ?", (key,)).fetchone()
    return row[0] == "pending"


def digest_done(
    store: SqliteStore, key: str, message_id: str | None, error: str | None = None
) -> None:
    with store.write() as db:
        if error is None:
            db.execute(
                "UPDATE digests SET status = 'sent', sent_utc = ?, message_id = ?, attempts = attempts + 1 "
                "WHERE key = ?",
                (_now(), message_id, key),
            )
        else:
            db.execute(
                "UPDATE digests SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                (error, key),
            )


def digest_sent(store: SqliteStore, key: str) -> bool:
    return (
        store.db.execute(
            "SELECT 1 FROM digests WHERE key = ? AND status = 'sent'", (key,)
        ).fetchone()
        is not None
    )
