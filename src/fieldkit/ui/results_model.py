"""The search results as a table model over a tuple of frozen ``Hit`` rows.

``ROW_ROLE`` returns the ``Hit`` itself; ``SORT_ROLE`` returns a native value per column (floats
and strings, never Python ints, which Qt can truncate to 32 bits). Dragging rows out, or copying
them, carries the files as URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)
from PySide6.QtGui import QGuiApplication

from fieldkit.core.index import Hit
from fieldkit.ui import appearance

TITLE, LOCATION, STATUS, VERSION, MODIFIED, FOLDER = range(6)
HEADERS = ("Document", "Where", "Status", "Version", "Modified", "Folder")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
SNIPPET_ROLE = Qt.ItemDataRole.UserRole + 3

ModelIndex = QModelIndex | QPersistentModelIndex

# Qt asks for flags and data thousands of times per repaint: the enum members are looked up
# and combined once here (each lookup and "|" of Qt's Python enums runs Python code).
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemIsDragEnabled
    | Qt.ItemFlag.ItemNeverHasChildren
)
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_DISPLAY = Qt.ItemDataRole.DisplayRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole


def files_mime_data(paths: Sequence[str]) -> QMimeData:
    """File URLs for drag and drop and the clipboard (pasted as attachments by mail apps)."""
    mime = QMimeData()
    urls = [QUrl.fromLocalFile(p) for p in paths]
    mime.setUrls(urls)
    mime.setText("\n".join(paths))
    # GNOME and KDE file managers paste files from this one.
    encoded = [u.toString(QUrl.ComponentFormattingOption.FullyEncoded) for u in urls]
    gnome = "copy\n" + "\n".join(encoded)
    mime.setData("x-special/gnome-copied-files", gnome.encode())
    return mime


class ResultsModel(QAbstractTableModel):
    # Also a class attribute: while the window is destroyed, the proxy and the view may still ask
    # for the row count after PySide has emptied this object's attributes; it then reads none.
    _rows: tuple[Hit, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Hit, ...] = ()

    # -- contents ----------------------------------------------------------------------------

    def set_hits(self, hits: tuple[Hit, ...]) -> None:
        self.beginResetModel()
        self._rows = hits
        self.endResetModel()

    def hits(self) -> tuple[Hit, ...]:
        return self._rows

    def hit(self, row: int) -> Hit:
        return self._rows[row]

    # -- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        hit = self._rows[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return _display(hit, column)
        if role == ROW_ROLE:
            return hit
        if role == SORT_ROLE:
            return _sort_key(hit, column)
        if role == SNIPPET_ROLE:
            return hit.snippet
        if role == _DECORATION and column == TITLE:
            return appearance.format_icon(hit.format)
        if role == _TOOLTIP:
            return _tooltip(hit, column)
        if role == _BACKGROUND:
            return appearance.row_tint(hit.status, QGuiApplication.palette())
        if role == _ACCESSIBLE:
            return _accessible(hit) if column == TITLE else _display(hit, column)
        return None

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return files_mime_data([self._rows[r].path for r in rows])


def _display(hit: Hit, column: int) -> str:
    if column == TITLE:
        return hit.title
    if column == LOCATION:
        text = appearance.location_text(hit.location_kind, hit.location_number)
        if text and hit.also:
            text += f" +{len(hit.also)}"
        return text
    if column == STATUS:
        quiet = hit.status in appearance.QUIET_STATUSES
        return "" if quiet else appearance.status_label(hit.status)
    if column == VERSION:
        return f"v{hit.version}" if hit.version is not None else ""
    if column == MODIFIED:
        return appearance.date_text(hit.modified)
    if column == FOLDER:
        return hit.folder
    return ""


def _sort_key(hit: Hit, column: int) -> str | float:
    if column == TITLE:
        return hit.title.casefold()
    if column == LOCATION:
        return float(hit.location_number or 0)
    if column == STATUS:
        return float(appearance.STATUS_RANK.get(hit.status, len(appearance.STATUS_RANK)))
    if column == VERSION:
        return float(hit.version or 0)
    if column == MODIFIED:
        return appearance.timestamp(hit.modified)
    if column == FOLDER:
        return hit.folder.casefold()
    return ""


def _tooltip(hit: Hit, column: int) -> str:
    if column == LOCATION and hit.also:
        kind = hit.location_kind or "page"
        return f"Also on {kind} {', '.join(str(n) for n in hit.also)}"
    if column == STATUS:
        return appearance.STATUS_MEANINGS.get(hit.status, "")
    return hit.path


def _accessible(hit: Hit) -> str:
    parts = [hit.title, appearance.format_label(hit.format)]
    where = appearance.location_text(hit.location_kind, hit.location_number)
    if where:
        parts.append(where)
    if hit.status not in appearance.QUIET_STATUSES:
        parts.append(appearance.status_label(hit.status))
    parts.append(Path(hit.path).name)
    return ", ".join(parts)
