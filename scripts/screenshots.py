"""Render the app's main states offscreen into PNGs (for docs/ and for looking at the UI).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

A real hub serves a copy of resources/sample-library on 127.0.0.1; a fresh client home in a
temporary folder connects to it and syncs through the window, so every state shown is real:
the sync in progress, results with snippets and a PDF page, a slide's text, the health panel,
the offline state, settings and the first run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from keyring.backends import fail
from PySide6.QtCore import QEventLoop, QObject, QSettings, QSize, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from fieldkit.core.client import open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.home import HomePaths
from fieldkit.core.index import Hit
from fieldkit.core.sync import SyncProgress, connect_hub
from fieldkit.hub import Hub, HubServer
from fieldkit.ui.app import Gui, build_gui, make_application
from fieldkit.ui.first_run import FirstRunDialog
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.results_model import ROW_ROLE
from fieldkit.ui.search_view import SearchView
from fieldkit.ui.tasks import TaskRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "sample-library"
SIZE = QSize(1280, 800)
LATER = ("Decks", "Case studies")


class NoLaunch:
    """The screenshots open nothing on the desktop."""

    def open_file(self, path: Path) -> None:
        print(f"(would open {path})")

    def show_in_folder(self, path: Path) -> None:
        print(f"(would show {path})")


def wait_until(app: QApplication, condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not reach the expected state")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def settle(app: QApplication) -> None:
    """Let queued signals and repaints run."""
    for _ in range(5):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def save(widget: QWidget, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


class SyncGrabber(QObject):
    """Grabs the window the first time the status bar shows a sync half-way."""

    def __init__(self, gui: Gui, out: Path) -> None:
        super().__init__()
        self.gui = gui
        self.out = out
        self.done = False

    @Slot(SyncProgress)
    def on_progress(self, progress: SyncProgress) -> None:
        if self.done or not 0 < progress.files_done < progress.files_total:
            return
        self.done = True
        save(self.gui.window, self.out, "sync-in-progress")


def search(app: QApplication, view: SearchView, text: str) -> None:
    view.search_field.setText(text)
    view.refresh()
    wait_until(app, lambda: (r := view.shown_results()) is not None and r.query == text)


def select(view: SearchView, wanted: Callable[[Hit], bool]) -> None:
    for row in range(view.proxy.rowCount()):
        if wanted(view.proxy.index(row, 0).data(ROW_ROLE)):
            view.results_view.setCurrentIndex(view.proxy.index(row, 0))
            return
    raise LookupError("no such result")


def previewed(view: SearchView) -> bool:
    """The preview shows the selected result's own hit page (not the one selected before)."""
    hit = view.current_hit()
    preview = view.preview
    if hit is None or preview.hit() != hit or preview.page() != (hit.location_number or 1):
        return False
    return not preview.image().isNull() if hit.format == "pdf" else bool(preview.text())


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1F2329",
        QPalette.ColorRole.WindowText: "#E2E8F0",
        QPalette.ColorRole.Base: "#171A1F",
        QPalette.ColorRole.AlternateBase: "#22262D",
        QPalette.ColorRole.Text: "#E2E8F0",
        QPalette.ColorRole.PlaceholderText: "#8A94A3",
        QPalette.ColorRole.Button: "#2A2F37",
        QPalette.ColorRole.ButtonText: "#E2E8F0",
        QPalette.ColorRole.Highlight: "#2B6CB0",
        QPalette.ColorRole.HighlightedText: "#FFFFFF",
        QPalette.ColorRole.Mid: "#3A404A",
        QPalette.ColorRole.ToolTipBase: "#2A2F37",
        QPalette.ColorRole.ToolTipText: "#E2E8F0",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(disabled, role, QColor("#5F6B7A"))
    return palette


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    app = make_application(sys.argv[:1])
    app.setStyle(QStyleFactory.create("Fusion"))
    with tempfile.TemporaryDirectory(prefix="fieldkit-shots-") as temp:
        work = Path(temp)
        approved = work / "approved"
        # Two folders arrive later, so the second sync has something to bring.
        shutil.copytree(SAMPLE, approved, ignore=shutil.ignore_patterns(*LATER))
        hub = Hub.open(approved, str(work / "hub.sqlite3"))
        token = hub.reps.add("dana")
        server = HubServer(hub).start()
        home = HomePaths(work / "home").ensure()
        client = open_client(home)
        tokens = TokenStore(home, fail.Keyring())
        connect_hub(client.sessions, tokens, server.url, token)
        launcher: Launcher = NoLaunch()
        gui = build_gui(
            client,
            launcher=launcher,
            qsettings=QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat),
            tokens=tokens,
            watch=False,
        )
        try:
            shoot(app, gui, server, out)
        finally:
            gui.close()
            client.close()
            server.stop()
    return 0


def shoot(app: QApplication, gui: Gui, server: HubServer, out: Path) -> None:
    window = gui.window
    view = window.search_view
    window.resize(SIZE)

    # First run, before anything is connected.
    runner = TaskRunner(threads=1)
    first = FirstRunDialog(runner, lambda _url, _token: "", lambda: "")
    first.show()
    settle(app)
    save(first, out, "first-run")
    first.close()
    runner.shutdown()

    window.show()
    gui.start(sync_now=False)
    wait_until(app, lambda: window.status_panel.connection_words() == "Not checked yet")

    finished: list[object] = []
    gui.sync.sync_finished.connect(finished.append)
    window.sync_action.trigger()
    wait_until(app, lambda: bool(finished))
    wait_until(app, lambda: window.status_panel.activity() is None, timeout_s=60)
    wait_until(app, lambda: (r := view.shown_results()) is not None and r.total >= 8)
    select(view, lambda hit: hit.format == "pdf")
    wait_until(app, lambda: previewed(view))

    # Marketing publishes two more folders; the next sync brings them.
    for folder in LATER:
        shutil.copytree(SAMPLE / folder, server.hub.root / folder)
    server.hub.rescan()
    # One download at a time, so the sync passes through states worth a picture.
    gui.client.save_settings(dataclasses.replace(gui.client.settings, parallel_downloads=1))
    grabber = SyncGrabber(gui, out)
    gui.bridge.sync_progressed.connect(grabber.on_progress)
    finished.clear()
    window.sync_action.trigger()
    wait_until(app, lambda: bool(finished))
    wait_until(app, lambda: window.status_panel.activity() is None, timeout_s=60)
    wait_until(app, lambda: (r := view.shown_results()) is not None and r.total >= 15)
    if not grabber.done:
        print("the sync finished before it could be caught half-way: run the script again")

    search(app, view, "FIPS")
    select(view, lambda hit: hit.format == "pdf")
    wait_until(app, lambda: previewed(view))
    settle(app)
    save(window, out, "results-pdf-preview")

    search(app, view, "Tidewater")
    select(view, lambda hit: hit.format == "pptx")
    wait_until(app, lambda: previewed(view) and "Tidewater" in view.preview.text())
    settle(app)
    save(window, out, "results-slide-text")

    search(app, view, "harborline")
    select(view, lambda hit: hit.status == "superseded")
    wait_until(app, lambda: previewed(view))
    settle(app)
    save(window, out, "results-statuses")

    # The rep adds a folder of their own, with one file that cannot be read.
    own = server.hub.root.parent / "My files"
    own.mkdir()
    notes = "ACME asked for the FHIR R4 mapping.\n"
    (own / "Call notes ACME.txt").write_text(notes, encoding="utf-8")
    (own / "Old price list.pdf").write_bytes(b"%PDF-1.4\n damaged beyond repair")
    gui.client.library.add_folder(own)
    indexed: list[object] = []
    gui.bridge.index_finished.connect(indexed.append)
    gui.index_service.request(None)
    wait_until(app, lambda: bool(indexed))
    wait_until(app, lambda: "problem" in window.status_panel.health_button.text())
    window.status_panel.health_button.click()
    settle(app)
    dialog = window.health_dialog()
    if dialog is not None:
        save(dialog, out, "sync-health")
        dialog.close()

    server.stop()
    finished.clear()
    window.sync_action.trigger()
    wait_until(app, lambda: bool(finished))
    settle(app)
    save(window, out, "offline")

    window.settings_action.trigger()
    wait_until(app, lambda: window.settings_dialog() is not None)
    settle(app)
    settings = window.settings_dialog()
    if settings is not None:
        save(settings, out, "settings")
        settings.reject()

    app.setPalette(dark_palette())
    search(app, view, "FIPS")
    select(view, lambda hit: hit.format == "pdf")
    wait_until(app, lambda: previewed(view))
    settle(app)
    save(window, out, "results-dark")


if __name__ == "__main__":
    sys.exit(main())
