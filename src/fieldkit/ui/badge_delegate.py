"""A cell painted as a coloured pill naming a state (results, Outdated, a kit's documents)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from fieldkit.ui import appearance

ModelIndex = QModelIndex | QPersistentModelIndex
# The state to show for a cell and the words on the pill (None: the state's own label), or None
# for no pill.
BadgeOf = Callable[[ModelIndex], tuple[str, str | None] | None]


class BadgeDelegate(QStyledItemDelegate):
    def __init__(self, badge_of: BadgeOf, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._badge_of = badge_of

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        badge = self._badge_of(index)
        if badge is None:
            return
        state, label = badge
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        area = QRectF(option.rect.adjusted(4, 0, -4, 0))
        appearance.paint_badge(
            painter, area, state, option.palette, option.font, on_selection=selected, label=label
        )
