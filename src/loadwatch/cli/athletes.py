"""`loadwatch athletes`: add and list athletes."""

from __future__ import annotations

import json
from dataclasses import asdict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from .main import Context, json_option, main, pass_context


@main.group()
def athletes() -> None:
    """Add and list athletes."""


def _check_tz(ctx: click.Context, param: click.Parameter, tz: str) -> str:
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
    callback=_check_tz,
    help="IANA time zone: days and weeks are counted in it.",
)
@click.option("--resting-hr", type=click.IntRange(20, 120), help="Resting heart rate (for TRIMP).")
@click.option("--max-hr", type=click.IntRange(100, 240), help="Maximum heart rate (for TRIMP).")
@click.option(
    "--sex", type=click.Choice(["female", "male"]), help="Selects the Banister TRIMP weighting."
)
@click.option("--update", is_flag=True, help="Change an existing athlete instead of failing.")
@pass_context
def athletes_add(
    obj: Context,
    name: str,
    email: str | None,
    tz: str,
    resting_hr: int | None,
    max_hr: int | None,
    sex: str | None,
    update: bool,
) -> None:
    """Add an athlete (or change one with --update)."""
    a = obj.app.add_athlete(name, email, tz, resting_hr, max_hr, sex, update=update)
    click.echo(f"athlete {a.name} ({a.tz}{', ' + a.email if a.email else ''})")


@athletes.command("list")
@json_option
@pass_context
def athletes_list(obj: Context, as_json: bool) -> None:
    """List athletes."""
    rows = obj.app.athletes()
    if as_json:
        click.echo(json.dumps([asdict(a) for a in rows], indent=2))
        return
    for a in rows:
        click.echo(f"{a.name:<20} {a.tz:<20} {a.email or ''}")
