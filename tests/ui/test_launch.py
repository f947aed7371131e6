"""Opening the app: a window at once, typing kept, the real window once the library is open."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher

from fieldkit.core.client import Client, open_client
from fieldkit.core.errors import StorageError
from fieldkit.core.home import HomePaths
from fieldkit.ui.app import Gui, build_gui
from fieldkit.ui.launch import Launch


def test_typing_in_the_first_second_carries_over_to_the_window(
    qtbot: QtBot, client: Client, qsettings: QSettings, launcher: RecordingLauncher
) -> None:
    home = client.home
    client.close()  # the launch opens the library itself
    typed = threading.Event()

    def slow_open(home: HomePaths) -> Client:
        typed.wait(10)  # the library is "still loading" while the rep types
        return open_client(home)

    def build(opened: Client) -> Gui:
        return build_gui(opened, launcher=launcher, qsettings=qsettings, watch=False)

    launch = Launch(home, qsettings, build=build, open_client=slow_open)
    try:
        launch.start()
        qtbot.waitExposed(launch.shell)
        assert launch.shell.focusWidget() is launch.shell.search_field
        qtbot.keyClicks(launch.shell.search_field, "anomaly")
        with qtbot.waitSignal(launch.gui_ready, timeout=20_000) as ready:
            typed.set()
        gui = ready.args[0]
        view = gui.window.search_view
        assert not launch.shell.isVisible()
        assert gui.window.isVisible()
        assert view.search_field.text() == "anomaly"
        qtbot.waitUntil(lambda: (r := view.shown_results()) is not None and r.query == "anomaly")
        assert [h.title for h in view.shown_results().hits] == ["Sentinel data sheet"]
    finally:
        launch.close()


def test_a_library_that_cannot_open_says_so_in_the_window(
    qtbot: QtBot, tmp_path: Path, qsettings: QSettings
) -> None:
    def broken_open(_home: HomePaths) -> Client:
        raise StorageError("The disk is full.")

    def build(_client: Client) -> Gui:
        raise AssertionError("no window without a library")

    launch = Launch(HomePaths(tmp_path / "home"), qsettings, build=build, open_client=broken_open)
    with qtbot.waitSignal(launch.failed) as failed:
        launch.start()
    assert failed.args == ["The disk is full."]
    assert "could not be opened" in launch.shell.message.text()
    assert not launch.shell.search_field.isEnabled()
    launch.shell.close()


def test_the_launch_module_loads_no_core() -> None:
    """The shell paints before the core is imported: keep fieldkit.ui.launch light."""
    code = (
        "import sys, fieldkit.ui.launch\n"
        "heavy = ('sqlalchemy', 'whoosh', 'httpx', 'pypdfium2', 'fieldkit.core.client')\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_window_loads_no_keyring_hub_or_extractors() -> None:
    """Start-up loads what the first listing needs: the keyring, the hub, PDFium and lxml wait
    for their use (a token read, Diagnostics, the demo, reading a file, a preview)."""
    code = (
        "import sys, fieldkit.core.client, fieldkit.ui.app\n"
        "heavy = ('keyring', 'uvicorn', 'fieldkit.hub', 'pypdfium2', 'lxml')\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
    )
    command = [sys.executable, "-c", code]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    assert result.stdout.strip() == ""
