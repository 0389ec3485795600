"""`loadwatch athletes`: add and list athletes."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from .main import Context, json_option, main, pass_context


@main.group()
def athletes() -> None:
    """Add and list athletes.

    \b
    Example:
      loadwatch athletes add ana --email ana@example.com --tz Europe/Berlin
    """


def _check_tz(ctx: click.Context, param: click.Parameter, tz: str | None) -> str | None:
    if tz is None:
        return None
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
    callback=_check_tz,
    help="IANA time zone: days and weeks are counted in it (default: this machine's).",
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
    tz: str | None,
    resting_hr: int | None,
    max_hr: int | None,
    sex: str | None,
    update: bool,
) -> None:
    """Add an athlete (or change one with --update).

    \b
    Example:
      loadwatch athletes add ana --email ana@example.com --tz Europe/Berlin
    """
    app = obj.app
    note = None
    if tz is None:
        existing = {a.name: a for a in app.athletes()}.get(name) if update else None
        if existing is not None:
            tz = existing.tz  # an update without --tz keeps the zone
        else:
            tz = machine_zone()
            note = (
                f"note: no --tz given: {tz}, this machine's time zone "
                f"(another: loadwatch athletes add {name} --update --tz ZONE)"
            )
    a = app.add_athlete(name, email, tz, resting_hr, max_hr, sex, update=update)
    click.echo(f"athlete {a.name} ({a.tz}{', ' + a.email if a.email else ''})")
    if note:
        click.echo(note, err=True)


def machine_zone() -> str:
    """This machine's IANA zone: $TZ when it names one, else what /etc/localtime links to (or
    /etc/timezone says), else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except OSError:
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as f:
            candidates.append(f.read().strip())
    except OSError:
        pass
    for name in candidates:
        if not name:
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return "UTC"


@athletes.command("list")
@json_option
@pass_context
def athletes_list(obj: Context, as_json: bool) -> None:
    """List athletes.

    \b
    Example:
      loadwatch athletes list --json
    """
    rows = obj.app.athletes()
    if as_json:
        click.echo(json.dumps([asdict(a) for a in rows], indent=2))
        return
    for a in rows:
        click.echo(f"{a.name:<20} {a.tz:<20} {a.email or ''}")
