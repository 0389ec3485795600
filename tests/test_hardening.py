"""Issue 21 (hardening): what broke when loadwatch was tried as a runner, a coach and an attacker
would. Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from loadwatch.cli import main


def _home(tmp_path: Path, monkeypatch) -> Path:
    """A machine whose default locations are inside the test's folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("LOADWATCH_DB", raising=False)
    monkeypatch.delenv("LOADWATCH_CONFIG", raising=False)
    return home


def test_store_database_in_the_config_is_the_database(tmp_path: Path, monkeypatch) -> None:
    """A coach's config names the club's file: every command uses it, not the default one."""
    home = _home(tmp_path, monkeypatch)
    club = tmp_path / "club" / "club.db"
    club.parent.mkdir()
    config = tmp_path / "coach.toml"
    config.write_text(f'[store]\ndatabase = "{club}"\n')
    runner = CliRunner()
    args = ["--config", str(config)]
    result = runner.invoke(main, [*args, "athletes", "add", "ben", "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    assert club.exists()
    assert not (home / "data" / "loadwatch" / "loadwatch.db").exists()
    listed = runner.invoke(main, [*args, "athletes", "list"])
    assert "ben" in listed.stdout
    paths = runner.invoke(main, [*args, "paths"]).stdout
    assert f"database: {club}  (config store.database)" in paths
    # The flag still wins over the config.
    other = tmp_path / "other.db"
    runner.invoke(main, ["--db", str(other), *args, "athletes", "add", "eve", "--tz", "UTC"])
    assert "eve" not in runner.invoke(main, [*args, "athletes", "list"]).stdout
    assert other.exists()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
