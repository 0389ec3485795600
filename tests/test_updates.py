"""A change asked for is the change made, and it lasts: `shoes add --update` changes only what is
typed, and what the config file sets (its sync writes it again at every command) is refused
where it is typed, naming the file and the key, while what the config leaves alone sticks.
Through the real command, on both backends."""

from __future__ import annotations

from pathlib import Path

from .conftest import Cli
from .test_check import ConfiguredCli


def _shoes(cli: Cli, athlete: str) -> dict[str, tuple]:
    return {
        s["name"]: (s["km"], s["warn_km"], s["retire_km"], s["default_for"], s["retired"])
        for s in cli.json("shoes", "list", "--athlete", athlete)
    }


def _athlete(cli: Cli, name: str) -> dict:
    return next(a for a in cli.json("athletes", "list") if a["name"] == name)


def test_a_shoe_update_changes_only_what_is_typed(ana: Cli) -> None:
    ana("shoes", "add", "Peg", "--start-km", "100", "--warn-km", "500", "--retire-km", "600",
        "--default")  # fmt: skip
    ana("shoes", "add", "Peg", "--update", "--start-km", "120")
    assert _shoes(ana, "ana")["Peg"] == (120.0, 500.0, 600.0, "running", False)
    ana("shoes", "add", "Peg", "--update", "--warn-mi", "300")  # 482,803 m
    assert _shoes(ana, "ana")["Peg"] == (120.0, 482.803, 600.0, "running", False)
    ana("shoes", "add", "Peg", "--update", "--retire-km", "650", "--default-for", "trail")
    assert _shoes(ana, "ana")["Peg"] == (120.0, 482.803, 650.0, "trail", False)
    # Judged against what is stored: a warn distance past the stored retire distance.
    low = ana("shoes", "add", "Peg", "--update", "--warn-km", "700", code=2)
    assert low.stderr == (
        "error: shoe 'Peg': its retire distance (650.0 km) must not be below its warn distance "
        "(700.0 km): give --warn-km and --retire-km together\n"
    )
    assert _shoes(ana, "ana")["Peg"] == (120.0, 482.803, 650.0, "trail", False)
    ana("shoes", "add", "Peg", "--update", "--warn-km", "700", "--retire-km", "900")
    assert _shoes(ana, "ana")["Peg"] == (120.0, 700.0, 900.0, "trail", False)
    # --update of a shoe she does not have (a name typed wrong) adds none; a new shoe gets the
    # defaults for what is not typed.
    typo = ana("shoes", "add", "Pge", "--update", "--start-km", "5", code=2)
    assert typo.stderr == "error: ana has no shoe 'Pge' to update (without --update it is added)\n"
    assert "Pge" not in _shoes(ana, "ana")
    ana("shoes", "add", "Clifton", "--retire-km", "700")
    assert _shoes(ana, "ana")["Clifton"] == (0.0, 640.0, 700.0, None, False)
    past = ana("shoes", "add", "Kinvara", "--warn-km", "900", code=2)
    assert "its retire distance (800.0 km) must not be below its warn distance (900.0 km)" in (
        past.stderr
    )
    assert "Kinvara" not in _shoes(ana, "ana")


CONFIG = """\
[[athletes]]
name = "zoe"
tz = "Europe/Berlin"
units = "km"
resting_hr = 50
  [[athletes.shoes]]
  name = "Nova"
  start_km = 100
  default_for = "running"
  [[athletes.shoes]]
  name = "Old"
  retired = true
  [[athletes.shoes]]
  name = "Free"
[[athletes]]
name = "kai"
"""


def test_what_the_config_sets_is_refused_with_its_file_and_key(db_url, tmp_path: Path) -> None:
    cfg = tmp_path / "lw.toml"
    cfg.write_text(CONFIG)
    cli = ConfiguredCli(db_url, cfg)

    units = cli("athletes", "edit", "zoe", "--units", "mi", code=2)
    assert units.stderr == (
        f"error: zoe's units are set in {cfg} ([[athletes]] units); change them there\n"
    )
    both = cli("athletes", "edit", "zoe", "--tz", "UTC", "--resting-hr", "55", code=2)
    assert both.stderr == (
        f"error: zoe's time zone and resting heart rate are set in {cfg} ([[athletes]] tz, "
        "resting_hr); change them there\n"
    )
    # `athletes add --update` is an edit too; kai's file entry has no tz: UTC is the config's.
    hr = cli("athletes", "add", "zoe", "--update", "--resting-hr", "49", code=2)
    assert hr.stderr == (
        f"error: zoe's resting heart rate is set in {cfg} ([[athletes]] resting_hr); "
        "change it there\n"
    )
    tz = cli("athletes", "edit", "kai", "--tz", "Asia/Tokyo", code=2)
    assert f"kai's time zone is set in {cfg} ([[athletes]] tz)" in tz.stderr
    zoe = _athlete(cli, "zoe")
    assert (zoe["units"], zoe["tz"], zoe["resting_hr"]) == ("km", "Europe/Berlin", 50)

    # What the file leaves out is the database's, and stays as edited at the next command;
    # the config's own value may be typed again (it changes nothing).
    cli("athletes", "edit", "zoe", "--email", "zoe@example.com", "--max-hr", "190",
        "--units", "km")  # fmt: skip
    cli("athletes", "add", "zoe", "--update", "--sex", "female")
    cli("athletes", "edit", "kai", "--units", "mi")
    zoe, kai = _athlete(cli, "zoe"), _athlete(cli, "kai")
    assert (zoe["email"], zoe["max_hr"], zoe["sex"], zoe["units"]) == (
        "zoe@example.com", 190, "female", "km",
    )  # fmt: skip
    assert (kai["units"], kai["tz"]) == ("mi", "UTC")
    # An athlete the config does not name is the database's alone.
    cli("athletes", "add", "ben", "--tz", "UTC")
    cli("athletes", "edit", "ben", "--units", "mi", "--tz", "Europe/Paris")
    assert (_athlete(cli, "ben")["units"], _athlete(cli, "ben")["tz"]) == ("mi", "Europe/Paris")

    # The config's shoes: synced as declared; an update of what it sets is refused.
    assert _shoes(cli, "zoe") == {
        "Free": (0.0, 640.0, 800.0, None, False),
        "Nova": (100.0, 640.0, 800.0, "running", False),
        "Old": (0.0, 640.0, 800.0, None, True),
    }
    warn = cli("shoes", "add", "Nova", "--athlete", "zoe", "--update", "--warn-km", "700",
               code=2)  # fmt: skip
    assert warn.stderr == (
        f"error: zoe's shoe 'Nova': its warn distance is set in {cfg} ([[athletes.shoes]] "
        "warn_km); change it there\n"
    )
    claim = cli("shoes", "add", "Mine", "--athlete", "zoe", "--default", code=2)
    assert claim.stderr == (
        f"error: zoe's default shoe for running runs is 'Nova', set in {cfg} "
        "([[athletes.shoes]] default_for); change it there\n"
    )
    undo = cli("shoes", "retire", "Old", "--athlete", "zoe", "--undo", code=2)
    assert undo.stderr == (
        f"error: zoe's shoe 'Old': its retirement is set in {cfg} ([[athletes.shoes]] "
        "retired); change it there\n"
    )
    # What the file leaves out of a shoe sticks: a default kind, a retirement; the config's
    # own values may be typed again; a shoe of the database's own changes freely.
    cli("shoes", "add", "Free", "--athlete", "zoe", "--update", "--default-for", "trail",
        "--warn-km", "640")  # fmt: skip
    assert _shoes(cli, "zoe")["Free"] == (0.0, 640.0, 800.0, "trail", False)
    cli("shoes", "retire", "Free", "--athlete", "zoe")  # and no longer the trail default
    # Retiring Nova would end the default the file gives it.
    retire = cli("shoes", "retire", "Nova", "--athlete", "zoe", code=2)
    assert retire.stderr == (
        f"error: zoe's shoe 'Nova': its default is set in {cfg} ([[athletes.shoes]] "
        "default_for); change it there\n"
    )
    cli("shoes", "add", "Mine", "--athlete", "zoe", "--warn-km", "500", "--retire-km", "600")
    cli("shoes", "add", "Mine", "--athlete", "zoe", "--update", "--start-km", "3")
    assert _shoes(cli, "zoe") == {
        "Mine": (3.0, 500.0, 600.0, None, False),
        "Nova": (100.0, 640.0, 800.0, "running", False),
        "Free": (0.0, 640.0, 800.0, None, True),
        "Old": (0.0, 640.0, 800.0, None, True),
    }
    # A change in the file reaches the database at the next command.
    cfg.write_text(CONFIG.replace("start_km = 100", "start_km = 150\n  warn_km = 700"))
    assert _shoes(cli, "zoe")["Nova"] == (150.0, 700.0, 800.0, "running", False)
