"""Crashes: an uncaught exception, on any thread, is logged with its traceback and shown on the
main thread in a :class:`CrashDialog` whose report (versions, traceback, log file; the home
folder and user name masked) a rep can copy and send to IT.

This module imports only Qt and light parts of the core, so the app can install it before the
first window (see :mod:`fieldkit.ui.startup`).
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import PySide6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from fieldkit import __version__
from fieldkit.core.logs import PersonalDataFilter

log = logging.getLogger(__name__)


def crash_report(
    kind: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    log_file: Path | None,
    *,
    thread: str | None = None,
) -> str:
    """The text a rep copies: versions, where, the traceback; home folder and user name masked."""
    scrub = PersonalDataFilter().scrub
    lines = [
        f"fieldkit {__version__} crash report",
        f"When: {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        f"System: {platform.system()} {platform.release()} ({platform.machine()}), "
        f"Python {platform.python_version()}, Qt {PySide6.__version__}",
    ]
    if thread is not None:
        lines.append(f"Thread: {thread}")
    if log_file is not None:
        lines.append(f"Log file: {log_file}")
    lines.append("")
    lines += "".join(traceback.format_exception(kind, value, tb)).rstrip("\n").splitlines()
    return scrub("\n".join(lines)) + "\n"


class CrashDialog(QDialog):
    """Says something went wrong, shows the report, and lets the rep copy it, go on, or quit."""

    def __init__(
        self,
        report: str,
        parent: QWidget | None = None,
        *,
        quit_app: Callable[[], None] = QApplication.quit,
    ) -> None:
        super().__init__(parent)
        self._quit_app = quit_app
        self.setWindowTitle("fieldkit ran into a problem")
        self.resize(680, 420)
        intro = QLabel(
            "Something went wrong that fieldkit did not expect. Your documents are safe. "
            "Copy the report below and send it to IT; it holds no personal data. You can keep "
            "working, or quit and start fieldkit again.",
            self,
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(report, self)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        buttons = QDialogButtonBox(self)
        self.copy_button = buttons.addButton(
            "&Copy report", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.quit_button = buttons.addButton(
            "&Quit fieldkit", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.continue_button = buttons.addButton(
            "&Keep working", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.continue_button.setDefault(True)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.quit_button.clicked.connect(self._on_quit_button_clicked)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)

    def report(self) -> str:
        return self.text.toPlainText()

    def add_report(self, report: str) -> None:
        """Another crash while this dialog is open: appended, not a second window."""
        self.text.appendPlainText("\n" + report)

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.report())

    def _on_quit_button_clicked(self) -> None:
        self.accept()
        self._quit_app()


class CrashReporter(QObject):
    """Owns the exception hooks; create it on the main thread (see :func:`install_crash_dialog`).

    The hooks run on whichever thread failed: they log, then emit :attr:`crashed`, which reaches
    :meth:`_on_crashed` on the main thread (a queued connection when it came from elsewhere).
    """

    crashed = Signal(str)

    def __init__(
        self,
        log_file: Path | None,
        parent: QObject | None = None,
        *,
        quit_app: Callable[[], None] = QApplication.quit,
    ) -> None:
        super().__init__(parent)
        self._log_file = log_file
        self._quit_app = quit_app
        self.dialog: CrashDialog | None = None
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._installed = False
        self.crashed.connect(self._on_crashed)

    def install(self) -> None:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception
        self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            sys.excepthook = self._previous_hook
            threading.excepthook = self._previous_thread_hook
            self._installed = False

    def _on_exception(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous_hook(kind, value, tb)
            return
        log.critical("uncaught exception", exc_info=(kind, value, tb))
        self.crashed.emit(crash_report(kind, value, tb, self._log_file))

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            self._previous_thread_hook(args)
            return
        name = args.thread.name if args.thread is not None else "?"
        exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
        log.critical("uncaught exception in thread %s", name, exc_info=exc_info)
        self.crashed.emit(crash_report(*exc_info, self._log_file, thread=name))

    def _on_crashed(self, report: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add_report(report)
            return
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = CrashDialog(report, QApplication.activeWindow(), quit_app=self._quit_app)
        self.dialog.open()


def install_crash_dialog(app: QApplication, log_file: Path | None = None) -> CrashReporter:
    """Log every uncaught exception and show it in a crash dialog; returns the reporter (its
    ``uninstall`` puts the previous hooks back). ``log_file`` is named in the report."""
    reporter = CrashReporter(log_file, app)
    reporter.install()
    return reporter
