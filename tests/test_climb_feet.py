"""Climb in feet for a reader in miles: a US runner reads "up 135 ft" beside "9.9 mi", not "up
41 m", wherever a person reads a climb (a run's page in the terminal and on the web, its splits
and its elevation curve, the athlete page's activities, the report's weeks, totals as text, web
page and CSV); a reader in km still reads metres, and JSON keeps metres for both. The expected
figures are worked out here from the stored metres (1 ft = 0.3048 m exactly), on both backends."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime
from pathlib import Path

import pytest

from loadwatch.importers.track import read_track
from loadwatch.load.runpage import splits
from loadwatch.render.run import signed
from loadwatch.units import climb, climb_amount, climb_unit

from .conftest import SAMPLES, Cli
from .test_web import Server, _ids, _request

FT = 0.3048  # the international foot, by definition
MILE_M = 1609.344
AS_OF = "2026-11-08"


def _ft(m: float) -> str:
    return f"{m / FT:.0f}"


def test_climb_worked_by_hand() -> None:
    assert climb(120, "mi") == "394 ft"  # 393.70...
    assert climb(120, "km") == "120 m"
    assert climb(304.8, "mi") == "1000 ft"  # exactly, not 999.99...
    assert climb(41, "mi", suffix=False) == "135"  # 134.51...
    assert climb(None, "mi") == climb(float("nan"), "km") == "-"
    # A run's climb reads as its week's and its period's sum of it (held to the tenth): a run
    # of 125.45 m read 125 on its page and 126 in its week.
    assert climb(125.45, "km") == climb(125.5, "km") == "126 m"
    assert climb_amount(30.48, "mi") == pytest.approx(100.0)
    assert climb_amount(30.48, "km") == 30.48
    assert (climb_unit("mi"), climb_unit("km")) == ("ft", "m")
    # A split's net climb: whole units of the reader, "0" under half of one either way.
    assert (signed(0.15, "mi"), signed(0.16, "mi")) == ("0", "+1")  # 0.49 ft, 0.52 ft
    assert (signed(-3.0, "mi"), signed(-3.0, "km"), signed(0.4, "km")) == ("-10", "-3", "0")
    assert signed(None, "mi") == "-"


@pytest.fixture
def zoe(cli: Cli) -> Cli:
    """zoe reads miles; the demo block (FIT files with altitude) on either backend."""
    cli("athletes", "add", "zoe", "--tz", "Europe/Berlin", "--units", "mi")
    cli("import", str(SAMPLES / "demo-runner"), "--athlete", "zoe")
    return cli


def _hilly(cli: Cli) -> dict:
    """Her last run: 41 m up and 48 m down on the file's session."""
    run = cli.json("activities", "--athlete", "zoe")[-1]
    assert run["ascent_m"] and run["descent_m"] and _ft(run["ascent_m"]) != f"{run['ascent_m']:.0f}"
    return run


def _mile_climbs(run: dict) -> list[float | None]:
    start = datetime.fromisoformat(run["start_utc"].replace("Z", "+00:00"))
    track = read_track(run["source_path"], "", start, run["elapsed_s"])
    return [s.climb_m for s in splits(track, MILE_M)]


def test_a_run_in_the_terminal_in_feet_and_its_json_in_metres(zoe: Cli) -> None:
    run = _hilly(zoe)
    text = zoe("activities", "show", str(run["id"])).stdout
    up, down = _ft(run["ascent_m"]), _ft(run["descent_m"])
    assert f"  ascent / descent  {up} / {down} ft\n" in text
    lines = text.split("pauses included)\n")[1].splitlines()
    assert lines[0].split()[-2:] == ["climb", "ft"]
    climbs = _mile_climbs(run)
    assert len(lines) - 1 == len(climbs) == math.ceil(run["distance_m"] / MILE_M)
    assert [line.split()[-1] for line in lines[1:]] == [
        "0" if abs(m / FT) < 0.5 else f"{m / FT:+.0f}" for m in climbs if m is not None
    ]
    km = zoe("--units", "km", "activities", "show", str(run["id"])).stdout
    assert f"  ascent / descent  {run['ascent_m']:.0f} / {run['descent_m']:.0f} m\n" in km
    km_lines = km.split("pauses included)\n")[1].splitlines()
    assert km_lines[0].split()[-2:] == ["climb", "m"]
    doc = zoe.json("activities", "show", str(run["id"]))
    assert [line.split()[-1] for line in km_lines[1:]] == [
        signed(s["climb_m"]) for s in doc["splits"]
    ]
    # JSON: metres whatever the reader's unit, the elevation curve in m too.
    assert (doc["units"], doc["ascent_m"], doc["descent_m"]) == (
        "mi",
        run["ascent_m"],
        run["descent_m"],
    )
    assert doc["curves"]["Elevation"]["unit"] == "m"
    same = zoe.json("--units", "km", "activities", "show", str(run["id"]))
    for key in ("ascent_m", "descent_m", "splits", "curves"):  # (`against` has words in units)
        assert same[key] == doc[key], key


def _elevation_labels(page: str) -> tuple[str, list[str]]:
    (svg,) = [s for s in re.findall(r"<svg class=\"runchart\".*?</svg>", page) if "Elevation" in s]
    title = re.search(r'aria-label="([^"]+)"', svg)
    assert title
    return title.group(1), re.findall(r'text-anchor="end">([^<]+)</text>', svg)[:3]


def _ticks(values: list[float | None], scale: float) -> list[str]:
    known = [v / scale for v in values if v is not None]
    lo, hi = min(known), max(known)
    return [f"{lo + i * (hi - lo) / 2:.0f}" for i in range(3)]


def test_the_web_pages_in_feet_for_miles_and_in_metres_for_km(zoe: Cli) -> None:
    run = _hilly(zoe)
    doc = zoe.json("activities", "show", str(run["id"]))
    heights = doc["curves"]["Elevation"]["values"]
    totals = zoe.json("totals", "-a", "zoe", "--by", "month", "--as-of", AS_OF)
    nov = next(p for p in totals["periods"] if p["period"] == "2026-11")
    zoe_id = _ids(zoe)["zoe"]
    s = Server(str(zoe.db))
    try:

        def pages() -> tuple[str, str, str]:
            got = [
                _request(f"{s.base}/activities/{run['id']}"),
                _request(f"{s.base}/athletes/{zoe_id}?as_of={AS_OF}"),
                _request(f"{s.base}/athletes/{zoe_id}/totals?by=month&as_of={AS_OF}"),
            ]
            assert [status for status, _ in got] == [200, 200, 200]
            return got[0][1], got[1][1], got[2][1]

        run_page, athlete, totals_page = pages()
        zoe("athletes", "edit", "zoe", "--units", "km")
        km_run, km_athlete, km_totals = pages()
    finally:
        s.stop()

    up, down = _ft(run["ascent_m"]), _ft(run["descent_m"])
    # The run's page: its totals, its splits per mile, its elevation curve's axis.
    assert f"<dd>{up} / {down} ft</dd>" in run_page
    assert "<th>climb ft</th>" in run_page and "climb m<" not in run_page
    cells = re.findall(r"<td>([^<]*)</td></tr>", run_page.split('id="splits"')[1])
    assert cells == [signed(m, "mi") for m in _mile_climbs(run)]
    title, labels = _elevation_labels(run_page)
    assert title == "Elevation (ft) over distance (mi)"
    assert labels == _ticks(heights, FT)
    assert f"<dd>{run['ascent_m']:.0f} / {run['descent_m']:.0f} m</dd>" in km_run
    assert "<th>climb m</th>" in km_run
    assert _elevation_labels(km_run) == ("Elevation (m) over distance (km)", _ticks(heights, 1.0))

    # The athlete page: its activities table and its report's weeks.
    assert "<th>up / down ft</th>" in athlete
    assert f'<td class="climb">{up} / {down}</td>' in athlete
    assert "<th>up ft</th><th>down ft</th>" in athlete and "<th>up m</th>" not in athlete
    assert "<th>up / down m</th>" in km_athlete
    assert f'<td class="climb">{run["ascent_m"]:.0f} / {run["descent_m"]:.0f}</td>' in km_athlete
    assert "<th>up m</th><th>down m</th>" in km_athlete

    # Totals: the heads name the unit, the sums are the metres in feet.
    assert totals_page.count("<th>up ft</th><th>down ft</th>") == 2
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", totals_page))
    assert f" {_ft(nov['ascent_m'])} {_ft(nov['descent_m'])} " in body
    assert km_totals.count("<th>up m</th><th>down m</th>") == 2
    km_body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", km_totals))
    assert f" {nov['ascent_m']:.0f} {nov['descent_m']:.0f} " in km_body


def test_the_reports_weeks_in_feet_text_and_html(zoe: Cli, tmp_path: Path) -> None:
    doc = zoe.json("report", "-a", "zoe", "--as-of", AS_OF)
    last = doc["weeks"][-1]
    assert last["ascent_m"] and last["descent_m"]
    text = zoe("report", "-a", "zoe", "--as-of", AS_OF).stdout.splitlines()
    head = next(line for line in text if line.startswith("week (Mon)"))
    assert head.split()[2:9] == ["mi", "change", "longest", "up", "ft", "down", "ft"]
    row = next(line for line in text if line.startswith(last["week_start"]))
    assert row.split()[4:6] == [_ft(last["ascent_m"]), _ft(last["descent_m"])]
    km = zoe("--units", "km", "report", "-a", "zoe", "--as-of", AS_OF).stdout.splitlines()
    assert next(line for line in km if line.startswith("week (Mon)")).split()[5:9] == [
        "up", "m", "down", "m",
    ]  # fmt: skip
    km_row = next(line for line in km if line.startswith(last["week_start"]))
    assert km_row.split()[4:6] == [f"{last['ascent_m']:.0f}", f"{last['descent_m']:.0f}"]

    page = tmp_path / "r.html"
    zoe("report", "-a", "zoe", "--as-of", AS_OF, "--html", str(page))
    html = page.read_text()
    assert "<th>up ft</th><th>down ft</th><th>down change</th>" in html
    assert f"<td>{_ft(last['ascent_m'])}</td><td>{_ft(last['descent_m'])}</td>" in html
    # JSON and CSV: the same metres for either reader.
    km_doc = zoe.json("--units", "km", "report", "-a", "zoe", "--as-of", AS_OF)
    assert km_doc["weeks"] == doc["weeks"]
    rows = list(
        csv.DictReader(io.StringIO(zoe("report", "-a", "zoe", "--as-of", AS_OF, "--csv").stdout))
    )
    assert "ascent_m" in rows[0] and not any(k.endswith("_ft") for k in rows[0])


def test_totals_text_and_csv_in_feet_json_in_metres(zoe: Cli) -> None:
    # A typed-in run alone in its month: no altitude, so no climb (a dash, an empty cell).
    zoe("activities", "add", "-a", "zoe", "--date", "2026-07-15", "--km", "5", "--minutes", "30")
    doc = zoe.json("totals", "-a", "zoe", "--by", "month", "--as-of", AS_OF)
    nov = next(p for p in doc["periods"] if p["period"] == "2026-11")
    text = zoe("totals", "-a", "zoe", "--by", "month", "--as-of", AS_OF).stdout.splitlines()
    assert text[0].split() == ["month", "runs", "mi", "moving", "up", "ft", "down", "ft", "longest"]
    row = next(line.split() for line in text if line.startswith("2026-11 "))
    assert row[4:6] == [_ft(nov["ascent_m"]), _ft(nov["descent_m"])]
    ytd = next(line.split() for line in text if line.startswith("2026 to date"))
    assert ytd[6:8] == [_ft(doc["year_to_date"]["ascent_m"]), _ft(doc["year_to_date"]["descent_m"])]
    km = zoe("--units", "km", "totals", "-a", "zoe", "--by", "month", "--as-of", AS_OF).stdout
    assert km.splitlines()[0].split()[4:8] == ["up", "m", "down", "m"]
    km_row = next(line.split() for line in km.splitlines() if line.startswith("2026-11 "))
    assert km_row[4:6] == [f"{nov['ascent_m']:.0f}", f"{nov['descent_m']:.0f}"]

    def csv_rows(*units: str) -> list[dict[str, str]]:
        out = zoe(*units, "totals", "-a", "zoe", "--by", "month", "--as-of", AS_OF, "--csv")
        return list(csv.DictReader(io.StringIO(out.stdout)))

    mi = next(r for r in csv_rows() if r["period"] == "2026-11")
    assert float(mi["ascent_m"]) == nov["ascent_m"]  # the metres kept beside the feet
    assert float(mi["ascent_ft"]) == round(nov["ascent_m"] / FT, 1)
    assert float(mi["descent_ft"]) == round(nov["descent_m"] / FT, 1)
    july = next(r for r in csv_rows() if r["period"] == "2026-07")
    assert (july["runs"], july["ascent_ft"], july["ascent_m"]) == ("1", "", "")  # not 0 ft
    assert next(line.split() for line in text if line.startswith("2026-07 "))[4:6] == ["-", "-"]
    plain = csv_rows("--units", "km")
    assert "ascent_ft" not in plain[0] and "descent_ft" not in plain[0]
    km_doc = zoe.json("--units", "km", "totals", "-a", "zoe", "--by", "month", "--as-of", AS_OF)
    assert (doc.pop("units"), km_doc.pop("units")) == ("mi", "km")
    assert doc == km_doc
