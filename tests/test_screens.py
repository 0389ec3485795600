"""What a coach and a runner see, looked at in headless Chromium at a phone's width (390 px) and a
desktop's (1400 px): the dashboard's pages and the emails, with their charts."""

from __future__ import annotations

import base64
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from loadwatch.render import charts

from .conftest import SAMPLES, Cli
from .test_check import ConfiguredCli, password, write_config  # noqa: F401 (fixtures)
from .test_web import Server, _ids

AS_OF = "2026-11-10"  # a Tuesday: the calendar week has just begun


@pytest.fixture
def team(tmp_path: Path) -> Cli:
    """zoe: the demo block, and a shoe that passes 800 km with it (no check has run, so its
    alert is one a check would send now); ben: 36 km a week, then 71 km in the last 7 days, 23 of
    them in the week begun on Monday."""
    cli = Cli(tmp_path / "lw.db")
    cli("athletes", "add", "zoe", "--tz", "Europe/Berlin", "--email", "zoe@example.com")
    cli("shoes", "add", "Pegasus 40", "--athlete", "zoe", "--start-km", "700", "--default")
    cli("import", str(SAMPLES / "demo-runner"), "--athlete", "zoe")
    cli("athletes", "add", "ben", "--tz", "Europe/Berlin", "--email", "ben@example.com")
    runs = [(f"2026-{m:02d}-{d:02d}", 8) for m, d in _mon_wed_fri_sun("2026-08-03", "2026-11-04")]
    runs += [("2026-11-05", 10), ("2026-11-07", 14), ("2026-11-08", 16), ("2026-11-09", 12)]
    runs += [("2026-11-10", 11)]
    for day, km in runs:
        cli("activities", "add", "-a", "ben", "--date", day, "--km", str(km), "--minutes", "50")
    return cli


def _mon_wed_fri_sun(first: str, last: str) -> list[tuple[int, int]]:
    from datetime import date, timedelta

    day, end, out = date.fromisoformat(first), date.fromisoformat(last), []
    while day <= end:
        if day.weekday() in (0, 2, 4, 6):
            out.append((day.month, day.day))
        day += timedelta(days=1)
    return out


@pytest.fixture
def served(team: Cli):
    server = Server(str(team.db))
    yield server
    server.stop()


def _overflowing(page, selector: str) -> list[str]:
    """The elements that scroll sideways or reach past the right edge of the window."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)]
          .filter(e => e.scrollWidth > e.clientWidth + 1 ||
                       e.getBoundingClientRect().right > innerWidth + 1)
          .map(e => e.tagName + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""",
        selector,
    )


def test_the_team_table_fits_1400_px_and_counts_what_the_alerts_page_lists(
    served: Server, team: Cli, browser
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{served.base}/alerts?as_of={AS_OF}")
        listed: dict[str, int] = {}
        for name in page.locator("#would-send tbody tr td:first-child").all_inner_texts():
            listed[name] = listed.get(name, 0) + 1
        assert listed.get("zoe", 0) >= 1  # Pegasus 40 past 800 km: a check would send it
        page.goto(f"{served.base}/?as_of={AS_OF}")
        wide = page.locator("#team").evaluate(
            "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]"
        )
        assert wide[0] <= wide[1], f"the team table scrolls sideways: {wide}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        for row in page.locator("#team tbody tr").all():
            name = row.locator("td").first.inner_text()
            count = int(row.locator("td[data-label='open alerts']").inner_text())
            assert count == listed.get(name, 0), (name, count, listed)
    finally:
        page.close()


def test_the_sparkline_ends_with_the_last_7_days_not_a_week_just_begun(
    served: Server, browser
) -> None:
    """ben's jump (71 km in the last 7 days after 36) was drawn as a drop to the 23 km of the
    calendar week begun on Monday."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{served.base}/?as_of={AS_OF}")
        row = page.locator("#team tbody tr", has=page.locator("a:text-is('ben')"))
        assert row.locator("td[data-label='last 7 days']").inner_text() == "71.0 km"
        points = row.locator("svg.spark polyline").get_attribute("points") or ""
        ys = [float(p.split(",")[1]) for p in points.split()]
        assert len(ys) == 12 and ys[-1] == min(ys) < ys[-2], ys  # the highest point is the last
        assert "7 days" in (row.locator("svg.spark").get_attribute("aria-label") or "")
    finally:
        page.close()


# Each chart is an image of its own on the web page: the page answers before they are drawn.
# To read their text as the screen shows it, the test puts each image's SVG in its place, at the
# image's width (the scale the browser drew it at).
INLINE_CHARTS = """svgs => {
  for (const [i, img] of [...document.querySelectorAll('figure img')].entries()) {
    const text = svgs[i];
    const box = document.createElement('div');
    box.innerHTML = text;
    const svg = box.querySelector('svg');
    svg.style.width = img.getBoundingClientRect().width + 'px';
    svg.style.height = 'auto';
    img.parentElement.setAttribute('aria-label', img.alt);
    img.replaceWith(svg);
  }
}"""


@pytest.mark.parametrize("width", [390, 1400])
def test_charts_fit_the_screen_with_their_titles_once(
    served: Server, team: Cli, browser, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(f"{served.base}/athletes/{_ids(team)['zoe']}?as_of=2026-11-08")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _overflowing(page, ".charts, figure") == []
        images = page.locator("figure img")
        assert images.count() == 5
        for i in range(images.count()):
            # Loaded (the page waited for its images), as wide as the screen allows.
            assert images.nth(i).evaluate("i => i.complete && i.naturalWidth") > 0, i
            box = images.nth(i).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (i, box)
        text = page.locator("body").text_content() or ""
        for title in ("Acute and chronic load", "Shoes against their limits"):
            assert text.count(title) == 0, title  # drawn in the chart, said by its alt text
            assert page.locator(f"figure img[alt='{title}']").count() == 1
        sources = images.evaluate_all("images => images.map(i => i.src)")
        svgs = []
        for src in sources:
            answer = page.request.get(src)
            assert answer.ok and answer.headers["content-type"] == "image/svg+xml", src
            svgs.append(answer.text())
        page.evaluate(INLINE_CHARTS, svgs)
        figures = page.locator("figure")
        for i in range(figures.count()):
            figure = figures.nth(i)
            box = figure.locator("svg").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (i, box)
            title = figure.locator("svg text").first
            tbox = title.bounding_box()
            assert tbox and tbox["x"] + tbox["width"] <= width, (i, title.text_content(), tbox)
            # Legible: tick labels at least 9 px high on the screen, the title larger.
            tick = figure.locator("svg g[id^=xtick] text, svg g[id^=ytick] text").first
            assert (tick.bounding_box() or {"height": 0})["height"] >= 9, i
        acute = page.locator("figure[aria-label='Acute and chronic load']")
        assert acute.locator("g[id^=ytick] text").first.text_content() == "0"
        spikes = page.locator("figure[aria-label='Runs by single-run spike band']")
        assert "+60%" in [t.text_content() for t in spikes.locator("text").all()]
    finally:
        page.close()


def test_the_alerts_page_shows_every_alert_whole_on_a_phone(served: Server, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 900})
    try:
        page.goto(f"{served.base}/alerts?as_of={AS_OF}")
        cells = page.locator("#would-send td, #ledger td")
        assert cells.count() > 0
        assert _overflowing(page, ".scroll, table") == []
        for cell in cells.all():
            box = cell.bounding_box()
            assert box and box["x"] + box["width"] <= 390, (cell.inner_text(), box)
    finally:
        page.close()


def _html_with_images(msg: EmailMessage) -> str:
    body = msg.get_body(("html",))
    assert body is not None
    page = body.get_content()
    for part in msg.walk():
        if part.get_content_type() == "image/png":
            data = base64.b64encode(part.get_content()).decode()
            page = page.replace(
                f"cid:{part['Content-ID'].strip('<>')}", f"data:image/png;base64,{data}"
            )
    return page


def _wait(server, n: int) -> None:
    deadline = time.monotonic() + 30
    while len(server.messages) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(server.messages) >= n


def test_emails_read_on_a_phone(smtp, tmp_path: Path, browser) -> None:  # noqa: F811
    """The alert's headroom is HTML (a <pre> of aligned terminal lines broke mid-phrase), its
    chart's text is legible at 390 px, and the coach's digest shows every column there."""
    cli = ConfiguredCli(tmp_path / "lw.db", write_config(tmp_path, smtp.config(), coach=True))
    cli("check", "--as-of", "2026-10-25")
    _wait(smtp, 2)
    alert = next(m for m in smtp.messages if m["To"] == "ana@example.com")
    digest = next(m for m in smtp.messages if m["To"] == "carla@example.com")
    page = browser.new_page(viewport={"width": 390, "height": 900})
    try:
        page.set_content(_html_with_images(alert))
        items = page.locator("ul li").all_inner_texts()
        assert any("a run up to 26.4 km today stays within +10%" in x for x in items), items
        assert page.locator("pre").count() == 0 and "->" not in page.inner_text("body")
        img = page.locator("img")
        shown, natural = img.evaluate("i => [i.getBoundingClientRect().width, i.naturalWidth]")
        assert shown <= 390 - 2 * 12
        tick_px = charts.TEXT_PT * 200 / 72 * shown / natural  # PNGs are drawn at 200 dpi
        assert tick_px >= 9, f"chart text {tick_px:.1f} px on a phone"
        page.set_content(_html_with_images(digest))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for label in ("spike", "headroom"):
            for cell in page.locator(f"td[data-label='{label}']").all():
                box = cell.bounding_box()
                assert box and box["x"] + box["width"] <= 390, (label, box)
                assert cell.evaluate("c => c.scrollWidth <= c.clientWidth")
        assert "+60% (moderate)" in page.inner_text("body")
    finally:
        page.close()
