"""Wires freshness into the window (called once by the composition root): the Outdated tab, the
banner above the results, opening through open-latest, watched folders in Settings, and a "New
content" notification that names the documents."""

from __future__ import annotations

from PySide6.QtCore import QObject

from fieldkit.core import freshness
from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.indexer import IndexService
from fieldkit.core.open_latest import OpenTarget
from fieldkit.core.stale import Trash, send_to_trash
from fieldkit.ui.freshness_banner import FreshnessBanner
from fieldkit.ui.freshness_feature import FreshnessFeature, OutdatedSnapshot, latest_preparer
from fieldkit.ui.latest_opener import LatestOpener
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.main_window import MainWindow
from fieldkit.ui.outdated_view import OutdatedView
from fieldkit.ui.settings_dialog import FolderPicker, SettingsDialog, SettingsForm
from fieldkit.ui.sync_controller import SyncController
from fieldkit.ui.tasks import TaskRunner
from fieldkit.ui.watched_folders import WatchedFoldersGroup

VIEW_TITLE = "Outdated"


class FreshnessUi(QObject):
    def __init__(
        self,
        window: MainWindow,
        client: Client,
        *,
        runner: TaskRunner,
        tokens: TokenStore,
        index_service: IndexService,
        sync: SyncController,
        launcher: Launcher,
        folder_picker: FolderPicker,
        clock: freshness.Clock = freshness.utc_now,
        trash: Trash = send_to_trash,
        watch: bool = True,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._folder_picker = folder_picker
        self._folders_group: WatchedFoldersGroup | None = None
        self.feature = FreshnessFeature(
            client,
            runner=runner,
            scan_runner=TaskRunner(threads=1, parent=self),
            launcher=launcher,
            clock=clock,
            trash=trash,
            watch=watch,
            parent=self,
        )
        self.opener = LatestOpener(
            prepare=latest_preparer(client, tokens, index_service.request, clock),
            runner=runner,
            launcher=launcher,
            status=window.status_panel,
            parent=self,
        )
        self.view = OutdatedView(self.feature, self.opener, clock)
        window.add_view(VIEW_TITLE, self.view)
        self.banner = FreshnessBanner()
        window.search_view.add_banner(self.banner)
        window.search_view.set_opener(self.opener)

        self.banner.review_requested.connect(self._on_banner_review_requested)
        self.feature.outdated_read.connect(self._on_feature_outdated_read)
        self.feature.news_arrived.connect(self._on_feature_news_arrived)
        self.feature.notice_posted.connect(self._on_feature_notice_posted)
        self.opener.opened.connect(self._on_opener_opened)
        sync.sync_finished.connect(self.feature.on_sync_finished)
        sync.content_arrived.connect(self.feature.on_content_arrived)
        window.settings_opened.connect(self._on_window_settings_opened)
        window.settings_saved.connect(self._on_window_settings_saved)

    def start(self, delay_ms: int) -> None:
        self.feature.start(delay_ms)

    def stop(self) -> None:
        self.feature.stop()

    def folders_group(self) -> WatchedFoldersGroup | None:
        """The watched-folders group of the open Settings dialog, if any."""
        return self._folders_group

    # -- slots -------------------------------------------------------------------------------

    def _on_banner_review_requested(self) -> None:
        self._window.tabs.setCurrentWidget(self.view)

    def _on_feature_outdated_read(self, snapshot: OutdatedSnapshot) -> None:
        self.banner.set_snapshot(snapshot)

    def _on_feature_news_arrived(self, summary: str) -> None:
        self._window.tray.notify("New content", summary, VIEW_TITLE)  # a click shows What's new

    def _on_feature_notice_posted(self, text: str) -> None:
        self._window.status_panel.show_notice(text)

    def _on_opener_opened(self, target: OpenTarget) -> None:
        if target.fetched:
            self.feature.refresh()

    def _on_window_settings_opened(self, dialog: SettingsDialog) -> None:
        # The folders as last read (never read on the UI thread; the first read is at start).
        snapshot = self.feature.snapshot()
        group = WatchedFoldersGroup(
            snapshot.folders if snapshot is not None else (),
            snapshot.suggested if snapshot is not None else (),
            folder_picker=self._folder_picker,
        )
        dialog.add_group(group)
        dialog.accepted.connect(self._on_settings_dialog_accepted)
        dialog.finished.connect(self._on_settings_dialog_finished)
        self._folders_group = group

    def _on_window_settings_saved(self, _form: SettingsForm) -> None:
        # "Warn before expiry" may have changed what counts as expiring.
        self.feature.refresh()

    def _on_settings_dialog_accepted(self) -> None:
        group = self._folders_group
        if group is not None:
            self.feature.change_folders(group.changes())

    def _on_settings_dialog_finished(self, _result: int) -> None:
        self._folders_group = None
