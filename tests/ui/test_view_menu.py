"""The View menu reaches every tab from the keyboard, with its shortcut listed in the menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from fieldkit.ui.app import Gui


def view_menu(gui: Gui) -> QMenu:
    bar = gui.window.menuBar()
    titles = [a.text().replace("&", "") for a in bar.actions()]
    assert titles.index("View") == titles.index("Edit") + 1
    assert titles[-1] == "Help"
    menu = bar.actions()[titles.index("View")].menu()
    assert isinstance(menu, QMenu)
    return menu


def test_each_tab_has_an_entry_and_a_numbered_shortcut(qtbot: QtBot, gui: Gui) -> None:
    window = gui.window
    tabs = window.tabs
    entries = [(a.text(), a.shortcut()) for a in view_menu(gui).actions()]
    assert entries == [
        (tabs.tabText(i), QKeySequence(f"Ctrl+{i + 1}")) for i in range(tabs.count())
    ]
    assert [text for text, _ in entries][:2] == ["Library", "Outdated"]

    window.activateWindow()
    window.search_view.search_field.setFocus()
    outbox = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Outbox && requests")
    qtbot.keyClick(window, Qt.Key.Key_1 + outbox, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == outbox
    # The keyboard went with the view: its first control has the focus.
    focused = window.focusWidget()
    assert focused is not None and tabs.currentWidget().isAncestorOf(focused)
    assert view_menu(gui).actions()[outbox].isChecked()

    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == 0
    assert window.focusWidget() is window.search_view.search_field

    tabs.setCurrentIndex(1)  # a click on the tab
    assert view_menu(gui).actions()[1].isChecked()
