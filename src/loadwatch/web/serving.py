"""How `loadwatch web` holds its database and its load: opened once, read through a small pool.

The database is opened (config synced, schema migrated) once at start, by the one writer the
server keeps for edits and for storing athlete states; pages read through a pool of connections
that cannot write (store.open_reader), each serving one request at a time. A request waits for a
connection only in a bounded queue and only for a while: a client that gave up and retried
leaves no growing pile of work behind it (each request once opened the database, ran the
migration check and analysed every athlete; 200 waiting clients took minutes to drain).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..app import App, Clock, StateCache, utc_now
from ..config import Settings
from ..errors import LoadwatchError
from ..store import Store
from .shared import FOREVER, Made, Pages, Versions
from .warm import Warmer, WarmSettings

if TYPE_CHECKING:
    from ..views import ReportView


class LockedStates:
    """The writer's snapshot repository for the readers: one write at a time."""

    def __init__(self, store: Store, lock: threading.Lock):
        self.store = store
        self.lock = lock

    def write(
        self,
        athlete_id: int,
        revision: int,
        day: date,
        fingerprint: str,
        alerts_since: date | None,
        payload: str,
    ) -> bool:
        with self.lock:
            return self.store.snapshots.write(
                athlete_id, revision, day, fingerprint, alerts_since, payload
            )

    # The protocol's reads go to the writer too (readers read through their own connection).
    def all(self, payloads: bool = True) -> Any:
        with self.lock:
            return self.store.snapshots.all(payloads)

    def payloads(self, computed: Any) -> Any:
        with self.lock:
            return self.store.snapshots.payloads(computed)

    def get(self, athlete_id: int) -> Any:
        with self.lock:
            return self.store.snapshots.get(athlete_id)


@dataclass(frozen=True)
class Report:
    """An athlete's report as the page shows it: the view (its charts are drawn from it) and its
    HTML with the charts linked. Held while its key (the athlete's data revision, the day, the
    reader's unit) is asked for: the clock alone does not change it."""

    view: ReportView
    body: str
    until: datetime = FOREVER


class Serving:
    """The server's connections: `writer` (None with --read-only) and `size` pooled readers."""

    def __init__(
        self,
        settings: Settings,
        writer: App | None,
        open_reader: Callable[[], Store],
        size: int,
        clock: Clock = utc_now,
        warm: WarmSettings | None = None,
    ):
        self.settings = settings
        self.clock = clock
        self.writer_app = writer
        self.open_reader = open_reader
        self.size = size
        self.idle: queue.SimpleQueue[Store] = queue.SimpleQueue()
        self.lock = threading.Lock()
        # States computed by readers stay current here until stored (or, read-only, until a
        # check or a change stores them): a page after midnight analyses each athlete once.
        self.cache: StateCache = {}
        self.states = LockedStates(writer.store, self.lock) if writer is not None else None
        # An athlete page's report, and each of its charts, once per revision of its data.
        self.reports: Pages[Report] = Pages(128)
        self.charts: Pages[Made] = Pages(256)
        # The team and alerts pages, by the data's version and what was asked (see shared.py).
        self.versions = Versions(open_reader)
        self.pages: Pages[Made] = Pages()
        # Keeps the states current in the background (started and stopped with the server).
        self.warmer = Warmer(self, warm)

    @property
    def read_only(self) -> bool:
        return self.writer_app is None

    @contextmanager
    def reader(self) -> Iterator[App]:
        """An App over a pooled read-only connection; a connection that failed with anything
        but loadwatch's own errors is closed, not handed out again (a restarted server)."""
        try:
            store = self.idle.get_nowait()
        except queue.Empty:
            store = self.open_reader()
        app = App(
            store,
            self.settings,
            self.clock,
            writes_states=self.states is not None,
            state_writer=self.states,
            state_cache=self.cache,
        )
        try:
            yield app
        except LoadwatchError:
            self.idle.put(store)
            raise
        except BaseException:
            store.close()
            raise
        else:
            self.idle.put(store)

    def shared(self, asked: Hashable, make: Callable[[], Made], wait_s: float = 120.0) -> Made:
        """The page `asked` for as `make` makes it, or as it was made already for the data as
        it is now (and kept while the clock leaves it so). While the background refresh has a
        pass due or under way, that pass is waited for (`wait_s` at most) instead of the page
        recomputing the club beside it."""
        version = self.versions.now()
        if self.warmer.due(version, self.clock()) and self.warmer.settle(wait_s):
            version = self.versions.now()
        return self.pages.get((version, asked), self.clock(), make)

    @contextmanager
    def writer(self) -> Iterator[App]:
        """The one writer, for an edit (its state is stored in the same transaction)."""
        if self.writer_app is None:
            raise LoadwatchError("this loadwatch web runs --read-only: no edits")
        with self.lock:
            yield self.writer_app

    def close(self) -> None:
        self.warmer.stop()  # first: it reads and writes through the connections closed below
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                break
        self.versions.close()
        if self.writer_app is not None:
            self.writer_app.close()


async def _busy(send: Send, detail: str) -> None:
    body = f"503 busy: {detail}; try again in a few seconds\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"2"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Admission:
    """At most `limit` requests at work and `queue` waiting, each at most `wait_s` seconds; the
    rest are answered 503 at once. A GET whose client left while it waited is dropped unworked."""

    def __init__(self, app: ASGIApp, limit: int, queue: int, wait_s: float):
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait_s = wait_s
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        slots = self._slots
        if self.waiting >= self.queue:
            await _busy(send, f"{self.waiting} requests are waiting already")
            return
        self.waiting += 1
        try:
            with anyio.move_on_after(self.wait_s) as waited:
                await slots.acquire()
        finally:
            self.waiting -= 1
        if waited.cancelled_caught:
            await _busy(send, f"no free worker in {self.wait_s:g} s")
            return
        try:
            if scope.get("method") == "GET":
                gone, receive = await _gone(receive)
                if gone:
                    return
            await self.app(scope, receive, send)
        finally:
            slots.release()


async def _gone(receive: Receive) -> tuple[bool, Receive]:
    """Whether the client disconnected already, and a `receive` that replays what was read."""
    read: list[Message] = []
    for _ in range(2):
        with anyio.CancelScope() as scope:
            scope.cancel()
            read.append(await receive())
        if scope.cancelled_caught or read[-1]["type"] != "http.request":
            break
        if read[-1].get("more_body"):
            break
    if read and read[-1]["type"] == "http.disconnect":
        return True, receive

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    return False, replay
