"""Keeps the index current while fieldkit runs: watchdog events as hints, scans as the truth.

Events duplicate, coalesce and get lost (editors save by rename, network shares send none), so
they are debounced into path requests, and a full reconcile scan runs at start and on a slow timer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

log = logging.getLogger(__name__)

RequestCallback = Callable[[Iterable[Path] | None], None]

# What can change a document. Not opening or reading a file: asked for those too (watchdog's
# default), the kernel reported every read of the library (by the reconcile scan's hashing,
# extraction, previews, other programs), each one Python work on the watcher's threads while the
# rep typed, and enough of them overflowed the event queue.
CHANGE_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirModifiedEvent,
    DirAttribEvent,
    DirMovedEvent,
    DirDeletedEvent,
]


class FolderWatcher:
    """Watches folders and calls ``request(paths)`` after a quiet spell, ``request(None)`` to
    reconcile with a full scan (at start and every ``reconcile_s``)."""

    def __init__(
        self,
        request: RequestCallback,
        *,
        quiet_s: float = 0.2,
        max_delay_s: float = 1.0,
        reconcile_s: float = 600.0,
        polling: bool = False,
    ) -> None:
        self._request = request
        self._quiet_s = quiet_s
        self._max_delay_s = max_delay_s
        self._reconcile_s = reconcile_s
        self._observer: BaseObserver = PollingObserver() if polling else Observer()
        self._handler = _Collector(self._on_path)
        self._lock = threading.Condition()
        self._pending: set[Path] = set()
        self._first_event = 0.0
        self._last_event = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="fieldkit-watch", daemon=True)
        self._watched: dict[Path, object] = {}

    def watch(self, folder: Path) -> None:
        folder = folder.resolve()
        if folder in self._watched or not folder.is_dir():
            return
        try:
            self._watched[folder] = self._observer.schedule(
                self._handler, str(folder), recursive=True, event_filter=CHANGE_EVENTS
            )
        except OSError as exc:
            # inotify watch limits, permissions: the reconcile timer still keeps the index right.
            log.warning(
                "cannot watch %s (%s); the periodic scan will find changes", folder, exc
            )

    def unwatch(self, folder: Path) -> None:
        watch = self._watched.pop(folder.resolve(), None)
        if watch is not None:
            self._observer.unschedule(watch)  # type: ignore[arg-type]

    def start(self) -> None:
        self._observer.start()
        self._thread.start()
        self._request(None)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._observer.stop()
        self._observer.join()
        if self._thread.is_alive():
            self._thread.join()

    def _on_path(self, path: Path) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._pending:
                self._first_event = now
            self._pending.add(path)
            self._last_event = now
            self._lock.notify_all()

    def _loop(self) -> None:
        next_reconcile = time.monotonic() + self._reconcile_s
        while True:
            with self._lock:
                if self._stopping:
                    return
                now = time.monotonic()
                if self._pending:
                    due = min(
                        self._last_event + self._quiet_s,
                        self._first_event + self._max_delay_s,
                    )
                else:
                    due = next_reconcile
                if now < due:
                    self._lock.wait(timeout=due - now)
                    continue
                batch = sorted(self._pending)
                self._pending.clear()
            if batch:
                self._request(batch)
            else:
                next_reconcile = time.monotonic() + self._reconcile_s
                self._request(None)


class _Collector(FileSystemEventHandler):
    def __init__(self, sink: Callable[[Path], None]) -> None:
        self._sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self._sink(Path(raw if isinstance(raw, str) else raw.decode()))
