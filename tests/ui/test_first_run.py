"""The first run: an empty home offers to connect to a hub, open the demo, or use own folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher, running_hub, write_hub_folder

from fieldkit.core.client import Client, open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.home import HomePaths
from fieldkit.core.sync import sync_status
from fieldkit.ui.app import Gui, build_gui
from fieldkit.ui.demo_library import DemoLibrary
from fieldkit.ui.first_run import FirstRunDialog
from fieldkit.ui.main_window import FIRST_RUN_KEY
from fieldkit.ui.status_bar import ONLINE


@pytest.fixture
def empty_client(home: HomePaths) -> Iterator[Client]:
    with open_client(home) as client:
        yield client


def start_gui(
    qtbot: QtBot, client: Client, qsettings: QSettings, **extra: object
) -> Gui:
    gui = build_gui(
        client,
        launcher=RecordingLauncher(),
        qsettings=qsettings,
        tokens=TokenStore(client.home, fail.Keyring()),
        watch=False,
        **extra,  # type: ignore[arg-type]
    )
    qtbot.addWidget(gui.window)
    gui.window.show()
    gui.start(sync_now=False)
    return gui


def first_run_dialog(qtbot: QtBot, gui: Gui) -> FirstRunDialog:
    qtbot.waitUntil(lambda: gui.window.first_run_dialog is not None)
    dialog = gui.window.first_run_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_first_run_connects_to_a_hub_and_syncs(
    qtbot: QtBot, empty_client: Client, qsettings: QSettings, tmp_path: Path
) -> None:
    approved = write_hub_folder(tmp_path / "approved")
    with running_hub(approved, tmp_path / "hub.sqlite3") as (server, token):
        gui = start_gui(qtbot, empty_client, qsettings)
        try:
            dialog = first_run_dialog(qtbot, gui)
            assert not dialog.demo_button.isVisibleTo(dialog)  # no demo handed in
            dialog.url.setText(server.url)
            dialog.token.setText("wrong-token")
            with qtbot.waitSignal(dialog.connect_button.clicked):
                dialog.connect_button.click()
            qtbot.waitUntil(lambda: dialog.connect_button.isEnabled())
            assert dialog.isVisible()
            assert dialog.message.text()  # the refusal, in words

            dialog.token.setText(token)
            with qtbot.waitSignals([dialog.connected, gui.sync.sync_finished], timeout=20_000):
                dialog.connect_button.click()
            assert not dialog.isVisible()
            assert gui.sync.state().connection == ONLINE
            assert sync_status(empty_client.home, empty_client.sessions).current == 4
            assert qsettings.value(FIRST_RUN_KEY, type=bool)
        finally:
            gui.close()


def test_first_run_can_open_the_demo(
    qtbot: QtBot, empty_client: Client, qsettings: QSettings
) -> None:
    started: list[str] = []

    def start_demo() -> str:
        started.append("demo")
        return "The demo library is open."

    gui = start_gui(qtbot, empty_client, qsettings, start_demo=start_demo)
    try:
        dialog = first_run_dialog(qtbot, gui)
        assert dialog.demo_button.isVisibleTo(dialog)
        with qtbot.waitSignal(dialog.connected) as connected:
            dialog.demo_button.click()
        assert connected.args == ["demo"]
        assert started == ["demo"]
        assert dialog.outcome == "The demo library is open."
    finally:
        gui.close()


def test_first_run_opens_the_real_demo_library(
    qtbot: QtBot, empty_client: Client, qsettings: QSettings
) -> None:
    """What ``fieldkit app`` hands the first run: the demo hub starts on the task runner (the
    window keeps answering), the library connects and syncs, and the index lists its documents."""
    demo = DemoLibrary(empty_client)
    # No start-up scan during the test: what the demo brought is indexed because it connected.
    gui = start_gui(
        qtbot, empty_client, qsettings, start_demo=demo.start, scan_delay_ms=600_000
    )
    view = gui.window.search_view
    try:
        dialog = first_run_dialog(qtbot, gui)
        with qtbot.waitSignal(dialog.connected, timeout=60_000):
            dialog.demo_button.click()
            # Starting takes seconds; the dialog says so, and the UI thread is free meanwhile.
            assert dialog.message.text() == "Starting the demo library…"
            assert not dialog.demo_button.isEnabled()
        assert "Halyard Analytics" in dialog.outcome

        def demo_listed() -> bool:
            results = view.shown_results()
            return results is not None and results.total >= 10 and not view.searching()

        qtbot.waitUntil(demo_listed, timeout=60_000)
        results = view.shown_results()
        assert results is not None
        assert any(hit.title.startswith("Halyard") for hit in results.hits)
        qtbot.waitUntil(lambda: gui.sync.state().connection == ONLINE, timeout=30_000)
        state = gui.sync.state()
        assert state.source_kind == "hub"
        assert (state.source or "").startswith("http://127.0.0.1:")
    finally:
        gui.close()
        demo.stop()
    assert qsettings.value(FIRST_RUN_KEY, type=bool)


def test_own_folders_goes_to_settings_and_first_run_is_not_shown_again(
    qtbot: QtBot, empty_client: Client, qsettings: QSettings, tmp_path: Path
) -> None:
    gui = start_gui(qtbot, empty_client, qsettings)
    try:
        dialog = first_run_dialog(qtbot, gui)
        dialog.skip_button.click()
        qtbot.waitUntil(lambda: gui.window.settings_dialog() is not None)
        settings = gui.window.settings_dialog()
        assert settings is not None and settings.isVisible()
        settings.reject()
    finally:
        gui.close()
    assert qsettings.value(FIRST_RUN_KEY, type=bool)

    again = start_gui(qtbot, empty_client, qsettings)
    try:
        qtbot.waitUntil(lambda: again.window.status_panel.connection_words() == "Not connected")
        assert again.window.first_run_dialog is None
    finally:
        again.close()
