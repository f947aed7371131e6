"""Render the app's main states offscreen into PNGs (for docs/ and for looking at the UI).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

A real hub serves a copy of resources/sample-library on 127.0.0.1; a fresh client home in a
temporary folder connects to it and syncs through the window, so every state shown is real:
the sync in progress, results with snippets and a PDF page, a slide's text, the health panel,
the freshness banner and the Outdated tab (with an old copy in a Downloads folder under the
temporary folder), a meeting kit, a content request from a search that found nothing and its
status answered through the hub, the offline state, settings and the first run.
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
from fieldkit.hub.inbox import Inbox
from fieldkit.ui.app import Gui, build_gui, make_application
from fieldkit.ui.first_run import FirstRunDialog
from fieldkit.ui.freshness_feature import FolderChanges
from fieldkit.ui.kits_controller import KitForm
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.results_model import ROW_ROLE
from fieldkit.ui.search_view import SearchView
from fieldkit.ui.tasks import TaskRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "sample-library"
HISTORY = ROOT / "resources" / "sample-history"
# Synced in its older version first; the current one is published later, not downloaded.
BEHIND = Path("Battlecards") / "Halyard vs Cobaltline.md"
# Withdrawn by marketing after the rep has it (the sample library ships it withdrawn).
WITHDRAWN = Path("One-pagers") / "Legacy Connector Bundle.pdf"
KIT_DOCUMENTS = (
    "Decks/Retail and Hospitality Deck.pptx",
    "Case studies/Harborline Grocers 2026.docx",
    "Pricing/Price Sheet H2 2026.xlsx",
    BEHIND.as_posix(),
)
SIZE = QSize(1280, 800)
LATER = ("Decks", "Case studies")


class NoLaunch:
    """The screenshots open nothing on the desktop."""

    def open_file(self, path: Path) -> None:
        print(f"(would open {path})")

    def show_in_folder(self, path: Path) -> None:
        print(f"(would show {path})")


def wait_until(app: QApplication, condition: Callable[[], bool], timeout_s: float = 120) -> None:
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
        QPalette.ColorRole.Link: "#63B3ED",
        QPalette.ColorRole.LinkVisited: "#B794F4",
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
        publish_version(HISTORY, approved, BEHIND)
        sidecar = approved / WITHDRAWN.with_name(WITHDRAWN.name + ".meta.toml")
        lines = sidecar.read_text(encoding="utf-8").splitlines(keepends=True)
        sidecar.write_text("".join(x for x in lines if not x.startswith("withdrawn")), "utf-8")
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
            shoot(app, gui, server, out, work)
        finally:
            gui.close()
            client.close()
            server.stop()
    return 0


def publish_version(source: Path, hub_root: Path, rel: Path) -> None:
    """Marketing saves a file and its sidecar in the hub's folder."""
    for name in (rel, rel.with_name(rel.name + ".meta.toml")):
        shutil.copy2(source / name, hub_root / name)


def sync_once(app: QApplication, gui: Gui) -> None:
    finished: list[object] = []
    gui.sync.sync_finished.connect(finished.append)
    gui.window.sync_action.trigger()
    wait_until(app, lambda: bool(finished), timeout_s=60)
    gui.sync.sync_finished.disconnect(finished.append)
    wait_until(app, lambda: gui.window.status_panel.activity() is None, timeout_s=60)


def shoot(app: QApplication, gui: Gui, server: HubServer, out: Path, work: Path) -> None:
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

    shoot_freshness(app, gui, server, out, work)
    shoot_kits(app, gui, out)
    shoot_requests(app, gui, server, out)

    search(app, view, "harborline")
    select(view, lambda hit: hit.status == "superseded")
    wait_until(app, lambda: previewed(view))
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


def shoot_freshness(
    app: QApplication, gui: Gui, server: HubServer, out: Path, work: Path
) -> None:
    """An old copy in Downloads, a newer battlecard on the hub (heard of, not downloaded), and
    the sample library's expiring, expired, withdrawn and superseded documents."""
    assert gui.freshness is not None
    window = gui.window
    view = window.search_view
    downloads = work / "Downloads"
    downloads.mkdir()
    shutil.copy2(HISTORY / BEHIND, downloads / "Cobaltline battlecard (from Sam).md")

    publish_version(SAMPLE, server.hub.root, BEHIND)
    publish_version(SAMPLE, server.hub.root, WITHDRAWN)
    server.hub.rescan()
    # A metered connection: the sync reads the manifest and leaves the new version on the hub.
    settings = gui.client.settings
    gui.client.save_settings(dataclasses.replace(settings, metered=True))
    sync_once(app, gui)
    gui.client.save_settings(settings)

    feature = gui.freshness.feature
    feature.change_folders(FolderChanges(added=(downloads,), removed=()))
    wait_until(
        app,
        lambda: (s := feature.snapshot()) is not None
        and bool(s.copies)
        and {"outdated", "withdrawn"} <= {d.state for d in s.attention()},
    )
    banner = gui.freshness.banner
    wait_until(app, lambda: banner.isVisible() and "old copy" in banner.text())
    window.tabs.setCurrentWidget(view)
    search(app, view, "pricing")
    select(view, lambda hit: hit.status == "expired")
    wait_until(app, lambda: previewed(view))
    settle(app)
    save(window, out, "library-banner")

    outdated = gui.freshness.view
    banner.review_button.click()
    wait_until(app, lambda: window.tabs.currentWidget() is outdated)
    wait_until(app, lambda: outdated.copies_model.rowCount() > 0)
    outdated.documents_view.setCurrentIndex(outdated.documents_model.index(0, 0))
    outdated.copies_view.setCurrentIndex(outdated.copies_model.index(0, 0))
    settle(app)
    save(window, out, "outdated")


def shoot_kits(app: QApplication, gui: Gui, out: Path) -> None:
    """A kit for a meeting next week, one of its documents behind the hub."""
    assert gui.kits is not None
    kits = gui.kits
    changed: list[str] = []
    kits.controller.kit_changed.connect(changed.append)
    kits.controller.create(
        KitForm("Harborline renewal", "Harborline Grocers", "2026-12-03 10:00"), KIT_DOCUMENTS
    )
    wait_until(app, lambda: bool(changed))
    kits.controller.kit_changed.disconnect(changed.append)
    window = gui.window
    window.tabs.setCurrentWidget(kits.view)
    kits.view.select("Harborline renewal")
    wait_until(app, lambda: kits.view.items_model.rowCount() == len(KIT_DOCUMENTS))
    settle(app)
    save(window, out, "kits")


def shoot_requests(app: QApplication, gui: Gui, server: HubServer, out: Path) -> None:
    """A search that finds nothing offers a request; marketing answers it on the hub."""
    assert gui.requests is not None
    requests = gui.requests
    window = gui.window
    view = window.search_view
    window.tabs.setCurrentWidget(view)
    query = "Portuguese"
    search(app, view, query)
    wait_until(app, lambda: "Ask marketing for it" in view.empty_label.text())
    settle(app)
    save(window, out, "no-results")
    view.empty_label.linkActivated.emit("request:")  # the rep clicks the link
    dialog = requests.actions.request_dialog
    if dialog is None:
        raise LookupError("the request dialog did not open")
    dialog.title_field.setText("Halyard Platform Overview in Portuguese")  # the rep says more
    dialog.details_field.setPlainText("For the Lisbon retail group; they want it before the demo.")
    dialog.customer_field.setText("Mercado Atlântico")
    settle(app)
    save(dialog, out, "request-dialog")
    queued: list[object] = []
    dialog.queued.connect(queued.append)
    dialog.ok_button.click()
    wait_until(app, lambda: bool(queued))

    inbox = Inbox(server.hub.engine)
    requests.service.send_now()
    wait_until(app, lambda: bool(inbox.requests()))
    [record] = inbox.requests()
    inbox.respond(
        record.id, "in_progress", note="The translation is booked; expect it by 10 December."
    )
    outbox = requests.view
    window.tabs.setCurrentWidget(outbox)
    requests.service.send_now()  # a round also asks the hub for the requests' status
    model = outbox.requests_model
    wait_until(
        app,
        lambda: model.rowCount() == 1 and str(model.index(0, 4).data()) == "In progress",
    )
    outbox.requests_view.setCurrentIndex(model.index(0, 0))
    settle(app)
    save(window, out, "outbox-requests")
    window.tabs.setCurrentWidget(view)


if __name__ == "__main__":
    sys.exit(main())
