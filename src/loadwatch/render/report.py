"""The report view rendered three ways: terminal text, a JSON document and a self-contained HTML
page. Numbers come from `views.ReportView`; this module only formats them.

Every ratio is named with its variant, every band with its source, and nothing here predicts an
individual injury: the numbers describe load; the studies describe populations.
"""

from __future__ import annotations

import base64
import html
import textwrap
from dataclasses import asdict
from typing import Any

import pandas as pd

from ..load import HAZARD_RATIO
from ..load.headroom import Headroom
from ..views import HEADROOM_EVIDENCE, VARIANTS, ReportView, headroom_lines, headroom_text
from .tables import shoes_table

RATIO_NOTE = (
    "Ratio bands (0.8-1.3 'sweet spot', >1.5) come from team sport (Gabbett 2016) and are not "
    "validated for runners; in 5,205 runners the ratio showed no rising risk (Frandsen 2025). "
    "Shown for context, not as a verdict."
)
SPIKE_NOTE = (
    "Single runs more than 10% longer than the longest run of the previous 30 days were associated "
    "with more overuse injuries in 5,205 runners (Frandsen et al. 2025, BJSM). A population "
    "association, not a prediction for you."
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
        "days": [asdict(d) | {"date": d.date.isoformat()} for d in view.days],
        "weeks": [asdict(w) | {"week_start": w.week_start.isoformat()} for w in view.weeks],
        "runs": [
            asdict(r)
            | {
                "date": r.date.isoformat(),
                "start_utc": r.start_utc.isoformat().replace("+00:00", "Z"),
            }
            for r in view.runs
        ],
        "shoes": [s.as_json() for s in view.shoes],
        "headroom": headroom_json(view.headroom),
    }


def headroom_json(h: Headroom) -> dict[str, Any]:
    doc = asdict(h)
    doc["as_of"] = h.as_of.isoformat()
    if h.run.longest_day is not None:
        doc["run"]["longest_day"] = h.run.longest_day.isoformat()
    if h.drop is not None:
        doc["drop"]["day"] = h.drop.day.isoformat()
    doc["lines"] = [asdict(x) for x in headroom_lines(h)]
    doc["evidence"] = HEADROOM_EVIDENCE
    return doc


def _fmt(x, spec: str = ".2f", none: str = "n/a") -> str:
    return none if x is None else format(x, spec)


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:+.0f}%"


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
    out.append(f"{'week (Mon)':<12}{'km':>8}{'change':>9}{'longest':>9}")
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
            f"{w.week_start.isoformat():<12}{_fmt(w.distance_km, '.1f'):>8}{_pct(w.change_pct):>9}"
            f"{_fmt(w.longest_km, '.1f', '-'):>9}{so_far}"
        )
    prev7 = view.days[-8].acute7_km if len(view.days) >= 14 else None
    out.append("")
    out.append(f"Today ({today.date.isoformat()})")
    line = f"  last 7 days:  {_fmt(today.acute7_km, '.1f')} km"
    if prev7 is not None:
        line += f"   the 7 before: {prev7:.1f} km ({_pct(today.week_over_week_pct)})"
    out.append(line)
    out.append(f"  28-day weekly average: {_fmt(today.chronic28_km, '.1f')} km")
    if today.acwr_rolling_coupled is None:
        out.append("  acute:chronic ratios: not shown before 28 days of history")
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
    out.append(_wrap("  " + RATIO_NOTE, "  "))
    out.append("")
    out.append("Headroom: what stays inside the ranges studies associated with fewer injuries")
    out.append(headroom_text(view.headroom))
    out += [_wrap(f"  {line}", "  ") for line in HEADROOM_EVIDENCE]
    out.append("")
    r = view.latest_spike
    if r is not None and r.spike_band is not None:
        out.append("Latest single-run spike")
        out.append(
            _wrap(
                f"  {r.date.isoformat()}: {_fmt(r.distance_km, '.1f')} km, {_pct(r.spike_pct)} over "
                f"the longest run of the previous 30 days ({_fmt(r.longest_prior_30d_km, '.1f')} km): "
                f"{r.spike_band} (hazard ratio {HAZARD_RATIO[r.spike_band]} in Frandsen 2025)",
                "    ",
            )
        )
        out.append(_wrap("  " + SPIKE_NOTE, "  "))
    else:
        out.append("No single-run spike (>10% over the 30-day longest) with 30 days of history.")
    if view.shoes:
        out.append("")
        out.append(shoes_table(view.shoes))
    return "\n".join(out) + "\n"


def _wrap(text: str, indent: str, width: int = 96) -> str:
    return textwrap.fill(text, width=width, subsequent_indent=indent)


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def html_page(view: ReportView, weeks_shown: int = 12) -> str:
    """One self-contained page (charts inline as PNG data, no network)."""
    from . import charts  # matplotlib only when a chart is drawn

    distance = view.analysis.distance
    days = distance.days
    if len(days):
        days = days[days.index >= days.index.max() - pd.Timedelta(weeks=weeks_shown)]
    weeks = distance.weeks.tail(weeks_shown)
    runs = distance.runs
    if len(runs) and len(days):
        runs = runs[pd.to_datetime(runs["day"]) >= days.index.min()]
    body = [f"<pre>{html.escape(terminal(view, weeks_shown))}</pre>"]
    figures = [
        (charts.weekly_distance(weeks), "Weekly distance"),
        (charts.acute_chronic(days), "Acute and chronic load with the 7:28 rolling coupled ratio"),
        (charts.run_spikes(runs), "Runs by single-run spike band"),
    ]
    if view.shoes:
        figures.append((charts.shoes(view.shoes), "Shoes against their limits"))
    body += [
        f"<figure>{_img(png, alt)}<figcaption>{html.escape(alt)}</figcaption></figure>"
        for png, alt in figures
    ]
    title = f"loadwatch - {view.athlete} - {view.as_of.isoformat()}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 860px; margin: 2em auto; color: #1f2933; }}
pre {{ background: #f5f7fa; padding: 1em; overflow-x: auto; font-size: 13px; }}
figure {{ margin: 1.5em 0; }} img {{ max-width: 100%; }} figcaption {{ font-size: 12px; color: #52606d; }}
</style></head><body>
<h1>{html.escape(view.athlete)}: training load as of {view.as_of.isoformat()}</h1>
{"".join(body)}
<p style="font-size:12px;color:#52606d">{html.escape(SPIKE_NOTE)} {html.escape(RATIO_NOTE)}
If a knee or anything else hurts, reduce load and consider seeing a clinician.</p>
</body></html>
"""
