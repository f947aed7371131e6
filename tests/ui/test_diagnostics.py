"""The Diagnostics window (the doctor's report, copyable) and the crash dialog."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from fieldkit.core.client import Client
from fieldkit.core.doctor import CheckReport, DoctorOptions
from fieldkit.core.errors import StorageError, UsageError
from fieldkit.core.logs import PersonalDataFilter
from fieldkit.ui.diagnostics import (
    CrashReporter,
    DiagnosticsDialog,
    doctor_report,
    install_crash_dialog,
    show_diagnostics,
)
from fieldkit.ui.startup import QUIT_AFTER_ENV, prepare_application, quit_after_ms
from fieldkit.ui.tasks import TaskRunner


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner(threads=1)
    yield tasks
    tasks.shutdown()


@pytest.fixture
def options(tmp_path: Path) -> DoctorOptions:
    limit = tmp_path / "max_user_watches"
    limit.write_text("65536", encoding="ascii")
    return DoctorOptions(inotify_limit_file=limit, log_file=tmp_path / "logs" / "fieldkit.log")


def test_diagnostics_shows_the_doctor_report_and_copies_it(
    qtbot: QtBot, client: Client, runner: TaskRunner, options: DoctorOptions
) -> None:
    dialog = DiagnosticsDialog(doctor_report(client, options), runner)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.summary.text() == "Checking…" and not dialog.copy_button.isEnabled()

    with qtbot.waitSignal(dialog.checks_finished) as finished:
        dialog.run_checks()

    report = finished.args[0]
    assert isinstance(report, CheckReport) and dialog.report is report
    labels = [
        "Versions", "Hub", "Hub token", "Disk space", "Search index", "Folder watching",
        "Token storage", "Log file",
    ]
    assert [check.label for check in report.checks] == labels
    shown = dialog.checks.toPlainText().splitlines()  # one table cell per line
    assert [line for line in shown if line in labels] == labels
    hub = shown.index("Hub")
    assert shown[hub - 1 : hub + 3] == [
        "Warning",
        "Hub",
        "Not connected to a hub: only your own folders are searchable.",
        "What to do: Ask marketing for the hub's address and your token, then run: "
        "fieldkit connect URL --token TOKEN",
    ]
    assert "3 documents searchable; 1 could not be read (fieldkit index --json lists why)." in (
        shown
    )
    assert "2 warnings" in dialog.summary.text()

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == report.to_text()
    assert "on the clipboard" in dialog.summary.text()

    with qtbot.waitSignal(dialog.checks_finished):
        qtbot.mouseClick(dialog.rerun_button, Qt.MouseButton.LeftButton)
    assert dialog.checks.toPlainText().count("\n") >= 8


def test_show_diagnostics_opens_over_the_window_and_runs_the_checks(
    qtbot: QtBot, client: Client, runner: TaskRunner, options: DoctorOptions
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    dialog = show_diagnostics(window, client, runner, options)
    assert dialog.parent() is window and dialog.isVisible()
    with qtbot.waitSignal(dialog.checks_finished):
        pass
    assert "Token storage" in dialog.checks.toPlainText()
    assert dialog.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.close()
    qtbot.waitUntil(lambda: not window.findChildren(DiagnosticsDialog))


def test_closing_diagnostics_before_the_checks_end_drops_their_answer(
    qtbot: QtBot, client: Client, runner: TaskRunner, options: DoctorOptions
) -> None:
    release = threading.Event()
    checks = doctor_report(client, options)

    def slow_checks() -> CheckReport:
        release.wait(timeout=30)
        return checks()

    window = QWidget()
    qtbot.addWidget(window)
    dialog = DiagnosticsDialog(slow_checks, runner, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.run_checks()
    dialog.close()
    qtbot.waitUntil(lambda: not window.findChildren(DiagnosticsDialog))
    release.set()
    # The answer arrives for a deleted dialog: it is dropped, not delivered into freed memory.
    qtbot.waitUntil(lambda: runner.pending() == 0)


def test_diagnostics_says_when_the_checks_cannot_run(qtbot: QtBot, runner: TaskRunner) -> None:
    def broken() -> CheckReport:
        raise StorageError("The catalog is locked by another fieldkit.")

    dialog = DiagnosticsDialog(broken, runner)
    qtbot.addWidget(dialog)
    dialog.run_checks()
    qtbot.waitUntil(lambda: dialog.rerun_button.isEnabled())
    assert dialog.summary.text() == (
        "The checks could not run: The catalog is locked by another fieldkit."
    )
    assert not dialog.copy_button.isEnabled()


@pytest.fixture
def reporter(qapp: QApplication, tmp_path: Path) -> Iterator[tuple[CrashReporter, list[str]]]:
    quits: list[str] = []
    crash = CrashReporter(tmp_path / "fieldkit.log", quit_app=lambda: quits.append("quit"))
    crash.install()
    yield crash, quits
    crash.uninstall()
    if crash.dialog is not None:
        crash.dialog.close()
        crash.dialog.deleteLater()


def fail_in_a_slot() -> None:
    raise ValueError(f"cannot open {os.path.expanduser('~')}/Documents/Acme deal.pptx")


@pytest.mark.qt_no_exception_capture
def test_an_uncaught_exception_is_logged_and_shown_with_a_copyable_report(
    qtbot: QtBot,
    reporter: tuple[CrashReporter, list[str]],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    crash, quits = reporter
    with qtbot.waitSignal(crash.crashed):
        QTimer.singleShot(0, fail_in_a_slot)
    assert crash.dialog is not None
    qtbot.waitUntil(crash.dialog.isVisible)

    text = crash.dialog.report()
    assert text.startswith("fieldkit 0.1.0 crash report\n")
    assert "Log file: " + PersonalDataFilter().scrub(str(tmp_path / "fieldkit.log")) in text
    assert "ValueError: cannot open ~/Documents/Acme deal.pptx" in text
    assert "in fail_in_a_slot" in text
    assert os.path.expanduser("~") + "/" not in text
    assert [r.levelno for r in caplog.records if r.name == "fieldkit.ui.crash"] == [
        logging.CRITICAL
    ]

    qtbot.mouseClick(crash.dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text

    with qtbot.waitSignal(crash.crashed):  # a second one joins the open dialog
        QTimer.singleShot(0, fail_in_a_slot)
    assert crash.dialog.report().count("crash report") == 2

    qtbot.mouseClick(crash.dialog.continue_button, Qt.MouseButton.LeftButton)
    assert not crash.dialog.isVisible() and quits == []


@pytest.mark.qt_no_exception_capture
def test_a_worker_thread_crash_reaches_the_main_thread(
    qtbot: QtBot, reporter: tuple[CrashReporter, list[str]]
) -> None:
    crash, quits = reporter

    def work() -> None:
        raise RuntimeError("index writer lost")

    worker = threading.Thread(target=work, name="indexer")
    with qtbot.waitSignal(crash.crashed):
        worker.start()
    worker.join()
    assert crash.dialog is not None
    assert "Thread: indexer" in crash.dialog.report()
    assert "RuntimeError: index writer lost" in crash.dialog.report()

    qtbot.mouseClick(crash.dialog.quit_button, Qt.MouseButton.LeftButton)
    assert quits == ["quit"]


def test_install_and_uninstall_restore_the_hooks(qapp: QApplication, tmp_path: Path) -> None:
    before = (sys.excepthook, threading.excepthook)
    crash = install_crash_dialog(qapp, tmp_path / "fieldkit.log")
    assert sys.excepthook == crash._on_exception
    assert threading.excepthook == crash._on_thread_exception
    crash.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    crash.deleteLater()


def test_prepare_application_logs_to_a_file_and_hooks_crashes(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(QUIT_AFTER_ENV, raising=False)
    before = (sys.excepthook, threading.excepthook)
    fieldkit_logger = logging.getLogger("fieldkit")
    handlers = list(fieldkit_logger.handlers)
    level = fieldkit_logger.level
    app, crash = prepare_application(tmp_path / "logs")
    try:
        assert app is qapp
        assert sys.excepthook == crash._on_exception
        logging.getLogger("fieldkit.ui.test").warning("written to %s", Path.home() / "x")
        for handler in fieldkit_logger.handlers:
            handler.flush()
        written = (tmp_path / "logs" / "fieldkit.log").read_text(encoding="utf-8")
        assert "written to ~/x" in written
    finally:
        crash.uninstall()
        crash.deleteLater()
        for handler in fieldkit_logger.handlers:
            if handler not in handlers:
                fieldkit_logger.removeHandler(handler)
                handler.close()
        fieldkit_logger.setLevel(level)
    assert (sys.excepthook, threading.excepthook) == before


def test_quit_after_must_be_milliseconds() -> None:
    assert quit_after_ms(None) is None and quit_after_ms("") is None
    assert quit_after_ms("2500") == 2500
    for bad in ("soon", "-5"):
        with pytest.raises(UsageError, match="must be a number of milliseconds"):
            quit_after_ms(bad)


def test_fieldkit_app_starts_offscreen_and_quits_by_itself(tmp_path: Path) -> None:
    """The whole app, as `fieldkit app` starts it, in a process of its own."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        QUIT_AFTER_ENV: "8000",  # the library must have opened by then
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(tmp_path / "home"), "app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "state" / "fieldkit" / "log" / "fieldkit.log").exists()
    assert (tmp_path / "home" / "catalog.sqlite3").exists()
