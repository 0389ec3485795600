"""`loadwatch alerts`, `check`, `serve` and `config check`: the ledger and what fills it."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import click

from .. import rules  # noqa: F401  (they declare the [rules] keys `config check` reads)
from ..config import problems
from ..errors import ConfigError
from ..render.tables import ledger_json, ledger_table
from .main import Context, athlete_option, json_option, main, parse_day, pass_context


@main.command()
@athlete_option("Whose alerts")
@click.option(
    "--status", type=click.Choice(["pending", "sent", "known"]), help="Only alerts in this state."
)
@json_option
@pass_context
def alerts(obj: Context, athlete: str | None, status: str | None, as_json: bool) -> None:
    """The alert ledger: what was sent, what is pending (and why), what is known history."""
    app = obj.app
    rows = app.ledger(app.athlete(athlete), status)
    if as_json:
        click.echo(json.dumps([ledger_json(e) for e in rows], indent=2))
    else:
        click.echo(ledger_table(rows))


@main.group("config")
def config_group() -> None:
    """Check the config file."""


@config_group.command("check")
@pass_context
def config_check(obj: Context) -> None:
    """Parse the config and say what it declares (errors name their key)."""
    path = obj.locations.config
    if not path.exists():
        if obj.locations.config_from != "default":
            raise ConfigError("", f"no config file at {path} (from {obj.locations.config_from})")
        click.echo(f"no config file at {path}: defaults apply")
        return
    found = problems(path, dict(os.environ))
    if found:
        if len(found) > 1:
            click.echo(f"error: config: {len(found)} problems in {path}:", err=True)
        for key, msg in found:
            click.echo(f"error: config: {key}: {msg}" if key else f"error: config: {msg}", err=True)
        raise SystemExit(2)
    s = obj.settings
    click.echo(f"{s.source}: ok")
    click.echo(
        f"  smtp: {s.smtp.host or '(none)'}:{s.smtp.port_number} {s.smtp.security}"
        + (
            f", user {s.smtp.username}, password from ${s.smtp.password_env}"
            if s.smtp.username
            else ""
        )
    )
    click.echo(f"  athletes: {', '.join(a.name for a in s.athletes) or '(none)'}")
    click.echo(f"  coaches: {', '.join(f'{c.name} ({c.digest})' for c in s.coaches) or '(none)'}")


@main.command()
@click.option("--athlete", "-a", help="Check one athlete (default: all).")
@click.option("--as-of", callback=parse_day, help="Check as of another day (backfills, tests).")
@click.option("--dry-run", is_flag=True, help="Send nothing and leave the ledger untouched.")
@click.option(
    "--outbox",
    type=click.Path(file_okay=False),
    help="With --dry-run: write the emails here as .eml.",
)
@click.option(
    "--worker",
    is_flag=True,
    help="Share the athletes with other workers running at once (PostgreSQL; on SQLite one "
    "worker takes them all).",
)
@click.option("--verbose", "-v", is_flag=True, help="Say what was done even when all is well.")
@pass_context
def check(
    obj: Context,
    athlete: str | None,
    as_of: date | None,
    dry_run: bool,
    outbox: str | None,
    worker: bool,
    verbose: bool,
) -> None:
    """Import new files, evaluate the rules and send new alerts (for cron: silent when all is well).

    Exit 0 when all is well, 75 when the SMTP server or the lock is temporarily unavailable (the
    alerts stay pending and the next run sends them).
    """
    from ..check import missing_inbox_warning

    if outbox and not dry_run:
        raise click.UsageError("--outbox goes with --dry-run")
    result = obj.app.check(
        athlete=athlete,
        as_of=as_of,
        dry_run=dry_run,
        outbox=Path(outbox) if outbox else None,
        worker=worker,
    )
    for o in result.athletes:
        if o.imported:
            for f in o.imported.failed:
                click.echo(f"failed: {f.path}: {f.reason}", err=True)
            for folder in o.imported.missing_inboxes:
                click.echo(missing_inbox_warning(o.athlete, folder, obj.settings.source), err=True)
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
@pass_context
def serve(obj: Context) -> None:
    """Run as a daemon: inbox sync, daily checks at each athlete's local time, coach digests."""
    from ..scheduler import serve as run_daemon

    run_daemon(obj.app.store.url, obj.settings)
