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


@pytest.fixture
def ana(cli: Cli) -> Cli:
    cli("athletes", "add", "ana", "--email", "ana@example.com", "--tz", "Europe/Berlin")
    return cli
