from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from loadwatch.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
CORPUS = DATA / "corpus"
REFERENCE = DATA / "reference"
SAMPLES = REPO / "sample_activities"


def expected_rows() -> list[dict]:
    with open(CORPUS / "expected.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(autouse=True)
def machine_zone_utc(monkeypatch) -> None:
    """`athletes add` without --tz takes this machine's zone: the tests' machine is in UTC
    wherever they run (a test that needs another zone sets TZ itself)."""
    monkeypatch.setenv("TZ", "UTC")


BACKENDS = ["sqlite", "postgres"]
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL server for the whole run (the pgserver wheel starts it as any user).

    It is never skipped: a machine where it cannot start fails these tests.
    """
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server
    server.cleanup()


def new_pg_database(server) -> str:
    """A fresh, empty database on the test server; its URL."""
    import psycopg

    name = f"lw_{next(_databases)}"
    admin = server.get_uri()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    head, _, query = admin.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}?{query}"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path: Path) -> str:
    """Each test that takes it runs twice: on a SQLite file and on a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "lw.db")
    return new_pg_database(request.getfixturevalue("pg_server"))


class Cli:
    """Runs the real `loadwatch` command against one database (a file path or a URL)."""

    def __init__(self, db: Path | str):
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int | None = 0):
        result = self.runner.invoke(main, ["--db", str(self.db), *args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
        return result

    def json(self, *args: str, code: int | None = 0):
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url)


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    """For what only a file can show: its path, its journal mode, a file that is not SQLite."""
    return Cli(tmp_path / "lw.db")


# The environment variable the test configs name for the SMTP password (see smtp_server.py).
ENV = "LW_TEST_SMTP_PASSWORD"


@pytest.fixture
def smtp(tmp_path: Path):
    """A real SMTP server (aiosmtpd, STARTTLS and AUTH) on 127.0.0.1 for one test."""
    from .smtp_server import SmtpServer

    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def ana(cli: Cli) -> Cli:
    cli("athletes", "add", "ana", "--email", "ana@example.com", "--tz", "Europe/Berlin")
    return cli


BROWSER_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download). CI installs chromium
    (.ci/run), so there a missing browser fails instead of skipping."""
    import os

    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium on a CI machine: .ci/run should have installed it")
        pytest.skip("no chromium installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=BROWSER_FLAGS)
        yield b
        b.close()


# What a page must pass at a phone's and a desktop's width: nothing wider than the screen, and
# no text under 12 px (chart text inside SVG excepted: the chart scrolls in its own box).
LAYOUT_PROBE = """() => {
  const small = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg')) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 12) small.push(el.tagName + ' ' + size + ' ' + el.textContent.trim().slice(0, 40));
  }
  return {scroll: document.documentElement.scrollWidth, width: window.innerWidth, small};
}"""
