"""Shared pieces of the UI tests: QSettings under tmp_path, a launcher that records, a library of
real files, and the whole GUI graph built by the same composition root the app uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings
from ui_support import RecordingLauncher, write_library

from fieldkit.core.client import Client, open_client
from fieldkit.core.home import HomePaths


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
