"""The application: one object over a store, the settings and a clock.

The CLI, the cron check, the scheduler's jobs and the web page all go through it, so opening the
database, syncing the config, locking, importing and building the views happen in one way. It
holds no arithmetic (the engine does) and no SQL (the store does); it decides which of them to
call, for whom, and on which day.
"""

from __future__ import annotations

import hmac
import os
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .config import Settings
from .config import load as load_settings
from .errors import ConfigError, NotFound, UsageError
from .ingest import import_paths
from .model import (
    PAIN_WHEN,
    Activity,
    Alert,
    Athlete,
    Delivery,
    FileFailure,
    ImportSummary,
    LedgerEntry,
    PainReport,
    Shoe,
    SourceOutcome,
    sport_name,
)
from .names import email_problem, name_problem, text_problem
from .owned import athlete_edit_problem, shoe_edit_problem
from .paths import Locations, resolve
from .store import Store, is_postgres, open_store
from .store.base import SnapshotRepo
from .units import Units
from .units import distance as unit_distance
from .units import parse as parse_units

if TYPE_CHECKING:  # the engine (pandas, numpy) is imported by the commands that compute
    from .analysis import Analysis
    from .backfill import Backfilled
    from .check import CheckResult
    from .export import Exported, Restored
    from .ledger import ChannelState
    from .load import LoadParams
    from .load.headroom import Headroom
    from .load.totals import Totals
    from .shoes import ShoeStatus
    from .views import ActivityRow, AthleteState, DigestRow, ReportView, RunView

Clock = Callable[[], datetime]
# athlete id -> (what a state was computed from, the state): see snapshot.Cache.
StateCache = dict[int, tuple[tuple[int, date, str, date | None], "AthleteState"]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def read_settings(locations: Locations) -> Settings:
    """The config a location names; a missing default config file means defaults.

    The rules are loaded first: they declare the `[rules]` keys (see `rulesettings`)."""
    from . import rules  # noqa: F401

    if locations.config_from != "default" and not locations.config.exists():
        raise ConfigError(
            "", f"no config file at {locations.config} (from {locations.config_from})"
        )
    return load_settings(locations.config)


def _refuse(problem: str | None) -> None:
    if problem:
        raise UsageError(problem)


def database_url(locations: Locations, settings: Settings) -> str:
    """--db and LOADWATCH_DB beat `store.database`, which beats the platform default."""
    if locations.database_from == "default" and settings.store.database:
        return settings.store.database
    return locations.database


def _missing_folder(url: str, named_by: str) -> str | None:
    """Why a SQLite database named by --db or LOADWATCH_DB cannot be made: its folder is not
    there. Made with its folders, a path typed wrong became a new empty database somewhere
    (`report --db /hom/ana/lw.db`: "no athletes yet"); the default place and the config's
    `store.database` are still made with their folders."""
    if named_by == "default" or is_postgres(url):
        return None
    path = Path(url.removeprefix("sqlite:///")).expanduser()
    if path.exists() or path.parent.is_dir():
        return None
    return (
        f"no folder {path.parent} for the database {path} ({named_by}): is the path right? "
        "(loadwatch makes the database file, not its folders)"
    )


# The earliest day loadwatch describes or takes as typed: a year typed wrong (0226 for 2026)
# made a run or a pain report pandas cannot place ("date value out of range"), or decades of
# empty days to compute for every report.
EARLIEST_DAY = date(1980, 1, 1)


def _typed_day(day: date, today: date, tz: str) -> None:
    """A day a person typed for a run or a pain report: not still to come (a planned run is no
    load yet), not before EARLIEST_DAY."""
    if day > today:
        raise UsageError(f"{day} is in the future (today is {today} in {tz})")
    if day < EARLIEST_DAY:
        raise UsageError(f"{day} is before {EARLIEST_DAY}: is the year right?")


class App:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock = utc_now,
        writes_states: bool = True,
        state_writer: SnapshotRepo | None = None,
        state_cache: StateCache | None = None,
    ):
        self.store = store
        self.settings = settings
        self.clock = clock
        # Whether a stale athlete state recomputed for a page is stored again, and where (the
        # web reads on read-only connections and stores through its one writer); with neither,
        # `state_cache` keeps them while they are current (`web --read-only`).
        self.writes_states = writes_states
        self.state_writer = state_writer
        self.state_cache = state_cache

    @classmethod
    def open(
        cls,
        db: str | None = None,
        config: str | None = None,
        clock: Clock = utc_now,
        settings: Settings | None = None,
        locations: Locations | None = None,
        read_only: bool = False,
    ) -> App:
        """Open the database the flags, environment or config name, with the config synced;
        `read_only`: an existing database as it is, nothing synced, migrated or created.

        `locations` (as the CLI resolved them) keep where the database came from: a default path
        passed as `db` would read as --db and hide the config's `store.database`."""
        locations = locations or resolve(db, config)
        settings = settings if settings is not None else read_settings(locations)
        url = database_url(locations, settings)
        if not read_only:  # read-only makes nothing anyway: "no database at ..."
            _refuse(_missing_folder(url, locations.database_from))
        app = cls(open_store(url, read_only=read_only), settings, clock, not read_only)
        if settings.athletes and not read_only:
            app.sync_config()
        return app

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stored states ----------------------------------------------------------------------
    @contextmanager
    def changing(self, athlete: Athlete) -> Iterator[None]:
        """A change to an athlete's data, with their stored state (snapshot.py) written in the
        same transaction when the change moved their data's revision (the store's triggers bump
        it); a change that changed nothing computes nothing (no engine is loaded)."""
        if not self.writes_states:
            yield
            return
        with self.store.transaction():
            before = self.store.snapshots.get(athlete.id)
            yield
            after = self.store.snapshots.get(athlete.id)
            if after is not None and (before is None or after.revision != before.revision):
                self.refresh_states([self.store.athletes.get(athlete.id)])

    def refresh_states(self, athletes: list[Athlete]) -> None:
        """The athletes' states, recomputed where stale and stored."""
        from . import snapshot

        snapshot.current_states(self.store, self.settings, athletes, self.clock(), write=True)

    # -- athletes ---------------------------------------------------------------------------
    def sync_config(self) -> None:
        """Athletes and shoes declared in the config become (or update) rows in the store."""
        with self.store.transaction():
            for a in self.settings.athletes:
                athlete = self.store.athletes.add(
                    a.name,
                    a.email,
                    a.tz,
                    resting_hr=a.resting_hr,
                    max_hr=a.max_hr,
                    sex=a.sex,
                    update=True,
                    units=a.units,
                )
                for s in a.shoes:
                    self.store.shoes.add(
                        athlete.id,
                        s.name,
                        s.start_m,
                        s.warn_m,
                        s.retire_m,
                        s.default_for,
                        update=True,
                    )
                    if s.retired:
                        self.store.shoes.retire(athlete.id, s.name)

    def athlete(self, name: str | None = None) -> Athlete:
        """The named athlete, or the only one there is."""
        if name:
            return self.store.athletes.named(name)
        athletes = self.store.athletes.all()
        if len(athletes) == 1:
            return athletes[0]
        if not athletes:
            raise NotFound("no athletes yet: add one with 'loadwatch athletes add NAME --tz ZONE'")
        raise NotFound(
            "several athletes: choose one with --athlete ("
            + ", ".join(a.name for a in athletes)
            + ")"
        )

    def athletes(self) -> list[Athlete]:
        return self.store.athletes.all()

    def add_athlete(
        self,
        name: str,
        email: str | None = None,
        tz: str = "UTC",
        resting_hr: int | None = None,
        max_hr: int | None = None,
        sex: str | None = None,
        update: bool = False,
        units: str | None = None,
    ) -> Athlete:
        _refuse(name_problem(name, "athlete's name"))
        if email is not None:
            _refuse(email_problem(email))
        if update:
            given = {"email": email, "tz": tz, "resting_hr": resting_hr, "max_hr": max_hr}
            given |= {"sex": sex, "units": units}
            changes = {k: v for k, v in given.items() if v is not None}
            _refuse(athlete_edit_problem(self.settings, name, changes))
        return self.store.athletes.add(name, email, tz, resting_hr, max_hr, sex, update, units)

    def edit_athlete(self, athlete: Athlete, **fields: object) -> Athlete:
        """Change an athlete's email (None or '' clears it), zone or heart rates; not what the
        config sets (its sync would put it back at the next command)."""
        if fields.get("email") == "":
            fields["email"] = None
        if isinstance(fields.get("email"), str):
            _refuse(email_problem(str(fields["email"])))
        _refuse(athlete_edit_problem(self.settings, athlete.name, fields))
        with self.changing(athlete):
            return self.store.athletes.change(athlete.id, **fields)

    def rename_athlete(self, athlete: Athlete, new_name: str) -> Athlete:
        _refuse(name_problem(new_name, "athlete's name"))
        with self.changing(athlete):
            return self.store.athletes.rename(athlete.id, new_name)

    def remove_athlete(self, athlete: Athlete) -> dict[str, int]:
        """Every row of the athlete goes; the files on disk stay where they are."""
        return self.store.athletes.remove(athlete.id)

    def export(self, athlete: Athlete, out: Path) -> Exported:
        """The athlete's files, activities.csv, pain.csv and edits in one zip (see export.py)."""
        from .export import PAIN_COLUMNS, write
        from .render.csvout import to_csv
        from .render.tables import activity_json

        rows = self.activities(athlete, include_duplicates=True)
        pain = [
            {"day": r.day.isoformat(), "score": r.score, "when": r.when, "where": r.where,
             "note": r.note}
            for r in self.pain_reports(athlete)
        ]  # fmt: skip
        return write(
            self.store,
            athlete,
            out,
            to_csv(activity_json(r) for r in rows),
            to_csv(pain, PAIN_COLUMNS),
        )

    def backfill(self, athlete: Athlete) -> Backfilled:
        """Per-run signals for runs stored before they were read, from their files (backfill.py)."""
        from .backfill import backfill

        return backfill(self.store, athlete.id, self.settings.imports.archive_limits)

    def restore_export(self, athlete: Athlete, doc: dict[str, object]) -> Restored:
        """An export's shoes, runs without a file and edits, after its files were imported."""
        from .export import restore

        return restore(self.store, athlete, doc, self.today(athlete))

    def calendar(self, athlete: Athlete, days: int = 14, units: Units | None = None) -> bytes:
        """The athlete's calendar feed: the headroom of `days` days from today (each if nothing
        more is run before it, in its return plan week), and every alert pending or sent, each
        on its day (iCalendar)."""
        from .render.calendar import feed
        from .views import headroom_days

        analysis = self.analysis(athlete)
        heads = headroom_days(analysis, self.settings.rules, days)
        alerts = [e.alert for e in self.ledger(athlete) if e.status in ("pending", "sent")]
        runs = analysis.distance.runs
        last = runs["day"].max().date() if len(runs) else None
        return feed(athlete, heads, alerts, self.clock(), units, last)

    def calendar_key(self, athlete: Athlete, rotate: bool = False) -> str:
        """The secret of the athlete's feed URL, made on first use; `rotate` makes a new one (the
        old URL then finds nothing)."""
        key = self.store.athletes.calendar_key(athlete.id)
        if key is None or rotate:
            key = self.store.athletes.calendar_key(athlete.id, secrets.token_urlsafe(24))
        assert key is not None
        return key

    def calendar_by_key(self, athlete_id: int, key: str, days: int = 14) -> bytes:
        """The feed for the web: NotFound, as for no athlete at all, unless `key` is the
        athlete's (compared in constant time)."""
        try:
            stored = self.store.athletes.calendar_key(athlete_id)
        except NotFound:
            stored = None  # the same answer as a wrong key: nothing says who exists
        if not stored or not hmac.compare_digest(stored.encode(), key.encode()):
            raise NotFound(f"no calendar for athlete {athlete_id}")
        return self.calendar(self.store.athletes.get(athlete_id), days)

    def today(self, athlete: Athlete) -> date:
        """Today in the athlete's own zone: the day a report or check describes by default."""
        return self.clock().astimezone(ZoneInfo(athlete.tz)).date()

    # -- import -----------------------------------------------------------------------------
    def import_paths(
        self,
        athlete: Athlete,
        paths: Iterable[Path | str],
        workers: int | None = None,
        on_total: Callable[[int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        sport: str | None = None,
    ) -> ImportSummary:
        before = self.store.snapshots.get(athlete.id)
        summary = import_paths(
            self.store,
            athlete,
            paths,
            workers=workers or self.settings.imports.workers,
            on_total=on_total,
            on_progress=on_progress,
            archive_limits=self.settings.imports.archive_limits,
            sport=sport_name(sport) if sport else None,
        )
        # Every run whose sport is unknown is listed, so it is not left out of the load unseen.
        summary.needs_sport = self.store.activities.needing_sport(athlete.id)
        # And every run stored with a reason to look at it, until it is marked seen.
        summary.needs_look = self.store.activities.needing_look(athlete.id)
        after = self.store.snapshots.get(athlete.id)
        if self.writes_states and after and (not before or after.revision != before.revision):
            # An import stores runs in many transactions (a batch each): its state follows, in a
            # transaction of its own, only when a run came in or changed.
            self.refresh_states([athlete])
        return summary

    def sync_inboxes(self, settled_s: float = 0.0) -> dict[str, ImportSummary]:
        """Every configured inbox, for the daemon's inbox job (which leaves files modified in
        the last `settled_s` seconds for later: they may still be being copied)."""
        from . import check as checks

        out = {}
        for athlete in self.store.athletes.all():
            summary = checks.import_inbox(self.store, self.settings, athlete, settled_s)
            if summary is not None:
                out[athlete.name] = summary
        return out

    def pull(
        self,
        athlete: str | None = None,
        since: date | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> list[SourceOutcome]:
        """New runs from every account source of the configured athletes (or of one)."""
        from .pull import pull_source

        env = os.environ if environ is None else environ
        out = []
        for config in self.settings.athletes:
            if not config.sources or (athlete is not None and config.name != athlete):
                continue
            who = self.store.athletes.named(config.name)
            for source in config.sources:
                out.append(pull_source(self.store, who, source, env, self.today(who), since))
        return out

    def sync_devices(self, athlete: str | None = None) -> list[SourceOutcome]:
        """Every watch mounted now, imported for its owner: the athlete whose config names its
        folder, else the athlete it was synced for before (by serial number), else the only
        athlete; `athlete` claims the unknown ones (and leaves the others' watches alone). An
        unknown watch among several athletes is a problem that asks for --athlete; the other
        watches still sync."""
        from .devices import default_roots, find_watches

        roots = self.settings.sync.mount_roots or default_roots()
        configured = {a.name: a.devices for a in self.settings.athletes if a.devices}
        chosen = self.athlete(athlete) if athlete else None
        everyone = self.store.athletes.all()
        out = []
        for watch in find_watches(roots, configured):
            source = str(watch.folder)
            owner: Athlete | None = None
            if watch.configured_for is not None:
                owner = self.store.athletes.named(watch.configured_for)
            elif watch.serial is not None:
                owner_id = self.store.sources.device_owner(watch.serial)
                owner = self.store.athletes.get(owner_id) if owner_id is not None else None
            if chosen is not None:
                if owner is not None and owner.id != chosen.id:
                    continue  # another athlete's watch: not what was asked for
                owner = chosen
            if owner is None and len(everyone) == 1:
                owner = everyone[0]
            if owner is None:
                names = ", ".join(a.name for a in everyone)
                serial = f"serial {watch.serial}" if watch.serial else "no serial number"
                problem = (
                    f"unknown watch ({serial}) at {source}: say whose it is with "
                    f"'loadwatch sync --athlete NAME' ({names}); it is remembered after that"
                )
                out.append(SourceOutcome(source, None, serial=watch.serial, problem=problem))
                continue
            summary = self.import_paths(owner, [watch.folder])
            if watch.serial is not None:
                self.store.sources.remember_device(owner.id, watch.serial)
            out.append(SourceOutcome(source, owner.name, summary, serial=watch.serial))
        return out

    # -- views ------------------------------------------------------------------------------
    def day(self, athlete: Athlete, as_of: date | None) -> date:
        """The day to describe: today in the athlete's zone, or a day from 1980 to a year ahead
        (a report for 9999-12-31 would compute eight thousand years of empty days)."""
        today = self.today(athlete)
        if as_of is None:
            return today
        latest = today + timedelta(days=366)
        if not EARLIEST_DAY <= as_of <= latest:
            raise UsageError(
                f"--as-of {as_of.isoformat()} is outside {EARLIEST_DAY} to {latest.isoformat()}"
            )
        return as_of

    def analysis(
        self, athlete: Athlete, as_of: date | None = None, params: LoadParams | None = None
    ) -> Analysis:
        from . import check as checks
        from .load import LoadParams

        day = self.day(athlete, as_of)
        return checks.read_analysis(self.store, athlete, day, self.settings, params or LoadParams())

    def report(
        self,
        athlete: Athlete,
        as_of: date | None = None,
        basis: str = "distance",
        weeks: int | None = None,
    ) -> ReportView:
        """The report of the last `weeks` weeks (None: every day of the history)."""
        from .load import LoadParams
        from .views import report_view

        params = replace(LoadParams(), load_basis=basis)
        edges = [pct / 100.0 for pct in self.settings.zones.hrr_edges_pct]
        return report_view(self.analysis(athlete, as_of, params), self.settings.rules, weeks, edges)

    def headroom(self, athlete: Athlete, as_of: date | None = None) -> Headroom:
        from .views import headroom_for

        return headroom_for(self.analysis(athlete, as_of), self.settings.rules)

    def activities(
        self,
        athlete: Athlete,
        include_duplicates: bool = False,
        activity_id: int | None = None,
        newest: int | None = None,
    ) -> list[ActivityRow]:
        """Every activity (or the `newest` few), excluded ones too (marked): a list shows what
        is there; with `activity_id`, that one only. Rows are made only for those asked for (a
        10-year history has thousands)."""
        from .views import activity_rows

        frame = self.store.activities.frame(
            athlete.id, include_duplicates=include_duplicates, include_excluded=True
        )
        if activity_id is not None:
            frame = frame[frame["id"] == activity_id]
        elif newest is not None:
            frame = frame.tail(newest)
        zones = None
        rest, peak = athlete.resting_hr, athlete.max_hr
        if rest and peak and peak > rest and len(frame):
            # Derived now from each run's stored histogram: a changed resting or maximum heart
            # rate re-zones every run without reading a file again.
            from .load.zones import decode, zone_seconds

            edges = [pct / 100.0 for pct in self.settings.zones.hrr_edges_pct]
            zones = zone_seconds(decode(frame["hr_histogram"]), rest, peak, edges)
        return activity_rows(frame, athlete.tz, zones)

    def totals(self, athlete: Athlete, by: str = "week", as_of: date | None = None) -> Totals:
        """Distance, time and climb by week, month or year, the year to date, the longest runs."""
        from .load.totals import totals
        from .views import run_facts

        return totals(run_facts(self.activities(athlete)), self.day(athlete, as_of), by)

    def run(self, activity_id: int, units: Units | None = None) -> RunView:
        """One run's page: its row (edits applied, a copy or an excluded run too), where it sits
        against the headroom of its day, and its file's records read again, the one file only,
        when its bytes are still those imported; in `units` (default: the athlete's own)."""
        from .errors import UnreadableFile
        from .importers.track import read_track
        from .views import run_against, run_view

        athlete = self.activity_athlete(activity_id)
        rows = self.activities(athlete, include_duplicates=True, activity_id=activity_id)
        if not rows:
            raise NotFound(f"no activity {activity_id}")
        row = rows[0]
        unit = units or athlete.units
        shoes = {s.id: s.name for s in self.store.shoes.all(athlete.id)}
        against = run_against(
            self.analysis(athlete, max(row.day, self.today(athlete))),
            row,
            self.settings.rules,
            unit,
        )
        track, problem = None, None
        if row.source == "manual" or not row.source_path:
            problem = "no file (typed in, or a platform's list without a recording)"
        elif row.source == "summary":
            problem = "a platform's summary of the run: no records were kept"
        else:
            try:
                track = read_track(
                    row.source_path, row.content_hash or "", row.start_utc, row.elapsed_s
                )
            except UnreadableFile as e:
                problem = str(e)
            else:
                if len(track.t_s) < 2:
                    track, problem = None, f"{row.source_path}: no records with a time"
        shoe = shoes.get(row.shoe_id) if row.shoe_id is not None else None
        return run_view(athlete.id, athlete.name, row, shoe, against, track, problem, unit)

    # -- what the runner feels -------------------------------------------------------------
    def log_pain(
        self,
        athlete: Athlete,
        score: int,
        day: date | None = None,
        when: str = "morning",
        where: str | None = None,
        note: str | None = None,
    ) -> PainReport:
        """One pain report (0-10 numeric rating scale); `day` defaults to today in the
        athlete's zone. Refused whole, before anything is stored, when any part is wrong."""
        today = self.today(athlete)
        day = day or today
        if isinstance(score, bool) or not 0 <= score <= 10:
            raise UsageError(f"pain score {score} is not 0-10 (0 none, 10 worst imaginable)")
        if when not in PAIN_WHEN:
            raise UsageError(f"--when {when!r} is not one of {', '.join(PAIN_WHEN)}")
        _typed_day(day, today, athlete.tz)
        where = (where or "").strip() or None
        note = (note or "").strip() or None
        if where is not None:
            _refuse(text_problem(where, "where"))
        if note is not None:
            _refuse(text_problem(note, "note"))
        with self.changing(athlete):
            return self.store.pain.add(athlete.id, day, score, when, where, note)

    def pain_reports(self, athlete: Athlete) -> list[PainReport]:
        """Newest first."""
        return self.store.pain.all(athlete.id)

    def delete_pain(self, report_id: int) -> tuple[Athlete, PainReport]:
        athlete = self.store.athletes.get(self.store.pain.get(report_id).athlete_id)
        with self.changing(athlete):
            report = self.store.pain.delete(report_id)
        return athlete, report

    # -- fixing what a file got wrong -------------------------------------------------------
    def edit_activity(
        self,
        activity_id: int,
        sport: str | None = None,
        distance_m: float | None = None,
        shoe: str | None = None,
        rpe: int | None = None,
        race: bool | None = None,
    ) -> Athlete:
        """Sport, distance, shoe, effort (CR-10 session RPE, 0-10) or race flag of one run; the
        edit belongs to the outing and survives re-imports of the same file and of the same run
        from another source."""
        if rpe is not None and (isinstance(rpe, bool) or not 0 <= rpe <= 10):
            raise UsageError(f"RPE {rpe} is not 0-10 (CR-10: 0 rest, 10 maximal)")
        athlete = self.activity_athlete(activity_id)
        with self.store.transaction(), self.changing(athlete):
            if sport is not None or distance_m is not None or rpe is not None or race is not None:
                self.store.activities.edit(
                    athlete.id,
                    activity_id,
                    sport_name(sport) if sport is not None else None,
                    distance_m,
                    rpe,
                    race,
                )
            if shoe is not None:
                self.store.shoes.assign(athlete.id, shoe or None, activity_id=activity_id)
        return athlete

    def exclude_activity(
        self, activity_id: int, excluded: bool = True, reason: str | None = None
    ) -> Athlete:
        athlete = self.activity_athlete(activity_id)
        with self.changing(athlete):
            self.store.activities.set_excluded(athlete.id, activity_id, excluded, reason)
        return athlete

    def seen_activity(self, activity_id: int) -> Athlete:
        """A run that needed a look was looked at: no longer listed."""
        athlete = self.activity_athlete(activity_id)
        with self.changing(athlete):
            self.store.activities.seen(athlete.id, activity_id)
        return athlete

    def separate_activity(self, activity_id: int) -> Athlete:
        """A copy kept as a (likely) duplicate is its own run: it counts again."""
        athlete = self.activity_athlete(activity_id)
        with self.changing(athlete):
            self.store.activities.separate(athlete.id, activity_id)
        return athlete

    def delete_activity(self, activity_id: int) -> Athlete:
        athlete = self.activity_athlete(activity_id)
        with self.changing(athlete):
            self.store.activities.delete(athlete.id, activity_id)
        return athlete

    def add_activity(
        self,
        athlete: Athlete,
        day: date,
        distance_m: float,
        minutes: float,
        sport: str = "running",
        rpe: int | None = None,
        start: time = time(12, 0),
        name: str | None = None,
    ) -> int:
        """A run without a file (a treadmill session, a watch left at home); its distance in
        whole metres, as the shell converted what was typed in km or mi. Not on a day still to
        come: a planned run is no load yet (as a pain report)."""
        _typed_day(day, self.today(athlete), athlete.tz)
        if name is not None:
            _refuse(name_problem(name, "run's name"))
        local = datetime.combine(day, start, ZoneInfo(athlete.tz))
        offset = local.utcoffset()
        act = Activity(
            sport=sport_name(sport),
            sub_sport=None,
            start_utc=local.astimezone(UTC),
            distance_m=distance_m,
            moving_s=minutes * 60,
            elapsed_s=minutes * 60,
            source_format="manual",
            source_path="",
            content_hash=f"manual:{uuid.uuid4().hex}",
            utc_offset_s=int(offset.total_seconds()) if offset is not None else None,
            distance_source="manual",
            rpe=rpe,
            name=name,
        )
        with self.changing(athlete):
            return self.store.activities.add_manual(
                athlete.id, act, self.store.shoes.all(athlete.id)
            )

    def shoe_status(self, athlete: Athlete) -> list[ShoeStatus]:
        from .shoes import shoe_status

        return shoe_status(
            self.store.shoes.all(athlete.id), self.store.activities.frame(athlete.id)
        )

    def ledger(self, athlete: Athlete, status: str | None = None) -> list[LedgerEntry]:
        from .views import ledger_rows

        return ledger_rows(self.store.ledger.entries(athlete.id), status)

    def channel_states(
        self, rows: Sequence[tuple[Athlete, LedgerEntry]], configured: bool = True
    ) -> dict[str, list[ChannelState]]:
        """Each alert's state on each channel (alert key -> channels), from the deliveries
        ledger (one read for all) and the channels the config sends each athlete's alerts to
        now. Without `configured`, only what the ledger recorded, named by its ids (a channel
        not tried yet is not listed): the web page's way, which must not load Apprise to name a
        push URL."""
        from . import check as checks
        from .ledger import channel_states

        mailer = checks.Mailer(self.settings)  # opens no connection: only the channels' names
        named: dict[int, list[tuple[str, str]]] = {}
        for a, _ in rows:
            if configured and a.id not in named:
                channels = checks.alert_channels(a, self.settings, mailer)
                named[a.id] = [(c.id, c.label) for c in channels]
        records: dict[str, list[Delivery]] = {}
        for d in self.store.ledger.deliveries([e.alert.key for _, e in rows]):
            records.setdefault(d.key, []).append(d)
        return {
            e.alert.key: channel_states(e, records.get(e.alert.key, []), named.get(a.id, []))
            for a, e in rows
        }

    def failures(self, athlete: Athlete) -> list[FileFailure]:
        return self.store.files.failures(athlete.id)

    def team(
        self, coach: str | None = None, as_of: date | None = None, open_days: int = 7
    ) -> list[DigestRow]:
        """Every athlete (or a coach's), those needing attention first: the digest's rows, with
        the alerts a check would send now (as the alerts page lists them: pending, of any age,
        and new) and those sent in the last `open_days` days as open."""
        from . import check as checks

        names = None
        units = None  # each athlete in their own, or the coach's choice
        if coach:
            config = next((c for c in self.settings.coaches if c.name == coach), None)
            if config is None:
                raise NotFound(f"no coach named {coach!r} in the config")
            names = set(config.athletes)
            units = parse_units(config.units) if config.units else None
        athletes = [a for a in self.store.athletes.all() if names is None or a.name in names]
        if as_of is not None:
            for a in athletes:
                self.day(a, as_of)
        now = self.clock()
        return checks.digest_rows(
            self.store,
            self.settings,
            athletes,
            now,
            now - timedelta(days=open_days),
            as_of=as_of,
            write=self.writes_states,
            with_new=True,
            writer=self.state_writer,
            cache=self.state_cache,
            units=units,
        )

    def holds_until(self, now: datetime, open_days: int = 7) -> datetime:
        """Until when the team rows and what a check would send, built at `now`, hold while the
        data stays as it is: the next midnight in an athlete's zone, or an alert sent leaving
        the `open_days` window (see snapshot.clock_changes). A server keeps a page until then."""
        from . import snapshot

        zones = [a.tz for a in self.store.athletes.all()]
        opened = self.store.ledger.open_all(now - timedelta(days=open_days))
        sent = [e.created_utc for es in opened.values() for e in es if e.status == "sent"]
        return snapshot.clock_changes(zones, sent, now, open_days)

    def alerts_to_send(self, as_of: date | None = None) -> list[tuple[Athlete, Alert]]:
        """What a check would mail now, for every athlete: pending alerts and new ones, from
        the stored states (one pass for those that are stale) and one read of the ledger."""
        from . import snapshot

        athletes = self.store.athletes.all()
        if as_of is not None:
            for a in athletes:
                self.day(a, as_of)
        days = {a.id: as_of for a in athletes} if as_of else None
        states = snapshot.current_states(
            self.store,
            self.settings,
            athletes,
            self.clock(),
            days,
            self.writes_states,
            writer=self.state_writer,
            cache=self.state_cache,
        )
        new = snapshot.new_alerts(self.store, states.by_id)
        pending = self.store.ledger.entries_all(["pending"])
        return [
            (a, x)
            for a in athletes
            for x in [e.alert for e in pending.get(a.id, [])] + new.get(a.id, [])
        ]

    def would_send(self, athlete: Athlete, as_of: date | None = None) -> list[Alert]:
        """What a check would mail now: pending alerts and new ones (the ledger is not touched)."""
        from . import ledger

        new = self._new_alerts(athlete, self.analysis(athlete, as_of or self.today(athlete)))
        return ledger.pending(self.store, athlete.id) + new

    def _new_alerts(self, athlete: Athlete, analysis: Analysis) -> list[Alert]:
        """The alerts a check on the analysis's day would record as pending (not yet in the
        ledger, about a day from the athlete's alert start on)."""
        from . import ledger, rules

        day = analysis.distance.as_of
        found = rules.evaluate(analysis, self.settings.rules)
        limit = ledger.cutoff(self.store, athlete.id, day, self.settings.rules.lookback_days)
        return [x for x in ledger.unseen(self.store, found) if ledger.is_news(x, limit)]

    # -- shoes ------------------------------------------------------------------------------
    def add_shoe(
        self,
        athlete: Athlete,
        name: str,
        start_m: float | None = None,
        warn_m: float | None = None,
        retire_m: float | None = None,
        default_for: str | None = None,
        update: bool = False,
    ) -> Shoe:
        """A new shoe, its distances not given the defaults; with `update`, an existing shoe
        changes only in what is given (None: as stored)."""
        _refuse(name_problem(name, "shoe's name"))
        given = {"start_m": start_m, "warn_m": warn_m, "retire_m": retire_m}
        changes = {k: v for k, v in {**given, "default_for": default_for}.items() if v is not None}
        _refuse(shoe_edit_problem(self.settings, athlete.name, name, changes))
        with self.changing(athlete):
            old = self.store.shoes.find(athlete.id, name) if update else None
            if update and old is None:
                # A name typed wrong would have made a new shoe with the defaults.
                raise UsageError(
                    f"{athlete.name} has no shoe {name!r} to update (without --update it is added)"
                )
            base = old or Shoe(0, athlete.id, name)  # the model's defaults: 0, 640 km, 800 km
            start = base.start_m if start_m is None else start_m
            warn = base.warn_m if warn_m is None else warn_m
            retire = base.retire_m if retire_m is None else retire_m
            if retire < warn:
                u = parse_units(athlete.units)
                raise UsageError(
                    f"shoe {name!r}: its retire distance ({unit_distance(retire, u)}) must not "
                    f"be below its warn distance ({unit_distance(warn, u)}): give --warn-{u} "
                    f"and --retire-{u} together"
                )
            return self.store.shoes.add(athlete.id, name, start, warn, retire, default_for, update)

    def activity_athlete(self, activity_id: int) -> Athlete:
        """An activity id names its athlete."""
        return self.store.athletes.get(self.store.activities.owner(activity_id))

    def shoe_athlete(self, shoe: str, athlete: str | None = None) -> Athlete:
        """The athlete a shoe name belongs to, when only one athlete has a shoe of that name."""
        if athlete:
            return self.athlete(athlete)
        owners = self.store.shoes.owners(shoe)
        if len(owners) == 1:
            return self.store.athletes.get(owners[0])
        return self.athlete(None)

    def assign_shoe(self, athlete: Athlete, shoe: str, activity_id: int) -> int:
        with self.changing(athlete):
            return self.store.shoes.assign(athlete.id, shoe, activity_id=activity_id)

    def assign_shoe_range(
        self, athlete: Athlete, shoe: str, first: date | None, last: date | None
    ) -> int:
        """Every run from the first to the last local day (inclusive) onto one shoe."""
        tz = ZoneInfo(athlete.tz)
        start = datetime.combine(first, time(0), tz) if first else None
        end = datetime.combine(last + timedelta(days=1), time(0), tz) if last else None
        with self.changing(athlete):
            return self.store.shoes.assign(athlete.id, shoe, start_utc=start, end_utc=end)

    def retire_shoe(self, athlete: Athlete, shoe: str, retired: bool = True) -> None:
        # A retired shoe is no one's default any more (the store clears it).
        changes = {"retired": retired, **({"default_for": None} if retired else {})}
        _refuse(shoe_edit_problem(self.settings, athlete.name, shoe, changes))
        with self.changing(athlete):
            self.store.shoes.retire(athlete.id, shoe, retired)

    # -- check ------------------------------------------------------------------------------
    def check(
        self,
        athlete: str | None = None,
        as_of: date | None = None,
        dry_run: bool = False,
        outbox: Path | None = None,
        worker: bool = False,
        with_digests: bool = True,
        import_inboxes: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> CheckResult:
        """Import, evaluate, record and send, for one athlete or everyone, then the digests."""
        from . import check as checks

        if athlete is None and self.settings.athletes:
            self.sync_config()
        one = self.store.athletes.named(athlete) if athlete else None
        if as_of is not None:
            for a in [one] if one else self.store.athletes.all():
                self.day(a, as_of)
        options = checks.CheckOptions(as_of, dry_run, outbox, import_inboxes, progress)
        # The accounts first, like the inboxes (workers leave it to a plain check: two pulling
        # the same account at once would only fetch the same files twice).
        pulled = self.pull(athlete) if import_inboxes and not worker else []
        result = checks.run_check(
            self.store,
            self.settings,
            self.clock(),
            athlete=one,
            options=options,
            with_digests=with_digests,
            worker=worker,
        )
        result.pulled = pulled
        return result

    def digest(self, coach: str) -> CheckResult:
        """One coach's digest, for the scheduler's per-coach job."""
        from . import check as checks

        config = next((c for c in self.settings.coaches if c.name == coach), None)
        if config is None:
            raise NotFound(f"no coach named {coach!r} in the config")
        result = checks.CheckResult()
        mailer = checks.Mailer(self.settings)
        try:
            with self.store.lock("check"):
                checks.send_digest(
                    self.store, self.settings, config, self.clock(), checks.CheckOptions(),
                    mailer, result,
                )  # fmt: skip
        finally:
            mailer.close()
        if result.fatal is not None:
            raise result.fatal
        return result
