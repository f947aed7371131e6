"""Wires requests, feedback and usage signals into the window (called once by the composition
root): the app's one outbox sender, the "Outbox & requests" tab, the Requests menu and the
results' context menu, the one-click request from a search that found little, usage signals
from the search view, and a notification for each request marketing moves on."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.outbox import LOCK_FILE, Backoff, saved_hub_address
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.main_window import MainWindow
from fieldkit.ui.outbox_service import OutboxService
from fieldkit.ui.outbox_view import OutboxView
from fieldkit.ui.request_actions import RequestActions
from fieldkit.ui.sync_controller import SyncController
from fieldkit.ui.tasks import TaskRunner
from fieldkit.ui.usage_recorder import SETTLE_MS, UsageRecorder

VIEW_TITLE = "Outbox && requests"  # "&&" shows one "&" in a tab


class RequestsUi(QObject):
    def __init__(
        self,
        window: MainWindow,
        client: Client,
        *,
        runner: TaskRunner,
        sync: SyncController,
        launcher: Launcher,
        tokens: TokenStore,
        offline_backoff: Backoff | None = None,
        settle_ms: int = SETTLE_MS,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._stopped = False
        self.service = OutboxService(
            client.outbox,
            address=lambda: saved_hub_address(client.sessions, tokens),
            lock_path=client.home.root / LOCK_FILE,
            sessions=client.sessions,
            # Read at each round: switching signals off in Settings drops those waiting.
            signals_enabled=lambda: client.settings.usage_signals,
            offline_backoff=offline_backoff,
            parent=self,
        )
        self.view = OutboxView(
            self.service, runner, launcher, client.home.mirror_dir, self._notify
        )
        self.view.setAccessibleName("Outbox and requests")
        window.add_view(VIEW_TITLE, self.view)
        self.actions = RequestActions(
            window.search_view, runner, client.outbox, window, window.status_panel.show_notice
        )
        self.actions.install(window)
        search_view = window.search_view
        self.recorder = UsageRecorder(
            client.signals, runner, search_view.search_field.text, settle_ms=settle_ms,
            parent=self,
        )
        search_view.results_shown.connect(self.recorder.on_results_shown)
        search_view.document_opened.connect(self.recorder.on_document_opened)
        self.recorder.recorded.connect(self.view.refresh)
        sync.state_changed.connect(self.service.on_sync_state_changed)
        sync.content_arrived.connect(self.view.refresh_after_sync)

    def start(self, delay_ms: int = 0) -> None:
        """Start the sender after ``delay_ms`` (the first search has the CPU meanwhile)."""
        QTimer.singleShot(delay_ms, self._on_start_timer_timeout)

    def _on_start_timer_timeout(self) -> None:
        if not self._stopped:
            self.service.start()

    def stop(self) -> None:
        self._stopped = True
        self.service.stop()

    def _notify(self, title: str, text: str) -> None:
        """News of a request; a click on the notification shows this tab."""
        self._window.tray.notify(title, text, VIEW_TITLE)
