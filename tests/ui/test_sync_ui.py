"""Sync in the window, against a real hub on 127.0.0.1: progress, pause, online and offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QObject, QSettings, Slot
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher, running_hub, write_hub_folder

from fieldkit.core.client import Client, open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.home import HomePaths
from fieldkit.core.sync import SyncProgress, connect_hub
from fieldkit.hub import HubServer
from fieldkit.ui.app import Gui, build_gui
from fieldkit.ui.results_model import ROW_ROLE
from fieldkit.ui.status_bar import OFFLINE, ONLINE, StatusPanel


class ActivityRecorder(QObject):
    """Notes what the status bar said each time sync progress reached the UI thread."""

    def __init__(self, panel: StatusPanel) -> None:
        super().__init__()
        self.panel = panel
        self.seen: list[str] = []

    @Slot(SyncProgress)
    def record(self, _progress: SyncProgress) -> None:
        self.seen.append(self.panel.activity_words())


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[HubServer, str]]:
    approved = write_hub_folder(tmp_path / "approved")
    with running_hub(approved, tmp_path / "hub.sqlite3") as running:
        yield running


@pytest.fixture
def tokens(home: HomePaths) -> TokenStore:
    return TokenStore(home, fail.Keyring())


@pytest.fixture
def hub_client(home: HomePaths, hub: tuple[HubServer, str], tokens: TokenStore) -> Iterator[Client]:
    server, token = hub
    with open_client(home) as client:
        connect_hub(client.sessions, tokens, server.url, token)
        yield client


@pytest.fixture
def sync_gui(
    qtbot: QtBot,
    hub_client: Client,
    tokens: TokenStore,
    launcher: RecordingLauncher,
    qsettings: QSettings,
) -> Iterator[Gui]:
    gui = build_gui(hub_client, launcher=launcher, qsettings=qsettings, tokens=tokens, watch=False)
    qtbot.addWidget(gui.window)
    gui.window.show()
    gui.start(sync_now=False)
    yield gui
    gui.close()


def test_sync_shows_progress_then_online_and_new_content_is_searchable(
    qtbot: QtBot, sync_gui: Gui
) -> None:
    window = sync_gui.window
    panel = window.status_panel
    qtbot.waitUntil(lambda: "Not checked yet" in panel.connection_label.text())
    assert panel.last_sync_label.text() == "Never synced"
    assert window.sync_action.isEnabled()
    recorder = ActivityRecorder(panel)
    sync_gui.bridge.sync_progressed.connect(recorder.record)

    with (
        qtbot.waitSignal(sync_gui.sync.sync_finished) as finished,
        qtbot.waitSignal(window.tray.notified),
    ):
        window.sync_action.trigger()
        assert panel.activity_words() == "Checking the hub…"
        assert window.pause_action.isEnabled()
    result = finished.args[0]
    assert result.ok and result.downloaded == 4
    assert any(text.startswith("Syncing") and "of 4" in text for text in recorder.seen)
    assert panel.connection() == ONLINE
    assert "Online" in panel.connection_label.text()
    qtbot.waitUntil(lambda: panel.last_sync_label.text() == "Last good sync just now")
    assert panel.activity() is None or panel.activity_words().startswith("Indexing")
    assert "New content: 4 new or updated documents" in panel.notice()

    view = window.search_view
    view.search_field.clear()
    qtbot.keyClicks(view.search_field, "lineage")

    def found() -> bool:
        rows = [view.proxy.index(r, 0).data(ROW_ROLE) for r in range(view.proxy.rowCount())]
        return {hit.title for hit in rows} >= {"Halyard vs Stratosync", "Lineage one-pager"}

    qtbot.waitUntil(found, timeout=15_000)
    qtbot.waitUntil(lambda: panel.health_button.text() == "✓ Up to date", timeout=15_000)


def test_pause_holds_the_downloads_until_resumed(qtbot: QtBot, sync_gui: Gui) -> None:
    window = sync_gui.window
    panel = window.status_panel
    qtbot.waitUntil(lambda: "Not checked yet" in panel.connection_label.text())
    window.sync_action.trigger()
    window.pause_action.trigger()
    assert sync_gui.sync.state().paused
    assert window.pause_action.text() == "&Resume"
    qtbot.waitUntil(lambda: panel.activity_words().startswith("Paused"))
    assert not sync_gui.sync.state().failures
    with qtbot.waitSignal(sync_gui.sync.sync_finished) as finished:
        window.pause_action.trigger()
    assert finished.args[0].downloaded == 4
    assert window.pause_action.text() == "&Pause"
    assert not window.pause_action.isEnabled()


def test_an_unreachable_hub_shows_offline_and_keeps_the_last_good_sync(
    qtbot: QtBot, sync_gui: Gui, hub: tuple[HubServer, str]
) -> None:
    window = sync_gui.window
    panel = window.status_panel
    qtbot.waitUntil(window.sync_action.isEnabled)
    with qtbot.waitSignal(sync_gui.sync.sync_finished):
        window.sync_action.trigger()
    qtbot.waitUntil(lambda: panel.last_sync_label.text() == "Last good sync just now")

    server, _token = hub
    server.stop()
    with qtbot.waitSignal(sync_gui.sync.sync_finished) as finished:
        window.sync_action.trigger()
    assert finished.args[0].offline
    assert panel.connection() == OFFLINE
    assert "Offline" in panel.connection_label.text()
    qtbot.waitUntil(lambda: panel.last_sync_label.text() == "Last good sync just now")
    assert "can't be reached" in panel.notice()
    assert window.sync_action.isEnabled()  # the rep can try again


def test_preview_tells_the_state_versions_and_the_replacement(
    qtbot: QtBot, sync_gui: Gui
) -> None:
    window = sync_gui.window
    view = window.search_view
    qtbot.waitUntil(window.sync_action.isEnabled)
    with qtbot.waitSignal(sync_gui.bridge.index_finished, timeout=20_000):
        window.sync_action.trigger()
    view.search_field.clear()
    preview = view.preview
    with qtbot.waitSignal(
        preview.freshness_shown,
        timeout=10_000,
        check_params_cb=lambda document: document.title == "Lineage note (2025)",
    ) as shown:
        qtbot.keyClicks(view.search_field, "first audit trail")
    assert shown.args[0].title == "Lineage note (2025)"
    assert shown.args[0].state == "superseded"
    hit = view.current_hit()
    assert hit is not None and hit.title == "Lineage note (2025)"
    assert "Superseded by “Lineage one-pager”" in preview.reason_label.text()
    assert preview.versions_label.text().startswith("You have the latest, v1")
    assert "Hub checked just now" in preview.versions_label.text()

    with qtbot.waitSignal(view.results_shown):
        preview.reason_label.linkActivated.emit("replacement")
    assert view.search_field.text() == "Lineage one-pager"
    assert view.current_hit() is not None
