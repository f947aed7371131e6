"""The one owner of index writes: a thread that runs every ``Library.index`` call in order.

File-system events, the start-up scan and the slow reconcile timer all arrive here as requests;
requests that pile up while a run is busy are merged into one (a full scan absorbs path requests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from fieldkit.core.library import IndexProgress, IndexReport, Library

log = logging.getLogger(__name__)

ReportCallback = Callable[[IndexReport], None]
ErrorCallback = Callable[[BaseException], None]
ProgressCallback = Callable[[IndexProgress], None]


class IndexService:
    def __init__(
        self,
        library: Library,
        *,
        on_report: ReportCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._library = library
        self._on_report = on_report
        self._on_error = on_error
        self._on_progress = on_progress
        self._wake = threading.Condition()
        self._full_scan = False
        self._paths: set[Path] = set()
        self._stopping = False
        self._busy = False
        self._runs = 0
        self._thread = threading.Thread(target=self._loop, name="fieldkit-indexer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def request(self, paths: Iterable[Path] | None = None) -> None:
        """Ask for a run: over ``paths`` only, or a full scan when None."""
        with self._wake:
            if paths is None:
                self._full_scan = True
                self._paths.clear()
            elif not self._full_scan:
                self._paths.update(paths)
            self._wake.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending or running (for the CLI and tests)."""
        with self._wake:
            return self._wake.wait_for(
                lambda: not (self._busy or self._full_scan or self._paths), timeout
            )

    @property
    def runs(self) -> int:
        return self._runs

    def _loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._stopping or self._full_scan or bool(self._paths))
                if self._stopping:
                    return
                only: list[Path] | None = None if self._full_scan else sorted(self._paths)
                self._full_scan = False
                self._paths.clear()
                self._busy = True
            try:
                report = self._library.index(progress=self._on_progress, only=only)
            except Exception as exc:
                log.exception("indexing failed")
                if self._on_error is not None:
                    self._on_error(exc)
            else:
                if self._on_report is not None:
                    self._on_report(report)
            finally:
                with self._wake:
                    self._busy = False
                    self._runs += 1
                    self._wake.notify_all()
