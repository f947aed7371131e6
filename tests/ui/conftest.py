"""Shared pieces of the UI tests: QSettings under tmp_path, a launcher that records, a library of
real files, and the whole GUI graph built by the same composition root the app uses."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QSettings, QtMsgType
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher, write_library

from fieldkit.core.client import Client, open_client
from fieldkit.core.home import HomePaths
from fieldkit.ui.app import Gui, build_gui

# The offscreen platform plugin says these of the windows it shows; they are not about our code.
_PLATFORM_NOISE = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
    "This plugin does not support grabbing the keyboard",
)
_PROBLEMS = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)


@pytest.fixture(autouse=True)
def widgets_deleted_within_their_test(qapp: QApplication) -> Iterator[None]:
    """The widgets pytest-qt closed are deleted before the next test starts.

    pytest-qt only asks for their deletion (deleteLater), which an event loop carries out later:
    without this, a window's last calls into its models would happen in the next test's set-up
    and be blamed on it.
    """
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    # Cycles holding Qt objects are collected here, on the GUI thread: left to a later
    # collection, one may run on a task runner's thread and delete widgets there (a crash).
    gc.collect()


@pytest.fixture(autouse=True)
def no_qt_warnings(qtlog: Any) -> Iterator[None]:
    """Qt must not warn during a UI test (bad connections, layouts, painting, models)."""
    yield
    warnings = [
        record.message
        for record in qtlog.records
        if record.type in _PROBLEMS and record.message not in _PLATFORM_NOISE
    ]
    assert warnings == []


@pytest.fixture(autouse=True)
def english_dates() -> Iterator[None]:
    """Dates and numbers as a British English system shows them, whatever the machine says."""
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    yield
    QLocale.setDefault(before)


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def launcher() -> RecordingLauncher:
    return RecordingLauncher()


@pytest.fixture
def library_folder(tmp_path: Path) -> Path:
    return write_library(tmp_path / "My files")


@pytest.fixture
def client(home: HomePaths, library_folder: Path) -> Iterator[Client]:
    """A client whose library holds ``library_folder``, already indexed."""
    with open_client(home) as client:
        client.library.add_folder(library_folder)
        report = client.library.index()
        assert (report.indexed, report.failed) == (3, 1), report
        yield client


@pytest.fixture
def gui(
    qtbot: QtBot, client: Client, launcher: RecordingLauncher, qsettings: QSettings
) -> Iterator[Gui]:
    """The whole window for ``client``, started (no sync, no folder watching), closed after."""
    gui = build_gui(client, launcher=launcher, qsettings=qsettings, watch=False)
    qtbot.addWidget(gui.window)
    gui.window.show()
    qtbot.waitExposed(gui.window)
    gui.start(sync_now=False)
    yield gui
    gui.close()
