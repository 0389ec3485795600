"""`loadwatch totals` and the web's totals page (issue 18): the log added up by week, month and
year, the year to date and the longest runs, from the counted runs only, on both backends."""

from __future__ import annotations

import csv
import io
import re
import urllib.request
from datetime import date, timedelta

import pytest

from .conftest import SAMPLES, Cli
from .test_web import Server, _ids

AS_OF = "2026-11-08"


@pytest.fixture
def log(cli: Cli) -> Cli:
    """zoe's demo block, a typed-in run, an excluded run and a ride (the last two not counted)."""
    cli("athletes", "add", "zoe", "--tz", "Europe/Berlin")
    cli("import", str(SAMPLES / "demo-runner"), "--athlete", "zoe")
    cli("activities", "add", "-a", "zoe", "--date", "2026-11-04", "--km", "7", "--minutes", "40")
    cli("activities", "add", "-a", "zoe", "--date", "2025-11-02", "--km", "5", "--minutes", "30")
    rows = cli.json("activities", "--athlete", "zoe")
    excluded = next(r for r in rows if r["day"] == "2026-10-18")
    cli("activities", "exclude", str(excluded["id"]), "--reason", "watch left running")
    ride = next(r for r in rows if r["day"] == "2026-10-13")
    cli("activities", "edit", str(ride["id"]), "--sport", "cycling")
    return cli


def _counted(cli: Cli) -> list[dict]:
    return [
        r
        for r in cli.json("activities", "--athlete", "zoe")
        if not r["excluded"] and r["sport"] == "running" and r["day"] <= AS_OF
    ]


def _monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


@pytest.mark.parametrize("by", ["week", "month", "year"])
def test_totals_add_up_the_counted_runs(log: Cli, by: str) -> None:
    runs = _counted(log)
    key = {"week": lambda d: _monday(d), "month": lambda d: d[:7], "year": lambda d: d[:4]}[by]
    doc = log.json("totals", "--athlete", "zoe", "--by", by, "--as-of", AS_OF)
    periods = {p["period"]: p for p in doc["periods"]}
    expected: dict[str, list[dict]] = {}
    for r in runs:
        expected.setdefault(key(r["day"]), []).append(r)
    assert {p for p, v in periods.items() if v["runs"]} == set(expected)
    for period, mine in expected.items():
        p = periods[period]
        assert p["runs"] == len(mine)
        assert p["distance_km"] == pytest.approx(sum(r["distance_m"] for r in mine) / 1000)
        assert p["moving_s"] == pytest.approx(sum(r["moving_s"] for r in mine))
        assert p["longest_km"] == pytest.approx(max(r["distance_m"] for r in mine) / 1000)
        climbs = [r["descent_m"] for r in mine if r["descent_m"] is not None]
        assert p["descent_m"] == (pytest.approx(sum(climbs)) if climbs else None)
    # Every period from the first run's to as_of's: the empty ones too.
    assert doc["periods"][0]["period"] == min(expected) and doc["periods"][-1]["end"] == AS_OF
    assert len(doc["periods"]) == len({key(d) for d in _days(min(r["day"] for r in runs))})
    ytd = [r for r in runs if r["day"] >= "2026-01-01"]
    assert doc["year_to_date"]["runs"] == len(ytd)
    assert doc["year_to_date"]["distance_km"] == pytest.approx(
        sum(r["distance_m"] for r in ytd) / 1000
    )
    last = [r for r in runs if "2025-01-01" <= r["day"] <= "2025-11-08"]
    assert doc["last_year_to_date"]["runs"] == len(last) == 1
    longest = sorted(runs, key=lambda r: (-r["distance_m"], r["day"]))[:5]
    assert [x["id"] for x in doc["longest"]] == [r["id"] for r in longest]
    rows = list(
        csv.DictReader(
            io.StringIO(log("totals", "-a", "zoe", "--by", by, "--as-of", AS_OF, "--csv").stdout)
        )
    )
    assert [r["period"] for r in rows] == [p["period"] for p in doc["periods"]]


def _days(first: str) -> list[str]:
    d, end, out = date.fromisoformat(first), date.fromisoformat(AS_OF), []
    while d <= end:
        out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def test_totals_text_folds_a_long_break_and_lists_the_longest(log: Cli) -> None:
    text = log("totals", "--athlete", "zoe", "--by", "month", "--as-of", AS_OF).stdout
    assert "2025-12 to 2026-08: no runs (9 months)" in text
    longest = log.json("totals", "--athlete", "zoe", "--as-of", AS_OF)["longest"][0]
    assert (
        f"{longest['day']}    {longest['distance_km']:.1f} km  (activity {longest['id']})" in text
    )
    assert "2026 to date" in text and "2025 to 8 Nov" in text
    bad = log("totals", "--athlete", "zoe", "--by", "decade", code=2)
    assert "decade" in bad.stderr and "Traceback" not in bad.output


def test_the_totals_page_shows_the_same_numbers(log: Cli) -> None:
    doc = log.json("totals", "--athlete", "zoe", "--by", "month", "--as-of", AS_OF)
    server = Server(str(log.db))
    try:
        url = f"{server.base}/athletes/{_ids(log)['zoe']}/totals?by=month&as_of={AS_OF}"
        with urllib.request.urlopen(url) as r:
            page = r.read().decode()
    finally:
        server.stop()
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    newest = doc["periods"][-1]
    assert f"{newest['period']} {newest['runs']} {newest['distance_km']:.1f}" in body
    ytd = doc["year_to_date"]
    assert f"2026 to date {ytd['runs']} {ytd['distance_km']:.1f}" in body
    for x in doc["longest"]:
        assert f'href="/activities/{x["id"]}"' in page
