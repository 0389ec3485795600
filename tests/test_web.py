"""`loadwatch web` as a person uses it: the real server (uvicorn) in its own process, driven in
Debian's Chromium through Playwright, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from loadwatch.cli import main

from .conftest import CORPUS, LAYOUT_PROBE, SAMPLES, Cli
from .smtp_server import free_port

AS_OF = "2026-11-08"
TOKEN = "a-long-random-test-token-0123456789"
SCRIPT = "<script>window.pwned=1</script>"


class Server:
    def __init__(self, db: str, *extra: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "loadwatch", "--db", db, "web", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*cmd, *extra],
            env=dict(os.environ, **(env or {})),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read() if self.proc.stderr else "web died")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("loadwatch web did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)


@pytest.fixture
def club(db_url: str, tmp_path: Path) -> Cli:
    """Two athletes: zoe (the demo block, a moderate spike on 25 Oct) and ada (one easy run)."""
    cli = Cli(db_url)
    cli("athletes", "add", "ada", "--tz", "Europe/Berlin")
    cli("athletes", "add", "zoe", "--tz", "Europe/Berlin", "--email", "zoe@example.com")
    cli("import", str(SAMPLES / "demo-runner"), "--athlete", "zoe")
    cli("import", str(CORPUS / "fit/togeojson-run.fit"), "--athlete", "ada")
    return cli


@pytest.fixture
def server(club: Cli):
    s = Server(str(club.db))
    yield s
    s.stop()


def _ids(club: Cli) -> dict[str, int]:
    from loadwatch.store import open_store

    with open_store(club.db) as store:
        return {a.name: a.id for a in store.athletes.all()}


def test_team_page_ranks_the_athlete_with_a_spike_first(server: Server, browser) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/?as_of={AS_OF}")
        names = page.locator("#team tbody tr td:first-child a").all_inner_texts()
        assert names == ["zoe", "ada"]  # zoe's +60% spike ranks her first, not the alphabet
        first = page.locator("#team tbody tr").first.inner_text()
        assert "+60% (moderate)" in first and "48.0 km" in first
        page.click("text=athlete")  # sortable: by name
        assert page.locator("#team tbody tr td:first-child a").all_inner_texts() == ["ada", "zoe"]
        assert page.locator("#team svg.spark").count() == 2  # a 12-week sparkline each
    finally:
        page.close()


def _week_km(page, week: str) -> str:
    row = page.locator("table tr", has=page.locator(f"td:text-is('{week}')")).first
    return row.locator("td").nth(1).inner_text()


def test_an_exclude_on_the_athlete_page_changes_the_weekly_total(
    server: Server, club: Cli, browser
) -> None:
    zoe = _ids(club)["zoe"]
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        assert _week_km(page, "2026-11-02") == "48.0"
        row = page.locator("#activities-table tr", has_text="2026-11-08 06:30")
        row.locator("input[name=reason]").fill("watch left running")
        row.locator("button", has_text="exclude").click()
        page.wait_for_load_state()
        assert _week_km(page, "2026-11-02") == "32.0"  # the 16 km run no longer counts
        again = page.locator("#activities-table tr", has_text="2026-11-08 06:30")
        assert "excluded (watch left running)" in again.inner_text()
        again.locator("button", has_text="include").click()
        page.wait_for_load_state()
        assert _week_km(page, "2026-11-02") == "48.0"
    finally:
        page.close()
    # The same operation as the CLI: the command line sees it too.
    assert not any(a["excluded"] for a in club.json("activities", "--athlete", "zoe"))


@pytest.mark.parametrize("path", ["/", "/athletes/{zoe}", "/alerts"])
def test_every_page_fits_a_phone(server: Server, club: Cli, browser, path: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        page.goto(server.base + path.format(**_ids(club)) + f"?as_of={AS_OF}")
        layout = page.evaluate(LAYOUT_PROBE)
        assert layout["scroll"] <= layout["width"], layout
        assert layout["small"] == []
    finally:
        page.close()


def test_names_are_text_never_markup(club: Cli, tmp_path: Path, browser) -> None:
    start = datetime(2026, 11, 7, 7, 0, tzinfo=UTC)
    points = "".join(
        f'<trkpt lat="{52.5 + i * 30 / 111_320:.7f}" lon="13.4"><time>'
        f"{(start + timedelta(seconds=10 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
        for i in range(120)
    )
    name = SCRIPT.replace("<", "&lt;").replace(">", "&gt;")
    (tmp_path / "evil.gpx").write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        f'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>{name}</name>'
        f"<type>running</type><trkseg>{points}</trkseg></trk></gpx>"
    )
    club("athletes", "add", SCRIPT, "--tz", "UTC")
    club("import", str(tmp_path / "evil.gpx"), "--athlete", SCRIPT)
    server = Server(str(club.db))
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/")
        assert SCRIPT in page.locator("#team").inner_text()
        evil = _ids(club)[SCRIPT]
        page.goto(f"{server.base}/athletes/{evil}")
        assert SCRIPT in page.locator("h1").inner_text()
        assert SCRIPT in page.locator("#activities-table").inner_text()
        assert page.evaluate("window.pwned") is None
        assert page.locator("script").count() == 0
    finally:
        page.close()
        server.stop()


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_the_token_guards_every_request(club: Cli) -> None:
    server = Server(str(club.db), env={"LOADWATCH_WEB_TOKEN": TOKEN})
    try:
        assert _get(f"{server.base}/") == 401
        assert _get(f"{server.base}/alerts", {"Authorization": "Bearer wrong"}) == 401
        assert _get(f"{server.base}/", {"Authorization": f"Bearer {TOKEN}"}) == 200
        basic = base64.b64encode(f"coach:{TOKEN}".encode()).decode()
        assert _get(f"{server.base}/alerts", {"Authorization": f"Basic {basic}"}) == 200
    finally:
        server.stop()


def test_another_address_needs_a_token(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LOADWATCH_WEB_TOKEN", raising=False)
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "lw.db"), "web", "--host", "0.0.0.0", "--port", "1"]
    )
    assert result.exit_code == 2 and "LOADWATCH_WEB_TOKEN" in result.stderr


def test_edits_need_the_csrf_token_and_read_only_refuses_them(club: Cli, browser) -> None:
    zoe = _ids(club)["zoe"]
    (run, *_) = club.json("activities", "--athlete", "zoe")
    server = Server(str(club.db))
    page = browser.new_page()
    try:
        forged = page.request.post(
            f"{server.base}/activities/{run['id']}/exclude", form={"reason": "forged"}
        )
        assert forged.status == 403
    finally:
        page.close()
        server.stop()
    server = Server(str(club.db), "--read-only")
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/athletes/{zoe}")
        assert page.locator("form[method=post]").count() == 0
        assert "Read-only" in page.inner_text("body")
        refused = page.request.post(
            f"{server.base}/activities/{run['id']}/exclude", form={"csrf": "x", "reason": "no"}
        )
        assert refused.status == 403
    finally:
        page.close()
        server.stop()
    assert not any(a["excluded"] for a in club.json("activities", "--athlete", "zoe"))
