"""The "Outbox & requests" view: the rep's requests and where each stands, feedback sent, the
usage signals waiting (and exactly what they say), and Send now.

The view reads an :class:`~fieldkit.ui.outbox_service.OutboxSnapshot` on the task runner
whenever the outbox changes (something queued, a round of sending, news from the hub, a sync
that may have brought an answering document), one read at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QItemSelection,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core.errors import FieldkitError
from fieldkit.core.outbox import OutboxEntry, RequestView, SendReport, StatusChange
from fieldkit.core.requests import FEEDBACK_KIND_LABELS, SIGNALS_PER_BATCH, STATUS_LABELS
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.outbox_service import OutboxService, OutboxSnapshot, status_notice
from fieldkit.ui.tasks import TaskRunner

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
ModelIndex = QModelIndex | QPersistentModelIndex
Notify = Callable[[str, str], None]
R = TypeVar("R")


@dataclass(frozen=True)
class Column(Generic[R]):
    header: str
    text: Callable[[R], str]
    tooltip: Callable[[R], str] | None = None
    color: Callable[[R], str | None] | None = None  # a text colour ("#RRGGBB"), or None


class RowsModel(QAbstractTableModel, Generic[R]):
    """A read-only table over a tuple of frozen rows; ``ROW_ROLE`` returns the row itself."""

    # Class defaults too: see ResultsModel (calls while the window is destroyed).
    _columns: tuple[Any, ...] = ()
    _rows: tuple[R, ...] = ()

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._rows: tuple[R, ...] = ()

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def rows(self) -> tuple[R, ...]:
        return self._rows

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
            color = column.color(row)
            return QColor(color) if color is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip is not None else column.text(row)
        if role == ROW_ROLE:
            return row
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._columns)
        ):
            return self._columns[section].header
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


# -- words ----------------------------------------------------------------------------------------


def request_status(view: RequestView) -> str:
    """Where a request stands, in the rep's words: the outbox's state, then the hub's status."""
    if view.state == "queued":
        return "Queued"
    if view.state == "sending":
        return "Sending…"
    if view.state == "rejected":
        return f"Rejected: {view.last_error}" if view.last_error else "Rejected"
    if view.status in (None, "new"):
        return "Sent"
    label = STATUS_LABELS.get(view.status, view.status)
    if view.status == "declined" and view.note:
        return f"{label}: {view.note}"
    return label


def _sentence(text: str) -> str:
    """``text`` ending in a full stop, unless it ends in one already (or "!", "?", "…")."""
    closing = text.rstrip("”’\"')")
    return text if closing.endswith((".", "!", "?", "…")) else f"{text}."


def request_detail(view: RequestView) -> str:
    """What the rep reads under the requests: the status, marketing's note, the answer."""
    lines = [_sentence(f"“{view.title}”: {request_status(view)}")]
    if view.note and view.status != "declined":
        lines.append(f"Marketing says: {_sentence(f'“{view.note}”')}")
    if view.state == "queued" and view.last_error:
        lines.append(_sentence(f"Last try: {view.last_error}"))
    if view.status == "fulfilled" and view.answer_doc_id:
        if view.answer_rel_path:
            lines.append(f"The answer: {Path(view.answer_rel_path).stem}.")
        else:
            lines.append("The answer arrives with the next sync; then you can open it.")
    return " ".join(lines)


# Readable on light and dark backgrounds alike.
_GOOD, _BAD, _WAITING = "#2F855A", "#C53030", "#B7791F"


def _request_color(view: RequestView) -> str | None:
    if view.state == "rejected" or view.status == "declined":
        return _BAD
    if view.status == "fulfilled":
        return _GOOD
    if view.state in ("queued", "sending"):
        return _WAITING
    return None


def _item_color(entry: OutboxEntry) -> str | None:
    return {"rejected": _BAD, "queued": _WAITING, "sending": _WAITING}.get(entry.state)


def _request_tooltip(view: RequestView) -> str:
    lines = [view.title, request_status(view)]
    if view.state == "queued" and view.last_error:
        lines.append(f"Last try: {view.last_error}")
    if view.note and view.status != "declined":
        lines.append(f"Marketing: {view.note}")
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    stamp = QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))
    return QLocale().toString(stamp, "d MMM yyyy HH:mm")


def _needed_by(view: RequestView) -> str:
    if not view.needed_by:
        return ""
    date = QDateTime.fromString(str(view.needed_by), Qt.DateFormat.ISODate).date()
    return QLocale().toString(date, "d MMM yyyy") if date.isValid() else str(view.needed_by)


def _item_state(entry: OutboxEntry) -> str:
    if entry.state == "rejected":
        return f"Rejected: {entry.last_error}" if entry.last_error else "Rejected"
    return {"queued": "Queued", "sending": "Sending…", "sent": "Sent"}.get(entry.state, "")


REQUEST_COLUMNS: tuple[Column[RequestView], ...] = (
    Column("Request", lambda r: r.title, _request_tooltip),
    Column("For", lambda r: r.customer),
    Column("Needed by", _needed_by),
    Column("Urgency", lambda r: r.urgency.capitalize()),
    Column("Status", request_status, _request_tooltip, _request_color),
    Column("Updated", lambda r: _when(r.status_changed_at or r.created_at)),
)


def feedback_columns(names: Callable[[str], str]) -> tuple[Column[OutboxEntry], ...]:
    def document(entry: OutboxEntry) -> str:
        return names(str(entry.payload.get("doc_id", "")))

    def page(entry: OutboxEntry) -> str:
        value = entry.payload.get("page")
        return str(value) if value else "Whole document"

    def kind(entry: OutboxEntry) -> str:
        value = str(entry.payload.get("kind", ""))
        return FEEDBACK_KIND_LABELS.get(value, value)

    return (
        Column("Document", document),
        Column("Page", page),
        Column("Feedback", kind),
        Column("Comment", lambda e: str(e.payload.get("comment") or "")),
        Column("State", _item_state, color=_item_color),
        Column("Written", lambda e: _when(e.created_at)),
    )


def outbox_summary(snapshot: OutboxSnapshot, report: SendReport | None, online: bool | None) -> str:
    """The line above the tables: the rep's requests and feedback still on this computer (usage
    signals have their own line below, and wait for a full batch)."""
    waiting = sum(1 for r in snapshot.requests if r.state in _WAITING_STATES)
    waiting += sum(1 for f in snapshot.feedback if f.state in _WAITING_STATES)
    if not waiting:
        return "Your requests and feedback are all sent."
    noun = "item waits" if waiting == 1 else "items wait"
    if (report is not None and report.offline) or online is False:
        return f"{waiting} {noun}: the hub cannot be reached. They go as soon as it answers."
    if report is not None and report.error:
        return f"{waiting} {noun}: {report.error}"
    return f"{waiting} {noun} to be sent."


_WAITING_STATES = ("queued", "sending")


# -- the view -------------------------------------------------------------------------------------


class OutboxView(QWidget):
    def __init__(
        self,
        service: OutboxService,
        runner: TaskRunner,
        launcher: Launcher,
        mirror_dir: Path,
        notify: Notify,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._launcher = launcher
        self._mirror_dir = mirror_dir
        self._notify = notify
        self._reading = False
        self._stale = False
        self._sending = False
        self._report: SendReport | None = None
        self._snapshot: OutboxSnapshot | None = None
        self.signals_dialog: SignalsDialog | None = None
        # Diagnostics and tests: snapshots shown so far.
        self.refreshes = 0

        self.requests_model: RowsModel[RequestView] = RowsModel(REQUEST_COLUMNS, self)
        self.feedback_model: RowsModel[OutboxEntry] = RowsModel(
            feedback_columns(self._document_name), self
        )
        self._build()

        service.queued.connect(self._on_service_queued)
        service.round_finished.connect(self._on_service_round_finished)
        service.status_changed.connect(self._on_service_status_changed)
        service.sending_started.connect(self._on_service_sending_started)
        service.send_now_finished.connect(self._on_service_send_now_finished)
        service.send_failed.connect(self._on_service_send_failed)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)

        top = QHBoxLayout()
        self.summary_label = QLabel("Reading the outbox…")
        self.summary_label.setAccessibleName("Outbox state")
        self.summary_label.setWordWrap(True)
        top.addWidget(self.summary_label, 1)
        self.send_button = QPushButton("Send now")
        self.send_button.setAccessibleName("Send now")
        self.send_button.setToolTip("Send what is waiting to the hub now")
        self.send_button.clicked.connect(self._on_send_button_clicked)
        top.addWidget(self.send_button)
        layout.addLayout(top)

        layout.addWidget(_heading("My requests"))
        self.requests_view = _table(self.requests_model, "My requests")
        header = self.requests_view.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        for column, sample in ((1, "Contoso Holdings"), (2, "28 Sep 2026"), (3, "Normal"),
                               (4, "Declined: a short reason"), (5, "28 Sep 2026 10:00")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 20)
        self.requests_view.selectionModel().selectionChanged.connect(
            self._on_requests_selection_changed
        )
        layout.addWidget(self.requests_view, 3)

        detail = QHBoxLayout()
        self.detail_label = QLabel()
        self.detail_label.setAccessibleName("Request details")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        detail.addWidget(self.detail_label, 1)
        self.open_button = QPushButton("Open the answer")
        self.open_button.setAccessibleName("Open the document that answers the request")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        detail.addWidget(self.open_button)
        layout.addLayout(detail)

        layout.addWidget(_heading("Feedback"))
        self.feedback_view = _table(self.feedback_model, "Feedback")
        header = self.feedback_view.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, sample in ((1, "Whole document"), (2, "Helped in a meeting"),
                               (3, "A comment of some length"), (4, "Queued ···"),
                               (5, "28 Sep 2026 10:00")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 20)
        layout.addWidget(self.feedback_view, 2)
        self.feedback_empty = QLabel(
            "No feedback yet. To tell marketing a document is outdated, wrong or helped in a "
            "meeting, select it in the Library and choose Requests ▸ Feedback on this document… "
            "(or Feedback… beside Open in the preview)."
        )
        self.feedback_empty.setAccessibleName("No feedback yet")
        self.feedback_empty.setWordWrap(True)
        self.feedback_empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.feedback_empty)

        layout.addWidget(_heading("Usage signals"))
        signals_row = QHBoxLayout()
        self.signals_label = QLabel()
        self.signals_label.setAccessibleName("Usage signals")
        self.signals_label.setWordWrap(True)
        signals_row.addWidget(self.signals_label, 1)
        self.see_signals_button = QPushButton("See what is sent")
        self.see_signals_button.setAccessibleName("See the usage signals that are sent")
        self.see_signals_button.clicked.connect(self._on_see_signals_button_clicked)
        signals_row.addWidget(self.see_signals_button)
        layout.addLayout(signals_row)
        self._show_detail()

    # -- reading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the outbox again (one read at a time; a change during a read reads once more)."""
        if self._reading:
            self._stale = True
            return
        self._reading = True
        self._stale = False
        self._runner.run(self._service.snapshot, self._on_snapshot_read, self._on_snapshot_failed)

    def refresh_after_sync(self, _count: int) -> None:
        """A sync brought documents: an answer to a request may be here now."""
        self.refresh()

    def _on_snapshot_read(self, snapshot: OutboxSnapshot) -> None:
        self._reading = False
        self._show(snapshot)
        if self._stale:
            self.refresh()

    def _on_snapshot_failed(self, error: BaseException) -> None:
        self._reading = False
        message = (
            str(error) if isinstance(error, FieldkitError) else "The outbox could not be read."
        )
        self.summary_label.setText(message)

    def _show(self, snapshot: OutboxSnapshot) -> None:
        self.refreshes += 1
        keep = self._selected_request()
        self._snapshot = snapshot
        self.requests_model.set_rows(snapshot.requests)
        self.feedback_model.set_rows(snapshot.feedback)
        self.feedback_empty.setVisible(not snapshot.feedback)
        if keep is not None:
            for row, view in enumerate(snapshot.requests):
                if view.id == keep.id:
                    self.requests_view.setCurrentIndex(self.requests_model.index(row, 0))
        self._show_summary()
        self._show_detail()
        self._show_signals(snapshot)

    def _show_summary(self) -> None:
        if self._sending:
            self.summary_label.setText("Sending…")
        elif self._snapshot is not None:
            self.summary_label.setText(
                outbox_summary(self._snapshot, self._report, self._service.online)
            )
        self.send_button.setEnabled(not self._sending)

    def _show_signals(self, snapshot: OutboxSnapshot) -> None:
        waiting = len(snapshot.waiting_signals)
        if not snapshot.usage_signals:
            self.signals_label.setText(
                "Usage signals are off (Settings): nothing about what you open or search "
                "is recorded or sent."
            )
        else:
            noun = "signal waits" if waiting == 1 else "signals wait"
            self.signals_label.setText(
                f"{waiting:,} usage {noun} to be sent: which approved documents you opened, "
                "and what you searched for with the number of results. Your own files are "
                "never mentioned."
            )
        self.see_signals_button.setEnabled(snapshot.usage_signals)
        if self.signals_dialog is not None:
            self.signals_dialog.set_batches(snapshot.signal_batches)

    def _document_name(self, doc_id: str) -> str:
        snapshot = self._snapshot
        return snapshot.names.get(doc_id, doc_id) if snapshot is not None else doc_id

    # -- requests ----------------------------------------------------------------------------

    def _selected_request(self) -> RequestView | None:
        index = self.requests_view.currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row if isinstance(row, RequestView) else None

    def _on_requests_selection_changed(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        view = self._selected_request()
        self.open_button.setVisible(view is not None and view.status == "fulfilled")
        if view is None:
            self.detail_label.setText(
                "Select a request to see what marketing said."
                if self.requests_model.rowCount()
                else "No requests yet. When a search finds nothing, ask marketing from there."
            )
            return
        self.detail_label.setText(request_detail(view))
        can_open = view.answer_rel_path is not None
        self.open_button.setEnabled(can_open)
        self.open_button.setToolTip(
            "" if can_open else "The document arrives with the next sync."
        )

    def _on_open_button_clicked(self) -> None:
        view = self._selected_request()
        if view is None or view.answer_rel_path is None:
            return
        try:
            self._launcher.open_file(self._mirror_dir / view.answer_rel_path)
        except FieldkitError as exc:
            self.detail_label.setText(str(exc))

    # -- sending -----------------------------------------------------------------------------

    def _on_send_button_clicked(self) -> None:
        self._service.send_now()

    def _on_service_sending_started(self) -> None:
        self._sending = True
        self._show_summary()

    def _on_service_send_failed(self, message: str) -> None:
        self._sending = False
        self._show_summary()
        self.summary_label.setText(message)

    def _on_service_round_finished(self, report: SendReport) -> None:
        self._report = report
        self.refresh()

    def _on_service_send_now_finished(self, report: SendReport) -> None:
        self._sending = False
        self._report = report
        # Send now is available again at once, not only when the refreshed lists arrive.
        self._show_summary()
        self.refresh()

    def _on_service_queued(self) -> None:
        self.refresh()

    def _on_service_status_changed(self, change: StatusChange) -> None:
        self._notify(*status_notice(change))
        self.refresh()

    def _on_see_signals_button_clicked(self) -> None:
        if self.signals_dialog is None:
            self.signals_dialog = SignalsDialog(self)
            self.signals_dialog.finished.connect(self._on_signals_dialog_finished)
        snapshot = self._snapshot
        self.signals_dialog.set_batches(snapshot.signal_batches if snapshot else ())
        self.signals_dialog.show()
        self.signals_dialog.raise_()

    def _on_signals_dialog_finished(self, _result: int) -> None:
        self.signals_dialog = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()


class SignalsDialog(QDialog):
    """The usage signals waiting to go, exactly as the hub will receive them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("What is sent")
        self.setAccessibleName("What is sent")
        self.resize(620, 480)
        layout = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Usage signals")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        layout.addWidget(self.text, 1)
        note = QLabel("Switch usage signals off in Settings; those waiting are then dropped.")
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def set_batches(self, batches: Sequence[Mapping[str, Any]]) -> None:
        count = sum(len(b.get("signals", ())) for b in batches)
        self.intro.setText(
            f"{count:,} usage signal{'s' if count != 1 else ''} wait to be sent to your hub "
            f"(in batches of up to {SIGNALS_PER_BATCH}), exactly as below."
            if count
            else "No usage signals are waiting to be sent."
        )
        self.text.setPlainText(
            "\n\n".join(json.dumps(dict(b), indent=2, ensure_ascii=False) for b in batches)
        )


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    return label


def _table(model: QAbstractTableModel, name: str) -> QTreeView:
    view = QTreeView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setRootIsDecorated(False)
    view.setUniformRowHeights(True)
    view.setItemsExpandable(False)
    view.setAllColumnsShowFocus(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.header().setStretchLastSection(False)
    return view
