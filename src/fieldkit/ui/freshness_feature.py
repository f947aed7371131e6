"""Freshness in the app: what is outdated, old copies elsewhere on the disk, and what is new.

``FreshnessFeature`` owns the core's services (:class:`StaleCopies`, :class:`StaleWatch`,
:class:`WhatsNewTracker`) and runs every read and action on task runners: the stale-copy scans on
a one-thread runner of their own (a big Downloads folder never holds up a search), the rest on
the app's runner. Results come back as frozen snapshots through signals;
:mod:`fieldkit.ui.freshness_ui` wires them into the window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from fieldkit.core import freshness
from fieldkit.core.catalog import KeyValue
from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.errors import FieldkitError
from fieldkit.core.fetch_one import source_fetcher
from fieldkit.core.freshness import FreshnessReport, read_freshness
from fieldkit.core.open_latest import Fetcher, OpenTarget, prepare_open
from fieldkit.core.stale import (
    Replaced,
    ScanReport,
    StaleCopies,
    StaleCopy,
    StaleWatch,
    Trash,
    send_to_trash,
    suggested_folders,
)
from fieldkit.core.sync import HUB_KEY, SyncResult, open_source
from fieldkit.core.whatsnew import WhatsNew, WhatsNewTracker
from fieldkit.ui.launcher import Launcher
from fieldkit.ui.tasks import TaskRunner

ChangedPaths = Callable[[tuple[Path, ...]], None]


@dataclass(frozen=True)
class OutdatedSnapshot:
    """Everything the Outdated view and the banner show, read at one moment."""

    report: FreshnessReport
    copies: tuple[StaleCopy, ...]
    folders: tuple[Path, ...]  # watched for old copies
    suggested: tuple[Path, ...]  # Downloads, Desktop, Documents not watched yet

    def attention(self) -> tuple[freshness.DocumentFreshness, ...]:
        return self.report.attention()

    def copy_folders(self) -> dict[Path, int]:
        """How many old copies each watched folder holds (only folders that hold any)."""
        counts: dict[Path, int] = {}
        for copy in self.copies:
            root = next(
                (f for f in self.folders if f == copy.path.parent or f in copy.path.parents),
                copy.path.parent,
            )
            counts[root] = counts.get(root, 0) + 1
        return counts


@dataclass(frozen=True)
class FolderChanges:
    added: tuple[Path, ...]
    removed: tuple[Path, ...]


class _ScanSignals(QObject):
    """Carries the watcher's scan reports (its own thread) to the UI thread."""

    scanned = Signal(ScanReport)


class FreshnessFeature(QObject):
    # A new picture of what is outdated (after a scan, a sync, an action).
    outdated_read = Signal(OutdatedSnapshot)
    # What is new since the rep last looked.
    news_read = Signal(WhatsNew)
    # A sync brought documents not announced yet: a one-line summary naming them.
    news_arrived = Signal(str)
    # An old copy was replaced by the latest (the old one is in the trash).
    copy_replaced = Signal(Replaced)
    # Something for the status bar.
    notice_posted = Signal(str)

    def __init__(
        self,
        client: Client,
        *,
        runner: TaskRunner,
        scan_runner: TaskRunner,
        launcher: Launcher,
        clock: freshness.Clock = freshness.utc_now,
        trash: Trash = send_to_trash,
        watch: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._runner = runner
        self._scan_runner = scan_runner
        self._launcher = launcher
        self._clock = clock
        self._watching = watch
        self.stale = StaleCopies(
            client.home,
            client.sessions,
            expiring_days=client.settings.expiring_days,
            clock=clock,
            trash=trash,
        )
        self.tracker = WhatsNewTracker(client.home, client.sessions, clock=clock)
        self._signals = _ScanSignals(self)
        self._signals.scanned.connect(self._on_watch_scanned)
        self._watch = StaleWatch(self.stale, self._signals.scanned.emit)
        self._watch_started = threading.Event()
        self._closed = False
        self._snapshot: OutdatedSnapshot | None = None
        self._news: WhatsNew | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, delay_ms: int = 0) -> None:
        """After ``delay_ms`` (the first search has the CPU until then) read the state, scan the
        watched folders and start watching them while the app runs."""
        QTimer.singleShot(delay_ms, self._begin)

    def _begin(self) -> None:
        if self._closed:
            return
        self.refresh()
        self.refresh_news()
        if self._watching:
            self._scan_runner.run(self._start_watch, self._on_scan_done, self._on_scan_failed)
        else:
            self.rescan()

    def _start_watch(self) -> None:
        # StaleWatch.start scans every watched folder here, then watches them.
        self._watch.start()
        self._watch_started.set()

    def stop(self) -> None:
        self._closed = True
        self._scan_runner.shutdown()
        if self._watch_started.is_set():
            self._watch.stop()

    # -- reading -----------------------------------------------------------------------------

    def snapshot(self) -> OutdatedSnapshot | None:
        return self._snapshot

    def news(self) -> WhatsNew | None:
        return self._news

    def refresh(self) -> None:
        """Read the documents' states and the old copies found so far."""
        if not self._closed:
            self._runner.run(self._read, self._on_read, self._on_failed)

    def rescan(self) -> None:
        """Bring the scan of the watched folders up to date, then refresh."""
        if not self._closed:
            self._scan_runner.run(self.stale.scan, self._on_scan_done, self._on_scan_failed)

    def refresh_news(self) -> None:
        if not self._closed:
            self._runner.run(self.tracker.since_last_looked, self._on_news_read, self._on_failed)

    def _read(self) -> OutdatedSnapshot:
        client = self._client
        report = read_freshness(
            client.home,
            client.sessions,
            expiring_days=client.settings.expiring_days,
            now=self._clock(),
        )
        folders = self.stale.folders()
        suggested = tuple(p for p in suggested_folders() if p.resolve() not in folders)
        return OutdatedSnapshot(report, self.stale.copies(), folders, suggested)

    def _on_read(self, snapshot: OutdatedSnapshot) -> None:
        self._snapshot = snapshot
        self.outdated_read.emit(snapshot)

    def _on_news_read(self, news: WhatsNew) -> None:
        self._news = news
        self.news_read.emit(news)

    def _on_watch_scanned(self, _report: ScanReport) -> None:
        self.refresh()

    def _on_scan_done(self, _report: ScanReport | None) -> None:
        self.refresh()

    def _on_scan_failed(self, error: BaseException) -> None:
        self._on_failed(error)
        self.refresh()

    def _on_failed(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, FieldkitError) else "Freshness could not be read."
        self.notice_posted.emit(message)

    # -- after a sync ------------------------------------------------------------------------

    def on_sync_finished(self, result: SyncResult) -> None:
        """A sync reached the hub: "checked" moves on; when the manifest changed, states change
        and old copies may be newly stale (a file whose size is now a known version's)."""
        if result.offline:
            return
        if result.not_modified:
            self.refresh()
            return
        self.rescan()
        self.refresh_news()

    def on_content_arrived(self, _count: int) -> None:
        """New or updated documents arrived: announce those not announced yet, by name."""
        if not self._closed:
            self._runner.run(self.tracker.announce, self._on_announced, self._on_failed)

    def _on_announced(self, news: WhatsNew) -> None:
        summary = news.summary()
        if summary is not None:
            self.news_arrived.emit(summary)

    def mark_seen(self) -> None:
        """The rep has looked at what is new."""
        if not self._closed:
            self._runner.run(self._mark_seen, self._on_news_read, self._on_failed)

    def _mark_seen(self) -> WhatsNew:
        self.tracker.mark_looked()
        return self.tracker.since_last_looked()

    # -- acting on old copies ----------------------------------------------------------------

    def replace(self, copy: StaleCopy) -> None:
        """Put the latest version where ``copy`` is; the old copy goes to the OS trash."""
        path = copy.path
        self._scan_runner.run(
            lambda: self.stale.replace_with_latest(path), self._on_replaced, self._on_failed
        )

    def _on_replaced(self, replaced: Replaced) -> None:
        self.notice_posted.emit(
            f"Put v{replaced.version} at {replaced.new_path.name}; the old copy is in the trash."
        )
        self.copy_replaced.emit(replaced)
        self.refresh()

    def show_in_folder(self, path: Path) -> None:
        try:
            self._launcher.show_in_folder(path)
        except FieldkitError as exc:
            self.notice_posted.emit(str(exc))

    # -- watched folders ---------------------------------------------------------------------

    def change_folders(self, changes: FolderChanges) -> None:
        """Add and remove watched folders, watch them, and scan what changed."""
        if not (changes.added or changes.removed) or self._closed:
            return
        self._scan_runner.run(
            lambda: self._change_folders(changes), self._on_scan_done, self._on_scan_failed
        )

    def _change_folders(self, changes: FolderChanges) -> ScanReport:
        problems = []
        for folder in changes.removed:
            try:
                self.stale.remove_folder(folder)
            except FieldkitError as exc:
                problems.append(str(exc))
        for folder in changes.added:
            try:
                self.stale.add_folder(folder)
            except FieldkitError as exc:
                problems.append(str(exc))
        if self._watch_started.is_set():
            self._watch.refresh_folders()
        report = self.stale.scan()
        if problems:
            raise _FolderProblem(" ".join(problems))
        return report


class _FolderProblem(FieldkitError):
    """A watched folder could not be added or removed (the others were)."""


# -- opening the latest ------------------------------------------------------------------------


def latest_preparer(
    client: Client,
    tokens: TokenStore,
    on_changed_paths: ChangedPaths,
    clock: freshness.Clock = freshness.utc_now,
) -> Callable[[str], OpenTarget]:
    """What :class:`LatestOpener` runs on the task runner: the core's open-latest, fetching
    through the connected hub or folder (the files it changed go to the indexer)."""

    def prepare(ref: str) -> OpenTarget:
        return prepare_open(
            client.home,
            client.sessions,
            ref,
            fetch=_fetcher(client, tokens, on_changed_paths),
            expiring_days=client.settings.expiring_days,
            clock=clock,
        )

    return prepare


def _fetcher(client: Client, tokens: TokenStore, on_changed_paths: ChangedPaths) -> Fetcher | None:
    with client.sessions.begin() as session:
        connected = session.get(KeyValue, HUB_KEY) is not None
    if not connected:
        return None

    def index_changes(result: SyncResult) -> None:
        if result.changed_paths:
            on_changed_paths(result.changed_paths)

    return source_fetcher(
        client.home,
        client.sessions,
        lambda: open_source(client.sessions, tokens, connections=1),
        after=index_changes,
    )
