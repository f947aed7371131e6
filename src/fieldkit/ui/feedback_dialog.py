"""Feedback on a document, or on one page or slide of it: outdated, wrong, a typo, helped in a
meeting, or something else, with a comment. Queued the way requests are (see ``QueueingDialog``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core.outbox import OutboxEntry
from fieldkit.core.requests import FEEDBACK_KIND_LABELS, FEEDBACK_KINDS, MAX_PAGE, FeedbackDraft
from fieldkit.ui.request_dialog import QueueingDialog
from fieldkit.ui.tasks import TaskRunner


class FeedbackDialog(QueueingDialog):
    def __init__(
        self,
        runner: TaskRunner,
        add_feedback: Callable[[FeedbackDraft], OutboxEntry],
        *,
        doc_id: str,
        title: str,
        page: int | None = None,
        page_word: str = "page",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, self._queue_job, "Send feedback", parent)
        self._add_feedback = add_feedback
        self._doc_id = doc_id
        self.setWindowTitle("Feedback for marketing")
        self.setAccessibleName("Feedback")
        self.setMinimumWidth(480)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        self.title_label = QLabel(title)
        self.title_label.setWordWrap(True)
        self.title_label.setAccessibleName("Document")
        font = self.title_label.font()
        font.setWeight(QFont.Weight.DemiBold)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title_label.setFont(font)
        layout.addWidget(self.title_label)

        form = QFormLayout()
        form.setSpacing(8)
        where = QHBoxLayout()
        self.page_check = QCheckBox(f"On {page_word}")
        self.page_check.setAccessibleName(f"About one {page_word}")
        self.page_check.setChecked(page is not None)
        self.page_check.toggled.connect(self._on_page_check_toggled)
        where.addWidget(self.page_check)
        self.page_field = QSpinBox()
        self.page_field.setRange(1, MAX_PAGE)
        self.page_field.setValue(page or 1)
        self.page_field.setEnabled(page is not None)
        self.page_field.setAccessibleName(page_word.capitalize())
        where.addWidget(self.page_field)
        where.addStretch(1)
        note = QLabel("(or leave it off for the whole document)")
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        where.addWidget(note)
        form.addRow("About:", where)

        kinds = QVBoxLayout()
        kinds.setSpacing(4)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for kind in FEEDBACK_KINDS:
            button = QRadioButton(FEEDBACK_KIND_LABELS[kind])
            button.setAccessibleName(FEEDBACK_KIND_LABELS[kind])
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            kinds.addWidget(button)
        self.kind_group.buttonToggled.connect(self._on_kind_group_button_toggled)
        form.addRow("It is:", kinds)

        self.comment_field = QPlainTextEdit()
        self.comment_field.setPlaceholderText("What should marketing know? (optional)")
        self.comment_field.setAccessibleName("Comment")
        self.comment_field.setTabChangesFocus(True)
        self.comment_field.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        form.addRow("&Comment:", self.comment_field)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._update_ok()

    def kind(self) -> str | None:
        for kind, button in self.kind_buttons.items():
            if button.isChecked():
                return kind
        return None

    def draft(self) -> FeedbackDraft:
        return FeedbackDraft(
            doc_id=self._doc_id,
            kind=self.kind() or "",
            page=self.page_field.value() if self.page_check.isChecked() else None,
            comment=self.comment_field.toPlainText(),
        )

    def _queue_job(self) -> Callable[[], OutboxEntry]:
        draft, add_feedback = self.draft(), self._add_feedback
        return lambda: add_feedback(draft)

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(not self._saving and self.kind() is not None)

    def _on_page_check_toggled(self, checked: bool) -> None:
        self.page_field.setEnabled(checked)

    def _on_kind_group_button_toggled(self, _button: QRadioButton, _checked: bool) -> None:
        self._update_ok()
