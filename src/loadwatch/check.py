"""One check: inboxes -> import -> analyse -> rules -> ledger -> email. The cron one-shot and every
scheduled job run this same function."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from . import charts, ledger, rules
from .analysis import analyse
from .config import Settings
from .digest import digest_row, rank
from .errors import LockBusy, SendFailed, SmtpUnavailable
from .ingest import import_paths
from .model import Athlete, ImportSummary
from .notify.email import compose_alerts, compose_digest
from .notify.smtp import Sender, write_outbox
from .store import SqliteStore

PRIORITY = {"run_spike": 0, "weekly_jump": 1, "acwr": 2, "shoe_retire": 3, "shoe_warn": 4}


@dataclass
class AthleteOutcome:
    athlete: str
    as_of: date
    imported: ImportSummary | None = None
    new_alerts: int = 0
    known_alerts: int = 0
    sent_alerts: int = 0
    message_id: str | None = None
    outbox_file: Path | None = None
    problem: str | None = None
    preview: str | None = None  # a dry run's email as plain text


@dataclass
class CheckResult:
    athletes: list[AthleteOutcome] = field(default_factory=list)
    digests_sent: list[str] = field(default_factory=list)
    temporary_failure: str | None = None  # SMTP unavailable: alerts pending, exit 75
    problems: list[str] = field(default_factory=list)


@contextmanager
def exclusive(db_path: Path) -> Iterator[None]:
    """Keep two checks apart (cron and serve, or two crons): the second steps aside at once."""
    lock_path = Path(f"{db_path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise LockBusy(f"another loadwatch check is running (lock {lock_path})") from e
        yield
    finally:
        os.close(fd)


def sync_config(store: SqliteStore, settings: Settings) -> None:
    """Athletes and shoes declared in the config become (or update) rows in the store."""
    for a in settings.athletes:
        athlete = store.add_athlete(
            a.name, a.email, a.tz, resting_hr=a.resting_hr, max_hr=a.max_hr, sex=a.sex, update=True
        )
        for s in a.shoes:
            store.add_shoe(
                athlete.id,
                s.name,
                s.start_km * 1000,
                s.warn_km * 1000,
                s.retire_km * 1000,
                s.default_for,
                update=True,
            )
            if s.retired:
                store.retire_shoe(athlete.id, s.name)


def sync_inboxes(
    store: SqliteStore, settings: Settings, only: str | None = None
) -> dict[str, ImportSummary]:
    out = {}
    for a in settings.athletes:
        if a.inbox and (only is None or a.name == only):
            folders = [p for p in a.inbox if p.exists()]
            out[a.name] = import_paths(
                store,
                a.name,
                folders,
                workers=settings.import_workers,
                archive_limits=settings.archive_limits,
                retry_failed=False,
            )
    return out


def _recipients(athlete: Athlete, settings: Settings) -> tuple[list[str], list[str]]:
    coaches = [c.email for c in settings.coaches if athlete.name in c.athletes]
    if athlete.email:
        return [athlete.email], coaches
    return coaches[:1], coaches[1:]


def run_check(
    store: SqliteStore,
    settings: Settings,
    now: datetime,
    *,
    athlete: str | None = None,
    as_of: date | None = None,
    dry_run: bool = False,
    outbox: Path | None = None,
    with_digests: bool = True,
    import_inboxes: bool = True,
) -> CheckResult:
    with exclusive(store.path):
        return _run(
            store, settings, now, athlete, as_of, dry_run, outbox, with_digests, import_inboxes
        )


def _run(
    store, settings, now, only, as_of, dry_run, outbox, with_digests, import_inboxes
) -> CheckResult:
    result = CheckResult()
    # A dry run still imports (that is data, not alerts); it only leaves the ledger and SMTP alone.
    sync_config(store, settings)
    imported = sync_inboxes(store, settings, only) if import_inboxes else {}
    athletes = [store.athlete(only)] if only else store.athletes()
    mailer = _Mailer(settings)
    analyses = {}
    try:
        for a in athletes:
            day = as_of or now.astimezone(ZoneInfo(a.tz)).date()
            outcome = AthleteOutcome(a.name, day, imported.get(a.name))
            result.athletes.append(outcome)
            analysis = analyse(store, a, day)
            analyses[a.name] = analysis
            found = rules.evaluate(analysis, settings.rules)
            if dry_run:
                limit = ledger.cutoff(store, a.id, day, settings.rules.lookback_days)
                to_send = [x for x in ledger.unseen(store, found) if x.day >= limit]
                outcome.new_alerts = len(to_send)
            else:
                recorded = ledger.record(store, a.id, found, day, settings.rules.lookback_days)
                outcome.new_alerts, outcome.known_alerts = recorded.new_pending, recorded.new_known
                to_send = ledger.pending(store, a.id)
            if not to_send or result.temporary_failure:
                continue
            # The subject names the first: the best-supported warning leads, reminders come last.
            to_send.sort(key=lambda x: (PRIORITY.get(x.rule, 9), x.day))
            to, cc = _recipients(a, settings)
            if not to:
                outcome.problem = (
                    f"athlete {a.name} has no email address and no coach: "
                    f"add one with 'loadwatch athletes add {a.name} --update --email ...'"
                )
                result.problems.append(outcome.problem)
                continue
            d = analysis.distance
            shoe_rows = [x.as_json() for x in analysis.shoes]
            chart = charts.alert_chart(to_send[0].rule, d.days, d.weeks, d.runs, shoe_rows)
            msg = compose_alerts(a.name, to, cc, settings.smtp.sender, to_send, day, chart, now)
            outcome.message_id = msg["Message-ID"]
            if dry_run:
                outcome.outbox_file = write_outbox(msg, outbox) if outbox else None
                outcome.preview = (
                    f"To: {msg['To']}\nSubject: {msg['Subject']}\n\n"
                    + msg.get_body(("plain",)).get_content()
                )
                continue
            keys = [x.key for x in to_send]
            try:
                mailer.send(msg)
            except SmtpUnavailable as e:
                ledger.mark_failed(store, keys, str(e))
                result.temporary_failure = str(e)
                continue
            except SendFailed as e:
                ledger.mark_failed(store, keys, str(e))
                raise
            ledger.mark_sent(store, keys, msg["Message-ID"])
            outcome.sent_alerts = len(keys)
        if with_digests and not only and not result.temporary_failure:
            _digests(store, settings, now, as_of, analyses, dry_run, outbox, mailer, result)
    finally:
        mailer.close()
    return result


class _Mailer:
    """One SMTP session per check, opened only when there is something to send."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sender: Sender | None = None

    def send(self, msg) -> None:
        if self.sender is None:
            self.sender = Sender(self.settings.smtp).__enter__()
        try:
            self.sender.send(msg)
        except SmtpUnavailable:
            self.close()  # the session is gone; a later send starts a new one
            raise

    def close(self) -> None:
        if self.sender is not None:
            self.sender.__exit__(None, None, None)
            self.sender = None


def _digest_due(coach, day: date, weekday: str) -> str | None:
    if coach.digest == "daily":
        return f"digest:{coach.name}:{day.isoformat()}"
    if day.strftime("%a").lower() == weekday:
        return f"digest:{coach.name}:{rules.iso_week(day)}"
    return None


def _digests(
    store, settings, now, as_of, analyses, dry_run, outbox, mailer: _Mailer, result
) -> None:
    for coach in settings.coaches:
        day = as_of or now.astimezone(ZoneInfo(coach.tz)).date()
        key = _digest_due(coach, day, settings.schedule.digest_weekday)
        if key is None or not coach.athletes:
            continue
        if dry_run:
            if ledger.digest_sent(store, key):
                continue
        elif not ledger.digest_due(store, key, coach.name):
            continue
        period_days = 1 if coach.digest == "daily" else 7
        rows = []
        for name in coach.athletes:
            analysis = analyses.get(name)
            if analysis is None:
                continue
            since = now - timedelta(days=period_days)
            rows.append(digest_row(analysis, ledger.recent(store, analysis.athlete.id, since)))
        ranked = [
            r.as_dict() | {"this_week_km": r.this_week_km, "last_week_km": r.last_week_km}
            for r in rank(rows)
        ]
        chart = charts.athletes_overview(ranked) if ranked else None
        msg = compose_digest(
            coach.name, coach.email, settings.smtp.sender, coach.digest, ranked, chart, key, now
        )
        if dry_run:
            if outbox:
                write_outbox(msg, outbox)
            continue
        try:
            mailer.send(msg)
        except SmtpUnavailable as e:
            ledger.digest_done(store, key, None, str(e))
            result.temporary_failure = str(e)
            return
        ledger.digest_done(store, key, msg["Message-ID"])
        result.digests_sent.append(key)


__all__ = ["CheckResult", "exclusive", "run_check", "sync_config", "sync_inboxes"]
