from __future__ import annotations

import csv
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


class Cli:
    """Runs the real `loadwatch` command against one database file."""

    def __init__(self, db: Path):
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
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "lw.db")


@pytest.fixture
def ana(cli: Cli) -> Cli:
    cli("athletes", "add", "ana", "--email", "ana@example.com", "--tz", "Europe/Berlin")
    return cli
