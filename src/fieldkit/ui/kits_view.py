"""The Kits tab: meeting kits with their readiness, each kit's documents, and export.

Kits fill from the Library: "Add to kit" on results (context menu, the Kits menu, Ctrl+Shift+K)
or by dragging results onto a kit (the results carry their files as URLs; dragging over the Kits
tab switches to it). ``install_kits`` wires all of it into the main window.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QDate,
    QEvent,
    QItemSelection,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTimeEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core import freshness
from fieldkit.core.errors import FieldkitError
from fieldkit.core.index import Hit
from fieldkit.core.kits import KitItemStatus, KitReadiness
from fieldkit.core.open_latest import OpenTarget
from fieldkit.ui import appearance
from fieldkit.ui.badge_delegate import BadgeDelegate
from fieldkit.ui.kits_controller import KitForm, KitsController, KitsSnapshot
from fieldkit.ui.kits_model import (
    CUSTOMER,
    DOCUMENT,
    KIT,
    MEETING,
    NOTE,
    READINESS,
    ROW_ROLE,
    STATE,
    VERSION,
    KitItemsModel,
    KitsModel,
)
from fieldkit.ui.latest_opener import LatestOpener
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.main_window import MainWindow
from fieldkit.ui.search_view import SearchView
from fieldkit.ui.sync_controller import SyncController, SyncState

ModelIndex = QModelIndex | QPersistentModelIndex

# Where an export goes: (parent widget, suggested file or folder name, as a zip) → a path.
ExportPicker = Callable[[QWidget, str, bool], Path | None]

VIEW_TITLE = "Kits"
ADD_TO_KIT_SHORTCUT = "Ctrl+Shift+K"
_UNSAFE = re.compile(r'[\\/:*?"<>|]+')
_PAD = 8
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def pick_export_path(parent: QWidget, suggested: str, as_zip: bool) -> Path | None:
    start = str(Path.home() / (suggested + (".zip" if as_zip else "")))
    if as_zip:
        chosen, _ = QFileDialog.getSaveFileName(
            parent, "Export the kit as a zip file", start, "Zip files (*.zip)"
        )
    else:
        chosen, _ = QFileDialog.getSaveFileName(parent, "Export the kit to a new folder", start)
    return Path(chosen) if chosen else None


def dropped_paths(mime: QMimeData) -> tuple[str, ...]:
    """The local files a drag carries (results dragged out of the Library carry their files)."""
    return tuple(url.toLocalFile() for url in mime.urls() if url.isLocalFile())


def readiness_status(readiness: KitReadiness) -> str:
    """The status whose colours a kit's readiness wears: ready, not ready, or empty (grey)."""
    if not readiness.items:
        return "personal"
    return "current" if readiness.ready else "expired"


def _safe_name(name: str) -> str:
    return _UNSAFE.sub("-", name).strip(" .") or "kit"


class _DropTree(QTreeView):
    """A list that takes dropped files: ``paths_dropped(row, paths)`` (row -1: not on a row)."""

    paths_dropped = Signal(int, tuple)

    def __init__(self, *, rows_only: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows_only = rows_only
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setItemsExpandable(False)
        self.setAllColumnsShowFocus(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)

    def _takes(self, event: QDragMoveEvent | QDropEvent) -> bool:
        if not dropped_paths(event.mimeData()):
            return False
        return not self._rows_only or self.indexAt(event.position().toPoint()).isValid()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_paths(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._takes(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if not self._takes(event):
            event.ignore()
            return
        row = self.indexAt(event.position().toPoint()).row()
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.paths_dropped.emit(row, dropped_paths(event.mimeData()))


def _item_state_badge(index: ModelIndex) -> tuple[str, str | None] | None:
    """A kit document's state as a pill."""
    item = index.data(ROW_ROLE)
    return (item.state, None) if item is not None else None


class _KitDelegate(QStyledItemDelegate):
    """A kit in two lines: its name with customer and meeting, then its readiness in colour."""

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        line = QFontMetrics(option.font).lineSpacing()
        return QSize(240, 2 * line + 2 * _PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        readiness = index.data(ROW_ROLE)
        if not isinstance(readiness, KitReadiness):
            return
        model = index.model()
        when = [
            str(model.index(index.row(), column).data() or "") for column in (CUSTOMER, MEETING)
        ]
        rect = option.rect.adjusted(_PAD + 2, _PAD - 1, -_PAD, -_PAD)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        text = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = text if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        base = QFont(option.font)
        bold = QFont(base)
        bold.setWeight(QFont.Weight.DemiBold)
        line = QFontMetrics(base).lineSpacing()
        painter.save()
        top = QRect(rect.left(), rect.top(), rect.width(), line)
        name = QFontMetrics(bold).elidedText(
            readiness.kit.name, Qt.TextElideMode.ElideRight, rect.width() * 3 // 5
        )
        painter.setFont(bold)
        painter.setPen(text)
        painter.drawText(top, _LEFT, name)
        gap = QFontMetrics(bold).horizontalAdvance(name + "    ")
        painter.setFont(base)
        painter.setPen(muted)
        detail = "  ·  ".join(w for w in when if w)
        room = top.adjusted(gap, 0, 0, 0)
        painter.drawText(
            room, _LEFT, QFontMetrics(base).elidedText(detail, Qt.TextElideMode.ElideRight,
                                                       room.width())
        )
        _, colour = appearance.badge_colours(readiness_status(readiness), palette)
        if not readiness.items:  # an empty kit is no warning, just a kit to fill
            colour = muted
        painter.setPen(text if selected else colour)
        bottom = top.translated(0, line + 1)
        mark = "" if not readiness.items else "✓ " if readiness.ready else "! "
        message = mark + readiness.message
        painter.drawText(
            bottom, _LEFT,
            QFontMetrics(base).elidedText(message, Qt.TextElideMode.ElideRight, rect.width()),
        )
        painter.restore()


class KitDialog(QDialog):
    """Name, customer and meeting date/time of a new kit, or of one being edited."""

    def __init__(
        self, title: str, form: KitForm | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(420)
        layout = QFormLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        self.name = QLineEdit()
        self.name.setPlaceholderText("ACME renewal")
        self.name.setAccessibleName("Kit name")
        self.customer = QLineEdit()
        self.customer.setPlaceholderText("ACME")
        self.customer.setAccessibleName("Customer")
        self.has_date = QCheckBox("On")
        self.date = QDateEdit(QDate.currentDate().addDays(1))
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd d MMM yyyy")
        self.date.setAccessibleName("Meeting date")
        self.has_time = QCheckBox("at")
        self.time = QTimeEdit(QTime(10, 0))
        self.time.setDisplayFormat("HH:mm")
        self.time.setAccessibleName("Meeting time")
        when = QHBoxLayout()
        for widget in (self.has_date, self.date, self.has_time, self.time):
            when.addWidget(widget)
        when.addStretch(1)
        layout.addRow("&Name", self.name)
        layout.addRow("&Customer", self.customer)
        layout.addRow("Meeting", when)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addRow(self.buttons)
        self.name.textChanged.connect(self._on_name_text_changed)
        self.has_date.toggled.connect(self._on_has_date_toggled)
        self.has_time.toggled.connect(self._on_has_time_toggled)
        if form is not None:
            self._fill(form)
        self._on_name_text_changed(self.name.text())
        self._on_has_date_toggled(self.has_date.isChecked())

    def _fill(self, form: KitForm) -> None:
        self.name.setText(form.name)
        self.customer.setText(form.customer)
        day, _, at = form.meeting.partition(" ")
        if day:
            self.has_date.setChecked(True)
            self.date.setDate(QDate.fromString(day, "yyyy-MM-dd"))
        if at:
            self.has_time.setChecked(True)
            self.time.setTime(QTime.fromString(at, "HH:mm"))

    def form(self) -> KitForm:
        meeting = ""
        if self.has_date.isChecked():
            meeting = self.date.date().toString("yyyy-MM-dd")
            if self.has_time.isChecked():
                meeting += " " + self.time.time().toString("HH:mm")
        return KitForm(self.name.text().strip(), self.customer.text().strip(), meeting)

    def _on_name_text_changed(self, text: str) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(text.strip()))

    def _on_has_date_toggled(self, on: bool) -> None:
        self.date.setEnabled(on)
        self.has_time.setEnabled(on)
        self._on_has_time_toggled(self.has_time.isChecked())

    def _on_has_time_toggled(self, on: bool) -> None:
        self.time.setEnabled(on and self.has_date.isChecked())


def _form_of(readiness: KitReadiness) -> KitForm:
    kit = readiness.kit
    meeting = ""
    if kit.meeting is not None:
        fmt = "%Y-%m-%d %H:%M" if kit.meeting_has_time else "%Y-%m-%d"
        meeting = kit.meeting.strftime(fmt)
    return KitForm(kit.name, kit.customer or "", meeting)


class KitsView(QWidget):
    # The rep asked to bring the kit up to date ("Update now"): start a sync.
    update_requested = Signal()
    # A kit needs attention: a notification (title, text, this view's title, the kit's name).
    kit_warned = Signal(str, str, str, str)

    def __init__(
        self,
        controller: KitsController,
        opener: LatestOpener,
        launcher: Launcher,
        export_picker: ExportPicker = pick_export_path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(VIEW_TITLE)
        self._controller = controller
        self._opener = opener
        self._launcher = launcher
        self._export_picker = export_picker
        self._current: str | None = None
        self._syncing = False
        self.kit_dialog: KitDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.kits_model = KitsModel(self)
        self.items_model = KitItemsModel(self)
        self._build()
        controller.kits_read.connect(self._on_controller_kits_read)
        controller.kit_changed.connect(self._on_controller_kit_changed)
        controller.kit_warned.connect(self._on_controller_kit_warned)
        self._show_current()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(1)
        layout.addWidget(splitter)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(12, 10, 6, 10)
        self.kits_list = _DropTree(rows_only=True)
        self.kits_list.setAccessibleName("Meeting kits")
        self.kits_list.setToolTip("Drop results from the Library on a kit to add them")
        self.kits_list.setModel(self.kits_model)
        # One column painted in two lines: name, customer and meeting; then the readiness.
        self.kits_list.setHeaderHidden(True)
        self.kits_list.setItemDelegateForColumn(KIT, _KitDelegate(self.kits_list))
        for column in (CUSTOMER, MEETING, READINESS):
            self.kits_list.setColumnHidden(column, True)
        metrics = self.fontMetrics()
        self.kits_list.selectionModel().currentRowChanged.connect(
            self._on_kits_list_current_row_changed
        )
        self.kits_list.paths_dropped.connect(self._on_kits_list_paths_dropped)
        left_layout.addWidget(self.kits_list, 1)
        buttons = QHBoxLayout()
        self.new_kit_action = QAction("&New kit…", self)
        self.new_kit_action.triggered.connect(self._on_new_kit_action_triggered)
        self.new_button = QPushButton("New kit…")
        self.new_button.clicked.connect(self._on_new_kit_action_triggered)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Rename the kit, or change its customer or meeting")
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        for button in (self.new_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)
        splitter.addWidget(left)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 10, 12, 10)
        self.title_label = QLabel()
        self.title_label.setAccessibleName("Kit")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(font.Weight.DemiBold)
        self.title_label.setFont(font)
        self.subtitle_label = QLabel()
        self.subtitle_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.title_label.setWordWrap(True)
        self.subtitle_label.setWordWrap(True)
        # The kit's own actions beside its name; the documents' actions below the list.
        self.export_folder_button = QPushButton("Export as folder…")
        self.export_folder_button.clicked.connect(self._on_export_folder_button_clicked)
        self.export_zip_button = QPushButton("Export as zip…")
        self.export_zip_button.clicked.connect(self._on_export_zip_button_clicked)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title_label)
        titles.addWidget(self.subtitle_label)
        header.addLayout(titles, 1)
        for button in (self.export_folder_button, self.export_zip_button):
            header.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        right_layout.addLayout(header)

        self.banner = QFrame()
        self.banner.setFrameShape(QFrame.Shape.NoFrame)
        self.banner.setAutoFillBackground(True)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(10, 6, 10, 6)
        self.readiness_label = QLabel()
        self.readiness_label.setAccessibleName("Readiness")
        self.readiness_label.setWordWrap(True)
        self.update_button = QPushButton("Update now")
        self.update_button.setToolTip("Sync now: the kit's documents are fetched first")
        self.update_button.clicked.connect(self._on_update_button_clicked)
        banner_layout.addWidget(self.readiness_label, 1)
        banner_layout.addWidget(self.update_button)
        right_layout.addWidget(self.banner)

        self.items_view = _DropTree(rows_only=False)
        self.items_view.setAccessibleName("Documents in the kit")
        self.items_view.setModel(self.items_model)
        self.items_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.items_view.setItemDelegateForColumn(
            STATE, BadgeDelegate(_item_state_badge, self.items_view)
        )
        items_header = self.items_view.header()
        items_header.setStretchLastSection(False)
        items_header.setSectionResizeMode(DOCUMENT, QHeaderView.ResizeMode.Stretch)
        widths = {
            STATE: metrics.horizontalAdvance("Update available") + 30,
            VERSION: metrics.horizontalAdvance("v12 → v13") + 20,
            NOTE: metrics.horizontalAdvance("Expiring before the meeting") + 20,
        }
        for column, width in widths.items():
            items_header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            items_header.resizeSection(column, width)
        self.items_view.paths_dropped.connect(self._on_items_view_paths_dropped)
        self.items_view.activated.connect(self._on_items_view_activated)
        self.items_view.selectionModel().selectionChanged.connect(
            self._on_items_view_selection_changed
        )
        right_layout.addWidget(self.items_view, 1)

        keys = QKeySequence(ADD_TO_KIT_SHORTCUT).toString(QKeySequence.SequenceFormat.NativeText)
        self.hint_label = QLabel(
            f"Add documents from the Library: select results and press {keys} (Add to kit), "
            "or drag them onto a kit."
        )
        self.hint_label.setWordWrap(True)
        self.hint_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        right_layout.addWidget(self.hint_label)

        actions = QHBoxLayout()
        self.open_button = QPushButton("Open latest")
        self.open_button.setToolTip(
            "Open the newest version (fetched first when the hub can be reached; Enter or a "
            "double-click opens it too)"
        )
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.show_in_folder_button = QPushButton("Show in folder")
        self.show_in_folder_button.clicked.connect(self._on_show_in_folder_button_clicked)
        self.remove_button = QPushButton("Remove from kit")
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        for button in (self.open_button, self.show_in_folder_button, self.remove_button):
            actions.addWidget(button)
        actions.addStretch(1)
        right_layout.addLayout(actions)
        splitter.addWidget(right)
        self._make_menus()
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([400, 880])

    def _make_menus(self) -> None:
        """The buttons' actions on the lists' context menus; Delete takes documents out."""
        self.edit_action = QAction("&Edit…", self)
        self.edit_action.triggered.connect(self._on_edit_button_clicked)
        self.delete_action = QAction("&Delete…", self)
        self.delete_action.triggered.connect(self._on_delete_button_clicked)
        self.export_folder_action = QAction("Export as &folder…", self)
        self.export_folder_action.triggered.connect(self._on_export_folder_button_clicked)
        self.export_zip_action = QAction("Export as &zip…", self)
        self.export_zip_action.triggered.connect(self._on_export_zip_button_clicked)
        separator = QAction(self)
        separator.setSeparator(True)
        self.kits_list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.kits_list.addActions(
            [
                self.edit_action,
                self.delete_action,
                separator,
                self.export_folder_action,
                self.export_zip_action,
            ]
        )
        self.remove_action = QAction("&Remove from kit", self)
        self.remove_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(self._on_remove_button_clicked)
        self.open_action = QAction("&Open latest", self)
        self.open_action.triggered.connect(self._on_open_button_clicked)
        self.show_in_folder_action = QAction("Show in &folder", self)
        self.show_in_folder_action.triggered.connect(self._on_show_in_folder_button_clicked)
        items_separator = QAction(self)
        items_separator.setSeparator(True)
        self.items_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.items_view.addActions(
            [self.open_action, self.show_in_folder_action, items_separator, self.remove_action]
        )

    # -- public ------------------------------------------------------------------------------

    def current(self) -> KitReadiness | None:
        return self._controller.snapshot().find(self._current) if self._current else None

    def select(self, name: str) -> None:
        row = self.kits_model.row_of(name)
        if row is not None:
            self.kits_list.setCurrentIndex(self.kits_model.index(row, KIT))

    def show_notified(self, view: str, item: str) -> None:
        """A click on a notification about a kit showed this view: select that kit."""
        if view == VIEW_TITLE and item:
            self.select(item)

    def set_syncing(self, state: SyncState) -> None:
        self._syncing = state.running
        self._show_current()

    def new_kit(self, refs: tuple[str, ...] = ()) -> KitDialog:
        """Ask for a new kit's name, customer and meeting; ``refs`` go into it once made."""
        dialog = KitDialog("New kit", parent=self)
        dialog.accepted.connect(lambda: self._controller.create(dialog.form(), refs))
        return self._open_dialog(dialog)

    # -- kits --------------------------------------------------------------------------------

    def _on_controller_kits_read(self, snapshot: KitsSnapshot) -> None:
        keep = self._current
        self.kits_model.set_kits(snapshot.kits, snapshot.now)
        if keep is not None and self.kits_model.row_of(keep) is not None:
            self.select(keep)
        elif snapshot.kits:
            self.select(snapshot.kits[0].kit.name)
        else:
            self._current = None
        self._show_current()

    def _on_controller_kit_changed(self, name: str) -> None:
        self.select(name)

    def _on_kits_list_current_row_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        readiness = current.data(ROW_ROLE) if current.isValid() else None
        self._current = readiness.kit.name if isinstance(readiness, KitReadiness) else None
        self._show_current()

    def _show_current(self) -> None:
        readiness = self.current()
        has = readiness is not None
        for control in (self.edit_button, self.delete_button, self.edit_action, self.delete_action):
            control.setEnabled(has)
        if readiness is None:
            self.items_model.set_items(())
            empty = not self.kits_model.rowCount()
            self.title_label.setText("No meeting kits yet" if empty else "Choose a kit")
            self.subtitle_label.setText(
                "A kit gathers the documents for one meeting and keeps them downloaded."
            )
            self.banner.hide()
            self._update_buttons()
            return
        kit = readiness.kit
        self.title_label.setText(kit.name)
        count = len(kit.doc_ids)
        parts = [
            kit.customer or "",
            kit.meeting_text(self._controller.snapshot().now) or "no meeting date",
            f"{count} document{'s' if count != 1 else ''}",
            readiness.checked,
        ]
        self.subtitle_label.setText("  ·  ".join(p for p in parts if p))
        self.readiness_label.setText(readiness.message)
        background, foreground = appearance.banner_colours(
            readiness_status(readiness), self.palette()
        )
        self.banner.setStyleSheet(
            f"QFrame {{ background: {background.name()}; border-radius: 4px; }}"
            f"QLabel {{ color: {foreground.name()}; }}"
        )
        self.banner.show()
        self.update_button.setVisible(readiness.update_helps)
        self.update_button.setEnabled(not self._syncing)
        self.update_button.setText("Updating…" if self._syncing else "Update now")
        self.items_model.set_items(readiness.items)
        self._update_buttons()

    def _update_buttons(self) -> None:
        readiness = self.current()
        has_items = readiness is not None and bool(readiness.items)
        removable = has_items and bool(self._selected_doc_ids())
        for control in (self.remove_button, self.remove_action):
            control.setEnabled(removable)
        item = self._current_item()
        for control in (self.open_button, self.open_action):
            control.setEnabled(item is not None)
        for control in (self.show_in_folder_button, self.show_in_folder_action):
            control.setEnabled(item is not None and item.local_path is not None)
        for export in (
            self.export_folder_button,
            self.export_zip_button,
            self.export_folder_action,
            self.export_zip_action,
        ):
            export.setEnabled(has_items)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a light or dark theme: banner to match
            self._show_current()

    def on_opener_opened(self, target: OpenTarget) -> None:
        """A document opened through open-latest; a fetched newer version may ready a kit."""
        if target.fetched:
            self._controller.check()

    def _on_controller_kit_warned(self, title: str, text: str, name: str) -> None:
        self.kit_warned.emit(title, text, VIEW_TITLE, name)

    def _on_new_kit_action_triggered(self) -> None:
        self.new_kit()

    def _on_edit_button_clicked(self) -> None:
        readiness = self.current()
        if readiness is None:
            return
        name = readiness.kit.name
        dialog = KitDialog("Edit kit", _form_of(readiness), self)
        dialog.accepted.connect(lambda: self._controller.update(name, dialog.form()))
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: KitDialog) -> KitDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_kit_dialog_finished)
        self.kit_dialog = dialog
        dialog.open()
        return dialog

    def _on_kit_dialog_finished(self, _result: int) -> None:
        self.kit_dialog = None

    def _on_delete_button_clicked(self) -> None:
        readiness = self.current()
        if readiness is None:
            return
        name = readiness.kit.name
        self._confirm(
            f"Delete the kit “{name}”?",
            "Its documents stay in your library; they are no longer kept for this meeting.",
            "Delete kit",
            lambda: self._controller.delete(name),
        )

    def _confirm(self, text: str, details: str, verb: str, then: Callable[[], None]) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "fieldkit", text, parent=self)
        box.setInformativeText(details)
        go = box.addButton(verb, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def clicked(button: QAbstractButton) -> None:
            if button is go:
                then()

        box.buttonClicked.connect(clicked)
        box.finished.connect(self._on_confirm_box_finished)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.confirm_box = box
        box.open()

    def _on_confirm_box_finished(self, _result: int) -> None:
        self.confirm_box = None

    def _on_update_button_clicked(self) -> None:
        self.update_requested.emit()

    # -- documents ---------------------------------------------------------------------------

    def _on_items_view_selection_changed(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self._update_buttons()

    def _selected_doc_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.items_view.selectionModel().selectedRows()})
        items = self.items_model.items()
        return [items[row].doc_id for row in rows if row < len(items)]

    def _current_item(self) -> KitItemStatus | None:
        """The document the rep is on (the current row, when selected)."""
        index = self.items_view.currentIndex()
        if not index.isValid() or not self.items_view.selectionModel().isSelected(index):
            return None
        item = index.data(ROW_ROLE)
        return item if isinstance(item, KitItemStatus) else None

    def _on_items_view_activated(self, _index: QModelIndex) -> None:
        self._on_open_button_clicked()

    def _on_open_button_clicked(self) -> None:
        item = self._current_item()
        if item is not None:
            self._opener.open(item.doc_id, item.title)

    def _on_show_in_folder_button_clicked(self) -> None:
        item = self._current_item()
        if item is None or item.local_path is None:
            return
        try:
            self._launcher.show_in_folder(item.local_path)
        except FieldkitError as exc:
            self._controller.notice_posted.emit(str(exc))

    def _on_remove_button_clicked(self) -> None:
        doc_ids = self._selected_doc_ids()
        if self._current is not None and doc_ids:
            self._controller.remove(self._current, doc_ids)

    def _on_kits_list_paths_dropped(self, row: int, paths: tuple[str, ...]) -> None:
        readiness = self.kits_model.index(row, KIT).data(ROW_ROLE)
        if isinstance(readiness, KitReadiness):
            self.select(readiness.kit.name)
            self._controller.add(readiness.kit.name, paths)

    def _on_items_view_paths_dropped(self, _row: int, paths: tuple[str, ...]) -> None:
        if self._current is not None:
            self._controller.add(self._current, paths)
        else:
            self.new_kit(paths)

    # -- export ------------------------------------------------------------------------------

    def _on_export_folder_button_clicked(self) -> None:
        self._export(as_zip=False)

    def _on_export_zip_button_clicked(self) -> None:
        self._export(as_zip=True)

    def _export(self, *, as_zip: bool) -> None:
        readiness = self.current()
        if readiness is None:
            return
        dest = self._export_picker(self, _safe_name(readiness.kit.name), as_zip)
        if dest is None:
            return
        name = readiness.kit.name
        usable = all(
            i.local_path is not None and i.state != freshness.MODIFIED for i in readiness.items
        )
        if readiness.ready or not usable:
            # Not usable: the core refuses with a message that says which documents and why.
            self._controller.export(name, dest, as_zip=as_zip)
            return
        self._confirm(
            f"“{name}” is not ready: {readiness.message}.",
            "Export the copies on this laptop anyway? The version stamp records their state.",
            "Export anyway",
            lambda: self._controller.export(name, dest, as_zip=as_zip, anyway=True),
        )


class AddToKit(QAction):
    """"Add to kit" for the selected results, with a submenu of kits and "New kit…"."""

    def __init__(
        self, controller: KitsController, search_view: SearchView, view: KitsView
    ) -> None:
        super().__init__("Add to &kit", search_view)
        self._controller = controller
        self._search_view = search_view
        self._view = view
        self.setShortcut(QKeySequence(ADD_TO_KIT_SHORTCUT))
        self.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.setToolTip(f"Add the selected documents to a meeting kit ({ADD_TO_KIT_SHORTCUT})")
        self.kits_menu = QMenu("Add to kit", search_view)
        self.kits_menu.aboutToShow.connect(self._on_kits_menu_about_to_show)
        self.kits_menu.triggered.connect(self._on_kits_menu_triggered)
        self.setMenu(self.kits_menu)
        self.triggered.connect(self._on_triggered)
        self._fill_menu()

    def _fill_menu(self) -> None:
        self.kits_menu.clear()
        kits = self._controller.snapshot().kits
        for readiness in kits:
            kit = readiness.kit
            label = kit.name + (f"  ({kit.customer})" if kit.customer else "")
            action = self.kits_menu.addAction(label)
            action.setData(kit.name)
        if kits:
            self.kits_menu.addSeparator()
        new = self.kits_menu.addAction("New kit…")
        new.setData("")

    def _on_kits_menu_about_to_show(self) -> None:
        self._fill_menu()

    def _on_triggered(self) -> None:
        """From the shortcut: the kits menu opens at the current result."""
        results = self._search_view.results_view
        rect = results.visualRect(results.currentIndex())
        self._fill_menu()
        self.kits_menu.popup(results.viewport().mapToGlobal(rect.bottomLeft()))

    def _on_kits_menu_triggered(self, action: QAction) -> None:
        name = action.data()
        refs = self._refs()
        if not refs:
            return
        if name:
            self._controller.add(str(name), refs)
        else:
            self._view.new_kit(refs)

    def _refs(self) -> tuple[str, ...]:
        view = self._search_view
        hits: list[Hit] = view.selected_hits()
        current = view.current_hit()
        if not hits and current is not None:
            hits = [current]
        approved = tuple(h.path for h in hits if not h.personal)
        if not hits:
            self._controller.notice_posted.emit("Select the results to add to a kit first.")
        elif not approved:
            self._controller.notice_posted.emit(
                "Only approved documents from the hub can go into a kit."
            )
        return approved


@dataclass(frozen=True)
class KitsFeature:
    controller: KitsController
    view: KitsView
    add_to_kit: AddToKit
    menu: QMenu


def install_kits(
    window: MainWindow,
    controller: KitsController,
    *,
    sync: SyncController,
    opener: LatestOpener,
    launcher: Launcher,
    export_picker: ExportPicker = pick_export_path,
) -> KitsFeature:
    """The Kits tab, "Add to kit" on results and in a Kits menu, drops, and notifications
    (a click on one shows the kit). Kit documents open through the app's ``opener``.

    Call it after ``window.build_menus()``: the Kits menu goes before Help.
    """
    view = KitsView(controller, opener, launcher, export_picker)
    window.add_view(VIEW_TITLE, view)
    # Dragging results over the Kits tab opens it, so they can be dropped on a kit.
    tab_bar = window.tabs.tabBar()
    tab_bar.setChangeCurrentOnDrag(True)
    tab_bar.setAcceptDrops(True)
    search_view = window.search_view
    add_to_kit = AddToKit(controller, search_view, view)
    search_view.results_view.addAction(add_to_kit)
    menu = QMenu("&Kits", window)
    menu.addAction(add_to_kit)
    menu.addAction(view.new_kit_action)
    bar = window.menuBar()
    help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_menu is None:
        bar.addMenu(menu)
    else:
        bar.insertMenu(help_menu, menu)
    view.update_requested.connect(sync.sync_now)
    sync.sync_finished.connect(controller.check_after_sync)
    sync.state_changed.connect(view.set_syncing)
    view.kit_warned.connect(window.tray.notify)
    window.notification_opened.connect(view.show_notified)
    opener.opened.connect(view.on_opener_opened)
    controller.notice_posted.connect(window.status_panel.show_notice)
    return KitsFeature(controller, view, add_to_kit, menu)
