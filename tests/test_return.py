"""The way back after a break, and races (issue 17, part 4), through the real command on both
backends: the return plan's headroom against hand-computed numbers, no spike alert within the
plan and one alert beyond it (mailed once, through a real SMTP server), a race kept in the load
but out of the spike reference, a race-named file listed for a look."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from .conftest import ENV, Cli
from .smtp_server import PASSWORD

# Eight weeks of 10 km every other day, the last on Sat 26 Sep; then 36 days without a run.
BEFORE = [date(2026, 8, 3) + timedelta(days=2 * i) for i in range(28)]
# Back on Mon 2 Nov: 4 km, then 5 km two days later (+25%: a "spike" before return mode).
BACK = [("2026-11-02", 4.0), ("2026-11-04", 5.0)]
# Hand-computed: the 28 days ending 26 Sep hold 14 runs, 140 km: 35 km a week; the longest
# 10 km. Week 1 half of both, then +20% a week while under 100%: 50%, 60%, 72%, 86.4%.
PLAN = [
    ("2026-11-02", 17_500, 5_000),
    ("2026-11-09", 21_000, 6_000),
    ("2026-11-16", 25_200, 7_200),
    ("2026-11-23", 30_240, 8_640),
]


def add(cli: Cli, day: str | date, km: float, name: str | None = None) -> int:
    extra = ("--name", name) if name else ()
    out = cli("activities", "add", "-a", "ana", "--date", str(day), "--km", str(km), "--minutes",
              str(round(km * 5.5)), *extra).stdout  # fmt: skip
    return int(out.split()[1].rstrip(":"))


def before_the_break(cli: Cli) -> None:
    for day in BEFORE:
        add(cli, day, 10.0)


def test_the_return_plan_after_a_five_week_break(ana: Cli) -> None:
    before_the_break(ana)
    h = ana.json("headroom", "-a", "ana", "--as-of", "2026-11-01")
    # Not "no run in 30 days: nothing to compare with", not "no limit": the plan's numbers.
    assert (h["run"]["reason"], h["run"]["max_run_m"]) == ("return", 5_000)
    assert (h["week"]["reason"], h["week"]["more_m"]) == ("return", 17_500)
    plan = h["return_plan"]
    assert (plan["last_run_day"], plan["break_days"], plan["week"]) == ("2026-09-26", 35, 1)
    assert (plan["pre_week_m"], plan["pre_longest_m"]) == (35_000, 10_000)
    text = ana("headroom", "-a", "ana", "--as-of", "2026-11-01").stdout
    assert "no limit" not in text and "nothing to compare" not in text
    assert "35 days without a run: return plan week 1 of 4" in text
    assert "a run up to 5.0 km today stays within loadwatch's return plan" in text

    for day, km in BACK:
        add(ana, day, km)
    h = ana.json("headroom", "-a", "ana", "--as-of", "2026-11-04")
    plan = h["return_plan"]
    assert [(w["first_day"], w["week_m"], w["run_m"]) for w in plan["weeks"]] == PLAN
    assert (plan["first_day"], plan["last_day"], plan["break_days"]) == (
        "2026-11-02",
        "2026-11-29",
        36,
    )
    # 9 km of the week's 17.5 run: 8.5 km left, single runs up to 5 km.
    assert (h["run"]["max_run_m"], h["week"]["more_m"]) == (5_000, 8_500)
    # The report says the same in every form.
    doc = ana.json("report", "-a", "ana", "--as-of", "2026-11-04")
    assert doc["headroom"]["return_plan"] == plan
    text = ana("report", "-a", "ana", "--as-of", "2026-11-04").stdout
    assert "return plan week 1 of 4" in text
    # The 5 km after 4 km is +25% by the spike rule's arithmetic, but the plan judges it: the
    # report shows it as a run in the plan, not as the latest spike.
    last = doc["runs"][-1]
    assert (last["date"], last["spike_band"], last["in_return_plan"]) == (
        "2026-11-04",
        "small",
        True,
    )
    assert "Latest single-run spike" not in text
    page = ana("report", "-a", "ana", "--as-of", "2026-11-04", "--html", "-").stdout
    assert (
        "the plan&#x27;s weeks 17.5, 21.0, 25.2, 30.2 km, runs up to 5.0, 6.0, 7.2, 8.6 km" in page
    )
    # Weeks 2-4 run at the plan's single-run caps, three runs each, within the weeks.
    for week, km in ((1, 6.0), (2, 7.2), (3, 8.6)):
        for d in (0, 2, 4):
            add(ana, date(2026, 11, 2) + timedelta(days=7 * week + d), km)
    h = ana.json("headroom", "-a", "ana", "--as-of", "2026-11-29")
    assert (h["run"]["reason"], h["return_plan"]["week"]) == ("return", 4)
    # 25.8 km of the week's 30.24 run: 4.44 km left, which caps a run below the 8.64 km.
    assert (h["run"]["max_run_m"], h["week"]["more_m"]) == (4_440, 4_440)
    # From Mon 30 Nov the usual comparisons again: the 30-day longest (8.6 km) + 10%.
    h = ana.json("headroom", "-a", "ana", "--as-of", "2026-11-30")
    assert (h["run"]["reason"], h["run"]["max_run_m"], h["return_plan"]) == (None, 9_460, None)
    assert ana.json("alerts", "-a", "ana") == []


def _config(tmp_path: Path, smtp_text: str) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(
        smtp_text
        + f'\n[[athletes]]\nname = "ana"\nemail = "ana@example.com"\ntz = "Europe/Berlin"\n'
        f'inbox = "{inbox}"\n'
    )
    return cfg


def test_no_spike_within_the_plan_and_one_alert_beyond_it(
    db_url, smtp, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    cfg = _config(tmp_path, smtp.config())
    cli = Cli(db_url)

    def run(*args: str, code: int = 0):
        return cli("--config", str(cfg), *args, code=code)

    run("athletes", "list")  # the config's athlete joins the store
    for day in BEFORE:
        run("activities", "add", "-a", "ana", "--date", str(day), "--km", "10", "--minutes", "55")
    run("check", "--as-of", "2026-09-27")
    for day, km in BACK:
        run("activities", "add", "-a", "ana", "--date", day, "--km", str(km), "--minutes", "30")
    # The second run back, 5 km after 4 km (+25%), is within the plan: no alert.
    run("check", "--as-of", "2026-11-04")
    time.sleep(0.5)
    assert smtp.messages == []
    assert cli.json("alerts", "-a", "ana") == []
    # 12 km on Fri 6 Nov: past the week's single-run cap of 5 km. One alert, naming the plan.
    run("activities", "add", "-a", "ana", "--date", "2026-11-06", "--km", "12", "--minutes", "66")
    run("check", "--as-of", "2026-11-06")
    end = time.monotonic() + 30
    while not smtp.messages and time.monotonic() < end:
        time.sleep(0.1)
    (msg,) = smtp.messages
    assert msg["Subject"] == (
        "loadwatch: 12.0 km run beyond the return plan (week 1: runs up to 5.0 km, "
        "17.5 km in the week)"
    )
    plain = " ".join(msg.get_body(("plain",)).get_content().split())
    assert (
        "Your 12.0 km run on Fri 06 Nov 2026 went beyond loadwatch's return plan after 36 days "
        "without a run: week 1 of 4 (Mon 02 Nov 2026 to Sun 08 Nov 2026) allows 17.5 km with "
        "runs up to 5.0 km, and this run was longer than the plan's 5.0 km for a single run "
        "this week." in plain
    )
    assert "not a tested prescription" in plain
    # The email shows the plan as the headroom.
    assert "plan week Mon 2 Nov to Sun 8 Nov: 21.0 km of 17.5 km" in plain
    assert "the plan's weeks 17.5, 21.0, 25.2, 30.2 km" in plain
    # A further run beyond the plan is no second alert; nor is any spike within it.
    run("activities", "add", "-a", "ana", "--date", "2026-11-08", "--km", "8", "--minutes", "44")
    run("check", "--as-of", "2026-11-08")
    time.sleep(0.5)
    assert len(smtp.messages) == 1
    ledger = cli.json("alerts", "-a", "ana")
    assert [(e["rule"], e["status"]) for e in ledger] == [("return_plan", "sent")]


def test_a_race_stays_in_the_load_but_not_in_the_reference(ana: Cli) -> None:
    # Six weeks of training, the longest run 20 km, then a marathon on Sun 4 Oct.
    start = date(2026, 8, 24)
    for i in range(0, 40, 2):  # Mon 24 Aug to Thu 1 Oct; 20 km on Sat 5 and Sat 19 Sep
        add(ana, start + timedelta(days=i), 20.0 if i in (12, 26) else 10.0)
    race = add(ana, "2026-10-04", 42.2, name="Berlin Marathon")
    for day in ("2026-10-08", "2026-10-11", "2026-10-14"):
        add(ana, day, 8.0)
    h = ana.json("headroom", "-a", "ana", "--as-of", "2026-10-18")
    assert (h["run"]["longest_m"], h["run"]["max_run_m"]) == (42_200, 46_420)  # before --race
    out = ana("activities", "edit", str(race), "--race").stdout
    assert out == f"activity {race}: a race\n"
    h = ana.json("headroom", "-a", "ana", "--as-of", "2026-10-18")
    # The reference is the longest training run of the 30 days: 20 km on Sat 19 Sep.
    assert (h["run"]["longest_m"], h["run"]["longest_day"]) == (20_000, "2026-09-19")
    assert h["run"]["max_run_m"] == 22_000
    assert (
        "a run up to 22.0 km today" in ana("headroom", "-a", "ana", "--as-of", "2026-10-18").stdout
    )
    # In the load: the race's week holds its 42.2 km.
    weeks = ana.json("report", "-a", "ana", "--as-of", "2026-10-18")["weeks"]
    week = next(w for w in weeks if w["week_start"] == "2026-09-28")
    assert week["distance_km"] == pytest.approx(10 + 10 + 42.2)
    listed = next(r for r in ana.json("activities") if r["id"] == race)
    assert listed["race"] is True
    assert "(race)" in ana("activities").stdout
    # A run after it is judged against the training runs, not against the race.
    add(ana, "2026-10-18", 23.0)
    report = ana.json("report", "-a", "ana", "--as-of", "2026-10-18")
    last = report["runs"][-1]
    assert (last["longest_prior_30d_km"], last["spike_band"]) == (20.0, "small")
    ana("activities", "edit", str(race), "--no-race")
    h = ana.json("headroom", "-a", "ana", "--as-of", "2026-10-18")
    assert h["run"]["longest_m"] == 42_200


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="loadwatch test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>{name}</name><type>running</type><trkseg>
{points}
</trkseg></trk></gpx>
"""


def _gpx(path: Path, name: str, km: int, day: str) -> Path:
    """A point every 0.009 degrees of latitude (about 1 km) north of Berlin, 5 min apart."""
    t0 = datetime.fromisoformat(f"{day}T07:00:00")
    points = "\n".join(
        f'<trkpt lat="{52.5 + i * 0.009:.6f}" lon="13.4">'
        f"<time>{t0 + timedelta(minutes=5 * i):%Y-%m-%dT%H:%M:%S}Z</time></trkpt>"
        for i in range(km + 1)
    )
    path.write_text(GPX.format(name=name, points=points))
    return path


def test_a_file_named_like_a_race_is_listed_for_a_look(ana: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    _gpx(folder / "race.gpx", "Sunday parkrun", 5, "2026-10-03")
    _gpx(folder / "easy.gpx", "Easy 10 km", 10, "2026-10-05")
    out = ana.json("import", str(folder), "--athlete", "ana")
    looks = out["needs_look"]
    assert len(looks) == 1 and looks[0]["path"].endswith("race.gpx")
    assert "named 'Sunday parkrun': a race?" in looks[0]["reason"]
    race = looks[0]["id"]
    # Listed, not marked: the runner decides.
    assert next(r for r in ana.json("activities") if r["id"] == race)["race"] is False
    ana("activities", "edit", str(race), "--race")
    ana("activities", "seen", str(race))
    assert next(r for r in ana.json("activities") if r["id"] == race)["race"] is True
    # The mark is the outing's: it survives a re-import of the file.
    ana("import", str(folder), "--athlete", "ana")
    assert next(r for r in ana.json("activities") if r["id"] == race)["race"] is True


def test_the_web_page_shows_the_plan_and_marks_a_race(ana: Cli) -> None:
    from .test_web import Server, _csrf, _ids, _request

    before_the_break(ana)
    for day, km in BACK:
        add(ana, day, km)
    race = add(ana, "2026-11-07", 10.0, name="parkrun PB attempt")
    server = Server(str(ana.db))
    try:
        page = f"{server.base}/athletes/{_ids(ana)['ana']}?as_of=2026-11-07"
        status, body = _request(page)
        assert status == 200
        assert "36 days without a run: return plan week 1 of 4" in body
        assert "the plan&#x27;s weeks 17.5, 21.0, 25.2, 30.2 km" in body
        form = {"csrf": _csrf(body), "as_of": "2026-11-07"}
        url = f"{server.base}/activities/{race}/race"
        assert _request(url, form, {"Origin": server.base})[0] == 303
        assert next(r for r in ana.json("activities") if r["id"] == race)["race"] is True
        assert "(race)" in _request(page)[1]  # marked in the athlete's list
        body = _request(f"{server.base}/activities/{race}")[1]  # and undone on the run's page
        assert f'action="/activities/{race}/not-race"' in body and "marked a race" in body
        url = f"{server.base}/activities/{race}/not-race"
        assert _request(url, form, {"Origin": server.base})[0] == 303
        assert next(r for r in ana.json("activities") if r["id"] == race)["race"] is False
    finally:
        server.stop()
