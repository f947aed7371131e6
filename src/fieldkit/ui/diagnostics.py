"""Diagnostics and crashes, for a rep to see and to send to IT.

* :class:`DiagnosticsDialog` shows the same report as ``fieldkit doctor`` (run off the UI
  thread) with a "Copy report" button.
* :func:`install_crash_dialog` (from :mod:`fieldkit.ui.crash`) hooks ``sys.excepthook`` and
  ``threading.excepthook``: an uncaught exception, on any thread, is logged with its traceback
  and shown on the main thread in a :class:`CrashDialog` whose report can be copied.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

import keyring
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fieldkit import __version__
from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.doctor import FAIL, OK, WARN, CheckReport, DoctorOptions, run_doctor
from fieldkit.ui.crash import CrashDialog, CrashReporter, crash_report, install_crash_dialog
from fieldkit.ui.tasks import TaskRunner

__all__ = [
    "CrashDialog",
    "CrashReporter",
    "DiagnosticsDialog",
    "crash_report",
    "doctor_report",
    "install_crash_dialog",
    "show_diagnostics",
]

log = logging.getLogger(__name__)

STATUS_TEXT = {OK: "OK", WARN: "Warning", FAIL: "Problem"}
ReportFunction = Callable[[], CheckReport]


def doctor_report(client: Client, options: DoctorOptions | None = None) -> ReportFunction:
    """What the Diagnostics window runs: ``fieldkit doctor`` on the app's own client."""

    def report() -> CheckReport:
        backend = keyring.get_keyring()
        return run_doctor(client, TokenStore(client.home, backend), backend, options)

    return report


class DiagnosticsDialog(QDialog):
    """The doctor's checks, one row each, with what to do; "Copy report" copies them as text."""

    checks_finished = Signal(CheckReport)

    def __init__(
        self, report: ReportFunction, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Diagnostics")
        self.resize(760, 420)
        self._report_function = report
        self._runner = runner
        self._report: CheckReport | None = None

        self.summary = QLabel("Checking…", self)
        self.summary.setWordWrap(True)
        # Rich text wraps long messages and lets the rep select any part of them.
        self.checks = QTextBrowser(self)
        self.checks.setOpenLinks(False)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("&Copy report", self)
        self.copy_button.setEnabled(False)
        self.rerun_button = QPushButton("&Run again", self)
        self.rerun_button.setEnabled(False)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.rerun_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.rerun_button.clicked.connect(self.run_checks)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.checks, 1)
        layout.addWidget(buttons)

    @property
    def report(self) -> CheckReport | None:
        return self._report

    def run_checks(self) -> None:
        """Run the checks in the background; the rows appear when they finish."""
        self.summary.setText("Checking…")
        self.copy_button.setEnabled(False)
        self.rerun_button.setEnabled(False)
        self._runner.run(
            self._report_function, self._on_checks_done, self._on_checks_failed, owner=self
        )

    def report_text(self) -> str:
        return self._report.to_text() if self._report is not None else ""

    def _on_checks_done(self, report: CheckReport) -> None:
        self._report = report
        self.checks.setHtml(report_html(report))
        self.summary.setText(
            f"fieldkit {__version__}: {report.summary()}. Copy the report to send it to IT."
        )
        self.copy_button.setEnabled(True)
        self.rerun_button.setEnabled(True)
        self.checks_finished.emit(report)

    def _on_checks_failed(self, error: BaseException) -> None:
        # A FieldkitError is an expected problem (say, the catalog is locked): say it plainly.
        self.summary.setText(f"The checks could not run: {error}")
        self.rerun_button.setEnabled(True)

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())
        self.summary.setText("The report is on the clipboard: paste it into an e-mail to IT.")


STATUS_COLOURS = {OK: "#2f855a", WARN: "#b7791f", FAIL: "#c53030"}


def report_html(report: CheckReport) -> str:
    """The checks as a table: status, check, and the message with what to do."""
    rows = []
    for check in report.checks:
        action = (
            f"<br><i>What to do:</i> {html.escape(check.action)}" if check.action else ""
        )
        rows.append(
            "<tr>"
            f'<td><b style="color:{STATUS_COLOURS[check.status]}">'
            f"{STATUS_TEXT[check.status]}</b></td>"
            f"<td>{html.escape(check.label)}</td>"
            f"<td>{html.escape(check.message)}{action}</td>"
            "</tr>"
        )
    return '<table cellspacing="0" cellpadding="4">' + "".join(rows) + "</table>"


def show_diagnostics(
    parent: QWidget, client: Client, runner: TaskRunner, options: DoctorOptions | None = None
) -> DiagnosticsDialog:
    """Open the Diagnostics window over ``parent`` and start the checks (Help → Diagnostics)."""
    dialog = DiagnosticsDialog(doctor_report(client, options), runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    dialog.run_checks()
    return dialog
