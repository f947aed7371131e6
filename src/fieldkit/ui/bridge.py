"""The one adapter from core callbacks to Qt signals.

Core services (the indexer, the sync) call plain callbacks on their own threads. ``CoreBridge``
re-emits each as a typed signal; connected to bound slots of main-thread objects, the slots run
on the UI thread. Progress is throttled here, so a burst of reports costs one repaint per tick.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal

from fieldkit.core.library import IndexProgress, IndexReport
from fieldkit.core.sync import SyncProgress

# Shortest time between two progress signals of one kind (the last one always goes through).
PROGRESS_INTERVAL_S = 0.1


class _Throttle:
    """Says whether a progress report is worth a signal: the first, the last, or one per tick."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._last = 0.0
        self._lock = threading.Lock()

    def due(self, done: int, total: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if done == 0 or done >= total or now - self._last >= self._interval_s:
                self._last = now
                return True
            return False


class CoreBridge(QObject):
    index_progressed = Signal(IndexProgress)
    index_finished = Signal(IndexReport)
    index_failed = Signal(BaseException)
    sync_progressed = Signal(SyncProgress)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._index_throttle = _Throttle(PROGRESS_INTERVAL_S)
        self._sync_throttle = _Throttle(PROGRESS_INTERVAL_S)

    # Called by fieldkit.core.indexer.IndexService on its thread.

    def on_index_progress(self, progress: IndexProgress) -> None:
        if self._index_throttle.due(progress.done, progress.total):
            self.index_progressed.emit(progress)

    def on_index_report(self, report: IndexReport) -> None:
        self.index_finished.emit(report)

    def on_index_error(self, error: BaseException) -> None:
        self.index_failed.emit(error)

    # Called by fieldkit.core.sync.Syncer on its download threads.

    def on_sync_progress(self, progress: SyncProgress) -> None:
        if self._sync_throttle.due(progress.bytes_done, progress.bytes_total):
            self.sync_progressed.emit(progress)
