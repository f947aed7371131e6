"""The Settings group for the folders searched for old copies (Downloads, Desktop, Documents
suggested). It edits a list; the changes are applied when the dialog is accepted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.ui.freshness_feature import FolderChanges
from fieldkit.ui.settings_dialog import FolderPicker


class WatchedFoldersGroup(QGroupBox):
    def __init__(
        self,
        folders: Sequence[Path],
        suggested: Sequence[Path],
        *,
        folder_picker: FolderPicker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Old copies elsewhere", parent)
        self.setAccessibleName("Folders searched for old copies")
        self._before = tuple(folders)
        self._suggested = tuple(suggested)
        self._folder_picker = folder_picker
        layout = QVBoxLayout(self)
        note = QLabel(
            "fieldkit looks in these folders for old copies of approved documents "
            "(saved attachments, downloads) and offers to replace them with the latest."
        )
        note.setWordWrap(True)
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(note)
        row = QHBoxLayout()
        self.list = QListWidget()
        self.list.setAccessibleName("Watched folders")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMaximumHeight(88)
        for folder in self._before:
            self.list.addItem(str(folder))
        row.addWidget(self.list, 1)
        buttons = QVBoxLayout()
        self.add_button = QPushButton("A&dd…")
        self.add_button.setAccessibleName("Add a folder to search for old copies")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button = QPushButton("Re&move")
        self.remove_button.setAccessibleName("Stop searching the selected folder")
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        layout.addLayout(row)
        self.suggestions = QHBoxLayout()
        self.suggestion_buttons: list[QPushButton] = []
        label = QLabel("Suggested:")
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.suggestions.addWidget(label)
        for folder in self._suggested:
            button = QPushButton(f"+ {folder.name or folder}")
            button.setFlat(True)
            button.setToolTip(str(folder))
            button.setAccessibleName(f"Watch {folder}")
            button.setProperty("folder", str(folder))
            button.clicked.connect(self._on_suggestion_clicked)
            self.suggestions.addWidget(button)
            self.suggestion_buttons.append(button)
        self.suggestions.addStretch(1)
        if self._suggested:
            layout.addLayout(self.suggestions)
        else:
            label.hide()

    def folders(self) -> tuple[Path, ...]:
        return tuple(Path(self.list.item(i).text()) for i in range(self.list.count()))

    def changes(self) -> FolderChanges:
        after = self.folders()
        return FolderChanges(
            added=tuple(f for f in after if f not in self._before),
            removed=tuple(f for f in self._before if f not in after),
        )

    def add(self, folder: Path) -> None:
        if folder not in self.folders():
            self.list.addItem(str(folder))
        for button in self.suggestion_buttons:
            if Path(str(button.property("folder"))) == folder:
                button.hide()

    def _on_add_button_clicked(self) -> None:
        chosen = self._folder_picker(self)
        if chosen is not None:
            self.add(chosen)

    def _on_remove_button_clicked(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        removed = Path(self.list.takeItem(row).text())
        for button in self.suggestion_buttons:
            if Path(str(button.property("folder"))) == removed:
                button.show()

    def _on_suggestion_clicked(self) -> None:
        button = self.sender()
        if isinstance(button, QPushButton):
            self.add(Path(str(button.property("folder"))))
