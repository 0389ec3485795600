"""`loadwatch pain`: what the runner feels, in their words; the watch cannot hear it."""

from __future__ import annotations

import json
from datetime import date

import click

from ..errors import UsageError
from ..model import PAIN_WHEN, PainReport
from .main import Context, athlete_option, main, parse_day, pass_context


def _score(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(
            f"pain score {text!r} is not a whole number 0-10 (0 none, 10 worst imaginable)"
        ) from None


def _report_json(r: PainReport) -> dict[str, object]:
    return {
        "id": r.id,
        "day": r.day.isoformat(),
        "score": r.score,
        "when": r.when,
        "where": r.where,
        "note": r.note,
    }


def _line(r: PainReport) -> str:
    where = f", {r.where}" if r.where else ""
    note = f" ({r.note})" if r.note else ""
    return f"{r.day} {r.score}/10 {r.when}{where}{note}"


# A negative score ("pain -1") reaches the command as a word, to be refused in words.
@main.command("pain", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, metavar="[SCORE | delete ID]")
@athlete_option("Whose knee (or foot, or hip)")
@click.option(
    "--date",
    "day",
    callback=parse_day,
    help="The day it hurt (default: today in the athlete's zone).",
)
@click.option(
    "--when",
    type=click.Choice(PAIN_WHEN),
    default="morning",
    show_default=True,
    help="Morning (on getting up), during or after a run.",
)
@click.option("--where", help='Where it hurts, in your words ("left knee, front").')
@click.option("--note", help="Anything else worth remembering.")
@click.option("--list", "as_list", is_flag=True, help="List the reports, newest first.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print JSON.")
@pass_context
def pain(
    obj: Context,
    words: tuple[str, ...],
    athlete: str | None,
    day: date | None,
    when: str,
    where: str | None,
    note: str | None,
    as_list: bool,
    as_json: bool,
) -> None:
    """Log how much it hurts, 0-10 (0 none, 10 worst imaginable); list or delete reports.

    A report is typed by the runner, never read from a file, so re-imports leave it alone.
    Nothing is stored when any part is wrong (a score outside 0-10, a day in the future).

    \b
    Example:
      loadwatch pain 3 --athlete ana --when after --where "left knee, front"
      loadwatch pain --athlete ana --list
      loadwatch pain delete 12
    """
    unknown = next((w for w in words if w.startswith("-") and not w[1:].isdigit()), None)
    if unknown is not None:
        raise UsageError(f"no such option: {unknown} (see loadwatch pain --help)")
    app = obj.app
    if words[:1] == ("delete",):
        if len(words) != 2:
            raise UsageError("say which report: loadwatch pain delete ID (see pain --list)")
        try:
            report_id = int(words[1])
        except ValueError:
            raise UsageError(f"{words[1]!r} is not a report id (see pain --list)") from None
        who, report = app.delete_pain(report_id)
        click.echo(f"deleted pain report {report.id} of {who.name}: {_line(report)}")
        return
    if as_list:
        if words:
            raise UsageError("--list takes no score: loadwatch pain --athlete A --list")
        reports = app.pain_reports(app.athlete(athlete))
        if as_json:
            click.echo(json.dumps([_report_json(r) for r in reports], indent=2))
        elif not reports:
            click.echo("no pain reports")
        else:
            for r in reports:
                click.echo(f"{r.id:>5}  {_line(r)}")
        return
    if as_json:
        raise UsageError("--json goes with --list")
    if len(words) != 1:
        raise UsageError("give one score 0-10: loadwatch pain 3 --athlete A (or --list)")
    score = _score(words[0])
    who = app.athlete(athlete)
    report = app.log_pain(who, score, day, when, where, note)
    click.echo(f"pain report {report.id} for {who.name}: {_line(report)}")
