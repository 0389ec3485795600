"""Issue 18, per week and over time: weekly ascent/descent in `report` (text, JSON, CSV, HTML)
with descent's week-over-week change, and step rate at comparable effort (easy runs, 4 weeks
against 4), on real FIT files written by fit-tool and imported through the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import pytest

from loadwatch.importers import read_file
from loadwatch.synth import SyntheticRun, write_run

from .conftest import SAMPLES, Cli

AS_OF = "2026-11-08"


def _monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def test_weekly_ascent_and_descent_are_the_weeks_runs_summed(cli: Cli, tmp_path: Path) -> None:
    cli("athletes", "add", "zoe", "--tz", "Europe/Berlin")
    cli("import", str(SAMPLES / "demo-runner"), "--athlete", "zoe")
    # A typed-in run alone in its week: no altitude, so the week has none (not 0 m, not flat).
    cli("activities", "add", "-a", "zoe", "--date", "2026-08-26", "--km", "5", "--minutes", "30")
    runs = [
        r
        for r in cli.json("activities", "--athlete", "zoe")
        if r["sport"] in ("running", "trail_running", "treadmill_running") and not r["excluded"]
    ]
    up: dict[str, float] = {}
    down: dict[str, float] = {}
    for r in runs:
        week = _monday(r["day"])
        if r["ascent_m"] is not None:
            up[week] = up.get(week, 0.0) + r["ascent_m"]
        if r["descent_m"] is not None:
            down[week] = down.get(week, 0.0) + r["descent_m"]
    doc = cli.json("report", "--athlete", "zoe", "--as-of", AS_OF, "--weeks", "12")
    weeks = doc["weeks"]
    assert {w["week_start"] for w in weeks} >= set(down)
    prev = None
    for w in weeks:
        assert w["ascent_m"] == (round(up[w["week_start"]], 1) if w["week_start"] in up else None)
        assert w["descent_m"] == (
            round(down[w["week_start"]], 1) if w["week_start"] in down else None
        )
        if prev and w["descent_m"] is not None:
            assert w["descent_change_pct"] == pytest.approx(
                (w["descent_m"] - prev) / prev * 100, abs=0.05
            )
        else:
            assert w["descent_change_pct"] is None
        prev = w["descent_m"]
    assert next(w for w in weeks if w["week_start"] == "2026-08-24")["descent_m"] is None
    rows = list(
        csv.DictReader(io.StringIO(cli("report", "-a", "zoe", "--as-of", AS_OF, "--csv").stdout))
    )
    assert [r["descent_m"] for r in rows] == [
        "" if w["descent_m"] is None else str(w["descent_m"]) for w in weeks
    ]
    last = weeks[-1]
    text = cli("report", "--athlete", "zoe", "--as-of", AS_OF).stdout
    head = next(line for line in text.splitlines() if line.startswith("week (Mon)"))
    assert head.split() == [
        "week",
        "(Mon)",
        "km",
        "change",
        "longest",
        "up",
        "m",
        "down",
        "m",
        "change",
        "HR",
        "zones",
        "1-5",
        "%",
        "effort",
        "(sRPE)",
    ]
    line = next(line for line in text.splitlines() if line.startswith(last["week_start"]))
    assert line.split()[4:7] == [
        f"{last['ascent_m']:.0f}",
        f"{last['descent_m']:.0f}",
        f"{last['descent_change_pct']:+.0f}%",
    ]
    page = tmp_path / "r.html"
    cli("report", "--athlete", "zoe", "--as-of", AS_OF, "--html", str(page))
    assert "<th>down m</th><th>down change</th>" in page.read_text()


def _runs(folder: Path, first: date, weeks: int, cadence: int, seed: int) -> None:
    """Four runs a week, alternating a steady (5:00/km) and an easy (6:00/km) pace."""
    zone = ZoneInfo("Europe/Berlin")
    for w in range(weeks):
        for i, weekday in enumerate((0, 2, 4, 6)):
            day = first + timedelta(weeks=w, days=weekday)
            run = SyntheticRun(
                start_utc=datetime(day.year, day.month, day.day, 7, 0, tzinfo=zone),
                distance_m=4000.0,
                pace_s_per_km=300.0 if i % 2 == 0 else 360.0,
                cadence=cadence + (3 if i % 2 == 0 else 0),  # faster, quicker steps
                seed=seed + w * 4 + i,
                record_interval_s=5,
            )
            write_run(run, folder / f"{day.isoformat()}.fit")


def test_a_fall_in_easy_runs_step_rate_gets_a_note(cli: Cli, tmp_path: Path) -> None:
    """86 strides a minute on easy runs for four weeks, then 80: 172 to 160 steps, -7%."""
    folder = tmp_path / "runs"
    folder.mkdir()
    _runs(folder, date(2026, 9, 14), 4, 86, 0)
    _runs(folder, date(2026, 10, 12), 4, 80, 100)
    cli("athletes", "add", "kim", "--tz", "Europe/Berlin")
    cli("import", str(folder), "--athlete", "kim")
    as_of = "2026-11-08"
    runs = cli.json("activities", "--athlete", "kim")
    end = date.fromisoformat(as_of)

    def easy_median(first: date, last: date) -> tuple[float, int]:
        window = [r for r in runs if first <= date.fromisoformat(r["day"]) <= last]
        pace = median(r["avg_pace_s_per_km"] for r in window)
        easy = [r["step_rate_spm"] for r in window if r["avg_pace_s_per_km"] >= pace]
        return median(easy), len(easy)

    last, n_last = easy_median(end - timedelta(days=27), end)
    prev, n_prev = easy_median(end - timedelta(days=55), end - timedelta(days=28))
    trend = cli.json("report", "--athlete", "kim", "--as-of", as_of)["step_rate_trend"]
    assert trend["last28_spm"] == pytest.approx(last, abs=0.05)
    assert trend["prev28_spm"] == pytest.approx(prev, abs=0.05)
    assert (trend["easy_runs_last28"], trend["easy_runs_prev28"]) == (n_last, n_prev)
    assert trend["change_pct"] == pytest.approx((last - prev) / prev * 100, abs=0.05)
    assert trend["change_pct"] <= -5 and trend["fell_5pct"] is True
    assert len(trend["points"]) == 12 and trend["points"][-1]["spm"] == trend["last28_spm"]
    text = cli("report", "--athlete", "kim", "--as-of", as_of).stdout
    assert "fell by 5% or more (loadwatch's own heuristic" in " ".join(text.split())
    # Four weeks earlier both windows are the same kind of running: no note.
    earlier = cli.json("report", "--athlete", "kim", "--as-of", "2026-10-11")["step_rate_trend"]
    assert earlier["fell_5pct"] is False


def _zones_by_hand(hist: dict[int, float], rest: float, peak: float) -> list[float]:
    out = [0.0] * 5
    for bpm, s in hist.items():
        reserve = (bpm - rest) / (peak - rest)
        out[sum(reserve >= e for e in (0.6, 0.7, 0.8, 0.9))] += s
    return out


def test_weekly_time_in_hr_zones_is_the_weeks_runs_summed(cli: Cli, tmp_path: Path) -> None:
    """Two weeks of runs at different heart rates, and a week whose one run had a strap that sent
    only zeros: each week's seconds per zone are its runs' histograms zoned by hand and summed;
    the strapless week and an athlete without resting/maximum heart rate get None, never 0."""
    folder = tmp_path / "runs"
    folder.mkdir()
    zone = ZoneInfo("Europe/Berlin")
    plan = [  # (day, mean heart rate, strap works)
        (date(2026, 10, 19), 125.0, True),
        (date(2026, 10, 21), 150.0, True),
        (date(2026, 10, 24), 172.0, True),
        (date(2026, 10, 27), 140.0, True),
        (date(2026, 10, 29), 165.0, True),
        (date(2026, 11, 3), 150.0, False),
    ]
    paths = []
    for i, (day, hr, strap) in enumerate(plan):
        run = SyntheticRun(
            start_utc=datetime(day.year, day.month, day.day, 7, 0, tzinfo=zone),
            distance_m=5000.0,
            hr_mean=hr,
            heart_rate=strap,
            seed=i,
            record_interval_s=5,
        )
        paths.append(write_run(run, folder / f"{day.isoformat()}.fit"))
    by_hand: dict[str, list[float]] = {}
    for (day, _, strap), path in zip(plan, paths, strict=True):
        (act,) = read_file(path)
        if strap:
            week = by_hand.setdefault(_monday(day.isoformat()), [0.0] * 5)
            for z, s in enumerate(_zones_by_hand(act.hr_histogram_s, 50, 190)):
                week[z] += s
        else:
            assert not act.hr_histogram_s
    assert all(sum(1 for s in w if s > 0) >= 2 for w in by_hand.values())  # spread over zones
    cli("athletes", "add", "hal", "--tz", "Europe/Berlin", "--resting-hr", "50", "--max-hr", "190")
    cli("athletes", "add", "ida", "--tz", "Europe/Berlin")
    for name in ("hal", "ida"):
        cli("import", str(folder), "--athlete", name)
    columns = [f"hr_zone{i}_s" for i in range(1, 6)]
    weeks = cli.json("report", "--athlete", "hal", "--as-of", "2026-11-08", "--weeks", "4")["weeks"]
    assert [w["week_start"] for w in weeks] == ["2026-10-19", "2026-10-26", "2026-11-02"]
    for w in weeks:
        got = [w[c] for c in columns]
        if w["week_start"] in by_hand:
            assert got == pytest.approx(by_hand[w["week_start"]], abs=0.05)
        else:  # only the strapless run
            assert got == [None] * 5
    unknown = cli.json("report", "--athlete", "ida", "--as-of", "2026-11-08", "--weeks", "4")
    assert all(w[c] is None for w in unknown["weeks"] for c in columns)
    rows = list(
        csv.DictReader(
            io.StringIO(
                cli("report", "-a", "hal", "--as-of", "2026-11-08", "--weeks", "4", "--csv").stdout
            )
        )
    )
    assert [[r[c] for c in columns] for r in rows] == [
        ["" if w[c] is None else str(w[c]) for c in columns] for w in weeks
    ]
    text = cli("report", "--athlete", "hal", "--as-of", "2026-11-08", "--weeks", "4").stdout
    for w in weeks:
        line = next(x for x in text.splitlines() if x.startswith(w["week_start"]))
        if w["week_start"] in by_hand:
            seconds = by_hand[w["week_start"]]
            pct = "/".join(f"{s / sum(seconds) * 100:.0f}" for s in seconds)
            assert line.split()[7] == pct
        else:
            assert line.split()[7] == "-"
    assert "Karvonen" in text and "never alerted on" in " ".join(text.split())
    page = tmp_path / "r.html"
    cli("report", "--athlete", "hal", "--as-of", "2026-11-08", "--html", str(page))
    assert "<th>down change</th><th>HR zones 1-5 %</th>" in page.read_text()
    # The web page's weeks table is the same report body: the zones' shares are there too.
    from .test_web import Server, _request

    server = Server(str(cli.db))
    try:
        status, body = _request(f"{server.base}/athletes/1")
    finally:
        server.stop()
    assert status == 200 and "<th>HR zones 1-5 %</th>" in body
    seconds = by_hand["2026-10-26"]
    assert "/".join(f"{s / sum(seconds) * 100:.0f}" for s in seconds) in body
