"""`loadwatch import`: files, folders and account exports."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..model import sport_name
from .main import EXIT_SOME_FAILED, Context, athlete_option, main, pass_context

PROGRESS_MIN_FILES = 5


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@athlete_option("Whose files these are")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--workers", type=click.IntRange(1, 64), help="Decoding processes (default: all cores)."
)
@click.option(
    "--verbose", "-v", is_flag=True, help="Also list skipped files and what readers mended."
)
@click.option("--sport", help="The sport of the files that do not say (e.g. running).")
@pass_context
def import_(
    obj: Context,
    paths: tuple[str, ...],
    athlete: str | None,
    as_json: bool,
    workers: int | None,
    verbose: bool,
    sport: str | None,
) -> None:
    """Import FIT, GPX and TCX files (also .gz), folders of them, and account exports (zip).

    \b
    Example:
      loadwatch import ~/Garmin/Activities --athlete ana
    """
    app = obj.app
    from ..export import read_edits

    exports = [doc for doc in map(read_edits, paths) if doc is not None]
    if exports:
        # A loadwatch export names its athlete: into an empty database it comes with them.
        theirs = exports[0]["athlete"]
        athlete = athlete or theirs["name"]
        if athlete not in {a.name for a in app.athletes()}:
            app.add_athlete(
                athlete, theirs["email"], theirs["tz"], theirs["resting_hr"], theirs["max_hr"],
                theirs["sex"],
            )  # fmt: skip
    who = app.athlete(athlete)
    if sport is not None:
        try:
            sport = sport_name(sport)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--sport") from e
    bar: Any = None
    total = done = 0

    def on_total(n: int) -> None:
        # Called again as each archive's directory is read: its members join the bar.
        nonlocal bar, total
        total += n
        if bar is not None:
            bar.length = total
        elif total > PROGRESS_MIN_FILES and not as_json and sys.stderr.isatty():
            bar = click.progressbar(length=total, label="importing", file=sys.stderr)
            bar.__enter__()
            bar.update(done)

    def on_progress(n: int) -> None:
        nonlocal done
        done += n
        if bar is not None:
            bar.update(n)

    try:
        summary = app.import_paths(who, paths, workers, on_total, on_progress, sport)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for doc in exports:
        restored = app.restore_export(who, doc)
        click.echo(
            f"restored from the export: {restored.shoes} shoes, {restored.records} runs without "
            f"a file, edits of {restored.edited} runs, {restored.pain} pain reports"
            + (f" ({restored.unmatched} runs not found)" if restored.unmatched else ""),
            err=True,
        )
        for line in restored.pain_refused:
            click.echo(line, err=True)
    if as_json:
        click.echo(json.dumps(summary.as_json(), indent=2))
    else:
        click.echo(
            f"imported {summary.imported} files ({summary.activities} activities), "
            f"{summary.duplicates} duplicates, {summary.unchanged} unchanged, "
            f"{summary.skipped} skipped, {len(summary.failed)} failed"
            + (f", {summary.ignored} other files ignored" if summary.ignored else "")
            + (
                f"; {summary.replaced} activities replaced by the new version of changed files"
                if summary.replaced
                else ""
            )
        )
        if verbose:
            for s in summary.skipped_files:
                click.echo(f"skipped: {s.path}: {s.reason}", err=True)
            for n in summary.notes:
                click.echo(f"note: {n.path}: {n.reason}", err=True)
        for activity_id, path in summary.needs_sport:
            click.echo(
                f"needs a sport: {path}: loadwatch activities edit {activity_id} --sport running",
                err=True,
            )
        for activity_id, path, reason in summary.needs_look:
            click.echo(f"needs a look: {path}: activity {activity_id}: {reason}", err=True)
        for f in summary.failed:
            click.echo(f"failed: {f.path}: {f.reason}", err=True)
    if summary.failed:
        sys.exit(EXIT_SOME_FAILED)
