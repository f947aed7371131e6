"""Search filters with counts, as a two-level tree: facet groups, then their values.

Each group holds at most one chosen value (``SearchRequest.filters`` maps a facet to one value).
The chosen value stays listed, checked, even when the current results no longer count it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont

from fieldkit.ui import appearance

GROUPS = (("format", "Format"), ("status", "Status"), ("folder", "Folder"), ("tag", "Tag"))
NAME, COUNT = 0, 1
# Group titles get room above them, so the groups read as sections.
GROUP_ROW_HEIGHT = 30

FACET_ROLE = Qt.ItemDataRole.UserRole + 1  # (facet, value) of a value row, (facet, None) of a group

ModelIndex = QModelIndex | QPersistentModelIndex

# internalId of a group row; a value row's internalId is its group's row + 1.
_GROUP_ID = 0


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class FacetGroup:
    facet: str
    title: str
    values: tuple[FacetValue, ...]


class FacetsModel(QAbstractItemModel):
    # Class defaults too: see ResultsModel (calls while the window is destroyed).
    _groups: tuple[FacetGroup, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._groups: tuple[FacetGroup, ...] = ()
        self._selected: dict[str, str] = {}

    def set_facets(
        self, facets: Mapping[str, Mapping[str, int]], selected: Mapping[str, str]
    ) -> None:
        groups = []
        for facet, title in GROUPS:
            counts = dict(facets.get(facet, {}))
            chosen = selected.get(facet)
            if chosen is not None and chosen not in counts:
                counts[chosen] = 0
            values = tuple(
                FacetValue(value, count)
                for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                if value
            )
            if values:
                groups.append(FacetGroup(facet, title, values))
        self.beginResetModel()
        self._groups = tuple(groups)
        self._selected = dict(selected)
        self.endResetModel()

    def selected(self) -> dict[str, str]:
        return dict(self._selected)

    def toggled(self, index: ModelIndex) -> dict[str, str] | None:
        """The filters after a click on ``index``: a value row is chosen, or unchosen if it was.

        None for a group row (nothing to change).
        """
        key = self.data(index, FACET_ROLE)
        if key is None or key[1] is None:
            return None
        facet, value = key
        filters = dict(self._selected)
        if filters.get(facet) == value:
            del filters[facet]
        else:
            filters[facet] = value
        return filters

    # -- Qt model API ------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _GROUP_ID)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _GROUP_ID:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _GROUP_ID)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() == _GROUP_ID and parent.column() == 0:
            return len(self._groups[parent.row()].values)
        return 0

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 2

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() == _GROUP_ID:
            return Qt.ItemFlag.ItemIsEnabled
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _GROUP_ID:
            return self._group_data(self._groups[index.row()], index.column(), role)
        group = self._groups[index.internalId() - 1]
        return self._value_data(group, group.values[index.row()], index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Filter", "Count")[section] if section in (NAME, COUNT) else None
        return None

    def _group_data(self, group: FacetGroup, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and column == NAME:
            return group.title
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(-1, GROUP_ROW_HEIGHT)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        if role == Qt.ItemDataRole.FontRole and column == NAME:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == FACET_ROLE:
            return (group.facet, None)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == NAME:
            return f"{group.title} filters"
        return None

    def _value_data(self, group: FacetGroup, item: FacetValue, column: int, role: int) -> Any:
        chosen = self._selected.get(group.facet) == item.value
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return _value_label(group.facet, item.value)
            return f"{item.count:,}"
        if role == Qt.ItemDataRole.CheckStateRole and column == NAME:
            return Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and column == NAME and group.facet == "format":
            return appearance.format_icon(item.value)
        if role == FACET_ROLE:
            return (group.facet, item.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            state = "Remove this filter" if chosen else "Show only these"
            return f"{_value_label(group.facet, item.value)}: {item.count:,} — {state}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            label = _value_label(group.facet, item.value)
            return f"{label}, {item.count} results{', filter on' if chosen else ''}"
        return None


def _value_label(facet: str, value: str) -> str:
    if facet == "format":
        return appearance.format_label(value)
    if facet == "status":
        return appearance.status_label(value)
    return value
