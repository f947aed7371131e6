"""Freshness in the app, against a real hub: the core tests' laptop, hub and clock (reused from
tests/core/freshness_support.py), the OS trash under tmp_path, and the GUI built over them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher

_CORE_TESTS = str(Path(__file__).resolve().parents[1] / "core")
if _CORE_TESTS not in sys.path:
    sys.path.append(_CORE_TESTS)

from freshness_support import Clock, Laptop, RunningHub, at, publish  # noqa: E402

from fieldkit.core.credentials import TokenStore  # noqa: E402
from fieldkit.core.sync import connect_hub  # noqa: E402
from fieldkit.ui.app import Gui, build_gui  # noqa: E402

__all__ = ["Clock", "Laptop", "RunningHub", "at", "laptop_gui", "publish", "use_tmp_trash"]


@contextmanager
def use_tmp_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The freedesktop trash under ``tmp_path`` (send2trash reads XDG_DATA_HOME on import), as
    the core's stale-copy tests use it."""
    assert sys.platform.startswith("linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    module = importlib.import_module("send2trash.plat_other")
    importlib.reload(module)
    try:
        yield tmp_path / "data" / "Trash"
    finally:
        monkeypatch.undo()
        importlib.reload(module)


def connect(laptop: Laptop, hub: RunningHub) -> TokenStore:
    """The laptop connected to the hub the way the app connects (token in a keyring-less
    store), so open-latest can fetch through it."""
    tokens = TokenStore(laptop.home, fail.Keyring())
    connect_hub(laptop.sessions, tokens, hub.url, hub.token)
    return tokens


@contextmanager
def laptop_gui(
    qtbot: QtBot,
    laptop: Laptop,
    tokens: TokenStore,
    launcher: RecordingLauncher,
    qsettings: QSettings,
    clock: Clock,
    *,
    watch: bool = False,
) -> Iterator[Gui]:
    gui = build_gui(
        laptop.client,
        launcher=launcher,
        qsettings=qsettings,
        tokens=tokens,
        watch=watch,
        clock=clock,
        scan_delay_ms=0,
    )
    qtbot.addWidget(gui.window)
    gui.window.show()
    try:
        gui.start(sync_now=False)
        yield gui
    finally:
        gui.close()
