"""Meeting kits as item models: the kits with their readiness, and one kit's documents.

Both are table models over tuples of the core's frozen readiness values (``KitReadiness``,
``KitItemStatus``); ``ROW_ROLE`` returns the value itself, ``SORT_ROLE`` a native value per column.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from fieldkit.core.kits import KitItemStatus, KitReadiness
from fieldkit.ui import appearance

ModelIndex = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

# Kits
KIT, CUSTOMER, MEETING, READINESS = range(4)
KIT_HEADERS = ("Kit", "Customer", "Meeting", "Readiness")
# A kit's documents
DOCUMENT, STATE, VERSION, NOTE = range(4)
ITEM_HEADERS = ("Document", "State", "Version", "What to do")

_READY = "#2F855A"
_NOT_READY = "#C53030"
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class KitsModel(QAbstractTableModel):
    """The kits, soonest meeting first (the core's order), each with its readiness."""

    # Class defaults too: see ResultsModel (calls while the window is destroyed).
    _rows: tuple[KitReadiness, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[KitReadiness, ...] = ()
        self._now: datetime | None = None

    def set_kits(self, kits: tuple[KitReadiness, ...], now: datetime | None = None) -> None:
        """``now`` (local wall-clock time) words the meeting dates ("Tue 10:00")."""
        self.beginResetModel()
        self._rows = kits
        self._now = now
        self.endResetModel()

    def kits(self) -> tuple[KitReadiness, ...]:
        return self._rows

    def row_of(self, name: str) -> int | None:
        folded = name.casefold()
        for row, readiness in enumerate(self._rows):
            if readiness.kit.name.casefold() == folded:
                return row
        return None

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(KIT_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(KIT_HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return KIT_HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _LEFT
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
        readiness = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(readiness, column)
        if role == ROW_ROLE:
            return readiness
        if role == SORT_ROLE:
            return self._sort_key(readiness, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == READINESS and readiness.items:
            return QColor(_READY if readiness.ready else _NOT_READY)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{readiness.message} ({readiness.checked})"
        return None

    def _display(self, readiness: KitReadiness, column: int) -> str:
        kit = readiness.kit
        if column == KIT:
            return kit.name
        if column == CUSTOMER:
            return kit.customer or ""
        if column == MEETING:
            return kit.meeting_text(self._now) or ""
        if column == READINESS:
            return readiness.message
        return ""

    @staticmethod
    def _sort_key(readiness: KitReadiness, column: int) -> str | float:
        kit = readiness.kit
        if column == KIT:
            return kit.name.casefold()
        if column == CUSTOMER:
            return (kit.customer or "").casefold()
        if column == MEETING:
            return appearance.timestamp(kit.meeting) if kit.meeting else float("inf")
        if column == READINESS:
            return 1.0 if readiness.ready else 0.0
        return ""


class KitItemsModel(QAbstractTableModel):
    """One kit's documents in the order they were added, each with its state."""

    # Class defaults too: see ResultsModel (calls while the window is destroyed).
    _rows: tuple[KitItemStatus, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[KitItemStatus, ...] = ()

    def set_items(self, items: tuple[KitItemStatus, ...]) -> None:
        self.beginResetModel()
        self._rows = items
        self.endResetModel()

    def items(self) -> tuple[KitItemStatus, ...]:
        return self._rows

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ITEM_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(ITEM_HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return ITEM_HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _LEFT
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
        item = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return item_text(item, column)
        if role == ROW_ROLE:
            return item
        if role == SORT_ROLE:
            return _item_sort_key(item, column)
        if role == Qt.ItemDataRole.DecorationRole and column == DOCUMENT:
            return appearance.format_icon(_suffix(item.local_path))
        if role == Qt.ItemDataRole.ForegroundRole and column == NOTE and not item.ready:
            return QColor(_NOT_READY)
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.details or item.reason
        return None


def state_label(item: KitItemStatus) -> str:
    if item.state == "missing":
        return "Gone from the hub"
    return appearance.status_label(item.state)


def item_text(item: KitItemStatus, column: int) -> str:
    if column == DOCUMENT:
        return item.title
    if column == STATE:
        return state_label(item)
    if column == VERSION:
        return _versions(item.local_version, item.latest_version)
    if column == NOTE:
        return "Ready" if item.problem is None else item.problem.capitalize()
    return ""


def _versions(local: int | None, latest: int | None) -> str:
    if local is None:
        return f"v{latest} on the hub" if latest is not None else ""
    if latest is not None and latest != local:
        return f"v{local} → v{latest}"
    return f"v{local}"


def _item_sort_key(item: KitItemStatus, column: int) -> str | float:
    if column == DOCUMENT:
        return item.title.casefold()
    if column == STATE:
        return float(appearance.STATUS_RANK.get(item.state, -1))
    if column == VERSION:
        return float(item.local_version or 0)
    if column == NOTE:
        return 1.0 if item.ready else 0.0
    return ""


def _suffix(path: Path | None) -> str:
    return path.suffix.lstrip(".") if path is not None else ""
