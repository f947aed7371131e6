"""The tray icon: status at a glance, a small menu, and a notification when new content arrives.

A notification may name the view it is about (the window's tab title) and an item in it; a click
on it reports both (``notification_clicked``), so the window can show that view and select it.
Where the desktop has no tray (some Linux desktops, offscreen), notifications go to the window's
status bar instead.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from fieldkit.ui import appearance

NOTIFY_MS = 6000


class Tray(QObject):
    # The rep clicked the icon or "Show fieldkit".
    show_requested = Signal()
    # A notification was given (shown by the tray, or handed to the status bar).
    notified = Signal(str, str)
    # The rep clicked the notification: the view it names ("" for none) and the item in it.
    notification_clicked = Signal(str, str)

    def __init__(
        self,
        sync_action: QAction,
        quit_action: QAction,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._available = QSystemTrayIcon.isSystemTrayAvailable()
        self._status = "fieldkit"
        self._clicked = ("", "")
        self.menu = QMenu()
        show = self.menu.addAction("Show fieldkit")
        show.triggered.connect(self.show_requested)
        self.menu.addAction(sync_action)
        self.menu.addSeparator()
        self.menu.addAction(quit_action)
        self.icon = QSystemTrayIcon(appearance.icon("fieldkit"), self)
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip(self._status)
        self.icon.activated.connect(self._on_icon_activated)
        self.icon.messageClicked.connect(self._on_icon_message_clicked)

    @property
    def available(self) -> bool:
        return self._available

    def show(self) -> None:
        if self._available:
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_status(self, text: str) -> None:
        self._status = text
        self.icon.setToolTip(f"fieldkit — {text}")

    def status(self) -> str:
        return self._status

    def notify(self, title: str, text: str, view: str = "", item: str = "") -> None:
        """Show a notification; a click on it shows ``view`` (a tab title) with ``item`` selected.

        The desktop reports a click without saying which message it was, and shows one
        message at a time: a click is taken as one on the latest notification.
        """
        self._clicked = (view, item)
        if self._available and self.icon.isVisible() and self.icon.supportsMessages():
            self.icon.showMessage(title, text, appearance.icon("fieldkit"), NOTIFY_MS)
        self.notified.emit(title, text)

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def _on_icon_message_clicked(self) -> None:
        self.notification_clicked.emit(*self._clicked)
