"""The `loadwatch` command: a thin click shell over the library.

This is the one place where library errors become one-line messages and exit codes; a traceback
reaches the user only with --debug.
"""

from __future__ import annotations

import json
import sys
import traceback
from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from . import __version__
from .errors import LoadwatchError, NotFound
from .ingest import import_paths
from .paths import resolve
from .store import SqliteStore

EXIT_SOME_FAILED = 3
PROGRESS_MIN_FILES = 5


class Context:
    def __init__(self, db: str | None, config: str | None, debug: bool):
        self.locations = resolve(db, config)
        self.debug = debug
        self._store: SqliteStore | None = None
        self._settings = None

    @property
    def settings(self):
        """The config, parsed once; a missing default config file means defaults."""
        if self._settings is None:
            from .config import load

            loc = self.locations
            if loc.config_from != "default" and not loc.config.exists():
                from .errors import ConfigError

                raise ConfigError("", f"no config file at {loc.config} (from {loc.config_from})")
            self._settings = load(loc.config)
        return self._settings

    @property
    def store(self) -> SqliteStore:
        if self._store is None:
            db = self.locations.database
            if self.locations.database_from == "default" and self.settings.database:
                db = self.settings.database
            self._store = SqliteStore(db)
            if self.settings.athletes:
                # What a coach declares in the config (athletes, shoes) is there for every command.
                from .check import sync_config

                sync_config(self._store, self.settings)
        return self._store

    def athlete_name(self, name: str | None) -> str:
        """The named athlete, or the only one there is."""
        if name:
            return name
        athletes = self.store.athletes()
        if len(athletes) == 1:
            return athletes[0].name
        if not athletes:
            raise NotFound("no athletes yet: add one with 'loadwatch athletes add NAME --tz ZONE'")
        raise NotFound(
            "several athletes: choose one with --athlete ("
            + ", ".join(a.name for a in athletes)
            + ")"
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


class LoadwatchGroup(click.Group):
    """Turns library errors into one line on stderr and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except LoadwatchError as e:
            if _debug(ctx):
                traceback.print_exc()
            click.echo(f"error: {e}", err=True)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as e:
            if _debug(ctx):
                raise
            click.echo(
                f"error: unexpected {type(e).__name__}: {e} (run again with --debug for details)",
                err=True,
            )
            ctx.exit(1)


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(Context)
    return bool(obj and obj.debug)


@click.group(cls=LoadwatchGroup)
@click.option(
    "--db", type=click.Path(dir_okay=False), help="SQLite database file (env LOADWATCH_DB)."
)
@click.option(
    "--config", type=click.Path(dir_okay=False), help="Config file, TOML (env LOADWATCH_CONFIG)."
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="loadwatch")
@click.pass_context
def main(ctx: click.Context, db: str | None, config: str | None, debug: bool) -> None:
    """Watch a runner's training load and warn before it turns into an injury."""
    obj = Context(db, config, debug)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


@main.command()
@click.pass_obj
def paths(obj: Context) -> None:
    """Show where the database and the config file live."""
    loc = obj.locations
    click.echo(f"database: {loc.database}  ({loc.database_from})")
    click.echo(
        f"config:   {loc.config}  ({loc.config_from}{'' if loc.config.exists() else ', not present'})"
    )


# -- athletes ------------------------------------------------------------------------------------
@main.group()
def athletes() -> None:
    """Add and list athletes."""


def _check_tz(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise click.BadParameter(
            f"unknown time zone {tz!r} (use an IANA name such as Europe/Berlin)"
        ) from e
    return tz


@athletes.command("add")
@click.argument("name")
@click.option("--email", help="Where alerts go.")
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    callback=lambda c, p, v: _check_tz(v),
    help="IANA time zone: days and weeks are counted in it.",
)
@click.option("--resting-hr", type=click.IntRange(20, 120), help="Resting heart rate (for TRIMP).")
@click.option("--max-hr", type=click.IntRange(100, 240), help="Maximum heart rate (for TRIMP).")
@click.option(
    "--sex", type=click.Choice(["female", "male"]), help="Selects the Banister TRIMP weighting."
)
@click.option("--update", is_flag=True, help="Change an existing athlete instead of failing.")
@click.pass_obj
def athletes_add(obj: Context, name, email, tz, resting_hr, max_hr, sex, update) -> None:
    """Add an athlete (or change one with --update)."""
    a = obj.store.add_athlete(
        name, email, tz, resting_hr=resting_hr, max_hr=max_hr, sex=sex, update=update
    )
    click.echo(f"athlete {a.name} ({a.tz}{', ' + a.email if a.email else ''})")


@athletes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def athletes_list(obj: Context, as_json: bool) -> None:
    """List athletes."""
    rows = obj.store.athletes()
    if as_json:
        click.echo(json.dumps([a.__dict__ for a in rows], indent=2))
        return
    for a in rows:
        click.echo(f"{a.name:<20} {a.tz:<20} {a.email or ''}")


# -- import --------------------------------------------------------------------------------------
@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--athlete", "-a", help="Whose files these are (optional when there is one athlete).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--workers", type=click.IntRange(1, 64), help="Decoding processes (default: all cores)."
)
@click.option(
    "--verbose", "-v", is_flag=True, help="Also list the files skipped as non-activities."
)
@click.pass_obj
def import_(obj: Context, paths, athlete, as_json, workers, verbose) -> None:
    """Import FIT, GPX and TCX files (also .gz) and folders of them, recursively."""
    name = obj.athlete_name(athlete)
    bar = None

    def on_total(n: int) -> None:
        nonlocal bar
        if n > PROGRESS_MIN_FILES and not as_json and sys.stderr.isatty():
            bar = click.progressbar(length=n, label="importing", file=sys.stderr)
            bar.__enter__()

    def on_progress(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        settings = obj.settings
        summary = import_paths(
            obj.store,
            name,
            paths,
            workers=workers or settings.import_workers,
            on_total=on_total,
            on_progress=on_progress,
            archive_limits=settings.archive_limits,
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(summary.as_json(), indent=2))
    else:
        click.echo(
            f"imported {summary.imported} files ({summary.activities} activities), "
            f"{summary.duplicates} duplicates, {summary.unchanged} unchanged, "
            f"{summary.skipped} skipped, {len(summary.failed)} failed"
            + (f", {summary.ignored} other files ignored" if summary.ignored else "")
        )
        if verbose:
            for s in summary.skipped_files:
                click.echo(f"skipped: {s.path}: {s.reason}", err=True)
        for f in summary.failed:
            click.echo(f"failed: {f.path}: {f.reason}", err=True)
    if summary.failed:
        sys.exit(EXIT_SOME_FAILED)


# -- activities ----------------------------------------------------------------------------------
@main.command()
@click.option("--athlete", "-a", help="Whose activities (optional when there is one athlete).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--all", "include_duplicates", is_flag=True, help="Include copies kept as duplicates."
)
@click.option("--limit", type=int, default=0, help="Only the last N (0: all).")
@click.pass_obj
def activities(obj: Context, athlete, as_json, include_duplicates, limit) -> None:
    """List an athlete's activities, oldest first."""
    a = obj.store.athlete(obj.athlete_name(athlete))
    frame = obj.store.activities_frame(a.id, include_duplicates=include_duplicates)
    if limit:
        frame = frame.tail(limit)
    if as_json:
        click.echo(json.dumps([_activity_json(r) for r in frame.itertuples()], indent=2))
        return
    tz = ZoneInfo(a.tz)
    click.echo(
        f"{'id':>5}  {'local start':<16}  {'sport':<14} {'km':>7} {'moving':>8} {'hr':>4}  source"
    )
    for r in frame.itertuples():
        local = r.start_utc.tz_convert(tz).strftime("%Y-%m-%d %H:%M")
        hr = f"{r.avg_hr:.0f}" if r.avg_hr == r.avg_hr and r.avg_hr is not None else "-"
        dup = (
            f"  (duplicate of {int(r.duplicate_of)})"
            if r.duplicate_of == r.duplicate_of and r.duplicate_of is not None
            else ""
        )
        click.echo(
            f"{r.id:>5}  {local:<16}  {r.sport:<14} {r.distance_m / 1000:>7.2f} "
            f"{_hms(r.moving_s):>8} {hr:>4}  {r.source_format}{dup}"
        )
    click.echo(f"{len(frame)} activities")


def _none(v):
    return None if v is None or v != v else v


def _activity_json(r) -> dict:
    return {
        "id": int(r.id),
        "start_utc": r.start_utc.tz_convert(UTC).isoformat().replace("+00:00", "Z"),
        "utc_offset_s": None if _none(r.utc_offset_s) is None else int(r.utc_offset_s),
        "sport": r.sport,
        "sub_sport": _none(r.sub_sport),
        "distance_m": float(r.distance_m),
        "moving_s": _none(r.moving_s),
        "elapsed_s": _none(r.elapsed_s),
        "avg_hr": _none(r.avg_hr),
        "max_hr": _none(r.max_hr),
        "elevation_gain_m": _none(r.elevation_gain_m),
        "device": _none(r.device),
        "source": r.source_format,
        "source_path": r.source_path,
        "duplicate_of": None if _none(r.duplicate_of) is None else int(r.duplicate_of),
    }


def _hms(seconds) -> str:
    if seconds is None or seconds != seconds:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


# -- report --------------------------------------------------------------------------------------
def _parse_day(ctx, param, value):
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-24") from e


@main.command()
@click.option("--athlete", "-a", help="Whose report (optional when there is one athlete).")
@click.option(
    "--as-of",
    callback=_parse_day,
    help="The day to describe (default: today in the athlete's zone).",
)
@click.option(
    "--weeks", type=click.IntRange(1, 520), default=12, show_default=True, help="Weeks shown."
)
@click.option(
    "--basis",
    type=click.Choice(["distance", "moving_time", "trimp"]),
    default="distance",
    show_default=True,
    help="Load basis of the ratios (TRIMP needs resting and max heart rate).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML page.",
)
@click.pass_obj
def report(obj: Context, athlete, as_of, weeks, basis, as_json, html_path) -> None:
    """Weekly distance, acute:chronic ratios (variant named), spikes and shoes."""
    from .analysis import analyse
    from .load import LoadParams
    from .report import default_as_of, html_page, report_data, terminal

    a = obj.store.athlete(obj.athlete_name(athlete))
    try:
        params = LoadParams(load_basis=basis)
        result = analyse(obj.store, a, as_of or default_as_of(a.tz), params)
    except ValueError as e:
        raise click.UsageError(str(e)) from e
    data = report_data(a.name, result.load, result.distance, result.shoes)
    if html_path:
        from pathlib import Path

        Path(html_path).write_text(
            html_page(data, result.load, result.distance, weeks), encoding="utf-8"
        )
    if as_json:
        click.echo(json.dumps(data, indent=1, allow_nan=False))
    else:
        click.echo(terminal(data, weeks), nl=False)
        if html_path:
            click.echo(f"wrote {html_path}")


# -- shoes ---------------------------------------------------------------------------------------
@main.group()
def shoes() -> None:
    """Track shoe mileage: add, list, assign, retire."""


@shoes.command("add")
@click.argument("name")
@click.option("--athlete", "-a", help="Whose shoe (optional when there is one athlete).")
@click.option(
    "--start-km",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Distance already on the shoe.",
)
@click.option(
    "--warn-km",
    type=click.FloatRange(1),
    default=640.0,
    show_default=True,
    help="Remind at this distance (400 mi).",
)
@click.option(
    "--retire-km",
    type=click.FloatRange(1),
    default=800.0,
    show_default=True,
    help="Remind again to retire it at this distance (500 mi).",
)
@click.option("--default", "is_default", is_flag=True, help="New runs get this shoe.")
@click.option("--default-for", help="New runs of this kind get this shoe (e.g. trail, treadmill).")
@click.option("--update", is_flag=True, help="Change an existing shoe.")
@click.pass_obj
def shoes_add(
    obj: Context, name, athlete, start_km, warn_km, retire_km, is_default, default_for, update
) -> None:
    """Add a shoe."""
    if retire_km < warn_km:
        raise click.BadParameter("must not be below --warn-km", param_hint="--retire-km")
    a = obj.store.athlete(obj.athlete_name(athlete))
    kind = default_for or ("running" if is_default else None)
    obj.store.add_shoe(
        a.id, name, start_km * 1000, warn_km * 1000, retire_km * 1000, kind, update=update
    )
    click.echo(f"shoe {name} for {a.name}" + (f" (default for {kind} runs)" if kind else ""))


@shoes.command("list")
@click.option("--athlete", "-a", help="Whose shoes (optional when there is one athlete).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def shoes_list(obj: Context, athlete, as_json) -> None:
    """Shoes with their distance against their limits."""
    from .shoes import shoe_status

    a = obj.store.athlete(obj.athlete_name(athlete))
    rows = shoe_status(obj.store.shoes_frame(a.id), obj.store.activities_frame(a.id))
    if as_json:
        click.echo(json.dumps([s.as_json() for s in rows], indent=2))
        return
    click.echo(f"{'name':<24}{'km':>8}{'warn':>7}{'retire':>8}{'runs':>6}  status")
    for s in rows:
        status = "retired" if s.retired else s.level
        if s.default_for:
            status += f", default for {s.default_for}"
        click.echo(
            f"{s.name:<24}{s.km:>8.1f}{s.warn_km:>7.0f}{s.retire_km:>8.0f}{s.runs:>6}  {status}"
        )


@shoes.command("assign")
@click.argument("args", nargs=-1, required=True)
@click.option("--athlete", "-a", help="Whose runs (optional when there is one athlete).")
@click.option(
    "--from", "from_day", callback=_parse_day, help="First local day of a range (inclusive)."
)
@click.option("--to", "to_day", callback=_parse_day, help="Last local day of a range (inclusive).")
@click.pass_obj
def shoes_assign(obj: Context, args, athlete, from_day, to_day) -> None:
    """Put a run on a shoe: ACTIVITY_ID SHOE, or SHOE with --from/--to for every run in a range."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    if len(args) == 2:
        try:
            activity_id = int(args[0])
        except ValueError as e:
            raise click.BadParameter(
                f"{args[0]!r} is not an activity id", param_hint="ACTIVITY_ID"
            ) from e
        # An activity id names its athlete: --athlete is needed only to double-check.
        a = obj.store.athlete(athlete or obj.store.activity_owner(activity_id))
        obj.store.assign_shoe(a.id, args[1], activity_id=activity_id)
        click.echo(f"activity {activity_id} -> {args[1]}")
        return
    a = obj.store.athlete(obj.athlete_name(athlete))
    if len(args) != 1 or not (from_day or to_day):
        raise click.UsageError("give ACTIVITY_ID SHOE, or SHOE with --from and/or --to")
    tz = ZoneInfo(a.tz)
    start = datetime.combine(from_day, time(0), tz) if from_day else None
    end = datetime.combine(to_day + timedelta(days=1), time(0), tz) if to_day else None
    n = obj.store.assign_shoe(a.id, args[0], start_utc=start, end_utc=end)
    click.echo(f"{n} runs -> {args[0]}")


@shoes.command("retire")
@click.argument("name")
@click.option("--athlete", "-a", help="Whose shoe (optional when there is one athlete).")
@click.option("--undo", is_flag=True, help="Bring a retired shoe back.")
@click.pass_obj
def shoes_retire(obj: Context, name, athlete, undo) -> None:
    """Retire a shoe: it keeps its runs but gets no new ones."""
    owners = obj.store.shoe_owners(name) if not athlete else []
    a = obj.store.athlete(athlete or (owners[0] if len(owners) == 1 else obj.athlete_name(None)))
    obj.store.retire_shoe(a.id, name, retired=not undo)
    click.echo(f"shoe {name} {'back in use' if undo else 'retired'}")


# -- alerts --------------------------------------------------------------------------------------
@main.command()
@click.option("--athlete", "-a", help="Whose alerts (optional when there is one athlete).")
@click.option(
    "--status", type=click.Choice(["pending", "sent", "known"]), help="Only alerts in this state."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def alerts(obj: Context, athlete, status, as_json) -> None:
    """The alert ledger: what was sent, what is pending (and why), what is known history."""
    a = obj.store.athlete(obj.athlete_name(athlete))
    rows = [r for r in obj.store.alert_ledger(a.id) if status is None or r["status"] == status]
    if as_json:
        out = []
        for r in rows:
            payload = json.loads(r.pop("payload"))
            out.append(
                r
                | {"day": payload["day"], "title": payload["title"], "numbers": payload["numbers"]}
            )
        click.echo(json.dumps(out, indent=2))
        return
    for r in rows:
        payload = json.loads(r["payload"])
        when = f"sent {r['sent_utc']}" if r["status"] == "sent" else r["status"]
        if r["status"] == "pending" and r["last_error"]:
            when += f" ({r['attempts']} tries; last: {r['last_error']})"
        click.echo(f"{payload['day']}  {payload['title']}  [{when}]")
    click.echo(f"{len(rows)} alerts")


# -- config --------------------------------------------------------------------------------------
@main.group("config")
def config_group() -> None:
    """Check the config file."""


@config_group.command("check")
@click.pass_obj
def config_check(obj: Context) -> None:
    """Parse the config and say what it declares (errors name their key)."""
    s = obj.settings
    if s.source is None:
        click.echo(f"no config file at {obj.locations.config}: defaults apply")
        return
    click.echo(f"{s.source}: ok")
    click.echo(
        f"  smtp: {s.smtp.host or '(none)'}:{s.smtp.port} {s.smtp.security}"
        + (
            f", user {s.smtp.username}, password from ${s.smtp.password_env}"
            if s.smtp.username
            else ""
        )
    )
    click.echo(f"  athletes: {', '.join(a.name for a in s.athletes) or '(none)'}")
    click.echo(f"  coaches: {', '.join(f'{c.name} ({c.digest})' for c in s.coaches) or '(none)'}")


# -- check and serve -----------------------------------------------------------------------------
@main.command()
@click.option("--athlete", "-a", help="Check one athlete (default: all).")
@click.option("--as-of", callback=_parse_day, help="Check as of another day (backfills, tests).")
@click.option("--dry-run", is_flag=True, help="Send nothing and leave the ledger untouched.")
@click.option(
    "--outbox",
    type=click.Path(file_okay=False),
    help="With --dry-run: write the emails here as .eml.",
)
@click.option("--verbose", "-v", is_flag=True, help="Say what was done even when all is well.")
@click.pass_obj
def check(obj: Context, athlete, as_of, dry_run, outbox, verbose) -> None:
    """Import new files, evaluate the rules and send new alerts (for cron: silent when all is well).

    Exit 0 when all is well, 75 when the SMTP server or the lock is temporarily unavailable (the
    alerts stay pending and the next run sends them).
    """
    from datetime import UTC, datetime
    from pathlib import Path

    from .check import run_check

    if outbox and not dry_run:
        raise click.UsageError("--outbox goes with --dry-run")
    result = run_check(
        obj.store,
        obj.settings,
        datetime.now(UTC),
        athlete=athlete,
        as_of=as_of,
        dry_run=dry_run,
        outbox=Path(outbox) if outbox else None,
    )
    for o in result.athletes:
        if o.imported and o.imported.failed:
            for f in o.imported.failed:
                click.echo(f"failed: {f.path}: {f.reason}", err=True)
        if verbose or dry_run:
            where = f" -> {o.outbox_file}" if o.outbox_file else ""
            verb = "would send" if dry_run else "sent"
            n = o.new_alerts if dry_run else o.sent_alerts
            click.echo(f"{o.athlete} ({o.as_of}): {o.new_alerts} new alerts, {verb} {n}{where}")
        if dry_run and o.preview and not outbox:
            click.echo(o.preview)
    for key in result.digests_sent if verbose else []:
        click.echo(f"digest sent: {key}")
    for p in result.problems:
        click.echo(f"error: {p}", err=True)
    if result.temporary_failure:
        click.echo(
            f"error: {result.temporary_failure}; alerts stay pending for the next run", err=True
        )
        sys.exit(75)
    if result.problems:
        sys.exit(1)


@main.command()
@click.pass_obj
def serve(obj: Context) -> None:
    """Run as a daemon: inbox sync, daily checks at each athlete's local time, coach digests."""
    from .scheduler import serve as run_daemon

    run_daemon(obj.store.path, obj.settings)


if __name__ == "__main__":
    main()
