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
    and the edits (sport, distance, exclusions, shoes, runs added by hand), which
    'loadwatch import OUT.zip' reads back into any database.

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
