"""Start-up of the desktop app: the log file, the crash dialog, and a timed quit for smoke tests.

``prepare_application()`` runs before :func:`fieldkit.ui.launch.run`, which then uses the same
QApplication. Like ``launch``, this module loads only Qt and light parts of the core, so the
first window still comes up at once.

With ``FIELDKIT_QUIT_AFTER_MS`` set, the app quits by itself after that many milliseconds: how a
packaged build is smoke-started on a machine without a person at it. (``fieldkit app`` exits 1
if the library had not opened by then.)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fieldkit.core.errors import UsageError
from fieldkit.core.logs import install_file_logging
from fieldkit.ui.crash import CrashReporter, install_crash_dialog
from fieldkit.ui.launch import make_application

log = logging.getLogger(__name__)

QUIT_AFTER_ENV = "FIELDKIT_QUIT_AFTER_MS"


def prepare_application(log_dir: Path | None = None) -> tuple[QApplication, CrashReporter]:
    app = make_application()
    try:
        log_file: Path | None = install_file_logging(log_dir)
    except OSError as exc:
        log.warning("no log file: %s", exc)
        log_file = None
    reporter = install_crash_dialog(app, log_file)
    quit_after = quit_after_ms(os.environ.get(QUIT_AFTER_ENV))
    if quit_after is not None:
        QTimer.singleShot(quit_after, app.quit)
    return app, reporter


def quit_after_ms(value: str | None) -> int | None:
    if not value:
        return None
    try:
        ms = int(value)
    except ValueError:
        ms = -1
    if ms < 0:
        raise UsageError(f"{QUIT_AFTER_ENV} must be a number of milliseconds, not {value!r}.")
    return ms
