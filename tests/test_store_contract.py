"""One contract, every backend: the same tests against a SQLite file and a PostgreSQL server.

A backend that does not pass all of them is not done (APScheduler's jobstore tests do the same).
"""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from loadwatch.errors import LockBusy, NotFound, StoreError
from loadwatch.model import (
    SHOE_RETIRE_M,
    SHOE_WARN_M,
    Activity,
    Alert,
    FileRecord,
    FileState,
    SavedFile,
    ShoeDecl,
)
from loadwatch.rules.spike import SpikeNumbers
from loadwatch.store import open_store

T0 = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str):
    s = open_store(db_url)
    yield s
    s.close()


def run(
    start: datetime = T0,
    km: float = 10.0,
    fmt: str = "fit",
    digest: str = "a",
    session: int = 0,
    sport: str = "running",
    sub: str | None = None,
) -> Activity:
    return Activity(
        sport=sport,
        sub_sport=sub,
        start_utc=start,
        distance_m=km * 1000,
        moving_s=km * 300,
        elapsed_s=km * 310,
        source_format=fmt,
        source_path=f"/in/{digest}.{fmt}",
        content_hash=digest,
        session_index=session,
        avg_hr=150.0,
        hr_histogram_s={150: 60.0, 151: 30.5},
    )


def save(store, athlete_id: int, *acts: Activity, path: str | None = None, **kw):
    first = acts[0] if acts else None
    digest = first.content_hash if first else "none"
    record = FileRecord(path or f"/in/{digest}", 100, 1, digest, "imported", acts, **kw)
    return store.files.save(athlete_id, record)


def test_athletes_add_named_update_and_refuse_twins(store) -> None:
    ana = store.athletes.add("ana", "ana@example.com", "Europe/Berlin", resting_hr=50)
    assert store.athletes.named("ana") == ana and store.athletes.get(ana.id) == ana
    with pytest.raises(StoreError, match="exists already"):
        store.athletes.add("ana")
    updated = store.athletes.add("ana", None, "Europe/Paris", max_hr=190, update=True)
    assert (updated.id, updated.email, updated.tz) == (ana.id, "ana@example.com", "Europe/Paris")
    assert (updated.resting_hr, updated.max_hr) == (50, 190)
    store.athletes.add("ben")
    assert [a.name for a in store.athletes.all()] == ["ana", "ben"]
    with pytest.raises(NotFound, match="known: ana, ben"):
        store.athletes.named("zoe")


def test_alerts_since_is_set_once(store) -> None:
    a = store.athletes.add("ana")
    assert store.athletes.alerts_since(a.id) is None
    assert store.athletes.alerts_since(a.id, date(2026, 3, 1)) == date(2026, 3, 1)
    assert store.athletes.alerts_since(a.id, date(2026, 4, 1)) == date(2026, 3, 1)


def test_activities_round_trip_with_utc_times_and_histogram(store) -> None:
    a = store.athletes.add("ana")
    saved = save(store, a.id, run(T0 + timedelta(hours=1), 12.5), run(T0, 8.0, digest="b"))
    assert (saved.primary, saved.duplicates) == (2, 0)
    frame = store.activities.frame(a.id)
    assert list(frame["distance_m"]) == [8000.0, 12500.0]  # ordered by start
    assert [t.isoformat() for t in frame["start_utc"]] == [
        "2026-03-01T07:00:00+00:00",
        "2026-03-01T08:00:00+00:00",
    ]
    assert frame["hr_histogram"].iloc[0] == '{"150": 60.0, "151": 30.5}'
    assert store.activities.owner(int(frame["id"].iloc[0])) == a.id
    with pytest.raises(NotFound):
        store.activities.owner(999_999)


def test_a_runs_own_utc_offset_is_kept_beside_its_utc_start(store) -> None:
    """Times are stored in UTC; the run's own offset (a run abroad) beside it, None where the
    file recorded no local time; the check's one frame for the club carries it too."""
    a = store.athletes.add("ana", None, "America/Denver")
    abroad = replace(run(T0, 10.0), utc_offset_s=13 * 3600)
    home = replace(run(T0 + timedelta(days=1), 8.0, digest="b"), utc_offset_s=None)
    behind = replace(run(T0 + timedelta(days=2), 6.0, digest="c"), utc_offset_s=-36_000)
    save(store, a.id, abroad, home, behind)
    for frame in (store.activities.frame(a.id), store.activities.counted_all()):
        offsets = [None if pd.isna(v) else int(v) for v in frame["utc_offset_s"]]
        assert offsets == [46_800, None, -36_000]
        assert frame["start_utc"].iloc[0].isoformat() == "2026-03-01T07:00:00+00:00"


def test_files_known_unchanged_hashes_and_failures(store) -> None:
    a = store.athletes.add("ana")
    save(store, a.id, run(), path="/in/run.fit")
    store.files.save(a.id, FileRecord("/in/settings.fit", 5, 2, "s", "skipped", reason="settings"))
    known = store.files.known(a.id)
    assert known["/in/run.fit"].status == "imported" and known["/in/run.fit"].size == 100
    assert store.files.known_hashes(a.id) == {"a"}  # skipped files are not copies of anything
    store.files.restamp(a.id, "/in/run.fit", 101, 7)  # touched: its own bytes, a new time
    assert store.files.known(a.id)["/in/run.fit"] == FileState(101, 7, "a", "imported")
    # The same bytes under another name: recorded as a duplicate, nothing of it stored.
    copy = save(store, a.id, run(start=datetime(2026, 3, 9, 7, tzinfo=UTC)), path="/in/copy.fit")
    assert copy == SavedFile(0, 1, 0, same_bytes=True)
    assert store.files.known(a.id)["/in/copy.fit"].status == "duplicate"
    assert len(store.activities.frame(a.id, include_duplicates=True)) == 1
    # Bytes known only as a skipped file are no copy: imported.
    settings_too = save(
        store, a.id, run(start=datetime(2026, 3, 20, 7, tzinfo=UTC), digest="s"), path="/in/s.fit"
    )
    assert settings_too == SavedFile(1, 0, 0) and store.files.known_hashes(a.id) == {"a", "s"}
    store.files.record_failure(a.id, "/in/bad.fit", 9, 3, "truncated")
    store.files.record_failure(a.id, "/in/bad.fit", 10, 4, "still truncated")
    assert store.files.failed(a.id) == {"/in/bad.fit": (10, 4)}


def test_same_outing_from_two_sources_is_kept_once_preferring_the_device(store) -> None:
    a = store.athletes.add("ana")
    store.shoes.add(a.id, "Pegasus", default_for="running")
    save(store, a.id, run(T0, 10.0, fmt="gpx", digest="g"))
    saved = save(store, a.id, run(T0 + timedelta(seconds=60), 10.2, fmt="fit", digest="f"))
    assert (saved.primary, saved.duplicates) == (1, 0)
    everything = store.activities.frame(a.id, include_duplicates=True)
    fit = everything[everything["source_format"] == "fit"].iloc[0]
    gpx = everything[everything["source_format"] == "gpx"].iloc[0]
    assert gpx["duplicate_of"] == fit["id"]
    pegasus = store.shoes.named(a.id, "Pegasus").id
    assert fit["shoe_id"] == pegasus  # the shoe moved to the better copy
    assert len(store.activities.frame(a.id)) == 1
    # A worse source arriving later stays the duplicate; a multisport sibling is no twin.
    assert save(store, a.id, run(T0, 10.1, fmt="tcx", digest="t")).duplicates == 1
    assert save(store, a.id, run(T0, 10.0, digest="f", session=1)).primary == 1
    # The same bytes under another name are recognised, not stored again.
    again = save(store, a.id, run(T0 + timedelta(seconds=60), 10.2, digest="f"), path="/x/f")
    assert (again.primary, again.duplicates) == (0, 1)


@pytest.mark.parametrize("second", ["the same bytes", "another file of the outing"])
def test_two_imports_saving_one_outing_at_once_keep_it_once(db_url: str, store, second) -> None:
    """Two imports at once (a cron check and the user's import; two PostgreSQL workers): each
    looked for the outing before the other committed, so on PostgreSQL both stored it as primary
    (its distance counted twice: a false spike) or the second failed on the unique key. A save
    now waits for any other save of the same athlete (SQLite's single writer always did)."""
    import threading

    a = store.athletes.add("ana")
    other_run = (
        run(T0, 10.0, digest="f", fmt="fit")
        if second == "the same bytes"
        else run(T0 + timedelta(seconds=30), 10.1, digest="g", fmt="gpx")
    )
    outcome: list = []

    def second_import() -> None:  # another process's connection (SQLite's stay in their thread)
        try:
            with open_store(db_url) as other:
                path = "/watch/" + other_run.content_hash
                outcome.append(save(other, a.id, other_run, path=path))
        except Exception as e:  # the failure is the finding
            outcome.append(e)

    thread = threading.Thread(target=second_import)
    with store.transaction():
        save(store, a.id, run(T0, 10.0, digest="f", fmt="fit"), path="/export/f")
        thread.start()
        thread.join(timeout=1.0)  # it must wait for this save, not decide without it
    thread.join()
    assert not isinstance(outcome[0], Exception), outcome[0]
    assert (outcome[0].primary, outcome[0].duplicates) == (0, 1)
    assert len(store.activities.frame(a.id)) == 1
    everything = store.activities.frame(a.id, include_duplicates=True)
    assert len(everything) == (1 if second == "the same bytes" else 2)


def test_shoes_defaults_assign_retire(store) -> None:
    a = store.athletes.add("ana", tz="Europe/Berlin")
    road = store.shoes.add(a.id, "Road", 50_000, default_for="running")
    assert (road.warn_m, road.retire_m, road.retired) == (SHOE_WARN_M, SHOE_RETIRE_M, False)
    store.shoes.add(a.id, "Trail", default_for="trail")
    with pytest.raises(StoreError, match="exists already"):
        store.shoes.add(a.id, "Road")
    save(store, a.id, run(T0, 10.0, digest="r"))
    save(store, a.id, run(T0 + timedelta(days=1), 15.0, digest="t", sub="trail"))
    save(store, a.id, run(T0 + timedelta(days=2), 30.0, digest="c", sport="cycling"))
    frame = store.activities.frame(a.id).set_index("content_hash")
    trail = store.shoes.named(a.id, "Trail")
    assert frame.loc["r", "shoe_id"] == road.id and frame.loc["t", "shoe_id"] == trail.id
    assert frame.loc["c", "shoe_id"] != frame.loc["c", "shoe_id"]  # NaN: rides get no shoe
    # A new default takes over; the old one keeps its runs.
    store.shoes.add(a.id, "Road 2", default_for="running")
    assert store.shoes.named(a.id, "Road").default_for is None
    # Assign by id and by range (end exclusive); runs only.
    ride = int(frame.loc["c", "id"])
    assert store.shoes.assign(a.id, "Road", activity_id=ride) == 1
    n = store.shoes.assign(a.id, "Road 2", start_utc=T0, end_utc=T0 + timedelta(days=3))
    assert n == 2
    with pytest.raises(NotFound, match="known: Road, Road 2, Trail"):
        store.shoes.assign(a.id, "Nope", activity_id=ride)
    store.shoes.retire(a.id, "Road 2")
    retired = store.shoes.named(a.id, "Road 2")
    assert retired.retired and retired.default_for is None
    assert [s.name for s in store.shoes.all(a.id)][-1] == "Road 2"  # retired last
    assert store.shoes.owners("Trail") == [a.id]


def test_export_shoes_and_gear(store) -> None:
    a = store.athletes.add("ana")
    decls = [ShoeDecl("Pegasus", default_for="running"), ShoeDecl("Speedgoat")]
    saved = save(
        store,
        a.id,
        run(T0, digest="e", session=0),
        run(T0 + timedelta(days=1), digest="e", session=1),
        shoes=decls,
        gear={("e", 0): "Speedgoat"},
        gear_authoritative=True,
    )
    assert saved.primary == 2
    frame = store.activities.frame(a.id).set_index("session_index")
    speedgoat = store.shoes.named(a.id, "Speedgoat").id
    assert frame.loc[0, "shoe_id"] == speedgoat
    assert frame.loc[1, "shoe_id"] != frame.loc[1, "shoe_id"]  # no gear named: no shoe
    assert store.shoes.named(a.id, "Pegasus").default_for == "running"
    save(store, a.id, shoes=[ShoeDecl("Pegasus", default_for="trail")], path="/in/again")
    assert store.shoes.named(a.id, "Pegasus").default_for == "running"  # declared once


def _alert(key: str, day: date = date(2026, 3, 1)) -> Alert:
    numbers = SpikeNumbers(24000, 15000, 60.0, "moderate", 1.52, f"{day}T05:30Z")
    return Alert(key, "ana", "run_spike", day, f"title {key}", "text", "Frandsen 2025", numbers)


def test_ledger_records_once_and_tracks_sending(store) -> None:
    a = store.athletes.add("ana")
    inserted = store.ledger.insert(a.id, [(_alert("k1"), "pending"), (_alert("k0"), "known")])
    assert inserted == ["pending", "known"]
    assert store.ledger.insert(a.id, [(_alert("k1"), "pending")]) == []  # never twice
    assert store.ledger.known_keys(["k1", "k9"]) == {"k1"}
    store.ledger.mark_failed(["k1"], "server down")
    (pending,) = store.ledger.entries(a.id, ["pending"])
    assert (pending.attempts, pending.last_error) == (1, "server down")
    assert pending.alert == _alert("k1")
    store.ledger.mark_sent(["k1"], "<m@x>")
    sent = {e.alert.key: e for e in store.ledger.entries(a.id)}["k1"]
    assert (sent.status, sent.attempts, sent.last_error, sent.message_id) == (
        "sent",
        2,
        None,
        "<m@x>",
    )
    assert sent.sent_utc is not None and sent.sent_utc.tzinfo is not None
    since = datetime.now(UTC) + timedelta(hours=1)
    assert store.ledger.entries(a.id, ["sent"], since) == []


def test_deliveries_are_per_key_and_channel_and_a_sent_one_stays_sent(store) -> None:
    a = store.athletes.add("ana")
    store.ledger.insert(a.id, [(_alert("k1"), "pending"), (_alert("k2"), "pending")])
    store.ledger.delivery_finished(["k1", "k2"], "email", a.id, "<m@x>", None)
    store.ledger.delivery_finished(["k1", "k2"], "push:$ANA", a.id, None, "503 try later")
    store.ledger.delivery_finished(["k1"], "push:$ANA", a.id, None, "429 try later")
    assert store.ledger.delivered(["k1", "k2", "k9"], "email") == {"k1", "k2"}
    assert store.ledger.delivered(["k1", "k2"], "push:$ANA") == set()
    store.ledger.delivery_finished(["k1"], "push:$ANA", a.id, None, None)
    store.ledger.delivery_finished(["k1"], "email", a.id, "<again@x>", "late error")  # no effect
    got = {(d.key, d.channel): d for d in store.ledger.deliveries(["k1", "k2"])}
    assert sorted(got) == [
        ("k1", "email"),
        ("k1", "push:$ANA"),
        ("k2", "email"),
        ("k2", "push:$ANA"),
    ]
    k1_email, k1_push, k2_push = got["k1", "email"], got["k1", "push:$ANA"], got["k2", "push:$ANA"]
    assert (k1_email.status, k1_email.attempts, k1_email.message_id) == ("sent", 1, "<m@x>")
    assert k1_email.last_error is None and k1_email.sent_utc is not None
    assert (k1_push.status, k1_push.attempts, k1_push.last_error) == ("sent", 3, None)
    assert (k2_push.status, k2_push.attempts, k2_push.last_error) == ("pending", 1, "503 try later")
    assert k2_push.sent_utc is None
    # A digest's deliveries have no athlete.
    store.ledger.delivery_finished(["digest:Carla:2026-03-01"], "email", None, "<d@x>", None)
    assert store.ledger.delivered(["digest:Carla:2026-03-01"], "email") == {
        "digest:Carla:2026-03-01"
    }


def test_digest_ledger(store) -> None:
    assert store.ledger.digest_status("d1") is None
    assert store.ledger.digest_status("d1", "Carla") == "pending"
    store.ledger.digest_finished("d1", None, "down")
    assert store.ledger.digest_status("d1", "Carla") == "pending"
    store.ledger.digest_finished("d1", "<d@x>", None)
    assert store.ledger.digest_status("d1") == "sent"


def test_a_failed_transaction_leaves_nothing(store) -> None:
    a = store.athletes.add("ana")
    with pytest.raises(RuntimeError), store.transaction():
        store.shoes.add(a.id, "Half")
        save(store, a.id, run())
        raise RuntimeError("crash in the middle")
    assert store.shoes.all(a.id) == [] and store.activities.frame(a.id).empty
    assert store.files.known(a.id) == {}


def test_lock_is_exclusive_across_connections(db_url: str, store) -> None:
    with store.lock("check"), open_store(db_url) as other:
        with pytest.raises(LockBusy):
            with other.lock("check"):
                pass
    with open_store(db_url) as other, other.lock("check"):
        pass  # released


def _worker(url: str, ids: list[int], started: datetime, out) -> None:
    import time

    with open_store(url) as s:
        for athlete_id in s.claim_athletes(ids, started):
            out.put(athlete_id)
            time.sleep(0.05)


def test_workers_share_the_athletes_each_exactly_once(db_url: str, store) -> None:
    ids = [store.athletes.add(f"a{i:02d}").id for i in range(12)]
    started = datetime.now(UTC)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(db_url, ids, started, out)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    claimed = sorted(out.get(timeout=5) for _ in range(len(ids)))
    assert claimed == ids and out.empty()
    # A later run (started after these checks) hands every athlete out again.
    assert sorted(store.claim_athletes(ids, datetime.now(UTC) + timedelta(seconds=1))) == ids


def test_a_worker_that_starts_after_another_finished_takes_nobody_again(db_url, store) -> None:
    """Under load a worker of a run may start only when another has checked everyone: the
    athletes are that run's done (on SQLite the check lock was free again, and the late worker
    checked everyone a second time); a run started later takes them all again."""
    ids = [store.athletes.add(f"a{i}").id for i in range(3)]
    started = datetime.now(UTC)
    with open_store(db_url) as first:
        assert list(first.claim_athletes(ids, started)) == ids
    with open_store(db_url) as late:
        assert list(late.claim_athletes(ids, started)) == []
    with open_store(db_url) as next_run:
        assert list(next_run.claim_athletes(ids, datetime.now(UTC) + timedelta(seconds=1))) == ids


@pytest.mark.parametrize("first_worker", ["finishes", "dies"])
def test_a_worker_waits_for_the_athlete_another_is_checking(db_url, store, first_worker) -> None:
    """Before a coach's digest, a worker that ran out of athletes waits for those other workers
    are still checking (a digest sent meanwhile showed them as of yesterday); an athlete a dead
    worker let go comes back to be checked."""
    import threading

    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one worker: the check lock's holder takes every athlete")
    athlete = store.athletes.add("ana").id
    started = datetime.now(UTC)
    claims = store.claim_athletes([athlete], started)
    assert next(claims) == athlete  # this worker is checking ana
    waited: list = []

    def other_worker() -> None:
        with open_store(db_url) as other:
            waited.append(other.wait_for_claims([athlete], started))

    thread = threading.Thread(target=other_worker)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive() and waited == []  # it cannot know yet: ana is being checked
    if first_worker == "finishes":
        assert list(claims) == []  # ana checked, nobody left
    else:
        claims.close()  # killed while checking ana: the claim is let go, ana unchecked
    thread.join(timeout=30)
    assert waited == ([[]] if first_worker == "finishes" else [[athlete]])


def test_a_watch_serial_has_one_owner_and_follows_the_watch(store) -> None:
    ana = store.athletes.add("ana")
    kai = store.athletes.add("kai")
    assert store.sources.device_owner("3989012345") is None
    store.sources.remember_device(ana.id, "3989012345")
    store.sources.remember_device(ana.id, "3989012345")  # a second sync: no second row
    assert store.sources.device_owner("3989012345") == ana.id
    store.sources.remember_device(kai.id, "3989012345")  # the watch was handed on
    assert store.sources.device_owner("3989012345") == kai.id
    assert store.db.scalar("SELECT COUNT(*) FROM devices") == 1


def test_source_cursors_are_per_athlete_and_source_and_only_what_was_set(store) -> None:
    ana = store.athletes.add("ana")
    kai = store.athletes.add("kai")
    assert store.sources.cursor(ana.id, "intervals.icu:i1") is None
    store.sources.set_cursor(ana.id, "intervals.icu:i1", "2026-03-01")
    store.sources.set_cursor(kai.id, "intervals.icu:i1", "2026-01-15")
    store.sources.set_cursor(ana.id, "intervals.icu:i1", "2026-03-04")
    assert store.sources.cursor(ana.id, "intervals.icu:i1") == "2026-03-04"
    assert store.sources.cursor(kai.id, "intervals.icu:i1") == "2026-01-15"
    assert store.sources.cursor(ana.id, "strava:1") is None
    with pytest.raises(RuntimeError), store.transaction():
        store.sources.set_cursor(ana.id, "intervals.icu:i1", "2026-09-09")
        raise RuntimeError("the activity that went with it was not stored")
    assert store.sources.cursor(ana.id, "intervals.icu:i1") == "2026-03-04"


def _rows_of(store, athlete_id: int) -> dict[str, int]:
    """Rows per table that hold this athlete's id, found from the schema, not from a list."""
    db = store.db
    if store.url.startswith("sqlite"):
        tables = [r[0] for r in db.rows("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = [
            t
            for t in tables
            if any(c[1] == "athlete_id" for c in db.rows(f"PRAGMA table_info({t})"))
        ]
    else:
        tables = [
            r[0]
            for r in db.rows(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'athlete_id' AND table_schema = current_schema()"
            )
        ]
    return {
        t: db.scalar(f"SELECT COUNT(*) FROM {t} WHERE athlete_id = ?", (athlete_id,))
        for t in tables
    }


def test_remove_takes_every_row_of_the_athlete_and_only_theirs(store) -> None:
    ana = store.athletes.add("ana", "ana@example.com")
    ben = store.athletes.add("ben")
    for who in (ana, ben):
        store.shoes.add(who.id, "Pegasus", default_for="running")
        save(store, who.id, run(digest=f"{who.name}-fit"))
        save(store, who.id, run(fmt="gpx", digest=f"{who.name}-gpx"))  # a copy, kept as duplicate
        store.files.record_failure(who.id, f"/in/{who.name}-bad.fit", 1, 1, "truncated")
        store.ledger.insert(who.id, [(_alert(f"{who.name}-k"), "pending")])
        store.ledger.delivery_finished([f"{who.name}-k"], "email", who.id, "<m@x>", None)
        store.sources.remember_device(who.id, f"serial-{who.name}")
        store.sources.set_cursor(who.id, "intervals.icu", "2026-03-01")
        store.pain.add(who.id, date(2026, 3, 2), 3, "after", "left knee")
        list(store.claim_athletes([who.id], datetime.now(UTC)))  # PostgreSQL's check claims
    ben_before = _rows_of(store, ben.id)
    assert all(_rows_of(store, ana.id).values())  # every table holds some of ana's rows
    removed = store.athletes.remove(ana.id)
    assert removed["activities"] == 2 and removed["shoes"] == 1 and removed["alerts"] == 1
    assert removed["pain_reports"] == 1
    assert set(_rows_of(store, ana.id).values()) == {0}
    assert _rows_of(store, ben.id) == ben_before
    assert [a.name for a in store.athletes.all()] == ["ben"]
    with pytest.raises(NotFound):
        store.athletes.remove(ana.id)


def test_a_removal_that_fails_leaves_everything(store) -> None:
    ana = store.athletes.add("ana")
    save(store, ana.id, run())
    before = _rows_of(store, ana.id)
    with pytest.raises(RuntimeError), store.transaction():
        store.athletes.remove(ana.id)
        raise RuntimeError("killed mid-way")
    assert _rows_of(store, ana.id) == before and store.athletes.named("ana") == ana


def test_rename_and_change_keep_the_id_and_refuse_a_taken_name(store) -> None:
    ana = store.athletes.add("ana", "ana@example.com", "Europe/Berlin")
    store.athletes.add("ben")
    save(store, ana.id, run())
    renamed = store.athletes.rename(ana.id, "ana-m")
    assert (renamed.id, renamed.name) == (ana.id, "ana-m")
    with pytest.raises(StoreError, match="exists already"):
        store.athletes.rename(ana.id, "ben")
    changed = store.athletes.change(ana.id, email=None, tz="Europe/Paris")
    assert (changed.email, changed.tz, changed.name) == (None, "Europe/Paris", "ana-m")
    assert len(store.activities.frame(ana.id)) == 1


def test_pain_reports_are_per_athlete_newest_first_and_deleted_by_id(store) -> None:
    ana = store.athletes.add("ana")
    ben = store.athletes.add("ben")
    first = store.pain.add(ana.id, date(2026, 3, 1), 2)
    later = store.pain.add(ana.id, date(2026, 3, 3), 6, "during", "left knee, front", "stairs")
    same_day = store.pain.add(ana.id, date(2026, 3, 3), 4, "after")
    store.pain.add(ben.id, date(2026, 3, 2), 1)
    assert (later.day, later.score, later.when, later.where, later.note) == (
        date(2026, 3, 3), 6, "during", "left knee, front", "stairs"
    )  # fmt: skip
    assert first.when == "morning" and first.where is None and first.athlete_id == ana.id
    assert [r.id for r in store.pain.all(ana.id)] == [same_day.id, later.id, first.id]
    assert store.pain.delete(later.id) == later
    assert [r.id for r in store.pain.all(ana.id)] == [same_day.id, first.id]
    assert [r.score for r in store.pain.all(ben.id)] == [1]
    with pytest.raises(NotFound):
        store.pain.delete(later.id)
    with pytest.raises(RuntimeError), store.transaction():
        store.pain.add(ana.id, date(2026, 3, 4), 7)
        raise RuntimeError("the rest of the request failed")
    assert len(store.pain.all(ana.id)) == 2


def test_pain_reports_of_many_athletes_in_one_call(store) -> None:
    ana = store.athletes.add("ana")
    ben = store.athletes.add("ben")
    cid = store.athletes.add("cid")
    a1 = store.pain.add(ana.id, date(2026, 3, 1), 2)
    a2 = store.pain.add(ana.id, date(2026, 3, 3), 6, "during", "left knee")
    a3 = store.pain.add(ana.id, date(2026, 3, 3), 4, "after")
    b1 = store.pain.add(ben.id, date(2026, 3, 2), 1)
    store.pain.add(cid.id, date(2026, 3, 2), 9)  # not asked for
    got = store.pain.all_for([ana.id, ben.id, 999_999])
    assert got == {ana.id: [a3, a2, a1], ben.id: [b1], 999_999: []}
    for who in (ana, ben):
        assert got[who.id] == store.pain.all(who.id)  # the same reports, the same order
    assert store.pain.all_for([]) == {}


@pytest.mark.parametrize("score", [-1, 11])
def test_the_store_itself_refuses_a_pain_score_outside_0_10(store, score: int) -> None:
    ana = store.athletes.add("ana")
    with pytest.raises(Exception):  # noqa: B017 - the backend's own integrity error
        store.pain.add(ana.id, date(2026, 3, 1), score)
    assert store.pain.all(ana.id) == []
