"""A run abroad counts on the day where it was run, when its file records the local time.

Real files through the real command on both backends: FIT files written with fit-tool (the
activity message's `local_timestamp`) and the hand-written GPX and TCX in tests/data/travel
(times with an offset). A Denver runner's 06:30 in Berlin is a Berlin morning, not the Denver
evening before; a London runner's runs in Auckland and Honolulu land on those places' dates,
across the date line; a file without local time keeps the athlete's zone.
"""

from __future__ import annotations

import shutil
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadwatch.importers.localtime import text_offset_s
from loadwatch.synth import SyntheticRun, write_run

from .conftest import DATA, Cli
from .test_web import Server

TRAVEL = DATA / "travel"


def _fit(folder: Path, name: str, start_utc: datetime, km: float, offset_s: int | None) -> Path:
    run = SyntheticRun(start_utc, km * 1000.0, utc_offset_s=offset_s, record_interval_s=10)
    return write_run(run, folder / name)


def _by_km(cli: Cli, athlete: str) -> dict[float, dict]:
    return {
        round(a["distance_m"] / 1000, 1): a for a in cli.json("activities", "--athlete", athlete)
    }


def _run_days(cli: Cli, athlete: str, as_of: str) -> dict[str, float]:
    """The report's days with running on them, and their km."""
    doc = cli.json("report", "--athlete", athlete, "--as-of", as_of)
    return {d["date"]: d["distance_km"] for d in doc["days"] if d["distance_km"]}


def _km(runs: dict[float, dict], km: float) -> float:
    return pytest.approx(runs[km]["distance_m"] / 1000, abs=1e-3)


@pytest.fixture
def dan(cli: Cli) -> Cli:
    cli("athletes", "add", "dan", "--tz", "America/Denver")
    return cli


@pytest.fixture
def lea(cli: Cli) -> Cli:
    cli("athletes", "add", "lea", "--tz", "Europe/London")
    return cli


def test_a_denver_runners_morning_in_berlin_is_on_the_berlin_date(dan: Cli, tmp_path) -> None:
    inbox = tmp_path / "berlin"
    inbox.mkdir()
    shutil.copy(TRAVEL / "berlin-0630.gpx", inbox)  # Sun 8 Nov 06:30 +01:00 (05:30 UTC), 3.0 km
    # Mon 9 Nov 06:30 in Berlin: 05:30 UTC, 22:30 on Sunday in Denver; 5 km.
    _fit(inbox, "berlin.fit", datetime(2026, 11, 9, 5, 30, tzinfo=UTC), 5.0, 3600)
    dan("import", "--athlete", "dan", str(inbox))

    runs = _by_km(dan, "dan")
    # The first day is Berlin's Sunday: nothing on Denver's Saturday the 7th.
    assert _run_days(dan, "dan", "2026-11-09") == {
        "2026-11-08": _km(runs, 3.0),
        "2026-11-09": _km(runs, 5.0),
    }
    assert runs[5.0]["start_utc"] == "2026-11-09T05:30:00Z"  # stored in UTC, as always
    assert (runs[3.0]["utc_offset_s"], runs[5.0]["utc_offset_s"]) == (3600, 3600)
    assert (runs[3.0]["day"], runs[3.0]["local_start"]) == (
        "2026-11-08",
        "2026-11-08T06:30:00+01:00",
    )
    assert (runs[5.0]["day"], runs[5.0]["local_start"]) == (
        "2026-11-09",
        "2026-11-09T06:30:00+01:00",
    )
    listing = dan("activities", "--athlete", "dan").stdout
    assert "2026-11-08 06:30" in listing and "(local time UTC+01:00)" in listing


def test_a_trip_across_the_date_line_keeps_the_files_dates(lea: Cli, tmp_path) -> None:
    inbox = tmp_path / "trip"
    inbox.mkdir()
    # Mon 9 Nov 07:00 in Auckland (+13:00) is Sun 8 Nov 18:00 in London: 6 km, TCX.
    shutil.copy(TRAVEL / "auckland-0700.tcx", inbox)
    # Sun 8 Nov 18:00 in Honolulu (-10:00) is Mon 9 Nov 04:00 in London: 4.0 km, GPX.
    shutil.copy(TRAVEL / "honolulu-1800.gpx", inbox)
    # The same again as FIT: Wed 11 Nov 07:00 in Auckland, Thu 12 Nov 18:00 in Honolulu.
    _fit(inbox, "auckland.fit", datetime(2026, 11, 10, 18, 0, tzinfo=UTC), 8.0, 13 * 3600)
    _fit(inbox, "honolulu.fit", datetime(2026, 11, 13, 4, 0, tzinfo=UTC), 7.0, -10 * 3600)
    lea("import", "--athlete", "lea", str(inbox))

    runs = _by_km(lea, "lea")
    assert _run_days(lea, "lea", "2026-11-13") == {
        "2026-11-08": _km(runs, 4.0),
        "2026-11-09": _km(runs, 6.0),
        "2026-11-11": _km(runs, 8.0),
        "2026-11-12": _km(runs, 7.0),
    }
    assert {km: r["local_start"] for km, r in runs.items()} == {
        6.0: "2026-11-09T07:00:00+13:00",
        4.0: "2026-11-08T18:00:00-10:00",
        8.0: "2026-11-11T07:00:00+13:00",
        7.0: "2026-11-12T18:00:00-10:00",
    }
    # Honolulu's Sunday closes the week of 2 Nov; Auckland's Monday opens the next.
    doc = lea.json("report", "--athlete", "lea", "--as-of", "2026-11-13")
    weeks = {w["week_start"]: w["distance_km"] for w in doc["weeks"]}
    assert weeks == {"2026-11-02": _km(runs, 4.0), "2026-11-09": pytest.approx(21.0, abs=1e-3)}


def test_a_file_without_local_time_keeps_the_athletes_zone(dan: Cli, tmp_path) -> None:
    inbox = tmp_path / "plain"
    inbox.mkdir()
    shutil.copy(TRAVEL / "utc-only.gpx", inbox)  # 2026-11-10T05:30:00Z, 2.4 km: "Z" is UTC
    shutil.copy(TRAVEL / "odd-offset.gpx", inbox)  # 06:30+01:07 on 12 Nov, 1.8 km: no clock's
    # No local_timestamp; and one 7 minutes off a whole quarter hour (a device's bug).
    _fit(inbox, "no-local.fit", datetime(2026, 11, 14, 5, 30, tzinfo=UTC), 5.0, None)
    _fit(inbox, "odd.fit", datetime(2026, 11, 16, 5, 30, tzinfo=UTC), 6.0, 3600 + 420)
    dan("import", "--athlete", "dan", str(inbox))

    runs = _by_km(dan, "dan")
    assert {km: (r["local_start"], r["utc_offset_s"]) for km, r in runs.items()} == {
        2.4: ("2026-11-09T22:30:00-07:00", None),
        1.8: ("2026-11-11T22:23:00-07:00", None),
        5.0: ("2026-11-13T22:30:00-07:00", None),
        6.0: ("2026-11-15T22:30:00-07:00", None),
    }
    assert _run_days(dan, "dan", "2026-11-16") == {
        "2026-11-09": _km(runs, 2.4),
        "2026-11-11": _km(runs, 1.8),
        "2026-11-13": _km(runs, 5.0),
        "2026-11-15": _km(runs, 6.0),
    }
    assert "local time" not in dan("activities", "--athlete", "dan").stdout


def test_a_manual_entry_is_on_the_day_typed_in_the_athletes_zone(dan: Cli) -> None:
    dan("activities", "add", "--athlete", "dan", "--date", "2026-11-08", "--time", "22:30",
        "--km", "5", "--minutes", "30")  # fmt: skip
    (run,) = dan.json("activities", "--athlete", "dan")
    assert (run["start_utc"], run["local_start"], run["day"]) == (
        "2026-11-09T05:30:00Z",
        "2026-11-08T22:30:00-07:00",
        "2026-11-08",
    )
    assert _run_days(dan, "dan", "2026-11-09") == {"2026-11-08": 5.0}


def test_the_athlete_page_shows_the_runs_own_local_time(sqlite_cli: Cli) -> None:
    sqlite_cli("athletes", "add", "dan", "--tz", "America/Denver")
    sqlite_cli("import", "--athlete", "dan", str(TRAVEL / "berlin-0630.gpx"))
    server = Server(str(sqlite_cli.db))
    try:
        with urllib.request.urlopen(f"{server.base}/athletes/1?as_of=2026-11-08") as page:
            html = page.read().decode()
    finally:
        server.stop()
    assert "2026-11-08 06:30</a> <span" in html and "(UTC+01:00)" in html
    assert "2026-11-07 22:30" not in html


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2026-11-08T06:30:00+01:00", 3600),
        ("2026-11-08T06:30:00+05:45", 20_700),  # Nepal
        ("2026-11-09T07:00:00+13:00", 46_800),
        ("2026-11-09T07:00:00+14:00", 50_400),  # Kiribati, the furthest ahead
        ("2026-11-08T18:00:00-10:00", -36_000),
        ("2026-11-08T06:30:00+00:00", 0),  # London in winter: a local time
        ("2026-11-08T06:30:00Z", None),  # UTC: no local time
        ("2026-11-08T06:30:00-00:00", None),  # RFC 3339: local offset unknown
        ("2026-11-08T06:30:00", None),
        ("2026-11-08T06:30:00+01:07", None),
        ("2026-11-08T06:30:00+14:15", None),
        ("not a time", None),
    ],
)
def test_offsets_written_on_times(text: str, offset: int | None) -> None:
    assert text_offset_s(text) == offset
