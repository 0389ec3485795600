"""The report: one JSON-ready document, rendered as terminal text or a self-contained HTML page.

Every ratio is named with its variant, every band with its source, and nothing here predicts an
individual injury: the numbers describe load; the studies describe populations.
"""

from __future__ import annotations

import base64
import html
import math
from datetime import date

import pandas as pd

from . import charts
from .load import HAZARD_RATIO, AthleteLoad
from .shoes import ShoeStatus

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


def _num(x, digits: int = 6):
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return round(f, digits)


def report_data(
    athlete: str,
    load: AthleteLoad,
    distance: AthleteLoad,
    shoes: list[ShoeStatus],
) -> dict:
    """The JSON document. `distance` is the same engine on the distance basis (km fields)."""
    d, b = distance.days, load.days
    days = []
    for day in d.index:
        days.append(
            {
                "date": day.strftime("%Y-%m-%d"),
                "distance_km": _num(d.at[day, "load"]),
                "acute7_km": _num(d.at[day, "acute_sum"]),
                "chronic28_km": _num(d.at[day, "chronic_sum"] / 4.0),
                "load": _num(b.at[day, "load"]),
                "acwr_rolling_coupled": _num(b.at[day, "acwr_rolling_coupled"]),
                "acwr_rolling_uncoupled": _num(b.at[day, "acwr_rolling_uncoupled"]),
                "acwr_ewma": _num(b.at[day, "acwr_ewma"]),
                "week_over_week_pct": _num(b.at[day, "week_over_week_pct"]),
                "ctl": _num(b.at[day, "ctl"]),
                "atl": _num(b.at[day, "atl"]),
                "tsb": _num(b.at[day, "tsb"]),
                "monotony": _num(b.at[day, "monotony"]),
            }
        )
    weeks = [
        {
            "week_start": w.week_start.strftime("%Y-%m-%d"),
            "distance_km": _num(w.total),
            "days": int(w.days),
            "change_pct": _num(w.change_pct),
            "longest_km": _num(w.longest),
        }
        for w in distance.weeks.itertuples()
    ]
    runs = [
        {
            "id": int(r.id) if "id" in distance.runs and pd.notna(r.id) else None,
            "date": pd.Timestamp(r.day).strftime("%Y-%m-%d"),
            "start_utc": r.start_utc.isoformat().replace("+00:00", "Z"),
            "distance_km": _num(r.distance_m / 1000.0),
            "longest_prior_30d_km": _num(r.longest_prior_30d_m / 1000.0),
            "spike_pct": _num(r.spike_pct),
            "spike_band": r.spike_band,
            "full_30d_history": bool(r.full_30d_history),
        }
        for r in distance.runs.itertuples()
    ]
    return {
        "athlete": athlete,
        "as_of": load.as_of.isoformat(),
        "tz": load.tz,
        "load_basis": load.params.load_basis,
        "load_unit": load.params.unit,
        "variants": {
            "acwr_rolling_coupled": "7:28 rolling, coupled (Hulin 2016)",
            "acwr_rolling_uncoupled": "7:21 rolling, uncoupled (Windt & Gabbett 2019)",
            "acwr_ewma": "EWMA 7:28, coupled, lambda 2/(N+1), seeded with the first day (Williams 2017)",
            "ctl_atl": "Performance Manager, TrainingPeaks form, tau 42/7, seeded at 0; TSB of the previous day",
            "monotony": "7-day mean / population SD (Foster 1998)",
            "spike": "run vs longest run started in the previous 30 days, whole metres (Frandsen 2025)",
        },
        "days": days,
        "weeks": weeks,
        "runs": runs,
        "shoes": [s.as_json() for s in shoes],
    }


def _fmt(x, spec: str = ".2f", none: str = "n/a") -> str:
    return none if x is None else format(x, spec)


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:+.0f}%"


def terminal(data: dict, weeks_shown: int = 12) -> str:
    """The readable view: recent weeks, today's numbers named, the latest spike, the shoes."""
    out = []
    out.append(
        f"{data['athlete']} - as of {data['as_of']} ({data['tz']}), load basis: "
        f"{data['load_basis']} ({data['load_unit']})"
    )
    if not data["days"]:
        out.append("No runs yet on or before this day.")
        return "\n".join(out) + "\n"
    out.append("")
    out.append(f"{'week (Mon)':<12}{'km':>8}{'change':>9}{'longest':>9}")
    last = data["weeks"][-1]["week_start"] if data["weeks"] else None
    first = data["weeks"][0]["week_start"] if data["weeks"] else None
    for w in data["weeks"][-weeks_shown:]:
        so_far = ""
        if w["days"] < 7:
            so_far = (
                "  (so far)"
                if w["week_start"] == last
                else "  (from the first run)"
                if w["week_start"] == first
                else ""
            )
        out.append(
            f"{w['week_start']:<12}{w['distance_km']:>8.1f}{_pct(w['change_pct']):>9}"
            f"{_fmt(w['longest_km'], '.1f', '-'):>9}{so_far}"
        )
    today = data["days"][-1]
    prev7 = None
    if len(data["days"]) >= 14:
        prev7 = data["days"][-8]["acute7_km"]
    out.append("")
    out.append(f"Today ({today['date']})")
    line = f"  last 7 days:  {_fmt(today['acute7_km'], '.1f')} km"
    if prev7 is not None:
        line += f"   the 7 before: {prev7:.1f} km ({_pct(today['week_over_week_pct'])})"
    out.append(line)
    out.append(f"  28-day weekly average: {_fmt(today['chronic28_km'], '.1f')} km")
    if today["acwr_rolling_coupled"] is None:
        out.append("  acute:chronic ratios: not shown before 28 days of history")
    else:
        out.append(
            f"  acute:chronic 7:28 rolling, coupled:   {today['acwr_rolling_coupled']:.2f}"
            f"   (7:21 uncoupled: {_fmt(today['acwr_rolling_uncoupled'])})"
        )
        out.append(f"  acute:chronic EWMA 7:28, coupled:      {_fmt(today['acwr_ewma'])}")
    out.append(
        f"  fitness/fatigue (PMC, tau 42/7):  CTL {_fmt(today['ctl'], '.1f')}  "
        f"ATL {_fmt(today['atl'], '.1f')}  TSB {_fmt(today['tsb'], '+.1f')}"
    )
    out.append(f"  monotony (Foster, 7 days): {_fmt(today['monotony'])}")
    out.append(_wrap("  " + RATIO_NOTE, "  "))
    spikes = [
        r for r in data["runs"] if r["spike_band"] not in (None, "none") and r["full_30d_history"]
    ]
    out.append("")
    if spikes:
        r = spikes[-1]
        out.append("Latest single-run spike")
        out.append(
            _wrap(
                f"  {r['date']}: {r['distance_km']:.1f} km, {r['spike_pct']:+.0f}% over the longest run "
                f"of the previous 30 days ({r['longest_prior_30d_km']:.1f} km): {r['spike_band']} "
                f"(hazard ratio {HAZARD_RATIO[r['spike_band']]} in Frandsen 2025)",
                "    ",
            )
        )
        out.append(_wrap("  " + SPIKE_NOTE, "  "))
    else:
        out.append("No single-run spike (>10% over the 30-day longest) with 30 days of history.")
    if data["shoes"]:
        out.append("")
        out.append(f"{'shoe':<24}{'km':>8}{'warn':>7}{'retire':>8}  status")
        for s in data["shoes"]:
            status = (
                "retired"
                if s["retired"]
                else {
                    "ok": "ok",
                    "warn": "past reminder distance",
                    "retire": "past retirement distance",
                }[s["level"]]
            )
            out.append(
                f"{s['name']:<24}{s['km']:>8.1f}{s['warn_km']:>7.0f}{s['retire_km']:>8.0f}  {status}"
            )
    return "\n".join(out) + "\n"


def _wrap(text: str, indent: str, width: int = 96) -> str:
    import textwrap

    return textwrap.fill(text, width=width, subsequent_indent=indent)


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def html_page(data: dict, load: AthleteLoad, distance: AthleteLoad, weeks_shown: int = 12) -> str:
    """One self-contained page (charts inline as PNG data, no network)."""
    days = distance.days
    if len(days):
        days = days[days.index >= days.index.max() - pd.Timedelta(weeks=weeks_shown)]
    weeks = distance.weeks.tail(weeks_shown)
    runs = distance.runs
    if len(runs) and len(days):
        runs = runs[pd.to_datetime(runs["day"]) >= days.index.min()]
    body = [f"<pre>{html.escape(terminal(data, weeks_shown))}</pre>"]
    figures = [
        (charts.weekly_distance(weeks), "Weekly distance"),
        (charts.acute_chronic(days), "Acute and chronic load with the 7:28 rolling coupled ratio"),
        (charts.run_spikes(runs), "Runs by single-run spike band"),
    ]
    if data["shoes"]:
        figures.append((charts.shoes(data["shoes"]), "Shoes against their limits"))
    body += [
        f"<figure>{_img(png, alt)}<figcaption>{html.escape(alt)}</figcaption></figure>"
        for png, alt in figures
    ]
    title = f"loadwatch - {data['athlete']} - {data['as_of']}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 860px; margin: 2em auto; color: #1f2933; }}
pre {{ background: #f5f7fa; padding: 1em; overflow-x: auto; font-size: 13px; }}
figure {{ margin: 1.5em 0; }} img {{ max-width: 100%; }} figcaption {{ font-size: 12px; color: #52606d; }}
</style></head><body>
<h1>{html.escape(data["athlete"])}: training load as of {html.escape(data["as_of"])}</h1>
{"".join(body)}
<p style="font-size:12px;color:#52606d">{html.escape(SPIKE_NOTE)} {html.escape(RATIO_NOTE)}
If a knee or anything else hurts, reduce load and consider seeing a clinician.</p>
</body></html>
"""


def default_as_of(tz: str) -> date:
    """Today in the athlete's zone: the only place the report asks for the clock."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz)).date()
