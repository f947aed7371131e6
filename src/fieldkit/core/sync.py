"""Keeping the mirror an exact, verified copy of the approved folder.

One sync: fetch the manifest (a single 304 when nothing changed), check the mirror on disk against
what was installed (size and modification time; the hash only when those differ), plan, then act:

* a rep's edit to a mirrored file, or a file of their own in the mirror, moves to "My edits"
  (never overwritten, never lost) and the approved copy comes back;
* removed documents leave the mirror, withdrawn ones move to the archive;
* renames and metadata-only changes need no download;
* new and changed files download in parallel to ``downloads/<id>.<version>.<hash>.part``
  (resumed with Range after an interruption; small files come many to a request), are
  hash-checked while streaming and fsynced, and only then renamed into place. A file that fails
  its checksum is never installed.

Every step records its result in the catalog right after it happens, so a sync killed at any
point leaves the mirror holding only complete, approved files, and the next sync converges.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.catalog import (
    CatalogBase,
    FolderSourceFile,
    KeyValue,
    MirrorEntry,
    MirrorFile,
)
from fieldkit.core.credentials import TokenStore
from fieldkit.core.errors import AuthError, FieldkitError, StorageError, UsageError
from fieldkit.core.home import HomePaths
from fieldkit.core.manifest import Manifest, ManifestDocument, path_key
from fieldkit.core.source import (
    Delivery,
    DocumentChanged,
    EventHooks,
    FetchedManifest,
    FolderSource,
    HubSource,
    RangeNotSatisfiable,
    Source,
    SourceUnreachable,
    Stream,
    StreamInterrupted,
)

log = logging.getLogger(__name__)

MIRROR = "mirror"
ARCHIVE = "archive"
HUB_KEY = "hub"
MANIFEST_KEY = "manifest"
LAST_SYNC_KEY = "last_sync"
LOCK_FILE = "sync.lock"
# Room left on the disk after the downloads, so the laptop does not end up completely full.
DISK_RESERVE = 32 * 1024 * 1024
PROGRESS_INTERVAL_S = 0.1
_READ_CHUNK = 1 << 20
# Files up to this size are fetched several to a request: for small files the request costs the
# hub and the client more than the bytes. A request carries at most this many files and bytes.
_SMALL_FILE = 4 << 20
_REQUEST_FILES = 200
_REQUEST_BYTES = 16 << 20
# Files an OS or an editor drops next to documents; never treated as a rep's own files.
_JUNK_NAMES = {"desktop.ini", "thumbs.db", "icon\r"}
_JUNK_SUFFIXES = (".tmp", ".part")

PartOpener = Callable[[Path], BinaryIO]
FreeSpace = Callable[[Path], int]


# -- public values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncProgress:
    """Where the downloads of a sync stand; sent at most ten times a second, and once at the end.

    ``rate_bps`` is the average since the downloads began; ``eta_s`` is None until known.
    """

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    rate_bps: float
    eta_s: float | None
    current: str | None


ProgressCallback = Callable[[SyncProgress], None]


@dataclass(frozen=True)
class SyncFailure:
    doc_id: str
    reason: str


@dataclass(frozen=True)
class SyncResult:
    """What a sync did. ``changed_paths`` are the files (mirror, archive, My edits) that appeared,
    changed or went away: what the index must look at again."""

    downloaded: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    bytes: int = 0
    failed: tuple[SyncFailure, ...] = ()
    offline: bool = False
    message: str | None = None
    archived: int = 0
    pending: int = 0
    kept_edits: tuple[Path, ...] = ()
    not_modified: bool = False
    cancelled: bool = False
    generation: int | None = None
    changed_paths: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.offline or self.failed or self.cancelled)

    def to_json(self) -> dict[str, Any]:
        return {
            "downloaded": self.downloaded,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "bytes": self.bytes,
            "failed": [{"doc_id": f.doc_id, "reason": f.reason} for f in self.failed],
            "offline": self.offline,
            "archived": self.archived,
            "pending": self.pending,
            "kept_edits": [str(p) for p in self.kept_edits],
            "not_modified": self.not_modified,
            "cancelled": self.cancelled,
            "generation": self.generation,
        }


@dataclass(frozen=True)
class SyncStatus:
    source_kind: str | None  # "hub" | "folder" | None when not connected
    source: str | None  # the hub URL or the folder
    mirror: Path
    last_sync_at: str | None
    last_sync_generation: int | None
    documents: int  # in the last manifest, not withdrawn
    current: int  # of those, installed at their current version
    pinned: int


@dataclass(frozen=True)
class Connection:
    kind: str  # "hub" | "folder"
    location: str
    documents: int
    generation: int
    token_location: str | None = None


class DiskFullError(StorageError):
    """The disk filled up while writing a download."""


class SyncCancelled(FieldkitError):
    """The sync was cancelled; partial downloads are kept for the next one."""


class ChecksumMismatch(FieldkitError):
    """The bytes received do not have the manifest's hash."""


class SyncBusy(FieldkitError):
    """Another sync (the app, or a CLI run) is working on this mirror right now."""


class PathBlocked(FieldkitError):
    """Something that is not the rep's file (a folder, a link) sits where a document goes."""


class SyncControl:
    """Lets the app pause, resume or cancel a running sync from another thread.

    Pausing lets each download finish the chunk in hand, close its connection and wait; the
    ``.part`` files stay, and resuming continues them with Range requests. :meth:`wait_paused`
    returns once every download has actually stopped. Cancelling stops the sync; ``.part``
    files are kept for the next sync.
    """

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._paused = False
        self._cancelled = False
        self._transfers = 0

    def pause(self) -> None:
        with self._state:
            self._paused = True
            self._state.notify_all()

    def resume(self) -> None:
        with self._state:
            self._paused = False
            self._state.notify_all()

    def cancel(self) -> None:
        with self._state:
            self._cancelled = True
            self._paused = False
            self._state.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def wait_paused(self, timeout: float | None = None) -> bool:
        """After :meth:`pause`: wait until no download is transferring; False on timeout."""
        with self._state:
            return self._state.wait_for(
                lambda: self._paused and self._transfers == 0, timeout
            )

    def _begin_transfer(self) -> bool:
        """Wait while paused, then count one transfer; False when the sync was cancelled."""
        with self._state:
            self._state.wait_for(lambda: not self._paused or self._cancelled)
            if self._cancelled:
                return False
            self._transfers += 1
            return True

    def _end_transfer(self) -> None:
        with self._state:
            self._transfers -= 1
            self._state.notify_all()


# -- connecting and status ---------------------------------------------------------------------


def connect_hub(
    sessions: sessionmaker[Session],
    tokens: TokenStore,
    url: str,
    token: str,
    *,
    event_hooks: EventHooks | None = None,
) -> Connection:
    """Check the hub answers and accepts ``token``, then remember both (token in the keyring)."""
    with HubSource(url, token, event_hooks=event_hooks) as source:
        source.health()
        fetched = source.fetch_manifest(None)
        key = source.key
    where = tokens.save(key, token)
    _save_source(sessions, {"url": key})
    documents = _live_count(fetched.manifest) if fetched else 0
    return Connection("hub", key, documents, fetched.manifest.generation if fetched else 0, where)


def connect_folder(sessions: sessionmaker[Session], folder: Path, *, poll: bool) -> Connection:
    """Use ``folder`` (a mounted share or synced folder) as the source of approved content."""
    root = folder.expanduser().resolve()
    if not root.is_dir():
        raise UsageError(f"{folder} is not a folder (or is not mounted).")
    previous = _load_value(sessions, HUB_KEY)
    if previous.get("folder") != str(root):
        with sessions.begin() as session:
            session.execute(delete(FolderSourceFile))
    _save_source(sessions, {"url": None, "folder": str(root), "poll": poll})
    fetched = FolderSource(root, sessions).fetch_manifest(None)
    documents = _live_count(fetched.manifest) if fetched else 0
    generation = fetched.manifest.generation if fetched else 0
    return Connection("folder", str(root), documents, generation)


def open_source(
    sessions: sessionmaker[Session],
    tokens: TokenStore,
    *,
    connections: int = 4,
    event_hooks: EventHooks | None = None,
) -> Source:
    """The source ``connect`` saved: a hub (with its saved token) or a folder."""
    value = _load_value(sessions, HUB_KEY)
    url = value.get("url")
    if isinstance(url, str):
        token = tokens.load(url)
        if token is None:
            raise AuthError(
                f"No token is saved for the hub at {url}. Run: fieldkit connect {url} --token TOKEN"
            )
        return HubSource(url, token, connections=connections, event_hooks=event_hooks)
    folder = value.get("folder")
    if isinstance(folder, str):
        return FolderSource(Path(folder), sessions)
    raise UsageError(
        "Not connected yet. Run: fieldkit connect URL --token TOKEN (a hub) "
        "or fieldkit connect FOLDER (a shared folder)."
    )


def sync_status(home: HomePaths, sessions: sessionmaker[Session]) -> SyncStatus:
    source = _load_value(sessions, HUB_KEY)
    last = _load_value(sessions, LAST_SYNC_KEY)
    with sessions.begin() as session:
        entries = session.execute(
            select(MirrorEntry.version, MirrorEntry.local_version, MirrorEntry.pinned).where(
                MirrorEntry.withdrawn.is_(False)
            )
        ).all()
    url = source.get("url")
    folder = source.get("folder")
    kind = "hub" if isinstance(url, str) else "folder" if isinstance(folder, str) else None
    generation = last.get("generation")
    return SyncStatus(
        source_kind=kind,
        source=url if isinstance(url, str) else folder if isinstance(folder, str) else None,
        mirror=home.mirror_dir,
        last_sync_at=last.get("at"),
        last_sync_generation=generation if isinstance(generation, int) else None,
        documents=len(entries),
        current=sum(1 for e in entries if e.local_version == e.version),
        pinned=sum(1 for e in entries if e.pinned),
    )


def set_pinned(sessions: sessionmaker[Session], ref: str, pinned: bool) -> str:
    """Pin (download even when metered) or unpin a document by id or mirror path; its path."""
    with sessions.begin() as session:
        entry = session.get(MirrorEntry, ref) or session.scalars(
            select(MirrorEntry).where(MirrorEntry.rel_path == ref.strip("/"))
        ).one_or_none()
        if entry is None:
            raise UsageError(f"No document '{ref}' in the last manifest. Sync first, or check it.")
        entry.pinned = pinned
        return entry.rel_path


def _live_count(manifest: Manifest) -> int:
    return sum(1 for d in manifest.documents if not d.withdrawn)


def _save_source(sessions: sessionmaker[Session], value: dict[str, Any]) -> None:
    with sessions.begin() as session:
        old = session.get(KeyValue, HUB_KEY)
        if old is None or old.value != value:
            # A different source: its manifest tag means nothing here.
            session.execute(delete(KeyValue).where(KeyValue.key == MANIFEST_KEY))
        session.merge(KeyValue(key=HUB_KEY, value=value))


def _load_value(sessions: sessionmaker[Session], key: str) -> dict[str, Any]:
    with sessions.begin() as session:
        row = session.get(KeyValue, key)
        return dict(row.value) if row is not None else {}


# -- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wanted:
    doc_id: str
    path: str
    version: int
    sha256: str
    size: int
    modified: str | None
    withdrawn: bool
    pinned: bool

    def document(self) -> ManifestDocument:
        return ManifestDocument(self.doc_id, self.path, self.version, self.sha256, self.size)


@dataclass(frozen=True)
class _Installed:
    doc_id: str
    area: str
    rel_path: str
    version: int
    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class _Job:
    want: _Wanted
    new: bool  # the document was not on this laptop before
    replaces: _Installed | None = None  # our older copy at the same place, replaced atomically


@dataclass
class _Plan:
    keep_edits: list[tuple[str, str | None]] = field(default_factory=list)  # (path, doc id)
    removals: list[_Installed] = field(default_factory=list)
    archives: list[tuple[_Installed, _Wanted]] = field(default_factory=list)
    relocations: list[tuple[_Installed, _Wanted]] = field(default_factory=list)
    records: list[tuple[_Wanted, str, int, int]] = field(default_factory=list)
    metadata_only: list[tuple[_Installed, _Wanted]] = field(default_factory=list)
    downloads: list[_Job] = field(default_factory=list)
    unchanged: int = 0
    pending: int = 0


class _MirrorScan:
    """The files under the mirror right now, matched to records (also across letter case)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, tuple[int, int]] = {}
        self.odd: list[str] = []  # symlinks and special files: never ours
        self._claimed: set[str] = set()
        self._by_key: dict[str, list[str]] | None = None
        self._walk()

    def _walk(self) -> None:
        # Plain strings, not Path objects: this runs over every file on every sync.
        skip = len(str(self.root)) + 1
        stack = [str(self.root)]
        while stack:
            current = stack.pop()
            try:
                entries = list(os.scandir(current))
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StorageError(f"Cannot read the mirror folder {current}: {exc}") from exc
            for entry in entries:
                name = entry.name
                if name.startswith((".", "~$")) or name.lower() in _JUNK_NAMES:
                    continue
                rel = entry.path[skip:].replace(os.sep, "/")
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif name.lower().endswith(_JUNK_SUFFIXES):
                    continue
                elif entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    self.files[rel] = (info.st_size, info.st_mtime_ns)
                else:
                    self.odd.append(rel)

    def claim(self, rel_path: str) -> str | None:
        """The path on disk that holds ``rel_path`` (same letters, or differing only in case)."""
        if rel_path in self.files and rel_path not in self._claimed:
            self._claimed.add(rel_path)
            return rel_path
        if self._by_key is None:
            self._by_key = {}
            for name in self.files:
                self._by_key.setdefault(path_key(name), []).append(name)
        free = [n for n in self._by_key.get(path_key(rel_path), []) if n not in self._claimed]
        if len(free) == 1:
            self._claimed.add(free[0])
            return free[0]
        return None

    def unclaimed(self) -> list[str]:
        return sorted(set(self.files) - self._claimed) + self.odd


# -- the sync ----------------------------------------------------------------------------------


class Syncer:
    """One sync of the mirror from ``source``. Build one per run; call :meth:`run` once.

    ``on_progress`` is called from download threads (hand it to the UI thread yourself).
    ``open_part`` and ``free_space`` reach the disk; tests inject disk failures through them.
    """

    def __init__(
        self,
        home: HomePaths,
        sessions: sessionmaker[Session],
        source: Source,
        *,
        jobs: int = 4,
        metered: bool = False,
        control: SyncControl | None = None,
        on_progress: ProgressCallback | None = None,
        open_part: PartOpener | None = None,
        free_space: FreeSpace | None = None,
    ) -> None:
        if jobs < 1:
            raise UsageError("Parallel downloads must be at least 1.")
        self._home = home
        self._sessions = sessions
        self._source = source
        self._jobs = jobs
        self._metered = metered
        self._control = control or SyncControl()
        self._on_progress = on_progress
        self._open_part: PartOpener = open_part or _open_append
        self._free_space: FreeSpace = free_space or _free_space
        self._mirror = home.mirror_dir
        self._archive = home.archive_dir
        self._edits = home.my_edits_dir
        self._downloads = home.downloads_dir
        self._abort = threading.Event()
        self._unreachable = threading.Event()
        self._offline_message: str | None = None
        self._bytes_lock = threading.Lock()
        self._bytes = 0
        self._changed: set[str] = set()
        self._kept: list[Path] = []
        self._touched_dirs: set[Path] = set()
        self._safe_dirs: set[str] = set()  # mirror folders checked to be real folders
        self._part_sizes: dict[str, int] = {}  # resumable downloads found at the start
        self._failed: list[SyncFailure] = []
        # Downloaded files are made durable together before they are renamed into place: one
        # flush of the filesystem costs what one fsync does (see _made_durable).
        self._flush_filesystem = _syncfs_function()
        self._ledger = _Ledger(sessions, self._flush_filesystem)

    # The run ----------------------------------------------------------------------------------

    def run(self) -> SyncResult:
        for folder in (self._mirror, self._archive, self._edits, self._downloads):
            folder.mkdir(parents=True, exist_ok=True)
        with _exclusive(self._home.root / LOCK_FILE):
            return self._run()

    def _run(self) -> SyncResult:
        state = _load_value(self._sessions, MANIFEST_KEY)
        etag = state.get("etag") if state.get("source") == self._source.key else None
        try:
            fetched = self._source.fetch_manifest(etag if isinstance(etag, str) else None)
        except SourceUnreachable as exc:
            log.info("sync: %s", exc)
            return SyncResult(offline=True, message=str(exc))
        metadata_changed: set[str] = set()
        if fetched is not None:
            metadata_changed = self._apply_manifest(fetched)
            state = _load_value(self._sessions, MANIFEST_KEY)
        refused = tuple(SyncFailure(r["doc_id"], r["reason"]) for r in state.get("refused", []))
        generation = state.get("generation")
        if fetched is None and state.get("settled"):
            intact = self._count_if_untouched()
            if intact is not None:
                self._save_last_sync(generation, len(refused), settled=True)
                return SyncResult(
                    unchanged=intact,
                    failed=refused,
                    not_modified=True,
                    generation=generation if isinstance(generation, int) else None,
                )

        wanted, installed = self._load_state()
        plan = self._plan(wanted, installed, metadata_changed)
        self._clean_downloads(wanted)
        self._check_space(plan.downloads)

        counts = self._apply_local(plan)
        downloaded, updated = self._download_all(plan.downloads)
        failed = self._failed
        self._prune_dirs()
        cancelled = self._control.cancelled
        offline = self._unreachable.is_set()
        if not cancelled and not offline:
            settled = not (failed or plan.pending)
            self._save_last_sync(generation, len(failed) + len(refused), settled=settled)
        return SyncResult(
            downloaded=downloaded,
            updated=updated + counts["updated"],
            removed=counts["removed"],
            unchanged=plan.unchanged,
            bytes=self._bytes,
            failed=refused + tuple(failed),
            offline=offline,
            message=self._offline_message if offline else None,
            archived=counts["archived"],
            pending=plan.pending,
            kept_edits=tuple(self._kept),
            not_modified=fetched is None,
            cancelled=cancelled,
            generation=generation if isinstance(generation, int) else None,
            changed_paths=tuple(sorted(Path(path) for path in self._changed)),
        )

    # The manifest -----------------------------------------------------------------------------

    def _apply_manifest(self, fetched: FetchedManifest) -> set[str]:
        """Store the manifest as the mirror's target state; returns ids whose metadata changed."""
        manifest = fetched.manifest
        rows = {doc.id: _entry_values(doc) for doc in manifest.documents}
        refused_ids = {r.doc_id for r in manifest.refused}
        keep = ("pinned", "local_version", "local_sha256")
        metadata_changed: set[str] = set()
        with self._sessions.begin() as session:
            existing = {
                row["doc_id"]: dict(row)
                for row in session.execute(select(_table(MirrorEntry))).mappings()
            }
            changed = [
                doc_id
                for doc_id, values in rows.items()
                if doc_id in existing and any(existing[doc_id][k] != v for k, v in values.items())
            ]
            gone = [d for d in existing if d not in rows and d not in refused_ids]
            for batch in _batches(changed + gone, 500):
                session.execute(delete(MirrorEntry).where(MirrorEntry.doc_id.in_(batch)))
            inserts = [
                {**rows[d], **{k: existing[d][k] for k in keep}} for d in changed
            ] + [
                {**values, "pinned": False, "local_version": None, "local_sha256": None}
                for d, values in rows.items()
                if d not in existing
            ]
            if inserts:
                # Core, not the ORM's bulk insert: a first sync inserts every document.
                session.connection().execute(insert(_table(MirrorEntry)), inserts)
            session.merge(
                KeyValue(
                    key=MANIFEST_KEY,
                    value={
                        "source": self._source.key,
                        "etag": fetched.etag,
                        "generation": manifest.generation,
                        "refused": [
                            {"doc_id": r.doc_id, "reason": r.reason} for r in manifest.refused
                        ],
                    },
                )
            )
        for doc_id in changed:
            before, after = existing[doc_id], rows[doc_id]
            if any(before[k] != after[k] for k in after if k not in _CONTENT_COLUMNS):
                metadata_changed.add(doc_id)
        return metadata_changed

    def _count_if_untouched(self) -> int | None:
        """The quick check after a 304 when the last sync left the mirror settled: how many
        documents are installed, if every mirror file still has the size and modification time
        it was installed with and nothing else is in the mirror; None if anything differs (then
        the full plan runs)."""
        files = _table(MirrorFile)
        with self._sessions.begin() as session:
            rows = session.connection().execute(
                select(files.c.area, files.c.rel_path, files.c.size, files.c.mtime_ns)
            ).all()
        scan = _MirrorScan(self._mirror)
        mirrored = {rel: (size, mtime) for area, rel, size, mtime in rows if area == MIRROR}
        if scan.odd or mirrored != scan.files:
            return None
        return len(rows)

    def _load_state(self) -> tuple[dict[str, _Wanted], dict[str, _Installed]]:
        # Core selects on the tables: this runs over every document on every sync, and the
        # ORM's row loading would cost more than the whole no-change sync may take.
        entries = _table(MirrorEntry)
        files = _table(MirrorFile)
        wanted_columns = ("doc_id", "rel_path", "version", "sha256", "size", "hub_modified",
                          "withdrawn", "pinned")
        installed_columns = ("doc_id", "area", "rel_path", "version", "sha256", "size",
                             "mtime_ns")
        with self._sessions.begin() as session:
            connection = session.connection()
            wanted = {
                row[0]: _Wanted(*row)
                for row in connection.execute(
                    select(*(entries.c[name] for name in wanted_columns))
                ).all()
            }
            installed = {
                row[0]: _Installed(*row)
                for row in connection.execute(
                    select(*(files.c[name] for name in installed_columns))
                ).all()
            }
        return wanted, installed

    # Planning ---------------------------------------------------------------------------------

    def _plan(
        self,
        wanted: dict[str, _Wanted],
        installed: dict[str, _Installed],
        metadata_changed: set[str],
    ) -> _Plan:
        plan = _Plan()
        scan = _MirrorScan(self._mirror)
        for record in installed.values():
            want = wanted.get(record.doc_id)
            if record.area == ARCHIVE:
                self._plan_archived(plan, record, want)
            else:
                self._plan_installed(plan, scan, record, want, metadata_changed)
        for want in wanted.values():
            if want.doc_id in installed or want.withdrawn:
                continue
            if not self._adopt(plan, scan, want):
                self._plan_download(plan, want, new=True)
        plan.keep_edits.extend((rel, None) for rel in scan.unclaimed())
        return plan

    def _plan_archived(self, plan: _Plan, record: _Installed, want: _Wanted | None) -> None:
        if want is None:
            plan.removals.append(record)
        elif want.withdrawn:
            plan.unchanged += 1
        elif want.sha256 == record.sha256 and self._intact(self._archive, record):
            plan.relocations.append((record, want))
        else:
            plan.removals.append(record)
            self._plan_download(plan, want, new=False)

    def _plan_installed(
        self,
        plan: _Plan,
        scan: _MirrorScan,
        record: _Installed,
        want: _Wanted | None,
        metadata_changed: set[str],
    ) -> None:
        actual = scan.claim(record.rel_path)
        content: str | None = None  # the hash the file on disk has, when it is approved content
        if actual is not None:
            size, mtime_ns = scan.files[actual]
            if (size, mtime_ns) == (record.size, record.mtime_ns):
                content = record.sha256
            else:
                digest = self._hash_if_size(
                    actual, size, record.size, want.size if want is not None else None
                )
                if digest == record.sha256 or (want is not None and digest == want.sha256):
                    content = digest
                    adopted = want if want is not None and digest == want.sha256 else None
                    plan.records.append(
                        (adopted or _as_wanted(record), actual, size, mtime_ns)
                    )
                    record = _reinstalled(record, actual, digest, size, mtime_ns, adopted)
        if want is None or want.withdrawn:
            if actual is not None and content is None:
                plan.keep_edits.append((actual, record.doc_id))
            elif want is not None and actual is not None:
                plan.archives.append((record, want))
            else:
                plan.removals.append(record)
            return
        if content is None:
            # Missing, or edited by the rep: the edit is kept and the approved copy restored.
            if actual is None and self._adopt(plan, scan, want):
                return
            if self._may_download(want):
                if actual is not None:
                    plan.keep_edits.append((actual, record.doc_id))
                self._plan_download(plan, want, new=False)
            else:
                plan.pending += 1
            return
        if content != want.sha256:
            if not self._may_download(want):
                plan.pending += 1
                return
            if record.rel_path != want.path:
                plan.removals.append(record)
                self._plan_download(plan, want, new=False)
            else:
                self._plan_download(plan, want, new=False, replaces=record)
        elif record.rel_path != want.path:
            plan.relocations.append((record, want))
        elif record.version != want.version or want.doc_id in metadata_changed:
            plan.metadata_only.append((record, want))
        else:
            plan.unchanged += 1

    def _adopt(self, plan: _Plan, scan: _MirrorScan, want: _Wanted) -> bool:
        """Record the file already at ``want``'s place if it is the approved content (a sync
        stopped after renaming it into place, before recording it). Anything else there is
        not ours and is kept in My edits."""
        actual = scan.claim(want.path)
        if actual is None:
            return False
        size, mtime_ns = scan.files[actual]
        if actual == want.path and self._hash_if_size(actual, size, want.size) == want.sha256:
            plan.records.append((want, actual, size, mtime_ns))
            plan.unchanged += 1
            return True
        plan.keep_edits.append((actual, None))
        return False

    def _plan_download(
        self, plan: _Plan, want: _Wanted, *, new: bool, replaces: _Installed | None = None
    ) -> None:
        if self._may_download(want):
            plan.downloads.append(_Job(want, new, replaces))
        else:
            plan.pending += 1

    def _may_download(self, want: _Wanted) -> bool:
        return want.pinned or not self._metered

    def _hash_if_size(self, rel_path: str, size: int, *sizes: int | None) -> str | None:
        """The hash of the mirror file at ``rel_path`` when its ``size`` is one of ``sizes``
        (an approved copy could be there); None otherwise, or when it cannot be read."""
        if size not in sizes:
            return None
        try:
            return _hash_file(self._mirror / rel_path)
        except OSError as exc:
            log.info("cannot read %s in the mirror: %s", rel_path, exc)
            return None

    def _intact(self, root: Path, record: _Installed) -> bool:
        try:
            info = (root / record.rel_path).stat()
        except OSError:
            return False
        return (info.st_size, info.st_mtime_ns) == (record.size, record.mtime_ns)

    # Disk space and leftovers -----------------------------------------------------------------

    def _check_space(self, jobs: list[_Job]) -> None:
        need = sum(max(job.want.size - self._part_size(job.want), 0) for job in jobs)
        if not need:
            return
        have = self._free_space(self._downloads)
        if have < need + DISK_RESERVE:
            raise StorageError(
                f"Not enough free disk space: need {_human(need + DISK_RESERVE)}, have "
                f"{_human(have)}. Free some space, or turn on metered mode and pin only the "
                "documents you need."
            )

    def _part_size(self, want: _Wanted) -> int:
        """How much of ``want`` an earlier sync downloaded (as :meth:`_clean_downloads` found)."""
        return self._part_sizes.get(_part_name(want), 0)

    def _part_path(self, want: _Wanted) -> Path:
        """Where ``want`` downloads to. The name holds the hash it must reach, so a ``.part``
        found later is known to be the start of exactly that content."""
        return self._downloads / _part_name(want)

    def _clean_downloads(self, wanted: dict[str, _Wanted]) -> None:
        """Delete leftovers of old versions and interrupted moves; keep resumable downloads
        and note their sizes (one folder read instead of a stat per download)."""
        parts = {_part_name(w) for w in wanted.values() if not w.withdrawn}
        self._part_sizes.clear()
        for entry in os.scandir(self._downloads):
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.name in parts:
                self._part_sizes[entry.name] = entry.stat(follow_symlinks=False).st_size
            else:
                Path(entry.path).unlink(missing_ok=True)

    # Local changes ----------------------------------------------------------------------------

    def _apply_local(self, plan: _Plan) -> dict[str, int]:
        counts = {"updated": 0, "removed": 0, "archived": 0}
        for want, rel_path, size, mtime_ns in plan.records:
            self._ledger.installed(want, MIRROR, rel_path, size, mtime_ns)
        for rel_path, doc_id in plan.keep_edits:
            self._keep_edit(rel_path, doc_id)
        for record in plan.removals:
            self._remove(record)
            counts["removed"] += record.area == MIRROR
        for record, want in plan.archives:
            self._move_to_archive(record, want)
            counts["removed"] += 1
            counts["archived"] += 1
        staged = [(self._stage(record), record, want) for record, want in plan.relocations]
        self._prune_dirs()
        for temp, _record, want in staged:
            try:
                self._place(temp, want)
            except PathBlocked as exc:
                self._failed.append(SyncFailure(want.doc_id, f"{want.path}: {exc}"))
            else:
                counts["updated"] += 1
        for record, want in plan.metadata_only:
            self._ledger.installed(want, record.area, record.rel_path, record.size, record.mtime_ns)
            self._changed.add(str(self._mirror / want.path))
            counts["updated"] += 1
        self._ledger.flush()
        return counts

    def _keep_edit(self, rel_path: str, doc_id: str | None) -> None:
        source = self._mirror / rel_path
        target = _unique_path(self._edits / rel_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.move(source, target)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"Cannot move {source} to My edits: {exc}") from exc
        else:
            log.info("kept the rep's file %s as %s", rel_path, target)
            self._kept.append(target)
            self._changed.update((str(source), str(target)))
        self._touched_dirs.add(source.parent)
        self._ledger.touched(target.parent)
        if doc_id is not None:
            self._ledger.forgotten(doc_id)

    def _remove(self, record: _Installed) -> None:
        root = self._mirror if record.area == MIRROR else self._archive
        path = root / record.rel_path
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot remove {path}: {exc}") from exc
        self._changed.add(str(path))
        self._touched_dirs.add(path.parent)
        self._ledger.touched(path.parent)
        self._ledger.forgotten(record.doc_id)

    def _move_to_archive(self, record: _Installed, want: _Wanted) -> None:
        source = self._mirror / record.rel_path
        target = self._archive / want.path
        target.parent.mkdir(parents=True, exist_ok=True)
        self._ledger.flush()
        with self._sessions.begin() as session:
            # An older archived document at the same place is replaced by this one.
            session.execute(
                delete(MirrorFile).where(
                    MirrorFile.area == ARCHIVE, MirrorFile.rel_path == want.path
                )
            )
        os.replace(source, target)
        info = target.stat()
        self._ledger.installed(want, ARCHIVE, want.path, info.st_size, info.st_mtime_ns)
        self._ledger.touched(source.parent, target.parent)
        self._changed.update((str(source), str(target)))
        self._touched_dirs.add(source.parent)

    def _stage(self, record: _Installed) -> Path:
        root = self._mirror if record.area == MIRROR else self._archive
        source = root / record.rel_path
        temp = self._downloads / f"{record.doc_id}.{record.version}.move"
        os.replace(source, temp)
        self._ledger.touched(source.parent)
        self._changed.add(str(source))
        self._touched_dirs.add(source.parent)
        return temp

    def _place(self, temp: Path, want: _Wanted) -> None:
        target, _info = self._target_and_stat(want.path)
        os.replace(temp, target)
        info = os.stat(target)
        self._ledger.installed(want, MIRROR, want.path, info.st_size, info.st_mtime_ns)
        self._ledger.touched(os.path.dirname(target))
        self._changed.add(target)

    def _target_and_stat(self, rel_path: str) -> tuple[str, os.stat_result | None]:
        """The final path of ``rel_path`` in the mirror, with real (not symlinked) folders,
        and what is there now (its ``lstat``; None when nothing is)."""
        # Strings, not Path objects, on this path: it runs once per file of a sync.
        parts = rel_path.split("/")
        target = os.path.join(self._mirror, *parts)
        folder = os.path.dirname(target)
        if folder not in self._safe_dirs:
            current = self._mirror
            for part in parts[:-1]:
                current = current / part
                if current.is_symlink() or (current.exists() and not current.is_dir()):
                    raise PathBlocked(f"{current} is in the way")
            os.makedirs(folder, exist_ok=True)
            self._safe_dirs.add(folder)
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            return target, None
        if stat.S_ISDIR(info.st_mode):
            raise PathBlocked(f"a folder is in the way at {target}")
        return target, info

    def _prune_dirs(self) -> None:
        for folder in sorted(self._touched_dirs, key=lambda p: len(p.parts), reverse=True):
            root = self._mirror if folder.is_relative_to(self._mirror) else self._archive
            current = folder
            while current != root and current.is_relative_to(root):
                try:
                    current.rmdir()
                except OSError:
                    break
                self._safe_dirs.discard(str(current))
                current = current.parent
        self._touched_dirs.clear()

    # Downloads --------------------------------------------------------------------------------

    def _download_all(self, jobs: list[_Job]) -> tuple[int, int]:
        if not jobs:
            return 0, 0
        ordered = sorted(jobs, key=lambda job: job.want.size, reverse=True)
        meter = _ProgressMeter(
            self._on_progress,
            files_total=len(ordered),
            bytes_total=sum(max(j.want.size - self._part_size(j.want), 0) for j in ordered),
        )
        downloaded = updated = 0
        fatal: BaseException | None = None
        with ThreadPoolExecutor(self._jobs, thread_name_prefix="fieldkit-sync") as pool:
            pending = {pool.submit(self._fetch_many, unit, meter) for unit in self._units(ordered)}
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    outcomes = [pair for future in finished for pair in future.result()]
                    for job, outcome in self._made_durable(outcomes):
                        try:
                            if isinstance(outcome, Exception):
                                raise outcome
                            self._install(job, outcome)
                        except SyncCancelled:
                            continue
                        except _PER_FILE_ERRORS as exc:
                            self._failed.append(
                                SyncFailure(job.want.doc_id, f"{job.want.path}: {exc}")
                            )
                        except Exception as exc:
                            # Disk full, a refused token or a bug: stop the other downloads.
                            fatal = fatal or exc
                            self._abort.set()
                        else:
                            meter.file_done(job.want.path)
                            if job.new:
                                downloaded += 1
                            else:
                                updated += 1
            except BaseException:
                self._abort.set()  # Ctrl-C: the downloads stop after their current chunk
                raise
        self._ledger.flush()
        meter.finish()
        if fatal is not None:
            raise fatal
        return downloaded, updated

    def _units(self, ordered: list[_Job]) -> Iterator[list[_Job]]:
        """What each download thread takes at a time: a big file, or small files that have
        nothing downloaded yet, up to a request's worth (see ``_SMALL_FILE``)."""
        unit: list[_Job] = []
        unit_bytes = 0
        for job in ordered:
            if job.want.size > _SMALL_FILE or self._part_size(job.want):
                yield [job]
                continue
            full = len(unit) >= _REQUEST_FILES or unit_bytes + job.want.size > _REQUEST_BYTES
            if unit and full:
                yield unit
                unit, unit_bytes = [], 0
            unit.append(job)
            unit_bytes += job.want.size
        if unit:
            yield unit

    def _fetch_many(
        self, jobs: list[_Job], meter: _ProgressMeter
    ) -> list[tuple[_Job, Path | Exception]]:
        """Download ``jobs`` (shared requests while there are several); each ends as its
        verified ``.part`` or the error that stopped it. A pause ends a shared request after
        the chunk in hand, and the next one, after the pause, asks for the files not begun; a
        file the pause cut short resumes on its own with Range. What shared requests did not
        bring (one broke off, a checksum failed, an older hub) is fetched on its own."""
        done: dict[int, Path | Exception] = {}
        begun: set[int] = set()  # cut short by a pause: their .part is resumed, not asked again
        waiting = jobs
        while len(waiting) > 1 and not self._abort.is_set() and self._control._begin_transfer():
            try:
                self._fetch_together(waiting, meter, done, begun)
            except (StreamInterrupted, SourceUnreachable) as exc:
                log.info("fetching files one by one after: %s", exc)
                break
            except Exception as exc:  # a refused token, or a bug: no file of these goes in
                return [(job, done.get(id(job), exc)) for job in jobs]
            finally:
                self._control._end_transfer()
            left = [job for job in waiting if id(job) not in done and id(job) not in begun]
            if len(left) == len(waiting) or any(
                isinstance(outcome, StorageError) for outcome in done.values()
            ):
                break
            waiting = left
        storage = next((o for o in done.values() if isinstance(o, StorageError)), None)
        results: list[tuple[_Job, Path | Exception]] = []
        for job in jobs:
            outcome = done.get(id(job))
            if outcome is None or isinstance(outcome, ChecksumMismatch):
                try:
                    # The disk is full: a file alone would only find that out again.
                    outcome = storage if storage is not None else self._fetch(job, meter)
                except Exception as exc:
                    outcome = exc
            results.append((job, outcome))
        return results

    def _fetch_together(
        self,
        jobs: list[_Job],
        meter: _ProgressMeter,
        done: dict[int, Path | Exception],
        begun: set[int],
    ) -> None:
        """One shared request for ``jobs``; records each file it brought whole in ``done``, and
        in ``begun`` the one a pause or cancel cut short (its ``.part`` kept)."""
        with self._source.open_many([job.want.document() for job in jobs]) as deliveries:
            for job, delivery in zip(jobs, deliveries, strict=False):
                outcome = self._take_delivery(job.want, delivery, meter)
                if outcome is None:
                    begun.add(id(job))
                    return
                done[id(job)] = outcome
                if isinstance(outcome, StorageError) or self._stopping():
                    return

    def _made_durable(
        self, outcomes: list[tuple[_Job, Path | Exception]]
    ) -> list[tuple[_Job, Path | Exception]]:
        """``outcomes`` with every downloaded ``.part`` on the disk for good, so that a rename
        into place can never outlive its bytes. Where the filesystem can be flushed at once,
        the downloads skipped their own fsync and this does one flush for all that finished
        meanwhile (the download threads go on with the next files while it runs)."""
        if self._flush_filesystem is None or not any(isinstance(o, Path) for _j, o in outcomes):
            return outcomes
        try:
            self._flush_filesystem(self._downloads)
        except OSError as exc:
            return [
                (job, _storage_error(job.want, o, exc) if isinstance(o, Path) else o)
                for job, o in outcomes
            ]
        return outcomes

    def _take_delivery(
        self, want: _Wanted, delivery: Delivery, meter: _ProgressMeter
    ) -> Path | Exception | None:
        """The verified ``.part`` of a delivered file, the error that stopped it, or None when a
        pause or cancel cut it short (its ``.part`` is kept for a Range request)."""
        if delivery.error is not None:
            return delivery.error
        assert delivery.stream is not None
        part = self._part_path(want)
        try:
            whole = self._write_part(want, part, delivery.stream, meter)
        except (ChecksumMismatch, StorageError) as exc:
            return exc
        return part if whole else None

    def _stopping(self) -> bool:
        return self._control.paused or self._control.cancelled or self._abort.is_set()

    def _write_part(
        self, want: _Wanted, part: Path, stream: Stream, meter: _ProgressMeter
    ) -> bool:
        """Write a delivered file to ``part`` and check it against ``want``; False when a pause
        or cancel stopped it part-way (the start stays in ``part``, unchecked). A whole file is
        made durable here (fsync), or with others by :meth:`_made_durable`."""
        hasher = hashlib.sha256()
        try:
            with self._open_part(part) as handle:
                offset = self._copy_chunks(
                    stream.chunks, handle, 0, hasher, want.document(), meter, interruptible=True
                )
                self._settle(handle)
        except OSError as exc:
            _remove_part(part)
            raise _storage_error(want, part, exc) from exc
        if offset < want.size and self._stopping():
            return False
        try:
            _check_complete(want, offset, hasher)
        except ChecksumMismatch:
            _remove_part(part)  # a shared request's file is fetched again from the start
            raise
        return True

    def _settle(self, handle: BinaryIO) -> None:
        """Flush a written ``.part``; fsync it unless :meth:`_made_durable` flushes the
        filesystem for it."""
        handle.flush()
        if self._flush_filesystem is None:
            os.fsync(handle.fileno())

    def _copy_chunks(
        self,
        chunks: Iterator[bytes | memoryview],
        handle: BinaryIO,
        offset: int,
        hasher: Any,
        document: ManifestDocument,
        meter: _ProgressMeter,
        *,
        interruptible: bool = False,
    ) -> int:
        """Write and hash ``chunks`` from ``offset``; returns the new offset. ``interruptible``:
        stop after the chunk in hand when the sync is paused or cancelled."""
        for chunk in chunks:
            if offset + len(chunk) > document.size:
                raise ChecksumMismatch("the source sent more bytes than the manifest lists")
            handle.write(chunk)
            hasher.update(chunk)
            offset += len(chunk)
            with self._bytes_lock:
                self._bytes += len(chunk)
            meter.add(len(chunk), document.path)
            if interruptible and self._stopping():
                break
        return offset

    def _fetch(self, job: _Job, meter: _ProgressMeter) -> Path:
        """Download one document version to its ``.part`` file; returns it, verified."""
        want = job.want
        if self._abort.is_set() or self._control.cancelled:
            raise SyncCancelled("cancelled")
        if self._unreachable.is_set():
            raise SourceUnreachable("not fetched: the source could not be reached")
        part = self._part_path(want)
        for attempt in (1, 2):
            try:
                self._stream_to_part(want, part, meter)
                return part
            except ChecksumMismatch:
                _remove_part(part)
                if attempt == 2:
                    raise
                log.warning("%s failed its checksum; downloading it again", want.path)
            except DocumentChanged:
                _remove_part(part)
                raise
            except SourceUnreachable as exc:
                if not self._unreachable.is_set():
                    self._offline_message = f"{exc} Unfinished downloads resume at the next sync."
                    self._unreachable.set()
                raise
        raise AssertionError("unreachable")

    def _stream_to_part(self, want: _Wanted, part: Path, meter: _ProgressMeter) -> None:
        document = want.document()
        failures = 0
        try:
            hasher, offset = self._resume(want, part)
            with self._open_part(part) as handle:
                while offset < want.size:
                    if not self._control._begin_transfer() or self._abort.is_set():
                        raise SyncCancelled("cancelled")
                    try:
                        offset, hasher = self._receive(document, handle, offset, hasher, meter)
                    except (StreamInterrupted, RangeNotSatisfiable) as exc:
                        failures += 1
                        if failures > 3:
                            raise
                        if isinstance(exc, RangeNotSatisfiable):
                            handle.seek(0)
                            handle.truncate()
                            hasher, offset = hashlib.sha256(), 0
                    finally:
                        self._control._end_transfer()
                self._settle(handle)
        except OSError as exc:
            _remove_part(part)
            raise _storage_error(want, part, exc) from exc
        _check_complete(want, offset, hasher)

    def _receive(
        self,
        document: ManifestDocument,
        handle: BinaryIO,
        offset: int,
        hasher: Any,
        meter: _ProgressMeter,
    ) -> tuple[int, Any]:
        """Stream from ``offset`` until the end, a pause or a cancel; returns the new offset."""
        with self._source.open(document, offset) as stream:
            if stream.start != offset:
                handle.seek(0)
                handle.truncate()
                hasher, offset = hashlib.sha256(), 0
            offset = self._copy_chunks(
                stream.chunks, handle, offset, hasher, document, meter, interruptible=True
            )
            if offset < document.size and not self._stopping():
                raise ChecksumMismatch("the source sent fewer bytes than the manifest lists")
        return offset, hasher

    def _resume(self, want: _Wanted, part: Path) -> tuple[Any, int]:
        """The hash state and offset to continue ``part`` from (zero when it cannot be used).
        Its name says which content it is the start of (see :meth:`_part_path`)."""
        hasher = hashlib.sha256()
        try:
            size = part.stat().st_size
        except OSError:
            return hasher, 0
        if 0 < size <= want.size:
            try:
                with open(part, "rb") as handle:
                    while chunk := handle.read(_READ_CHUNK):
                        hasher.update(chunk)
                log.info("resuming %s from byte %d", want.path, size)
                return hasher, size
            except OSError:
                hasher = hashlib.sha256()
        _remove_part(part)
        return hasher, 0

    def _install(self, job: _Job, part: Path) -> None:
        """Rename a verified ``.part`` into place and record it (main thread only)."""
        want = job.want
        target, info = self._target_and_stat(want.path)
        if info is not None:
            ours = job.replaces
            installed_by_us = ours is not None and (ours.size, ours.mtime_ns) == (
                info.st_size,
                info.st_mtime_ns,
            )
            if not installed_by_us and (
                self._hash_if_size(want.path, info.st_size, want.size) != want.sha256
            ):
                # Not a copy we installed (the rep saved something there meanwhile): keep it.
                self._keep_edit(want.path, None)
        mtime = _parse_time(want.modified)
        if mtime is not None:
            os.utime(part, ns=(mtime, mtime))
        os.replace(part, target)
        info = os.stat(target)
        self._ledger.installed(want, MIRROR, want.path, info.st_size, info.st_mtime_ns)
        self._ledger.touched(os.path.dirname(target))
        self._ledger.flush_when_due()
        self._changed.add(target)

    def _save_last_sync(self, generation: object, problems: int, *, settled: bool) -> None:
        """Record a good sync. ``settled``: the mirror now holds the manifest's current state
        exactly (nothing pending or failed), so the next sync may take the quick path."""
        value = {
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "generation": generation,
            "source": self._source.key,
            "failed": problems,
        }
        with self._sessions.begin() as session:
            session.merge(KeyValue(key=LAST_SYNC_KEY, value=value))
            state = session.get(KeyValue, MANIFEST_KEY)
            if state is not None and bool(state.value.get("settled")) != settled:
                state.value = {**state.value, "settled": settled}


# -- helpers -----------------------------------------------------------------------------------

_PER_FILE_ERRORS = (
    SourceUnreachable,
    DocumentChanged,
    ChecksumMismatch,
    StreamInterrupted,
    RangeNotSatisfiable,
    PathBlocked,
)
_CONTENT_COLUMNS = {"doc_id", "rel_path", "version", "sha256", "size", "hub_modified", "history"}


def _entry_values(doc: ManifestDocument) -> dict[str, Any]:
    return {
        "doc_id": doc.id,
        "rel_path": doc.path,
        "version": doc.version,
        "sha256": doc.sha256,
        "size": doc.size,
        "title": doc.title,
        "tags": list(doc.tags),
        "audience": list(doc.audience),
        "released": doc.released,
        "expires": doc.expires,
        "withdrawn": doc.withdrawn,
        "superseded_by": doc.superseded_by,
        "notes": doc.notes,
        "hub_modified": doc.modified,
        "history": [
            {
                "version": h.version,
                "sha256": h.sha256,
                "size": h.size,
                "published_at": h.published_at,
                "notes": h.notes,
            }
            for h in doc.history
        ],
    }


def _as_wanted(record: _Installed) -> _Wanted:
    return _Wanted(
        record.doc_id, record.rel_path, record.version, record.sha256, record.size,
        None, False, False,
    )


def _reinstalled(
    record: _Installed,
    actual: str,
    digest: str,
    size: int,
    mtime_ns: int,
    adopted: _Wanted | None,
) -> _Installed:
    version = adopted.version if adopted is not None else record.version
    return _Installed(record.doc_id, MIRROR, actual, version, digest, size, mtime_ns)


class _Ledger:
    """The catalog writes of a sync, in batches.

    Each batch is committed only after the folders its files were renamed in have been fsynced,
    so the catalog never records a rename the disk could still lose. A sync killed between a
    rename and its batch leaves files the next sync recognises by their hash and adopts.

    A batch goes at least every half second: most of a sync's files are small and come last,
    and a batch of 1,000 held until then was written after the last download (a full sync of
    2,000 files, 500 MB, took 4 % less time; benchmarks/README.md, "Sync").
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        flush_filesystem: Callable[[Path], None] | None,
        *,
        every_s: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._flush_filesystem = flush_filesystem
        self._every_s = every_s
        self._rows: dict[str, dict[str, Any] | None] = {}
        self._folders: set[str] = set()
        self._flushed = time.monotonic()

    def installed(
        self, want: _Wanted, area: str, rel_path: str, size: int, mtime_ns: int
    ) -> None:
        self._rows[want.doc_id] = {
            "doc_id": want.doc_id,
            "area": area,
            "rel_path": rel_path,
            "version": want.version,
            "sha256": want.sha256,
            "size": size,
            "mtime_ns": mtime_ns,
            "installed_at": datetime.now(UTC),
        }

    def forgotten(self, doc_id: str) -> None:
        self._rows[doc_id] = None

    def touched(self, *folders: Path | str) -> None:
        self._folders.update(map(str, folders))

    def flush_when_due(self) -> None:
        if len(self._rows) >= 1000 or time.monotonic() - self._flushed >= self._every_s:
            self.flush()

    def flush(self) -> None:
        folders = [Path(folder) for folder in self._folders if os.path.isdir(folder)]
        if folders and self._flush_filesystem is not None:
            self._flush_filesystem(folders[0])  # the mirror is one filesystem (renames work)
        else:
            for folder in folders:
                _fsync_dir(folder)
        self._folders.clear()
        self._flushed = time.monotonic()
        if not self._rows:
            return
        upserts = [row for row in self._rows.values() if row is not None]
        gone = [doc_id for doc_id, row in self._rows.items() if row is None]
        locals_ = [
            {
                "entry_id": doc_id,
                "new_version": row["version"] if row else None,
                "new_sha": row["sha256"] if row else None,
            }
            for doc_id, row in self._rows.items()
        ]
        self._rows.clear()
        with self._sessions.begin() as session:
            for batch in _batches(gone, 500):
                session.execute(
                    delete(MirrorFile)
                    .where(MirrorFile.doc_id.in_(batch))
                    .execution_options(synchronize_session=False)
                )
            if upserts:
                files = _table(MirrorFile)
                statement = sqlite_insert(files)
                session.connection().execute(
                    statement.on_conflict_do_update(
                        index_elements=[files.c.doc_id],
                        set_={
                            name: statement.excluded[name]
                            for name in upserts[0]
                            if name != "doc_id"
                        },
                    ),
                    upserts,
                )
            entries = _table(MirrorEntry)
            session.connection().execute(
                update(entries)
                .where(entries.c.doc_id == bindparam("entry_id"))
                .values(local_version=bindparam("new_version"), local_sha256=bindparam("new_sha")),
                locals_,
            )


class _ProgressMeter:
    """Counts bytes and files from the download threads; calls back at most every 0.1 s."""

    def __init__(
        self, callback: ProgressCallback | None, *, files_total: int, bytes_total: int
    ) -> None:
        self._callback = callback
        self._files_total = files_total
        self._bytes_total = bytes_total
        self._files_done = 0
        self._bytes_done = 0
        self._current: str | None = None
        self._started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def add(self, count: int, current: str) -> None:
        with self._lock:
            self._bytes_done += count
            self._current = current
            self._emit(force=False)

    def file_done(self, current: str) -> None:
        with self._lock:
            self._files_done += 1
            self._current = current
            self._emit(force=False)

    def finish(self) -> None:
        with self._lock:
            self._current = None
            self._emit(force=True)

    def _emit(self, *, force: bool) -> None:
        if self._callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-6)
        rate = self._bytes_done / elapsed
        left = max(self._bytes_total - self._bytes_done, 0)
        eta = left / rate if rate > 0 else None
        self._callback(
            SyncProgress(
                files_done=self._files_done,
                files_total=self._files_total,
                bytes_done=self._bytes_done,
                bytes_total=self._bytes_total,
                rate_bps=rate,
                eta_s=eta,
                current=self._current,
            )
        )


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an OS lock on ``path`` for one sync; the OS drops it if the process dies."""
    with open(path, "a+b") as handle:
        try:
            _lock(handle.fileno())
        except OSError as exc:
            raise SyncBusy(
                "Another sync is already running for this library; try again once it is done."
            ) from exc
        yield


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _table(model: type[CatalogBase]) -> Table:
    return model.metadata.tables[model.__tablename__]


def _open_append(path: Path) -> BinaryIO:
    return open(path, "ab")


def _free_space(path: Path) -> int:
    return shutil.disk_usage(path).free


def _syncfs_function() -> Callable[[Path], None] | None:
    """Linux's ``syncfs``: everything written to the filesystem holding a folder reaches the
    disk. None where there is none (each file is then fsynced on its own)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    syncfs.argtypes = [ctypes.c_int]
    syncfs.restype = ctypes.c_int

    def flush(folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), str(folder))
        finally:
            os.close(fd)

    return flush


def _check_complete(want: _Wanted, offset: int, hasher: Any) -> None:
    if offset != want.size or hasher.hexdigest() != want.sha256:
        raise ChecksumMismatch(
            "the downloaded file did not match its checksum, so it was not installed"
        )


def _part_name(want: _Wanted) -> str:
    return f"{want.doc_id}.{want.version}.{want.sha256[:16]}.part"


def _remove_part(part: Path) -> None:
    part.unlink(missing_ok=True)


def _storage_error(want: _Wanted, part: Path, exc: OSError) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"The disk is full: '{want.path}' ({_human(want.size)}) could not be saved. "
            "Free some space and sync again; nothing partial was kept."
        )
    return StorageError(f"Cannot save '{want.path}' to {part}: {exc}")


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory for fsync; NTFS journals the rename.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unique_path(path: Path) -> Path:
    """``path``, or ``name (2).ext``, ``name (3).ext``… — the first that does not exist."""
    if not path.exists() and not path.is_symlink():
        return path
    stem, suffix = path.stem, path.suffix
    n = 2
    while True:
        candidate = path.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
        n += 1


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_time(text: str | None) -> int | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000_000)


def _human(count: int) -> str:
    units = ("bytes", "KB", "MB", "GB", "TB")
    value, index = float(count), 0
    while value >= 1000 and index < len(units) - 1:
        value /= 1000
        index += 1
    return f"{count} bytes" if index == 0 else f"{value:.1f} {units[index]}"


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
