"""`loadwatch activities`: what was imported, as the engine counts it."""

from __future__ import annotations

import json

import click

from ..render.tables import activities_table, activity_json
from .main import Context, athlete_option, json_option, main, pass_context


@main.command()
@athlete_option("Whose activities")
@json_option
@click.option(
    "--all", "include_duplicates", is_flag=True, help="Include copies kept as duplicates."
)
@click.option("--limit", type=int, default=0, help="Only the last N (0: all).")
@pass_context
def activities(
    obj: Context, athlete: str | None, as_json: bool, include_duplicates: bool, limit: int
) -> None:
    """List an athlete's activities, oldest first."""
    app = obj.app
    rows = app.activities(app.athlete(athlete), include_duplicates=include_duplicates)
    if limit:
        rows = rows[-limit:]
    if as_json:
        click.echo(json.dumps([activity_json(r) for r in rows], indent=2))
    else:
        click.echo(activities_table(rows))
