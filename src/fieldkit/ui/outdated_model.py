"""Table models of the Outdated view: documents that need attention, old copies elsewhere on the
disk, and what is new since the rep last looked.

Each is a flat table over a tuple of frozen rows from the core. ``ROW_ROLE`` returns the row,
``SORT_ROLE`` a native value per column (floats and strings), ``STATE_ROLE`` the freshness state
the badge delegate paints; non-current rows get a faint tint of their state's colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication

from fieldkit.core import freshness
from fieldkit.core.freshness import DocumentFreshness
from fieldkit.core.stale import StaleCopy
from fieldkit.core.whatsnew import ADDED, NewDocument
from fieldkit.ui import appearance

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3

ModelIndex = QModelIndex | QPersistentModelIndex
# Built once: the view asks for every row's flags on a reset, and enum arithmetic is slow.
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
Row = TypeVar("Row")


@dataclass(frozen=True)
class Column(Generic[Row]):
    header: str
    display: Callable[[Row], str]
    sort: Callable[[Row], str | float]
    tooltip: Callable[[Row], str] | None = None


class RowsModel(QAbstractTableModel, Generic[Row]):
    """A read-only table of frozen rows described by its columns."""

    # Class defaults too: see ResultsModel (calls while the window is destroyed).
    _columns: tuple[Any, ...] = ()
    _rows: tuple[Row, ...] = ()

    def __init__(
        self,
        columns: Sequence[Column[Row]],
        state: Callable[[Row], str],
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._state = state
        self._rows: tuple[Row, ...] = ()

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def rows(self) -> tuple[Row, ...]:
        return self._rows

    def row(self, position: int) -> Row:
        return self._rows[position]

    # -- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._columns[section].header
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self._columns):
            return None
        row = self._rows[index.row()]
        column = self._columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.display(row)
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return column.sort(row)
        if role == STATE_ROLE:
            return self._state(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip is not None else column.display(row)
        if role == Qt.ItemDataRole.BackgroundRole:
            return appearance.row_tint(self._state(row), QGuiApplication.palette())
        return None


# -- the three tables ------------------------------------------------------------------------

DOC_TITLE, DOC_STATE, DOC_DETAILS = range(3)
COPY_REASON, COPY_STATE, COPY_PATH = range(3)
NEW_TITLE, NEW_CHANGE, NEW_PUBLISHED, NEW_NOTES = range(4)


def _rank(state: str) -> float:
    return float(appearance.STATUS_RANK.get(state, len(appearance.STATUS_RANK)))


def documents_model(parent: Any = None) -> RowsModel[DocumentFreshness]:
    """Documents on this laptop that are not current, with their reason and versions."""
    columns: tuple[Column[DocumentFreshness], ...] = (
        Column("Document", lambda d: d.title, lambda d: d.title.casefold(), lambda d: d.rel_path),
        Column(
            "Status",
            lambda d: appearance.status_label(d.state),
            lambda d: _rank(d.state),
            lambda d: d.reason,
        ),
        Column("What to know", document_summary, document_summary),
    )
    return RowsModel(columns, lambda d: d.state, parent)


def copies_model(parent: Any = None) -> RowsModel[StaleCopy]:
    """Old copies of approved documents found in the watched folders."""
    columns: tuple[Column[StaleCopy], ...] = (
        Column("Old copy", lambda c: c.reason, lambda c: c.title.casefold()),
        Column(
            "Status",
            copy_state_text,
            lambda c: _rank(c.state),
            lambda c: c.reason,
        ),
        Column("File", lambda c: str(c.path), lambda c: str(c.path).casefold()),
    )
    return RowsModel(columns, lambda c: c.state, parent)


def news_model(parent: Any = None) -> RowsModel[NewDocument]:
    """Documents added or updated since the rep last looked."""
    columns: tuple[Column[NewDocument], ...] = (
        Column("Document", lambda n: n.title, lambda n: n.title.casefold(), lambda n: n.rel_path),
        Column("Change", change_text, lambda n: float(n.version)),
        Column(
            "Published",
            lambda n: appearance.date_text(n.published_at) if n.published_at else "",
            lambda n: appearance.timestamp(n.published_at) if n.published_at else 0.0,
        ),
        Column("Notes", lambda n: n.notes or "", lambda n: (n.notes or "").casefold()),
    )
    return RowsModel(columns, lambda _n: "current", parent)


def document_summary(doc: DocumentFreshness) -> str:
    """What the rep should know in one line: for an update, the versions and their notes ("You
    have v4 (12 Oct), latest v5 (20 Nov): <notes>"); otherwise the reason, with the versions
    when the copy here is not the latest."""
    if doc.state == freshness.OUTDATED:
        return doc.details
    if doc.local_version is not None and doc.local_version != doc.latest_version:
        return f"{doc.reason} {doc.details}"
    return doc.reason


def copy_state_text(copy: StaleCopy) -> str:
    """An old copy of a document with a newer version is an "Old version" (not an "Update
    available": nothing is on its way to that file); otherwise the document's own state."""
    if copy.state == freshness.OUTDATED:
        return "Old version"
    return appearance.status_label(copy.state)


def change_text(news: NewDocument) -> str:
    if news.change == ADDED or news.previous_version is None:
        return f"New (v{news.version})"
    return f"v{news.previous_version} → v{news.version}"
