"""The content request dialog: what the rep needs, for whom, by when, and how urgently.

A dialog here says "queued" only once the outbox has the item on disk: OK stores it on the task
runner, and the dialog closes (emitting ``queued``) when the store returned; a mistake or a full
disk keeps it open with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core.errors import FieldkitError
from fieldkit.core.outbox import OutboxEntry
from fieldkit.core.requests import MAX_CUSTOMER, MAX_TITLE, URGENCIES, RequestDraft
from fieldkit.ui.tasks import TaskRunner

DEFAULT_NEEDED_IN_DAYS = 14


@dataclass(frozen=True)
class RelatedDocument:
    doc_id: str
    title: str


class QueueingDialog(QDialog):
    """A dialog whose OK stores one outbox item off the UI thread, then closes.

    ``prepare()`` runs on the UI thread when OK is pressed: it reads the form and returns the
    job the task runner runs (which touches no widget).
    """

    # The outbox stored the item (on disk): the UI may say "queued" now.
    queued = Signal(OutboxEntry)

    def __init__(
        self,
        runner: TaskRunner,
        prepare: Callable[[], Callable[[], OutboxEntry]],
        ok_text: str,
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._prepare = prepare
        self._ok_text = ok_text
        self._saving = False
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName("Problem")
        self.error_label.setStyleSheet("color: #C53030")
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def accept(self) -> None:
        if self._saving:
            return
        self._saving = True
        self.error_label.hide()
        self.ok_button.setEnabled(False)
        self.ok_button.setText("Saving…")
        self._runner.run(self._prepare(), self._on_stored, self._on_store_failed)

    def _on_stored(self, entry: OutboxEntry) -> None:
        self._saving = False
        self.queued.emit(entry)
        super().accept()

    def _on_store_failed(self, error: BaseException) -> None:
        self._saving = False
        self.ok_button.setText(self._ok_text)
        self._update_ok()
        message = (
            str(error)
            if isinstance(error, FieldkitError)
            else "It could not be saved because of a problem fieldkit did not expect; "
            "details are in the log."
        )
        self.error_label.setText(message)
        self.error_label.show()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(not self._saving)


class RequestDialog(QueueingDialog):
    def __init__(
        self,
        runner: TaskRunner,
        add_request: Callable[[RequestDraft], OutboxEntry],
        *,
        query: str = "",
        related: RelatedDocument | None = None,
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, self._queue_job, "Queue request", parent)
        self._add_request = add_request
        self._query = query.strip()
        self._related = related
        self._today = today or date.today()
        self.setWindowTitle("Ask marketing for content")
        self.setAccessibleName("Content request")
        self.setMinimumWidth(520)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        intro = QLabel(
            "Tell marketing what you need. It is kept on this computer until the hub has it, "
            "and you can follow it under Outbox & requests."
        )
        intro.setWordWrap(True)
        intro.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(intro)

        form = QFormLayout()
        form.setSpacing(8)
        self.title_field = QLineEdit(self._query)
        self.title_field.setMaxLength(MAX_TITLE)
        self.title_field.setPlaceholderText("e.g. The overview deck in Spanish")
        self.title_field.setAccessibleName("What do you need")
        self.title_field.textChanged.connect(self._on_title_field_text_changed)
        form.addRow("&What do you need?", self.title_field)

        self.details_field = QPlainTextEdit()
        self.details_field.setPlaceholderText("Anything that helps: the audience, the deal, …")
        self.details_field.setAccessibleName("Details")
        self.details_field.setTabChangesFocus(True)
        self.details_field.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 12)
        form.addRow("&Details:", self.details_field)

        self.customer_field = QLineEdit()
        self.customer_field.setMaxLength(MAX_CUSTOMER)
        self.customer_field.setPlaceholderText("Customer or account (optional)")
        self.customer_field.setAccessibleName("Customer or account")
        form.addRow("&For:", self.customer_field)

        when = QHBoxLayout()
        when.setSpacing(8)
        self.needed_by_check = QCheckBox("By")
        self.needed_by_check.setAccessibleName("Needed by a date")
        self.needed_by_check.toggled.connect(self._on_needed_by_check_toggled)
        when.addWidget(self.needed_by_check)
        self.needed_by_field = QDateEdit()
        self.needed_by_field.setCalendarPopup(True)
        self.needed_by_field.setAccessibleName("Needed by")
        self.needed_by_field.setDisplayFormat("d MMM yyyy")
        today_q = QDate(self._today.year, self._today.month, self._today.day)
        self.needed_by_field.setMinimumDate(today_q)
        self.needed_by_field.setDate(today_q.addDays(DEFAULT_NEEDED_IN_DAYS))
        self.needed_by_field.setEnabled(False)
        when.addWidget(self.needed_by_field)
        when.addSpacing(16)
        urgency_label = QLabel("&Urgency:")
        when.addWidget(urgency_label)
        self.urgency_box = QComboBox()
        self.urgency_box.setAccessibleName("Urgency")
        for value in URGENCIES:
            self.urgency_box.addItem(value.capitalize(), value)
        self.urgency_box.setCurrentIndex(URGENCIES.index("normal"))
        urgency_label.setBuddy(self.urgency_box)
        when.addWidget(self.urgency_box)
        when.addStretch(1)
        form.addRow("Needed:", when)

        related_row = QHBoxLayout()
        related_row.setSpacing(8)
        self.related_label = QLabel()
        self.related_label.setAccessibleName("Related document")
        self.related_label.setWordWrap(True)
        related_row.addWidget(self.related_label, 1)
        self.clear_related = QPushButton("Remove")
        self.clear_related.setAccessibleName("Remove the related document")
        self.clear_related.clicked.connect(self._on_clear_related_clicked)
        related_row.addWidget(self.clear_related)
        form.addRow("Related to:", related_row)
        layout.addLayout(form)

        if self._query:
            origin = QLabel(f"From your search “{self._query}”; marketing sees that too.")
            origin.setWordWrap(True)
            origin.setAccessibleName("Search")
            origin.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            layout.addWidget(origin)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._show_related()
        self._update_ok()
        self.title_field.setFocus()
        self.title_field.selectAll()

    def draft(self) -> RequestDraft:
        needed = self.needed_by_field.date() if self.needed_by_check.isChecked() else None
        return RequestDraft(
            title=self.title_field.text(),
            details=self.details_field.toPlainText(),
            customer=self.customer_field.text(),
            needed_by=date(needed.year(), needed.month(), needed.day()) if needed else None,
            urgency=str(self.urgency_box.currentData()),
            doc_id=self._related.doc_id if self._related else None,
            query=self._query or None,
        )

    def _queue_job(self) -> Callable[[], OutboxEntry]:
        draft, add_request = self.draft(), self._add_request
        return lambda: add_request(draft)

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(not self._saving and bool(self.title_field.text().strip()))

    def _show_related(self) -> None:
        related = self._related
        self.related_label.setText(related.title if related else "No document")
        self.related_label.setForegroundRole(
            QPalette.ColorRole.WindowText if related else QPalette.ColorRole.PlaceholderText
        )
        self.clear_related.setVisible(related is not None)

    def _on_title_field_text_changed(self, _text: str) -> None:
        self._update_ok()

    def _on_needed_by_check_toggled(self, checked: bool) -> None:
        self.needed_by_field.setEnabled(checked)
        if checked:
            self.needed_by_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_clear_related_clicked(self) -> None:
        self._related = None
        self._show_related()
