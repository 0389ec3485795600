"""An athlete's accounts -> stored activities, each once, with a cursor that never runs ahead of
what was stored.

Each activity is stored in its own transaction, oldest first, and the cursor (the local date of
the last one stored) is written only after it: a pull stopped by the network, a refused key, a
rate limit or a broken answer keeps everything before the failure and starts again from there.
The listing starts at the cursor's day, so activities already there are met again: they are
known by their name in the store (`intervals.icu/<athlete>/<activity id>`), and the same run
from a watch folder is known by its bytes or as the same outing (dedupe), so pulling twice stores
nothing twice.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from .config import SourceConfig
from .errors import UnreadableFile
from .importers import content_hash, read_stamped
from .importers.sports import infer
from .importers.streams import stream_totals
from .model import Activity, Athlete, FileFailure, FileRecord, SourceOutcome
from .sources import RemoteActivity, SourceFailed
from .sources.intervals_icu import IntervalsIcu
from .store import Store

NO_FILE = "no original file from the service (an activity it got from Strava): its summary"


NO_STREAMS = "no recorded streams on Strava (a manual entry?): its summary"


def source_key(cfg: SourceConfig) -> str:
    return f"{cfg.type}:{cfg.athlete_id}" if cfg.athlete_id else cfg.type


def pull_source(
    store: Store,
    athlete: Athlete,
    cfg: SourceConfig,
    environ: Mapping[str, str],
    today: date,
    since: date | None = None,
) -> SourceOutcome:
    """New activities of one account; a failure is the outcome's `problem`, never raised."""
    if cfg.type == "strava":
        return pull_strava(store, athlete, cfg, environ, today, since)
    key = source_key(cfg)
    outcome = SourceOutcome(key, athlete.name)
    api_key = environ.get(cfg.api_key_env)
    if not api_key:
        outcome.problem = (
            f"{cfg.type} {cfg.athlete_id}: environment variable {cfg.api_key_env} is not set"
        )
        return outcome
    client = IntervalsIcu(cfg.athlete_id, api_key, cfg.base_url or "https://intervals.icu")
    cursor = store.sources.cursor(athlete.id, key)
    oldest = since or (
        date.fromisoformat(cursor) if cursor else today - timedelta(days=cfg.history_days)
    )
    summary = outcome.imported
    try:
        listed = client.activities(oldest, today + timedelta(days=1))
        known = store.files.known(athlete.id)
        held = False  # after a file that failed, the cursor waits for it
        for remote in listed:
            label = f"{cfg.type}/{cfg.athlete_id}/{remote.id}"
            if label in known:
                summary.unchanged += 1
            else:
                failed = len(summary.failed)
                _store_remote(store, athlete, client, remote, label, summary)
                held = held or len(summary.failed) > failed
            day = _local_day(remote).isoformat()
            if not held and (cursor is None or day > cursor):
                cursor = day
                store.sources.set_cursor(athlete.id, key, day)
    except SourceFailed as e:
        outcome.problem = str(e)
    return outcome


def _local_day(r: RemoteActivity) -> date:
    return (r.start_utc + timedelta(seconds=r.utc_offset_s or 0)).date()


def _store_remote(
    store: Store,
    athlete: Athlete,
    client: IntervalsIcu,
    remote: RemoteActivity,
    label: str,
    summary,
) -> None:
    """One activity, in one transaction: its original file, or where there is none its summary."""
    if not remote.has_file:
        act = _from_summary(remote, label)
        if act is None:
            summary.skipped += 1
            summary.skipped_files.append(FileFailure(label, "no file and no distance"))
            store.files.save(
                athlete.id, FileRecord(label, 0, 0, act_hash(label), "skipped", reason="no data")
            )
            return
        saved = store.files.save(
            athlete.id, FileRecord(label, 0, 0, act.content_hash, "imported", [act])
        )
        summary.notes.append(FileFailure(label, NO_FILE))
        _count(saved, summary)
        return
    raw = client.file(remote.id)
    try:
        data = _gunzip(raw, label)
        digest = content_hash(data)
        activities = read_stamped(data, label, digest)
    except UnreadableFile as e:
        # Kept as a failure (not retried until the service's file changes) and said once.
        summary.failed.append(FileFailure(label, e.reason))
        store.files.record_failure(athlete.id, label, len(raw), 0, e.reason)
        return
    record = FileRecord(label, len(data), 0, digest, "imported", activities)
    _count(store.files.save(athlete.id, record), summary)


def _count(saved, summary) -> None:
    summary.activities += saved.primary
    if saved.primary:
        summary.imported += 1
    else:
        summary.duplicates += 1


def act_hash(label: str) -> str:
    return content_hash(label.encode())


def _gunzip(raw: bytes, label: str) -> bytes:
    """The service sends the original gzipped; the bytes are stored and hashed as the watch
    wrote them, so the same file from a watch folder is recognised."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        data = d.decompress(raw, 64 * 2**20)
    except zlib.error as e:
        raise UnreadableFile(label, f"corrupt gzip data ({e})") from e
    if not d.eof:
        raise UnreadableFile(label, "truncated gzip data")
    return data


def _from_summary(r: RemoteActivity, label: str) -> Activity | None:
    if r.distance_m is None:
        return None
    sport, sub = infer(r.type, r.name, None, None)
    return Activity(
        sport=sport,
        sub_sport=sub,
        start_utc=r.start_utc,
        distance_m=r.distance_m,
        moving_s=r.moving_s,
        elapsed_s=r.elapsed_s,
        source_format="summary",
        source_path=label,
        content_hash=act_hash(label),
        utc_offset_s=r.utc_offset_s,
        avg_hr=r.avg_hr,
        max_hr=r.max_hr,
        elevation_gain_m=r.elevation_gain_m,
        distance_source="summary",
        name=r.name,
    )


def pull_strava(
    store: Store,
    athlete: Athlete,
    cfg: SourceConfig,
    environ: Mapping[str, str],
    today: date,
    since: date | None = None,
) -> SourceOutcome:
    """New Strava activities, oldest first, each from its streams where it has them, else its
    summary; the cursor is the start (UTC) of the last one stored."""
    key = source_key(cfg)
    outcome = SourceOutcome(key, athlete.name)
    secret = environ.get(cfg.client_secret_env)
    if not secret:
        outcome.problem = f"strava: environment variable {cfg.client_secret_env} is not set"
        return outcome
    assert cfg.token_file is not None  # the config requires it for type = "strava"
    from .sources.strava import Strava  # stravalib (pydantic, pint): most of a second to load

    client = Strava(cfg.client_id, secret, cfg.token_file, cfg.base_url, athlete.name)
    cursor = store.sources.cursor(athlete.id, key)
    if since is not None:  # the day's start anywhere on earth
        after = datetime.combine(since, time(), UTC) - timedelta(hours=14)
    elif cursor:
        after = datetime.fromisoformat(cursor) - timedelta(seconds=1)
    else:
        after = datetime.combine(today - timedelta(days=cfg.history_days), time(), UTC)
    summary = outcome.imported
    try:
        listed = client.activities(after)
        known = store.files.known(athlete.id)
        for remote in listed:
            label = f"strava/{remote.id}"
            if label in known:
                summary.unchanged += 1
            else:
                streams = client.streams(remote.id) if remote.has_file else None
                act = _from_summary(remote, label)
                totals = streams and stream_totals(
                    streams.time_s, streams.distance_m, streams.heartrate
                )
                if totals:
                    act = _with_streams(remote, label, totals)
                elif act is not None:
                    summary.notes.append(FileFailure(label, NO_STREAMS))
                if act is None:
                    summary.skipped += 1
                    summary.skipped_files.append(FileFailure(label, "no streams and no distance"))
                    store.files.save(
                        athlete.id,
                        FileRecord(label, 0, 0, act_hash(label), "skipped", reason="no data"),
                    )
                else:
                    _count(
                        store.files.save(
                            athlete.id, FileRecord(label, 0, 0, act.content_hash, "imported", [act])
                        ),
                        summary,
                    )
            stamp = remote.start_utc.isoformat()
            if cursor is None or stamp > cursor:
                cursor = stamp
                store.sources.set_cursor(athlete.id, key, stamp)
    except SourceFailed as e:
        outcome.problem = str(e)
    return outcome


def _with_streams(r: RemoteActivity, label: str, totals) -> Activity:
    base = _from_summary(dataclasses.replace(r, distance_m=totals.distance_m), label)
    assert base is not None
    return dataclasses.replace(
        base,
        elapsed_s=r.elapsed_s if r.elapsed_s is not None else totals.elapsed_s,
        avg_hr=totals.avg_hr if totals.avg_hr is not None else r.avg_hr,
        max_hr=totals.max_hr if totals.max_hr is not None else r.max_hr,
        hr_histogram_s=totals.hr_histogram_s,
        distance_source="streams",
    )
