"""Miles (issue 19 §3): an athlete who reads miles sees miles in every place a person reads a
distance or a pace (CLI tables, report text, headroom, the email, the digest, the web page), the
global --units flag overrides it, JSON stays SI and names the display unit, and the setting is
stored on both backends. The expected figures are worked out here by hand from the metres."""

from __future__ import annotations

import csv
import io
import math
import re
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadwatch import rules
from loadwatch.analysis import analyse
from loadwatch.model import Athlete, Shoe
from loadwatch.units import distance_down, pace

from .conftest import CORPUS, Cli
from .test_check import ConfiguredCli, _wait_for, password, write_config  # noqa: F401
from .test_pain_rule import AS_OF, GREEN_RUN_M, RUNS
from .test_web import Server

MILE_M = 1609.344  # the international mile, by definition


def _mi(m: float, digits: int = 1) -> str:
    return f"{m / MILE_M:.{digits}f}"


def _mi_down(m: int) -> str:
    """An "up to" distance in miles, cut to the tenth below (never a promise above the metres)."""
    return f"{math.floor(m / MILE_M * 10) / 10:.1f}"


def _runner(cli: Cli) -> Cli:
    cli("athletes", "add", "ana", "--tz", "Europe/Berlin", "--units", "mi")
    for day, km in RUNS:
        cli("activities", "add", "-a", "ana", "--date", day, "--time", "07:00", "--km", str(km),
            "--minutes", str(km * 6))  # fmt: skip
    return cli


def test_the_setting_is_stored_and_edited_on_both_backends(cli: Cli) -> None:
    assert cli("athletes", "add", "ana", "--tz", "UTC", "--units", "mi").stdout == (
        "athlete ana (UTC, mi)\n"
    )
    assert [a["units"] for a in cli.json("athletes", "list")] == ["mi"]
    cli("athletes", "add", "ana", "--update", "--email", "ana@example.com")  # keeps the unit
    assert [a["units"] for a in cli.json("athletes", "list")] == ["mi"]
    cli("athletes", "edit", "ana", "--units", "km")
    assert [a["units"] for a in cli.json("athletes", "list")] == ["km"]
    bad = cli("athletes", "edit", "ana", "--units", "furlongs", code=2)
    assert "'furlongs' is not one of 'km', 'mi'" in bad.stderr


def test_an_athlete_in_miles_reads_miles_and_units_km_overrides(cli: Cli) -> None:
    _runner(cli)
    table = cli("activities", "-a", "ana").stdout.splitlines()
    assert table[0].split()[4] == "mi"  # id, local start, sport, then the distance column
    ten_km = next(line for line in table if "2026-09-28" in line)
    assert ten_km.split()[4] == _mi(10_000, 2)
    assert cli("--units", "km", "activities", "-a", "ana").stdout.splitlines()[1].split()[4] == (
        "10.00"
    )

    report = cli("report", "-a", "ana", "--as-of", AS_OF).stdout
    # Last 7 days (2-8 Nov): 9.1 + 6.0 km; the 7 before (26 Oct - 1 Nov): 10 + 8 km.
    assert f"last 7 days:  {_mi(15_100)} mi   the 7 before: {_mi(18_000)} mi" in report
    assert f"a run up to {_mi_down(GREEN_RUN_M)} mi today" in report
    assert " km" not in report.split("Headroom")[1].split("Run today")[0]
    km = cli("--units", "km", "report", "-a", "ana", "--as-of", AS_OF).stdout
    assert "last 7 days:  15.1 km   the 7 before: 18.0 km" in km

    head = cli("headroom", "-a", "ana", "--as-of", AS_OF).stdout
    assert f"a run up to {_mi_down(GREEN_RUN_M)} mi today stays within +10%" in head
    assert f"longest run in the last 30 days: {_mi(14_000)} mi" in head
    assert "a run up to 15.4 km today" in cli("--units", "km", "headroom", "-a", "ana",
                                                 "--as-of", AS_OF).stdout  # fmt: skip

    # JSON keeps its SI fields and says how its reader reads them.
    h = cli.json("headroom", "-a", "ana", "--as-of", AS_OF)
    assert (h["units"], h["run"]["max_run_m"], h["run"]["longest_m"]) == ("mi", GREEN_RUN_M, 14_000)
    assert f"a run up to {_mi_down(GREEN_RUN_M)} mi today" in " ".join(
        x["guidance"] for x in h["lines"]
    )  # the words in her unit
    assert cli.json("--units", "km", "headroom", "-a", "ana", "--as-of", AS_OF)["units"] == "km"
    doc = cli.json("report", "-a", "ana", "--as-of", AS_OF)
    assert doc["units"] == "mi"
    assert doc["days"][-1]["acute7_km"] == 15.1  # the field's own unit, as before


def test_the_programs_own_options_after_the_command(cli: Cli) -> None:
    """`loadwatch report --units km` was "no such option: --units": it reads as `loadwatch
    --units km report`, wherever it is typed; a command's own option of the same name (`athletes
    edit --units` sets the athlete's unit) stays the command's."""
    from click.testing import CliRunner

    from loadwatch.cli import main

    _runner(cli)
    before = cli("--units", "km", "report", "-a", "ana", "--as-of", AS_OF).stdout
    assert "15.1 km" in before
    assert cli("report", "-a", "ana", "--as-of", AS_OF, "--units", "km").stdout == before
    assert cli("report", "--units=km", "-a", "ana", "--as-of", AS_OF).stdout == before
    assert cli(
        "--units", "mi", "report", "-a", "ana", "--as-of", AS_OF, "--units", "km"
    ).stdout == (before)  # the last one typed, as for any option given twice
    cli("athletes", "edit", "ana", "--units", "km")  # the athlete's own setting, not the reader's
    assert [a["units"] for a in cli.json("athletes", "list")] == ["km"]
    # A program option between a group and its command leaves the command's own alone.
    cli("athletes", "--debug", "edit", "ana", "--email", "a@example.com", "--units", "mi")
    ((ana,),) = [cli.json("athletes", "list")]
    assert (ana["units"], ana["email"]) == ("mi", "a@example.com")
    # A command's option takes its value whatever it looks like; after `--`, nobody's option.
    (run, *_) = cli.json("activities", "-a", "ana")
    cli("activities", "exclude", str(run["id"]), "--reason", "--debug")
    (excluded,) = [r for r in cli.json("activities", "-a", "ana") if r["id"] == run["id"]]
    assert excluded["exclude_reason"] == "--debug"
    cli("activities", "include", str(run["id"]))
    words = cli("pain", "-a", "ana", "--", "--units", "km", code=2).stderr
    assert words.startswith("error: ") and "--units" in words  # pain's own words, refused
    assert cli.json("pain", "-a", "ana", "--list") == []
    # --db and --debug too.
    runner = CliRunner()
    listed = runner.invoke(main, ["athletes", "list", "--json", "--db", str(cli.db)])
    assert listed.exit_code == 0 and '"ana"' in listed.stdout
    quiet = runner.invoke(main, ["report", "-a", "nobody", "--db", str(cli.db)])
    loud = runner.invoke(main, ["report", "-a", "nobody", "--db", str(cli.db), "--debug"])
    assert quiet.exit_code == loud.exit_code != 0 and "nobody" in quiet.stderr
    assert "Traceback" not in quiet.stderr and "Traceback" in loud.stderr
    bad = cli("report", "-a", "ana", "--units", "MI", code=2).stderr
    assert bad == (
        "error: Invalid value for '--units': 'MI' is not one of 'km', 'mi'. (see: loadwatch --help)\n"
    )


def test_the_email_the_digest_and_the_web_page_in_miles(db_url, smtp, tmp_path: Path) -> None:
    """ana (the demo block: a spike on 25 Oct) reads miles; her coach reads km."""
    config = write_config(
        tmp_path,
        smtp.config(),
        '\n[[coaches]]\nname = "Carla"\nemail = "carla@example.com"\nathletes = ["ana"]\n'
        'digest = "daily"\nunits = "km"\n',
    )
    config.write_text(config.read_text().replace('tz = "Europe/Berlin"\n',
                                                  'tz = "Europe/Berlin"\nunits = "mi"\n', 1))  # fmt: skip
    cli = ConfiguredCli(db_url, config)
    cli("check", "--as-of", "2026-10-25")
    assert _wait_for(lambda: len(smtp.messages) >= 2)
    (mail,) = [m for m in smtp.messages if m["To"] == "ana@example.com"]
    spike = next(
        r
        for r in cli.json("report", "-a", "ana", "--as-of", "2026-10-25", "--all-days")["runs"]
        if r["date"] == "2026-10-25"
    )
    run_m, ref_m = spike["distance_km"] * 1000, spike["longest_prior_30d_km"] * 1000
    assert mail["Subject"].startswith(f"loadwatch: {_mi(run_m)} mi run, ")
    plain = " ".join(mail.get_body(("plain",)).get_content().split())
    assert f"Your {_mi(run_m)} mi run on Sun 25 Oct 2026" in plain
    assert f"your longest run in the previous 30 days ({_mi(ref_m)} mi)" in plain
    assert " km" not in plain.split("Source:")[0]
    html = mail.get_body(("html",)).get_content()
    assert f"{_mi(run_m)} mi run" in html and " mi today" in html

    (digest,) = [m for m in smtp.messages if m["To"] == "carla@example.com"]
    text = digest.get_body(("plain",)).get_content()
    assert "last 7 days " in text and " km, the 7 before " in text  # the coach's choice
    assert " mi, the 7 before" not in text

    s = Server(db_url, config=config)
    try:
        ids = {a["name"]: a["id"] for a in cli.json("athletes", "list")}
        with urllib.request.urlopen(f"{s.base}/athletes/{ids['ana']}?as_of=2026-10-25") as r:
            page = r.read().decode()
        with urllib.request.urlopen(f"{s.base}/?as_of=2026-10-25") as r:
            team = r.read().decode()
    finally:
        s.stop()
    assert "<th>mi</th><th>time</th><th>pace /mi</th>" in page
    assert f"{_mi(run_m, 2)}</td>" in page  # the run in the activities table
    assert f"{_mi(run_m)} mi, " in page  # the latest spike in the report part
    assert " mi today" in page  # the headroom
    assert " mi</td>" in team  # no coach chosen: each athlete in their own


# Whole-metre runs over up to 90 days: the alerts a rule writes are the same whatever unit the
# runner reads (only their words differ), and every "up to" shown is at most the metres allowed.
metres = st.lists(st.one_of(st.just(0), st.integers(500, 40_000)), min_size=35, max_size=90)


@settings(max_examples=60, deadline=None)
@given(metres)
def test_display_rounding_never_changes_a_verdict(runs: list[int]) -> None:
    runs = [5_000, *runs]  # a run on the first day starts the history
    start = date(2026, 1, 1)
    days = [start + timedelta(days=i) for i, m in enumerate(runs) if m]
    acts = pd.DataFrame(
        {
            "id": range(1, len(days) + 1),
            "sport": "running",
            "start_utc": pd.to_datetime([f"{d}T06:00Z" for d in days]),
            "distance_m": [float(m) for m in runs if m],
            "moving_s": 1800.0,
            "shoe_id": 1,
        }
    )
    shoes = [Shoe(1, 1, "Pegasus", start_m=700_000.0)]  # past its reminder: one alert at least
    as_of = start + timedelta(days=len(runs) - 1)
    found = {}
    for unit in ("km", "mi"):
        a = Athlete(1, "ana", None, "UTC", units=unit)
        alerts = rules.evaluate(analyse(a, acts, shoes, as_of), rules.RuleSettings())
        found[unit] = [(x.key, x.rule, x.day, x.numbers) for x in alerts]
        for x in alerts:
            assert (" mi" in x.title) == (unit == "mi") or x.rule == "acwr"
    assert found["km"] == found["mi"] and found["mi"]


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 200_000), st.sampled_from(["km", "mi"]))
def test_an_up_to_distance_never_shows_more_than_its_metres(m: int, unit: str) -> None:
    shown = float(distance_down(m, unit).split()[0])  # type: ignore[arg-type]
    per = 1000.0 if unit == "km" else MILE_M
    assert shown * per <= m + 1e-6
    assert m - shown * per < 0.1 * per + 1e-6


# -- the run page, totals and what a runner types, in miles (issue 19 §3, part 3) ------------

FIT = CORPUS / "fit" / "developer-types-sample.fit"


def _mi_runner(cli: Cli) -> dict:
    """ana reads miles; one real FIT run (about 6.75 km: four whole miles and a part)."""
    cli("athletes", "add", "ana", "--tz", "Europe/Berlin", "--units", "mi")
    cli("import", str(FIT), "--athlete", "ana")
    (run,) = cli.json("activities", "--athlete", "ana")
    return run


def _seconds(shown: str) -> int:
    m, s = shown.split(":")
    return int(m) * 60 + int(s)


def _hms(shown: str) -> int:
    h, m, s = shown.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def _cut(s_per_km: float, per_m: float) -> str:
    s = math.floor(round(s_per_km * per_m / 1000, 6))
    return f"{s // 60}:{s % 60:02d}"


def test_the_run_page_in_miles_splits_per_mile(cli: Cli) -> None:
    run = _mi_runner(cli)
    d = run["distance_m"]
    whole = math.floor(d / MILE_M)
    rest = d - whole * MILE_M
    assert whole == 4 and rest >= 100  # the file: four miles and a last part worth a split
    page = cli.json("activities", "show", str(run["id"]))
    assert page["units"] == "mi"
    assert page["distance_m"] == d  # SI as ever: the JSON's splits stay per km, named "km"
    assert [s["km"] for s in page["splits"]] == list(range(1, math.ceil(d / 1000) + 1))
    # The curves' JSON stays over kilometres, pace in min/km.
    assert page["curves"]["Pace"]["unit"] == "min/km"
    assert page["curves"]["Pace"]["km"][-1] <= d / 1000

    text = cli("activities", "show", str(run["id"])).stdout
    assert f"  distance          {d / MILE_M:.2f} mi" in text
    assert f"  pace              {_cut(run['avg_pace_s_per_km'], MILE_M)} /mi" in text
    lines = text.split("pauses included)\n")[1].splitlines()
    assert lines[0].split() == ["mi", "time", "pace", "/mi", "hr", "steps", "climb", "ft"]
    rows = [line.split() for line in lines[1:]]
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
    # The last part, in mi (the records end a metre or so short of the session's total).
    assert abs(float(rows[-1][1].strip("()")) - rest / MILE_M) <= 0.011
    times = [_hms(r[2] if r is rows[-1] else r[1]) for r in rows]
    assert sum(times) == pytest.approx(run["elapsed_s"], abs=len(rows))
    for r in rows[:-1]:
        # A whole mile's pace per mile is its clock time, both cut to the second as a lap
        # timer shows them (not time / 1.6, and not a rounded time beside a cut pace).
        assert _hms(r[1]) == _seconds(r[2]), r

    km = cli.json("--units", "km", "activities", "show", str(run["id"]))
    assert km["units"] == "km"
    assert len(km["splits"]) == math.ceil(d / 1000)
    assert "  km " in cli("--units", "km", "activities", "show", str(run["id"])).stdout


def test_the_run_page_and_its_edit_on_the_web_in_miles(cli: Cli) -> None:
    from .test_web import _csrf, _request

    run = _mi_runner(cli)
    s = Server(str(cli.db))
    try:
        status, page = _request(f"{s.base}/activities/{run['id']}")
        assert status == 200
        assert "<th>mi</th><th>time</th><th>pace /mi</th>" in page
        assert "Every mile of the file's records" in page
        assert page.count("<tr><td>") == 5  # five splits: four miles and a part
        assert f"<dd>{run['distance_m'] / MILE_M:.2f} mi" in page
        assert f"<dd>{_cut(run['avg_pace_s_per_km'], MILE_M)} /mi</dd>" in page
        assert "Pace (min/mi) over distance (mi)" in page
        assert "over distance (km)" not in page and "pace /km" not in page
        assert f'value="{run["distance_m"] / MILE_M:.2f}" aria-label="distance in mi"> mi' in page
        # The form's distance is typed in miles and stored as whole metres.
        form = {"csrf": _csrf(page), "distance": "5", "back": "run"}
        own = {"Origin": s.base}
        assert _request(f"{s.base}/activities/{run['id']}/distance", form, own)[0] == 303
    finally:
        s.stop()
    (after,) = cli.json("activities", "--athlete", "ana")
    assert after["distance_m"] == 8047  # 5 × 1,609.344 m


def test_typed_in_miles_whole_metres_once(cli: Cli) -> None:
    cli("athletes", "add", "ana", "--tz", "UTC", "--units", "mi")
    out = cli("activities", "add", "-a", "ana", "--date", "2026-11-01", "--mi", "5",
              "--minutes", "40").stdout  # fmt: skip
    (run,) = cli.json("activities", "--athlete", "ana")
    assert out == f"activity {run['id']}: 5 mi on 2026-11-01\n"
    assert run["distance_m"] == 8047  # round(5 × 1,609.344)
    both = cli("activities", "add", "-a", "ana", "--date", "2026-11-02", "--km", "8", "--mi", "5",
               "--minutes", "40", code=2)  # fmt: skip
    assert "give --km or --mi, not both" in both.stderr and "Traceback" not in both.output
    neither = cli("activities", "add", "-a", "ana", "--date", "2026-11-02", "--minutes", "40",
                  code=2)  # fmt: skip
    assert "give the distance: --km or --mi" in neither.stderr
    # "nan" passes every comparison a range makes: refused as not a number, in one line; and a
    # run of no distance or no time is no run.
    for flags, said in [
        (["--mi", "nan", "--minutes", "40"], "Invalid value for '--mi': 'nan' is not a number"),
        (["--km", "5", "--minutes", "nan"], "Invalid value for '--minutes': 'nan' is not a number"),
        (["--mi", "0", "--minutes", "40"], "Invalid value for '--mi': 0.0 is not in the range"),
        (["--km", "5", "--minutes", "0"], "Invalid value for '--minutes': 0.0 is not in the range"),
    ]:
        bad = cli("activities", "add", "-a", "ana", "--date", "2026-11-02", *flags, code=2)
        assert bad.stderr.startswith(f"error: {said}"), bad.stderr
        assert bad.stderr.endswith("(see: loadwatch activities add --help)\n")
        assert bad.stderr.count("\n") == 1 and bad.stdout == ""
    future = cli("activities", "add", "-a", "ana", "--date", "2999-01-01", "--km", "5",
                 "--minutes", "30", code=2).stderr  # fmt: skip
    assert future.startswith("error: 2999-01-01 is in the future (today is ")
    # A year typed wrong: a run pandas could not place (year 1), or 126 years of empty days.
    for slip in ("0001-01-02", "1900-01-02"):
        past = cli("activities", "add", "-a", "ana", "--date", slip, "--km", "5",
                   "--minutes", "30", code=2).stderr  # fmt: skip
        assert past == f"error: {slip} is before 1980-01-01: is the year right?\n", past
    assert len(cli.json("activities", "--athlete", "ana")) == 1  # nothing stored by any
    shoe = cli("shoes", "add", "Z", "-a", "ana", "--start-mi", "nan", code=2).stderr
    assert shoe == (
        "error: Invalid value for '--start-mi': 'nan' is not a number "
        "(see: loadwatch shoes add --help)\n"
    )
    top = cli("--units", "MI", "report", code=2).stderr
    assert top == (
        "error: Invalid value for '--units': 'MI' is not one of 'km', 'mi'. (see: loadwatch --help)\n"
    )

    edited = cli("activities", "edit", str(run["id"]), "--distance-mi", "6.2").stdout
    assert edited == f"activity {run['id']}: 6.2 mi\n"
    assert cli.json("activities", "--athlete", "ana")[0]["distance_m"] == 9978  # 6.2 × 1,609.344
    bad = cli("activities", "edit", str(run["id"]), "--distance-km", "10", "--distance-mi", "6",
              code=2)  # fmt: skip
    assert "give --distance-km or --distance-mi, not both" in bad.stderr
    assert cli.json("activities", "--athlete", "ana")[0]["distance_m"] == 9978

    cli("shoes", "add", "Ghost", "-a", "ana", "--start-mi", "100", "--warn-mi", "300",
        "--retire-mi", "350")  # fmt: skip
    (shoe,) = cli.json("shoes", "list", "-a", "ana")
    # 160,934 m already on it, then the 9,978 m run (no default shoe: not on it).
    assert (shoe["km"], shoe["warn_km"], shoe["retire_km"]) == (160.934, 482.803, 563.270)
    listed = cli("shoes", "list", "-a", "ana").stdout.splitlines()[1].split()
    assert listed[1] == f"{160_934 / MILE_M:.1f}"  # shown in her miles again: 100.0
    low = cli("shoes", "add", "X", "-a", "ana", "--warn-mi", "300", "--retire-km", "400", code=2)
    assert "--retire-km" in low.stderr and "must not be below --warn-mi" in low.stderr
    two = cli("shoes", "add", "X", "-a", "ana", "--start-km", "1", "--start-mi", "1", code=2)
    assert "give --start-km or --start-mi, not both" in two.stderr
    assert [s["name"] for s in cli.json("shoes", "list", "-a", "ana")] == ["Ghost"]


def test_totals_in_miles_on_the_cli_and_the_web(cli: Cli) -> None:
    _runner(cli)
    doc = cli.json("totals", "-a", "ana", "--by", "month", "--as-of", AS_OF)
    assert doc["units"] == "mi"
    nov = next(p for p in doc["periods"] if p["period"] == "2026-11")
    m = round(nov["distance_km"] * 1000)  # JSON keeps km, to the metre
    text = cli("totals", "-a", "ana", "--by", "month", "--as-of", AS_OF).stdout.splitlines()
    assert text[0].split()[:3] == ["month", "runs", "mi"]
    row = next(line.split() for line in text if line.startswith("2026-11 "))
    assert row[:3] == ["2026-11", str(nov["runs"]), _mi(m)]
    assert row[-1] == _mi(round(nov["longest_km"] * 1000))
    longest = doc["longest"][0]
    assert f"{_mi(round(longest['distance_km'] * 1000)):>6} mi  (activity {longest['id']})" in (
        "\n".join(text)
    )
    assert cli.json("--units", "km", "totals", "-a", "ana", "--as-of", AS_OF)["units"] == "km"
    km = cli("--units", "km", "totals", "-a", "ana", "--by", "month", "--as-of", AS_OF).stdout
    assert next(x for x in km.splitlines() if x.startswith("2026-11 ")).split()[2] == (
        f"{m / 1000:.1f}"
    )
    rows = list(csv.DictReader(io.StringIO(
        cli("totals", "-a", "ana", "--by", "month", "--as-of", AS_OF, "--csv").stdout
    )))  # fmt: skip
    csv_nov = next(r for r in rows if r["period"] == "2026-11")
    assert float(csv_nov["distance_km"]) == nov["distance_km"]
    assert float(csv_nov["distance_mi"]) == round(m / MILE_M, 3)
    plain = cli("--units", "km", "totals", "-a", "ana", "--as-of", AS_OF, "--csv").stdout
    assert "distance_mi" not in plain.splitlines()[0]

    ana = cli.json("athletes", "list")[0]["id"]
    s = Server(str(cli.db))
    try:
        url = f"{s.base}/athletes/{ana}/totals?by=month&as_of={AS_OF}"
        with urllib.request.urlopen(url) as r:
            page = r.read().decode()
    finally:
        s.stop()
    assert "<th>runs</th><th>mi</th>" in page and "longest mi" in page
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert f"2026-11 {nov['runs']} {_mi(m)} " in body
    assert f": {_mi(round(longest['distance_km'] * 1000))} mi" in body


def test_splits_per_mile_of_an_even_run_worked_by_hand() -> None:
    """10,000 m at 2.5 m/s, a record a second: six whole miles of 1,609.344 / 2.5 = 643.7376 s
    each (10:43 /mi cut; 6:40 /km) and a last part of 10,000 - 6 × 1,609.344 = 343.936 m in
    137.5744 s."""
    from loadwatch.load.runpage import splits
    from loadwatch.model import Track

    n = 4001
    t = [float(i) for i in range(n)]
    d: list[float | None] = [2.5 * i for i in range(n)]
    none: list[float | None] = [None] * n
    track = Track(t, d, none, none, none, none, none, "test records")
    miles = splits(track, MILE_M)
    assert [s.index for s in miles] == [1, 2, 3, 4, 5, 6, 7]
    assert [s.distance_m for s in miles] == [1609.3] * 6 + [343.9]
    assert [round(s.time_s, 1) for s in miles] == [643.7] * 6 + [137.6]
    assert {pace(s.pace_s_per_km, "mi") for s in miles} == {"10:43 /mi"}
    assert pace(miles[0].pace_s_per_km, "km") == "6:40 /km"
    assert [s.distance_m for s in splits(track)] == [1000.0] * 10  # per km: no part left


def test_a_whole_splits_time_and_pace_read_the_same() -> None:
    from loadwatch.render.tables import lap

    # 294.9 s over a kilometre: a lap timer shows 4:54, and so does its pace (both cut).
    assert (lap(294.9), pace(294.9, "km")) == ("0:04:54", "4:54 /km")
    # A mile of 483.0 s exactly (through seconds per km and back) stays 8:03, not 8:02.
    assert (lap(483.0), pace(483.0 / MILE_M * 1000, "mi")) == ("0:08:03", "8:03 /mi")
    assert lap(None) == "-"
