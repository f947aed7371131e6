"""The View menu: one entry per tab of the window, with Ctrl+1, Ctrl+2, …, so each view is one
keystroke away and the shortcuts are listed where the rep looks for them.

``install_view_menu`` is called by the composition root once every view has its tab.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from fieldkit.ui.main_window import MainWindow

# Ctrl+1 … Ctrl+9, as browsers and editors number their tabs.
MAX_NUMBERED = 9


class ViewMenu(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.menu = QMenu("&View", window)
        group = QActionGroup(self.menu)
        self.actions: list[QAction] = []
        tabs = window.tabs
        for index in range(tabs.count()):
            action = QAction(tabs.tabText(index), self.menu)  # "&&" shows one "&" here too
            action.setCheckable(True)
            action.setActionGroup(group)
            if index < MAX_NUMBERED:
                action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.setToolTip(f"Show {tabs.tabText(index).replace('&&', '&')}")
            action.triggered.connect(self._on_action_triggered)
            self.menu.addAction(action)
            self.actions.append(action)
        tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._on_tabs_current_changed(tabs.currentIndex())

    def _on_action_triggered(self) -> None:
        action = self.sender()
        if not isinstance(action, QAction) or action not in self.actions:
            return
        tabs = self._window.tabs
        tabs.setCurrentIndex(self.actions.index(action))
        # The keyboard goes with the view: its first control has the focus, Tab walks on.
        page = tabs.currentWidget()
        focused = self._window.focusWidget()
        if page is None or (focused is not None and page.isAncestorOf(focused)):
            return
        widget = page.nextInFocusChain()
        while widget is not None and widget is not page and page.isAncestorOf(widget):
            if (
                widget.isVisible()
                and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            ):
                widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return
            widget = widget.nextInFocusChain()

    def _on_tabs_current_changed(self, index: int) -> None:
        if 0 <= index < len(self.actions):
            self.actions[index].setChecked(True)


def install_view_menu(window: MainWindow) -> ViewMenu:
    """Put the View menu after Edit (before the first feature menu, Help last)."""
    view_menu = ViewMenu(window)
    bar = window.menuBar()
    after_edit = next(
        (
            bar.actions()[i + 1]
            for i, a in enumerate(bar.actions()[:-1])
            if a.text().replace("&", "") == "Edit"
        ),
        None,
    )
    if after_edit is None:
        bar.addMenu(view_menu.menu)
    else:
        bar.insertMenu(after_edit, view_menu.menu)
    return view_menu
