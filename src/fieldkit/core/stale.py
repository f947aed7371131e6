"""Old copies of approved documents elsewhere on the disk (Downloads, Desktop, Documents…).

The rep picks folders to watch. A file there whose bytes equal an earlier version of an approved
document (the manifest's history), or the current version of a withdrawn, superseded or expired
one, is a stale copy: "Old copy of Pricing (v3) in Downloads — latest is v5".

Scans are incremental and cheap: a file is only hashed when its size is one some known version
has, and a hashed file is remembered by (path, size, mtime) so it is not read again. Work is
committed in small batches and can be cancelled, so a scan never holds anything up.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import platformdirs
import send2trash
from sqlalchemy import Row, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core import freshness
from fieldkit.core.catalog import KeyValue, MirrorEntry, MirrorFile
from fieldkit.core.errors import FieldkitError, StorageError, UsageError
from fieldkit.core.freshness_models import ScannedFile, WatchedFolder
from fieldkit.core.home import HomePaths
from fieldkit.core.sync import MANIFEST_KEY
from fieldkit.core.watch import FolderWatcher

log = logging.getLogger(__name__)

_HASH_CHUNK = 1 << 20
_BATCH_FILES = 200
_BATCH_SECONDS = 0.5
# Names that are never finished documents: hidden files, Office locks, partial downloads.
_PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".download", ".partial")

Trash = Callable[[Path], None]
NameChoice = Literal["copy", "latest"]


def send_to_trash(path: Path) -> None:
    """Move ``path`` to the OS trash (recycle bin); raises OSError when that is impossible."""
    send2trash.send2trash(str(path))


def suggested_folders() -> tuple[Path, ...]:
    """The rep's Downloads, Desktop and Documents folders that exist."""
    found = []
    for getter in (
        platformdirs.user_downloads_path,
        platformdirs.user_desktop_path,
        platformdirs.user_documents_path,
    ):
        path = getter()
        if path.is_dir() and path not in found:
            found.append(path)
    return tuple(found)


@dataclass(frozen=True)
class StaleCopy:
    """A file in a watched folder that is not the approved, current document."""

    path: Path
    doc_id: str
    title: str
    copy_version: int
    latest_version: int
    state: str  # outdated | withdrawn | superseded | expired
    reason: str  # "Old copy of Pricing (v3) in Downloads — latest is v5."
    can_replace: bool  # a newer approved version exists to put in its place


@dataclass(frozen=True)
class ScanProgress:
    files: int  # files looked at so far
    hashed: int  # of those, read and hashed
    current: Path | None


@dataclass(frozen=True)
class ScanReport:
    files: int
    hashed: int
    cancelled: bool
    copies: tuple[StaleCopy, ...]


@dataclass(frozen=True)
class Replaced:
    old_path: Path  # now in the OS trash
    new_path: Path  # the latest version, copied from the mirror
    version: int


ProgressCallback = Callable[[ScanProgress], None]


@dataclass(frozen=True)
class _Match:
    doc_id: str
    title: str
    version: int
    latest_version: int
    state: str
    doc_reason: str


class _Known:
    """The versions a file in a watched folder could be a stale copy of."""

    def __init__(self, rows: Sequence[Row[Any]], now: datetime, expiring_days: int) -> None:
        self.sizes: set[int] = set()
        self.current: set[str] = set()
        self.matches: dict[str, _Match] = {}
        titles = {e.doc_id: freshness.display_title(e.title, e.rel_path) for e in rows}
        for entry in rows:
            replacement = entry.superseded_by
            state = freshness.evaluate(
                version=entry.version,
                local_version=None,
                expires=entry.expires,
                withdrawn=entry.withdrawn,
                superseded_by_title=titles.get(replacement, replacement) if replacement else None,
                today=now.date(),
                expiring_days=expiring_days,
            )
            title = titles[entry.doc_id]
            bad = state.state in (freshness.WITHDRAWN, freshness.SUPERSEDED, freshness.EXPIRED)
            if bad:
                self._add(entry.sha256, entry.size, _Match(
                    entry.doc_id, title, entry.version, entry.version, state.state, state.reason
                ))
            else:
                self.current.add(entry.sha256)
            for item in entry.history:
                if not isinstance(item, dict):
                    continue
                version, digest, size = item.get("version"), item.get("sha256"), item.get("size")
                if not (isinstance(version, int) and isinstance(digest, str)):
                    continue
                if not isinstance(size, int):
                    continue
                self._add(digest, size, _Match(
                    entry.doc_id,
                    title,
                    version,
                    entry.version,
                    state.state if bad else freshness.OUTDATED,
                    state.reason,
                ))

    def _add(self, digest: str, size: int, match: _Match) -> None:
        self.sizes.add(size)
        known = self.matches.get(digest)
        # The same bytes in two documents' histories: report the newest document version.
        if known is None or (match.latest_version, match.doc_id) > (
            known.latest_version,
            known.doc_id,
        ):
            self.matches[digest] = match

    def match(self, digest: str) -> _Match | None:
        if digest in self.current:
            return None  # the same bytes are some document's approved, current version
        return self.matches.get(digest)


class StaleCopies:
    """Watched folders, their incremental scan, and what to do with a stale copy.

    Safe to use from several threads: scans are serialised, every method uses its own session.
    """

    def __init__(
        self,
        home: HomePaths,
        sessions: sessionmaker[Session],
        *,
        expiring_days: int,
        clock: freshness.Clock = freshness.utc_now,
        trash: Trash = send_to_trash,
    ) -> None:
        self._home = home
        self._sessions = sessions
        self._expiring_days = expiring_days
        self._clock = clock
        self._trash = trash
        self._scan_lock = threading.Lock()
        self._cache: tuple[tuple[object, date], _Known] | None = None

    # -- folders -----------------------------------------------------------------------------

    def add_folder(self, folder: Path) -> Path:
        """Watch ``folder`` for stale copies; returns it resolved."""
        resolved = folder.expanduser().resolve()
        if not resolved.is_dir():
            raise UsageError(f"No such folder: {folder}")
        home = self._home.root.resolve()
        if resolved == home or home in resolved.parents:
            raise UsageError(f"{resolved} is fieldkit's own folder; it holds the approved copies.")
        with self._sessions.begin() as session:
            for row in session.scalars(select(WatchedFolder)):
                existing = Path(row.path)
                if existing == resolved:
                    raise UsageError(f"{resolved} is already watched.")
                if existing in resolved.parents:
                    raise UsageError(f"{resolved} is inside {existing}, which is already watched.")
                if resolved in existing.parents:
                    raise UsageError(
                        f"{resolved} contains {existing}, which is already watched; "
                        "remove that one first."
                    )
            session.add(WatchedFolder(path=str(resolved)))
        return resolved

    def remove_folder(self, folder: Path) -> Path:
        resolved = folder.expanduser().resolve()
        with self._sessions.begin() as session:
            row = session.scalar(select(WatchedFolder).where(WatchedFolder.path == str(resolved)))
            if row is None:
                raise UsageError(f"{folder} is not a watched folder.")
            session.execute(delete(ScannedFile).where(ScannedFile.folder_id == row.id))
            session.delete(row)
        return resolved

    def folders(self) -> tuple[Path, ...]:
        with self._sessions.begin() as session:
            paths = session.scalars(select(WatchedFolder.path).order_by(WatchedFolder.path)).all()
        return tuple(Path(p) for p in paths)

    # -- scanning ----------------------------------------------------------------------------

    def scan(
        self,
        paths: Iterable[Path] | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ScanReport:
        """Bring the scan of the watched folders up to date; with ``paths`` (watcher hints),
        look only at those files and folders."""
        with self._scan_lock:
            return self._scan(paths, progress, cancel)

    def _scan(
        self,
        paths: Iterable[Path] | None,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> ScanReport:
        known = self._known()
        folders = self._folder_rows()
        scope = _scope(folders, paths)
        with self._sessions.begin() as session:
            remembered = {
                row.path: (row.size, row.mtime_ns)
                for row in session.execute(
                    select(ScannedFile.path, ScannedFile.size, ScannedFile.mtime_ns)
                )
            }
        home = self._home.root.resolve()
        seen: set[str] = set()
        pending: list[dict[str, object]] = []
        forget: list[str] = []
        files = hashed = 0
        cancelled = False
        last_flush = time.monotonic()
        sizes = known.sizes
        for folder_id, key, size, mtime_ns in _walk(scope, str(home)):
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            files += 1
            seen.add(key)
            if size not in sizes:
                if key in remembered:
                    forget.append(key)
            elif remembered.get(key) != (size, mtime_ns):
                try:
                    digest = _sha256(Path(key), cancel)
                except OSError as exc:
                    log.info("cannot read %s: %s", key, exc)
                    continue
                if digest is None:
                    cancelled = True
                    break
                hashed += 1
                pending.append(
                    {
                        "path": key,
                        "folder_id": folder_id,
                        "size": size,
                        "mtime_ns": mtime_ns,
                        "sha256": digest,
                    }
                )
            if files % 256 == 0 or pending:
                now = time.monotonic()
                if len(pending) + len(forget) >= _BATCH_FILES or now - last_flush > _BATCH_SECONDS:
                    self._flush(pending, forget)
                    last_flush = now
                    if progress is not None:
                        progress(ScanProgress(files, hashed, Path(key)))
        if not cancelled:
            forget.extend(
                key for key in remembered if key not in seen and _in_scope(Path(key), scope)
            )
        self._flush(pending, forget)
        if progress is not None:
            progress(ScanProgress(files, hashed, None))
        return ScanReport(files, hashed, cancelled, self._copies(known))

    def _flush(self, pending: list[dict[str, object]], forget: list[str]) -> None:
        if not (pending or forget):
            return
        with self._sessions.begin() as session:
            if forget:
                session.execute(delete(ScannedFile).where(ScannedFile.path.in_(forget)))
            if pending:
                statement = sqlite_insert(ScannedFile).values(pending)
                session.execute(
                    statement.on_conflict_do_update(
                        index_elements=[ScannedFile.path],
                        set_={
                            "folder_id": statement.excluded.folder_id,
                            "size": statement.excluded.size,
                            "mtime_ns": statement.excluded.mtime_ns,
                            "sha256": statement.excluded.sha256,
                        },
                    )
                )
        pending.clear()
        forget.clear()

    # -- results -----------------------------------------------------------------------------

    def copies(self) -> tuple[StaleCopy, ...]:
        """The stale copies the last scan found (files changed since are left out)."""
        return self._copies(self._known())

    def _copies(self, known: _Known) -> tuple[StaleCopy, ...]:
        with self._sessions.begin() as session:
            rows = session.execute(
                select(ScannedFile.path, ScannedFile.size, ScannedFile.mtime_ns, ScannedFile.sha256)
            ).all()
        found = []
        for row in rows:
            match = known.match(row.sha256)
            if match is None:
                continue
            path = Path(row.path)
            try:
                info = path.stat()
            except OSError:
                continue
            if (info.st_size, info.st_mtime_ns) != (row.size, row.mtime_ns):
                continue
            found.append(_stale_copy(path, match))
        found.sort(key=lambda c: (c.title.casefold(), str(c.path)))
        return tuple(found)

    # -- acting on a copy --------------------------------------------------------------------

    def replace_with_latest(self, path: Path, *, name: NameChoice = "copy") -> Replaced:
        """Put the latest approved version where the stale copy is, and send the copy to the OS
        trash (never deleted outright). ``name``: keep the copy's file name, or use the latest's.
        """
        old = path.expanduser().absolute()
        known = self._known()
        try:
            digest = _sha256(old, None)
        except OSError as exc:
            raise UsageError(f"Cannot read {old}: {exc.strerror or exc}") from exc
        match = known.match(digest or "")
        if match is None:
            raise UsageError(f"{old} is not an old copy of an approved document.")
        copy = _stale_copy(old, match)
        if not copy.can_replace:
            raise UsageError(f"{copy.reason} There is no newer version to replace it with.")
        latest, latest_sha = self.latest_file(match.doc_id)
        target = old if name == "copy" else _free_name(old.parent / latest.name, old)
        temp = old.parent / f".fieldkit-{uuid.uuid4().hex}.part"
        try:
            _copy_verified(latest, temp, latest_sha)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StorageError(f"Cannot write the latest version into {old.parent}: {exc}") from exc
        try:
            self._trash(old)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StorageError(
                f"{old} could not be moved to the trash ({exc}); nothing was changed."
            ) from exc
        os.replace(temp, target)
        info = target.stat()
        self._remember_replacement(old, target, info, latest_sha)
        log.info("replaced %s (v%d) with v%d at %s", old, copy.copy_version, match.latest_version,
                 target)
        return Replaced(old, target, match.latest_version)

    def latest_file(self, doc_id: str) -> tuple[Path, str]:
        """The approved current version of ``doc_id`` on this laptop, and its hash."""
        with self._sessions.begin() as session:
            entry = session.get(MirrorEntry, doc_id)
            installed = session.get(MirrorFile, doc_id)
            if entry is None:
                raise UsageError(f"No document '{doc_id}' in the last manifest.")
            title = freshness.display_title(entry.title, entry.rel_path)
            version, sha = entry.version, entry.sha256
            where = (
                (installed.area, installed.rel_path, installed.version, installed.size,
                 installed.mtime_ns)
                if installed is not None
                else None
            )
        if where is None or where[0] != "mirror" or where[2] != version:
            raise FieldkitError(
                f"The latest version of “{title}” (v{version}) is not on this laptop yet. "
                "Sync, then try again."
            )
        path = self._home.mirror_dir.joinpath(*where[1].split("/"))
        try:
            info = path.stat()
        except OSError as exc:
            raise FieldkitError(
                f"The latest version of “{title}” is missing from the mirror. Sync, then try again."
            ) from exc
        if (info.st_size, info.st_mtime_ns) != (where[3], where[4]) and _sha256(path, None) != sha:
            raise FieldkitError(
                f"The copy of “{title}” in the mirror was changed on this laptop. Sync to restore "
                "the approved copy, then try again."
            )
        return path, sha

    # -- helpers -----------------------------------------------------------------------------

    def _known(self) -> _Known:
        """What the last manifest knows, rebuilt only when the manifest or the day changes."""
        now = self._clock()
        with self._sessions.begin() as session:
            state = session.get(KeyValue, MANIFEST_KEY)
            generation = state.value.get("generation") if state is not None else None
            key = (generation, now.date())
            cached = self._cache
            if cached is not None and cached[0] == key and generation is not None:
                return cached[1]
            rows = session.execute(
                select(
                    MirrorEntry.doc_id,
                    MirrorEntry.rel_path,
                    MirrorEntry.title,
                    MirrorEntry.version,
                    MirrorEntry.sha256,
                    MirrorEntry.size,
                    MirrorEntry.expires,
                    MirrorEntry.withdrawn,
                    MirrorEntry.superseded_by,
                    MirrorEntry.history,
                )
            ).all()
        known = _Known(rows, now, self._expiring_days)
        self._cache = (key, known)
        return known

    def _folder_rows(self) -> list[tuple[int, Path]]:
        with self._sessions.begin() as session:
            rows = session.execute(select(WatchedFolder.id, WatchedFolder.path)).all()
        return [(row.id, Path(row.path)) for row in rows]

    def _remember_replacement(
        self, old: Path, new: Path, info: os.stat_result, digest: str
    ) -> None:
        with self._sessions.begin() as session:
            row = session.get(ScannedFile, str(old))
            if row is None:
                return
            folder_id = row.folder_id
            session.delete(row)
            session.flush()
            session.merge(
                ScannedFile(
                    path=str(new),
                    folder_id=folder_id,
                    size=info.st_size,
                    mtime_ns=info.st_mtime_ns,
                    sha256=digest,
                )
            )


class StaleWatch:
    """Keeps the stale-copy scan current while the app runs: a full scan at start and on a slow
    timer, and a scan of just the changed paths after watchdog events.

    ``on_scanned`` is called from the watcher's thread after every scan (hand the report to the
    UI thread yourself). :meth:`start` runs the first full scan in the calling thread: call it
    from a worker.
    """

    def __init__(
        self,
        copies: StaleCopies,
        on_scanned: Callable[[ScanReport], None],
        *,
        polling: bool = False,
        quiet_s: float = 0.5,
        reconcile_s: float = 600.0,
    ) -> None:
        self._copies = copies
        self._on_scanned = on_scanned
        self._watcher = FolderWatcher(
            self._on_request, quiet_s=quiet_s, reconcile_s=reconcile_s, polling=polling
        )
        self._watched: set[Path] = set()

    def start(self) -> None:
        self.refresh_folders()
        self._watcher.start()

    def refresh_folders(self) -> None:
        """Watch folders added since, stop watching removed ones (after add/remove_folder)."""
        wanted = set(self._copies.folders())
        for folder in self._watched - wanted:
            self._watcher.unwatch(folder)
        for folder in wanted - self._watched:
            self._watcher.watch(folder)
        self._watched = wanted

    def stop(self) -> None:
        self._watcher.stop()

    def _on_request(self, paths: Iterable[Path] | None) -> None:
        try:
            report = self._copies.scan(None if paths is None else list(paths))
        except FieldkitError as exc:
            log.warning("stale-copy scan failed: %s", exc)
            return
        self._on_scanned(report)


# -- module helpers ----------------------------------------------------------------------------


def _stale_copy(path: Path, match: _Match) -> StaleCopy:
    where = path.parent.name or str(path.parent)
    if match.state == freshness.OUTDATED:
        reason = (
            f"Old copy of {match.title} (v{match.version}) in {where} — "
            f"latest is v{match.latest_version}."
        )
    else:
        old = "Old copy" if match.version < match.latest_version else "Copy"
        reason = f"{old} of {match.title} (v{match.version}) in {where} — {match.doc_reason}"
    return StaleCopy(
        path=path,
        doc_id=match.doc_id,
        title=match.title,
        copy_version=match.version,
        latest_version=match.latest_version,
        state=match.state,
        reason=reason,
        can_replace=match.version < match.latest_version and match.state != freshness.WITHDRAWN,
    )


def _scope(
    folders: list[tuple[int, Path]], paths: Iterable[Path] | None
) -> list[tuple[int, Path]]:
    """(folder id, start path) pairs to walk: whole folders, or the hinted paths inside them."""
    if paths is None:
        return folders
    scope = []
    for raw in paths:
        path = raw.absolute()
        for folder_id, root in folders:
            if path == root or root in path.parents:
                scope.append((folder_id, path))
                break
    return scope


def _in_scope(path: Path, scope: list[tuple[int, Path]]) -> bool:
    return any(path == start or start in path.parents for _id, start in scope)


def _is_candidate_name(name: str) -> bool:
    return not (name.startswith((".", "~$")) or name.lower().endswith(_PARTIAL_SUFFIXES))


def _walk(scope: list[tuple[int, Path]], skip: str) -> Iterator[tuple[int, str, int, int]]:
    """(folder id, path, size, mtime_ns) of every candidate file under the scope."""
    for folder_id, start in scope:
        try:
            info = start.lstat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            if _is_candidate_name(start.name):
                yield folder_id, str(start), info.st_size, info.st_mtime_ns
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        stack = [str(start)]
        while stack:
            current = stack.pop()
            if current == skip:
                continue
            try:
                with os.scandir(current) as listing:
                    entries = list(listing)
            except OSError as exc:
                log.info("cannot list %s: %s", current, exc)
                continue
            for entry in entries:
                if not _is_candidate_name(entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        found = entry.stat(follow_symlinks=False)
                        yield folder_id, entry.path, found.st_size, found.st_mtime_ns
                except OSError as exc:
                    log.info("cannot read %s: %s", entry.path, exc)


def _sha256(path: Path, cancel: threading.Event | None) -> str | None:
    """The file's hash; None when ``cancel`` was set part-way."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            if cancel is not None and cancel.is_set():
                return None
            digest.update(chunk)
    return digest.hexdigest()


def _copy_verified(source: Path, target: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("xb") as writer:
        while chunk := reader.read(_HASH_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    if digest.hexdigest() != sha256:
        target.unlink(missing_ok=True)
        raise FieldkitError(
            f"{source} changed while it was being copied; sync to restore it, then try again."
        )
    shutil.copystat(source, target)


def _free_name(path: Path, allowed: Path) -> Path:
    """``path`` if free (or it is ``allowed``), else ``name (2).ext``, ``name (3).ext``…"""
    if path == allowed or not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1
