"""`loadwatch sync` (a watch plugged in as USB storage) and `loadwatch pull` (the runner's
accounts): data that arrives without a file named by hand."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click

from ..model import SourceOutcome
from .main import EXIT_SOME_FAILED, Context, athlete_option, json_option, main, pass_context

EXIT_USAGE = 2


def _summary_line(o: SourceOutcome) -> str:
    s = o.imported
    return (
        f"{s.imported} imported ({s.activities} activities), {s.duplicates} duplicates, "
        f"{s.unchanged} unchanged, {s.skipped} skipped, {len(s.failed)} failed"
    )


def _report(
    outcomes: list[SourceOutcome], as_json: bool, key: str, label: Callable[[SourceOutcome], str]
) -> int:
    """Print what each source did; the exit code: 2 if one needs the user's word, 3 if files
    failed, else 0."""
    if as_json:
        click.echo(json.dumps({key: [o.as_json() for o in outcomes]}, indent=2))
    for o in outcomes:
        if o.problem:
            if not as_json:
                click.echo(f"error: {o.problem}", err=True)
            continue
        if not as_json:
            click.echo(f"{label(o)}: {_summary_line(o)}")
            for f in o.imported.failed:
                click.echo(f"failed: {f.path}: {f.reason}", err=True)
    if any(o.problem for o in outcomes):
        return EXIT_USAGE
    return EXIT_SOME_FAILED if any(o.imported.failed for o in outcomes) else 0


@main.command()
@athlete_option(
    "Whose watch it is (needed once for an unknown watch when there are several athletes)"
)
@json_option
@pass_context
def sync(obj: Context, athlete: str | None, as_json: bool) -> None:
    """Import new runs from watches plugged in as USB storage (GARMIN/Activity, MTP, devices)."""
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
