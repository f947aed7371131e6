from __future__ import annotations

from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from fieldkit.ui.tray import Tray


def test_tray_carries_the_status_and_gives_notifications(qtbot: QtBot) -> None:
    sync, quit_ = QAction("Sync now"), QAction("Quit")
    tray = Tray(sync, quit_)
    tray.set_status("2 problem(s)")
    assert tray.status() == "2 problem(s)"
    assert tray.icon.toolTip() == "fieldkit — 2 problem(s)"
    assert [a.text() for a in tray.menu.actions() if a.text()] == [
        "Show fieldkit",
        "Sync now",
        "Quit",
    ]
    with qtbot.waitSignal(tray.notified) as notified:
        tray.notify("New content", "3 new or updated documents from the hub.")
    assert notified.args == ["New content", "3 new or updated documents from the hub."]
    with qtbot.waitSignal(tray.show_requested):
        tray.menu.actions()[0].trigger()


def test_a_click_on_a_notification_names_the_view_and_item_it_was_about(qtbot: QtBot) -> None:
    tray = Tray(QAction("Sync now"), QAction("Quit"))
    tray.notify("ACME kit", "1 item outdated — update now", "Kits", "ACME")
    with qtbot.waitSignal(tray.notification_clicked) as clicked:
        tray.icon.messageClicked.emit()  # what the desktop reports for a click on the message
    assert clicked.args == ["Kits", "ACME"]
    tray.notify("New content", "2 new documents from the hub.")  # about no view in particular
    with qtbot.waitSignal(tray.notification_clicked) as clicked:
        tray.icon.messageClicked.emit()
    assert clicked.args == ["", ""]
