"""The server keeps the athletes' states current in the background, so a page rarely waits.

A page over current states costs milliseconds; over a club whose states all turned stale (a
midnight in the athletes' zone with no check run since, a big import) the first page paid the
whole club's recompute, 25 s for 1,000 athletes, and a coach opens the team page every morning,
often before the cron check. One thread recomputes the stale states: at start, at each moment the
clock alone makes one stale (the next midnight in an athlete's zone, snapshot.clock_changes), and
soon after the data changed (seen through the server's data version, once it has been quiet a
moment, so an import's many commits cost one pass). It works in batches and stores each state
through the server's one writer, one short write at a time: an edit waits for at most one write,
never for the pass.

A page that needs states while a pass is due or under way waits for that pass instead of
recomputing the club beside it (single flight); whatever is still stale when it finishes (a change
during the pass), the page computes itself, as it always did: a stale state is never shown as
current. A --read-only server cannot store states: it keeps what it computes in the server's
cache (the one its pages read), current until the athlete's data or day changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .serving import Serving

log = logging.getLogger("loadwatch.web")


@dataclass(frozen=True)
class WarmSettings:
    """How often the worker looks, how long the data must be quiet, how much one batch does.

    `poll_s`: between looks at the data version and the clock (one tiny query each);
    `quiet_s`: the data unchanged this long after a change before a pass; `most_s`: a pass at the
    latest this long after the first change, however busy the data; `batch`: athletes a batch
    recomputes (about 25 ms each); `retry_s`: after a pass failed (a busy or restarted database)."""

    poll_s: float = 1.0
    quiet_s: float = 2.0
    most_s: float = 30.0
    batch: int = 25
    retry_s: float = 10.0


class Warmer:
    """The background refresh of one server's states (see the module's docstring)."""

    def __init__(self, serving: Serving, settings: WarmSettings | None = None):
        self.serving = serving
        self.settings = settings or WarmSettings()
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.started = 0  # passes begun
        self.finished = 0  # passes ended (done, stopped or failed)
        self.running = False
        self.asked = False  # a page waits for a pass
        self.seen: Hashable = None  # the data version the last pass began from
        self.next_at: datetime | None = None  # when the clock alone next makes a state stale
        self.retry_at: float | None = None  # monotonic: after a failed pass
        self.computed = 0  # states recomputed by passes

    # -- the server's side ------------------------------------------------------------------
    def start(self) -> None:
        if self.thread is not None:
            return
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="loadwatch-warm", daemon=True)
        self.thread.start()

    def stop(self, timeout_s: float = 120.0) -> None:
        """Ends the worker after the batch at work (each state is its own short write, so
        nothing is left half written) and waits for its thread to end."""
        thread = self.thread
        if thread is None:
            return
        self.stopping.set()
        with self.cond:
            self.cond.notify_all()
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("the background refresh did not stop within %.0f s", timeout_s)
        self.thread = None

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and not self.stopping.is_set()

    # -- a page's side ----------------------------------------------------------------------
    def due(self, version: Hashable, now: datetime) -> bool:
        """Whether states may be stale for want of a pass: one is under way, the data moved
        since the last began, or the clock passed a midnight in an athlete's zone."""
        if not self.alive:
            return False
        with self.cond:
            return (
                self.running or version != self.seen or self.next_at is None or now >= self.next_at
            )

    def settle(self, timeout_s: float) -> bool:
        """Waits for the pass under way, or asks for one now (no quiet wait) and waits for it;
        False when none ended within `timeout_s` (the page then computes what it needs)."""
        if not self.alive:
            return False
        with self.cond:
            target = self.started if self.running else self.started + 1
            self.asked = True
            self.cond.notify_all()
            return self.cond.wait_for(
                lambda: self.finished >= target or self.stopping.is_set(), timeout_s
            )

    # -- the worker -------------------------------------------------------------------------
    def _run(self) -> None:
        s = self.settings
        last: Hashable = None  # the version at the previous look
        moved_at = first_moved = 0.0
        first = True
        failing = False
        while not self.stopping.is_set():
            try:
                version: Hashable = self.serving.versions.now()
                failing = False
            except Exception as e:  # the watcher reconnects at the next look
                if not failing:  # once, not every poll while the database is away
                    log.warning("background refresh: cannot read the data version: %s", e)
                failing = True
                version = self.seen
            mono = time.monotonic()
            if version != last:
                moved_at, last = mono, version
                if version == self.seen:
                    first_moved = 0.0
                elif not first_moved:
                    first_moved = mono
            with self.cond:
                asked = self.asked
            now = self.serving.clock()
            moved = version != self.seen and (
                mono - moved_at >= s.quiet_s or mono - first_moved >= s.most_s
            )
            turned = self.next_at is not None and now >= self.next_at
            retry = self.retry_at is not None and mono >= self.retry_at
            if first or asked or moved or turned or retry:
                if self.retry_at is None or mono >= self.retry_at or asked:
                    first = False
                    first_moved = 0.0
                    self._pass(version)
                    continue
            with self.cond:
                if not self.asked and not self.stopping.is_set():
                    self.cond.wait(s.poll_s)

    def _pass(self, version: Hashable) -> None:
        """One pass over the states stale now, in batches, each stored as it is computed."""
        from .. import snapshot

        serving = self.serving
        with self.cond:
            self.running, self.asked = True, False
            self.started += 1
            self.seen = version  # a change after this look is seen by the next pass
        try:
            with serving.reader() as app:
                now = serving.clock()
                athletes = app.store.athletes.all()
                todo = snapshot.stale(app.store, serving.settings, athletes, now, serving.cache)
                for i in range(0, len(todo), self.settings.batch):
                    if self.stopping.is_set():
                        break
                    done = snapshot.current_states(
                        app.store,
                        serving.settings,
                        todo[i : i + self.settings.batch],
                        serving.clock(),
                        write=serving.states is not None,
                        writer=serving.states,
                        cache=serving.cache,
                    )
                    self.computed += done.computed
                    time.sleep(0)  # let a waiting request's thread in between batches
                zones = [a.tz for a in athletes]
                self.next_at = snapshot.clock_changes(zones, [], now, 7)
                self.retry_at = None
        except Exception as e:
            # A busy or restarted database: the pages compute what they need meanwhile.
            log.warning(
                "background refresh failed, retrying in %.0f s: %s", self.settings.retry_s, e
            )
            self.retry_at = time.monotonic() + self.settings.retry_s
        finally:
            with self.cond:
                self.running = False
                self.finished += 1
                self.cond.notify_all()
