"""Logging to a rotating file in the per-user log folder, with nothing personal in it.

Paths under the user's home folder are written as ``~/…`` and the user name is masked, so a log can
be attached to a support ticket as it is. Uncaught exceptions are logged with their traceback.
"""

from __future__ import annotations

import getpass
import logging
import logging.handlers
import os
import sys
import threading
from pathlib import Path
from types import TracebackType

import platformdirs

LOG_FILE_NAME = "fieldkit.log"
_MAX_BYTES = 2 * 1024 * 1024
_BACKUPS = 5


def default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir("fieldkit", appauthor=False))


class PersonalDataFilter(logging.Filter):
    """Rewrites the user's home folder to ``~`` and masks the user name in every record."""

    def __init__(self, home: str | None = None, user: str | None = None) -> None:
        super().__init__()
        self._home = home if home is not None else os.path.expanduser("~")
        try:
            self._user = user if user is not None else getpass.getuser()
        except (KeyError, OSError):
            self._user = ""

    def scrub(self, text: str) -> str:
        if self._home and self._home != "/":
            text = text.replace(self._home, "~")
        if self._user and len(self._user) > 2:
            text = text.replace(self._user, "<user>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_text is None and record.exc_info[0] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_file_logging(log_dir: Path | None = None, level: int = logging.INFO) -> Path:
    """Send fieldkit's logs to a rotating file; returns the file's path."""
    folder = log_dir or default_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE_NAME
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    handler.addFilter(PersonalDataFilter())
    handler.setLevel(level)
    logger = logging.getLogger("fieldkit")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return path


def log_uncaught_exceptions() -> None:
    """Log any uncaught exception (main thread or worker threads) before the default handling."""
    log = logging.getLogger("fieldkit.crash")
    previous_hook = sys.excepthook
    previous_thread_hook = threading.excepthook

    def on_exception(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            log.critical("uncaught exception", exc_info=(kind, value, tb))
        previous_hook(kind, value, tb)

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            log.critical(
                "uncaught exception in thread %s",
                args.thread.name if args.thread else "?",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            )
        previous_thread_hook(args)

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception
