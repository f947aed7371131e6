"""Sync commands: connect (a hub or a shared folder), sync, pin and unpin."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session, sessionmaker

from fieldkit.cli.output import emit_json
from fieldkit.core.catalog import (
    CATALOG_MIGRATIONS,
    CATALOG_SCHEMA_VERSION,
    CatalogBase,
    KeyValue,
)
from fieldkit.core.client import open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema
from fieldkit.core.errors import UsageError
from fieldkit.core.home import HomePaths, resolve_home
from fieldkit.core.settings import Settings
from fieldkit.core.sync import (
    Syncer,
    SyncProgress,
    SyncResult,
    connect_folder,
    connect_hub,
    open_source,
    set_pinned,
    sync_status,
)

SETTINGS_KEY = "settings"


def register(subparsers: Any) -> None:
    connect = subparsers.add_parser(
        "connect",
        help="get approved content from a hub (URL --token TOKEN) or a shared folder (DIR)",
    )
    connect.add_argument("target", metavar="URL|DIR", help="the hub's address, or the folder")
    connect.add_argument("--token", help="the token marketing gave you (for a hub)")
    connect.add_argument(
        "--poll",
        action="store_true",
        help="for a folder on a network share: check it by polling (shares send no file events)",
    )
    connect.add_argument("--json", action="store_true", help="print the result as JSON")
    connect.set_defaults(run=run_connect)

    sync = subparsers.add_parser("sync", help="bring the approved-content mirror up to date")
    sync.add_argument("--json", action="store_true", help="print the result as JSON")
    sync.add_argument(
        "--metered",
        action="store_true",
        help="metered connection: fetch the list of documents, download only pinned ones",
    )
    sync.add_argument(
        "--jobs", type=_positive_int, help="files downloaded at once (default: the setting, 4)"
    )
    sync.set_defaults(run=run_sync)

    for name, pinned, text in (
        ("pin", True, "download DOC even in metered mode"),
        ("unpin", False, "stop pinning DOC"),
    ):
        command = subparsers.add_parser(name, help=text)
        command.add_argument("doc", metavar="DOC", help="a document id, or its path in the mirror")
        command.set_defaults(run=run_pin, pinned=pinned)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


@contextmanager
def _catalog(args: argparse.Namespace) -> Iterator[tuple[HomePaths, sessionmaker[Session]]]:
    home = resolve_home(args.home).ensure()
    engine = make_engine(sqlite_url(home.catalog_db))
    try:
        upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
        yield home, session_factory(engine)
    finally:
        engine.dispose()


def _settings(sessions: sessionmaker[Session]) -> Settings:
    with sessions.begin() as session:
        row = session.get(KeyValue, SETTINGS_KEY)
        return Settings.from_json(dict(row.value)) if row is not None else Settings()


def run_connect(args: argparse.Namespace) -> int:
    target: str = args.target
    is_url = target.startswith(("http://", "https://"))
    if is_url and not args.token:
        raise UsageError(
            "A hub needs your token: fieldkit connect URL --token TOKEN (marketing gives you one)."
        )
    if not is_url and args.token:
        raise UsageError("--token is for a hub address (http://… or https://…), not a folder.")
    if is_url and args.poll:
        raise UsageError("--poll is for a shared folder, not a hub.")
    with _catalog(args) as (home, sessions):
        if is_url:
            connection = connect_hub(sessions, TokenStore(home), target, args.token)
        else:
            connection = connect_folder(sessions, Path(target), poll=args.poll)
    if args.json:
        emit_json(
            {
                "kind": connection.kind,
                "location": connection.location,
                "documents": connection.documents,
                "generation": connection.generation,
                "token_location": connection.token_location,
            }
        )
        return 0
    what = "the hub at" if connection.kind == "hub" else "the folder"
    print(f"Connected to {what} {connection.location}: {connection.documents} documents.")
    if connection.token_location:
        print(f"Your token is kept in {connection.token_location}.")
    print("Run 'fieldkit sync' to download them.")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    with _catalog(args) as (home, sessions):
        settings = _settings(sessions)
        jobs = args.jobs or settings.parallel_downloads
        bar = ProgressBar(enabled=not args.json)
        source = open_source(sessions, TokenStore(home), connections=jobs)
        try:
            result = Syncer(
                home,
                sessions,
                source,
                jobs=jobs,
                metered=args.metered or settings.metered,
                on_progress=bar.update,
            ).run()
        finally:
            bar.finish()
            source.close()
        last_sync = sync_status(home, sessions).last_sync_at
    indexed = _index_changes(home, result.changed_paths)
    if args.json:
        emit_json({**result.to_json(), "message": result.message, "indexed": indexed})
    else:
        _print_result(result, source.label)
        if indexed:
            print(f"Search index updated: {indexed} files.")
    if result.offline:
        print(f"fieldkit: {result.message}", file=sys.stderr)
        print(f"fieldkit: last good sync: {last_sync or 'never'}", file=sys.stderr)
    return 0 if result.ok else 1


def _index_changes(home: HomePaths, paths: tuple[Path, ...]) -> int:
    """Bring the search index up to date with the files the sync changed; how many."""
    if not paths:
        return 0
    with open_client(home) as client:
        report = client.library.index(only=paths)
    return report.indexed + report.removed


def _print_result(result: SyncResult, label: str) -> None:
    if result.offline and not (result.downloaded or result.updated or result.removed):
        return
    if result.not_modified and not (result.downloaded or result.updated or result.removed):
        print(f"Up to date with {label}: {result.unchanged} documents.")
    else:
        print(
            f"Synced from {label}: {result.downloaded} new, {result.updated} updated, "
            f"{result.removed} removed, {result.unchanged} unchanged "
            f"({_size(result.bytes)} downloaded)."
        )
    if result.archived:
        print(f"{result.archived} withdrawn documents moved to the archive.")
    if result.pending:
        print(f"{result.pending} documents wait for a connection that is not metered.")
    for path in result.kept_edits:
        print(f"Kept your changed file in My edits: {path}")
    if result.failed:
        print(f"Could not sync {len(result.failed)} documents:")
        for failure in result.failed:
            print(f"  {failure.doc_id}: {failure.reason}")
    if result.cancelled:
        print("Cancelled; unfinished downloads resume at the next sync.")


def run_pin(args: argparse.Namespace) -> int:
    with _catalog(args) as (_home, sessions):
        path = set_pinned(sessions, args.doc, args.pinned)
    if args.pinned:
        print(f"Pinned {path}: it downloads even on a metered connection.")
    else:
        print(f"Unpinned {path}.")
    return 0


class ProgressBar:
    """One line on a terminal's stderr: files, bytes, rate, time left, current file.

    Called from download threads; the sync already limits it to ten calls a second.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self._stream = stream or sys.stderr
        self._enabled = enabled and self._stream.isatty()
        self._lock = threading.Lock()
        self._drawn = False

    def update(self, progress: SyncProgress) -> None:
        if not self._enabled:
            return
        self.draw(progress)

    def draw(self, progress: SyncProgress) -> None:
        width = 20
        total = progress.bytes_total or 1
        filled = min(width, int(width * progress.bytes_done / total))
        parts = [
            f"Syncing [{'#' * filled}{'-' * (width - filled)}] "
            f"{progress.files_done}/{progress.files_total} files",
            f"{_size(progress.bytes_done)} of {_size(progress.bytes_total)}",
            f"{_size(int(progress.rate_bps))}/s",
        ]
        if progress.eta_s is not None:
            parts.append(f"{_duration(progress.eta_s)} left")
        if progress.current:
            parts.append(progress.current)
        line = " · ".join(parts)[:119]
        with self._lock:
            self._stream.write("\r" + line.ljust(119))
            self._stream.flush()
            self._drawn = True

    def finish(self) -> None:
        with self._lock:
            if self._drawn:
                self._stream.write("\r" + " " * 119 + "\r")
                self._stream.flush()
                self._drawn = False


def _size(count: int) -> str:
    units = ("bytes", "KB", "MB", "GB", "TB")
    value, index = float(count), 0
    while value >= 1000 and index < len(units) - 1:
        value /= 1000
        index += 1
    return f"{count} bytes" if index == 0 else f"{value:.1f} {units[index]}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds) + 1} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
