"""The inboxes as they change: filesystem events (watchdog) turned into batches of complete files.

An event says a file is being written, not that it is finished: a watch's sync or a `cp` of 300
runs sends a burst of events per file over seconds. A file is handed on only once its size and
modification time have stood still for `settle_s`, and an athlete's files are handed on together
once the whole burst is quiet, so a sync of 300 runs is one import, not 300, and a half-copied
file is never read as a broken one. Network mounts send no events; there a polling observer
compares the folders' listings instead.

The watcher only says which files are ready (`on_ready(athlete)`, then `take(athlete)`); what to
do with them (import, check) is the scheduler's job.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from .importers import is_activity_name, is_archive_name

log = logging.getLogger("loadwatch.watch")

# However long a sync keeps writing, what has stood still this long is imported meanwhile.
MAX_WAIT_S = 60.0


@dataclass
class _Seen:
    athlete: str
    size: int
    mtime_ns: int
    changed_at: float  # monotonic seconds of the last change seen (event or stat)
    first_seen: float


def wanted(path: str) -> bool:
    """Activity files and zips, not hidden ones (rsync and browsers write to `.name.XXXX` and
    rename when done; the rename is the event that counts)."""
    name = os.path.basename(path)
    return not name.startswith(".") and (is_activity_name(name) or is_archive_name(name))


def settled(seen: list[_Seen], now: float, settle_s: float, max_wait_s: float) -> bool:
    """Whether an athlete's pending files are ready as one batch: nothing changed for
    `settle_s`, or the oldest has waited `max_wait_s` (then the quiet ones go ahead)."""
    if not seen:
        return False
    quiet = all(now - s.changed_at >= settle_s for s in seen)
    return quiet or now - min(s.first_seen for s in seen) >= max_wait_s


class InboxWatcher:
    """Watches every athlete's inbox folders; `on_ready(athlete)` is called (from the watcher's
    own thread) when complete files are waiting, and `take(athlete)` hands them over."""

    def __init__(
        self,
        inboxes: dict[str, list[Path]],
        on_ready: Callable[[str], None],
        *,
        polling: bool = False,
        settle_s: float = 2.0,
        poll_s: float = 1.0,
        max_wait_s: float = MAX_WAIT_S,
    ):
        self.on_ready = on_ready
        self.settle_s = settle_s
        self.max_wait_s = max_wait_s
        self.tick_s = min(0.25, settle_s / 4) if settle_s > 0 else 0.05
        self.polling = polling
        # Longest folder first: a path belongs to the athlete of its nearest inbox.
        self.folders = sorted(
            ((Path(os.path.abspath(f)), name) for name, fs in inboxes.items() for f in fs),
            key=lambda x: -len(str(x[0])),
        )
        self.observer: BaseObserver = PollingObserver(timeout=poll_s) if polling else Observer()
        self.watched: list[Path] = []
        self._lock = threading.Lock()
        self._pending: dict[str, _Seen] = {}
        self._ready: dict[str, set[str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._settle_loop, name="inbox-settle", daemon=True)

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> list[Path]:
        """Start watching; returns the folders watched (a missing one is left to the interval
        import, which says so on every run)."""
        handler = _Handler(self)
        for folder, _ in self.folders:
            if folder.is_dir():
                self.observer.schedule(handler, str(folder), recursive=True)
                self.watched.append(folder)
        self.observer.start()
        self._thread.start()
        return self.watched

    def stop(self) -> None:
        self._stop.set()
        self.observer.stop()
        self.observer.join(timeout=10)
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    # -- what the scheduler calls ------------------------------------------------------------
    def take(self, athlete: str) -> list[Path]:
        """The athlete's complete files waiting for import (each handed over once)."""
        with self._lock:
            paths = self._ready.pop(athlete, set())
        return [Path(p) for p in sorted(paths)]

    # -- events ----------------------------------------------------------------------------
    def athlete_of(self, path: str) -> str | None:
        p = Path(os.path.abspath(path))
        for folder, name in self.folders:
            if p == folder or folder in p.parents:
                return name
        return None

    def saw(self, path: str) -> None:
        """A file was created, written, closed or moved in: (re)start its quiet period."""
        if not wanted(path):
            return
        athlete = self.athlete_of(path)
        if athlete is None:
            return
        now = time.monotonic()
        try:
            st = os.stat(path)
        except OSError:
            return  # gone again (a temporary file)
        with self._lock:
            seen = self._pending.get(path)
            if seen is None:
                self._pending[path] = _Seen(athlete, st.st_size, st.st_mtime_ns, now, now)
            else:
                seen.size, seen.mtime_ns, seen.changed_at = st.st_size, st.st_mtime_ns, now

    def saw_folder(self, folder: str) -> None:
        """A folder moved in whole: its files produce no events of their own."""
        for root, _dirs, files in os.walk(folder):
            for name in files:
                self.saw(os.path.join(root, name))

    def _settle_loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self._settle_once()
            except Exception:  # the watcher must outlive a surprise; the interval job remains
                log.exception("inbox watcher")

    def _settle_once(self) -> None:
        now = time.monotonic()
        with self._lock:
            items = list(self._pending.items())
        # A size or time that still moves is a file still being written, events or not (a
        # polling observer sees a slow copy only now and then).
        for path, seen in items:
            try:
                st = os.stat(path)
            except OSError:
                with self._lock:
                    self._pending.pop(path, None)  # deleted or moved away before it settled
                continue
            if (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
                with self._lock:
                    seen.size, seen.mtime_ns, seen.changed_at = st.st_size, st.st_mtime_ns, now
        ready: list[str] = []
        with self._lock:
            by_athlete: dict[str, list[tuple[str, _Seen]]] = {}
            for path, seen in self._pending.items():
                by_athlete.setdefault(seen.athlete, []).append((path, seen))
            for athlete, pairs in by_athlete.items():
                if not settled([s for _, s in pairs], now, self.settle_s, self.max_wait_s):
                    continue
                for path, seen in pairs:
                    if now - seen.changed_at >= self.settle_s:
                        del self._pending[path]
                        self._ready.setdefault(athlete, set()).add(path)
                if athlete in self._ready:
                    ready.append(athlete)
        for athlete in ready:
            self.on_ready(athlete)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: InboxWatcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        path = event.dest_path if event.event_type == "moved" else event.src_path
        path = os.fsdecode(path)
        if event.is_directory:
            if event.event_type in ("moved", "created"):
                self.watcher.saw_folder(path)
            return
        self.watcher.saw(path)
