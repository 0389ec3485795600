"""`loadwatch sync`: watches mounted as USB storage, faked as folder trees holding real FIT files
(a Garmin fenix 5 mounted as a drive, a fenix 2 through the desktop's MTP mount)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import REPO, Cli

FIT = REPO / "tests" / "data" / "corpus" / "fit"
FENIX5 = "3945849289"  # file_id.serial_number of the three garmin-fenix-5-*.fit files
FENIX2 = "3882015183"  # activity-small-fenix2-run.fit


def _fenix5(media: Path) -> Path:
    """A fenix 5 as udisks mounts it: /media/<user>/GARMIN/GARMIN/Activity."""
    folder = media / "ana" / "GARMIN" / "GARMIN" / "Activity"
    folder.mkdir(parents=True)
    for kind in ("run", "walk", "bike"):
        shutil.copy(FIT / f"garmin-fenix-5-{kind}.fit", folder)
    settings = media / "ana" / "GARMIN" / "GARMIN" / "Settings"
    settings.mkdir()
    (settings / "Settings.fit").write_bytes(b"not an activity folder")
    return folder


def _fenix2_mtp(gvfs: Path) -> Path:
    """The same through MTP, as gvfs shows it (upper-case ACTIVITY, as some models write)."""
    folder = gvfs / "mtp:host=091e_4b48_0000c8ab3f2a" / "Primary" / "GARMIN" / "ACTIVITY"
    folder.mkdir(parents=True)
    shutil.copy(FIT / "activity-small-fenix2-run.fit", folder)
    return folder


def _config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        f"""
[sync]
mount_roots = ["{tmp_path / "media"}", "{tmp_path / "gvfs"}"]
[[athletes]]
name = "ana"
[[athletes]]
name = "kai"
{extra}
"""
    )
    return cfg


def test_a_watch_is_asked_about_once_then_known_by_its_serial_and_synced_once(
    db_url: str, tmp_path: Path
) -> None:
    cli = Cli(db_url)
    cfg = str(_config(tmp_path))
    (tmp_path / "media").mkdir()
    (tmp_path / "gvfs").mkdir()
    assert cli("--config", cfg, "sync").stderr.startswith("no watch found")
    folder = _fenix5(tmp_path / "media")
    # Two athletes, a watch never seen: whose is it? Nothing imported until it is said.
    r = cli("--config", cfg, "sync", code=2)
    assert r.stderr == (
        f"error: unknown watch (serial {FENIX5}) at {folder}: say whose it is with "
        "'loadwatch sync --athlete NAME' (ana, kai); it is remembered after that\n"
    )
    assert cli.json("activities", "--athlete", "ana") == []
    r = cli("--config", cfg, "sync", "--athlete", "ana")
    assert r.stdout == (
        f"watch {FENIX5} of ana at {folder}: 3 imported (3 activities), 0 duplicates, "
        "0 unchanged, 0 skipped, 0 failed\n"
    )
    # Known by its serial now: no --athlete needed, and nothing is read twice.
    out = json.loads(cli("--config", cfg, "sync", "--json").stdout)["watches"]
    assert [(w["serial"], w["athlete"], w["imported"], w["unchanged"]) for w in out] == [
        (FENIX5, "ana", 0, 3)
    ]
    # A second watch appears through MTP: the known one syncs, the unknown one asks (exit 2).
    mtp = _fenix2_mtp(tmp_path / "gvfs")
    shutil.copy(FIT / "garmin-fenix-5-run.fit", folder / "copy-of-run.fit")
    r = cli("--config", cfg, "sync", code=2)
    assert f"watch {FENIX5} of ana at {folder}: 0 imported (0 activities), 1 duplicates" in r.stdout
    assert f"unknown watch (serial {FENIX2}) at {mtp}" in r.stderr
    # --athlete claims the unknown watch and leaves ana's alone.
    out = json.loads(cli("--config", cfg, "sync", "--athlete", "kai", "--json").stdout)
    assert [(w["serial"], w["athlete"], w["imported"]) for w in out["watches"]] == [
        (FENIX2, "kai", 1)
    ]
    assert len(cli.json("activities", "--athlete", "ana")) == 3
    assert len(cli.json("activities", "--athlete", "kai")) == 1
    r = cli("--config", cfg, "sync")  # both known: exit 0
    assert r.stdout.count("0 imported") == 2


def test_a_folder_named_in_the_config_is_that_athletes_watch_and_dedupes_against_the_inbox(
    sqlite_cli: Cli, tmp_path: Path
) -> None:
    coros = tmp_path / "COROS"  # a watch without GARMIN/Activity: the config names the folder
    coros.mkdir()
    shutil.copy(FIT / "garmin-fenix-5-run.fit", coros)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIT / "garmin-fenix-5-run.fit", inbox / "same-run.fit")
    (tmp_path / "media").mkdir()
    cfg = str(_config(tmp_path, f'devices = ["{coros}"]\ninbox = "{inbox}"'))
    sqlite_cli("--config", cfg, "check", "--dry-run")  # the inbox first: the run is there once
    r = sqlite_cli("--config", cfg, "sync")
    assert r.stdout.startswith(
        f"watch {FENIX5} of kai at {coros}: 0 imported (0 activities), 1 duplicates"
    )
    assert len(sqlite_cli.json("activities", "--athlete", "kai", "--all")) == 1
