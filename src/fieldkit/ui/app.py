"""The GUI's composition root: builds the app's objects once and passes them into constructors.

``run(home)`` is what ``fieldkit app`` and ``fieldkit demo`` call (it lives in
:mod:`fieldkit.ui.launch`, which shows a window before the core is loaded). ``build_gui(client,
...)`` builds the whole graph for a client, for the app, tests and scripts, without global state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer

from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.freshness import Clock, FreshnessReport, read_freshness, utc_now
from fieldkit.core.indexer import IndexService
from fieldkit.core.kits import Kits
from fieldkit.core.library import FolderInfo
from fieldkit.core.stale import Trash, send_to_trash
from fieldkit.core.sync import (
    ProgressCallback,
    SyncControl,
    Syncer,
    SyncResult,
    SyncStatus,
    connect_hub,
    open_source,
    sync_status,
)
from fieldkit.core.watch import FolderWatcher
from fieldkit.ui.bridge import CoreBridge
from fieldkit.ui.first_run import DemoStarter, HubConnector
from fieldkit.ui.freshness_ui import FreshnessUi
from fieldkit.ui.kits_controller import KitsController
from fieldkit.ui.kits_view import ExportPicker, KitsFeature, install_kits, pick_export_path
from fieldkit.ui.launch import make_application, run
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.main_window import MainWindow
from fieldkit.ui.requests_ui import RequestsUi
from fieldkit.ui.settings_dialog import FolderPicker, pick_folder
from fieldkit.ui.sync_controller import DEFAULT_INTERVAL_MS, SyncController
from fieldkit.ui.tasks import TaskRunner
from fieldkit.ui.view_menu import install_view_menu

# The entry points live in fieldkit.ui.launch (Qt only, no core); callers that already loaded
# the core (fieldkit demo, the diagnostics start-up) find them here too.
__all__ = ["Gui", "build_gui", "make_application", "run"]

STARTUP_SCAN_DELAY_MS = 1500


@dataclass
class Gui:
    """Everything the window runs on, started and stopped together."""

    client: Client
    window: MainWindow
    runner: TaskRunner
    preview_runner: TaskRunner
    sync_runner: TaskRunner
    bridge: CoreBridge
    index_service: IndexService
    watcher: FolderWatcher | None
    sync: SyncController
    # The reconcile scan waits this long after start, so the first search has the CPU.
    scan_delay_ms: int = STARTUP_SCAN_DELAY_MS
    freshness: FreshnessUi | None = None
    requests: RequestsUi | None = None
    kits: KitsFeature | None = None
    # Searches have a thread of their own: never queued behind the start-up scans and checks.
    search_runner: TaskRunner | None = None
    _started: bool = field(default=False, repr=False)
    _watching: bool = field(default=False, repr=False)
    _closed: bool = field(default=False, repr=False)

    def start(self, *, sync_now: bool = True) -> None:
        """Start the indexer, watching and syncing, and show the window's state."""
        self._started = True
        self.index_service.start()
        self.sync.start(sync_now=sync_now)
        self.window.start()
        QTimer.singleShot(self.scan_delay_ms, self._begin_watching)
        if self.freshness is not None:
            self.freshness.start(self.scan_delay_ms)
        if self.requests is not None:
            self.requests.start(self.scan_delay_ms)
        if self.kits is not None:
            self.kits.controller.start(self.scan_delay_ms)

    def _begin_watching(self) -> None:
        if not self._closed:
            self.runner.run(self.client.library.folders, self._on_folders_read)

    def _on_folders_read(self, folders: tuple[FolderInfo, ...]) -> None:
        if self._closed:
            return
        if self.watcher is None:
            self.index_service.request(None)
            return
        for folder in folders:
            self.watcher.watch(Path(folder.path))
        # The watcher asks for a full reconcile scan as it starts.
        self.watcher.start()
        self._watching = True

    def close(self) -> None:
        """Stop background work (syncs are cancelled; their partial downloads resume later)."""
        self._closed = True
        self.window.search_view.release_clipboard()
        self.sync.stop()
        if self.freshness is not None:
            self.freshness.stop()
        if self.requests is not None:
            self.requests.stop()
        if self.kits is not None:
            self.kits.controller.stop()
        if self._watching and self.watcher is not None:
            self.watcher.stop()
        if self._started:
            self.index_service.stop()
        for runner in (self.sync_runner, self.preview_runner, self.runner, self.search_runner):
            if runner is not None:
                runner.shutdown()


def build_gui(
    client: Client,
    *,
    launcher: Launcher,
    qsettings: QSettings,
    tokens: TokenStore | None = None,
    runner: TaskRunner | None = None,
    preview_runner: TaskRunner | None = None,
    sync_runner: TaskRunner | None = None,
    search_runner: TaskRunner | None = None,
    watch: bool = True,
    start_demo: DemoStarter | None = None,
    folder_picker: FolderPicker = pick_folder,
    sync_interval_ms: int = DEFAULT_INTERVAL_MS,
    scan_delay_ms: int = STARTUP_SCAN_DELAY_MS,
    clock: Clock = utc_now,
    trash: Trash = send_to_trash,
    export_picker: ExportPicker = pick_export_path,
) -> Gui:
    tokens = tokens if tokens is not None else TokenStore(client.home)
    # Background tasks (and previews) wait to start while a search is on its way; searches
    # have their own runner, which must not.
    runner = runner if runner is not None else TaskRunner(threads=2, pacer=client.pacer)
    # PDFium is not thread-safe: previews render one at a time.
    preview_runner = (
        preview_runner if preview_runner is not None else TaskRunner(threads=1, pacer=client.pacer)
    )
    sync_runner = sync_runner if sync_runner is not None else TaskRunner(threads=1)
    # One search at a time runs (the view keeps at most one in flight).
    search_runner = search_runner if search_runner is not None else TaskRunner(threads=1)
    bridge = CoreBridge()
    index_service = IndexService(
        client.library,
        on_report=bridge.on_index_report,
        on_error=bridge.on_index_error,
        on_progress=bridge.on_index_progress,
    )
    watcher = FolderWatcher(index_service.request) if watch else None
    sync = SyncController(
        sync=_sync_function(client, tokens),
        status=_status_function(client),
        runner=sync_runner,
        on_progress=bridge.on_sync_progress,
        on_changed_paths=index_service.request,
        interval_ms=sync_interval_ms,
    )
    bridge.sync_progressed.connect(sync.note_progress)
    window = MainWindow(
        client=client,
        runner=runner,
        search_runner=search_runner,
        preview_runner=preview_runner,
        bridge=bridge,
        launcher=launcher,
        qsettings=qsettings,
        index_service=index_service,
        watcher=watcher,
        sync=sync,
        connect_hub=_hub_connector(client, tokens),
        has_token=lambda url: tokens.load(url) is not None,
        start_demo=start_demo,
        folder_picker=folder_picker,
        freshness=_freshness_lookup(client),
    )
    window.build_menus()
    freshness = FreshnessUi(
        window,
        client,
        runner=runner,
        tokens=tokens,
        index_service=index_service,
        sync=sync,
        launcher=launcher,
        folder_picker=folder_picker,
        clock=clock,
        trash=trash,
        watch=watch,
    )
    gui = Gui(
        client,
        window,
        runner,
        preview_runner,
        sync_runner,
        bridge,
        index_service,
        watcher,
        sync,
        scan_delay_ms,
        freshness,
        RequestsUi(window, client, runner=runner, sync=sync, launcher=launcher, tokens=tokens),
        kits=install_kits(
            window,
            KitsController(_kits_factory(client, clock), runner, clock=clock, parent=window),
            sync=sync,
            opener=freshness.opener,  # one opener: the app's open-latest path
            launcher=launcher,
            export_picker=export_picker,
        ),
        search_runner=search_runner,
    )
    install_view_menu(window)  # last: it lists every view's tab
    return gui


def _sync_function(
    client: Client, tokens: TokenStore
) -> Callable[[SyncControl, ProgressCallback], SyncResult]:
    def run_sync(control: SyncControl, on_progress: ProgressCallback) -> SyncResult:
        settings = client.settings
        source = open_source(client.sessions, tokens, connections=settings.parallel_downloads)
        try:
            syncer = Syncer(
                client.home,
                client.sessions,
                source,
                jobs=settings.parallel_downloads,
                metered=settings.metered,
                control=control,
                on_progress=on_progress,
            )
            return syncer.run()
        finally:
            source.close()

    return run_sync


def _status_function(client: Client) -> Callable[[], SyncStatus]:
    def read_status() -> SyncStatus:
        return sync_status(client.home, client.sessions)

    return read_status


def _kits_factory(client: Client, clock: Clock) -> Callable[[], Kits]:
    def kits() -> Kits:
        expiring_days = client.settings.expiring_days  # as set now
        return Kits(client.home, client.sessions, expiring_days=expiring_days, clock=clock)

    return kits


def _freshness_lookup(client: Client) -> Callable[[str], FreshnessReport]:
    def lookup(doc_id: str) -> FreshnessReport:
        return read_freshness(
            client.home,
            client.readers,  # reads only: never queued behind a sync or a scan writing
            expiring_days=client.settings.expiring_days,
            now=utc_now(),
            only=[doc_id],
        )

    return lookup


def _hub_connector(client: Client, tokens: TokenStore) -> HubConnector:
    def connect(url: str, token: str) -> str:
        connection = connect_hub(client.sessions, tokens, url, token)
        noun = "document" if connection.documents == 1 else "documents"
        return f"Connected to {connection.location}: {connection.documents:,} {noun}."

    return connect
