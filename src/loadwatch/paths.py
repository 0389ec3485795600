"""Where loadwatch keeps its database and config by default (platformdirs), and the overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "loadwatch"


@dataclass(frozen=True)
class Locations:
    database: str  # a path, or a sqlite:/// or postgresql:// URL
    config: Path
    database_from: str
    config_from: str


def resolve(
    db: str | os.PathLike | None = None, config: str | os.PathLike | None = None
) -> Locations:
    """Flag beats environment (LOADWATCH_DB, LOADWATCH_CONFIG) beats the platform default."""
    if db:
        database, db_from = str(db), "--db"
    elif os.environ.get("LOADWATCH_DB"):
        database, db_from = os.environ["LOADWATCH_DB"], "LOADWATCH_DB"
    else:
        database = str(Path(platformdirs.user_data_dir(APP)) / "loadwatch.db")
        db_from = "default"
    if config:
        cfg, cfg_from = Path(config), "--config"
    elif os.environ.get("LOADWATCH_CONFIG"):
        cfg, cfg_from = Path(os.environ["LOADWATCH_CONFIG"]), "LOADWATCH_CONFIG"
    else:
        cfg, cfg_from = Path(platformdirs.user_config_dir(APP)) / "loadwatch.toml", "default"
    if "://" not in database:
        database = str(Path(database).expanduser())
    return Locations(database, cfg.expanduser(), db_from, cfg_from)
