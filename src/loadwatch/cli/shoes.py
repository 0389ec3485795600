"""`loadwatch shoes`: mileage against reminder and retirement distances."""

from __future__ import annotations

import json
import shlex
from datetime import date
from typing import TYPE_CHECKING

import click

from ..model import SHOE_RETIRE_M, SHOE_WARN_M, is_running
from ..render.tables import shoes_table
from .main import (
    Amount,
    Context,
    athlete_option,
    json_option,
    main,
    parse_day,
    pass_context,
    plural,
    typed_distance,
)

if TYPE_CHECKING:
    from ..views import ActivityRow


@main.group()
def shoes() -> None:
    """Track shoe mileage: add, list, assign, retire.

    \b
    Example:
      loadwatch shoes add "Pegasus 40" --start-km 120 --default
    """


@shoes.command("add")
@click.argument("name")
@athlete_option("Whose shoe")
@click.option("--start-km", type=Amount(0), help="Distance already on the shoe (0).")
@click.option("--start-mi", type=Amount(0), help="The same in miles.")
@click.option(
    "--warn-km",
    type=Amount(1),
    help=f"Remind at this distance ({SHOE_WARN_M / 1000:g} km).",
)
@click.option("--warn-mi", type=Amount(1), help="The same in miles (about 400 mi).")
@click.option(
    "--retire-km",
    type=Amount(1),
    help=f"Remind again to retire it at this distance ({SHOE_RETIRE_M / 1000:g} km).",
)
@click.option("--retire-mi", type=Amount(1), help="The same in miles (about 500 mi).")
@click.option("--default", "is_default", is_flag=True, help="New runs get this shoe.")
@click.option("--default-for", help="New runs of this kind get this shoe (e.g. trail, treadmill).")
@click.option(
    "--update", is_flag=True, help="Change an existing shoe: what is not typed stays as it is."
)
@pass_context
def shoes_add(
    obj: Context,
    name: str,
    athlete: str | None,
    start_km: float | None,
    start_mi: float | None,
    warn_km: float | None,
    warn_mi: float | None,
    retire_km: float | None,
    retire_mi: float | None,
    is_default: bool,
    default_for: str | None,
    update: bool,
) -> None:
    """Add a shoe (or change one with --update: only what is typed changes).

    \b
    Example:
      loadwatch shoes add "Pegasus 40" --start-km 120 --default
      loadwatch shoes add "Ghost 15" --start-mi 75 --warn-mi 350
      loadwatch shoes add "Ghost 15" --update --retire-mi 450
    """
    start = typed_distance("start", start_km, start_mi)
    warn = typed_distance("warn", warn_km, warn_mi)
    retire = typed_distance("retire", retire_km, retire_mi)
    if warn and retire and retire[0] < warn[0]:
        raise click.BadParameter(
            f"must not be below --warn-{warn[1]}", param_hint=f"--retire-{retire[1]}"
        )
    app = obj.app
    a = app.athlete(athlete)
    kind = default_for or ("running" if is_default else None)
    # What is not typed is None: a new shoe gets the defaults, an update keeps what is stored.
    app.add_shoe(
        a,
        name,
        start[0] if start else None,
        warn[0] if warn else None,
        retire[0] if retire else None,
        kind,
        update=update,
    )
    click.echo(f"shoe {name} for {a.name}" + (f" (default for {kind} runs)" if kind else ""))
    if kind:
        # A default shoe takes the runs imported from now on; the ones already there stay
        # shoeless unless put on it.
        bare = [r for r in app.activities(a) if r.shoe_id is None and _of_kind(r, kind)]
        if bare:
            first, last = bare[0].local_start.date(), bare[-1].local_start.date()
            click.echo(
                f"note: {plural(len(bare), 'run')} from {first} to {last} "
                f"{'has' if len(bare) == 1 else 'have'} no shoe: loadwatch shoes assign "
                f"{shlex.quote(name)} --from {first} --to {last}",
                err=True,
            )


def _of_kind(row: ActivityRow, kind: str) -> bool:
    """A run a default shoe for `kind` would have been given (see dedupe.default_shoe)."""
    if row.excluded or not is_running(row.sport, row.sub_sport):
        return False
    return kind == "running" or kind in (row.sport, row.sub_sport)


@shoes.command("list")
@athlete_option("Whose shoes")
@json_option
@pass_context
def shoes_list(obj: Context, athlete: str | None, as_json: bool) -> None:
    """Shoes with their distance against their limits.

    \b
    Example:
      loadwatch shoes list --athlete ana
    """
    app = obj.app
    a = app.athlete(athlete)
    rows = app.shoe_status(a)
    if as_json:
        click.echo(json.dumps([s.as_json() for s in rows], indent=2))
    else:
        click.echo(shoes_table(rows, obj.units_of(a)))


@shoes.command("assign")
@click.argument("args", nargs=-1, required=True)
@athlete_option("Whose runs")
@click.option(
    "--from", "from_day", callback=parse_day, help="First local day of a range (inclusive)."
)
@click.option("--to", "to_day", callback=parse_day, help="Last local day of a range (inclusive).")
@pass_context
def shoes_assign(
    obj: Context,
    args: tuple[str, ...],
    athlete: str | None,
    from_day: date | None,
    to_day: date | None,
) -> None:
    """Put a run on a shoe: ACTIVITY_ID SHOE, or SHOE with --from/--to for every run in a range.

    \b
    Example:
      loadwatch shoes assign "Pegasus 40" --from 2026-09-01 --to 2026-09-30
    """
    app = obj.app
    if len(args) == 2:
        try:
            activity_id = int(args[0])
        except ValueError as e:
            raise click.BadParameter(
                f"{args[0]!r} is not an activity id", param_hint="ACTIVITY_ID"
            ) from e
        # An activity id names its athlete: --athlete is needed only to double-check.
        a = app.athlete(athlete) if athlete else app.activity_athlete(activity_id)
        app.assign_shoe(a, args[1], activity_id)
        click.echo(f"activity {activity_id} -> {args[1]}")
        return
    a = app.athlete(athlete)
    if len(args) != 1 or not (from_day or to_day):
        raise click.UsageError("give ACTIVITY_ID SHOE, or SHOE with --from and/or --to")
    n = app.assign_shoe_range(a, args[0], from_day, to_day)
    click.echo(f"{plural(n, 'run')} -> {args[0]}")


@shoes.command("retire")
@click.argument("name")
@athlete_option("Whose shoe")
@click.option("--undo", is_flag=True, help="Bring a retired shoe back.")
@pass_context
def shoes_retire(obj: Context, name: str, athlete: str | None, undo: bool) -> None:
    """Retire a shoe: it keeps its runs but gets no new ones.

    \b
    Example:
      loadwatch shoes retire "Pegasus 40"
    """
    app = obj.app
    app.retire_shoe(app.shoe_athlete(name, athlete), name, retired=not undo)
    click.echo(f"shoe {name} {'back in use' if undo else 'retired'}")
