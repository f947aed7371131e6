"""The Outdated view: documents on this laptop that are not current (each with its reason and
versions), old copies found elsewhere on the disk, and what is new since the rep last looked.

Every read and action goes through :class:`FreshnessFeature` (task runners); opening goes through
:class:`LatestOpener`, which fetches the newest version first when it can.
"""

from __future__ import annotations

import html
from typing import Any, TypeVar

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core import freshness
from fieldkit.core.freshness import DocumentFreshness
from fieldkit.core.stale import StaleCopy
from fieldkit.core.whatsnew import NewDocument, WhatsNew
from fieldkit.ui import appearance
from fieldkit.ui.badge_delegate import BadgeDelegate
from fieldkit.ui.freshness_feature import FreshnessFeature, OutdatedSnapshot
from fieldkit.ui.latest_opener import LatestOpener
from fieldkit.ui.outdated_model import (
    COPY_REASON,
    COPY_STATE,
    DOC_STATE,
    DOC_TITLE,
    NEW_TITLE,
    STATE_ROLE,
    RowsModel,
    copies_model,
    documents_model,
    news_model,
)

ModelIndex = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")

CHECKED_REFRESH_MS = 60_000


def _state_badge(index: ModelIndex) -> tuple[str, str | None] | None:
    """A row's state as a pill with the column's own words (none for current rows)."""
    state = index.data(STATE_ROLE)
    if not isinstance(state, str) or state in appearance.QUIET_STATUSES:
        return None
    text = index.data(Qt.ItemDataRole.DisplayRole)
    return state, text if isinstance(text, str) and text else None


def _table(name: str, model: RowsModel[Any], badge_column: int | None) -> QTreeView:
    view = QTreeView()
    view.setAccessibleName(name)
    view.setModel(model)
    view.setRootIsDecorated(False)
    view.setUniformRowHeights(True)
    view.setItemsExpandable(False)
    view.setAllColumnsShowFocus(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setFrameShape(QTreeView.Shape.NoFrame)
    view.setWordWrap(False)
    # Three of these share the view's height: small windows must still fit.
    view.setMinimumHeight(48)
    header = view.header()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    if badge_column is not None:
        view.setItemDelegateForColumn(badge_column, BadgeDelegate(_state_badge, view))
        header.resizeSection(
            badge_column, view.fontMetrics().horizontalAdvance("Update available") + 26
        )
    return view


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setWeight(QFont.Weight.DemiBold)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    label.setFont(font)
    return label


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def _current(view: QTreeView, model: RowsModel[Row]) -> Row | None:
    index = view.currentIndex()
    if not index.isValid() or not view.selectionModel().isSelected(index):
        return None
    return model.row(index.row())


class OutdatedView(QWidget):
    def __init__(
        self,
        feature: FreshnessFeature,
        opener: LatestOpener,
        clock: freshness.Clock = freshness.utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Outdated")
        self._feature = feature
        self._opener = opener
        self._clock = clock
        self._snapshot: OutdatedSnapshot | None = None
        self.documents_model = documents_model(self)
        self.copies_model = copies_model(self)
        self.news_model = news_model(self)
        self._build()
        feature.outdated_read.connect(self._on_feature_outdated_read)
        feature.news_read.connect(self._on_feature_news_read)
        self._checked_timer = QTimer(self)
        self._checked_timer.setInterval(CHECKED_REFRESH_MS)
        self._checked_timer.timeout.connect(self._on_checked_timer_timeout)
        self._checked_timer.start()
        self._update_buttons()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(6)
        top = QHBoxLayout()
        top.addWidget(_heading("Documents that need attention"), 1)
        self.checked_label = _muted()
        self.checked_label.setWordWrap(False)
        self.checked_label.setAccessibleName("When the hub was last checked")
        top.addWidget(self.checked_label)
        self.rescan_button = QPushButton("Check again")
        self.rescan_button.setToolTip("Look again at the documents and the watched folders")
        self.rescan_button.clicked.connect(self._on_rescan_button_clicked)
        top.addWidget(self.rescan_button)
        layout.addLayout(top)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._documents_pane())
        splitter.addWidget(self._copies_pane())
        splitter.addWidget(self._news_pane())
        splitter.setSizes([340, 220, 200])
        self.splitter = splitter
        layout.addWidget(splitter, 1)

    def _documents_pane(self) -> QWidget:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 0, 0, 0)
        self.documents_view = _table("Documents that need attention", self.documents_model,
                                     DOC_STATE)
        self.documents_view.header().resizeSection(DOC_TITLE, 260)
        self.documents_view.selectionModel().selectionChanged.connect(
            self._on_documents_selection_changed
        )
        self.documents_view.activated.connect(self._on_documents_view_activated)
        layout.addWidget(self.documents_view, 1)
        self.documents_empty = _muted("Every document on this laptop is current.")
        layout.addWidget(self.documents_empty)
        self.documents_empty.hide()
        self.document_details = QLabel()
        self.document_details.setAccessibleName("Details of the selected document")
        self.document_details.setWordWrap(True)
        self.document_details.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.document_details)
        self.document_details.hide()
        buttons = QHBoxLayout()
        self.open_document_button = QPushButton("Open latest")
        self.open_document_button.setToolTip(
            "Open the newest version (fetched first when the hub can be reached)"
        )
        self.open_document_button.clicked.connect(self._on_open_document_button_clicked)
        self.show_document_button = QPushButton("Show in folder")
        self.show_document_button.clicked.connect(self._on_show_document_button_clicked)
        buttons.addWidget(self.open_document_button)
        buttons.addWidget(self.show_document_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return pane

    def _copies_pane(self) -> QWidget:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(_heading("Old copies elsewhere on this computer"))
        self.copies_view = _table("Old copies", self.copies_model, COPY_STATE)
        self.copies_view.header().resizeSection(COPY_REASON, 460)
        self.copies_view.selectionModel().selectionChanged.connect(
            self._on_copies_selection_changed
        )
        layout.addWidget(self.copies_view, 1)
        self.copies_empty = _muted()
        layout.addWidget(self.copies_empty)
        self.copies_empty.hide()
        buttons = QHBoxLayout()
        self.open_copy_button = QPushButton("Open latest")
        self.open_copy_button.clicked.connect(self._on_open_copy_button_clicked)
        self.replace_copy_button = QPushButton("Replace with latest")
        self.replace_copy_button.setToolTip(
            "Put the latest version in its place; the old copy goes to the trash"
        )
        self.replace_copy_button.clicked.connect(self._on_replace_copy_button_clicked)
        self.show_copy_button = QPushButton("Show in folder")
        self.show_copy_button.clicked.connect(self._on_show_copy_button_clicked)
        for button in (self.open_copy_button, self.replace_copy_button, self.show_copy_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return pane

    def _news_pane(self) -> QWidget:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 8, 0, 0)
        self.news_heading = _heading("What's new")
        layout.addWidget(self.news_heading)
        self.news_view = _table("What's new", self.news_model, None)
        self.news_view.header().resizeSection(NEW_TITLE, 260)
        self.news_view.selectionModel().selectionChanged.connect(self._on_news_selection_changed)
        self.news_view.activated.connect(self._on_news_view_activated)
        layout.addWidget(self.news_view, 1)
        self.news_empty = _muted("Nothing new since you last looked.")
        layout.addWidget(self.news_empty)
        self.news_empty.hide()
        buttons = QHBoxLayout()
        self.open_news_button = QPushButton("Open")
        self.open_news_button.clicked.connect(self._on_open_news_button_clicked)
        self.mark_seen_button = QPushButton("Mark all as seen")
        self.mark_seen_button.clicked.connect(self._on_mark_seen_button_clicked)
        buttons.addWidget(self.open_news_button)
        buttons.addWidget(self.mark_seen_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return pane

    # -- public ------------------------------------------------------------------------------

    def current_document(self) -> DocumentFreshness | None:
        return _current(self.documents_view, self.documents_model)

    def current_copy(self) -> StaleCopy | None:
        return _current(self.copies_view, self.copies_model)

    def current_news(self) -> NewDocument | None:
        return _current(self.news_view, self.news_model)

    # -- showing -----------------------------------------------------------------------------

    def _on_feature_outdated_read(self, snapshot: OutdatedSnapshot) -> None:
        self._snapshot = snapshot
        keep_doc = self.current_document()
        keep_copy = self.current_copy()
        self.documents_model.set_rows(snapshot.attention())
        self.copies_model.set_rows(snapshot.copies)
        self.documents_view.setVisible(bool(snapshot.attention()))
        self.documents_empty.setVisible(not snapshot.attention())
        self.copies_view.setVisible(bool(snapshot.copies))
        self.copies_empty.setVisible(not snapshot.copies)
        if not snapshot.folders:
            self.copies_empty.setText(
                "No folders are searched for old copies yet. Add Downloads, Desktop or "
                "Documents in Settings."
            )
        else:
            names = ", ".join(f.name or str(f) for f in snapshot.folders)
            self.copies_empty.setText(f"No old copies in {names}.")
        self._reselect(self.documents_view, self.documents_model,
                       keep_doc.doc_id if keep_doc else None, lambda d: d.doc_id)
        self._reselect(self.copies_view, self.copies_model,
                       str(keep_copy.path) if keep_copy else None, lambda c: str(c.path))
        self._show_checked()
        self._show_document_details()
        self._update_buttons()

    def _on_feature_news_read(self, news: WhatsNew) -> None:
        self.news_model.set_rows(news.documents)
        count = len(news.documents)
        since = (
            f" since {appearance.date_text(news.since)}" if news.since is not None else ""
        )
        self.news_heading.setText(f"What's new{since}" + (f" ({count})" if count else ""))
        self.news_view.setVisible(bool(count))
        self.news_empty.setVisible(not count)
        self._update_buttons()

    @staticmethod
    def _reselect(view: QTreeView, model: RowsModel[Any], key: str | None, key_of: Any) -> None:
        if key is None:
            return
        for position, row in enumerate(model.rows()):
            if key_of(row) == key:
                view.setCurrentIndex(model.index(position, 0))
                return

    def _show_checked(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        words = freshness.checked_ago(snapshot.report.checked_at, self._clock())
        self.checked_label.setText(words[0].upper() + words[1:])

    def _on_checked_timer_timeout(self) -> None:
        self._show_checked()

    def _show_document_details(self) -> None:
        doc = self.current_document()
        if doc is None:
            self.document_details.clear()
            self.document_details.hide()
            return
        snapshot = self._snapshot
        checked = snapshot.report.checked if snapshot is not None else ""
        # An update's details already say which versions ("You have v1 …, latest v2 …").
        headline = html.escape(doc.title)
        if doc.state != freshness.OUTDATED:
            headline += f" — {html.escape(doc.reason)}"
        self.document_details.setText(
            f"<b>{headline}</b><br>"
            f"{html.escape(doc.details)} <span style='color:gray'>Hub {checked}.</span>"
        )
        self.document_details.show()

    def _update_buttons(self) -> None:
        doc = self.current_document()
        self.open_document_button.setEnabled(doc is not None)
        self.open_document_button.setText(
            "Open replacement" if doc is not None and doc.superseded_by else "Open latest"
        )
        self.show_document_button.setEnabled(doc is not None and doc.local_path is not None)
        copy = self.current_copy()
        self.open_copy_button.setEnabled(copy is not None)
        self.replace_copy_button.setEnabled(copy is not None and copy.can_replace)
        self.show_copy_button.setEnabled(copy is not None)
        self.open_news_button.setEnabled(self.current_news() is not None)
        self.mark_seen_button.setEnabled(self.news_model.rowCount() > 0)

    # -- selection ---------------------------------------------------------------------------

    def _on_documents_selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._show_document_details()
        self._update_buttons()

    def _on_copies_selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._update_buttons()

    def _on_news_selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._update_buttons()

    # -- actions -----------------------------------------------------------------------------

    def _on_rescan_button_clicked(self) -> None:
        self._feature.rescan()
        self._feature.refresh_news()

    def _on_documents_view_activated(self, _index: QModelIndex) -> None:
        self._on_open_document_button_clicked()

    def _on_open_document_button_clicked(self) -> None:
        doc = self.current_document()
        if doc is None:
            return
        if doc.superseded_by:
            self._opener.open(doc.superseded_by, doc.superseded_by_title or doc.title)
        else:
            self._opener.open(doc.doc_id, doc.title)

    def _on_show_document_button_clicked(self) -> None:
        doc = self.current_document()
        if doc is not None and doc.local_path is not None:
            self._feature.show_in_folder(doc.local_path)

    def _on_open_copy_button_clicked(self) -> None:
        copy = self.current_copy()
        if copy is not None:
            self._opener.open(copy.doc_id, copy.title)

    def _on_replace_copy_button_clicked(self) -> None:
        copy = self.current_copy()
        if copy is not None and copy.can_replace:
            self.replace_copy_button.setEnabled(False)
            self._feature.replace(copy)

    def _on_show_copy_button_clicked(self) -> None:
        copy = self.current_copy()
        if copy is not None:
            self._feature.show_in_folder(copy.path)

    def _on_news_view_activated(self, _index: QModelIndex) -> None:
        self._on_open_news_button_clicked()

    def _on_open_news_button_clicked(self) -> None:
        news = self.current_news()
        if news is not None:
            self._opener.open(news.doc_id, news.title)

    def _on_mark_seen_button_clicked(self) -> None:
        self.mark_seen_button.setEnabled(False)
        self._feature.mark_seen()
