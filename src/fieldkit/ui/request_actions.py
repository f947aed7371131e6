"""Where the rep asks marketing for content and gives feedback: the actions and their dialogs.

``RequestActions`` owns "Ask marketing for content…" (a menu action, and the one-click offer of
a search that found little, prefilled with its query), "Ask for a version of this…" and
"Feedback on this document…" (the results' context menu, prefilled with the document and the
page or slide the hit is on). ``install`` puts them in the window's menus and the preview.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from fieldkit.core.index import Hit
from fieldkit.core.outbox import Outbox, OutboxEntry
from fieldkit.ui.feedback_dialog import FeedbackDialog
from fieldkit.ui.request_dialog import RelatedDocument, RequestDialog
from fieldkit.ui.search_view import SearchView
from fieldkit.ui.tasks import TaskRunner

Notice = Callable[[str], None]


class RequestActions(QObject):
    def __init__(
        self,
        search_view: SearchView,
        runner: TaskRunner,
        outbox: Outbox,
        window: QMainWindow,
        notice: Notice,
    ) -> None:
        super().__init__(window)
        self._search_view = search_view
        self._runner = runner
        self._outbox = outbox
        self._window = window
        self._notice = notice
        self.request_dialog: RequestDialog | None = None
        self.feedback_dialog: FeedbackDialog | None = None

        self.request_action = QAction("&Ask marketing for content…", self)
        self.request_action.setToolTip("Ask marketing for a document you could not find")
        self.request_action.triggered.connect(self._on_request_action_triggered)
        self.request_related_action = QAction("Ask for a &version of this…", self)
        self.request_related_action.setToolTip(
            "Ask marketing for a variant of this document (another language, customer, …)"
        )
        self.request_related_action.triggered.connect(self._on_request_related_action_triggered)
        self.feedback_action = QAction("&Feedback on this document…", self)
        self.feedback_action.setToolTip(
            "Tell marketing it is outdated, wrong, has a typo, or helped in a meeting"
        )
        self.feedback_action.setIconText("Feedback…")  # its button in the preview
        self.feedback_action.triggered.connect(self._on_feedback_action_triggered)

        search_view.content_requested.connect(self._on_search_view_content_requested)
        search_view.results_view.selectionModel().selectionChanged.connect(
            self._on_results_selection_changed
        )
        self._update_actions()

    def install(self, window: QMainWindow) -> None:
        """A Requests menu before Help, the document actions in the results' context menu, and
        Feedback beside the preview's Open."""
        menu = QMenu("&Requests", window)
        menu.addAction(self.request_action)
        menu.addAction(self.request_related_action)
        menu.addAction(self.feedback_action)
        bar = window.menuBar()
        help_menu = next(
            (a for a in bar.actions() if a.text().replace("&", "") == "Help"), None
        )
        if help_menu is None:
            bar.addMenu(menu)
        else:
            bar.insertMenu(help_menu, menu)
        results = self._search_view.results_view
        separator = QAction(results)
        separator.setSeparator(True)
        results.addActions([separator, self.request_related_action, self.feedback_action])
        self._search_view.preview.add_action(self.feedback_action)

    # -- opening the dialogs -----------------------------------------------------------------

    def open_request_dialog(
        self, query: str = "", related: RelatedDocument | None = None
    ) -> RequestDialog:
        if self.request_dialog is not None:
            self.request_dialog.close()
        dialog = RequestDialog(
            self._runner, self._outbox.add_request, query=query, related=related,
            parent=self._window,
        )
        dialog.queued.connect(self._on_request_dialog_queued)
        dialog.finished.connect(self._on_request_dialog_finished)
        self.request_dialog = dialog
        dialog.open()
        return dialog

    def open_feedback_dialog(self, hit: Hit) -> FeedbackDialog:
        if self.feedback_dialog is not None:
            self.feedback_dialog.close()
        word = hit.location_kind or "page"
        dialog = FeedbackDialog(
            self._runner,
            self._outbox.add_feedback,
            doc_id=hit.doc_id,
            title=hit.title,
            page=hit.location_number if word in ("page", "slide") else None,
            page_word=word if word in ("page", "slide") else "page",
            parent=self._window,
        )
        dialog.queued.connect(self._on_feedback_dialog_queued)
        dialog.finished.connect(self._on_feedback_dialog_finished)
        self.feedback_dialog = dialog
        dialog.open()
        return dialog

    # -- slots -------------------------------------------------------------------------------

    def _on_search_view_content_requested(self, query: str) -> None:
        self.open_request_dialog(query=query)

    def _on_request_action_triggered(self) -> None:
        self.open_request_dialog(query=self._search_view.search_field.text())

    def _on_request_related_action_triggered(self) -> None:
        hit = self._approved_hit()
        if hit is not None:
            self.open_request_dialog(related=RelatedDocument(hit.doc_id, hit.title))

    def _on_feedback_action_triggered(self) -> None:
        hit = self._approved_hit()
        if hit is not None:
            self.open_feedback_dialog(hit)

    def _on_results_selection_changed(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self._update_actions()

    def _on_request_dialog_queued(self, entry: OutboxEntry) -> None:
        self._notice(f"Request queued: “{entry.summary}”. It goes to marketing with the outbox.")

    def _on_feedback_dialog_queued(self, _entry: OutboxEntry) -> None:
        self._notice("Feedback queued. Thank you: it goes to marketing with the outbox.")

    def _on_request_dialog_finished(self, _result: int) -> None:
        self.request_dialog = None

    def _on_feedback_dialog_finished(self, _result: int) -> None:
        self.feedback_dialog = None

    def _approved_hit(self) -> Hit | None:
        hit = self._search_view.current_hit()
        return hit if hit is not None and not hit.personal else None

    def _update_actions(self) -> None:
        approved = self._approved_hit() is not None
        self.request_related_action.setEnabled(approved)
        self.feedback_action.setEnabled(approved)
