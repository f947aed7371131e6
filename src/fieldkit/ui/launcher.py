"""Handing files to the rest of the desktop: open in the default app, show in the file manager.

The window receives a ``Launcher``; tests pass one that records what it was asked, so nothing
is launched.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices

from fieldkit.core.errors import FieldkitError


class LaunchError(FieldkitError):
    """The desktop could not open the file or its folder."""


class Launcher(Protocol):
    def open_file(self, path: Path) -> None: ...

    def show_in_folder(self, path: Path) -> None: ...


class DesktopLauncher:
    """The real thing: the system's default app, and the platform's file manager."""

    def open_file(self, path: Path) -> None:
        _require(path)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            raise LaunchError(
                f"No app on this computer opens {path.suffix or 'this kind of'} files."
            )

    def show_in_folder(self, path: Path) -> None:
        _require(path)
        if sys.platform == "win32":
            started = QProcess.startDetached("explorer.exe", [f"/select,{path}"])[0]
        elif sys.platform == "darwin":
            started = QProcess.startDetached("open", ["-R", str(path)])[0]
        else:
            started = _freedesktop_show_items(path)
        if not started and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))):
            raise LaunchError(f"Could not open the folder {path.parent}.")


def _require(path: Path) -> None:
    if not path.exists():
        raise LaunchError(f"{path.name} is no longer at {path.parent}. Sync or re-index first.")


def _freedesktop_show_items(path: Path) -> bool:
    """Asks the file manager to select the file (org.freedesktop.FileManager1), if there is one."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    manager = QDBusInterface(
        "org.freedesktop.FileManager1",
        "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1",
        bus,
    )
    if not manager.isValid():
        return False
    reply = manager.call("ShowItems", [QUrl.fromLocalFile(str(path)).toString()], "")
    return not reply.errorMessage()
