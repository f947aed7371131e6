"""The one background mechanism of the app: callables run on a QThreadPool, and their result or
error is delivered back on the main thread.

``TaskRunner.run(fn, on_result, on_error)`` never blocks the caller. Workers return immutable
values (frozen dataclasses, bytes, tuples), never QObjects or ORM objects. Tests pass
``InlineTaskRunner``, which runs every task at once on the calling thread.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThreadPool, Signal

from fieldkit.core.errors import FieldkitError
from fieldkit.core.pacing import Pacer

log = logging.getLogger(__name__)

T = TypeVar("T")
ResultCallback = Callable[[Any], object]
ErrorCallback = Callable[[BaseException], None]


@dataclass(frozen=True)
class _Outcome:
    task_id: int
    result: Any
    error: BaseException | None


class TaskRunner(QObject):
    """Runs callables off the UI thread; callbacks run on the thread that owns the runner."""

    # An error no caller handled (no ``on_error``): the window shows it.
    task_failed = Signal(BaseException)
    _task_done = Signal(_Outcome)

    def __init__(
        self, *, threads: int = 2, pacer: Pacer | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        # With a pacer, a task waits to start while a search the rep is waiting for runs.
        self._pacer = pacer
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[ResultCallback, ErrorCallback | None]] = {}
        self._closed = False
        self._task_done.connect(self._on_task_done)

    def run(
        self,
        fn: Callable[[], T],
        on_result: Callable[[T], object],
        on_error: ErrorCallback | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        """Run ``fn`` on a pool thread, then ``on_result(value)`` or ``on_error(exc)`` here.

        With an ``owner`` (a dialog the rep may close before the task ends), the callbacks are
        dropped once the owner is destroyed, so they never touch a deleted widget.
        """
        if self._closed:
            return
        task_id = next(self._ids)
        self._callbacks[task_id] = (on_result, on_error)
        if owner is not None:
            owner.destroyed.connect(lambda: self._callbacks.pop(task_id, None))
        pacer = self._pacer
        if pacer is not None:
            self._pool.start(lambda: self._task_done.emit(_execute(task_id, fn, pacer)))
        else:
            self._pool.start(lambda: self._task_done.emit(_execute(task_id, fn)))

    def pending(self) -> int:
        """Tasks started whose callbacks have not run yet."""
        return len(self._callbacks)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Wait for running tasks; their callbacks, and any later ``run``, are dropped."""
        self._closed = True
        self._callbacks.clear()
        self._pool.clear()
        if not self._pool.waitForDone(timeout_ms):
            log.warning("background tasks still running after %d ms at shutdown", timeout_ms)

    def _on_task_done(self, outcome: _Outcome) -> None:
        callbacks = self._callbacks.pop(outcome.task_id, None)
        if callbacks is None:
            return
        on_result, on_error = callbacks
        if outcome.error is None:
            on_result(outcome.result)
        else:
            self._deliver_error(outcome.error, on_error)

    def _deliver_error(self, error: BaseException, on_error: ErrorCallback | None) -> None:
        if not isinstance(error, FieldkitError):
            log.error("background task failed", exc_info=(type(error), error, error.__traceback__))
        if on_error is not None:
            on_error(error)
        else:
            self.task_failed.emit(error)


class InlineTaskRunner(TaskRunner):
    """Runs each task immediately on the calling thread (tests, scripts)."""

    def run(
        self,
        fn: Callable[[], T],
        on_result: Callable[[T], object],
        on_error: ErrorCallback | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        if self._closed:
            return
        outcome = _execute(0, fn)
        if outcome.error is None:
            on_result(outcome.result)
        else:
            self._deliver_error(outcome.error, on_error)


def _execute(task_id: int, fn: Callable[[], Any], pacer: Pacer | None = None) -> _Outcome:
    if pacer is not None:
        pacer.pause()
    try:
        return _Outcome(task_id, fn(), None)
    except Exception as exc:
        return _Outcome(task_id, None, exc)
