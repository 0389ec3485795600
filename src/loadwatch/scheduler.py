"""APScheduler 3.x wiring for `loadwatch serve`, and nothing else: job ids, triggers in each
athlete's time zone, the start-up catch-up and a clean SIGTERM. Every job calls the same
`run_check` as cron and logs its own errors, so one athlete cannot stop the daemon.

Catch-up comes from the ledger, not from APScheduler's misfire logic: on start one check runs for
everyone, and the ledger's lookback turns whatever the downtime missed into one email per athlete.
"""

from __future__ import annotations

import itertools
import logging
import signal
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .app import App
from .check import CheckResult, missing_inbox_warning
from .config import Settings
from .errors import LoadwatchError
from .store import open_store

if TYPE_CHECKING:
    from .watch import InboxWatcher

log = logging.getLogger("loadwatch.serve")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def _log_result(result: CheckResult, settings: Settings) -> None:
    for pulled in result.pulled:
        if pulled.imported.activities:
            log.info("%s: %d activities pulled", pulled.source, pulled.imported.activities)
        if pulled.problem:
            log.warning("%s", pulled.problem)
    for o in result.athletes:
        if o.sent_alerts:
            log.info("%s: sent %d alerts (%s)", o.athlete, o.sent_alerts, o.message_id)
        if o.imported:
            for f in o.imported.failed:
                log.warning("inbox %s: failed: %s: %s", o.athlete, f.path, f.reason)
            for folder in o.imported.missing_inboxes:
                log.warning("%s", missing_inbox_warning(o.athlete, folder, settings.source))
    for key in result.digests_sent:
        log.info("digest sent: %s", key)
    for p in result.problems:
        log.error("%s", p)
    if result.temporary_failure:
        log.warning("%s; alerts stay pending", result.temporary_failure)


def _job(url: str, settings: Settings, what: str, name: str | None = None) -> None:
    """One scheduled run, with its own database connection (jobs run in a worker thread)."""
    try:
        with App(open_store(url), settings) as app:
            if what == "inbox":
                settled_s = settings.schedule.inbox_settle_s
                for athlete, summary in app.sync_inboxes(settled_s).items():
                    if summary.imported or summary.failed:
                        log.info(
                            "inbox %s: %d imported, %d failed",
                            athlete,
                            summary.imported,
                            len(summary.failed),
                        )
                    for f in summary.failed:
                        log.warning("inbox %s: failed: %s: %s", athlete, f.path, f.reason)
                    for folder in summary.missing_inboxes:
                        log.warning("%s", missing_inbox_warning(athlete, folder, settings.source))
            elif what == "digest" and name is not None:
                _log_result(app.digest(name), settings)
            else:  # "check" of one athlete, or of everyone ("catch-up", "check-all")
                _log_result(app.check(athlete=name, with_digests=name is None), settings)
    except LoadwatchError as e:
        log.error("%s job%s: %s", what, f" {name}" if name else "", e)
    except Exception:  # a bug in one job must not stop the daemon
        log.exception("%s job%s failed", what, f" {name}" if name else "")


def _arrived(url: str, settings: Settings, name: str, watcher: InboxWatcher) -> None:
    """Files the watcher saw arrive and settle: one import of all of them, then that athlete's
    check (without a walk of the inboxes: a file still being copied there is left alone)."""
    paths = watcher.take(name)
    if not paths:
        return  # an earlier job of this athlete took them
    try:
        with App(open_store(url), settings) as app:
            summary = app.import_paths(app.athlete(name), paths)
            log.info(
                "inbox %s: %d arrived: %d imported, %d failed",
                name,
                len(paths),
                summary.imported,
                len(summary.failed),
            )
            for f in summary.failed:
                log.warning("inbox %s: failed: %s: %s", name, f.path, f.reason)
            if summary.activities or summary.replaced:
                result = app.check(athlete=name, with_digests=False, import_inboxes=False)
                _log_result(result, settings)
                log.info("%s: checked", name)
    except LoadwatchError as e:
        log.error("arrived job %s: %s", name, e)
    except Exception:  # a bug must not stop the daemon
        log.exception("arrived job %s failed", name)


def watch_inboxes(
    scheduler: BackgroundScheduler, url: str, settings: Settings
) -> InboxWatcher | None:
    """An inbox watcher whose complete files become jobs on `scheduler` (one at a time with the
    others, so an import never races a check), or None when there is nothing to watch. The
    interval import stays as the safety net (events lost, a folder created later)."""
    inboxes = {a.name: list(a.inbox) for a in settings.athletes if a.inbox}
    mode = settings.schedule.inbox_watch
    if mode == "off" or not inboxes:
        return None
    from .watch import InboxWatcher

    # Each batch its own job id: a job with the id of a running one would be skipped (APScheduler
    # allows one instance per id), and its files with it. A job that finds nothing does nothing.
    ids = itertools.count()

    def on_ready(name: str) -> None:
        scheduler.add_job(
            _arrived,
            "date",
            args=(url, settings, name, watcher),
            id=f"arrived:{name}:{next(ids)}",
            run_date=datetime.now(UTC),
        )

    watcher = InboxWatcher(
        inboxes,
        on_ready,
        polling=mode == "polling",
        settle_s=settings.schedule.inbox_settle_s,
    )
    return watcher


def build(url: str, settings: Settings) -> BackgroundScheduler:
    """The scheduler with every job registered (not started): one job per athlete, one per
    coach, the inbox sync, and a first catch-up check for everyone."""
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=1)},  # one job at a time
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )
    with App(open_store(url), settings) as app:
        app.sync_config()
        athletes = app.athletes()
    sched = settings.schedule
    # First thing: catch up on whatever the downtime missed.
    scheduler.add_job(
        _job,
        "date",
        args=(url, settings, "catch-up"),
        id="catch-up",
        run_date=datetime.now(UTC),
        replace_existing=True,
    )
    if any(a.inbox for a in settings.athletes):
        scheduler.add_job(
            _job,
            IntervalTrigger(minutes=sched.inbox_interval_minutes),
            args=(url, settings, "inbox"),
            id="inbox-sync",
            replace_existing=True,
        )
    if sched.check_interval_s:
        scheduler.add_job(
            _job,
            IntervalTrigger(seconds=sched.check_interval_s),
            args=(url, settings, "check-all"),
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
            args=(url, settings, "check", a.name),
            id=f"check:{a.id}",
            replace_existing=True,
        )
    for c in settings.coaches:
        if c.digest == "none":
            continue
        day = "*" if c.digest == "daily" else sched.digest_weekday
        # A few minutes after the athletes' checks, so the digest sees today's alerts.
        minute = (sched.check_time.minute + 10) % 60
        hour = (sched.check_time.hour + (sched.check_time.minute + 10) // 60) % 24
        trigger = CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=c.tz)
        scheduler.add_job(
            _job,
            trigger,
            args=(url, settings, "digest", c.name),
            id=f"digest:{c.name}",
            replace_existing=True,
        )
    return scheduler


def serve(url: str, settings: Settings) -> None:
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
    scheduler = build(url, settings)
    scheduler.start()
    for job in scheduler.get_jobs():
        log.info("job %s: next run %s", job.id, job.next_run_time)
    watcher = watch_inboxes(scheduler, url, settings)
    if watcher is not None:
        folders = watcher.start()
        how = "polling" if watcher.polling else "filesystem events"
        log.info("watching %d inbox folders (%s)", len(folders), how)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        if watcher is not None:
            watcher.stop()
        scheduler.shutdown(wait=True)
        log.info("stopped")
