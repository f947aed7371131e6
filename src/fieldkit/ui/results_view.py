"""The results list: a title and snippet per row (matches in bold), status badges, and drag out."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QFontMetrics, QIcon, QKeyEvent, QPainter, QPalette
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
from fieldkit.ui.badge_delegate import BadgeDelegate
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


@dataclass(frozen=True)
class _Fonts:
    """The fonts of a result row and their metrics, made once per view font (a row is painted
    at every keystroke; building these for each row was a fifth of a repaint)."""

    base: QFont
    bold: QFont
    title: QFont
    withdrawn: QFont
    base_metrics: QFontMetrics
    bold_metrics: QFontMetrics
    title_metrics: QFontMetrics
    line: int
    gap: int

    @classmethod
    def of(cls, font: QFont) -> _Fonts:
        base = QFont(font)
        bold = QFont(base)
        bold.setWeight(QFont.Weight.Bold)
        title = QFont(base)
        title.setWeight(QFont.Weight.DemiBold)
        withdrawn = QFont(title)
        withdrawn.setStrikeOut(True)
        base_metrics = QFontMetrics(base)
        return cls(
            base,
            bold,
            title,
            withdrawn,
            base_metrics,
            QFontMetrics(bold),
            QFontMetrics(title),
            base_metrics.lineSpacing(),
            base_metrics.horizontalAdvance("    "),
        )


class ResultDelegate(QStyledItemDelegate):
    """Paints the Document column: format icon, title, and one line of snippet."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fonts: dict[str, _Fonts] = {}

    def _fonts_for(self, font: QFont) -> _Fonts:
        key = font.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            fonts = self._fonts[key] = _Fonts.of(font)
        return fonts

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
        fonts = self._fonts_for(option.font)
        base_font = fonts.base
        title_font = fonts.withdrawn if hit.status == "withdrawn" else fonts.title
        line = fonts.line
        title_rect = QRect(left, rect.top() + _PAD - 1, width, line)

        # Line 1: the title, then where it lives and its version, muted.
        suffix = "  ·  ".join(p for p in (_version(hit.version), hit.folder) if p)
        base_metrics = fonts.base_metrics
        suffix_width = min(base_metrics.horizontalAdvance(suffix), width * 2 // 5) if suffix else 0
        title_metrics = fonts.title_metrics
        gap = fonts.gap if suffix else 0
        title = title_metrics.elidedText(
            hit.title, Qt.TextElideMode.ElideRight, width - suffix_width - gap
        )
        painter.setFont(title_font)
        painter.setPen(palette.color(text_role))
        painter.drawText(title_rect, _LEFT, title)
        if suffix:
            suffix_left = left + title_metrics.horizontalAdvance(title) + gap
            suffix_rect = QRect(suffix_left, title_rect.top(), rect.right() - suffix_left, line)
            painter.setFont(base_font)
            painter.setPen(palette.color(muted_role))
            shown = base_metrics.elidedText(suffix, Qt.TextElideMode.ElideRight, suffix_width)
            painter.drawText(suffix_rect, _LEFT, shown)

        # Line 2: the snippet with the matches in bold, else the file name.
        snippet = str(index.data(SNIPPET_ROLE) or "")
        runs = list(_cached_runs(snippet)) or [(Path(hit.path).name, False)]
        snippet_rect = QRect(left, title_rect.bottom() + 1, width, line)
        self._paint_runs(painter, snippet_rect, runs, fonts, palette, muted_role, text_role)
        painter.restore()

    @staticmethod
    def _paint_runs(
        painter: QPainter,
        rect: QRect,
        runs: list[tuple[str, bool]],
        fonts: _Fonts,
        palette: QPalette,
        plain_role: QPalette.ColorRole,
        bold_role: QPalette.ColorRole,
    ) -> None:
        runs = _lead_to_first_match(runs, fonts.base_metrics, rect.width())
        x = rect.left()
        for text, bold in runs:
            run_font = fonts.bold if bold else fonts.base
            metrics = fonts.bold_metrics if bold else fonts.base_metrics
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


@functools.lru_cache(maxsize=512)
def _cached_runs(snippet: str) -> tuple[tuple[str, bool], ...]:
    # Each visible row's snippet is parsed at every paint (scrolling, hovering, selecting).
    return tuple(snippet_runs(snippet))


def _lead_to_first_match(
    runs: list[tuple[str, bool]], metrics: QFontMetrics, width: int
) -> list[tuple[str, bool]]:
    """Shortens the text before the first match so the match shows on a narrow line."""
    first = next((i for i, (_text, bold) in enumerate(runs) if bold), None)
    if not first:
        return runs
    lead = "".join(text for text, _bold in runs[:first])
    budget = width // 4
    if metrics.horizontalAdvance(lead) <= budget:
        return runs
    words = lead.split(" ")
    kept: list[str] = []
    while words and metrics.horizontalAdvance("… " + " ".join([words[-1], *kept])) <= budget:
        kept.insert(0, words.pop())
    return [("…" + " ".join(kept), False), *runs[first:]]


def _version(version: int | None) -> str:
    return f"v{version}" if version is not None else ""


def _status_badge(index: ModelIndex) -> tuple[str, str | None] | None:
    """A result's status as a pill (none for current documents)."""
    hit = index.data(ROW_ROLE)
    if hit is None or hit.status in appearance.QUIET_STATUSES:
        return None
    return hit.status, None


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
        self.setItemDelegateForColumn(STATUS, BadgeDelegate(_status_badge, self))

    def setup_columns(self) -> None:
        """Document takes the room. Version and Folder also show under each title, so their
        columns start hidden; the header's context menu shows any column."""
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        metrics = self.fontMetrics()
        widths = {
            LOCATION: metrics.horizontalAdvance("slide 88 +3") + 16,
            STATUS: metrics.horizontalAdvance("Update available") + 22,
            VERSION: metrics.horizontalAdvance("Version") + 20,
            MODIFIED: metrics.horizontalAdvance("28 Sep 2025") + 22,
            FOLDER: metrics.horizontalAdvance("Case studies/EMEA") + 20,
        }
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorClearable(True)
        header.setAccessibleName("Result columns")
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        model = self.model()
        for column in range(TITLE + 1, model.columnCount()):
            action = QAction(str(model.headerData(column, Qt.Orientation.Horizontal)), header)
            action.setCheckable(True)
            action.setChecked(column not in (VERSION, FOLDER))
            action.setData(column)
            action.toggled.connect(self._on_column_action_toggled)
            header.addAction(action)
            self.setColumnHidden(column, not action.isChecked())

    def restore_header(self, state: QByteArray) -> None:
        """Column widths, order and visibility as the rep left them."""
        header = self.header()
        if not header.restoreState(state):
            return
        for action in header.actions():
            action.setChecked(not self.isColumnHidden(int(action.data())))

    def _on_column_action_toggled(self, shown: bool) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.setColumnHidden(int(action.data()), not shown)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        current = self.currentIndex()
        if event.key() == Qt.Key.Key_Up and (not current.isValid() or current.row() == 0):
            self.left_at_top.emit()
            return
        super().keyPressEvent(event)
