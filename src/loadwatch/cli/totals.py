"""`loadwatch totals`: what the log adds up to, by week, month or year."""

from __future__ import annotations

import json
from datetime import date

import click

from .main import Context, athlete_option, main, parse_day, pass_context


@main.command("totals")
@athlete_option("Whose totals")
@click.option(
    "--by", type=click.Choice(["week", "month", "year"]), default="week", show_default=True,
    help="The period each row adds up.",
)  # fmt: skip
@click.option("--as-of", callback=parse_day, help="The last day counted (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the periods as CSV.")
@pass_context
def totals(
    obj: Context, athlete: str | None, by: str, as_of: date | None, as_json: bool, as_csv: bool
) -> None:
    """Runs, distance, moving time and climb by week, month or year (every period from the
    first run on, empty ones as zeros), the year to date against the year before to the same
    day, and the longest runs. Counted runs only: running sports, not excluded, no copies.
    Distances in the athlete's unit (or --units); JSON and CSV keep km and name the unit.

    \b
    Example:
      loadwatch totals --athlete ana --by month
    """
    from ..render.totals import period_csv, totals_json, totals_text

    if as_json and as_csv:
        raise click.UsageError("--json and --csv both write to stdout: choose one")
    app = obj.app
    a = app.athlete(athlete)
    result, units = app.totals(a, by, as_of), obj.units_of(a)
    if as_json:
        click.echo(json.dumps(totals_json(result, units), indent=2))
    elif as_csv:
        from ..render.csvout import to_csv

        click.echo(to_csv(period_csv(p, units) for p in result.periods), nl=False)
    else:
        click.echo(totals_text(result, units))
