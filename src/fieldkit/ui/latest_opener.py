"""Open the latest, from the app: before a document opens, its newest version is fetched when the
hub can be reached (the status bar says so); otherwise the local copy opens with a warning.

The deciding and fetching are the core's (:func:`fieldkit.core.open_latest.prepare_open`), run on
the task runner; this object shows progress, hands the file to the desktop and reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from fieldkit.core.errors import FieldkitError
from fieldkit.core.open_latest import OpenTarget
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.status_bar import Activity, StatusPanel
from fieldkit.ui.tasks import TaskRunner

ACTIVITY = "open"

# Finds (and fetches first, when it can) the file to open for a document id or a path.
Prepare = Callable[[str], OpenTarget]


@dataclass(frozen=True)
class _Request:
    sequence: int
    ref: str
    title: str


class LatestOpener(QObject):
    # A document was handed to the desktop (after any fetch); the target says what opened.
    opened = Signal(OpenTarget)
    # Opening failed; the message says why in plain words.
    failed = Signal(str)

    def __init__(
        self,
        *,
        prepare: Prepare,
        runner: TaskRunner,
        launcher: Launcher,
        status: StatusPanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._prepare = prepare
        self._runner = runner
        self._launcher = launcher
        self._status = status
        self._sequence = 0
        self._pending: dict[int, Callable[[], None] | None] = {}

    def open(self, ref: str, title: str, on_opened: Callable[[], None] | None = None) -> None:
        """Open ``ref`` (a document id or a file path) at its newest version; ``on_opened`` runs
        here once the desktop has it."""
        self._sequence += 1
        request = _Request(self._sequence, ref, title)
        self._pending[request.sequence] = on_opened
        self._status.set_activity(
            ACTIVITY, Activity(f"Opening “{title}”: checking for a newer version", 0, 0, None)
        )
        prepare = self._prepare
        self._runner.run(
            lambda: (request, prepare(request.ref)),
            self._on_prepared,
            lambda error: self._on_failed(request, error),
        )

    def _on_prepared(self, outcome: tuple[_Request, OpenTarget]) -> None:
        request, target = outcome
        on_opened = self._pending.pop(request.sequence, None)
        self._settle()
        try:
            self._launcher.open_file(target.path)
        except FieldkitError as exc:
            self._report_failure(str(exc))
            return
        if target.warning:
            self._status.show_notice(f"⚠ {target.warning}")
        elif target.fetched:
            self._status.show_notice(f"Opened “{target.title}”: fetched v{target.version} first.")
        else:
            self._status.show_notice(f"Opened “{target.title}”.")
        if on_opened is not None:
            on_opened()
        self.opened.emit(target)

    def _on_failed(self, request: _Request, error: BaseException) -> None:
        self._pending.pop(request.sequence, None)
        self._settle()
        if isinstance(error, FieldkitError):
            self._report_failure(str(error))
        else:
            self._report_failure(f"“{request.title}” could not be opened; details are in the log.")

    def _report_failure(self, message: str) -> None:
        self._status.show_notice(message)
        self.failed.emit(message)

    def _settle(self) -> None:
        if not self._pending:
            self._status.set_activity(ACTIVITY, None)
