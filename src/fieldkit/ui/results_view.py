"""The results list: a title and snippet per row (matches in bold), status badges, and drag out."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from fieldkit.ui import appearance
from fieldkit.ui.results_model import (
    FOLDER,
    LOCATION,
    MODIFIED,
    ROW_ROLE,
    SNIPPET_ROLE,
    STATUS,
    TITLE,
    VERSION,
)

ModelIndex = QModelIndex | QPersistentModelIndex

_MARK = re.compile(r"<b>(.*?)</b>", re.S)
_SPACE = re.compile(r"\s+")
_ICON = 28
_PAD = 8
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def snippet_runs(snippet: str) -> list[tuple[str, bool]]:
    """The snippet as (text, bold) runs, whitespace collapsed, HTML entities decoded."""
    runs: list[tuple[str, bool]] = []
    position = 0
    for match in _MARK.finditer(snippet):
        if match.start() > position:
            runs.append((snippet[position : match.start()], False))
        runs.append((match.group(1), True))
        position = match.end()
    runs.append((snippet[position:], False))
    cleaned = [(_SPACE.sub(" ", html.unescape(text)), bold) for text, bold in runs]
    return [(text, bold) for text, bold in cleaned if text]


class ResultDelegate(QStyledItemDelegate):
    """Paints the Document column: format icon, title, and one line of snippet."""

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(320, max(2 * metrics.lineSpacing() + 2 * _PAD, _ICON + 2 * _PAD))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        # Background and selection as the style draws them, without its text and icon.
        opt.text = ""
        opt.icon = QIcon()
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        muted_role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        hit = index.data(ROW_ROLE)
        if hit is None:
            return

        painter.save()
        icon_rect = QRect(rect.left() + _PAD, rect.top() + _PAD, _ICON, _ICON)
        appearance.format_icon(hit.format).paint(painter, icon_rect)

        left = icon_rect.right() + _PAD + 2
        width = rect.right() - _PAD - left
        base_font = QFont(option.font)
        title_font = QFont(base_font)
        title_font.setWeight(QFont.Weight.DemiBold)
        line = QFontMetrics(base_font).lineSpacing()
        title_rect = QRect(left, rect.top() + _PAD - 1, width, line)
        painter.setFont(title_font)
        painter.setPen(palette.color(text_role))
        title = QFontMetrics(title_font).elidedText(hit.title, Qt.TextElideMode.ElideRight, width)
        if hit.status == "withdrawn":
            struck = QFont(title_font)
            struck.setStrikeOut(True)
            painter.setFont(struck)
        painter.drawText(title_rect, _LEFT, title)

        snippet = str(index.data(SNIPPET_ROLE) or "")
        snippet_rect = QRect(left, title_rect.bottom() + 1, width, line)
        runs = snippet_runs(snippet)
        self._paint_runs(painter, snippet_rect, runs, base_font, palette, muted_role, text_role)
        painter.restore()

    @staticmethod
    def _paint_runs(
        painter: QPainter,
        rect: QRect,
        runs: list[tuple[str, bool]],
        font: QFont,
        palette: QPalette,
        plain_role: QPalette.ColorRole,
        bold_role: QPalette.ColorRole,
    ) -> None:
        bold_font = QFont(font)
        bold_font.setWeight(QFont.Weight.Bold)
        x = rect.left()
        for text, bold in runs:
            run_font = bold_font if bold else font
            metrics = QFontMetrics(run_font)
            room = rect.right() - x
            if room <= metrics.horizontalAdvance("…"):
                break
            shown = text
            if metrics.horizontalAdvance(text) > room:
                shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
            painter.setFont(run_font)
            painter.setPen(palette.color(bold_role if bold else plain_role))
            target = QRect(x, rect.top(), room, rect.height())
            painter.drawText(target, _LEFT, shown)
            x += metrics.horizontalAdvance(shown)
            if shown != text:
                break


class BadgeDelegate(QStyledItemDelegate):
    """Paints the Status column as a coloured pill (nothing for current documents)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        hit = index.data(ROW_ROLE)
        if hit is None or hit.status in appearance.QUIET_STATUSES:
            return
        rect: QRect = option.rect
        area = QRectF(rect.adjusted(4, 0, -4, 0))
        appearance.paint_badge(painter, area, hit.status, option.palette, option.font)


class ResultsView(QTreeView):
    """A flat, sortable list of results that can be dragged out as files."""

    # Up pressed on the first row: focus goes back to the search field.
    left_at_top = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Search results")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setItemsExpandable(False)
        self.setAllColumnsShowFocus(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setSortingEnabled(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegateForColumn(TITLE, ResultDelegate(self))
        self.setItemDelegateForColumn(STATUS, BadgeDelegate(self))

    def setup_columns(self) -> None:
        """Column sizes: Document takes the room; the rest are sized to their typical content."""
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        widths = {
            LOCATION: metrics.horizontalAdvance("slide 88 +3") + 20,
            STATUS: metrics.horizontalAdvance("Update available") + 34,
            VERSION: metrics.horizontalAdvance("Version") + 20,
            MODIFIED: metrics.horizontalAdvance("28 Sep 2025") + 24,
            FOLDER: metrics.horizontalAdvance("Case studies/EMEA") + 20,
        }
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorClearable(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        current = self.currentIndex()
        if event.key() == Qt.Key.Key_Up and (not current.isValid() or current.row() == 0):
            self.left_at_top.emit()
            return
        super().keyPressEvent(event)
