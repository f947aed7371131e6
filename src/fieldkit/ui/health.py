"""The sync-health panel: every file that failed to sync or could not be read, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

SYNC, READING = "sync", "reading"
NAME, PROBLEM, WHERE = range(3)
HEADERS = ("File", "Problem", "Where")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Problem:
    kind: str  # SYNC or READING
    name: str  # file name or document id
    reason: str
    where: str  # folder, or the hub


def reading_problems(failures: Sequence[Any]) -> tuple[Problem, ...]:
    """Problems from ``Library.failures()`` (``FailedFile`` rows)."""
    return tuple(
        Problem(READING, Path(f.path).name, f.reason or "can't be read", str(Path(f.path).parent))
        for f in failures
    )


class ProblemsModel(QAbstractTableModel):
    # Class defaults too: see ResultsModel (calls while the window is destroyed).
    _rows: tuple[Problem, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Problem, ...] = ()

    def set_problems(self, problems: tuple[Problem, ...]) -> None:
        self.beginResetModel()
        self._rows = problems
        self.endResetModel()

    def problems(self) -> tuple[Problem, ...]:
        return self._rows

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        problem = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if index.column() == NAME:
                return problem.name
            if index.column() == PROBLEM:
                prefix = "Sync: " if problem.kind == SYNC else ""
                return prefix + problem.reason
            return problem.where
        if role == ROW_ROLE:
            return problem
        return None


class HealthDialog(QDialog):
    """Lists problems; the window keeps it current while it is open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sync health")
        self.setAccessibleName("Sync health")
        self.resize(720, 380)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(10)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.summary.setAccessibleName("Health summary")
        layout.addWidget(self.summary)
        self.model = ProblemsModel(self)
        self.view = QTreeView()
        self.view.setAccessibleName("Problems")
        self.view.setModel(self.model)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.header().setStretchLastSection(True)
        self.view.header().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        self.view.header().resizeSection(NAME, 240)
        self.view.header().resizeSection(PROBLEM, 220)
        layout.addWidget(self.view, 1)
        layout.addStretch(0)  # takes the room while there is no list
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.set_state((), pending=0, running="")

    def set_state(self, problems: tuple[Problem, ...], *, pending: int, running: str) -> None:
        self.model.set_problems(problems)
        lines = []
        if running:
            lines.append(f"{running}.")
        if pending:
            lines.append(f"{pending:,} document(s) not downloaded yet.")
        if problems:
            unreadable = sum(1 for p in problems if p.kind == READING)
            failed = len(problems) - unreadable
            if failed:
                lines.append(f"{failed:,} document(s) could not be synced.")
            if unreadable:
                lines.append(
                    f"{unreadable:,} file(s) could not be read, so search does not find their "
                    "text. Opening them may still work."
                )
        if not lines:
            lines.append("Everything is synced and searchable.")
        self.summary.setText(" ".join(lines))
        self.view.setVisible(bool(problems))
