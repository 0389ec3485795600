"""`loadwatch activities`: what was imported, as the engine counts it, and how to fix a wrong file."""

from __future__ import annotations

import difflib
import json
from datetime import date, time

import click

from ..render.tables import (
    ACTIVITY_FIELDS,
    activities_table,
    activity_json,
    chosen_columns_table,
)
from .main import (
    Amount,
    Context,
    athlete_option,
    main,
    parse_day,
    pass_context,
    typed_distance,
)


def _as_usage(e: ValueError) -> click.UsageError:
    return click.UsageError(str(e))


@main.group(invoke_without_command=True)
@athlete_option("Whose activities")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (the JSON's fields).")
@click.option(
    "--all", "include_duplicates", is_flag=True, help="Include copies kept as duplicates."
)
@click.option("--limit", type=int, default=0, help="Only the last N (0: all).")
@click.option(
    "--columns",
    help="The table's columns, any of the JSON's fields, comma-separated "
    "(e.g. id,day,distance_m,step_rate_spm,descent_m,hr_drift_pct,hr_zone2_s).",
)
@click.pass_context
def activities(
    ctx: click.Context,
    athlete: str | None,
    as_json: bool,
    as_csv: bool,
    include_duplicates: bool,
    limit: int,
    columns: str | None,
) -> None:
    """List an athlete's activities, oldest first; edit, exclude, add or delete one.

    \b
    Example:
      loadwatch activities --athlete ana --limit 10
      loadwatch activities --columns id,day,step_rate_spm,descent_m,hr_zone2_s
    """
    if ctx.invoked_subcommand is not None:
        return
    obj: Context = ctx.obj
    app = obj.app
    a = app.athlete(athlete)
    rows = app.activities(a, include_duplicates=include_duplicates)
    if limit:
        rows = rows[-limit:]
    if as_json and as_csv:
        raise click.UsageError("--json and --csv both write to stdout: choose one")
    if columns is not None:
        if as_json or as_csv:
            raise click.UsageError("--columns chooses the table's columns: not with --json/--csv")
        chosen = [c.strip() for c in columns.split(",") if c.strip()]
        known = list(ACTIVITY_FIELDS)
        for c in chosen:
            if c not in known:
                close = difflib.get_close_matches(c, known, 1)
                hint = (
                    f" (did you mean {close[0]}?)" if close else f"; choose from {', '.join(known)}"
                )
                raise click.UsageError(f"--columns: no field {c!r}{hint}")
        if not chosen:
            raise click.UsageError("--columns: name at least one field")
        click.echo(chosen_columns_table(rows, chosen))
    elif as_json:
        click.echo(json.dumps([activity_json(r) for r in rows], indent=2))
    elif as_csv:
        from ..render.csvout import to_csv

        click.echo(to_csv(activity_json(r) for r in rows), nl=False)
    else:
        click.echo(activities_table(rows, obj.units_of(a)))


@activities.command("show")
@click.argument("activity_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (splits and curves included).")
@pass_context
def activities_show(obj: Context, activity_id: int, as_json: bool) -> None:
    """One run as its web page shows it: its numbers, where it sits against its day's headroom,
    and its splits per km (per mile for a reader in miles, or with --units mi) read again from
    its file (when the file is still there, unchanged).

    \b
    Example:
      loadwatch activities show 42
      loadwatch --units mi activities show 42
    """
    from ..render.run import run_json, run_text

    view = obj.app.run(activity_id, obj.units)
    if as_json:
        click.echo(json.dumps(run_json(view), indent=2))
    else:
        click.echo(run_text(view))


@activities.command("edit")
@click.argument("activity_id", type=int)
@click.option("--sport", help="The right sport (running, trail, treadmill, cycling, walking, ...).")
@click.option(
    "--distance-km", type=Amount(0, 1000, min_open=True), help="The right distance in km."
)
@click.option(
    "--distance-mi", type=Amount(0, 1000, min_open=True), help="The right distance in miles."
)
@click.option("--shoe", help="The shoe it was run in ('' for none).")
@click.option(
    "--rpe",
    type=click.IntRange(0, 10),
    help="How hard the whole run felt, CR-10 (0 rest, 10 maximal).",
)
@click.option(
    "--race/--no-race",
    default=None,
    help="A race: it counts in the load, but not as the longest run later runs are compared with.",
)
@pass_context
def activities_edit(
    obj: Context,
    activity_id: int,
    sport: str | None,
    distance_km: float | None,
    distance_mi: float | None,
    shoe: str | None,
    rpe: int | None,
    race: bool | None,
) -> None:
    """Correct what a file got wrong, say how hard it felt, or mark a race; kept across
    re-imports of the same run.

    \b
    Example:
      loadwatch activities edit 42 --sport cycling
      loadwatch activities edit 42 --distance-mi 6.2
      loadwatch activities edit 42 --rpe 7
      loadwatch activities edit 42 --race
    """
    typed = typed_distance("distance", distance_km, distance_mi)
    if sport is None and typed is None and shoe is None and rpe is None and race is None:
        raise click.UsageError(
            "give --sport, --distance-km (or --distance-mi), --shoe, --rpe and/or --race"
        )
    try:
        obj.app.edit_activity(activity_id, sport, typed[0] if typed else None, shoe, rpe, race)
    except ValueError as e:
        raise _as_usage(e) from e
    what = [f"sport {sport}"] if sport else []
    if typed is not None:
        what.append(f"{distance_km if distance_mi is None else distance_mi:g} {typed[1]}")
    what += [f"shoe {shoe or '(none)'}"] if shoe is not None else []
    what += [f"RPE {rpe}"] if rpe is not None else []
    what += [{True: "a race", False: "not a race"}[race]] if race is not None else []
    click.echo(f"activity {activity_id}: {', '.join(what)}")


@activities.command("exclude")
@click.argument("activity_id", type=int)
@click.option("--reason", help="Why it does not count (shown in the lists).")
@pass_context
def activities_exclude(obj: Context, activity_id: int, reason: str | None) -> None:
    """Keep and show a run but leave it out of every number (`include` undoes it).

    \b
    Example:
      loadwatch activities exclude 42 --reason "GPS glitch"
    """
    obj.app.exclude_activity(activity_id, True, reason)
    click.echo(f"activity {activity_id} excluded" + (f" ({reason})" if reason else ""))


@activities.command("include")
@click.argument("activity_id", type=int)
@pass_context
def activities_include(obj: Context, activity_id: int) -> None:
    """Count an excluded run again.

    \b
    Example:
      loadwatch activities include 42
    """
    obj.app.exclude_activity(activity_id, False)
    click.echo(f"activity {activity_id} counts again")


@activities.command("seen")
@click.argument("activity_id", type=int)
@pass_context
def activities_seen(obj: Context, activity_id: int) -> None:
    """A run listed as needing a look was looked at: no longer listed.

    \b
    Example:
      loadwatch activities seen 42
    """
    obj.app.seen_activity(activity_id)
    click.echo(f"activity {activity_id} looked at")


@activities.command("separate")
@click.argument("activity_id", type=int)
@pass_context
def activities_separate(obj: Context, activity_id: int) -> None:
    """A copy kept as a duplicate is a run of its own after all: count it.

    \b
    Example:
      loadwatch activities separate 42
    """
    obj.app.separate_activity(activity_id)
    click.echo(f"activity {activity_id} counts as a run of its own")


@activities.command("add")
@athlete_option("Whose run")
@click.option("--date", "day", required=True, callback=parse_day, help="Local day of the run.")
@click.option("--time", "at", default="12:00", show_default=True, help="Local start time, HH:MM.")
@click.option("--km", type=Amount(0, 1000, min_open=True), help="Distance in km (or --mi).")
@click.option("--mi", type=Amount(0, 1000, min_open=True), help="Distance in miles (or --km).")
@click.option(
    "--minutes", type=Amount(0, 10_080, min_open=True), required=True, help="Moving time."
)
@click.option("--rpe", type=click.IntRange(0, 10), help="Perceived exertion, CR-10 (0-10).")
@click.option("--sport", default="running", show_default=True, help="running, treadmill, ...")
@click.option("--name", help="What to call it (shown in the lists).")
@pass_context
def activities_add(
    obj: Context,
    athlete: str | None,
    day: date,
    at: str,
    km: float | None,
    mi: float | None,
    minutes: float,
    rpe: int | None,
    sport: str,
    name: str | None,
) -> None:
    """Add a run without a file; a file of the same run later takes its place.

    \b
    Example:
      loadwatch activities add --date 2026-11-20 --km 8 --minutes 45 --rpe 6
      loadwatch activities add --date 2026-11-20 --mi 5 --minutes 45
    """
    typed = typed_distance("", km, mi)
    if typed is None:
        raise click.UsageError("give the distance: --km or --mi")
    app = obj.app
    try:
        start = time.fromisoformat(at)
        new_id = app.add_activity(
            app.athlete(athlete), day, typed[0], minutes, sport, rpe, start, name
        )
    except ValueError as e:
        raise _as_usage(e) from e
    click.echo(f"activity {new_id}: {km if mi is None else mi:g} {typed[1]} on {day.isoformat()}")


@activities.command("backfill")
@click.option("--athlete", "-a", help="Only this athlete (default: every athlete).")
@pass_context
def activities_backfill(obj: Context, athlete: str | None) -> None:
    """Fill step rate, ascent, descent, pace and heart-rate drift for runs stored before
    loadwatch read them, from their files where the files still hold the bytes imported.
    Runs from an account export or a zip are read from their members, each archive opened once.

    Safe to run again: a value already stored is never changed; one transaction per athlete.

    \b
    Example:
      loadwatch activities backfill --athlete ana
    """
    app = obj.app
    for a in [app.athlete(athlete)] if athlete else app.athletes():
        r = app.backfill(a)
        line = f"{a.name}: {r.filled} of {r.checked} runs with a signal unknown filled from their files"
        if r.nothing_more:
            line += f"; {r.nothing_more} read again, their files have no more"
        if r.without_file:
            line += f"; {r.without_file} without a file (typed in or from an account)"
        if r.could_not:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(r.could_not.items()))
            line += f"; could not read {sum(r.could_not.values())}: {reasons}"
        click.echo(line)


@activities.command("delete")
@click.argument("activity_id", type=int)
@pass_context
def activities_delete(obj: Context, activity_id: int) -> None:
    """Delete a run (one from a file stays deleted when the file is imported again).

    \b
    Example:
      loadwatch activities delete 42
    """
    obj.app.delete_activity(activity_id)
    click.echo(f"activity {activity_id} deleted")
