"""What the runner tells the dashboard, on a phone (390 px) in Debian's Chromium: a pain report in
a few taps, the recent ones listed and deleted, the effort (RPE) of a run; on SQLite and
PostgreSQL, under the same CSRF, Origin and --read-only rules as every other edit."""

from __future__ import annotations

import pytest

from . import test_web
from .conftest import LAYOUT_PROBE, Cli
from .test_web import AS_OF, Server, _csrf, _ids, _request

PHONE = {"width": 390, "height": 844}

# test_web's fixtures: zoe (the demo block) and ada, on both backends; the served dashboard.
club = test_web.club
server = test_web.server


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
        form = {"csrf": "x", "score": "3"}
        assert _request(f"{server.base}/athletes/{zoe}/pain", form, own)[0] == 403
        assert _request(f"{server.base}/pain/{report['id']}/delete", {"csrf": "x"}, own)[0] == 403
    finally:
        page.close()
        server.stop()
    assert [r["id"] for r in club.json("pain", "--athlete", "zoe", "--list")] == [report["id"]]
