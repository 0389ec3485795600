"""`loadwatch report`: weekly distance, named ratios, spikes and shoes, as text, JSON or HTML."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from .main import Context, athlete_option, main, parse_day, pass_context


@main.command()
@athlete_option("Whose report")
@click.option(
    "--as-of",
    callback=parse_day,
    help="The day to describe (default: today in the athlete's zone).",
)
@click.option(
    "--weeks", type=click.IntRange(1, 520), default=12, show_default=True, help="Weeks shown."
)
@click.option(
    "--basis",
    type=click.Choice(["distance", "moving_time", "trimp"]),
    default="distance",
    show_default=True,
    help="Load basis of the ratios (TRIMP needs resting and max heart rate).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report of the weeks shown as JSON."
)
@click.option("--csv", "as_csv", is_flag=True, help="Print the weeks as CSV.")
@click.option(
    "--all-days",
    is_flag=True,
    help="Every day, week and run of the history (with --json), not only the weeks shown.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML page (- for stdout, instead of the text).",
)
@pass_context
def report(
    obj: Context,
    athlete: str | None,
    as_of: date | None,
    weeks: int,
    basis: str,
    as_json: bool,
    as_csv: bool,
    all_days: bool,
    html_path: str | None,
) -> None:
    """Weekly distance, acute:chronic ratios (variant named), spikes and shoes.

    \b
    Example:
      loadwatch report --athlete ana --weeks 8 --html report.html
    """
    from ..render.report import report_json, terminal

    outs = (("--html -", html_path == "-"), ("--json", as_json), ("--csv", as_csv))
    to_stdout = [flag for flag, on in outs if on]
    if len(to_stdout) > 1:
        both = "both" if len(to_stdout) == 2 else "all"
        raise click.UsageError(f"{' and '.join(to_stdout)} {both} write to stdout: choose one")
    app = obj.app
    try:
        a = app.athlete(athlete)
        view = app.report(a, as_of, basis, None if all_days else weeks)
    except ValueError as e:
        raise click.UsageError(str(e)) from e
    view = replace(view, units=obj.units_of(a))
    if html_path:
        from ..render.report import html_page

        page = html_page(view, weeks)
        if html_path == "-":  # as for --json: the page is the output
            click.echo(page, nl=not page.endswith("\n"))
            return
        Path(html_path).write_text(page, encoding="utf-8")
    if as_json:
        click.echo(json.dumps(report_json(view), indent=1, allow_nan=False))
    elif as_csv:
        from ..render.csvout import to_csv

        click.echo(to_csv(report_json(view)["weeks"]), nl=False)
    else:
        click.echo(terminal(view, weeks), nl=False)
        if html_path:
            click.echo(f"wrote {html_path}")


@main.command()
@athlete_option("Whose headroom")
@click.option("--as-of", callback=parse_day, help="The day (default: today in the athlete's zone).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def headroom(obj: Context, athlete: str | None, as_of: date | None, as_json: bool) -> None:
    """How long a run today, and how much more today, stay inside the studies' ranges.

    \b
    Example:
      loadwatch headroom --athlete ana
    """
    from ..render.report import headroom_json
    from ..views import HEADROOM_EVIDENCE, headroom_text

    app = obj.app
    a = app.athlete(athlete)
    h = app.headroom(a, as_of)
    if as_json:
        units = obj.units_of(a)
        doc = headroom_json(h, units) | {"athlete": a.name, "units": units}
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"{a.name} - headroom on {h.as_of:%a %d %b %Y}")
    click.echo(headroom_text(h, units=obj.units_of(a)))
    for line in HEADROOM_EVIDENCE:
        click.echo(textwrap.fill(line, width=96, initial_indent="  ", subsequent_indent="  "))
