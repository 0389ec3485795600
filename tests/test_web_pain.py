"""What the runner tells the dashboard, on a phone (390 px) in Debian's Chromium: a pain report in
a few taps (for today, or a day they forgot, with a note), the recent ones listed and deleted, the
effort (RPE) of a run; on SQLite and PostgreSQL, under the same CSRF, Origin and --read-only rules
as every other edit."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loadwatch.names import MAX_TEXT

from . import test_web
from .conftest import LAYOUT_PROBE, Cli
from .test_web import AS_OF, Server, _csrf, _ids, _request

PHONE = {"width": 390, "height": 844}


# test_web's fixtures: zoe (the demo block) and ada, on both backends; the served dashboard.
club = test_web.club
server = test_web.server


def _berlin_today() -> date:
    """Today where zoe lives: the server judges a pain report's day by the real clock."""
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).date()


def test_a_pain_report_in_three_taps_on_a_phone_then_deleted(
    server: Server, club: Cli, browser
) -> None:
    zoe = _ids(club)["zoe"]
    page = browser.new_page(viewport=PHONE)
    try:
        response = page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        assert response.headers["content-security-policy"].startswith("default-src 'none';")
        layout = page.evaluate(LAYOUT_PROBE)
        assert layout["scroll"] <= layout["width"], layout
        assert layout["small"] == []
        # Every score button is a thumb's size and on screen, with no scrolling sideways.
        for box in [b.bounding_box() for b in page.locator("form.pain button").all()]:
            assert box["width"] >= 44 and box["height"] >= 44
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.locator("form.pain button").all_inner_texts() == [str(n) for n in range(11)]
        assert "No pain reports yet." in page.inner_text("#pain ~ p.note")
        page.check("input[name=when][value=after]")
        page.fill("input[name=where]", "left knee, front")
        page.click("form.pain button[value='6']")
        page.wait_for_load_state()
        assert page.url.endswith(f"/athletes/{zoe}?as_of={AS_OF}#pain")
        listed = page.locator("ul.pain li").all_inner_texts()
        assert len(listed) == 1 and "6/10 after, left knee, front" in listed[0]
        (stored,) = club.json("pain", "--athlete", "zoe", "--list")
        assert (stored["score"], stored["when"], stored["where"]) == (
            6,
            "after",
            "left knee, front",
        )
        # The default is a morning report with no place: one tap.
        page.click("form.pain button[value='2']")
        page.wait_for_load_state()
        assert [r["score"] for r in club.json("pain", "--athlete", "zoe", "--list")] == [2, 6]
        assert club.json("pain", "--athlete", "zoe", "--list")[0]["when"] == "morning"
        page.click(f"button[aria-label='delete pain report {stored['id']}']")
        page.wait_for_load_state()
        assert "6/10" not in page.inner_text("ul.pain")
        assert [r["score"] for r in club.json("pain", "--athlete", "zoe", "--list")] == [2]
        assert club.json("pain", "--athlete", "ada", "--list") == []
    finally:
        page.close()


def test_the_effort_of_a_run_set_on_the_web(server: Server, club: Cli, browser) -> None:
    zoe = _ids(club)["zoe"]
    run = [a for a in club.json("activities", "--athlete", "zoe") if a["moving_s"]][-1]
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        row = page.locator(f"#activity-{run['id']}")
        assert row.locator("td.rpe").inner_text() == "-"
        row.locator("td.keep a").click()  # the run's own page holds its edits
        page.wait_for_load_state()
        page.locator("select[name=rpe]").select_option("7")
        page.locator("button", has_text="set effort").click()
        page.wait_for_load_state()
        load = 7 * run["moving_s"] / 60
        assert f"7/10, sRPE load {load:.0f} AU" in page.locator("#facts").inner_text()
        page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        after = page.locator(f"#activity-{run['id']}")
        assert after.locator("td.rpe").inner_text() == f"7 ({load:.0f} AU)"
    finally:
        page.close()
    edited = next(a for a in club.json("activities", "--athlete", "zoe") if a["id"] == run["id"])
    assert edited["rpe"] == 7 and edited["srpe_load"] == pytest.approx(load, abs=0.05)


def test_bad_or_forged_pain_reports_store_nothing(server: Server, club: Cli) -> None:
    zoe = _ids(club)["zoe"]
    token = _csrf(_request(f"{server.base}/athletes/{zoe}")[1])
    url = f"{server.base}/athletes/{zoe}/pain"
    own = {"Origin": server.base}
    for score in ("11", "-1", "x", ""):
        status, body = _request(url, {"csrf": token, "score": score}, own)
        assert status == 400 and "0-10" in body, (score, status)
    status, body = _request(url, {"csrf": token, "score": "3", "when": "noon"}, own)
    assert status == 400 and "noon" in body
    assert _request(url, {"csrf": "stale", "score": "3"}, own)[0] == 403
    assert _request(url, {"csrf": token, "score": "3"}, {"Origin": "http://evil.example"})[0] == 403
    nobody = f"{server.base}/athletes/999/pain"
    assert _request(nobody, {"csrf": token, "score": "3"}, own)[0] == 404
    assert _request(f"{server.base}/pain/999/delete", {"csrf": token}, own)[0] == 404
    (run, *_) = club.json("activities", "--athlete", "zoe")
    rpe = f"{server.base}/activities/{run['id']}/rpe"
    assert _request(rpe, {"csrf": token, "rpe": "11"}, own)[0] == 400
    assert _request(rpe, {"csrf": token, "rpe": ""}, own)[0] == 400
    assert club.json("pain", "--athlete", "zoe", "--list") == []
    assert all(a["rpe"] is None for a in club.json("activities", "--athlete", "zoe"))


def test_a_forgotten_day_with_a_note_on_a_phone(server: Server, club: Cli, browser) -> None:
    """Yesterday's report, given today: the day field (today by default, never later) and the
    note go with the one tap on a score, and are stored as typed."""
    zoe = _ids(club)["zoe"]
    page = browser.new_page(viewport=PHONE)
    try:
        before = _berlin_today()
        page.goto(f"{server.base}/athletes/{zoe}")
        day = page.locator("form.pain input[name=day]")
        assert day.get_attribute("type") == "date"
        today = date.fromisoformat(day.get_attribute("max") or "")
        assert before <= today <= _berlin_today()  # the server's today in zoe's zone
        assert day.input_value() == today.isoformat()
        layout = page.evaluate(LAYOUT_PROBE)
        assert layout["scroll"] <= layout["width"], layout
        assert layout["small"] == []
        for name in ("day", "where", "note"):
            box = page.locator(f"form.pain input[name={name}]").bounding_box()
            assert box is not None and box["height"] >= 44, (name, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)
        # A page for an earlier day offers that day; one for a day to come offers today.
        page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        assert day.input_value() == AS_OF
        assert day.get_attribute("max") == today.isoformat()
        ahead = (today + timedelta(days=3)).isoformat()
        page.goto(f"{server.base}/athletes/{zoe}?as_of={ahead}")
        assert day.input_value() == today.isoformat()
        # The browser itself will not send a day after `max` (no script: the form's own rule).
        page.fill("form.pain input[name=day]", ahead)
        assert page.evaluate("document.querySelector('input[name=day]').validity.rangeOverflow")
        page.goto(f"{server.base}/athletes/{zoe}")
        yesterday = (today - timedelta(days=1)).isoformat()
        page.fill("form.pain input[name=day]", yesterday)
        page.check("input[name=when][value=after]")
        page.fill("input[name=where]", "left knee")
        page.fill("input[name=note]", "after the hills, 12 × 200 m")
        page.click("form.pain button[value='3']")
        page.wait_for_load_state()
        assert page.url.endswith(f"/athletes/{zoe}#pain")
        listed = page.locator("ul.pain li").all_inner_texts()
        assert len(listed) == 1
        assert f"{yesterday}: 3/10 after, left knee (after the hills, 12 × 200 m)" in listed[0]
        # The day field is today again: the next report is not filed under yesterday by mistake.
        assert day.input_value() == today.isoformat()
    finally:
        page.close()
    (stored,) = club.json("pain", "--athlete", "zoe", "--list")
    assert {k: stored[k] for k in ("day", "score", "when", "where", "note")} == {
        "day": yesterday,
        "score": 3,
        "when": "after",
        "where": "left knee",
        "note": "after the hills, 12 × 200 m",
    }


def test_a_day_to_come_or_a_bad_note_stores_nothing(server: Server, club: Cli) -> None:
    zoe = _ids(club)["zoe"]
    token = _csrf(_request(f"{server.base}/athletes/{zoe}")[1])
    url = f"{server.base}/athletes/{zoe}/pain"
    own = {"Origin": server.base}
    ahead = (_berlin_today() + timedelta(days=2)).isoformat()
    status, body = _request(url, {"csrf": token, "score": "3", "day": ahead}, own)
    assert status == 400 and f"{ahead} is in the future" in body, (status, body)
    # A year typed wrong was "unexpected OverflowError" on the CLI, an error 500 here.
    status, body = _request(url, {"csrf": token, "score": "3", "day": "0001-01-01"}, own)
    assert status == 400 and "0001-01-01 is before 1980-01-01" in body, (status, body)
    for typed in ("yesterday", "2026-13-01", "20.11.2026"):
        status, body = _request(url, {"csrf": token, "score": "3", "day": typed}, own)
        said = html.unescape(body)  # the page escapes the quotes around what was typed
        assert status == 400 and f"day {typed!r} is not a date like" in said, (typed, body)
    for note in ("after\nthe hills", "bell\x07", "x" * (MAX_TEXT + 1)):
        status, body = _request(url, {"csrf": token, "score": "3", "note": note}, own)
        assert status == 400 and "the note" in body, (note, status, body)
    status, body = _request(url, {"csrf": token, "score": "3", "note": "a\nb"}, own)
    assert status == 400 and "control character (U+000A)" in body
    # One line on the error page, as for every other field; the rest of the form is no excuse.
    status, body = _request(url, {"csrf": token, "score": "3", "day": ahead, "note": "ok"}, own)
    detail = re.search(r"<h1>400</h1><p>(.*?)</p>", body, re.S)
    assert status == 400 and detail and "\n" not in detail.group(1), body
    form = {"csrf": "stale", "score": "3", "day": "2026-11-01", "note": "forged"}
    assert _request(url, form, own)[0] == 403
    assert _request(url, {**form, "csrf": ""}, own)[0] == 403
    del form["csrf"]
    assert _request(url, form, own)[0] == 403
    assert club.json("pain", "--athlete", "zoe", "--list") == []


def test_read_only_shows_the_reports_and_takes_none(club: Cli, browser) -> None:
    zoe = _ids(club)["zoe"]
    club("pain", "4", "--athlete", "zoe", "--where", "right knee")
    (report,) = club.json("pain", "--athlete", "zoe", "--list")
    server = Server(str(club.db), "--read-only")
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{server.base}/athletes/{zoe}")
        assert "4/10 morning, right knee" in page.inner_text("ul.pain")
        assert page.locator("form[method=post]").count() == 0
        own = {"Origin": server.base}
        assert page.locator("input[name=day], input[name=note]").count() == 0
        form = {"csrf": "x", "score": "3", "day": "2026-11-01", "note": "yesterday's"}
        assert _request(f"{server.base}/athletes/{zoe}/pain", form, own)[0] == 403
        assert _request(f"{server.base}/pain/{report['id']}/delete", {"csrf": "x"}, own)[0] == 403
    finally:
        page.close()
        server.stop()
    assert [r["id"] for r in club.json("pain", "--athlete", "zoe", "--list")] == [report["id"]]
