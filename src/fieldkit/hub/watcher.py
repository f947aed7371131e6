"""Keeping the hub's view of the folder current: file events, debounced, plus a slow rescan.

Watchdog's events are hints (they duplicate, coalesce, overflow and miss network shares), so an
event only wakes the rescan thread; it waits for the folder to go quiet, then runs a full scan.
A periodic full scan reconciles whatever the events missed, and a failed scan is retried.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
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

from fieldkit.hub.paths import SIDECAR_SUFFIX, is_document_name
from fieldkit.hub.scanner import ScanReport

log = logging.getLogger(__name__)

# Reads (opened, closed without writing) must not wake the scanner: hashing and serving read.
_WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
_RETRY_SECONDS = 5.0


class FolderWatcher:
    """Runs ``scan`` after file events (debounced) and every ``rescan_interval`` seconds."""

    def __init__(
        self,
        root: Path,
        scan: Callable[[], ScanReport],
        *,
        poll: bool = False,
        debounce: float = 0.5,
        max_delay: float = 10.0,
        rescan_interval: float = 300.0,
    ) -> None:
        self._root = root
        self._scan = scan
        self._poll = poll
        self._debounce = debounce
        self._max_delay = max_delay
        self._rescan_interval = rescan_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._observer = self._start_observer()
        self._thread = threading.Thread(target=self._run, name="hub-rescan", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def request_rescan(self) -> None:
        self._wake.set()

    def _start_observer(self) -> BaseObserver:
        handler = _WakeOnChange(self, str(self._root))
        observer: BaseObserver = PollingObserver() if self._poll else Observer()
        observer.schedule(
            handler, str(self._root), recursive=True, event_filter=_WATCHED_EVENTS
        )
        try:
            observer.start()
        except OSError as exc:
            if self._poll:
                raise
            log.warning("file events unavailable (%s); polling the folder instead", exc)
            observer = PollingObserver()
            observer.schedule(
                handler, str(self._root), recursive=True, event_filter=_WATCHED_EVENTS
            )
            observer.start()
        log.info("watching %s (%s)", self._root, type(observer).__name__)
        return observer

    def _run(self) -> None:
        delay = self._rescan_interval
        while not self._stopping.is_set():
            woken = self._wake.wait(timeout=delay)
            if self._stopping.is_set():
                return
            if woken:
                self._settle()
            delay = self._rescan_interval
            try:
                report = self._scan()
            except Exception:
                log.exception("scan of %s failed; retrying in %.0f s", self._root,
                              _RETRY_SECONDS)
                delay = _RETRY_SECONDS
                continue
            if report.unsettled:
                delay = min(delay, max(self._debounce, 1.0))

    def _settle(self) -> None:
        """Wait until no event arrived for ``debounce`` seconds (at most ``max_delay``)."""
        deadline = time.monotonic() + self._max_delay
        while not self._stopping.is_set():
            self._wake.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._wake.wait(timeout=min(self._debounce, remaining)):
                return


class _WakeOnChange(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher, root: str) -> None:
        self._watcher = watcher
        self._root = root

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [event.src_path, event.dest_path] if event.dest_path else [event.src_path]
        if any(self._matters(os.fsdecode(path), event.is_directory) for path in paths):
            self._watcher.request_rescan()

    def _matters(self, path: str, is_directory: bool) -> bool:
        """Events on hidden folders, lock files and partial files cannot change the manifest."""
        parts = os.path.relpath(path, self._root).split(os.sep)
        if any(part.startswith(".") and part not in (".", "..") for part in parts):
            return False
        if is_directory:
            return True
        name = parts[-1]
        return is_document_name(name) or name.endswith(SIDECAR_SUFFIX)
