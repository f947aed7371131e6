"""The main window: views in tabs (search first), menus, the status bar and the tray.

Features add their own views with ``add_view``; the tab bar appears once there are two.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QWidget

from fieldkit.core.client import Client
from fieldkit.core.errors import FieldkitError, UsageError
from fieldkit.core.index import SearchResults
from fieldkit.core.indexer import IndexService
from fieldkit.core.library import (
    PERSONAL,
    FolderInfo,
    IndexProgress,
    IndexReport,
    LibraryStatus,
)
from fieldkit.core.sync import SyncProgress
from fieldkit.core.watch import FolderWatcher
from fieldkit.ui import appearance
from fieldkit.ui.bridge import CoreBridge
from fieldkit.ui.first_run import DemoStarter, FirstRunDialog, HubConnector
from fieldkit.ui.health import SYNC, HealthDialog, Problem, reading_problems
from fieldkit.ui.history import QueryHistory
from fieldkit.ui.launch import GEOMETRY_KEY
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.preview import FreshnessLookup
from fieldkit.ui.search_view import SearchView
from fieldkit.ui.settings_dialog import FolderPicker, SettingsDialog, SettingsForm, pick_folder
from fieldkit.ui.status_bar import NOT_CONNECTED, Activity, EtaClock, StatusPanel
from fieldkit.ui.sync_controller import SyncController, SyncState
from fieldkit.ui.tasks import TaskRunner
from fieldkit.ui.tray import Tray

STATE_KEY = "window/state"
SPLITTER_KEY = "window/splitter"
RESULTS_HEADER_KEY = "window/results_header"
FIRST_RUN_KEY = "first_run/done"
FIRST_RESULTS_WAIT_MS = 3000

# Whether a token is saved for a hub address.
TokenLookup = Callable[[str], bool]


class MainWindow(QMainWindow):
    # The rep changed settings and they were saved.
    settings_saved = Signal(SettingsForm)
    # The Settings dialog opened (features add their own groups to it).
    settings_opened = Signal(SettingsDialog)
    # A click on a notification showed its view: (the view's tab title, the item to select).
    notification_opened = Signal(str, str)

    def __init__(
        self,
        *,
        client: Client,
        runner: TaskRunner,
        search_runner: TaskRunner,
        preview_runner: TaskRunner,
        bridge: CoreBridge,
        launcher: Launcher,
        qsettings: QSettings,
        index_service: IndexService,
        watcher: FolderWatcher | None,
        sync: SyncController,
        connect_hub: HubConnector | None = None,
        has_token: TokenLookup | None = None,
        start_demo: DemoStarter | None = None,
        folder_picker: FolderPicker = pick_folder,
        freshness: FreshnessLookup | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._runner = runner
        self._bridge = bridge
        self._launcher = launcher
        self._qsettings = qsettings
        self._index_service = index_service
        self._watcher = watcher
        self._sync = sync
        self._connect_hub = connect_hub
        self._has_token = has_token
        self._start_demo = start_demo
        self._folder_picker = folder_picker
        self._index_eta = EtaClock()
        self._reading_problems: tuple[Problem, ...] = ()
        self._sync_progress: SyncProgress | None = None
        self._settings_before: SettingsForm | None = None
        self._health_dialog: HealthDialog | None = None
        self._settings_dialog: SettingsDialog | None = None
        self.first_run_dialog: FirstRunDialog | None = None
        self._indexing = False
        self._awaiting_first_results = False

        self.setWindowTitle("fieldkit")
        self.setWindowIcon(appearance.icon("fieldkit"))
        self.setAccessibleName("fieldkit")
        self.resize(1280, 800)

        self._make_actions()
        self.history = QueryHistory(qsettings)
        self.search_view = SearchView(
            client.library,
            search_runner,
            preview_runner,
            launcher,
            self.history,
            freshness,
            pacer=client.pacer,
        )
        self.search_view.notice_posted.connect(self._on_search_view_notice_posted)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)
        self.tabs.setAccessibleName("Views")
        self.setCentralWidget(self.tabs)
        self.add_view("Library", self.search_view)

        self.status_panel = StatusPanel(self.sync_action, self.pause_action)
        self.status_panel.health_requested.connect(self._on_status_panel_health_requested)
        self.statusBar().addPermanentWidget(self.status_panel, 1)
        self.statusBar().setSizeGripEnabled(False)

        self.tray = Tray(self.sync_action, self.quit_action, self)
        self.tray.show_requested.connect(self._on_tray_show_requested)
        self.tray.notified.connect(self._on_tray_notified)
        self.tray.notification_clicked.connect(self._on_tray_notification_clicked)

        bridge.index_progressed.connect(self._on_bridge_index_progressed)
        bridge.index_finished.connect(self._on_bridge_index_finished)
        bridge.index_failed.connect(self._on_bridge_index_failed)
        bridge.sync_progressed.connect(self._on_bridge_sync_progressed)
        sync.state_changed.connect(self._on_sync_state_changed)
        runner.task_failed.connect(self._on_runner_task_failed)
        self._restore_geometry()
        self._on_sync_state_changed(sync.state())

    # -- extension point ---------------------------------------------------------------------

    def add_view(self, title: str, widget: QWidget, icon: QIcon | None = None) -> int:
        widget.setAccessibleName(widget.accessibleName() or title)
        if icon is None:
            return self.tabs.addTab(widget, title)
        return self.tabs.addTab(widget, icon, title)

    # -- actions and menus -------------------------------------------------------------------

    def _make_actions(self) -> None:
        self.sync_action = QAction("Sync &now", self)
        self.sync_action.setShortcut(QKeySequence("Ctrl+R"))
        self.sync_action.setToolTip("Sync with the hub now (Ctrl+R)")
        self.sync_action.triggered.connect(self._on_sync_action_triggered)
        self.pause_action = QAction("&Pause", self)
        self.pause_action.setToolTip("Pause the downloads; resume later where they stopped")
        self.pause_action.triggered.connect(self._on_pause_action_triggered)
        self.settings_action = QAction("&Settings…", self)
        # The platform's own shortcut where it has one (none on some Linux desktops), and Ctrl+,.
        shortcuts = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        comma = QKeySequence("Ctrl+,")
        self.settings_action.setShortcuts([*shortcuts, *([] if comma in shortcuts else [comma])])
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self._on_settings_action_triggered)
        self.health_action = QAction("Sync &health…", self)
        self.health_action.triggered.connect(self._on_status_panel_health_requested)
        self.diagnostics_action = QAction("&Diagnostics…", self)
        self.diagnostics_action.triggered.connect(self._on_diagnostics_action_triggered)
        self.quit_action = QAction("&Quit", self)
        # The platform's own (none on Windows and some Linux desktops), else Ctrl+Q.
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcuts(quit_keys or [QKeySequence("Ctrl+Q")])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

    def build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.search_view.open_action)
        file_menu.addAction(self.search_view.show_in_folder_action)
        file_menu.addAction(self.search_view.copy_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.search_view.focus_search_action)
        sync_menu = self.menuBar().addMenu("&Sync")
        sync_menu.addAction(self.sync_action)
        sync_menu.addAction(self.pause_action)
        sync_menu.addAction(self.health_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.diagnostics_action)

    def _on_diagnostics_action_triggered(self) -> None:
        # Imported here: the doctor loads HTTP and the keyring, which start-up does not need.
        from fieldkit.ui.diagnostics import show_diagnostics

        show_diagnostics(self, self._client, self._runner)

    # -- start -------------------------------------------------------------------------------

    def start(self) -> None:
        """Show the state of things; called once the window is on screen.

        The library is listed first; the health of the index and the first-run check wait
        until then, so the first results do not share the CPU with them.
        """
        self.tray.show()
        self._awaiting_first_results = True
        self.search_view.results_shown.connect(self._on_search_view_results_shown)
        # Should the first search fail (a damaged index), the rest starts anyway.
        QTimer.singleShot(FIRST_RESULTS_WAIT_MS, self._after_first_results)
        self.search_view.refresh()
        self.search_view.focus_search()

    def _on_search_view_results_shown(self, _results: SearchResults) -> None:
        self._after_first_results()

    def _after_first_results(self) -> None:
        if not self._awaiting_first_results:
            return
        self._awaiting_first_results = False
        self.refresh_library_status()
        if not self._qsettings.value(FIRST_RUN_KEY, False, type=bool):
            self._runner.run(self._client.library.folders, self._on_folders_read_for_first_run)

    def refresh_library_status(self) -> None:
        self._runner.run(self._read_health, self._on_library_health_read)

    def _read_health(self) -> tuple[LibraryStatus, tuple[Problem, ...]]:
        library = self._client.library
        return library.status(), reading_problems(library.failures())

    def _on_library_health_read(self, outcome: tuple[LibraryStatus, tuple[Problem, ...]]) -> None:
        status, reading = outcome
        self._reading_problems = reading
        self.search_view.set_index_note(
            "" if status.index_ok else "The search index is being rebuilt; results may be missing."
        )
        self._update_health()

    # -- first run ---------------------------------------------------------------------------

    def _on_folders_read_for_first_run(self, folders: tuple[FolderInfo, ...]) -> None:
        personal = [f for f in folders if f.kind == PERSONAL]
        if personal or self._sync.state().connection != NOT_CONNECTED:
            self._qsettings.setValue(FIRST_RUN_KEY, True)
            return
        self.show_first_run()

    def show_first_run(self) -> FirstRunDialog:
        dialog = FirstRunDialog(self._runner, self._connect_hub, self._start_demo, self)
        dialog.connected.connect(self._on_first_run_connected)
        dialog.finished.connect(self._on_first_run_finished)
        self.first_run_dialog = dialog
        dialog.open()
        return dialog

    def _on_first_run_connected(self, _choice: str) -> None:
        self._sync.refresh_status()
        self._sync.sync_now()
        # What the connection brought (the demo syncs before it reports) gets indexed.
        self._index_service.request(None)

    def _on_first_run_finished(self, result: int) -> None:
        dialog = self.first_run_dialog
        self._qsettings.setValue(FIRST_RUN_KEY, True)
        if dialog is not None and dialog.choice == "own-folders":
            self._on_settings_action_triggered()
        self.first_run_dialog = None

    # -- settings ----------------------------------------------------------------------------

    def _on_settings_action_triggered(self) -> None:
        if self._settings_dialog is not None:
            self._settings_dialog.raise_()
            return
        state = self._sync.state()
        url = state.source if state.source_kind == "hub" and state.source else ""
        client, has_token = self._client, self._has_token

        def read_form() -> SettingsForm:
            # Off the UI thread: the catalog, and the keyring (which may ask the desktop).
            folders = client.library.folders()
            return SettingsForm(
                settings=client.settings,
                hub_url=url,
                token="",
                has_token=bool(url) and has_token is not None and has_token(url),
                mirror=client.home.mirror_dir,
                folders=tuple(Path(f.path) for f in folders if f.kind == PERSONAL),
            )

        self._runner.run(read_form, self.open_settings)

    def settings_dialog(self) -> SettingsDialog | None:
        return self._settings_dialog

    def open_settings(self, form: SettingsForm) -> SettingsDialog:
        dialog = SettingsDialog(
            form, open_folder=self._open_folder, folder_picker=self._folder_picker, parent=self
        )
        dialog.accepted.connect(self._on_settings_dialog_accepted)
        dialog.finished.connect(self._on_settings_dialog_finished)
        self._settings_dialog = dialog
        self._settings_before = form
        self.settings_opened.emit(dialog)
        dialog.open()
        return dialog

    def _on_settings_dialog_accepted(self) -> None:
        dialog, before = self._settings_dialog, self._settings_before
        if dialog is None or before is None:
            return
        after = dialog.result_form()
        self._runner.run(
            lambda: self._apply_settings(before, after),
            self._on_settings_applied,
            self._on_settings_failed,
        )

    def _on_settings_dialog_finished(self, _result: int) -> None:
        self._settings_dialog = None

    def _apply_settings(self, before: SettingsForm, after: SettingsForm) -> SettingsForm:
        """Runs on the task runner: save settings, change folders, connect a new hub."""
        client = self._client
        if after.settings != client.settings:
            client.save_settings(after.settings)
        for folder in before.folders:
            if folder not in after.folders:
                client.library.remove_folder(folder)
        for folder in after.folders:
            if folder not in before.folders:
                client.library.add_folder(folder)
        hub_changed = after.hub_url != before.hub_url or bool(after.token)
        if hub_changed and after.hub_url and self._connect_hub is not None:
            if not after.token and not before.has_token:
                raise UsageError("Enter the access token for this hub.")
            self._connect_hub(after.hub_url, after.token)
        return after

    def _on_settings_applied(self, form: SettingsForm) -> None:
        if self._watcher is not None:
            for folder in form.folders:
                self._watcher.watch(folder)
        self._index_service.request(None)
        self._sync.refresh_status()
        self.status_panel.show_notice("Settings saved.")
        self.settings_saved.emit(form)

    def _on_settings_failed(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, FieldkitError) else "Settings could not be saved."
        QMessageBox.warning(self, "Settings", message)

    def _open_folder(self, path: Path) -> None:
        try:
            self._launcher.open_file(path)
        except FieldkitError as exc:
            self.status_panel.show_notice(str(exc))

    # -- sync --------------------------------------------------------------------------------

    def _on_sync_action_triggered(self) -> None:
        self._sync.sync_now()

    def _on_pause_action_triggered(self) -> None:
        self._sync.toggle_pause()

    def _on_sync_state_changed(self, state: SyncState) -> None:
        self.status_panel.set_connection(state.connection, state.source)
        self.status_panel.set_last_sync(state.last_sync_at)
        connected = state.connection != NOT_CONNECTED
        self.sync_action.setEnabled(connected and not state.running)
        self.pause_action.setEnabled(state.running)
        self.pause_action.setText("&Resume" if state.paused else "&Pause")
        if not connected:
            self.sync_action.setToolTip("Connect to a hub in Settings to sync")
        if not state.running:
            self._sync_progress = None
        self._show_sync_activity()
        self.search_view.set_syncing(state.running)
        if state.message:
            self.status_panel.show_notice(state.message)
        self._update_health()

    def _on_bridge_sync_progressed(self, progress: SyncProgress) -> None:
        if self._sync.state().running:
            self._sync_progress = progress
            self._show_sync_activity()

    def _show_sync_activity(self) -> None:
        state, progress = self._sync.state(), self._sync_progress
        if not state.running:
            self.status_panel.set_activity("sync", None)
        elif state.paused:
            done, total = (progress.files_done, progress.files_total) if progress else (0, 0)
            self.status_panel.set_activity("sync", Activity("Paused", done, total, None))
        elif progress is None:
            self.status_panel.set_activity("sync", Activity("Checking the hub", 0, 0, None))
        else:
            rate = f"{progress.rate_bps / 1_000_000:.1f} MB/s" if progress.rate_bps else ""
            eta = progress.eta_s
            activity = Activity("Syncing", progress.files_done, progress.files_total, eta, rate)
            self.status_panel.set_activity("sync", activity)

    # -- indexing ----------------------------------------------------------------------------

    def _on_bridge_index_progressed(self, progress: IndexProgress) -> None:
        if progress.total == 0:
            return
        self._indexing = progress.done < progress.total
        eta = self._index_eta.estimate(progress.done, progress.total)
        activity = Activity("Indexing", progress.done, progress.total, eta)
        self.status_panel.set_activity("index", activity if self._indexing else None)
        self._update_health()

    def _on_bridge_index_finished(self, report: IndexReport) -> None:
        self._indexing = False
        self._awaiting_first_results = False
        self.status_panel.set_activity("index", None)
        if report.indexed or report.removed or report.failed or report.rebuilt:
            self.search_view.refresh()
        self.refresh_library_status()

    def _on_bridge_index_failed(self, error: BaseException) -> None:
        self._indexing = False
        self._awaiting_first_results = False
        self.status_panel.set_activity("index", None)
        message = str(error) if isinstance(error, FieldkitError) else "Indexing failed."
        self.status_panel.show_notice(message)

    # -- health ------------------------------------------------------------------------------

    def problems(self) -> tuple[Problem, ...]:
        syncing = tuple(
            Problem(SYNC, failure.doc_id, failure.reason, "hub")
            for failure in self._sync.state().failures
        )
        return syncing + self._reading_problems

    def _update_health(self) -> None:
        state = self._sync.state()
        problems = self.problems()
        self.status_panel.set_health(len(problems), state.pending)
        running = "Syncing" if state.running else "Indexing" if self._indexing else ""
        if problems:
            self.tray.set_status(f"{len(problems)} problem(s)")
        elif running:
            self.tray.set_status(running)
        else:
            self.tray.set_status(self.status_panel.connection_words())
        if self._health_dialog is not None:
            self._health_dialog.set_state(problems, pending=state.pending, running=running)

    def _on_status_panel_health_requested(self) -> None:
        if self._health_dialog is None:
            self._health_dialog = HealthDialog(self)
        self._update_health()
        self._health_dialog.show()
        self._health_dialog.raise_()
        self.refresh_library_status()

    def health_dialog(self) -> HealthDialog | None:
        return self._health_dialog

    # -- notices, errors, tray ---------------------------------------------------------------

    def _on_search_view_notice_posted(self, text: str) -> None:
        self.status_panel.show_notice(text)

    def _on_runner_task_failed(self, error: BaseException) -> None:
        if isinstance(error, FieldkitError):
            self.status_panel.show_notice(str(error))
        else:
            QMessageBox.critical(
                self,
                "Something went wrong",
                f"fieldkit hit a problem it did not expect:\n\n{type(error).__name__}: {error}\n\n"
                "Details are in the log.",
            )

    def _on_tray_show_requested(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _on_tray_notification_clicked(self, view: str, item: str) -> None:
        self._on_tray_show_requested()
        for tab in range(self.tabs.count()):
            if view and self.tabs.tabText(tab) == view:  # the title given to add_view
                self.tabs.setCurrentIndex(tab)
                self.notification_opened.emit(view, item)
                return

    def _on_tray_notified(self, title: str, text: str) -> None:
        if not self.tray.available:
            self.status_panel.show_notice(f"{title}: {text}")

    # -- geometry ----------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self._qsettings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        state = self._qsettings.value(STATE_KEY)
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state))
        splitter = self._qsettings.value(SPLITTER_KEY)
        if isinstance(splitter, QByteArray | bytes):
            self.search_view.splitter.restoreState(QByteArray(splitter))
        header = self._qsettings.value(RESULTS_HEADER_KEY)
        if isinstance(header, QByteArray | bytes):
            self.search_view.results_view.restore_header(QByteArray(header))

    def save_geometry(self) -> None:
        self._qsettings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self._qsettings.setValue(STATE_KEY, self.saveState())
        self._qsettings.setValue(SPLITTER_KEY, self.search_view.splitter.saveState())
        header = self.search_view.results_view.header().saveState()
        self._qsettings.setValue(RESULTS_HEADER_KEY, header)
        self._qsettings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        self.tray.hide()
        super().closeEvent(event)
