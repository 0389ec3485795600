"""The report view rendered three ways: terminal text, a JSON document and a self-contained HTML
page. Numbers come from `views.ReportView`; this module only formats them.

Every ratio is named with its variant, every band with its source, and nothing here predicts an
individual injury: the numbers describe load; the studies describe populations.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any

import pandas as pd

from ..load import HAZARD_RATIO
from ..load.headroom import Headroom
from ..load.knee import MIN_EASY_RUNS, StepRateTrend
from ..units import Units, amount, climb, climb_unit
from ..views import (
    EFFORT_NOTE,
    HEADROOM_EVIDENCE,
    VARIANTS,
    ReportView,
    WeekRow,
    headroom_lines,
    headroom_text,
    num,
)
from .spark import sparkline_svg
from .tables import SHOE_STATUS, shoes_table

RATIO_NOTE = (
    "Ratio bands (0.8-1.3 'sweet spot', >1.5) come from team sport (Gabbett 2016) and are not "
    "validated for runners; in 5,205 runners the uncoupled 1:3-week ratio showed a negative "
    "dose-response (Frandsen 2025). Shown for context, not as a verdict."
)
SPIKE_NOTE = (
    "Single runs more than 10% longer than the longest run of the previous 30 days were associated "
    "with more self-reported overuse injuries in 5,205 adult runners (Frandsen et al. 2025, BJSM), "
    "though not band by band (hazard rate ratios 1.64, 1.52, 2.28). A population association, not "
    "a prediction for you."
)


def report_json(view: ReportView) -> dict[str, Any]:
    """The JSON document (`report --json`): the same rows, dates as ISO text."""
    return {
        "athlete": view.athlete,
        "as_of": view.as_of.isoformat(),
        "tz": view.tz,
        "load_basis": view.load_basis,
        "load_unit": view.load_unit,
        "variants": VARIANTS,
        "days": [_flat(d) | {"date": d.date.isoformat()} for d in view.days],
        "weeks": [_flat(w) | {"week_start": w.week_start.isoformat()} for w in view.weeks],
        "runs": [
            _flat(r)
            | {
                "date": r.date.isoformat(),
                "start_utc": r.start_utc.isoformat().replace("+00:00", "Z"),
            }
            for r in view.runs
        ],
        "shoes": [s.as_json() for s in view.shoes],
        "headroom": headroom_json(view.headroom, view.units),
        "unknown_load_runs_28d": view.unknown_load_runs,
        "step_rate_trend": step_rate_json(view.step_rate),
        "units": view.units,  # how its reader reads distances; the fields above stay km and m
    }


def step_rate_json(t: StepRateTrend | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "as_of": t.as_of.isoformat(),
        "easy_pace_s_per_km": t.easy_pace_s_per_km,
        "last28_spm": t.last28_spm,
        "prev28_spm": t.prev28_spm,
        "easy_runs_last28": t.easy_runs_last28,
        "easy_runs_prev28": t.easy_runs_prev28,
        "change_pct": t.change_pct,
        "fell_5pct": t.fell,
        "points": [{"day": d.isoformat(), "spm": v} for d, v in t.points],
        "note": STEP_RATE_NOTE,
    }


STEP_RATE_NOTE = (
    "Step rate of easy runs only (in each 4 weeks, the runs at or slower than their median pace): "
    "the median of the last 4 weeks against the 4 before. A fall of 5% or more is loadwatch's own "
    "heuristic, noted, never alerted on: a higher step rate lowered knee loading in lab studies "
    "(Lenhart 2014, Willson 2014; Anderson 2022 review), with no evidence yet on injury."
)


def step_rate_line(t: StepRateTrend | None) -> str | None:
    """One line for the weekly view; None when the runs carry no step rate."""
    if t is None or t.last28_spm is None:
        return None
    line = f"step rate on easy runs: {t.last28_spm:.0f} steps/min over the last 4 weeks"
    line += f" ({t.easy_runs_last28} runs)"
    if t.prev28_spm is not None:
        line += f", {t.prev28_spm:.0f} over the 4 before ({t.easy_runs_prev28} runs)"
    if t.change_pct is not None:
        line += f": {t.change_pct:+.1f}%"
    else:
        line += f": too few easy runs to compare (at least {MIN_EASY_RUNS} in each 4 weeks)"
    if t.fell:
        line += " - it fell by 5% or more (loadwatch's own heuristic: worth a look, not a warning)"
    return line


# The rows' distances in metres -> their JSON (and CSV) names, in km as they have always been.
KM_NAMES = {
    "distance_m": "distance_km",
    "acute7_m": "acute7_km",
    "chronic28_m": "chronic28_km",
    "longest_m": "longest_km",
    "longest_prior_30d_m": "longest_prior_30d_km",
}


def _flat(row: Any) -> dict[str, Any]:
    """A flat row as a dict, its distances in km under their km names (asdict copies deeply,
    ten times slower on a 10-year --all-days)."""
    out = {}
    for f in fields(row):
        v = getattr(row, f.name)
        if f.name in KM_NAMES:
            out[KM_NAMES[f.name]] = num(amount(v, "km"))
        else:
            out[f.name] = v
    return out


def headroom_json(h: Headroom, units: Units = "km") -> dict[str, Any]:
    """The numbers in metres; the `lines` in words of `units`."""
    doc = asdict(h)
    doc["as_of"] = h.as_of.isoformat()
    if h.run.longest_day is not None:
        doc["run"]["longest_day"] = h.run.longest_day.isoformat()
    if h.drop is not None:
        doc["drop"]["day"] = h.drop.day.isoformat()
    if h.pain is not None and h.pain.day is not None:
        doc["pain"]["day"] = h.pain.day.isoformat()
    if h.return_plan is not None:
        plan = doc["return_plan"]
        for key in ("last_run_day", "first_day"):
            plan[key] = plan[key].isoformat()
        plan["last_day"] = h.return_plan.last_day.isoformat()
        plan["weeks"] = [
            w | {"first_day": w["first_day"].isoformat(), "last_day": w["last_day"].isoformat()}
            for w in plan["weeks"]
        ]
        current = h.return_plan.week_on(h.as_of)
        plan["week"] = current.week if current else None
    doc["lines"] = [asdict(x) for x in headroom_lines(h, units)]
    doc["evidence"] = HEADROOM_EVIDENCE
    return doc


def _fmt(x, spec: str = ".2f", none: str = "n/a") -> str:
    return none if x is None else format(x, spec)


def _d(m: float | None, units: Units, spec: str = ".1f", none: str = "n/a") -> str:
    """A distance the view holds in metres, as a number in the reader's unit (no unit name)."""
    return _fmt(amount(m, units), spec, none)


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:+.0f}%"


def _effort(w: WeekRow) -> str:
    """The week's effort and its change when there is one to give."""
    change = f" ({w.effort_change_pct:+.0f}%)" if w.effort_change_pct is not None else ""
    return w.effort_text + change


# What the weekly zones column is and is not, wherever it is shown.
ZONES_NOTE = (
    "HR zones 1-5: each week's time with heart rate split into bands of the heart-rate reserve "
    "(Karvonen; edges at 60/70/80/90% of the reserve unless [zones] hrr_edges_pct says "
    "otherwise), as percentages. The bands are a coaching convention; no study ties time in a "
    "zone to knee pain or injury. Shown, never alerted on; '-' when the athlete's resting and "
    "maximum heart rate are not set or no run that week had heart rate."
)


def _zones(w: WeekRow) -> str:
    """'62/25/9/3/1': the week's heart-rate time by zone in whole percent; '-' when unknown."""
    zones = w.hr_zones_s
    total = sum(zones) if zones is not None else 0.0
    if zones is None or total <= 0:
        return "-"
    return "/".join(f"{z / total * 100:.0f}" for z in zones)


def terminal(view: ReportView, weeks_shown: int = 12) -> str:
    """The readable view: recent weeks, today's numbers named, the latest spike, the shoes."""
    out = [
        f"{view.athlete} - as of {view.as_of.isoformat()} ({view.tz}), load basis: "
        f"{view.load_basis} ({view.load_unit})"
    ]
    today = view.today
    if today is None:
        out.append("No runs yet on or before this day.")
        return "\n".join(out) + "\n"
    out.append("")
    u = view.units
    cu = climb_unit(u)  # metres of climb beside km, feet beside miles
    out.append(
        f"{'week (Mon)':<12}{u:>8}{'change':>9}{'longest':>9}{'up ' + cu:>7}{'down ' + cu:>8}"
        f"{'change':>9}{'HR zones 1-5 %':>17}   effort (sRPE)"
    )
    last = view.weeks[-1].week_start if view.weeks else None
    first = view.weeks[0].week_start if view.weeks else None
    for w in view.weeks[-weeks_shown:]:
        so_far = ""
        if w.days < 7:
            so_far = (
                "  (so far)"
                if w.week_start == last
                else "  (from the first run)"
                if w.week_start == first
                else ""
            )
        out.append(
            f"{w.week_start.isoformat():<12}{_d(w.distance_m, u):>8}{_pct(w.change_pct):>9}"
            f"{_d(w.longest_m, u, '.1f', '-'):>9}{climb(w.ascent_m, u, suffix=False):>7}"
            f"{climb(w.descent_m, u, suffix=False):>8}{_pct(w.descent_change_pct):>9}{_zones(w):>17}"
            f"   {_effort(w)}{so_far}"
        )
    out.append(_wrap("  " + EFFORT_NOTE, "  "))
    out.append(_wrap("  " + ZONES_NOTE, "  "))
    steps = step_rate_line(view.step_rate)
    if steps:
        out.append(_wrap(steps[0].upper() + steps[1:], "  "))
    prev7 = view.days[-8].acute7_m if len(view.days) >= 14 else None
    out.append("")
    out.append(f"Today ({today.date.isoformat()})")
    line = f"  last 7 days:  {_d(today.acute7_m, u)} {u}"
    if prev7 is not None:
        line += f"   the 7 before: {_d(prev7, u)} {u} ({_pct(today.week_over_week_pct)})"
    out.append(line)
    out.append(f"  28-day weekly average: {_d(today.chronic28_m, u)} {u}")
    if today.acwr_rolling_coupled is None:
        out.append(f"  acute:chronic ratios: {view.ratio_missing}")
    else:
        out.append(
            f"  acute:chronic 7:28 rolling, coupled:   {today.acwr_rolling_coupled:.2f}"
            f"   (7:21 uncoupled: {_fmt(today.acwr_rolling_uncoupled)})"
        )
        out.append(f"  acute:chronic EWMA 7:28, coupled:      {_fmt(today.acwr_ewma)}")
    out.append(
        f"  fitness/fatigue (PMC, tau 42/7):  CTL {_fmt(today.ctl, '.1f')}  "
        f"ATL {_fmt(today.atl, '.1f')}  TSB {_fmt(today.tsb, '+.1f')}"
    )
    out.append(f"  monotony (Foster, 7 days): {_fmt(today.monotony)}")
    if view.unknown_load_runs:
        n = view.unknown_load_runs
        runs = "1 run" if n == 1 else f"{n} runs"
        out.append(
            f"  {runs} of the last 28 days without heart rate: {view.load_basis} load unknown, "
            "counted as 0 in these numbers"
        )
    out.append(_wrap("  " + RATIO_NOTE, "  "))
    out.append("")
    out.append(
        "Headroom: within +10% of the 30-day longest run (Frandsen 2025's reference range) and "
        "under the weekly +30% line (weak evidence, Nielsen 2014)"
    )
    out.append(headroom_text(view.headroom, units=u))
    out += [_wrap(f"  {line}", "  ") for line in HEADROOM_EVIDENCE]
    out.append("")
    r = view.latest_spike
    if r is not None and r.spike_band is not None:
        out.append("Latest single-run spike")
        out.append(
            _wrap(
                f"  {r.date.isoformat()}: {_d(r.distance_m, u)} {u}, {_pct(r.spike_pct)} over "
                f"the longest run of the previous 30 days ({_d(r.longest_prior_30d_m, u)} {u}): "
                f"{r.spike_band} (hazard ratio {HAZARD_RATIO[r.spike_band]} in Frandsen 2025)",
                "    ",
            )
        )
        out.append(_wrap("  " + SPIKE_NOTE, "  "))
    else:
        out.append(
            "No single-run spike (>10% over the 30-day longest, with 30 days of history) "
            "in the weeks shown."
        )
    if view.shoes:
        out.append("")
        out.append(shoes_table(view.shoes, u))
    return "\n".join(out) + "\n"


def _wrap(text: str, indent: str, width: int = 96) -> str:
    return textwrap.fill(text, width=width, subsequent_indent=indent)


PAGE_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933;
       margin: 0 auto; max-width: 1000px; padding: 12px 16px 32px; font-size: 16px;
       line-height: 1.45; }
h1 { font-size: 1.4rem; margin: 0.4em 0; } h2 { font-size: 1.15rem; margin: 1.4em 0 0.4em; }
.note { font-size: 0.85rem; color: #52606d; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.95rem; }
th, td { text-align: right; padding: 4px 10px; border-bottom: 1px solid #e4e7eb; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
dl.today { display: grid; grid-template-columns: minmax(10em, max-content) 1fr; gap: 2px 16px; }
dl.today dt { color: #52606d; } dl.today dd { margin: 0; }
@media (max-width: 600px) {
  dl.today { grid-template-columns: 1fr; } dl.today dd { margin-bottom: 8px; font-weight: 600; }
}
ul.headroom { padding-left: 1.1em; } ul.headroom li { margin: 0.3em 0; }
.charts { display: grid; gap: 8px 24px; margin: 1.2em 0;
          grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); }
/* Charts are drawn for a phone's width (text stays legible) and scale to their box, never
   wider than the screen; their title and notes are part of the drawing, shown once. */
figure { margin: 0; } figure svg, figure img { display: block; width: 100%; max-width: 620px; height: auto; }
"""


def _row(cells: list[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"


def _table(head: list[str], rows: list[list[str]]) -> str:
    body = "".join(_row(r) for r in rows)
    return f"<div class='scroll'><table><thead>{_row(head, True)}</thead><tbody>{body}</tbody></table></div>"


# The report's charts by name, each with what a screen reader says of it (its title is drawn in
# it). The HTML report draws them inline; the web page links each as an image of its own (drawing
# them is most of the page's time, and a browser asks for them after it has the page).
CHARTS = {
    "weekly": "Weekly distance, Monday to Sunday; the lighter bar is the week so far",
    "spikes": "Runs by single-run spike band",
    "load": "Acute and chronic load",
    "ratio": "The 7:28 rolling coupled ratio",
    "shoes": "Shoes against their limits",
}
LOAD_CHARTS = ("weekly", "spikes", "load", "ratio")

Figure = Callable[[str], str]  # a chart's name -> its <figure>


def chart_names(view: ReportView) -> tuple[str, ...]:
    """The charts of `view`'s report, in the order shown: one list for the page that links them
    and the route that draws them (a chart the page does not show is not found)."""
    if view.today is None:
        return ()
    return LOAD_CHARTS + (("shoes",) if view.shoes else ())


def chart_svg(view: ReportView, name: str, weeks_shown: int = 12) -> bytes:
    """One of the report's charts as SVG (text kept as text), over the weeks shown."""
    from . import charts  # matplotlib only when a chart is drawn

    u = view.units
    distance = view.analysis.distance
    if name == "weekly":
        return charts.weekly_distance(distance.weeks.tail(weeks_shown), u, fmt="svg")
    if name == "shoes":
        return charts.shoes(view.shoes, fmt="svg", unit=u)
    days = distance.days
    if len(days):
        days = days[days.index >= days.index.max() - pd.Timedelta(weeks=weeks_shown)]
    if name == "load":
        return charts.acute_chronic(days, u, fmt="svg")
    if name == "ratio":
        return charts.ratio(days, fmt="svg")
    if name == "spikes":
        runs = distance.runs
        if len(runs) and len(days):
            runs = runs[pd.to_datetime(runs["day"]) >= days.index.min()]
        return charts.run_spikes(runs, fmt="svg", unit=u)
    raise KeyError(name)


def inline_figures(view: ReportView, weeks_shown: int = 12) -> Figure:
    """Each chart drawn into the page: one self-contained file."""

    def figure(name: str) -> str:
        svg = chart_svg(view, name, weeks_shown).decode()
        return f"<figure role='img' aria-label='{html.escape(CHARTS[name])}'>{svg}</figure>"

    return figure


def report_body(view: ReportView, weeks_shown: int = 12, figure: Figure | None = None) -> str:
    """The report as HTML sections (no page around it): the HTML report and the web page. Each
    chart is `figure(name)`: drawn inline unless the caller links it."""
    figure = figure or inline_figures(view, weeks_shown)
    today = view.today
    out: list[str] = []
    if today is None:
        return "<p>No runs yet on or before this day.</p>"
    out.append(
        "<h2>Headroom</h2><p class='note'>What stays within +10% of the 30-day longest run "
        "(Frandsen 2025's reference range) and under the weekly +30% line (weak evidence, "
        "Nielsen 2014); not a personal safe limit.</p><ul class='headroom'>"
    )
    out += [
        f"<li><b>{html.escape(x.guidance)}</b><br><span class='note'>{html.escape(x.facts)}</span></li>"
        for x in headroom_lines(view.headroom, view.units)
    ]
    out.append(
        "</ul>" + "".join(f"<p class='note'>{html.escape(e)}</p>" for e in HEADROOM_EVIDENCE)
    )
    prev7 = view.days[-8].acute7_m if len(view.days) >= 14 else None
    u = view.units
    facts = [
        ("last 7 days", f"{_d(today.acute7_m, u)} {u}"
         + (f" (the 7 before: {_d(prev7, u)} {u}, {_pct(today.week_over_week_pct)})" if prev7 is not None else "")),
        ("28-day weekly average", f"{_d(today.chronic28_m, u)} {u}"),
        ("acute:chronic 7:28 rolling, coupled",
         _fmt(today.acwr_rolling_coupled) if today.acwr_rolling_coupled is not None else view.ratio_missing),
        ("acute:chronic 7:21 rolling, uncoupled", _fmt(today.acwr_rolling_uncoupled)),
        ("acute:chronic EWMA 7:28, coupled", _fmt(today.acwr_ewma)),
        ("fitness / fatigue / form (PMC on km, τ 42/7)",
         f"CTL {_fmt(today.ctl, '.1f')} · ATL {_fmt(today.atl, '.1f')} · TSB {_fmt(today.tsb, '+.1f')}"),
        ("monotony (Foster's formula on daily km)", _fmt(today.monotony)),
    ]  # fmt: skip
    out.append(f"<h2>Today ({today.date.isoformat()})</h2><dl class='today'>")
    out += [f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts]
    out.append(f"</dl><p class='note'>{html.escape(RATIO_NOTE)}</p>")
    spike = view.latest_spike
    out.append("<h2>Latest single-run spike</h2>")
    if spike is not None and spike.spike_band is not None:
        out.append(
            f"<p>{spike.date:%a %d %b %Y}: {_d(spike.distance_m, u)} {u}, "
            f"{_pct(spike.spike_pct)} over the longest run of the previous 30 days "
            f"({_d(spike.longest_prior_30d_m, u)} {u}): <b>{html.escape(spike.spike_band)}</b> "
            f"(hazard ratio {HAZARD_RATIO[spike.spike_band]} in Frandsen 2025)</p>"
        )
    else:
        out.append(
            "<p>No run more than 10% over the 30-day longest (with 30 days of history) "
            "in the weeks shown.</p>"
        )
    out.append(f"<p class='note'>{html.escape(SPIKE_NOTE)}</p>")
    weeks = view.weeks[-weeks_shown:]
    out.append("<h2>Weeks (Monday to Sunday)</h2>")
    out.append(
        _table(
            [
                "week",
                u,
                "change",
                "longest run",
                f"up {climb_unit(u)}",
                f"down {climb_unit(u)}",
                "down change",
                "HR zones 1-5 %",
                "effort (sRPE)",
            ],
            [
                [
                    w.week_start.isoformat(),
                    _d(w.distance_m, u),
                    _pct(w.change_pct),
                    _d(w.longest_m, u, ".1f", "-"),
                    climb(w.ascent_m, u, suffix=False),
                    climb(w.descent_m, u, suffix=False),
                    _pct(w.descent_change_pct),
                    _zones(w),
                    _effort(w),
                ]
                for w in weeks
            ],  # fmt: skip
        )
    )
    out.append(f"<p class='note'>{html.escape(EFFORT_NOTE)}</p>")
    out.append(f"<p class='note'>{html.escape(ZONES_NOTE)}</p>")
    steps = step_rate_line(view.step_rate)
    if steps and view.step_rate is not None:
        values = [v for _, v in view.step_rate.points if v is not None]
        spark = (
            sparkline_svg(values, label="Easy runs' step rate, 28-day median, weekly")
            if len(values) > 1
            else ""
        )
        out.append(
            f"<p id='step-rate'>{html.escape(steps[0].upper() + steps[1:])} {spark}</p>"
            f"<p class='note'>{html.escape(STEP_RATE_NOTE)}</p>"
        )
    shown = chart_names(view)
    load_charts = [name for name in shown if name in LOAD_CHARTS]
    out.append("<div class='charts'>" + "".join(map(figure, load_charts)) + "</div>")
    if view.shoes:
        out.append("<h2>Shoes</h2>")
        out.append(
            _table(
                ["shoe", u, "reminder", "retire", "runs", "status"],
                [
                    [
                        s.name,
                        _fmt(amount(s.distance_m, u), ".1f"),
                        _fmt(amount(s.warn_m, u), ".0f"),
                        _fmt(amount(s.retire_m, u), ".0f"),
                        str(s.runs),
                        "retired" if s.retired else SHOE_STATUS[s.level],
                    ]
                    for s in view.shoes
                ],  # fmt: skip
            )
        )
        if "shoes" in shown:
            out.append("<div class='charts'>" + figure("shoes") + "</div>")
    return "".join(out)


def html_page(view: ReportView, weeks_shown: int = 12) -> str:
    """One self-contained page (charts inline as SVG, no network) that reads from 360 px up."""
    title = f"loadwatch - {view.athlete} - {view.as_of.isoformat()}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body>
<h1>{html.escape(view.athlete)}: training load as of {view.as_of.isoformat()}</h1>
<p class="note">{html.escape(view.tz)}; load basis {html.escape(view.load_basis)} ({html.escape(view.load_unit)}).</p>
{report_body(view, weeks_shown)}
<p class="note">If a knee or anything else hurts, reduce load and consider seeing a clinician.</p>
</body></html>
"""
