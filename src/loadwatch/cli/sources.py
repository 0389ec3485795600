"""`loadwatch sync` (a watch plugged in as USB storage) and `loadwatch pull` (the runner's
accounts): data that arrives without a file named by hand."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date

import click

from ..model import SourceOutcome
from .main import (
    EXIT_SOME_FAILED,
    Amount,
    Context,
    athlete_option,
    json_option,
    main,
    parse_day,
    pass_context,
)

EXIT_USAGE = 2


def _summary_line(o: SourceOutcome) -> str:
    s = o.imported
    return (
        f"{s.imported} imported ({s.activities} activities), {s.duplicates} duplicates, "
        f"{s.unchanged} unchanged, {s.skipped} skipped, {len(s.failed)} failed"
    )


def _report(
    outcomes: list[SourceOutcome],
    as_json: bool,
    key: str,
    label: Callable[[SourceOutcome], str],
    problem_code: int = EXIT_USAGE,
    problem_word: str = "error",
) -> int:
    """Print what each source did; the exit code: `problem_code` if one could not be done, 3 if
    files failed, else 0."""
    if as_json:
        click.echo(json.dumps({key: [o.as_json() for o in outcomes]}, indent=2))
    for o in outcomes:
        if o.problem:
            if not as_json:
                click.echo(f"{problem_word}: {o.problem}", err=True)
            continue
        if not as_json:
            click.echo(f"{label(o)}: {_summary_line(o)}")
            for f in o.imported.failed:
                click.echo(f"failed: {f.path}: {f.reason}", err=True)
    if any(o.problem for o in outcomes):
        return problem_code
    return EXIT_SOME_FAILED if any(o.imported.failed for o in outcomes) else 0


@main.command()
@athlete_option(
    "Whose watch it is (needed once for an unknown watch when there are several athletes)"
)
@json_option
@pass_context
def sync(obj: Context, athlete: str | None, as_json: bool) -> None:
    """Import new runs from watches plugged in as USB storage (GARMIN/Activity, MTP, devices).

    \b
    Example:
      loadwatch sync --athlete ana
    """
    outcomes = obj.app.sync_devices(athlete)
    if not outcomes:
        roots = obj.settings.sync.mount_roots
        where = ", ".join(str(r) for r in roots) if roots else "the usual mount folders"
        if as_json:
            click.echo(json.dumps({"watches": []}))
        click.echo(
            f"no watch found (searched {where}; name other folders in the athlete's config "
            "as devices = [...])",
            err=True,
        )
        return
    sys.exit(_report(outcomes, as_json, "watches", _watch_label))


def _watch_label(o: SourceOutcome) -> str:
    return f"watch {o.serial or '(no serial number)'} of {o.athlete} at {o.source}"


@main.command()
@athlete_option("Whose accounts (default: every athlete with [[athletes.sources]])")
@click.option(
    "--since",
    callback=parse_day,
    help="Fetch from this day (YYYY-MM-DD) instead of where the last pull stopped.",
)
@json_option
@pass_context
def pull(obj: Context, athlete: str | None, since: date | None, as_json: bool) -> None:
    """Fetch new runs from the athletes' accounts (intervals.icu, Strava); `check` and `serve` do too.

    A source that fails (network, refused key, rate limit, server error, a broken answer) is
    one warning line and exit 1; what came before the failure is kept, and the next pull goes
    on from there.

    \b
    Example:
      loadwatch pull --athlete ana --since 2026-11-01
    """
    if athlete is not None:
        obj.app.athlete(athlete)  # an unknown name is an error, not an empty pull
    outcomes = obj.app.pull(athlete, since)
    if not outcomes:
        if as_json:
            click.echo(json.dumps({"sources": []}))
        click.echo("no account sources configured ([[athletes.sources]] in the config)", err=True)
        return
    sys.exit(_report(outcomes, as_json, "sources", _source_label, 1, "warning"))


def _source_label(o: SourceOutcome) -> str:
    return f"{o.source} of {o.athlete}"


@main.group()
def strava() -> None:
    """Strava: connect an athlete's account (their own API application, OAuth).

    \b
    Example:
      loadwatch strava connect --athlete ana
    """


@strava.command()
@athlete_option('Whose Strava account (their [[athletes.sources]] with type = "strava")')
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the redirect listener on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=Amount(1),
    default=300.0,
    show_default=True,
    help="Seconds to wait for the browser to come back.",
)
@pass_context
def connect(obj: Context, athlete: str | None, port: int, timeout_s: float) -> None:
    """Authorise loadwatch on the athlete's Strava account and keep the refresh token.

    Prints an address to open in a browser; after "Authorize", Strava sends the browser back
    to a listener on 127.0.0.1, and the refresh token is written to the source's token_file
    (mode 0600; never in the database or the config). The application's "Authorization
    Callback Domain" must be 127.0.0.1.

    \b
    Example:
      loadwatch strava connect --athlete ana
    """
    import os

    from ..errors import ConfigError
    from ..sources.strava import Strava
    from ..sources.strava import connect as authorise

    who = obj.app.athlete(athlete)
    found = [
        (i, j, s)
        for i, a in enumerate(obj.settings.athletes)
        if a.name == who.name
        for j, s in enumerate(a.sources)
        if s.type == "strava"
    ]
    if not found:
        raise ConfigError(
            "athletes.sources",
            f'{who.name} has no [[athletes.sources]] with type = "strava" in the config',
        )
    i, j, cfg = found[0]
    secret = os.environ.get(cfg.client_secret_env)
    if not secret:
        raise ConfigError(
            f"athletes[{i}].sources[{j}].client_secret_env",
            f"environment variable {cfg.client_secret_env} is not set",
        )
    assert cfg.token_file is not None
    client = Strava(cfg.client_id, secret, cfg.token_file, cfg.base_url, who.name)

    def announce(url: str) -> None:
        click.echo(f"Open this address in a browser and press Authorize:\n{url}", err=True)

    tokens = authorise(client, port, timeout_s, announce)
    whose = f"Strava athlete {tokens.athlete_id}" if tokens.athlete_id else "Strava"
    click.echo(f"connected {whose} for {who.name}; refresh token kept in {cfg.token_file}")
