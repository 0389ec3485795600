"""The calendar feed: each coming day's headroom and every alert as iCalendar events, from the
CLI and from `loadwatch web` behind a per-athlete key, parsed back with icalendar (issue 19, 2)."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from .conftest import Cli
from .test_web import Server


def _today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture
def runner(cli: Cli) -> Cli:
    """ana (UTC): five weeks of runs up to yesterday, the longest 12 km, and one spike alert."""
    cli("athletes", "add", "ana", "--tz", "UTC", "--email", "ana@example.com")
    today = _today()
    for back in range(36, 0, -2):
        km = "12" if back == 10 else "8"
        cli("activities", "add", "--date", (today - timedelta(days=back)).isoformat(),
            "--km", km, "--minutes", "45")  # fmt: skip
    cli("activities", "add", "--date", (today - timedelta(days=1)).isoformat(), "--km", "16",
        "--minutes", "90")  # fmt: skip
    cli("check", code=None)  # no mail server: the alert stays pending, which the feed shows
    return cli


def _events(data: bytes) -> dict[str, dict]:
    cal = Calendar.from_ical(data)
    return {
        str(ev["uid"]): {
            "day": ev.decoded("dtstart"),
            "end": ev.decoded("dtend"),
            "summary": str(ev["summary"]),
            "description": str(ev["description"]),
        }
        for ev in cal.walk("VEVENT")
    }


def _km_down(m: int) -> str:
    return f"{m // 100 / 10:.1f} km"


def test_the_feed_has_each_days_headroom_and_every_alert(runner: Cli, tmp_path: Path) -> None:
    out = tmp_path / "ana.ics"
    said = runner("calendar", "--athlete", "ana", "--days", "5", "--out", str(out))
    assert said.stdout == f"wrote {out}: 5 days of headroom\n"
    events = _events(out.read_bytes())
    today = _today()
    days = {e["day"]: e for uid, e in events.items() if uid.startswith("headroom-")}
    assert sorted(days) == [today + timedelta(days=i) for i in range(5)]
    for day, ev in days.items():
        h = runner.json("headroom", "--as-of", day.isoformat())
        assert ev["end"] == day + timedelta(days=1)  # all-day: a date, not a moment
        assert ev["summary"].startswith(f"Run up to {_km_down(h['run']['max_run_m'])}")
        for line in h["lines"]:
            assert f"{line['facts']}: {line['guidance']}" in ev["description"]
        assert "not a personal safe limit" in ev["description"]
    alerts = [a for a in runner.json("alerts") if a["status"] in ("pending", "sent")]
    assert alerts  # the 16 km run after a 12 km longest
    for a in alerts:
        ev = events[f"alert-{a['key']}@loadwatch"]
        assert ev["day"] == date.fromisoformat(a["day"]) and a["title"] in ev["summary"]
    assert len(events) == 5 + len(alerts)
    # Without --out: the same feed on stdout.
    assert _events(runner("calendar", "--days", "5").stdout.encode()).keys() == events.keys()


def _fetch(url: str, host: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_the_web_serves_the_feed_only_with_the_athletes_key(runner: Cli) -> None:
    runner("athletes", "add", "ben", "--tz", "UTC")
    key = runner("athletes", "calendar-key", "ana").stdout.strip()
    assert len(key) >= 32 and runner("athletes", "calendar-key", "ana").stdout.strip() == key
    ben_key = runner("athletes", "calendar-key", "ben").stdout.strip()
    ids = {a["name"]: a["id"] for a in runner.json("athletes", "list")}
    token = "t" * 40
    server = Server(str(runner.db), env={"LOADWATCH_WEB_TOKEN": token})
    try:
        feed = f"{server.base}/athletes/{ids['ana']}/calendar.ics"
        status, body = _fetch(f"{feed}?key={key}")  # no dashboard token: the key is enough
        assert status == 200
        cli_feed = _events(runner("calendar", "--athlete", "ana").stdout.encode())
        assert _events(body) == cli_feed
        assert _fetch(f"{server.base}/")[0] == 401  # the dashboard itself still needs it
        assert _fetch(feed)[0] == 404
        assert _fetch(f"{feed}?key=")[0] == 404
        assert _fetch(f"{feed}?key={key[:-1]}")[0] == 404
        assert _fetch(f"{feed}?key={ben_key}")[0] == 404  # another athlete's key
        assert _fetch(f"{server.base}/athletes/999/calendar.ics?key={key}")[0] == 404
        assert _fetch(f"{feed}?key={key}", host="evil.example")[0] == 400  # host check first
        new = runner("athletes", "calendar-key", "ana", "--rotate").stdout.strip()
        assert new != key
        assert _fetch(f"{feed}?key={key}")[0] == 404
        assert _fetch(f"{feed}?key={new}")[0] == 200
    finally:
        server.stop()


def _add(cli: Cli, who: str, day: date, km: float) -> None:
    cli("activities", "add", "-a", who, "--date", day.isoformat(), "--km", str(km),
        "--minutes", str(round(km * 5.5)))  # fmt: skip


def test_the_feed_counts_the_return_plans_weeks_on_their_dates(cli: Cli) -> None:
    """Eight weeks of 10 km every other day, then a break: ana came back 8 days ago (4 km) and
    ran 5 km yesterday; ben has not run since. ana's coming days fall in the plan weeks dated
    from her first run back, each as if she runs nothing more before it, until a day 14 days
    after her last run starts a new break; ben's plan waits for his first run back, so each of
    his days is week 1 if he starts that day (as the return rule would judge such a run)."""
    today = _today()
    back = today - timedelta(days=8)
    for who in ("ana", "ben"):
        cli("athletes", "add", who, "--tz", "UTC")
        for i in range(28):
            _add(cli, who, today - timedelta(days=95 - 2 * i), 10.0)
    _add(cli, "ana", back, 4.0)
    _add(cli, "ana", today - timedelta(days=1), 5.0)
    # Hand-computed as in test_return: 35 km a week before the break, longest 10 km; the plan's
    # weeks 50%, 60%, 72%, 86.4% of both.
    plan = [(17_500, 5_000), (21_000, 6_000), (25_200, 7_200), (30_240, 8_640)]
    days = {e["day"]: e for e in _events(cli("calendar", "-a", "ana", "--days", "16").stdout.encode()).values()}  # fmt: skip
    assert sorted(days) == [today + timedelta(days=i) for i in range(16)]
    for day, ev in sorted(days.items()):
        assert ev["description"].startswith("If you run nothing more before then:\n")
        h = cli.json("headroom", "-a", "ana", "--as-of", day.isoformat())
        if day >= today + timedelta(days=14):  # 14 days without a run: a new break
            assert ev["summary"].startswith("Return plan week 1 of ")
            assert " if you start back this day: run up to " in ev["summary"]
            assert "starts with your first run back" in ev["description"]
            continue
        week = (day - back).days // 7 + 1
        assert h["return_plan"]["week"] == week and h["return_plan"]["first_day"] == str(back)
        week_m, run_m = plan[week - 1]
        more = week_m - (5_000 if week == 2 else 0)
        assert ev["summary"] == (
            f"Return plan week {week} of 4: run up to {_km_down(run_m)}; up to "
            f"{_km_down(more)} more this plan week"
        ), day
        assert (h["run"]["max_run_m"], h["week"]["more_m"]) == (run_m, more)
        assert f"return plan week {week} of 4" in ev["description"]
        assert "starts with your first run back" not in ev["description"]
    weeks = [int(days[today + timedelta(days=i)]["summary"].split()[3]) for i in range(14)]
    assert weeks == [2] * 6 + [3] * 7 + [4]  # week 2 began yesterday, week 3 in 6 days
    ben = _events(cli("calendar", "-a", "ben", "--days", "3").stdout.encode()).values()
    assert [e["summary"] for e in sorted(ben, key=lambda e: e["day"])] == [
        "Return plan week 1 of 4 if you start back this day: run up to 5.0 km; up to 17.5 km "
        "in its first week"
    ] * 3
