"""`loadwatch athletes`: add and list athletes."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from ..model import Athlete
from .main import Context, json_option, main, pass_context

units_choice = click.option(
    "--units",
    type=click.Choice(["km", "mi"]),
    help="How they read distances and paces: km or mi (stored in metres either way).",
)


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
@units_choice
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
    units: str | None,
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
    a = app.add_athlete(name, email, tz, resting_hr, max_hr, sex, update=update, units=units)
    click.echo(_said(a))
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
        click.echo(f"{a.name:<20} {a.tz:<20} {a.units:<3} {a.email or ''}".rstrip())


@athletes.command("edit")
@click.argument("name")
@click.option("--email", help="Where alerts go ('' for none).")
@click.option("--tz", callback=_check_tz, help="IANA time zone: days and weeks are counted in it.")
@click.option("--resting-hr", type=click.IntRange(20, 120), help="Resting heart rate (for TRIMP).")
@click.option("--max-hr", type=click.IntRange(100, 240), help="Maximum heart rate (for TRIMP).")
@units_choice
@pass_context
def athletes_edit(
    obj: Context,
    name: str,
    email: str | None,
    tz: str | None,
    resting_hr: int | None,
    max_hr: int | None,
    units: str | None,
) -> None:
    """Change an athlete's email, time zone, heart rates or units; what is not given stays.

    What the config file sets of an athlete in its [[athletes]] is refused: change it there.

    \b
    Example:
      loadwatch athletes edit ana --email ana@example.org --tz Europe/Paris
    """
    given = {"email": email, "tz": tz, "resting_hr": resting_hr, "max_hr": max_hr, "units": units}
    fields = {k: v for k, v in given.items() if v is not None}
    if not fields:
        raise click.UsageError("give --email, --tz, --resting-hr, --max-hr and/or --units")
    app = obj.app
    a = app.edit_athlete(app.athlete(name), **fields)
    click.echo(_said(a))


def _said(a: Athlete) -> str:
    """What add and edit answer: "athlete ana (Europe/Berlin, mi, ana@example.com)"."""
    unit = ", mi" if a.units == "mi" else ""
    return f"athlete {a.name} ({a.tz}{unit}{', ' + a.email if a.email else ''})"


@athletes.command("rename")
@click.argument("name")
@click.argument("new_name")
@pass_context
def athletes_rename(obj: Context, name: str, new_name: str) -> None:
    """Give an athlete another name; runs, shoes and alerts stay theirs.

    A name in the config's [[athletes]] is the config's: rename it there too, or the next
    command adds the old name again.

    \b
    Example:
      loadwatch athletes rename ana ana-m
    """
    app = obj.app
    a = app.rename_athlete(app.athlete(name), new_name)
    click.echo(f"athlete {name} is now {a.name}")


@athletes.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
@pass_context
def athletes_remove(obj: Context, name: str, yes: bool) -> None:
    """Remove an athlete and every row of theirs (runs, edits, shoes, alerts, pain reports),
    in one go.

    The files on disk are not touched: importing them again brings the runs back, not the
    edits (keep those with 'loadwatch export' first).

    \b
    Example:
      loadwatch export --athlete ana ana.zip && loadwatch athletes remove ana --yes
    """
    app = obj.app
    a = app.athlete(name)
    if not yes and not click.confirm(
        f"remove athlete {a.name} and all their runs, shoes, alerts and pain reports?", err=True
    ):
        click.echo("nothing removed", err=True)
        raise SystemExit(1)
    removed = app.remove_athlete(a)
    click.echo(
        f"removed athlete {a.name}: {removed.get('activities', 0)} activities, "
        f"{removed.get('shoes', 0)} shoes, {removed.get('alerts', 0)} alerts, "
        f"{removed.get('pain_reports', 0)} pain reports "
        "(files on disk untouched)"
    )


@athletes.command("calendar-key")
@click.argument("name")
@click.option("--rotate", is_flag=True, help="Make a new key: the old feed URL stops working.")
@pass_context
def athletes_calendar_key(obj: Context, name: str, rotate: bool) -> None:
    """Print the secret key of an athlete's calendar feed (made on first use) and the feed's
    path on 'loadwatch web'; anyone with the URL can read the feed, so --rotate if it leaks.

    \b
    Example:
      loadwatch athletes calendar-key ana --rotate
    """
    app = obj.app
    a = app.athlete(name)
    key = app.calendar_key(a, rotate)
    base = (app.settings.web.public_url or "").rstrip("/")
    click.echo(key)
    click.echo(f"feed: {base}/athletes/{a.id}/calendar.ics?key={key}", err=True)
