"""The hub's composition root: one database, one scanner, one watcher, one manifest cache."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from fieldkit.core.errors import UsageError
from fieldkit.hub.manifest import ManifestCache
from fieldkit.hub.scanner import Scanner, ScanReport
from fieldkit.hub.store import HubStore, open_database, resolve_db_url
from fieldkit.hub.tokens import RepTokens
from fieldkit.hub.watcher import FolderWatcher

log = logging.getLogger(__name__)


class Hub:
    """Everything the hub's API needs, built once over ``root`` and a database engine.

    ``start()`` scans the folder and starts watching it; ``close()`` stops watching and releases
    the database. ``rescan()`` runs a full scan now (what the watcher does after events).
    """

    def __init__(
        self,
        root: Path,
        engine: Engine,
        *,
        poll: bool = False,
        rescan_interval: float = 300.0,
        debounce: float = 0.5,
    ) -> None:
        root = Path(root).expanduser().resolve()
        if not root.is_dir():
            raise UsageError(f"The hub folder {root} does not exist or is not a folder.")
        database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        if database and Path(database).resolve().is_relative_to(root):
            raise UsageError(
                f"Keep the hub database outside the folder it serves ({database} is inside "
                f"{root}); choose another place with --db."
            )
        self.root = root
        self.engine = engine
        self.store = HubStore(engine)
        self.reps = RepTokens(engine)
        self.scanner = Scanner(root, self.store)
        self.manifest = ManifestCache(self.store)
        self._watcher = FolderWatcher(
            root, self.rescan, poll=poll, debounce=debounce, rescan_interval=rescan_interval
        )
        self._watching = False

    @classmethod
    def open(
        cls,
        root: Path,
        db_url: str | None = None,
        *,
        poll: bool = False,
        rescan_interval: float = 300.0,
        debounce: float = 0.5,
    ) -> Hub:
        """A hub over ``root`` with the database at ``db_url`` (see :func:`resolve_db_url`)."""
        engine = open_database(resolve_db_url(db_url))
        try:
            return cls(
                root, engine, poll=poll, rescan_interval=rescan_interval, debounce=debounce
            )
        except BaseException:
            engine.dispose()
            raise

    def start(self) -> ScanReport:
        report = self.rescan()
        log.info(
            "%d documents in %s (%d hashed, %.2f s)",
            report.files,
            self.root,
            report.hashed,
            report.seconds,
        )
        self._watcher.start()
        self._watching = True
        return report

    def rescan(self) -> ScanReport:
        """A full scan now; after a change the new manifest is built here, so that the first
        client to ask for it does not wait."""
        report = self.scanner.scan()
        if report.changes.any:
            self.manifest.snapshot()
        return report

    def close(self) -> None:
        if self._watching:
            self._watcher.stop()
            self._watching = False
        self.engine.dispose()
