"""Pages made once and shared by every request that asks for the same page of the same data.

A team page of a 100-athlete club costs about 8 ms of one core to build (100 rows from the stored
states, 100 sparklines, the template); 200 coaches' browsers at once paid it 200 times, one after
another, and the last waited 2 s. Kept by (the data's version, what was asked), a repeat costs
one tiny query and a dict lookup, and requests that arrive while the page is being made wait for
that one making instead of starting their own (single flight).

The data's version is the store's (`Store.data_version`: SQLite's data_version, PostgreSQL's
current snapshot) as one watching connection sees it: each time it moved since the last look, one
counter for the whole server moves, so a change committed before a request looked (by this
server's writer, an import by the CLI in another process, a person with a shell) is in every page
that request is given. The clock is the page's other input: a page is kept only until the first
moment it would change with the clock alone (App.holds_until: a day boundary in an athlete's
zone, a sent alert leaving the open window).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from ..store import Store


class Versions:
    """One counter for the server's data, moved whenever its watching connection sees a change.

    One connection watches for all requests (under a lock: one tiny query each): a commit moves
    the counter once, at the first look after it, so the requests that arrive together after a
    change share one new version and one making (each pooled connection counting for itself
    moved it once per connection, and each made the page again)."""

    def __init__(self, open_watcher: Callable[[], Store]):
        self.open_watcher = open_watcher
        self.watcher: Store | None = None
        self.seen: Hashable = None
        self.count = 0
        self.lock = threading.Lock()

    def now(self) -> int:
        """The counter as of now. A new watcher (at start, or after its connection failed)
        moves it too: its values say nothing about the last one's."""
        with self.lock:
            if self.watcher is None:
                self.watcher, self.seen = self.open_watcher(), object()
            try:
                value = self.watcher.data_version()
            except BaseException:
                self.close()
                raise
            if value != self.seen:
                self.seen = value
                self.count += 1
            return self.count

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None


# Held until the data's revision moves (its key changes); the clock alone never changes it.
FOREVER = datetime.max.replace(tzinfo=UTC)


class Holds(Protocol):
    """What Pages keeps: anything that says until when it holds (a page, a report, a chart)."""

    @property
    def until(self) -> datetime: ...


H = TypeVar("H", bound=Holds)


@dataclass(frozen=True)
class Made:
    """A page's bytes, their tag for If-None-Match, and the moment the clock alone changes it."""

    body: bytes
    until: datetime
    etag: str

    @classmethod
    def of(cls, body: bytes, until: datetime) -> Made:
        return cls(body, until, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


class Pages(Generic[H]):
    """The newest `size` things made (pages, an athlete's report, a chart) by key, each while
    it holds; one making at a time per key."""

    def __init__(self, size: int = 64):
        self.size = size
        self.items: OrderedDict[Hashable, H] = OrderedDict()
        self.making: dict[Hashable, threading.Event] = {}
        self.lock = threading.Lock()
        self.made = 0  # how many times a page was made (the rest were shared)

    def get(self, key: Hashable, now: datetime, make: Callable[[], H]) -> H:
        """The page kept under `key` if it still holds at `now`; else the one being made for
        the key, once made; else `make()`'s, kept. A making that failed is not shared: each
        waiter then makes its own (and meets its own error)."""
        while True:
            with self.lock:
                made = self.items.get(key)
                if made is not None and now < made.until:
                    self.items.move_to_end(key)
                    return made
                making = self.making.get(key)
                if making is None:
                    making = self.making[key] = threading.Event()
                    break
            making.wait()
        try:
            made = make()
            with self.lock:
                self.made += 1
                self.items[key] = made
                self.items.move_to_end(key)
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
            return made
        finally:
            with self.lock:
                del self.making[key]
            making.set()
