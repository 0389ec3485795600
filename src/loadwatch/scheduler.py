"""APScheduler 3.x wiring for `loadwatch serve`, and nothing else: job ids, triggers in each
athlete's time zone, the start-up catch-up and a clean SIGTERM. Every job calls the same
`run_check` as cron and logs its own errors, so one athlete cannot stop the daemon.

Catch-up comes from the ledger, not from APScheduler's misfire logic: on start one check runs for
everyone, and the ledger's lookback turns whatever the downtime missed into one email per athlete.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .check import run_check, sync_config, sync_inboxes
from .config import Settings
from .errors import LoadwatchError
from .store import SqliteStore

log = logging.getLogger("loadwatch.serve")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def _job(db_path: Path, settings: Settings, what: str, **kwargs) -> None:
    """One scheduled run, with its own database connection (jobs run in a worker thread)."""
    try:
        with SqliteStore(db_path) as store:
            if what == "inbox":
                for name, summary in sync_inboxes(store, settings).items():
                    if summary.imported or summary.failed:
                        log.info(
                            "inbox %s: %d imported, %d failed",
                            name,
                            summary.imported,
                            len(summary.failed),
                        )
                    for f in summary.failed:
                        log.warning("inbox %s: failed: %s: %s", name, f.path, f.reason)
                return
            result = run_check(store, settings, datetime.now(UTC), **kwargs)
            for o in result.athletes:
                if o.sent_alerts:
                    log.info("%s: sent %d alerts (%s)", o.athlete, o.sent_alerts, o.message_id)
            for key in result.digests_sent:
                log.info("digest sent: %s", key)
            for p in result.problems:
                log.error("%s", p)
            if result.temporary_failure:
                log.warning("%s; alerts stay pending", result.temporary_failure)
    except LoadwatchError as e:
        log.error("%s job: %s", what, e)
    except Exception:  # a bug in one job must not stop the daemon
        log.exception("%s job failed", what)


def build(db_path: Path, settings: Settings) -> BackgroundScheduler:
    """The scheduler with every job registered (not started)."""
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=1)},  # one job at a time
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )
    with SqliteStore(db_path) as store:
        sync_config(store, settings)
        athletes = store.athletes()
    sched = settings.schedule
    # First thing: catch up on whatever the downtime missed.
    scheduler.add_job(
        _job,
        "date",
        args=(db_path, settings, "catch-up"),
        id="catch-up",
        run_date=datetime.now(UTC),
        replace_existing=True,
    )
    if any(a.inbox for a in settings.athletes):
        scheduler.add_job(
            _job,
            IntervalTrigger(minutes=sched.inbox_interval_minutes),
            args=(db_path, settings, "inbox"),
            id="inbox-sync",
            replace_existing=True,
        )
    if sched.check_interval_s:
        scheduler.add_job(
            _job,
            IntervalTrigger(seconds=sched.check_interval_s),
            args=(db_path, settings, "check"),
            id="check-all",
            replace_existing=True,
        )
        return scheduler
    for a in athletes:
        trigger = CronTrigger(
            hour=sched.check_time.hour, minute=sched.check_time.minute, timezone=a.tz
        )
        scheduler.add_job(
            _job,
            trigger,
            args=(db_path, settings, "check"),
            kwargs={"athlete": a.name, "with_digests": False},
            id=f"check:{a.name}",
            replace_existing=True,
        )
    for c in settings.coaches:
        day = "*" if c.digest == "daily" else sched.digest_weekday
        # A few minutes after the athletes' checks, so the digest sees today's alerts.
        minute = (sched.check_time.minute + 10) % 60
        hour = (sched.check_time.hour + (sched.check_time.minute + 10) // 60) % 24
        trigger = CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=c.tz)
        scheduler.add_job(
            _job,
            trigger,
            args=(db_path, settings, "digest"),
            id=f"digest:{c.name}",
            replace_existing=True,
        )
    return scheduler


def serve(db_path: Path, settings: Settings) -> None:
    """Run until SIGTERM or SIGINT; the running job is allowed to finish."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        log.info("received %s, finishing the running job", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler = build(db_path, settings)
    scheduler.start()
    for job in scheduler.get_jobs():
        log.info("job %s: next run %s", job.id, job.next_run_time)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        log.info("stopped")
