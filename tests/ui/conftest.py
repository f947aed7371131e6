"""Shared pieces of the UI tests: QSettings under tmp_path, a launcher that records, a library of
real files, and the whole GUI graph built by the same composition root the app uses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fpdf import FPDF
from PySide6.QtCore import QLocale, QSettings

from fieldkit.core.client import Client, open_client
from fieldkit.core.home import HomePaths

PDF_PAGES = (
    "Halyard Sentinel data sheet. Overview of the product family.",
    "Sentinel watches every pipeline for anomalies and explains each alert in plain words.",
    "Contact your account team for a trial. Support is available around the clock.",
)


@dataclass
class RecordingLauncher:
    """Stands in for the desktop: records what it was asked to open, launches nothing."""

    opened: list[Path] = field(default_factory=list)
    shown: list[Path] = field(default_factory=list)

    def open_file(self, path: Path) -> None:
        self.opened.append(path)

    def show_in_folder(self, path: Path) -> None:
        self.shown.append(path)


def write_pdf(path: Path, pages: tuple[str, ...]) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=14)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))
    return path


def write_library(folder: Path) -> Path:
    """A small folder of a rep's own files: text, Markdown and a three-page PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pricing notes.txt").write_text(
        "Enterprise pricing for the Halyard platform.\nRenewal discounts apply after a year.\n",
        encoding="utf-8",
    )
    (folder / "Battlecards").mkdir()
    (folder / "Battlecards" / "Cobaltline.md").write_text(
        "# Halyard vs Cobaltline\n\nCobaltline charges per seat; Halyard pricing is per pipeline."
        "\n\nAsk about anomaly alerts: Cobaltline has none.\n",
        encoding="utf-8",
    )
    write_pdf(folder / "Sentinel data sheet.pdf", PDF_PAGES)
    return folder


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
        assert report.indexed == 3, report
        yield client
