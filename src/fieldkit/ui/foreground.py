"""A search the rep is waiting for holds the pacer until its results are painted.

The search itself runs on a worker thread, but drawing its results is Python too (the results
model, the delegates painting each row), so background scans step aside (``Pacer.pause``) from
the moment a search is issued until the results view has painted what it found.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from fieldkit.core.pacing import Pacer

# Never hold the scans back longer than this for one search (a hidden window does not paint).
LONGEST_HOLD_MS = 1000


class ForegroundHold(QObject):
    def __init__(self, pacer: Pacer, viewport: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pacer = pacer
        self._viewport = viewport
        self._held = False
        self._shown = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LONGEST_HOLD_MS)
        self._timer.timeout.connect(self.release)
        viewport.installEventFilter(self)

    @property
    def held(self) -> bool:
        return self._held

    def hold(self) -> None:
        """A search was issued: background scans pause until its results are painted."""
        self._shown = False
        self._timer.start()
        if not self._held:
            self._held = True
            self._pacer.begin()

    def showing(self) -> None:
        """The results are going into the view: release after its next paint."""
        self._shown = True

    def shown(self) -> None:
        """The results are in the view; if it is not on screen (an empty page instead), there
        is nothing to wait for."""
        if not self._viewport.isVisible():
            self.release()

    def release(self) -> None:
        self._timer.stop()
        if self._held:
            self._held = False
            self._pacer.end()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._held and self._shown and event.type() == QEvent.Type.Paint:
            self._shown = False
            QTimer.singleShot(0, self.release)  # after this paint
        return False
