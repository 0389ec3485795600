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
from .main import (
    Context,
    athlete_option,
    json_option,
    main,
    parse_day,
    pass_context,
    plural,
)


@main.command()
@athlete_option("Whose alerts")
@click.option(
    "--status", type=click.Choice(["pending", "sent", "known"]), help="Only alerts in this state."
)
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (the JSON's fields).")
@pass_context
def alerts(
    obj: Context, athlete: str | None, status: str | None, as_json: bool, as_csv: bool
) -> None:
    """The alert ledger: what was sent, what is pending (and why), what is known history.

    Without --athlete, every athlete's alerts, each line naming its athlete. --json and --csv
    add each alert's channels: delivered (when), failed (the last error; the next check tries
    again) or pending (not tried yet).

    \b
    Example:
      loadwatch alerts --status pending
    """
    app = obj.app
    everyone = app.athletes()
    who = [app.athlete(athlete)] if athlete or len(everyone) <= 1 else everyone
    rows = [(a, e) for a in who for e in app.ledger(a, status)]
    entries = [e for _, e in rows]
    if as_json and as_csv:
        raise click.UsageError("--json and --csv both write to stdout: choose one")
    if as_json or as_csv:
        # Each alert's state on each of its channels (the deliveries ledger).
        states = app.channel_states(rows)
        docs = [ledger_json(e, a.name, states[e.alert.key]) for a, e in rows]
    if as_json:
        click.echo(json.dumps(docs, indent=2))
    elif as_csv:
        from ..render.csvout import to_csv

        click.echo(to_csv(docs), nl=False)
    else:
        click.echo(ledger_table(entries, [a.name for a, _ in rows] if len(who) > 1 else None))


@main.group("config")
def config_group() -> None:
    """Check the config file.

    \b
    Example:
      loadwatch config check
    """


@config_group.command("check")
@pass_context
def config_check(obj: Context) -> None:
    """Parse the config and say what it declares (errors name their key).

    \b
    Example:
      LOADWATCH_CONFIG=club.toml loadwatch config check
    """
    path = obj.locations.config
    if not path.exists():
        if obj.locations.config_from != "default":
            raise ConfigError("", f"no config file at {path} (from {obj.locations.config_from})")
        click.echo(f"no config file at {path}: defaults apply")
        return
    from ..notify.push import url_problem

    found = problems(path, dict(os.environ), check_url=url_problem)
    if found:
        if len(found) > 1:
            click.echo(f"error: config: {len(found)} problems in {path}:", err=True)
        for key, msg in found:
            click.echo(f"error: config: {key}: {msg}" if key else f"error: config: {msg}", err=True)
        raise SystemExit(2)
    s = obj.settings
    click.echo(f"{s.source}: ok")
    click.echo(
        (
            f"  smtp: {s.smtp.host}:{s.smtp.port_number} {s.smtp.security}"
            if s.smtp.host
            else "  smtp: not set (no email is sent)"
        )
        + (
            f", user {s.smtp.username}, password from ${s.smtp.password_env}"
            if s.smtp.username
            else ""
        )
    )
    click.echo(f"  athletes: {', '.join(a.name for a in s.athletes) or '(none)'}")
    click.echo(f"  coaches: {', '.join(f'{c.name} ({c.digest})' for c in s.coaches) or '(none)'}")
    pushes = sum(len(a.notify) + len(a.notify_env) for a in s.athletes)
    pushes += sum(len(c.notify) + len(c.notify_env) for c in s.coaches)
    if pushes:
        click.echo(f"  push: {pushes} Apprise URL{'s' if pushes != 1 else ''}, each checked")


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

    Exit 0 when all is well, 75 when only a channel (the SMTP server, a push service) or the lock
    was temporarily unavailable (the alerts stay pending and the next run sends them), 1 when a
    channel refused a message.

    \b
    Example:
      loadwatch check --dry-run --outbox outbox/
    """
    from ..check import missing_inbox_warning

    if outbox and not dry_run:
        raise click.UsageError("--outbox goes with --dry-run")
    status = StatusLine() if sys.stderr.isatty() else None
    try:
        result = obj.app.check(
            athlete=athlete,
            as_of=as_of,
            dry_run=dry_run,
            outbox=Path(outbox) if outbox else None,
            worker=worker,
            progress=status.show if status else None,
        )
    finally:
        if status:
            status.clear()
    for pulled in result.pulled:  # an account that failed: one line, the check went on
        if pulled.problem:
            click.echo(f"warning: {pulled.problem}", err=True)
        for f in pulled.imported.failed:
            click.echo(f"failed: {f.path}: {f.reason}", err=True)
    for o in result.athletes:
        if o.imported:
            for f in o.imported.failed:
                click.echo(f"failed: {f.path}: {f.reason}", err=True)
            for folder in o.imported.missing_inboxes:
                click.echo(missing_inbox_warning(o.athlete, folder, obj.settings.source), err=True)
        if verbose or dry_run:
            where = f" -> {o.outbox_file}" if o.outbox_file else ""
            verb = "would send" if dry_run else "sent"
            n = o.would_send if dry_run else o.sent_alerts
            new = plural(o.new_alerts, "new alert")
            click.echo(f"{o.athlete} ({o.as_of}): {new}, {verb} {n}{where}")
        if dry_run and o.preview and not outbox:
            click.echo(o.preview)
    for key in result.digests_sent if verbose else []:
        click.echo(f"digest sent: {key}")
    for key, previews in result.digest_previews:
        files = [str(p.file) for p in previews if p.file]
        click.echo(f"would send the digest {key}" + (f" -> {', '.join(files)}" if files else ""))
        if not outbox:
            click.echo("\n\n".join(p.text for p in previews))
    for p in result.problems:
        click.echo(f"error: {p}", err=True)
    if result.temporary_failure:
        click.echo(
            f"error: {result.temporary_failure}; alerts stay pending for the next run", err=True
        )
    # 75 ("try again") only when nothing but a temporary failure is left: a refused message
    # needs a person whatever else happened.
    if result.problems:
        sys.exit(1)
    if result.temporary_failure:
        sys.exit(75)


class StatusLine:
    """One line on the terminal saying what a long check is doing, rewritten in place and
    cleared at the end (only on a terminal: cron mails whatever a check prints)."""

    def show(self, text: str) -> None:
        click.echo(f"\r\x1b[K{text} ...", nl=False, err=True)

    def clear(self) -> None:
        click.echo("\r\x1b[K", nl=False, err=True)


@main.command()
@pass_context
def serve(obj: Context) -> None:
    """Run as a daemon: inbox sync, daily checks at each athlete's local time, coach digests.

    \b
    Example:
      loadwatch serve
    """
    from ..scheduler import serve as run_daemon

    run_daemon(obj.app.store.url, obj.settings)
