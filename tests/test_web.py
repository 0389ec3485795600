"""`loadwatch web` as a person uses it: the real server (uvicorn) in its own process, driven in
Debian's Chromium through Playwright, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
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
    def __init__(
        self,
        db: str,
        *extra: str,
        env: dict[str, str] | None = None,
        config: Path | None = None,
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "loadwatch", "--db", db]
        cmd += ["--config", str(config)] if config else []
        cmd += ["web", "--port", str(self.port)]
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

    def stop(self) -> str:
        """Stops the server; what it wrote on stderr."""
        self.proc.terminate()
        return self.proc.communicate(timeout=15)[1]


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


def test_an_exclude_on_a_runs_page_changes_the_weekly_total(
    server: Server, club: Cli, browser
) -> None:
    zoe = _ids(club)["zoe"]
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        assert _week_km(page, "2026-11-02") == "48.0"
        page.locator("#activities-table a", has_text="2026-11-08 06:30").click()
        page.wait_for_load_state()
        page.locator("input[name=reason]").fill("watch left running")
        page.locator("button", has_text="exclude").click()
        page.wait_for_load_state()
        page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        assert _week_km(page, "2026-11-02") == "32.0"  # the 16 km run no longer counts
        again = page.locator("#activities-table tr", has_text="2026-11-08 06:30")
        assert "excluded (watch left running)" in again.inner_text()
        again.locator("a").first.click()
        page.wait_for_load_state()
        page.locator("button", has_text="include").click()
        page.wait_for_load_state()
        page.goto(f"{server.base}/athletes/{zoe}?as_of={AS_OF}")
        assert _week_km(page, "2026-11-02") == "48.0"
    finally:
        page.close()
    # The same operation as the CLI: the command line sees it too.
    assert not any(a["excluded"] for a in club.json("activities", "--athlete", "zoe"))


@pytest.mark.parametrize("path", ["/", "/athletes/{zoe}", "/alerts", "/activities/{run}"])
def test_every_page_fits_a_phone(server: Server, club: Cli, browser, path: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        run = club.json("activities", "--athlete", "ada")[0]["id"]
        page.goto(server.base + path.format(**_ids(club), run=run) + f"?as_of={AS_OF}")
        layout = page.evaluate(LAYOUT_PROBE)
        assert layout["scroll"] <= layout["width"], layout
        assert layout["small"] == []
    finally:
        page.close()


def _chart(url: str, etag: str | None = None) -> tuple[int, str, str, bytes]:
    """(status, content type, ETag, body) of a chart."""
    headers = {"If-None-Match": etag} if etag else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            return r.status, r.headers["content-type"], r.headers["etag"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["content-type"], e.headers["etag"] or "", e.read()


def test_an_athlete_pages_charts_follow_it_and_follow_its_data(server: Server, club: Cli) -> None:
    """The page answers without drawing its charts (most of its time: 0.7 s of matplotlib for a
    10-year runner); each is its own request, drawn once per revision of the runner's data."""
    ids = _ids(club)
    page_url = f"{server.base}/athletes/{ids['zoe']}?as_of={AS_OF}"
    status, html = _request(page_url)
    assert status == 200 and not re.search(r"<figure[^>]*>\s*<svg", html)
    sources = re.findall(r"<figure><img src='([^']+)' alt='([^']+)'></figure>", html)
    names = [urllib.parse.urlsplit(s).path.rsplit("/", 1)[1] for s, _ in sources]
    assert names == ["weekly.svg", "spikes.svg", "load.svg", "ratio.svg"], names  # no shoes
    assert "Acute and chronic load" in dict(sources).values()  # what a screen reader says
    assert all(s.endswith(f"?as_of={AS_OF}") for s, _ in sources)  # the page's day, not "today"
    tags = {}
    for src, _ in sources:
        status, kind, etag, body = _chart(server.base + src)
        assert status == 200 and kind == "image/svg+xml" and body.startswith(b"<svg"), src
        assert b'xmlns="http://www.w3.org/2000/svg"' in body[:300]  # an image file of its own
        assert _chart(server.base + src, etag)[0] == 304  # the browser's copy is current
        tags[src] = etag
    weekly = next(s for s, _ in sources if "/weekly.svg" in s)
    assert b">Weekly distance (km, Monday to Sunday" in _chart(server.base + weekly)[3]
    # A change to the data: the page and its charts are drawn again, not served as they were.
    (run,) = [
        r
        for r in club.json("activities", "--athlete", "zoe")
        if r["distance_m"] == 16000.0 and r["day"] == "2026-11-08"
    ]
    club("activities", "exclude", str(run["id"]), "--reason", "watch left running")
    status, kind, etag, body = _chart(server.base + weekly, tags[weekly])
    assert status == 200 and etag != tags[weekly]
    # A reader who switches to miles gets a page and charts in miles (the unit is no data
    # revision: it is part of what the report is kept by).
    club("athletes", "edit", "zoe", "--units", "mi")
    status, html = _request(page_url)
    assert "pace /mi" in html and "weekly.svg" in html
    status, _, etag_mi, body_mi = _chart(server.base + weekly)
    assert status == 200 and etag_mi != etag
    assert b">Weekly distance (mi, Monday to Sunday" in body_mi and b"(km," not in body_mi
    # Charts that do not exist: an unknown name, or shoes for a runner who has none.
    assert _chart(f"{server.base}/athletes/{ids['zoe']}/charts/pie.svg")[0] == 404
    assert _chart(f"{server.base}/athletes/{ids['zoe']}/charts/shoes.svg?as_of={AS_OF}")[0] == 404
    assert _chart(f"{server.base}/athletes/{ids['ada']}/charts/load.svg?as_of=x")[0] == 400


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


def _request(
    url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """(status, body) of a GET, or of a form POST with `data`; redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _csrf(page_html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page_html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_a_page_for_another_host_name_is_refused(server: Server, club: Cli) -> None:
    """DNS rebinding: a page served as evil.example (pointed at 127.0.0.1) must not get the
    dashboard, nor its CSRF token; the loopback names and the bound address still work."""
    zoe = _ids(club)["zoe"]
    page = f"{server.base}/athletes/{zoe}"
    status, body = _request(page, headers={"Host": f"evil.example:{server.port}"})
    assert status == 400 and "evil.example" in body and 'name="csrf"' not in body
    assert _request(page, headers={"Host": "evil.example"})[0] == 400
    for host in ("127.0.0.1", "localhost", "[::1]"):
        assert _request(page, headers={"Host": f"{host}:{server.port}"})[0] == 200, host


def test_a_change_from_another_origin_is_refused(server: Server, club: Cli) -> None:
    """A POST carrying a valid CSRF token still needs this dashboard's own Origin (or Referer)."""
    (run, *_) = club.json("activities", "--athlete", "zoe")
    token = _csrf(_request(f"{server.base}/activities/{run['id']}")[1])  # its edit forms
    url = f"{server.base}/activities/{run['id']}/exclude"
    form = {"csrf": token, "reason": "forged"}
    assert _request(url, form, {"Origin": "http://evil.example"})[0] == 403
    assert _request(url, form, {"Origin": "null"})[0] == 403
    assert _request(url, form, {"Referer": "http://evil.example/page"})[0] == 403
    assert _request(url, form)[0] == 403  # neither header: not from a page of this dashboard
    rebound = {"Host": "evil.example", "Origin": "http://evil.example"}
    assert _request(url, form, rebound)[0] == 400
    assert not any(a["excluded"] for a in club.json("activities", "--athlete", "zoe"))
    own = {"Origin": server.base}
    assert _request(url, form | {"reason": "own page"}, own)[0] == 303
    (after, *_) = club.json("activities", "--athlete", "zoe")
    assert after["excluded"]


def test_the_public_url_is_the_one_more_name(club: Cli, tmp_path: Path) -> None:
    """Behind a proxy (https://coach.example.org) that passes the Host on or not: both work."""
    config = tmp_path / "lw.toml"
    config.write_text('[web]\npublic_url = "https://Coach.Example.org/"\n')
    (run, *_) = club.json("activities", "--athlete", "zoe")
    server = Server(str(club.db), config=config)
    try:
        page = f"{server.base}/activities/{run['id']}"
        status, body = _request(page, headers={"Host": "coach.example.org"})
        assert status == 200
        assert _request(page, headers={"Host": "other.example.org"})[0] == 400
        url = f"{server.base}/activities/{run['id']}/exclude"
        form = {"csrf": _csrf(body), "reason": "proxied"}
        assert _request(url, form, {"Origin": "https://coach.example.org.evil"})[0] == 403
        assert _request(url, form, {"Origin": "https://coach.example.org"})[0] == 303
    finally:
        server.stop()


def test_out_of_range_ids_are_not_found(server: Server, club: Cli) -> None:
    """Ids beyond 64 bits overflowed the database driver: a 500 with a traceback in the log."""
    huge = "99999999999999999999999"
    (run, *_) = club.json("activities", "--athlete", "zoe")
    token = _csrf(_request(f"{server.base}/activities/{run['id']}")[1])
    own = {"Origin": server.base}
    try:
        for path in (
            f"/athletes/{huge}",
            f"/athletes/{2**63}",
            f"/athletes/{2**63 - 1}",
            f"/activities/{huge}",
            f"/activities/{2**63 - 1}",
            f"/athletes/{huge}/charts/weekly.svg",
            f"/athletes/{2**63 - 1}/charts/load.svg",
        ):
            status, body = _request(server.base + path)
            assert status == 404 and "Internal Server Error" not in body, path
        for action in ("exclude", "sport"):
            url = f"{server.base}/activities/{huge}/{action}"
            assert _request(url, {"csrf": token, "sport": "running"}, own)[0] == 404
        assert (
            _request(f"{server.base}/activities/{2**63 - 1}/exclude", {"csrf": token}, own)[0]
            == 404
        )
    finally:
        log = server.stop()
    assert "Traceback" not in log, log


def test_a_coach_name_in_the_sort_links_stays_one_parameter(
    club: Cli, tmp_path: Path, browser
) -> None:
    coach = "Kim & Co #1 <b>"
    config = tmp_path / "lw.toml"
    config.write_text(
        f'[[coaches]]\nname = {coach!r}\nemail = "kim@example.com"\nathletes = ["zoe"]\n'.replace(
            "'", '"'
        )
    )
    server = Server(str(club.db), config=config)
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/?{urllib.parse.urlencode({'coach': coach, 'as_of': AS_OF})}")
        assert page.locator("h1").inner_text() == f"Team: {coach}'s athletes"
        page.click("#team th a:text-is('athlete')")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == f"Team: {coach}'s athletes"
        assert page.locator("#team tbody tr td:first-child a").all_inner_texts() == ["zoe"]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
        assert query == {"sort": ["athlete"], "coach": [coach], "as_of": [AS_OF]}
    finally:
        page.close()
        server.stop()


def _files(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under a folder: (mtime_ns, size, sha256)."""
    return {
        str(p.relative_to(folder)): (
            p.stat().st_mtime_ns,
            p.stat().st_size,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _web_start(*args: str) -> subprocess.CompletedProcess:
    """`loadwatch ... web` that is expected to stop at start-up (a bad database)."""
    cmd = [sys.executable, "-m", "loadwatch", *args[:-1], "web", "--port", str(free_port())]
    return subprocess.run([*cmd, args[-1]], capture_output=True, text=True, timeout=60)


def test_read_only_writes_nothing_to_a_real_file(tmp_path: Path) -> None:
    """`web --read-only` added the config's athletes, migrated an old database and created a
    missing one (.db, -wal, -shm). Now the folder is byte for byte the same after it served."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "lw.db"
    cli = Cli(db)
    cli("athletes", "add", "zoe", "--tz", "Europe/Berlin")
    cli("import", str(SAMPLES / "demo-runner" / "2026-09-01-0630-running.fit"), "--athlete", "zoe")
    config = tmp_path / "lw.toml"
    config.write_text('[[athletes]]\nname = "newcomer"\ntz = "UTC"\n')
    before = _files(folder)
    assert list(before) == ["lw.db"]  # SQLite removed its WAL files on close
    time.sleep(0.05)  # a later write would show in the mtime
    server = Server(str(db), "--read-only", config=config)
    try:
        status, body = _request(f"{server.base}/")
        assert status == 200 and "zoe" in body and "newcomer" not in body
        zoe = _ids(cli)["zoe"]
        assert _request(f"{server.base}/athletes/{zoe}")[0] == 200
        assert _request(f"{server.base}/alerts")[0] == 200
    finally:
        log = server.stop()
    assert "Traceback" not in log
    assert _files(folder) == before


def test_read_only_refuses_a_missing_or_old_database(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "lw.db"
    run = _web_start("--db", str(missing), "--read-only")
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and "no database at" in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []  # neither the folder nor the file, -wal or -shm
    # An older database is not upgraded behind a read-only promise.
    db = tmp_path / "old.db"
    Cli(db)("athletes", "add", "zoe", "--tz", "UTC")
    import sqlite3

    with sqlite3.connect(db) as conn:
        last = conn.execute("SELECT max(name) FROM schema_migrations").fetchone()[0]
        conn.execute("DELETE FROM schema_migrations WHERE name = ?", (last,))
    conn.close()
    before = _files(tmp_path)
    run = _web_start("--db", str(db), "--read-only")
    assert run.returncode == 1 and "older loadwatch" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert _files(tmp_path) == before


def test_read_only_on_postgresql_creates_and_adds_nothing(pg_server, tmp_path: Path) -> None:
    import psycopg

    from .conftest import new_pg_database

    empty = new_pg_database(pg_server)
    run = _web_start("--db", empty, "--read-only")
    assert run.returncode == 1 and "not a loadwatch database" in run.stderr, run.stderr
    with psycopg.connect(empty) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)
    url = new_pg_database(pg_server)
    Cli(url)("athletes", "add", "zoe", "--tz", "UTC")
    config = tmp_path / "lw.toml"
    config.write_text('[[athletes]]\nname = "newcomer"\ntz = "UTC"\n')
    server = Server(url, "--read-only", config=config)
    try:
        status, body = _request(f"{server.base}/")
        assert status == 200 and "zoe" in body and "newcomer" not in body
    finally:
        server.stop()
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM athletes")]
    assert names == ["zoe"]
