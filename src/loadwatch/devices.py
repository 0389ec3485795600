"""Watches plugged in as USB storage: where their activity files are, and which watch it is.

A Garmin mounts as a drive with `GARMIN/Activity` (older ones `Garmin/Activities`); a desktop that
speaks MTP to a newer watch shows it as a folder too (gvfs: `/run/user/UID/gvfs/mtp:host=.../
Primary/GARMIN/Activity`). Other watches are named by the athlete's config (`devices = [...]`).
Which watch it is comes from the files themselves: every FIT activity carries the watch's serial
number in its `file_id` message. Nothing here touches the database; `App.sync_devices` decides
whose a watch is and imports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Folder names compared case-insensitively: GARMIN/Activity, Garmin/Activities, GARMIN/ACTIVITY.
MAKER_FOLDERS = ("garmin",)
ACTIVITY_FOLDERS = ("activity", "activities")
# How deep below a mount root a watch's drive may be: /media/<user>/<label>/GARMIN, or
# gvfs/<mtp:host=...>/<storage>/GARMIN.
SEARCH_DEPTH = 3


def default_roots() -> tuple[Path, ...]:
    """Where desktops mount removable drives and MTP devices (Linux, macOS)."""
    return (
        Path("/media"),
        Path("/run/media"),
        Path("/mnt"),
        Path("/Volumes"),
        Path(f"/run/user/{os.getuid()}/gvfs"),
    )


@dataclass(frozen=True)
class Watch:
    """A watch's activity folder; `configured_for` names the athlete whose config lists it."""

    folder: Path
    serial: str | None
    configured_for: str | None = None


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir())
    except OSError:
        return []  # not mounted, not ours to read, an MTP device that went away


def activity_folder(drive: Path) -> Path | None:
    """The watch's activity folder on a drive, if the drive is a watch's."""
    for maker in _children(drive):
        if maker.name.lower() in MAKER_FOLDERS:
            for sub in _children(maker):
                if sub.name.lower() in ACTIVITY_FOLDERS:
                    return sub
    return None


def find_activity_folders(roots: tuple[Path, ...] | list[Path]) -> list[Path]:
    """Every watch activity folder under the mount roots (a few levels deep, no further)."""
    found: list[Path] = []
    level = [r for r in roots if r.is_dir()]
    for _ in range(SEARCH_DEPTH + 1):
        below: list[Path] = []
        for folder in level:
            hit = activity_folder(folder)
            if hit is not None:
                found.append(hit)
            else:
                below.extend(_children(folder))
        level = below
    return sorted(set(found))


def fit_serial(path: Path) -> str | None:
    """The serial number in a FIT file's `file_id` (read up to that message, no further)."""
    import fitdecode

    try:
        with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.DISABLED) as fit:
            for frame in fit:
                if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "file_id":
                    value = frame.get_value("serial_number", fallback=None)
                    # 0 and 0xFFFFFFFF are "not set"; 2^31-1 is the FIT SDK's example files'.
                    if isinstance(value, int) and value not in (0, 0xFFFFFFFF):
                        return str(value)
                    return None
    except Exception:  # a file that cannot say; the import reports what is wrong with it
        return None
    return None


def folder_serial(folder: Path) -> str | None:
    """The watch's serial number: that of its newest FIT file that has one."""
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [Path(root) / n for n in names if n.lower().endswith(".fit")]
    files.sort(key=_mtime, reverse=True)
    for path in files[:5]:
        serial = fit_serial(path)
        if serial is not None:
            return serial
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def find_watches(
    roots: tuple[Path, ...] | list[Path], configured: dict[str, tuple[Path, ...]]
) -> list[Watch]:
    """The watches mounted now: under the mount roots, and the folders athletes' configs name
    (a folder that holds GARMIN/Activity stands for that; a missing one is not plugged in)."""
    out: dict[Path, Watch] = {}
    for athlete, folders in configured.items():
        for folder in folders:
            if not folder.is_dir():
                continue
            hit = activity_folder(folder) or folder
            out[hit] = Watch(hit, folder_serial(hit), athlete)
    for folder in find_activity_folders(roots):
        if folder not in out:
            out[folder] = Watch(folder, folder_serial(folder))
    return [out[k] for k in sorted(out)]
