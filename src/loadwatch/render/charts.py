"""Charts from the engine's frames, drawn once for the HTML report, the web page and the alert
emails (PNG). Matplotlib's object API (`Figure`), never pyplot's global state, so charts can be
drawn from several threads of the web server or the daemon.

Each chart names the variant it shows and where its reference lines come from. No red/green
"danger zones": the ACWR bands are team-sport conventions, drawn as thin reference lines only.
"""

from __future__ import annotations

import io
import textwrap
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

from ..units import METRES, Units, amount

if TYPE_CHECKING:
    from ..shoes import ShoeStatus
    from ..views import DigestRow

BAND_COLOURS = {"none": "#9aa5b1", "small": "#e0a100", "moderate": "#d0641c", "large": "#a61b1b"}
INK = "#1f2933"
ACCENT = "#2f6fba"
CHRONIC = "#7b8794"


# Phone first: a 4.8 in figure is drawn about 460 px wide, shown at 340-560 px (a phone's width
# on the web page and in an email, a column on a desktop), so text of 10-13 pt stays 10 px or
# more on a 390 px phone. Wider figures were scaled to half their size there (5 px text).
WIDTH_IN = 4.8
TITLE_PT = 12.5
TEXT_PT = 10.5  # ticks and axis labels
LEGEND_PT = 10
NOTE_PT = 9.5
TITLE_CHARS = 44  # a title longer than this wraps, so it is never cut or shrunk


_NOTES: weakref.WeakKeyDictionary[Figure, str] = weakref.WeakKeyDictionary()


def _axes(height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(WIDTH_IN, height))
    return fig, fig.subplots()


# SVG text kept as text, ids from a fixed salt: set once for the process (only SVG output reads
# them). Set around each drawing (rc_context), they were changed under another thread's drawing:
# the web server draws an athlete page's charts at once, and 7 of 60 came out different (text as
# paths) and were kept as that chart.
matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "loadwatch"})
# Matplotlib is not thread-safe; drawing is CPU-bound under the GIL anyway, so one at a time
# costs the server nothing and keeps every chart the same bytes, whichever thread draws it.
_DRAWING = threading.Lock()


def _render(fig: Figure, fmt: str = "png") -> bytes:
    """PNG at twice the screen density (sharp on phones), or SVG with its text kept as text."""
    buf = io.BytesIO()
    with _DRAWING:
        _place_note(fig)
        if fmt == "svg":
            # No date in it: the same chart is the same bytes (a browser's copy stays current).
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        else:
            fig.savefig(buf, format="png", dpi=200, bbox_inches="tight")
    if fmt == "svg":
        text = buf.getvalue().decode()
        return text[text.index("<svg") :].encode()  # inline: no XML prolog or DOCTYPE
    return buf.getvalue()


def _legend_below(ax: Any, ncol: int = 1) -> None:
    """The legend under the tick labels, never over the data."""
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-24, units="points")
    ax.legend(
        fontsize=LEGEND_PT,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(0, 0),
        bbox_transform=below,
        ncol=ncol,
        borderaxespad=0,
        handlelength=1.5,
        columnspacing=1.2,
    )


def _style(ax, title: str, note: str | None = None) -> None:
    ax.set_title(
        textwrap.fill(title, TITLE_CHARS), loc="left", fontsize=TITLE_PT, color=INK,
        fontweight="bold",
    )  # fmt: skip
    if note:
        _NOTES[ax.figure] = note  # placed by _render, under all that ends up below the axes
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=TEXT_PT, colors=INK)
    ax.grid(axis="y", color="#e4e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def _place_note(fig: Figure) -> None:
    """The chart's note under everything below the axes (tick labels, axis label, legend), so a
    taller legend or larger text never runs into it."""
    note = _NOTES.pop(fig, None)
    if not note:
        return
    ax = fig.axes[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    below = [ax.xaxis.get_tightbbox(renderer)]
    legend = ax.get_legend()
    if legend is not None:
        below.append(legend.get_window_extent(renderer))
    bottom = min(b.y0 for b in below if b is not None)
    axes_bottom = ax.get_window_extent(renderer).y0
    offset_pt = (bottom - axes_bottom) * 72 / fig.dpi - 6
    ax.annotate(
        "\n".join(textwrap.fill(line, 64) for line in note.split("\n")),
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, offset_pt),
        textcoords="offset points",
        fontsize=NOTE_PT,
        color=CHRONIC,
        va="top",
    )


def _dates(ax: Any) -> None:
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))


def weekly_distance(weeks: pd.DataFrame, unit: Units = "km", fmt: str = "png") -> bytes:
    """Bars of Monday-to-Sunday totals (km in the frame), drawn in `unit`; the running week is
    drawn lighter."""
    fig, ax = _axes(3.0)
    if len(weeks):
        x = pd.to_datetime(weeks["week_start"])
        colours = [ACCENT] * len(weeks)
        if "days" in weeks and len(weeks) and weeks["days"].iloc[-1] < 7:
            colours[-1] = "#9fc0e6"
        ax.bar(x, weeks["total"] * 1000 / METRES[unit], width=5.5, color=colours, align="edge")
        _dates(ax)
    ax.set_ylabel(unit, fontsize=TEXT_PT)
    _style(
        ax,
        f"Weekly distance ({unit}, Monday to Sunday, your time zone)",
        "Lighter bar: the week so far.",
    )
    return _render(fig, fmt)


def acute_chronic(days: pd.DataFrame, unit: Units = "km", fmt: str = "png") -> bytes:
    """7-day and 28-day means (km in the frame) in `unit`, one axis (the ratio has a chart of
    its own)."""
    fig, ax = _axes(3.0)
    if len(days):
        x = pd.to_datetime(days.index)
        per = 1000 / METRES[unit]
        ax.plot(x, days["acute_mean"] * per, color=ACCENT, linewidth=1.8, label="acute: 7-day mean")
        ax.plot(
            x,
            days["chronic_mean"] * per,
            color=CHRONIC,
            linewidth=1.8,
            label="chronic: 28-day mean",
        )
        ax.set_ylabel(f"{unit} per day", fontsize=TEXT_PT)
        _dates(ax)
        _legend_below(ax, ncol=2)
    # From zero: a rise from 5 to 10 km a day is a doubling, not a climb from the floor.
    ax.set_ylim(bottom=0)
    _style(ax, f"Acute and chronic load ({unit} per day)")
    return _render(fig, fmt)


def ratio(days: pd.DataFrame, fmt: str = "png") -> bytes:
    """The 7:28 rolling coupled ratio, with the team-sport reference levels as thin lines."""
    fig, ax = _axes(2.8)
    if len(days):
        x = pd.to_datetime(days.index)
        ax.plot(x, days["acwr_rolling_coupled"], color=INK, linewidth=1.4)
        for level in (0.8, 1.3, 1.5):
            ax.axhline(level, color="#cbd2d9", linewidth=0.8, linestyle=":")
        ax.set_ylabel("ratio", fontsize=TEXT_PT)
        _dates(ax)
    _style(
        ax,
        "Acute:chronic ratio, 7:28 rolling, coupled",
        "Dotted lines at 0.8, 1.3 and 1.5 are team-sport conventions (Gabbett 2016), not validated "
        "for runners; no ratio is shown before 28 days of history.",
    )
    return _render(fig, fmt)


def run_spikes(runs: pd.DataFrame, fmt: str = "png", unit: Units = "km") -> bytes:
    """Each run's distance, coloured by its single-run spike band, against the 30-day longest."""
    fig, ax = _axes(3.2)
    per = METRES[unit]
    if len(runs):
        x = pd.to_datetime(runs["day"])
        ax.step(
            x,
            runs["longest_prior_30d_m"] / per,
            where="post",
            color="#cbd2d9",
            linewidth=1.2,
            label="longest run of the previous 30 days",
        )
        full = runs["full_30d_history"].astype(bool)
        for band, colour in BAND_COLOURS.items():
            sel = (runs["spike_band"] == band) & full
            if sel.any():
                label = "within 10%" if band == "none" else f"{band} spike"
                ax.scatter(
                    x[sel],
                    runs.loc[sel, "distance_m"] / per,
                    s=22 if band == "none" else 42,
                    color=colour,
                    label=label,
                    zorder=3,
                )
        early = ~full
        if early.any():
            # Without 30 days of history a "spike" only reflects missing data (science.md).
            ax.scatter(
                x[early],
                runs.loc[early, "distance_m"] / per,
                s=18,
                facecolors="none",
                edgecolors=CHRONIC,
                label="less than 30 days of history: not compared",
            )
        spikes = runs[full & runs["spike_band"].isin(["small", "moderate", "large"])]
        for day, km, pct in zip(
            pd.to_datetime(spikes["day"]), spikes["distance_m"] / per, spikes["spike_pct"],
            strict=True,
        ):  # fmt: skip
            ax.annotate(
                f"{pct:+.0f}%", (day, km), xytext=(0, 7), textcoords="offset points",
                ha="center", va="bottom", fontsize=TEXT_PT, color=INK, fontweight="bold",
            )  # fmt: skip
        top = float((runs["distance_m"] / per).max())
        ax.set_ylim(0, top * 1.18 if top > 0 else 1)  # room for the labels above the top run
        _legend_below(ax)
        _dates(ax)
    ax.set_ylabel(unit, fontsize=TEXT_PT)
    _style(
        ax,
        "Runs against the longest run of the previous 30 days",
        "Bands as in Frandsen et al. 2025 (5,205 runners): >10-30% small, >30-100% moderate, "
        ">100% large.",
    )
    return _render(fig, fmt)


def shoes(shoe_rows: Sequence[ShoeStatus], fmt: str = "png", unit: Units = "km") -> bytes:
    """Each shoe's distance against its reminder and retirement distances."""
    rows = [s for s in shoe_rows if not s.retired] or list(shoe_rows)
    fig, ax = _axes(0.9 + 0.5 * max(len(rows), 1))
    for i, s in enumerate(rows):
        colour = {"ok": ACCENT, "warn": "#e0a100", "retire": "#a61b1b"}[s.level]
        per = METRES[unit]
        d, warn, retire = s.distance_m / per, s.warn_m / per, s.retire_m / per
        ax.barh(i, d, color=colour, height=0.5)
        ax.plot([warn] * 2, [i - 0.35, i + 0.35], color=INK, linewidth=1)
        ax.plot([retire] * 2, [i - 0.35, i + 0.35], color=INK, linewidth=2)
        ax.text(d, i, f" {d:.0f} {unit}", va="center", fontsize=TEXT_PT, color=INK)
    ax.set_yticks(range(len(rows)), [s.name for s in rows], fontsize=TEXT_PT)
    ax.invert_yaxis()
    ax.set_xlabel(unit, fontsize=TEXT_PT)
    _style(
        ax,
        "Shoes against their limits",
        "Thin mark: reminder distance; thick mark: retirement distance (convention, not outcome evidence).",
    )
    return _render(fig, fmt)


# The charts an alert email can carry; a rule names one (rules.Rule.chart).
ALERT_CHARTS = ("run_spikes", "weekly_distance", "ratio", "shoes")


def alert_chart(
    chart: str,
    days: pd.DataFrame,
    weeks: pd.DataFrame,
    runs: pd.DataFrame,
    shoe_rows: Sequence[ShoeStatus],
    weeks_shown: int = 8,
    unit: Units = "km",
) -> tuple[bytes, str]:
    """The chart an alert email embeds, the one the rule of the alert that leads it names: runs
    against their 30-day longest, weekly bars, the ratio, or the shoes (runs without shoes);
    the last `weeks_shown` weeks. Returns (PNG, alt text)."""
    start = pd.Timestamp(days.index.max()) - pd.Timedelta(weeks=weeks_shown) if len(days) else None
    if chart == "weekly_distance":
        recent = weeks[pd.to_datetime(weeks["week_start"]) >= start] if start is not None else weeks
        return weekly_distance(recent, unit), "Weekly distance, Monday to Sunday"
    if chart == "ratio":
        recent_days = days[days.index >= start] if start is not None else days
        return ratio(recent_days), "The acute:chronic ratio, 7:28 rolling, coupled"
    if chart == "shoes" and shoe_rows:
        return shoes(shoe_rows, unit=unit), "Shoes against their reminder and retirement distances"
    if len(runs) and start is not None:
        runs = runs[pd.to_datetime(runs["day"]) >= start]
    return run_spikes(
        runs, unit=unit
    ), "Your recent runs against the longest run of the previous 30 days"


def athletes_overview(rows: Sequence[DigestRow], fmt: str = "png") -> bytes:
    """The coach digest's chart: each athlete's last 7 days against the 7 before."""
    fig, ax = _axes(1.0 + 0.48 * max(len(rows), 1))
    units = {r.units for r in rows}
    unit: Units = units.pop() if len(units) == 1 else "km"  # one axis: mixed readers get km
    for i, r in enumerate(rows):
        ax.barh(i + 0.18, amount(r.prev7_m, unit), height=0.34, color="#cbd2d9")
        ax.barh(i - 0.18, amount(r.last7_m, unit), height=0.34, color=ACCENT)
    ax.set_yticks(range(len(rows)), [r.athlete for r in rows], fontsize=TEXT_PT)
    ax.invert_yaxis()
    ax.set_xlabel(unit, fontsize=TEXT_PT)
    _style(
        ax,
        "Athletes: last 7 days (blue) against the 7 before (grey)",
        "Rolling 7-day totals, so a week just begun is not compared with a full one.",
    )
    return _render(fig, fmt)
