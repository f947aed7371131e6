"""The settings dialog: hub and token, where the mirror is, personal folders, downloads.

It edits values and hands them back (``SettingsForm`` in, ``SettingsForm`` out); the window
applies them, so the dialog itself touches no files and no network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core.settings import Settings

FolderPicker = Callable[[QWidget], Path | None]


@dataclass(frozen=True)
class SettingsForm:
    settings: Settings
    hub_url: str  # "" when not connected to a hub
    token: str  # a new token; "" keeps the saved one
    has_token: bool  # a token is saved for hub_url
    mirror: Path
    folders: tuple[Path, ...]  # personal folders


def pick_folder(parent: QWidget) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Add a folder of your own files")
    return Path(chosen) if chosen else None


class SettingsDialog(QDialog):
    def __init__(
        self,
        form: SettingsForm,
        *,
        open_folder: Callable[[Path], None],
        folder_picker: FolderPicker = pick_folder,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._form = form
        self._open_folder = open_folder
        self._folder_picker = folder_picker
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(14)
        layout.addWidget(self._hub_group())
        layout.addWidget(self._library_group())
        layout.addWidget(self._downloads_group())
        layout.addWidget(self._privacy_group())
        self._groups = layout
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def add_group(self, group: QWidget) -> None:
        """A feature's own settings, above the buttons (it applies them itself on accept)."""
        self._groups.insertWidget(self._groups.indexOf(self.buttons), group)

    # -- groups ------------------------------------------------------------------------------

    def _hub_group(self) -> QGroupBox:
        group = QGroupBox("Hub")
        form = QFormLayout(group)
        self.hub_url = QLineEdit(self._form.hub_url)
        self.hub_url.setPlaceholderText("https://content.example.com")
        self.hub_url.setAccessibleName("Hub address")
        form.addRow("&Address:", self.hub_url)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Access token")
        self.token.setPlaceholderText(
            "Saved — type to replace it" if self._form.has_token else "From your marketing team"
        )
        form.addRow("Access &token:", self.token)
        note = QLabel("The token is kept in your system's keyring.")
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form.addRow("", note)
        return group

    def _library_group(self) -> QGroupBox:
        group = QGroupBox("Library")
        form = QFormLayout(group)
        mirror_row = QHBoxLayout()
        self.mirror = QLabel()
        self.mirror.setAccessibleName("Approved content folder")
        self.mirror.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.mirror.setToolTip(str(self._form.mirror))
        self.mirror.setText(
            self.mirror.fontMetrics().elidedText(
                str(self._form.mirror), Qt.TextElideMode.ElideMiddle, 300
            )
        )
        mirror_row.addWidget(self.mirror, 1)
        self.show_mirror = QPushButton("Show")
        self.show_mirror.setAccessibleName("Show the approved content folder")
        self.show_mirror.clicked.connect(self._on_show_mirror_clicked)
        mirror_row.addWidget(self.show_mirror)
        form.addRow("Approved content:", mirror_row)

        self.folders = QListWidget()
        self.folders.setAccessibleName("Your folders")
        self.folders.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.folders.setMaximumHeight(88)
        for folder in self._form.folders:
            self.folders.addItem(str(folder))
        buttons = QVBoxLayout()
        self.add_folder = QPushButton("&Add…")
        self.add_folder.setAccessibleName("Add a folder")
        self.add_folder.clicked.connect(self._on_add_folder_clicked)
        self.remove_folder = QPushButton("&Remove")
        self.remove_folder.setAccessibleName("Remove the selected folder")
        self.remove_folder.clicked.connect(self._on_remove_folder_clicked)
        buttons.addWidget(self.add_folder)
        buttons.addWidget(self.remove_folder)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.folders, 1)
        row.addLayout(buttons)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Your folders:", holder)
        return group

    def _downloads_group(self) -> QGroupBox:
        group = QGroupBox("Sync")
        form = QFormLayout(group)
        settings = self._form.settings
        self.parallel = QSpinBox()
        self.parallel.setRange(1, 16)
        self.parallel.setValue(settings.parallel_downloads)
        self.parallel.setAccessibleName("Parallel downloads")
        self.parallel.setToolTip(Settings.describe()["parallel_downloads"])
        form.addRow("&Parallel downloads:", self.parallel)
        self.metered = QCheckBox("Metered connection: download only pinned documents")
        self.metered.setChecked(settings.metered)
        self.metered.setAccessibleName("Metered connection")
        form.addRow("", self.metered)
        self.expiring = QSpinBox()
        self.expiring.setRange(1, 365)
        self.expiring.setSuffix(" days")
        self.expiring.setValue(settings.expiring_days)
        self.expiring.setAccessibleName("Warn before expiry")
        self.expiring.setToolTip(Settings.describe()["expiring_days"])
        form.addRow("&Warn before expiry:", self.expiring)
        return group

    def _privacy_group(self) -> QGroupBox:
        group = QGroupBox("Privacy")
        box = QVBoxLayout(group)
        self.usage_signals = QCheckBox(
            "Tell marketing which approved documents I open and what I search for"
        )
        self.usage_signals.setChecked(self._form.settings.usage_signals)
        self.usage_signals.setAccessibleName("Usage signals")
        self.usage_signals.setToolTip(
            "Never your own files. See exactly what is sent under Outbox & requests."
        )
        box.addWidget(self.usage_signals)
        return group

    # -- slots -------------------------------------------------------------------------------

    def _on_show_mirror_clicked(self) -> None:
        self._open_folder(self._form.mirror)

    def _on_add_folder_clicked(self) -> None:
        chosen = self._folder_picker(self)
        if chosen is None:
            return
        existing = {self.folders.item(i).text() for i in range(self.folders.count())}
        if str(chosen) not in existing:
            self.folders.addItem(str(chosen))

    def _on_remove_folder_clicked(self) -> None:
        row = self.folders.currentRow()
        if row >= 0:
            self.folders.takeItem(row)

    # -- result ------------------------------------------------------------------------------

    def result_form(self) -> SettingsForm:
        settings = dataclasses.replace(
            self._form.settings,
            parallel_downloads=self.parallel.value(),
            metered=self.metered.isChecked(),
            expiring_days=self.expiring.value(),
            usage_signals=self.usage_signals.isChecked(),
        )
        folders = tuple(Path(self.folders.item(i).text()) for i in range(self.folders.count()))
        return SettingsForm(
            settings=settings,
            hub_url=self.hub_url.text().strip(),
            token=self.token.text().strip(),
            has_token=self._form.has_token,
            mirror=self._form.mirror,
            folders=folders,
        )
