"""`loadwatch export`: a runner's files, activities and edits in one zip, to leave or to move."""

from __future__ import annotations

from pathlib import Path

import click

from .main import Context, athlete_option, main, pass_context, plural


@main.command("export")
@athlete_option("Whose data")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@pass_context
def export(obj: Context, athlete: str | None, out: str) -> None:
    """Write one zip with every original file still where it was imported from, activities.csv,
    pain.csv (the pain reports) and the edits (sport, distance, exclusions, shoes, runs added by
    hand), which 'loadwatch import OUT.zip' reads back into any database.

    Files moved, deleted or changed since their import are listed as missing in the zip's
    loadwatch-export.json; their runs travel as stored records (totals, not tracks).

    \b
    Example:
      loadwatch export --athlete ana ana.zip
      loadwatch --db /mnt/new/loadwatch.db import ana.zip
    """
    app = obj.app
    a = app.athlete(athlete)
    result = app.export(a, Path(out))
    click.echo(
        f"wrote {out}: {plural(result.files, 'file')}, "
        f"{plural(result.records, 'run')} without a file, {len(result.missing)} missing"
    )
    for path, why in result.missing:
        click.echo(f"missing: {path}: {why}", err=True)


@main.command("calendar")
@athlete_option("Whose calendar")
@click.option(
    "--days", type=click.IntRange(1, 366), default=14, show_default=True, help="Days ahead."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout).")
@pass_context
def calendar(obj: Context, athlete: str | None, days: int, out: str | None) -> None:
    """Write an iCalendar file: each coming day's headroom as an all-day event (if no other run
    comes first), and every alert pending or sent on its day.

    'loadwatch web' serves the same feed to subscribe to from a phone: see
    'loadwatch athletes calendar-key'.

    \b
    Example:
      loadwatch calendar --athlete ana --days 14 --out ana.ics
    """
    app = obj.app
    a = app.athlete(athlete)
    data = app.calendar(a, days, obj.units_of(a))
    if out is None:
        click.echo(data.decode(), nl=False)
        return
    Path(out).write_bytes(data)
    click.echo(f"wrote {out}: {plural(days, 'day')} of headroom")
