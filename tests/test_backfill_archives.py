"""`activities backfill` for runs imported from an archive (a Strava or Garmin account export): their
signals come back from the archive's members, read as the import read them, only while the archive
and each member still hold the bytes imported; on SQLite and PostgreSQL.

The exports are the real ones tests/exports.py builds around corpus files; the expected values are
what a fresh import of the same export stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadwatch.store import open_store

from .conftest import Cli
from .exports import garmin_export, strava_export

SIGNALS = ("step_rate_spm", "ascent_m", "descent_m", "avg_pace_s_per_km", "hr_drift_pct")
# Rows without a recording: Strava's activities.csv row of a run typed in, Garmin's summaries of
# runs whose file is not in the export.
FROM_A_SUMMARY = ("!activities.csv#", "!summarizedActivities#")


def _from_a_summary(source_path: str) -> bool:
    return any(mark in source_path for mark in FROM_A_SUMMARY)


def _as_if_stored_before(db: str | Path) -> None:
    """Rows as an older loadwatch stored them: none of the signals (migrations 0012/0014 add
    the columns NULL)."""
    with open_store(db) as store, store.transaction():
        store.db.execute(f"UPDATE activities SET {', '.join(f'{c} = NULL' for c in SIGNALS)}")


def _rows(cli: Cli) -> dict[int, dict]:
    return {r["id"]: r for r in cli.json("activities", "--athlete", "ana", "--all")}


def _revision(db: str | Path) -> int:
    with open_store(db) as store:
        state = store.snapshots.get(store.athletes.named("ana").id)
        assert state is not None
        return state.revision


@pytest.fixture
def exports(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    cli("athletes", "add", "ana", "--tz", "UTC")
    strava = strava_export(tmp_path / "export_1234.zip")
    garmin = garmin_export(tmp_path / "garmin.zip")
    cli("import", str(strava), str(garmin), "--athlete", "ana")
    return strava, garmin


def test_runs_from_exports_get_their_signals_back_from_their_members(
    cli: Cli, exports: tuple[Path, Path]
) -> None:
    fresh = _rows(cli)
    from_members = [i for i, r in fresh.items() if not _from_a_summary(r["source_path"])]
    # 6 Strava members (one of them a triathlon of 5 sessions) and 2 Garmin FIT files in a zip
    # inside the export; the Strava run typed in and two Garmin summaries have no file.
    assert (len(fresh), len(from_members)) == (15, 12)
    assert any("UploadedFiles_0-_Part1.zip!" in fresh[i]["source_path"] for i in from_members)
    assert sum(fresh[i]["step_rate_spm"] is not None for i in from_members) == 5
    _as_if_stored_before(cli.db)
    assert all(r[k] is None for r in _rows(cli).values() for k in SIGNALS)

    said = cli("activities", "backfill", "--athlete", "ana")
    assert said.stdout == (
        "ana: 12 of 15 runs with a signal unknown filled from their files; 3 without a file "
        "(typed in or from an account)\n"
    )
    now = _rows(cli)
    for i in from_members:  # as a fresh import stored them, every field
        assert now[i] == pytest.approx(fresh[i]), fresh[i]["source_path"]
    for i in set(fresh) - set(from_members):  # nothing to read: the columns stay unknown
        assert all(now[i][k] is None for k in SIGNALS), fresh[i]["source_path"]
        assert now[i] == {**fresh[i], **dict.fromkeys(SIGNALS)}

    # Again: what is still unknown is unknown in the files too; nothing is written.
    revision = _revision(cli.db)
    said = cli("activities", "backfill")
    assert said.stdout == (
        "ana: 0 of 10 runs with a signal unknown filled from their files; 7 read again, their "
        "files have no more; 3 without a file (typed in or from an account)\n"
    )
    assert _rows(cli) == now
    assert _revision(cli.db) == revision  # no row touched: the athlete's state stays current


def test_a_changed_or_gone_archive_is_reported_and_fills_nothing(
    cli: Cli, exports: tuple[Path, Path]
) -> None:
    strava, garmin = exports
    _as_if_stored_before(cli.db)
    before = _rows(cli)
    # A newer export downloaded over the old one: the same members, other bytes as a whole.
    strava_export(strava, extra_members={"media/new.jpg": b"\xff\xd8 a photo"})
    garmin.unlink()  # moved away since

    said = cli("activities", "backfill", "--athlete", "ana")
    assert said.stdout == (
        "ana: 0 of 15 runs with a signal unknown filled from their files; 3 without a file "
        "(typed in or from an account); could not read 12: 10 archive "
        f"{strava.name!r} changed since it was imported, 2 archive {garmin.name!r} gone\n"
    )  # which archive, by name: the runner can put it back
    assert _rows(cli) == before


def test_a_member_whose_bytes_are_not_the_runs_is_not_read_into_it(
    cli: Cli, exports: tuple[Path, Path], tmp_path: Path
) -> None:
    """The archive is the one imported, but a run's stored hash names other bytes than its
    member's (as a row of another version of that member would): that run is left alone, the
    archive's other runs are filled."""
    _as_if_stored_before(cli.db)
    before = _rows(cli)
    (other,) = [i for i, r in before.items() if r["source_path"].endswith("!activities/102.fit")]
    with open_store(cli.db) as store, store.transaction():
        store.db.execute("UPDATE activities SET content_hash = ? WHERE id = ?", ("0" * 64, other))

    said = cli("activities", "backfill", "--athlete", "ana")
    assert said.stdout == (
        "ana: 11 of 15 runs with a signal unknown filled from their files; 3 without a file "
        "(typed in or from an account); could not read 1: 1 archive member changed since it "
        "was imported\n"
    )
    assert all(_rows(cli)[other][k] is None for k in SIGNALS)


def test_the_import_caps_apply_to_the_archive_read_again(
    cli: Cli, exports: tuple[Path, Path], tmp_path: Path
) -> None:
    """The archive is read through the caps the import applies now: with zips inside zips
    refused, the Garmin files in the export's inner zip are not read (and said so); the rest
    is filled."""
    _as_if_stored_before(cli.db)
    config = tmp_path / "loadwatch.toml"
    config.write_text("[import]\nmax_archive_depth = 1\n")
    said = cli("--config", str(config), "activities", "backfill", "--athlete", "ana")
    assert said.stdout == (
        "ana: 10 of 15 runs with a signal unknown filled from their files; 3 without a file "
        "(typed in or from an account); could not read 2: 2 file unreadable (archive nested "
        "deeper than 1 levels; refused)\n"
    )
    garmin = [r for r in _rows(cli).values() if "UploadedFiles_0-_Part1.zip!" in r["source_path"]]
    assert len(garmin) == 2 and all(r[k] is None for r in garmin for k in SIGNALS)
