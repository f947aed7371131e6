"""The search view: a search field, filters with counts, the results, and the preview.

Searches run on the task runner. A keystroke after a quiet spell searches at once; keystrokes in
a burst are coalesced into one search per ``SEARCH_INTERVAL_MS`` (a single-shot timer). At most
one search is in flight: a newer request waits for it, and results of a superseded request are
dropped (each request carries a sequence number).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QMimeData,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core.errors import FieldkitError
from fieldkit.core.index import Hit, SearchRequest, SearchResults, SortOrder
from fieldkit.core.library import Library
from fieldkit.core.pacing import Pacer
from fieldkit.ui import appearance
from fieldkit.ui.facets_model import COUNT, NAME, FacetsModel
from fieldkit.ui.foreground import ForegroundHold
from fieldkit.ui.history import QueryHistory
from fieldkit.ui.latest_opener import LatestOpener
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.preview import FreshnessLookup, PreviewPane
from fieldkit.ui.results_model import ROW_ROLE, SORT_ROLE, ResultsModel, files_mime_data
from fieldkit.ui.results_view import ResultsView
from fieldkit.ui.tasks import TaskRunner

SEARCH_INTERVAL_MS = 150
PREVIEW_DELAY_MS = 120
PAGE_SIZE = 50
# A search with this many results or fewer offers a content request beside them.
POOR_RESULTS = 3
SORTS: tuple[tuple[SortOrder, str], ...] = (
    ("relevance", "Best match"),
    ("modified", "Newest first"),
    ("title", "Title A–Z"),
)
SORT_ORDERS = tuple(order for order, _label in SORTS)


@dataclass(frozen=True)
class _Issued:
    sequence: int
    request: SearchRequest
    started: float


class SearchView(QWidget):
    # Results for the current query are on screen.
    results_shown = Signal(SearchResults)
    # The rep opened a document (after the launcher accepted it).
    document_opened = Signal(Hit)
    # Something the rep should read in the status bar.
    notice_posted = Signal(str)
    # The rep asked marketing for what a search did not find (the query).
    content_requested = Signal(str)

    def __init__(
        self,
        library: Library,
        runner: TaskRunner,
        preview_runner: TaskRunner,
        launcher: Launcher,
        history: QueryHistory,
        freshness: FreshnessLookup | None = None,
        parent: QWidget | None = None,
        *,
        pacer: Pacer | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        # Background scans of the client step aside while a search runs and is drawn.
        pacer = pacer if pacer is not None else Pacer()
        self._runner = runner
        self._launcher = launcher
        self._opener: LatestOpener | None = None
        self._copied: QMimeData | None = None
        self._history = history
        self._filters: dict[str, str] = {}
        self._sort: SortOrder = "relevance"
        self._limit = PAGE_SIZE
        self._sequence = 0
        self._in_flight: _Issued | None = None
        self._last_search = 0.0
        self._shown: SearchResults | None = None
        self._shown_request: SearchRequest | None = None
        self._open_top_when_ready = False
        self._document_count = 0
        self._index_note = ""
        self._syncing = False
        # Diagnostics: searches sent to the index, and the time the last one took to show.
        self.searches_issued = 0
        self.last_latency_s = 0.0

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._on_preview_timer_timeout)

        self.results_model = ResultsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.results_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.facets_model = FacetsModel(self)

        self._make_actions()
        self.preview = PreviewPane(
            preview_runner,
            (self.open_action, self.show_in_folder_action, self.copy_action),
            freshness,
        )
        self.preview.replacement_requested.connect(self._on_preview_replacement_requested)
        self._build()
        self._foreground = ForegroundHold(pacer, self.results_view.viewport(), self)
        self._update_actions()

    # -- building ----------------------------------------------------------------------------

    def _make_actions(self) -> None:
        self.open_action = QAction("&Open", self)
        self.open_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_action.setToolTip("Open in its app (Ctrl+O or Enter)")
        self.open_action.triggered.connect(self._on_open_action_triggered)
        self.show_in_folder_action = QAction("Show in &folder", self)
        self.show_in_folder_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.show_in_folder_action.setToolTip("Show the file in its folder (Ctrl+Shift+O)")
        self.show_in_folder_action.triggered.connect(self._on_show_in_folder_action_triggered)
        self.copy_action = QAction("&Copy file", self)
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_action.setToolTip("Copy the file, to paste it as an attachment (Ctrl+Shift+C)")
        self.copy_action.triggered.connect(self._on_copy_action_triggered)
        self.focus_search_action = QAction("Find", self)
        self.focus_search_action.setShortcuts([QKeySequence("Ctrl+K"), QKeySequence("Ctrl+F")])
        self.focus_search_action.triggered.connect(self._on_focus_search_action_triggered)
        for action in (
            self.open_action,
            self.show_in_folder_action,
            self.copy_action,
            self.focus_search_action,
        ):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        bar = QWidget()
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(12, 10, 12, 6)
        bar_layout.setSpacing(8)
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText("Search your library  (Ctrl+K)")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setAccessibleName("Search")
        self.search_field.setAccessibleDescription(
            "Type to search; Enter opens the top result; Down moves to the results; "
            "Alt+Down lists recent searches."
        )
        self.search_field.setToolTip("Enter opens the top result · Alt+↓ recent searches")
        self.search_field.addAction(
            appearance.icon("search"), QLineEdit.ActionPosition.LeadingPosition
        )
        font = self.search_field.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.search_field.setFont(font)
        self.search_field.setMinimumHeight(self.search_field.sizeHint().height() + 6)
        completer = QCompleter(self._history.model, self.search_field)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.search_field.setCompleter(completer)
        self.search_field.textEdited.connect(self._on_search_field_text_edited)
        self.search_field.returnPressed.connect(self._on_search_field_return_pressed)
        self.search_field.installEventFilter(self)
        bar_layout.addWidget(self.search_field, 1)

        self.sort_box = QComboBox()
        self.sort_box.setAccessibleName("Sort results")
        self.sort_box.setToolTip("Sort results")
        for value, label in SORTS:
            self.sort_box.addItem(label, value)
        self.sort_box.currentIndexChanged.connect(self._on_sort_box_current_index_changed)
        bar_layout.addWidget(self.sort_box)
        layout.addWidget(bar)

        summary_row = QHBoxLayout()
        summary_row.setContentsMargins(14, 0, 14, 6)
        self.summary = QLabel()
        self.summary.setAccessibleName("Search summary")
        self.summary.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.linkActivated.connect(self._on_summary_link_activated)
        summary_row.addWidget(self.summary, 1)
        layout.addLayout(summary_row)
        self._banners = QVBoxLayout()
        self._banners.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._banners)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)

        self.facets_view = QTreeView()
        self.facets_view.setAccessibleName("Filters")
        self.facets_view.setModel(self.facets_model)
        self.facets_view.setHeaderHidden(True)
        self.facets_view.setRootIsDecorated(False)
        self.facets_view.setIndentation(10)
        self.facets_view.setUniformRowHeights(False)
        self.facets_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.facets_view.setFrameShape(QTreeView.Shape.NoFrame)
        self.facets_view.setItemsExpandable(False)
        self.facets_view.header().setStretchLastSection(False)
        self.facets_view.header().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.facets_view.header().setSectionResizeMode(COUNT, QHeaderView.ResizeMode.Fixed)
        self.facets_view.header().resizeSection(
            COUNT, self.fontMetrics().horizontalAdvance("00,000") + 12
        )
        self.facets_view.clicked.connect(self._on_facets_view_clicked)
        self.facets_view.installEventFilter(self)
        self.facets_model.modelReset.connect(self.facets_view.expandAll)
        self.facets_view.setMinimumWidth(150)

        self.results_stack = QStackedWidget()
        self.results_view = ResultsView()
        self.results_view.setModel(self.proxy)
        self.results_view.setup_columns()
        self.results_view.setFrameShape(QTreeView.Shape.NoFrame)
        self.results_view.activated.connect(self._on_results_view_activated)
        self.results_view.left_at_top.connect(self._on_results_view_left_at_top)
        self.results_view.selectionModel().selectionChanged.connect(
            self._on_results_selection_changed
        )
        self.results_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.results_view.addActions(
            [self.open_action, self.show_in_folder_action, self.copy_action]
        )

        results_page = QWidget()
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.setSpacing(0)
        results_layout.addWidget(self.results_view, 1)
        self.more_button = QPushButton("Show more results")
        self.more_button.setAccessibleName("Show more results")
        self.more_button.setFlat(True)
        self.more_button.clicked.connect(self._on_more_button_clicked)
        results_layout.addWidget(self.more_button)
        self.results_stack.addWidget(results_page)

        self.empty_label = QLabel()
        self.empty_label.setAccessibleName("No results")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.empty_label.linkActivated.connect(self._on_summary_link_activated)
        self.empty_label.setMargin(24)
        self.results_stack.addWidget(self.empty_label)

        self.splitter.addWidget(self.facets_view)
        self.splitter.addWidget(self.results_stack)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([180, 680, 420])
        layout.addWidget(self.splitter, 1)
        # Tab goes the way the eye does: search, sort, filters, results, then the preview.
        QWidget.setTabOrder(self.search_field, self.sort_box)
        QWidget.setTabOrder(self.sort_box, self.facets_view)
        QWidget.setTabOrder(self.facets_view, self.results_view)
        QWidget.setTabOrder(self.results_view, self.preview)

    # -- public ------------------------------------------------------------------------------

    def set_document_count(self, count: int) -> None:
        self._document_count = count
        noun = "document" if count == 1 else "documents"
        self.search_field.setPlaceholderText(f"Search {count:,} {noun}  (Ctrl+K)")

    def add_banner(self, banner: QWidget) -> None:
        """A strip above the results (it shows and hides itself)."""
        self._banners.addWidget(banner)

    def set_opener(self, opener: LatestOpener) -> None:
        """Open approved documents through ``opener`` (newest version fetched first)."""
        self._opener = opener

    def set_syncing(self, syncing: bool) -> None:
        """A sync is running (an empty library then says its documents are coming)."""
        self._syncing = syncing
        results = self._shown
        if results is not None and results.total == 0 and not results.query and not self._filters:
            self._show_empty_library()

    def set_index_note(self, note: str) -> None:
        """A line about the index itself (rebuilding, damaged) shown above the results."""
        self._index_note = note
        self._update_summary()

    def refresh(self) -> None:
        """Run the current search again (the index changed underneath it)."""
        self._search_now()

    def current_hit(self) -> Hit | None:
        index = self.results_view.currentIndex()
        if not index.isValid():
            return None
        hit = index.data(ROW_ROLE)
        return hit if isinstance(hit, Hit) else None

    def selected_hits(self) -> list[Hit]:
        rows = self.results_view.selectionModel().selectedRows()
        hits = [index.data(ROW_ROLE) for index in sorted(rows, key=lambda i: i.row())]
        return [h for h in hits if isinstance(h, Hit)]

    def searching(self) -> bool:
        """A search is running or waiting to run."""
        return self._in_flight is not None or self._timer.isActive()

    def shown_results(self) -> SearchResults | None:
        return self._shown

    def focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def filters(self) -> dict[str, str]:
        return dict(self._filters)

    def set_filters(self, filters: dict[str, str]) -> None:
        self._filters = dict(filters)
        self._limit = PAGE_SIZE
        self._search_now()

    # -- scheduling searches -----------------------------------------------------------------

    def _on_search_field_text_edited(self, _text: str) -> None:
        self._limit = PAGE_SIZE
        self._open_top_when_ready = False
        if self._timer.isActive():
            return
        quiet_s = time.monotonic() - self._last_search
        if quiet_s * 1000 >= SEARCH_INTERVAL_MS:
            self._search_now()
        else:
            self._timer.start(max(int(SEARCH_INTERVAL_MS - quiet_s * 1000), 1))

    def _on_timer_timeout(self) -> None:
        self._search_now()

    def _request(self) -> SearchRequest:
        return SearchRequest(
            query=self.search_field.text().strip(),
            limit=self._limit,
            sort=self._sort,
            filters=dict(self._filters),
        )

    def _search_now(self) -> None:
        """Search for what the view shows now; the newest request wins (sequence numbers)."""
        self._timer.stop()
        self._last_search = time.monotonic()
        self._sequence += 1
        if self._in_flight is None:
            self._issue()
        # Otherwise the search in flight issues this one when it returns.

    def _issue(self) -> None:
        self.searches_issued += 1
        issued = _Issued(self._sequence, self._request(), time.perf_counter())
        self._in_flight = issued
        library = self._library
        self._foreground.hold()  # background scans pause until the results are painted
        self._runner.run(
            lambda: (issued, library.search(issued.request)),
            self._on_search_finished,
            self._on_search_failed,
        )

    def _on_search_finished(self, outcome: tuple[_Issued, SearchResults]) -> None:
        issued, results = outcome
        self._in_flight = None
        if issued.sequence != self._sequence:
            self._issue()  # stale: drop it and run the newest request
            return
        self._foreground.showing()  # held until the results are painted
        self._show_results(issued.request, results)
        self._foreground.shown()
        self.last_latency_s = time.perf_counter() - issued.started

    def _on_search_failed(self, error: BaseException) -> None:
        issued, self._in_flight = self._in_flight, None
        if issued is not None and issued.sequence != self._sequence:
            self._issue()
            return
        self._foreground.release()
        message = str(error) if isinstance(error, FieldkitError) else "The search failed."
        self._show_empty(message)
        self.notice_posted.emit(message)

    # -- showing results ---------------------------------------------------------------------

    def _show_results(self, request: SearchRequest, results: SearchResults) -> None:
        keep = self.current_hit()
        self._shown = results
        self._shown_request = request
        self.results_model.set_hits(results.hits)
        self.facets_model.set_facets(results.facets, request.filters)
        if not request.query and not request.filters:
            self.set_document_count(results.total)  # everything searchable
        self._update_summary()
        self.more_button.setVisible(results.total > len(results.hits))
        # Nothing to narrow down: no empty pane of filters beside "No results" (filters that
        # are on stay, to be switched off).
        self.facets_view.setVisible(bool(results.hits) or bool(request.filters))
        if results.hits:
            self.results_stack.setCurrentIndex(0)
            self._restore_current(keep)
        elif not request.query and not request.filters:
            self.preview.clear("")
            self._show_empty_library()
        else:
            self.preview.clear("")
            self._show_no_results(results)
        self.results_shown.emit(results)
        if self._open_top_when_ready:
            self._open_top_when_ready = False
            self._open_top()

    def _restore_current(self, keep: Hit | None) -> None:
        row = 0
        if keep is not None:
            for position in range(self.proxy.rowCount()):
                hit = self.proxy.index(position, 0).data(ROW_ROLE)
                if hit.doc_id == keep.doc_id:
                    row = position
                    break
        index = self.proxy.index(row, 0)
        self.results_view.setCurrentIndex(index)
        self.results_view.scrollTo(index)

    def _show_empty_library(self) -> None:
        if self._syncing:
            self._show_empty(
                "<p style='font-size:large'>Your library is on its way</p>"
                "<p>Documents appear here as soon as the sync has brought them.</p>"
            )
            return
        self._show_empty(
            "<p style='font-size:large'>Your library is empty</p>"
            "<p>Connect to your company's hub, or add a folder of your own files, "
            "in Settings.</p>"
        )

    def _show_no_results(self, results: SearchResults) -> None:
        text = f"<p style='font-size:large'>No results for “{_esc(results.query)}”</p>"
        if results.did_you_mean:
            text += (
                f"<p>Did you mean <a href='suggest:{_esc(results.did_you_mean)}'>"
                f"{_esc(results.did_you_mean)}</a>?</p>"
            )
        if self._filters:
            text += "<p><a href='clear-filters:'>Search without filters</a></p>"
        text += "<p>Not in the library? <a href='request:'>Ask marketing for it</a></p>"
        self._show_empty(text)

    def _show_empty(self, text: str) -> None:
        self.empty_label.setText(text)
        self.results_stack.setCurrentWidget(self.empty_label)

    def _update_summary(self) -> None:
        parts = []
        results = self._shown
        if results is not None:
            if results.query:
                count = f"{results.total:,} result{'s' if results.total != 1 else ''}"
            else:
                count = f"{results.total:,} document{'s' if results.total != 1 else ''}"
            if results.corrected:
                parts.append(
                    f"No results for “{_esc(results.query)}”; showing {count} for "
                    f"“{_esc(results.corrected)}”"
                )
            else:
                parts.append(count)
            if results.hits and results.did_you_mean:
                parts.append(
                    f"did you mean <a href='suggest:{_esc(results.did_you_mean)}'>"
                    f"{_esc(results.did_you_mean)}</a>?"
                )
            if self._filters:
                labels = ", ".join(f"{k}: {_esc(v)}" for k, v in sorted(self._filters.items()))
                parts.append(f"filtered by {labels} (<a href='clear-filters:'>clear</a>)")
            if results.query and 0 < results.total <= POOR_RESULTS:
                parts.append("not what you need? <a href='request:'>Ask marketing</a>")
        if self._index_note:
            parts.append(_esc(self._index_note))
        self.summary.setText(" · ".join(parts))

    def _on_preview_replacement_requested(self, title: str) -> None:
        self.search_field.setText(title)
        self._search_now()

    def _on_summary_link_activated(self, link: str) -> None:
        kind, _, value = link.partition(":")
        if kind == "suggest":
            self.search_field.setText(value)
            self._search_now()
        elif kind == "clear-filters":
            self.set_filters({})
        elif kind == "request" and self._shown is not None:
            self.content_requested.emit(self._shown.query)

    # -- filters and sorting -----------------------------------------------------------------

    def _on_facets_view_clicked(self, index: QModelIndex) -> None:
        filters = self.facets_model.toggled(index)
        if filters is not None:
            self.set_filters(filters)

    def _on_sort_box_current_index_changed(self, position: int) -> None:
        self._sort = SORT_ORDERS[position]
        self._limit = PAGE_SIZE
        # The index sorts all matches; the list shows them in that order.
        self.results_view.header().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.refresh()

    def _on_more_button_clicked(self) -> None:
        self._limit += PAGE_SIZE
        self._search_now()

    # -- keyboard ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.search_field and event.key() == Qt.Key.Key_Down:
                if event.modifiers() & Qt.KeyboardModifier.AltModifier:
                    return self._show_history()
                popup = self.search_field.completer().popup()
                if popup is None or not popup.isVisible():
                    return self._focus_results()
            if watched is self.facets_view and event.key() in (
                Qt.Key.Key_Space,
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
            ):
                self._on_facets_view_clicked(self.facets_view.currentIndex())
                return True
        return super().eventFilter(watched, event)

    def _show_history(self) -> bool:
        """Recent searches in the completer's popup (Alt+Down), whatever is typed."""
        if not self._history.queries():
            return False
        completer = self.search_field.completer()
        completer.setCompletionPrefix("")
        completer.complete()
        return True

    def _focus_results(self) -> bool:
        if self.proxy.rowCount() == 0:
            return False
        self.results_view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.results_view.currentIndex().isValid():
            self.results_view.setCurrentIndex(self.proxy.index(0, 0))
        return True

    def _on_results_view_left_at_top(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_focus_search_action_triggered(self) -> None:
        self.focus_search()

    # -- selection and actions ---------------------------------------------------------------

    def _on_results_selection_changed(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self._update_actions()
        if self.current_hit() is None:
            self._preview_timer.stop()
            self.preview.clear()
        else:
            # Coalesced: arrowing through the list or typing fast previews only where it stops.
            self._preview_timer.start()

    def _on_preview_timer_timeout(self) -> None:
        hit = self.current_hit()
        if hit is not None and self.preview.hit() != hit:
            request = self._shown_request
            self.preview.show_hit(hit, request.query if request is not None else "")

    def _update_actions(self) -> None:
        has = self.current_hit() is not None
        for action in (self.open_action, self.show_in_folder_action, self.copy_action):
            action.setEnabled(has)

    def _on_search_field_return_pressed(self) -> None:
        request = self._request()
        self._history.remember(request.query)
        if self._shown_request is not None and _same_search(self._shown_request, request):
            self._open_top()
        else:
            self._open_top_when_ready = True
            self._search_now()

    def _open_top(self) -> None:
        if self.proxy.rowCount() == 0:
            return
        index = self.proxy.index(0, 0)
        self.results_view.setCurrentIndex(index)
        self._open_hit(index.data(ROW_ROLE))

    def _on_results_view_activated(self, index: QModelIndex) -> None:
        hit = index.data(ROW_ROLE)
        if isinstance(hit, Hit):
            self._open_hit(hit)

    def _on_open_action_triggered(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self._open_hit(hit)

    def _open_hit(self, hit: Hit) -> None:
        if self._shown_request is not None:
            self._history.remember(self._shown_request.query)
        if self._opener is not None and not hit.personal:
            self._opener.open(hit.doc_id, hit.title, lambda: self.document_opened.emit(hit))
            return
        try:
            self._launcher.open_file(Path(hit.path))
        except FieldkitError as exc:
            self.notice_posted.emit(str(exc))
            return
        self.notice_posted.emit(f"Opened {hit.title}")
        self.document_opened.emit(hit)

    def _on_show_in_folder_action_triggered(self) -> None:
        hit = self.current_hit()
        if hit is None:
            return
        try:
            self._launcher.show_in_folder(Path(hit.path))
        except FieldkitError as exc:
            self.notice_posted.emit(str(exc))

    def _on_copy_action_triggered(self) -> None:
        hits = self.selected_hits() or [h for h in [self.current_hit()] if h is not None]
        if not hits:
            return
        self._copied = files_mime_data([h.path for h in hits])
        QGuiApplication.clipboard().setMimeData(self._copied)
        names = hits[0].title if len(hits) == 1 else f"{len(hits)} files"
        self.notice_posted.emit(f"Copied {names}: paste it into an e-mail or a folder.")


    def release_clipboard(self) -> None:
        """Take back what "Copy file" put on the clipboard, before the application ends:
        PySide crashes at exit while the clipboard holds a QMimeData made in Python."""
        clipboard = QGuiApplication.clipboard()
        if self._copied is not None and clipboard.mimeData() is self._copied:
            clipboard.clear()
        self._copied = None


def _same_search(a: SearchRequest, b: SearchRequest) -> bool:
    return replace(a, limit=0) == replace(b, limit=0)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
