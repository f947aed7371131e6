"""Runs syncs off the UI thread and tells the window where things stand.

The controller owns the sync's schedule (at start, every ``interval_ms``, and on Sync now), its
pause/resume, and the follow-up: changed files go to the indexer, new content to a notification.
The sync itself is a plain function handed in by the composition root.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from fieldkit.core.errors import AuthError, FieldkitError, OfflineError, UsageError
from fieldkit.core.sync import (
    ProgressCallback,
    SyncControl,
    SyncFailure,
    SyncProgress,
    SyncResult,
    SyncStatus,
)
from fieldkit.ui.status_bar import CONNECTED, NOT_CONNECTED, OFFLINE, ONLINE
from fieldkit.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

SyncFunction = Callable[[SyncControl, ProgressCallback], SyncResult]
StatusFunction = Callable[[], SyncStatus]
ChangedPaths = Callable[[tuple[Path, ...]], None]

DEFAULT_INTERVAL_MS = 15 * 60 * 1000


@dataclass(frozen=True)
class SyncState:
    connection: str  # status_bar.NOT_CONNECTED, CONNECTED, ONLINE or OFFLINE
    source_kind: str | None  # "hub" or "folder"
    source: str | None  # the hub's address or the folder
    last_sync_at: datetime | None
    running: bool
    paused: bool
    pending: int  # documents of the manifest not yet at their current version locally
    failures: tuple[SyncFailure, ...]
    message: str | None


class SyncController(QObject):
    state_changed = Signal(SyncState)
    # A sync finished (also when offline or cancelled); the result says how it went.
    sync_finished = Signal(SyncResult)
    # New or updated documents arrived (their count).
    content_arrived = Signal(int)

    def __init__(
        self,
        *,
        sync: SyncFunction,
        status: StatusFunction,
        runner: TaskRunner,
        on_progress: ProgressCallback,
        on_changed_paths: ChangedPaths,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._sync = sync
        self._status = status
        self._runner = runner
        self._on_progress = on_progress
        self._on_changed_paths = on_changed_paths
        self._control: SyncControl | None = None
        self._state = SyncState(NOT_CONNECTED, None, None, None, False, False, 0, (), None)
        self._sync_after_status = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- public ------------------------------------------------------------------------------

    def start(self, *, sync_now: bool = True) -> None:
        """Read the sync state; then sync once (when connected) and on the timer."""
        self._sync_after_status = sync_now
        self.refresh_status()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._control is not None:
            self._control.cancel()

    def state(self) -> SyncState:
        return self._state

    def refresh_status(self) -> None:
        self._runner.run(self._status, self._on_status_read, self._on_status_failed)

    def sync_now(self) -> None:
        if self._state.running:
            return
        control = SyncControl()
        self._control = control
        self._set_state(running=True, paused=False, message=None)
        sync, on_progress = self._sync, self._on_progress
        self._runner.run(
            lambda: sync(control, on_progress), self._on_sync_done, self._on_sync_failed
        )

    def note_progress(self, _progress: SyncProgress) -> None:
        """Downloads are flowing: the hub answered, so we are online."""
        if self._state.running and self._state.connection != ONLINE:
            self._set_state(connection=ONLINE)

    def toggle_pause(self) -> None:
        control = self._control
        if control is None or not self._state.running:
            return
        if control.paused:
            control.resume()
        else:
            control.pause()
        self._set_state(paused=control.paused)

    # -- results -----------------------------------------------------------------------------

    def _on_timer_timeout(self) -> None:
        if self._state.connection != NOT_CONNECTED:
            self.sync_now()

    def _on_status_read(self, status: SyncStatus) -> None:
        connected = status.source_kind is not None
        connection = self._state.connection
        if not connected:
            connection = NOT_CONNECTED
        elif connection == NOT_CONNECTED:
            connection = CONNECTED
        self._set_state(
            connection=connection,
            source_kind=status.source_kind,
            source=status.source,
            last_sync_at=_parse_time(status.last_sync_at),
            pending=max(status.documents - status.current, 0),
        )
        if self._sync_after_status and connected:
            self._sync_after_status = False
            self.sync_now()

    def _on_status_failed(self, error: BaseException) -> None:
        self._set_state(message=str(error) if isinstance(error, FieldkitError) else None)

    def _on_sync_done(self, result: SyncResult) -> None:
        self._control = None
        self._set_state(
            connection=OFFLINE if result.offline else ONLINE,
            running=False,
            paused=False,
            failures=result.failed,
            message=result.message,
        )
        if result.changed_paths:
            self._on_changed_paths(result.changed_paths)
        arrived = result.downloaded + result.updated
        if arrived:
            self.content_arrived.emit(arrived)
        self.sync_finished.emit(result)
        self.refresh_status()

    def _on_sync_failed(self, error: BaseException) -> None:
        self._control = None
        if isinstance(error, UsageError):
            connection = NOT_CONNECTED
        elif isinstance(error, OfflineError | AuthError):
            connection = OFFLINE
        else:
            connection = self._state.connection
        message = str(error) if isinstance(error, FieldkitError) else "The sync failed."
        self._set_state(connection=connection, running=False, paused=False, message=message)

    def _set_state(self, **changes: object) -> None:
        self._state = replace(self._state, **changes)  # type: ignore[arg-type]
        self.state_changed.emit(self._state)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        log.warning("last sync time not understood: %r", text)
        return None
