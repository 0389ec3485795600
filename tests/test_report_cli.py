"""Report and shoes through the real command, on the demo runner's FIT files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loadwatch.synth import SyntheticRun, write_run

from .conftest import LAYOUT_PROBE, SAMPLES


@pytest.fixture
def demo(ana, tmp_path: Path):
    ana("shoes", "add", "Pegasus 40", "--start-km", "300", "--default")
    ana("shoes", "add", "Speedgoat 5", "--default-for", "trail")
    ana("import", str(SAMPLES / "demo-runner"))
    return ana


def test_report_json_document(demo) -> None:
    doc = demo.json("report", "--as-of", "2026-11-08")
    assert (
        doc["athlete"] == "ana" and doc["as_of"] == "2026-11-08" and doc["load_basis"] == "distance"
    )
    days = doc["days"]
    assert days[0]["date"] == "2026-09-01" and days[-1]["date"] == "2026-11-08"
    assert len(days) == 69  # every local day, rest days included
    assert set(days[0]) >= {
        "date",
        "distance_km",
        "acute7_km",
        "chronic28_km",
        "acwr_rolling_coupled",
        "acwr_rolling_uncoupled",
        "acwr_ewma",
        "week_over_week_pct",
        "ctl",
        "atl",
        "tsb",
        "monotony",
    }
    assert all(d["acwr_rolling_coupled"] is None for d in days[:27])
    today = days[-1]
    # The last 28 days are the weeks of 12 Oct to 2 Nov: 41 + 51 + 32 + 48 = 172 km.
    assert today["acute7_km"] == 48.0 and today["chronic28_km"] == 43.0
    assert today["acwr_rolling_coupled"] == pytest.approx(
        today["acute7_km"] / today["chronic28_km"]
    )
    assert today["week_over_week_pct"] == pytest.approx(50.0)
    weeks = {w["week_start"]: w["distance_km"] for w in doc["weeks"]}
    assert weeks["2026-10-19"] == 51.0 and weeks["2026-11-02"] == 48.0
    long_run = next(r for r in doc["runs"] if r["date"] == "2026-10-25")
    assert long_run == {
        **long_run,
        "distance_km": 24.0,
        "longest_prior_30d_km": 15.0,
        "spike_band": "moderate",
        "full_30d_history": True,
    }
    assert long_run["spike_pct"] == pytest.approx(60.0)
    assert doc["runs"][0]["spike_band"] is None and doc["runs"][0]["full_30d_history"] is False
    shoes = {s["name"]: s for s in doc["shoes"]}
    trail_km = 8.0
    road = sum(r["distance_km"] for r in doc["runs"]) - trail_km
    assert shoes["Pegasus 40"]["km"] == pytest.approx(300 + road)
    assert shoes["Speedgoat 5"]["km"] == pytest.approx(trail_km)


def test_terminal_report_names_variants_and_sources(demo) -> None:
    out = demo("report", "--as-of", "2026-11-08").stdout
    flat = " ".join(out.split())
    assert "acute:chronic 7:28 rolling, coupled:   1.12" in out
    assert "not validated for runners" in flat
    assert (
        "2026-10-25: 24.0 km, +60% over the longest run of the previous 30 days (15.0 km): moderate"
        in out
    )
    assert "not a prediction for you" in flat
    assert re.search(r"Pegasus 40\s+670\.0\s+640\s+800\s+\d+  past reminder distance", out)


def test_ratios_withheld_before_28_days(demo) -> None:
    out = demo("report", "--as-of", "2026-09-20").stdout
    assert "acute:chronic ratios: from 28 days of history (20 so far)\n" in out
    doc = demo.json("report", "--as-of", "2026-09-20")
    assert all(d["acwr_rolling_coupled"] is None and d["acwr_ewma"] is None for d in doc["days"])


def test_a_break_is_named_as_a_break_not_as_missing_history(demo, tmp_path: Path) -> None:
    """Ten weeks of runs, then none for 42 days: the ratio is missing because of the break, as the
    team page and the digest say, not for want of 28 days of history."""
    out = demo("report", "--as-of", "2026-12-20").stdout
    assert "acute:chronic ratios: no run in 28 days\n" in out
    assert "28 days of history" not in out
    page = tmp_path / "r.html"
    demo("report", "--as-of", "2026-12-20", "--html", str(page))
    assert "<dd>no run in 28 days</dd>" in page.read_text()


def test_html_report_is_self_contained(demo, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    demo("report", "--as-of", "2026-11-08", "--html", str(page))
    html = page.read_text()
    # Five charts inline as SVG (weeks, runs, acute/chronic, ratio, shoes) and the easy runs'
    # step-rate trend line; nothing fetched.
    assert html.count("<svg") == 6 and html.count('<svg class="spark"') == 1
    assert "<img" not in html
    assert not re.search(r"""(src|href)=["']https?:""", html)
    assert "<script" not in html and "<link" not in html
    assert "7:28 rolling, coupled" in html and "Frandsen" in html
    # The same report is the same bytes: no drawing date in the charts (the dashboard's charts
    # carry an ETag of their bytes, kept by browsers across a restart).
    assert "dc:date" not in html
    demo("report", "--as-of", "2026-11-08", "--html", str(tmp_path / "again.html"))
    assert (tmp_path / "again.html").read_text() == html


def test_charts_drawn_in_threads_at_once_are_the_same_bytes(demo) -> None:
    """The web server draws an athlete page's charts in several threads at once: a setting put
    around each drawing was changed under another's, and 1 chart in 40 came out different (its
    text as paths), kept as that chart until the runner's data changed."""
    import threading
    from datetime import date

    import loadwatch.rules  # noqa: F401 (registers the rules the settings read)
    from loadwatch.app import App
    from loadwatch.config import parse
    from loadwatch.render.report import chart_names, chart_svg
    from loadwatch.store import open_store

    with open_store(demo.db) as store:
        app = App(store, parse(""))
        view = app.report(app.athlete("ana"), date(2026, 11, 8), weeks=12)
    names = chart_names(view)
    assert names == ("weekly", "spikes", "load", "ratio", "shoes")
    alone = {name: chart_svg(view, name) for name in names}
    drawn: list[tuple[str, bytes]] = []

    def draw() -> None:
        for _ in range(3):
            for name in names:
                drawn.append((name, chart_svg(view, name)))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(drawn) == 60
    assert [name for name, svg in drawn if svg != alone[name]] == []
    assert all(b"<text" in svg for svg in alone.values())  # text kept as text


def test_late_evening_run_counts_on_its_local_day(ana, tmp_path: Path) -> None:
    """23:30 in Berlin on a Thursday is 22:30 UTC: still Thursday; the week is Berlin's week."""
    start = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)  # Thu 23:30 CET
    write_run(
        SyntheticRun(start, 5000.0, utc_offset_s=3600, record_interval_s=10), tmp_path / "late.fit"
    )
    sunday_night = datetime(2026, 1, 18, 23, 15, tzinfo=UTC)  # Mon 00:15 CET: next week
    write_run(
        SyntheticRun(sunday_night, 7000.0, utc_offset_s=3600, seed=1, record_interval_s=10),
        tmp_path / "midnight.fit",
    )
    ana("import", str(tmp_path))
    doc = ana.json("report", "--as-of", "2026-01-19")
    loads = {d["date"]: d["distance_km"] for d in doc["days"]}
    assert loads["2026-01-15"] == 5.0 and loads["2026-01-19"] == 7.0 and loads["2026-01-18"] == 0.0
    assert [(w["week_start"], w["distance_km"]) for w in doc["weeks"]] == [
        ("2026-01-12", 5.0),
        ("2026-01-19", 7.0),
    ]


def test_shoes_commands(ana, tmp_path: Path) -> None:
    inbox = tmp_path / "runs"
    shutil.copytree(SAMPLES / "demo-runner", inbox)
    ana("shoes", "add", "Old", "--start-km", "600", "--warn-km", "640", "--retire-km", "700")
    ana("import", str(inbox))
    listed = {s["name"]: s for s in ana.json("shoes", "list")}
    assert (
        listed["Old"]["km"] == 600.0 and listed["Old"]["runs"] == 0
    )  # no default: nothing assigned
    acts = ana.json("activities")
    first_run = next(a for a in acts if a["sport"] == "running")
    ana("shoes", "assign", str(first_run["id"]), "Old")
    assert ana.json("shoes", "list")[0]["km"] == pytest.approx(600 + first_run["distance_m"] / 1000)
    out = ana("shoes", "assign", "Old", "--from", "2026-09-01", "--to", "2026-09-13").stdout
    assert out == "8 runs -> Old\n"
    shoe = ana.json("shoes", "list")[0]
    assert (
        shoe["runs"] == 8 and shoe["km"] == pytest.approx(600 + 32 + 34) and shoe["level"] == "warn"
    )
    ana("shoes", "retire", "Old")
    assert ana.json("shoes", "list")[0]["retired"] is True
    missing = ana("shoes", "assign", "1", "Nope", code=2)
    assert missing.stderr == "error: no shoe named 'Nope' (known: Old)\n"
    bad = ana("shoes", "add", "X", "--warn-km", "700", "--retire-km", "600", code=2)
    assert "must not be below --warn-km" in bad.stderr


def test_trimp_basis_needs_heart_rate_profile(demo) -> None:
    result = demo("report", "--as-of", "2026-11-08", "--basis", "trimp", code=2)
    assert "resting and maximum heart rate" in result.stderr
    demo(
        "athletes",
        "add",
        "ana",
        "--update",
        "--tz",
        "Europe/Berlin",
        "--resting-hr",
        "50",
        "--max-hr",
        "190",
    )
    # Banister's weighting differs for women and men: no silent default.
    no_sex = demo("report", "--as-of", "2026-11-08", "--basis", "trimp", code=2)
    assert "and sex" in no_sex.stderr and "--sex female|male" in no_sex.stderr
    demo("athletes", "add", "ana", "--update", "--tz", "Europe/Berlin", "--sex", "female")
    doc = demo.json("report", "--as-of", "2026-11-08", "--basis", "trimp")
    assert doc["load_basis"] == "trimp" and doc["load_unit"] == "AU"
    assert doc["days"][-1]["load"] > 0 and doc["days"][-1]["acwr_rolling_coupled"] is not None
    assert doc["unknown_load_runs_28d"] == 0  # every demo run has heart rate


def _gpx_without_heart_rate(start: datetime, seconds: int = 1800) -> str:
    """A running track at 3 m/s, a point every 10 s, and no heart rate at all."""
    points = "".join(
        f'<trkpt lat="{52.5 + i * 30 / 111_320:.7f}" lon="13.4">'
        f"<time>{(start + timedelta(seconds=i * 10)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
        for i in range(seconds // 10 + 1)
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type><trkseg>'
        f"{points}</trkseg></trk></gpx>"
    )


def test_runs_without_heart_rate_are_unknown_trimp_and_said_so(ana, tmp_path: Path) -> None:
    (tmp_path / "strapless.gpx").write_text(
        _gpx_without_heart_rate(datetime(2026, 11, 2, 6, 0, tzinfo=UTC))
    )
    ana("import", str(tmp_path / "strapless.gpx"))
    ana("athletes", "add", "ana", "--update", "--tz", "Europe/Berlin", "--resting-hr", "50",
        "--max-hr", "190", "--sex", "male")  # fmt: skip
    (run,) = ana.json("activities")
    assert run["avg_hr"] is None and run["distance_m"] == pytest.approx(5400, rel=0.01)
    doc = ana.json("report", "--as-of", "2026-11-03", "--basis", "trimp")
    assert doc["unknown_load_runs_28d"] == 1
    out = ana("report", "--as-of", "2026-11-03", "--basis", "trimp").stdout
    assert "1 run of the last 28 days without heart rate: trimp load unknown" in out


def test_report_for_an_athlete_without_runs(ana) -> None:
    out = ana("report", "--as-of", "2026-11-08").stdout
    assert "No runs yet on or before this day." in out
    doc = ana.json("report", "--as-of", "2026-11-08")
    assert doc["days"] == [] and doc["runs"] == [] and doc["weeks"] == []


def test_config_declared_athletes_and_shoes_are_there_for_every_command(
    cli, tmp_path: Path
) -> None:
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        '[[athletes]]\nname = "kai"\ntz = "Asia/Tokyo"\n'
        '  [[athletes.shoes]]\n  name = "Novablast"\n  start_km = 100\n  default_for = "running"\n'
    )
    listed = cli.json("--config", str(cfg), "shoes", "list", "--athlete", "kai")
    assert [(s["name"], s["km"], s["default_for"]) for s in listed] == [
        ("Novablast", 100.0, "running")
    ]
    assert cli.json("--config", str(cfg), "athletes", "list")[0]["tz"] == "Asia/Tokyo"


@pytest.mark.parametrize("width", [390, 1200])
def test_html_report_reads_on_a_phone_and_a_desktop(demo, tmp_path: Path, browser, width) -> None:
    import matplotlib.image as mpimg
    import numpy as np

    page_file = tmp_path / "report.html"
    demo("report", "--as-of", "2026-11-08", "--html", str(page_file))
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(page_file.as_uri())
        layout = page.evaluate(LAYOUT_PROBE)
        assert layout["scroll"] <= layout["width"], layout  # no horizontal scroll
        assert layout["small"] == []  # no text under 12 px
        assert page.locator("figure svg").count() >= 4  # charts inline as SVG
        assert page.locator("h2", has_text="Headroom").count() == 1
        assert "a run up to 26.4 km today stays within +10%" in page.inner_text("ul.headroom")
        assert page.locator("pre").count() == 0  # the report's text as HTML, not terminal output
        shot = tmp_path / f"report-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    pixels = (mpimg.imread(shot)[..., :3] * 255).round().astype(int)
    # The weekly bars are drawn in the accent blue (#2f6fba): the charts rendered.
    accent = np.all(np.abs(pixels - np.array([0x2F, 0x6F, 0xBA])) <= 6, axis=-1)
    assert accent.sum() > 2000


def test_shoe_commands_find_the_athlete_when_several_exist(ana) -> None:
    ana("athletes", "add", "ben", "--tz", "Europe/Berlin")
    ana("import", str(SAMPLES / "real" / "togeojson-run.fit"), "--athlete", "ben")
    ana("shoes", "add", "Clifton", "--athlete", "ben")
    (run,) = ana.json("activities", "--athlete", "ben")
    assert (
        ana("shoes", "assign", str(run["id"]), "Clifton").stdout
        == f"activity {run['id']} -> Clifton\n"
    )
    assert ana("shoes", "retire", "Clifton").stdout == "shoe Clifton retired\n"
    (shoe,) = ana.json("shoes", "list", "--athlete", "ben")
    assert shoe["runs"] == 1 and shoe["retired"] is True
    assert "no activity 999" in ana("shoes", "assign", "999", "Clifton", code=2).stderr


def test_report_json_is_limited_to_the_weeks_shown(demo) -> None:
    doc = demo.json("report", "--as-of", "2026-11-08", "--weeks", "2")
    assert [w["week_start"] for w in doc["weeks"]] == ["2026-10-26", "2026-11-02"]
    # The days go back 28 days at least, so today's comparisons have their weeks.
    assert doc["days"][0]["date"] == "2026-10-12" and doc["days"][-1]["date"] == "2026-11-08"
    assert len(doc["days"]) == 28
    assert doc["runs"] and min(r["date"] for r in doc["runs"]) >= "2026-10-12"
    # The window changes which rows are shown, never a number in them.
    every = demo.json("report", "--as-of", "2026-11-08", "--weeks", "2", "--all-days")
    assert len(every["days"]) == 69 and len(every["weeks"]) > 2
    assert every["days"][-28:] == doc["days"]
    assert every["headroom"] == doc["headroom"]
    assert [r for r in every["runs"] if r["date"] >= "2026-10-12"] == doc["runs"]


def test_a_text_report_does_not_load_the_chart_library(demo) -> None:
    """matplotlib costs more than a second at start-up: only a chart may load it."""
    code = (
        "import sys\n"
        "from loadwatch.cli import main\n"
        "try:\n"
        f"    main(['--db', {str(demo.db)!r}, 'report', '--as-of', '2026-11-08', '--json'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "print('matplotlib' in sys.modules, 'pandas' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.split() == ["False", "True"]


def test_html_report_to_stdout(demo, tmp_path: Path, monkeypatch) -> None:
    """`report --html -` wrote a file named "-": it is the page on stdout, as for --json."""
    monkeypatch.chdir(tmp_path)
    out = demo("report", "--as-of", "2026-11-08", "--html", "-").stdout
    assert out.lower().startswith("<!doctype html>") and out.rstrip().endswith("</html>")
    assert out.count("<svg") == 6 and not (tmp_path / "-").exists()
    both = demo("report", "--html", "-", "--json", code=2)
    assert "--html - and --json both write to stdout" in both.stderr


def test_an_athlete_without_tz_gets_this_machines_zone_and_is_told(cli, monkeypatch) -> None:
    """`athletes add` without --tz used UTC without a word: a Denver runner's evening runs
    landed on the next day."""
    monkeypatch.setenv("TZ", "America/Denver")
    out = cli("athletes", "add", "ana")
    assert out.stdout == "athlete ana (America/Denver)\n"
    assert out.stderr == (
        "note: no --tz given: America/Denver, this machine's time zone "
        "(another: loadwatch athletes add ana --update --tz ZONE)\n"
    )
    cli("athletes", "add", "ana", "--update", "--email", "ana@example.com")
    (ana,) = cli.json("athletes", "list")
    assert ana["tz"] == "America/Denver"  # an update without --tz keeps the zone


def test_a_default_shoe_added_after_the_runs_says_how_to_put_them_on_it(ana) -> None:
    """Adding the default shoe after the import left every run shoeless, without a hint."""
    ana("import", str(SAMPLES / "demo-runner"))
    runs = [a for a in ana.json("activities") if a["sport"] == "running"]
    assert (
        len(runs) == 40
        and runs[0]["start_utc"] < "2026-09-02" < "2026-11-08" < runs[-1]["start_utc"]
    )
    out = ana("shoes", "add", "Pegasus 40", "--default")
    assert out.stdout == "shoe Pegasus 40 for ana (default for running runs)\n"
    assert out.stderr == (
        "note: 40 runs from 2026-09-01 to 2026-11-08 have no shoe: "
        "loadwatch shoes assign 'Pegasus 40' --from 2026-09-01 --to 2026-11-08\n"
    )
    ana("shoes", "assign", "Pegasus 40", "--from", "2026-09-01", "--to", "2026-11-08")
    again = ana("shoes", "add", "Speedgoat", "--default-for", "trail")
    assert again.stderr == ""
