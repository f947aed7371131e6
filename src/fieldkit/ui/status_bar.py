"""The status bar: connection, last good sync, what is running (with an ETA), and health.

It only shows state; the main window feeds it. "Up to date" appears only when nothing is
running, nothing is pending and nothing failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from fieldkit.ui import appearance

# CONNECTED: a source is set up but has not been reached since the app started.
NOT_CONNECTED, CONNECTED, ONLINE, OFFLINE = "not-connected", "connected", "online", "offline"

NOTICE_MS = 8000

_CONNECTION_TEXT = {
    NOT_CONNECTED: "Not connected",
    ONLINE: "Online",
    OFFLINE: "Offline",
    CONNECTED: "Not checked yet",
}
_CONNECTION_COLOUR = {
    NOT_CONNECTED: "#A0AEC0",
    ONLINE: "#38A169",
    OFFLINE: "#DD6B20",
    CONNECTED: "#A0AEC0",
}


@dataclass(frozen=True)
class Activity:
    """Something running that the rep may want to watch."""

    label: str  # "Syncing", "Indexing"
    done: int
    total: int
    eta_s: float | None
    detail: str = ""


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{max(int(seconds + 0.5), 1)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def ago_text(then: datetime, now: datetime) -> str:
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def activity_text(activity: Activity) -> str:
    if activity.total <= 0:
        return f"{activity.label}…"
    text = f"{activity.label} {activity.done:,} of {activity.total:,}"
    if activity.detail:
        text += f" · {activity.detail}"
    if activity.eta_s is not None and activity.done < activity.total:
        text += f" · about {duration_text(activity.eta_s)} left"
    return text


class EtaClock:
    """Estimates the time left from the pace so far (once there is a pace to go by)."""

    def __init__(self) -> None:
        self._started: float | None = None

    def estimate(self, done: int, total: int) -> float | None:
        now = time.monotonic()
        if self._started is None or done == 0:
            self._started = now
            return None
        elapsed = now - self._started
        if elapsed < 1.0 or done >= total:
            return None
        return elapsed / done * (total - done)


class _ElidedLabel(QLabel):
    """A one-line label that ends in "…" when its text is wider than it (the tooltip has it all),
    instead of cutting the text off mid-word."""

    def shown_text(self) -> str:
        room = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), align, self.shown_text())
        painter.end()


class StatusPanel(QWidget):
    """Lives in the window's status bar."""

    health_requested = Signal()

    def __init__(
        self,
        sync_action: QAction,
        pause_action: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._connection = NOT_CONNECTED
        self._source: str | None = None
        self._last_sync: datetime | None = None
        self._activities: dict[str, Activity] = {}
        self._problems = 0
        self._pending = 0

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.setSpacing(14)

        self.connection_label = QLabel()
        self.connection_label.setAccessibleName("Connection")
        self.connection_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.connection_label)

        self.last_sync_label = QLabel()
        self.last_sync_label.setAccessibleName("Last good sync")
        self.last_sync_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.last_sync_label)

        self.notice_label = _ElidedLabel()
        self.notice_label.setAccessibleName("Notice")
        self.notice_label.setMinimumWidth(0)
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.notice_label, 1)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice_label.clear)

        self.activity_label = QLabel()
        self.activity_label.setAccessibleName("Activity")
        layout.addWidget(self.activity_label)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress")
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(140)
        self.progress.setFixedHeight(8)
        layout.addWidget(self.progress)

        self.health_button = QToolButton()
        self.health_button.setAccessibleName("Sync health")
        self.health_button.setAutoRaise(True)
        self.health_button.clicked.connect(self.health_requested)
        layout.addWidget(self.health_button)

        for action in (sync_action, pause_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            button.setAccessibleName(action.text().replace("&", ""))
            layout.addWidget(button)

        self._clock = QTimer(self)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self._on_clock_timeout)
        self._clock.start()
        self._refresh()

    # -- state in ----------------------------------------------------------------------------

    def set_connection(self, state: str, source: str | None = None) -> None:
        self._connection = state
        self._source = source
        self._refresh()

    def set_last_sync(self, at: datetime | None) -> None:
        self._last_sync = at
        self._refresh()

    def set_activity(self, key: str, activity: Activity | None) -> None:
        if activity is None:
            self._activities.pop(key, None)
        else:
            self._activities[key] = activity
        self._refresh()

    def set_health(self, problems: int, pending: int) -> None:
        """``problems``: files that failed (sync or reading); ``pending``: not yet downloaded."""
        self._problems = problems
        self._pending = pending
        self._refresh()

    def show_notice(self, text: str, timeout_ms: int = NOTICE_MS) -> None:
        """A line for the rep (an error, what just happened), cleared after ``timeout_ms``."""
        self.notice_label.setText(text)
        self.notice_label.setToolTip(text)
        self._notice_timer.start(timeout_ms)

    # -- state out (for the window and tests) ------------------------------------------------

    def notice(self) -> str:
        return self.notice_label.text()

    def shown_notice(self) -> str:
        """The notice as it fits the panel (ending in "…" when it does not)."""
        return self.notice_label.shown_text()


    def connection(self) -> str:
        return self._connection

    def connection_words(self) -> str:
        return _CONNECTION_TEXT[self._connection]

    def activity_words(self) -> str:
        return self.activity_label.text() if self.activity() is not None else ""

    def activity(self) -> Activity | None:
        # What the rep waits on first: a document being opened, then the sync, then indexing.
        for key in ("open", "sync", "index"):
            if key in self._activities:
                return self._activities[key]
        return next(iter(self._activities.values()), None)

    # -- drawing -----------------------------------------------------------------------------

    def _on_clock_timeout(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        colour = QColor(_CONNECTION_COLOUR[self._connection])
        text = _CONNECTION_TEXT[self._connection]
        self.connection_label.setText(f"<span style='color:{colour.name()}'>●</span>&nbsp;{text}")
        self.connection_label.setToolTip(self._source or "No hub or shared folder connected")

        if self._connection == NOT_CONNECTED:
            self.last_sync_label.setText("")
        elif self._last_sync is None:
            self.last_sync_label.setText("Never synced")
        else:
            now = datetime.now(UTC)
            self.last_sync_label.setText(f"Last good sync {ago_text(self._last_sync, now)}")
            self.last_sync_label.setToolTip(
                appearance.date_text(self._last_sync)
                + self._last_sync.astimezone().strftime(" %H:%M")
            )

        activity = self.activity()
        self.activity_label.setVisible(activity is not None)
        self.progress.setVisible(activity is not None)
        if activity is not None:
            self.activity_label.setText(activity_text(activity))
            # No total yet: a busy bar.
            self.progress.setRange(0, max(activity.total, 0))
            self.progress.setValue(min(activity.done, activity.total))

        if self._problems:
            noun = "problem" if self._problems == 1 else "problems"
            self.health_button.setText(f"⚠ {self._problems} {noun}")
        elif self._pending:
            self.health_button.setText(f"{self._pending:,} waiting")
        elif activity is not None:
            self.health_button.setText("Working…")
        elif self._connection == OFFLINE:
            # Not "up to date": the hub may have news that cannot reach us.
            self.health_button.setText("Details")
        else:
            self.health_button.setText("✓ Up to date")
        self.health_button.setToolTip("Failures, unreadable files and what is still pending")
