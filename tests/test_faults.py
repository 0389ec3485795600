"""Faults: one bad file, value or setting must never stop a batch, hang a process or poison the
load. Each case was seen breaking loadwatch and is reproduced here with a small file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from .conftest import CORPUS

GOOD_FIT = CORPUS / "fit/garmin-fenix-5-run.fit"


def tcx(start: str = "2026-10-04T07:00:00Z", distance: str = "5400") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><Activity Sport="Running"><Id>{start}</Id>
<Lap StartTime="{start}"><TotalTimeSeconds>1800</TotalTimeSeconds>
<DistanceMeters>{distance}</DistanceMeters></Lap></Activity></Activities></TrainingCenterDatabase>
"""


def _import(ana, folder: Path) -> dict:
    result = ana("import", str(folder), "--json", code=None)
    assert result.exit_code in (0, 3), result.output
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "start,reason",
    [
        ("9999-12-31T23:00:00Z", "outside 1980"),
        ("1901-12-13T20:45:52Z", "outside 1980"),
        ("2126-01-01T00:00:00Z", "outside 1980"),
    ],
)
def test_an_out_of_range_date_fails_its_file_not_the_batch(ana, tmp_path, start, reason) -> None:
    (tmp_path / "bad.tcx").write_text(tcx(start=start))
    (tmp_path / "good.fit").write_bytes(GOOD_FIT.read_bytes())
    summary = _import(ana, tmp_path)
    assert summary["imported"] == 1 and len(summary["failed"]) == 1
    assert reason in summary["failed"][0]["reason"] and summary["failed"][0]["path"].endswith(
        "bad.tcx"
    )


@pytest.mark.parametrize("distance", ["NaN", "inf", "-inf", "-5", "1e12"])
def test_impossible_values_fail_their_file_and_never_reach_the_load(
    ana, tmp_path, distance
) -> None:
    (tmp_path / "bad.tcx").write_text(tcx(distance=distance))
    (tmp_path / "good.tcx").write_text(tcx(start="2026-10-05T07:00:00Z"))
    summary = _import(ana, tmp_path)
    assert summary["imported"] == 1 and "impossible distance" in summary["failed"][0]["reason"]
    doc = ana.json("report", "--as-of", "2026-10-05")
    assert all(math.isfinite(w["distance_km"]) for w in doc["weeks"])
    assert doc["weeks"][-1]["distance_km"] == 5.4


def _deep_gpx(levels: int = 200_000) -> str:
    nested = "<a>" * levels + "</a>" * levels
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="52.5" lon="13.4"><time>2026-10-04T07:00:00Z</time>'
        f"<extensions>{nested}</extensions></trkpt>"
        '<trkpt lat="52.51" lon="13.4"><time>2026-10-04T07:10:00Z</time></trkpt>'
        "</trkseg></trk></gpx>"
    )


RUNS = 16
RUN_FILES = Path(__file__).parent / "data" / "runs"


@pytest.fixture(scope="session")
def run_files() -> list[Path]:
    """16 one-hour runs at 1 Hz (enough for a process pool to be busy), written once by
    tests/data/runs/generate.py and committed: writing them cost every test run about 20-150 s."""
    files = sorted(RUN_FILES.glob("run-*.fit"))
    assert len(files) == RUNS, f"{RUN_FILES}: run tests/data/runs/generate.py"
    return files


def _runs(files: list[Path], folder: Path, n: int = RUNS) -> None:
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for f in files[:n]:
        shutil.copy(f, folder / f.name)


def test_xml_nested_200000_deep_is_refused_not_a_crash(ana, tmp_path: Path, run_files) -> None:
    """It crashed the import process (a segmentation fault in the XML parser's recursion)."""
    _runs(run_files, tmp_path / "inbox", 9)
    (tmp_path / "inbox" / "deep.gpx").write_text(_deep_gpx())
    summary = _import(ana, tmp_path / "inbox")
    assert summary["imported"] == 9
    ((failed),) = summary["failed"]
    assert failed["path"].endswith("deep.gpx") and "nested deeper than 200" in failed["reason"]


def test_a_file_name_that_is_not_utf8_is_imported_and_shown_escaped(ana, tmp_path: Path) -> None:
    import os

    folder = tmp_path / "inbox"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9.fit"  # Latin-1 from an old camera's card
    with open(raw, "wb") as f:
        f.write(GOOD_FIT.read_bytes())
    summary = _import(ana, folder)
    assert summary["imported"] == 1 and summary["failed"] == []
    (act,) = ana.json("activities")
    assert act["source_path"].endswith("caf\\xe9.fit")
    assert _import(ana, folder)["unchanged"] == 1  # recognised by its name the next time


def _children(pid: int) -> list[int]:
    """Children of every thread of a process (the daemon starts its pool from a job's thread)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def test_a_killed_worker_costs_no_file_and_the_import_finishes(
    cli, tmp_path: Path, run_files
) -> None:
    """The kernel's OOM killer (here: SIGKILL) takes a decoding process mid-import: the pool is
    replaced, the files in flight are read again, and every file is imported."""
    import os
    import signal
    import subprocess
    import sys
    import time

    cli("athletes", "add", "ana")
    _runs(run_files, tmp_path / "inbox")
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadwatch", "--db", str(cli.db), "import",
         str(tmp_path / "inbox"), "--json", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        # The workers are the fork server's children (the import's other child, the resource
        # tracker, has none).
        workers = [w for child in _children(proc.pid) for w in _children(child)]
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed = workers[0]
        time.sleep(0.002)
    out, err = proc.communicate(timeout=120)
    assert killed is not None, "no worker to kill: the import used no pool"
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["imported"] == RUNS and summary["failed"] == []


def test_kill_9_of_a_check_leaves_no_worker_holding_the_lock(tmp_path: Path, run_files) -> None:
    """Workers inherited the check's lock file and kept it for minutes after kill -9 of the
    check (175 s measured); now they die with their parent and the next check runs at once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    _runs(run_files, tmp_path / "inbox")
    cfg = tmp_path / "lw.toml"
    cfg.write_text(f'[[athletes]]\nname = "ana"\ntz = "UTC"\ninbox = "{tmp_path / "inbox"}"\n')
    base = [
        sys.executable,
        "-m",
        "loadwatch",
        "--db",
        str(tmp_path / "lw.db"),
        "--config",
        str(cfg),
    ]
    proc = subprocess.Popen(
        [*base, "check", "--dry-run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    kids: list[int] = []
    while not kids and proc.poll() is None and time.monotonic() < deadline:
        kids = _children(proc.pid)
        time.sleep(0.005)
    assert kids, "the check used no pool"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    gone = time.monotonic() + 10
    while time.monotonic() < gone and any(Path(f"/proc/{k}").exists() for k in kids):
        time.sleep(0.05)
    assert not any(
        Path(f"/proc/{k}/status").exists() and "zombie" not in Path(f"/proc/{k}/status").read_text()
        for k in kids
    )
    again = subprocess.run(
        [*base, "check", "--dry-run"], capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr  # not 75: no orphan holds the lock


@pytest.mark.parametrize("day", ["2100-01-01", "9999-12-31", "0001-01-01"])
def test_a_day_outside_any_history_is_one_line_not_minutes_of_cpu(ana, day: str) -> None:
    for cmd in (("report",), ("headroom",), ("check", "--dry-run")):
        result = ana(*cmd, "--as-of", day, code=2)
        assert f"--as-of {day} is outside 1980-01-01 to" in result.stderr, cmd


def test_a_file_too_large_for_its_format_is_refused_with_its_size(ana, tmp_path: Path) -> None:
    big = tmp_path / "huge.tcx"
    big.write_bytes(tcx().encode() + b" " * (50 * 2**20))
    (tmp_path / "good.tcx").write_text(tcx(start="2026-10-05T07:00:00Z"))
    summary = _import(ana, tmp_path)
    assert summary["imported"] == 1
    assert "TCX file of 50 MiB; refused" in summary["failed"][0]["reason"]


def _day_long_gpx(hours: int) -> str:
    points = "".join(
        f'<trkpt lat="{46 + i * 0.00002:.6f}" lon="14.5"><ele>{300 + i % 500 * 0.2:.1f}</ele>'
        f"<time>2026-10-03T{6 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z</time><extensions>"
        f"<gpxtpx:TrackPointExtension><gpxtpx:hr>{130 + i % 20}</gpxtpx:hr><gpxtpx:cad>88"
        f"</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        for i in range(hours * 3600)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="Test" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>Ultra</name><type>running</type><trkseg>{points}</trkseg></trk></gpx>"
    )


def _day_long_tcx(hours: int) -> str:
    n = hours * 3600
    points = "".join(
        f"<Trackpoint><Time>2026-10-04T{6 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z</Time>"
        f"<Position><LatitudeDegrees>{46 + i * 0.00002:.6f}</LatitudeDegrees><LongitudeDegrees>"
        f"14.5</LongitudeDegrees></Position><AltitudeMeters>{300 + i % 500 * 0.2:.1f}"
        f"</AltitudeMeters><DistanceMeters>{i * 2.2:.1f}</DistanceMeters><HeartRateBpm><Value>"
        f"{130 + i % 20}</Value></HeartRateBpm><Cadence>88</Cadence></Trackpoint>\n"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><TrainingCenterDatabase xmlns='
        '"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities><Activity '
        'Sport="Running"><Id>2026-10-04T06:00:00Z</Id><Lap StartTime="2026-10-04T06:00:00Z">'
        f"<TotalTimeSeconds>{n - 1}</TotalTimeSeconds><DistanceMeters>{(n - 1) * 2.2:.1f}"
        f"</DistanceMeters><Track>{points}</Track></Lap></Activity></Activities>"
        "</TrainingCenterDatabase>"
    )


def test_an_ultras_gpx_and_tcx_are_imported_not_refused(sqlite_cli, tmp_path: Path) -> None:
    """A 10-hour GPX (8 MB) and a 16-hour TCX (18 MB) were refused as too large (caps of 6 and
    16 MiB, set by what a whole tree of their points cost); both are now read as streams. (The
    readers' business: one store is enough.)"""
    ana = sqlite_cli
    ana("athletes", "add", "ana")
    folder = tmp_path / "ultra"
    folder.mkdir()
    (folder / "ultra.gpx").write_text(_day_long_gpx(10))
    (folder / "ultra.tcx").write_text(_day_long_tcx(16))
    assert (folder / "ultra.gpx").stat().st_size > 6 * 2**20
    assert (folder / "ultra.tcx").stat().st_size > 16 * 2**20
    summary = _import(ana, folder)
    assert summary["failed"] == [] and summary["imported"] == 2
    gpx, tcx_run = sorted(ana.json("activities"), key=lambda a: a["source"])
    assert gpx["elapsed_s"] == gpx["moving_s"] == 10 * 3600 - 1
    assert gpx["distance_m"] == pytest.approx((10 * 3600 - 1) * 2.2239, rel=1e-3)  # 0.00002 deg
    assert gpx["avg_hr"] == pytest.approx(139.5, abs=0.01) and gpx["name"] == "Ultra"
    assert tcx_run["distance_m"] == pytest.approx((16 * 3600 - 1) * 2.2)
    assert tcx_run["elapsed_s"] == 16 * 3600 - 1 and tcx_run["elevation_gain_m"] > 0


def test_eight_processes_creating_one_database_at_once(tmp_path: Path) -> None:
    """1 of 160 such starts failed with "database is locked": creating and migrating a new file
    now waits on the busy timeout like every write."""
    import subprocess
    import sys

    for round_ in range(5):
        db = tmp_path / f"new-{round_}.db"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "loadwatch", "--db", str(db), "athletes", "list"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for _ in range(8)
        ]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err


def test_config_check_names_every_problem_at_once(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LW_NO_SUCH_PASSWORD", raising=False)
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        '[smtp]\nusername = "coach"\npassword_env = "LW_NO_SUCH_PASSWORD"\nport = 70000\n'
        "[schedule]\ncheck_interval_s = -5\n"
        '[[athletes]]\nname = "ana"\nemail = "a@example.com"\ninbox = 5\n'
    )
    bad = cli("--config", str(cfg), "config", "check", code=2)
    for expected in ("schedule.check_interval_s: must be positive", "athletes[0].inbox: expected a folder",
                     "smtp.port: must be a port from 1 to 65535"):  # fmt: skip
        assert expected in bad.stderr
    cfg.write_text(
        '[smtp]\nusername = "coach"\npassword_env = "LW_NO_SUCH_PASSWORD"\n'
        f'[[athletes]]\nname = "ana"\nemail = "a@example.com"\ninbox = "{tmp_path / "gone"}"\n'
    )
    env = cli("--config", str(cfg), "config", "check", code=2)
    assert "athletes[0].inbox: no folder" in env.stderr
    assert "smtp.host: not set, but ana should get email" in env.stderr
    assert "LW_NO_SUCH_PASSWORD is not set" in env.stderr


def test_a_file_changed_in_place_replaces_its_run_not_adds_a_second(ana, tmp_path: Path) -> None:
    """A GPX cropped in an editor and saved over itself was counted twice."""
    from .test_import_fidelity import gpx_text

    track = tmp_path / "run.gpx"
    track.write_text(gpx_text(minutes=30, type_="running"))
    ana("import", str(track))
    (first,) = ana.json("activities")
    ana("activities", "edit", str(first["id"]), "--sport", "trail")
    track.write_text(gpx_text(minutes=20, type_="running"))  # the last 10 minutes cropped
    out = ana("import", str(track))
    assert "1 activities replaced by the new version of changed files" in out.stdout
    (after,) = ana.json("activities", "--all")
    assert after["distance_m"] == pytest.approx(3_600, rel=0.01)
    assert after["sport"] == "trail_running"  # the edit belongs to the outing


GPX_SJIS = """<?xml version="1.0" encoding="Shift_JIS"?>
<gpx version="1.1" creator="ランナー" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>朝のジョギング</name><type>running</type><trkseg>
<trkpt lat="35.6800" lon="139.7600"><time>2026-10-04T07:00:00Z</time></trkpt>
<trkpt lat="35.6850" lon="139.7600"><time>2026-10-04T07:03:00Z</time></trkpt>
<trkpt lat="35.6900" lon="139.7600"><time>2026-10-04T07:06:00Z</time></trkpt>
</trkseg></trk></gpx>
"""


def test_xml_in_an_encoding_expat_cannot_read_is_decoded_or_one_line(ana, tmp_path: Path) -> None:
    """Shift-JIS (a Japanese app's GPX) raised "multi-byte encodings are not supported" as an
    internal error; a typo in the declared encoding raised LookupError."""
    (tmp_path / "sjis.gpx").write_bytes(GPX_SJIS.encode("shift_jis"))
    typo = (
        GPX_SJIS.replace("Shift_JIS", "UTG-8")
        .replace("ランナー", "x")
        .replace("朝のジョギング", "y")
    )
    (tmp_path / "typo.gpx").write_bytes(typo.encode("ascii"))
    summary = _import(ana, tmp_path)
    assert summary["imported"] == 1 and summary["activities"] == 1
    (failure,) = summary["failed"]
    assert failure["path"].endswith("typo.gpx")
    assert failure["reason"] == "XML declares an unknown encoding 'UTG-8'"
    (run,) = ana.json("activities")
    assert run["sport"] == "running" and 1100 < run["distance_m"] < 1120


def _outings(db: Path) -> list[tuple]:
    """What an import left, independent of row ids: every activity and every file's state."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        acts = conn.execute(
            "SELECT a.source_path, a.session_index, a.start_utc, a.sport, a.distance_m, "
            "a.content_hash, d.source_path, d.session_index, a.shoe_id IS NOT NULL "
            "FROM activities a LEFT JOIN activities d ON d.id = a.duplicate_of"
        ).fetchall()
        files = conn.execute("SELECT path, status, content_hash FROM imported_files").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return sorted(map(tuple, acts)) + sorted(map(tuple, files))  # type: ignore[arg-type]


def test_sigkill_of_an_import_at_random_points_then_again_gives_the_clean_result(
    tmp_path: Path, run_files
) -> None:
    """One transaction per file: a killed import leaves whole files or nothing of them, and the
    next import finishes the job to exactly what an uninterrupted one gives."""
    import os
    import random
    import shutil
    import signal
    import subprocess
    import sys
    import time

    inbox = tmp_path / "inbox"
    _runs(run_files, inbox)
    for sub in ("fit", "gpx", "tcx"):
        for f in sorted((CORPUS / sub).iterdir()):
            shutil.copy(f, inbox / f"{sub}-{f.name}")

    def run(db: Path, kill_after: float | None = None) -> float:
        base = [sys.executable, "-m", "loadwatch", "--db", str(db)]
        if not db.exists():
            subprocess.run([*base, "athletes", "add", "ana"], check=True, capture_output=True)
        t = time.monotonic()
        proc = subprocess.Popen(
            [*base, "import", str(inbox), "--json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=300)
        return time.monotonic() - t

    clean_db = tmp_path / "clean.db"
    took = run(clean_db)
    clean = _outings(clean_db)
    assert len(clean) > 100
    rng = random.Random(1125)
    kills = sorted(rng.uniform(0.15, took) for _ in range(5))
    for n, at in enumerate(kills):
        db = tmp_path / f"killed-{n}.db"
        run(db, kill_after=at)
        run(db)  # the next import, as the user (or cron) would run it
        assert _outings(db) == clean, f"killed after {at:.2f} s"


def test_a_database_on_a_read_only_mount_is_read_and_refuses_writes_in_one_line(
    sqlite_cli, tmp_path: Path
) -> None:
    """`activities` exited 1 on a read-only file or mount; now reading works and a write says
    why. A real read-only bind mount (root ignores file modes), in a mount namespace of its own."""
    import shutil
    import subprocess
    import sys

    if shutil.which("unshare") is None:
        pytest.skip("no unshare here")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("mount namespaces are not allowed here")
    folder = tmp_path / "ro"
    folder.mkdir()
    cli = type(sqlite_cli)(folder / "lw.db")
    cli("athletes", "add", "ana", "--tz", "Europe/Berlin")
    cli("import", str(CORPUS / "fit" / "garmin-fenix-5-run.fit"))
    lw = f"{sys.executable} -m loadwatch --db {folder / 'lw.db'}"
    script = (
        f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} || exit 99\n"
        f"touch {folder}/probe 2>/dev/null && exit 98\n"
        f"{lw} activities --json > {tmp_path}/activities.json || exit 1\n"
        f"{lw} report --json > {tmp_path}/report.json || exit 2\n"
        f"{lw} athletes add bob 2> {tmp_path}/write.err; echo $? > {tmp_path}/write.code\n"
    )
    out = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    if out.returncode == 99:
        pytest.skip(f"cannot mount here: {out.stderr.strip()}")
    assert out.returncode == 0, out.stderr
    (run,) = json.loads((tmp_path / "activities.json").read_text())
    assert run["sport"] == "running"
    assert json.loads((tmp_path / "report.json").read_text())["athlete"] == "ana"
    err = (tmp_path / "write.err").read_text()
    assert (tmp_path / "write.code").read_text().strip() == "1"
    assert err.count("\n") == 1 and "is read-only" in err and "Traceback" not in err
    assert cli.json("athletes", "list") and len(cli.json("athletes", "list")) == 1


def test_serve_stops_on_sigterm_while_its_workers_decode(tmp_path: Path, run_files) -> None:
    """`serve` with a hostile file in an inbox hung and SIGTERM no longer stopped it (its pool
    workers ran the daemon's SIGTERM handler). Now workers ignore SIGTERM, the daemon stops them
    and exits within its stop timeout, and no worker is left behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    inbox = tmp_path / "inbox"
    _runs(run_files, inbox)
    (inbox / "deep.gpx").write_text(_deep_gpx())
    long_gpx = (CORPUS / "gpx" / "sweatpy-activity_4801048867.gpx").read_bytes()
    for k in range(4):  # a few seconds of decoding each: the workers are busy when SIGTERM comes
        (inbox / f"long-{k}.gpx").write_bytes(long_gpx.replace(b"<trkseg>", b"<trkseg>" + b" " * k))
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        f'[schedule]\ncheck_interval_s = 1\n[[athletes]]\nname = "ana"\ntz = "UTC"\ninbox = "{inbox}"\n'
    )
    cmd = [sys.executable, "-m", "loadwatch", "--db", str(tmp_path / "lw.db"), "--config", str(cfg)]
    daemon = subprocess.Popen(
        [*cmd, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while not workers and time.monotonic() < deadline and daemon.poll() is None:
            workers = [w for server in _children(daemon.pid) for w in _children(server)]
            time.sleep(0.002)
        assert workers, "the daemon's import used no pool"
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    assert "received SIGTERM" in err and "Traceback" not in err
    gone = time.monotonic() + 5
    while time.monotonic() < gone and any(os.path.exists(f"/proc/{w}") for w in workers):
        time.sleep(0.05)
    assert not [w for w in workers if os.path.exists(f"/proc/{w}/status")
                and "zombie" not in open(f"/proc/{w}/status").read()]  # fmt: skip
