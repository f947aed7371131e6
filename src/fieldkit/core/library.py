"""The rep's library: the folders fieldkit indexes and the work of keeping the index current.

The catalog (SQLite) records every file and the state it ended in; the Whoosh index is a cache
rebuilt from it. ``Library.index`` is the one writer of the index: call it from one thread only.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core import freshness
from fieldkit.core.catalog import CatalogFile, LibraryFolder, MirrorEntry
from fieldkit.core.errors import UsageError
from fieldkit.core.home import HomePaths
from fieldkit.core.index import (
    IndexDocument,
    IndexUnit,
    SearchIndex,
    SearchRequest,
    SearchResults,
)
from fieldkit.core.pacing import Pacer
from fieldkit.core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Row

    # Loaded when files are read (PDFium, lxml): opening a library to search does not need them.
    from fieldkit.core.extract import Extracted, ExtractionPool, Failure

    # A catalog row as the scan reads it: folder_id, rel_path, size, mtime_ns, sha256, doc_id,
    # state, meta_key.
    _KnownFile = Row[int, str, int, int, str, str, str, str]

log = logging.getLogger(__name__)

MIRROR = "mirror"
PERSONAL = "personal"
ARCHIVE = "archive"

# Files that are never documents: partial downloads, editor and Office lock files, sidecars.
_IGNORED_SUFFIXES = (".part", ".tmp", ".meta.toml", ".crdownload")
_HASH_CHUNK = 1 << 20
# Documents per index commit: small runs commit often (searchable sooner); a big run uses a
# few big segments, since each commit writes its segment's whole vocabulary and merges rewrite
# documents. A commit also comes once the pending text reaches _APPLY_CHARS (memory).
_APPLY_BATCH = 200
_APPLY_BATCH_MAX = 2500
_APPLY_PARTS = 8
_APPLY_CHARS = 50_000_000
_IN_CHUNK = 500  # values per SQL IN list
_SCAN_CHUNK = 200  # files the reconcile scan looks at between pauses (a few ms)
_SCAN_PART = 2000  # catalog rows it reads between pauses
_UNREADABLE = "can't be read"


@dataclass(frozen=True)
class FolderInfo:
    path: str
    kind: str
    files: int
    failed: int


@dataclass(frozen=True)
class FailedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class IndexReport:
    indexed: int
    unchanged: int
    removed: int
    failed: int
    failures: tuple[FailedFile, ...]
    truncated: int
    rebuilt: bool = False


@dataclass(frozen=True)
class IndexProgress:
    done: int
    total: int
    current: str | None


@dataclass(frozen=True)
class LibraryStatus:
    documents: int
    indexed: int
    failed: int
    index_ok: bool
    index_problem: str | None
    folders: tuple[FolderInfo, ...]


@dataclass(frozen=True)
class _DocMeta:
    doc_id: str
    title: str | None
    tags: tuple[str, ...]
    status: str
    version: int | None
    personal: bool

    def key(self) -> str:
        return _meta_key(self.title, self.tags, self.status, self.version)


@functools.lru_cache(maxsize=4096)
def _meta_key(title: str | None, tags: tuple[str, ...], status: str, version: int | None) -> str:
    # Cached: most files of a scan share their metadata (a personal folder's files all have
    # none), and the scan computes a key for every file.
    raw = "\x1f".join([title or "", ",".join(tags), status, str(version)])
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class _Candidate:
    folder_id: int
    folder_kind: str
    root: Path
    rel_path: str
    size: int
    mtime_ns: int
    sha256: str
    meta: _DocMeta

    @property
    def path(self) -> Path:
        return self.root / self.rel_path


ProgressCallback = Callable[[IndexProgress], None]


class Library:
    def __init__(
        self,
        *,
        home: HomePaths,
        sessions: sessionmaker[Session],
        index: SearchIndex,
        settings: Settings,
        pool_factory: Callable[[], ExtractionPool],
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        pacer: Pacer | None = None,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self._home = home
        # Units of work that only read (no write lock taken or waited for).
        self._readers = readers if readers is not None else sessions
        # The scan steps aside between chunks while a search runs.
        self._pacer = pacer if pacer is not None else Pacer()
        self._sessions = sessions
        self._index = index
        self._settings = settings
        self._pool_factory = pool_factory
        self._pool: ExtractionPool | None = None
        self._today = today
        self._index_problem: str | None = None

    # -- folders -----------------------------------------------------------------------------

    def ensure_folder(self, path: Path, kind: str) -> None:
        """Register the mirror or archive folder (idempotent)."""
        path.mkdir(parents=True, exist_ok=True)
        key = str(path.resolve())
        with self._sessions.begin() as session:
            existing = session.scalar(select(LibraryFolder).where(LibraryFolder.path == key))
            if existing is None:
                session.add(LibraryFolder(path=key, kind=kind))

    def add_folder(self, path: Path) -> FolderInfo:
        """Add a folder of the rep's own files, indexed beside approved content."""
        resolved = path.expanduser().resolve()
        if not resolved.exists():
            raise UsageError(f"No such folder: {path}")
        if not resolved.is_dir():
            raise UsageError(f"Not a folder: {path}")
        with self._sessions.begin() as session:
            for folder in session.scalars(select(LibraryFolder)):
                existing = Path(folder.path)
                if existing == resolved:
                    raise UsageError(f"{resolved} is already in the library.")
                if existing in resolved.parents:
                    raise UsageError(f"{resolved} is inside {existing}, already in the library.")
                if resolved in existing.parents:
                    raise UsageError(
                        f"{resolved} contains {existing}, already in the library; "
                        "remove that one first."
                    )
            session.add(LibraryFolder(path=str(resolved), kind=PERSONAL))
        return FolderInfo(str(resolved), PERSONAL, 0, 0)

    def remove_folder(self, path: Path) -> None:
        resolved = str(path.expanduser().resolve())
        with self._sessions.begin() as session:
            folder = session.scalar(select(LibraryFolder).where(LibraryFolder.path == resolved))
            if folder is None or folder.kind != PERSONAL:
                raise UsageError(f"{path} is not one of your personal folders.")
            doc_ids = list(
                session.scalars(
                    select(CatalogFile.doc_id).where(CatalogFile.folder_id == folder.id)
                )
            )
            session.delete(folder)
        self._index.apply(add=(), delete=doc_ids)

    def folders(self) -> tuple[FolderInfo, ...]:
        with self._readers.begin() as session:
            rows = session.scalars(select(LibraryFolder).order_by(LibraryFolder.id)).all()
            infos = []
            for folder in rows:
                states = session.scalars(
                    select(CatalogFile.state).where(CatalogFile.folder_id == folder.id)
                ).all()
                infos.append(
                    FolderInfo(folder.path, folder.kind, len(states), states.count("failed"))
                )
        return tuple(infos)

    # -- indexing ----------------------------------------------------------------------------

    def check_index(self) -> bool:
        """Open the index; a damaged or outdated one is wiped so the next run rebuilds it."""
        health = self._index.open()
        if health.ok:
            self._index_problem = None
            return True
        log.warning("search index needs a rebuild: %s", health.reason)
        self._index_problem = health.reason
        self._index.reset()
        with self._sessions.begin() as session:
            session.execute(delete(CatalogFile))
        return False

    def index(
        self,
        progress: ProgressCallback | None = None,
        only: Iterable[Path] | None = None,
    ) -> IndexReport:
        """Bring the index up to date with the files on disk.

        Only new or changed files are extracted (size and mtime first, then the content hash);
        files that disappeared leave the index. With ``only``, just those paths are looked at (the
        watcher's hint); otherwise every folder is scanned.
        """
        pause = self._pacer.pause
        rebuilt = not self.check_index()
        folders = self._load_folders()
        pause()
        known = self._load_catalog()
        pause()
        mirror = self._load_mirror_entries()
        pause()
        indexed_ids = self._index.doc_ids()
        pause()

        seen: set[tuple[int, str]] = set()
        changed: list[_Candidate] = []
        unreadable: list[_Candidate] = []
        unchanged = 0
        scope = _scope(folders, only)
        for folder_id, kind, root, rel_path, stat in _walk(folders, scope):
            if len(seen) % _SCAN_CHUNK == 0:
                pause()
            seen.add((folder_id, rel_path))
            row = known.get((folder_id, rel_path))
            meta = self._doc_meta(kind, root, rel_path, mirror)
            meta_key = meta.key()
            if (
                row is not None
                and row.size == stat.st_size
                and row.mtime_ns == stat.st_mtime_ns
                and row.meta_key == meta_key
                and (row.state == "failed" or row.doc_id in indexed_ids)
            ):
                unchanged += 1
                continue
            try:
                digest = _sha256(root / rel_path)
            except OSError as exc:
                log.info("cannot read %s: %s", root / rel_path, exc)
                digest = ""
            candidate = _Candidate(
                folder_id, kind, root, rel_path, stat.st_size, stat.st_mtime_ns, digest, meta
            )
            if not digest:
                unreadable.append(candidate)
                continue
            if (
                row is not None
                and row.sha256 == digest
                and row.meta_key == meta_key
                and (row.state == "failed" or row.doc_id in indexed_ids)
            ):
                self._touch(candidate)
                unchanged += 1
                continue
            changed.append(candidate)

        removed_keys = [
            key for key in known if key not in seen and _in_scope(key, folders, scope)
        ]
        removed_ids = [known[key].doc_id for key in removed_keys]
        if removed_keys:
            with self._sessions.begin() as session:
                for folder_id, rel_path in removed_keys:
                    session.execute(
                        delete(CatalogFile).where(
                            CatalogFile.folder_id == folder_id, CatalogFile.rel_path == rel_path
                        )
                    )
        # Catalog rows whose index entry is gone are re-added by the scan above; entries whose
        # catalog row is gone (a crash between the two writes) are dropped here.
        stale_ids = set(removed_ids)
        if only is None:
            live = {row.doc_id for key, row in known.items() if key in seen}
            live |= {c.meta.doc_id for c in changed}
            stale_ids |= indexed_ids - live

        report = self._extract_and_index(changed, unreadable, sorted(stale_ids), progress)
        return replace(
            report, unchanged=unchanged, removed=len(removed_keys), rebuilt=rebuilt
        )

    def _extract_and_index(
        self,
        changed: list[_Candidate],
        unreadable: list[_Candidate],
        delete_ids: list[str],
        progress: ProgressCallback | None,
    ) -> IndexReport:
        from fieldkit.core.extract import Failure

        by_path = {c.path: c for c in changed}
        failures = [FailedFile(str(c.path), _UNREADABLE) for c in unreadable]
        truncated = 0
        indexed = 0
        pending_add: list[IndexDocument] = []
        pending_delete = [*delete_ids, *(c.meta.doc_id for c in unreadable)]
        pending_rows: list[tuple[_Candidate, Extracted | Failure]] = [
            (c, Failure(_UNREADABLE, "the file could not be opened")) for c in unreadable
        ]
        total = len(changed)
        batch = min(_APPLY_BATCH_MAX, max(_APPLY_BATCH, total // _APPLY_PARTS))
        pending_chars = 0
        done = 0
        if progress is not None:
            progress(IndexProgress(0, total, None))

        def flush() -> None:
            nonlocal pending_chars
            pending_chars = 0
            if not (pending_add or pending_delete or pending_rows):
                return
            self._index.apply(add=pending_add, delete=pending_delete)
            self._record(pending_rows)
            pending_add.clear()
            pending_delete.clear()
            pending_rows.clear()

        if changed:
            pool = self._ensure_pool()
            for path, result in pool.extract_many(list(by_path)):
                candidate = by_path[path]
                done += 1
                pending_rows.append((candidate, result))
                if isinstance(result, Failure):
                    failures.append(FailedFile(str(path), result.reason))
                    pending_delete.append(candidate.meta.doc_id)
                else:
                    indexed += 1
                    truncated += int(result.truncated)
                    pending_delete.append(candidate.meta.doc_id)
                    pending_add.append(self._index_document(candidate, result))
                    pending_chars += result.chars
                if len(pending_rows) >= batch or pending_chars >= _APPLY_CHARS:
                    flush()
                if progress is not None:
                    progress(IndexProgress(done, total, str(path)))
        flush()
        return IndexReport(
            indexed=indexed,
            unchanged=0,
            removed=0,
            failed=len(failures),
            failures=tuple(failures),
            truncated=truncated,
        )

    def _index_document(self, candidate: _Candidate, extracted: Extracted) -> IndexDocument:
        meta = candidate.meta
        rel = PurePosixPath(candidate.rel_path)
        folder = rel.parent.as_posix() if str(rel.parent) != "." else ""
        if candidate.folder_kind == PERSONAL:
            folder = f"{candidate.root.name}/{folder}".rstrip("/")
        return IndexDocument(
            doc_id=meta.doc_id,
            path=str(candidate.path),
            title=meta.title or extracted.title,
            filename=rel.name,
            format=extracted.format,
            folder=folder,
            tags=meta.tags,
            modified=datetime.fromtimestamp(candidate.mtime_ns / 1e9, UTC),
            status=meta.status,
            version=meta.version,
            personal=meta.personal,
            units=tuple(IndexUnit(u.kind, u.number, u.text) for u in extracted.units),
        )

    def _record(self, rows: list[tuple[_Candidate, Extracted | Failure]]) -> None:
        from fieldkit.core.extract import Failure

        with self._sessions.begin() as session:
            keys = {(c.folder_id, c.rel_path) for c, _ in rows}
            existing: dict[tuple[int, str], CatalogFile] = {}
            paths = sorted({c.rel_path for c, _ in rows})
            for start in range(0, len(paths), _IN_CHUNK):
                chunk = paths[start : start + _IN_CHUNK]
                for found in session.scalars(
                    select(CatalogFile).where(CatalogFile.rel_path.in_(chunk))
                ):
                    if (found.folder_id, found.rel_path) in keys:
                        existing[(found.folder_id, found.rel_path)] = found
            # A doc id moves with its file (a rename in the mirror): drop its old row.
            moved = [c.meta.doc_id for c, _ in rows if (c.folder_id, c.rel_path) not in existing]
            kept = [found.id for found in existing.values()]
            for start in range(0, len(moved), _IN_CHUNK):
                session.execute(
                    delete(CatalogFile)
                    .where(
                        CatalogFile.doc_id.in_(moved[start : start + _IN_CHUNK]),
                        CatalogFile.id.not_in(kept),
                    )
                    .execution_options(synchronize_session=False)
                )
            now = datetime.now(UTC)
            for candidate, result in rows:
                row = existing.get((candidate.folder_id, candidate.rel_path))
                if row is None:
                    row = CatalogFile(
                        folder_id=candidate.folder_id,
                        rel_path=candidate.rel_path,
                        doc_id=candidate.meta.doc_id,
                    )
                    session.add(row)
                    existing[(candidate.folder_id, candidate.rel_path)] = row
                row.doc_id = candidate.meta.doc_id
                row.size = candidate.size
                row.mtime_ns = candidate.mtime_ns
                row.sha256 = candidate.sha256
                row.meta_key = candidate.meta.key()
                row.indexed_at = now
                if isinstance(result, Failure):
                    row.state = "failed"
                    row.reason = result.reason
                    row.format = _format_guess(candidate.path)
                    row.title = candidate.meta.title or candidate.path.stem
                    row.truncated = False
                    row.units = 0
                else:
                    row.state = "indexed"
                    row.reason = None
                    row.format = result.format
                    row.title = candidate.meta.title or result.title
                    row.truncated = result.truncated
                    row.units = len(result.units)

    def _touch(self, candidate: _Candidate) -> None:
        with self._sessions.begin() as session:
            row = session.scalar(
                select(CatalogFile).where(
                    CatalogFile.folder_id == candidate.folder_id,
                    CatalogFile.rel_path == candidate.rel_path,
                )
            )
            if row is not None:
                row.mtime_ns = candidate.mtime_ns
                row.size = candidate.size

    def _ensure_pool(self) -> ExtractionPool:
        if self._pool is None:
            self._pool = self._pool_factory()
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- reading -----------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        return self._index.search(request)

    def status(self) -> LibraryStatus:
        with self._readers.begin() as session:
            states = session.scalars(select(CatalogFile.state)).all()
        health = self._index.open()
        problem = self._index_problem if health.ok else health.reason
        return LibraryStatus(
            documents=len(states),
            indexed=states.count("indexed"),
            failed=states.count("failed"),
            index_ok=health.ok,
            index_problem=problem,
            folders=self.folders(),
        )

    def failures(self) -> tuple[FailedFile, ...]:
        with self._readers.begin() as session:
            rows = session.execute(
                select(LibraryFolder.path, CatalogFile.rel_path, CatalogFile.reason)
                .join(LibraryFolder)
                .where(CatalogFile.state == "failed")
                .order_by(LibraryFolder.path, CatalogFile.rel_path)
            ).all()
        return tuple(FailedFile(str(Path(root) / rel), reason or "") for root, rel, reason in rows)

    # -- helpers -----------------------------------------------------------------------------

    def _load_folders(self) -> list[tuple[int, str, Path]]:
        with self._readers.begin() as session:
            rows = session.scalars(select(LibraryFolder).order_by(LibraryFolder.id)).all()
            return [(f.id, f.kind, Path(f.path)) for f in rows]

    def _load_catalog(self) -> dict[tuple[int, str], _KnownFile]:
        known: dict[tuple[int, str], _KnownFile] = {}
        # A read transaction holds no lock, so the scan can pause between parts of it.
        with self._readers.begin() as session:
            result = session.execute(
                select(
                    CatalogFile.folder_id,
                    CatalogFile.rel_path,
                    CatalogFile.size,
                    CatalogFile.mtime_ns,
                    CatalogFile.sha256,
                    CatalogFile.doc_id,
                    CatalogFile.state,
                    CatalogFile.meta_key,
                ),
                execution_options={"yield_per": _SCAN_PART},
            )
            for part in result.partitions():
                # The rows themselves (named tuples): a dict per row cost a fifth of the scan.
                known.update(((r.folder_id, r.rel_path), r) for r in part)
                self._pacer.pause()
        return known

    def _load_mirror_entries(self) -> dict[str, _DocMeta]:
        today = self._today()
        with self._readers.begin() as session:
            entries = session.scalars(select(MirrorEntry)).all()
            titles = {e.doc_id: (e.title or PurePosixPath(e.rel_path).stem) for e in entries}
            result: dict[str, _DocMeta] = {}
            for entry in entries:
                state = freshness.evaluate(
                    version=entry.version,
                    local_version=entry.local_version,
                    expires=entry.expires,
                    withdrawn=entry.withdrawn,
                    superseded_by_title=(
                        titles.get(entry.superseded_by, entry.superseded_by)
                        if entry.superseded_by
                        else None
                    ),
                    today=today,
                    expiring_days=self._settings.expiring_days,
                ).state
                result[entry.rel_path] = _DocMeta(
                    doc_id=entry.doc_id,
                    title=entry.title,
                    tags=tuple(str(t) for t in entry.tags),
                    status=state,
                    version=entry.local_version or entry.version,
                    personal=False,
                )
        return result

    def _doc_meta(
        self, kind: str, root: Path, rel_path: str, mirror: dict[str, _DocMeta]
    ) -> _DocMeta:
        if kind == MIRROR and rel_path in mirror:
            return mirror[rel_path]
        if kind == ARCHIVE:
            entry = mirror.get(rel_path)
            if entry is not None:
                return replace(entry, status=freshness.ARCHIVED)
        path = os.path.join(root, *rel_path.split("/"))  # str(root / rel_path), without pathlib
        digest = hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()
        status = {
            PERSONAL: freshness.PERSONAL,
            ARCHIVE: freshness.ARCHIVED,
        }.get(kind, freshness.CURRENT)
        return _DocMeta(
            doc_id=f"{kind[0]}_{digest[:16]}",
            title=None,
            tags=(),
            status=status,
            version=None,
            personal=kind == PERSONAL,
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _format_guess(path: Path) -> str:
    from fieldkit.core.extract import detect_format

    try:
        detected = detect_format(path)
    except OSError:
        detected = None
    return detected or path.suffix.lower().lstrip(".") or "unknown"


def _is_document_name(name: str) -> bool:
    return not (
        name.startswith((".", "~$")) or name.endswith(_IGNORED_SUFFIXES)
    )


def _scope(
    folders: list[tuple[int, str, Path]], only: Iterable[Path] | None
) -> dict[int, set[str]] | None:
    """For a partial run, the relative paths to look at in each folder (None: everything)."""
    if only is None:
        return None
    scope: dict[int, set[str]] = {}
    for path in only:
        resolved = path.resolve() if path.exists() else path.absolute()
        for folder_id, _kind, root in folders:
            if root == resolved or root in resolved.parents:
                rel = resolved.relative_to(root).as_posix()
                scope.setdefault(folder_id, set()).add("" if rel == "." else rel)
                break
    return scope


def _in_scope(
    key: tuple[int, str],
    folders: list[tuple[int, str, Path]],
    scope: dict[int, set[str]] | None,
) -> bool:
    if scope is None:
        return True
    folder_id, rel_path = key
    prefixes = scope.get(folder_id)
    if prefixes is None:
        return False
    return any(p == "" or rel_path == p or rel_path.startswith(p + "/") for p in prefixes)


def _walk(
    folders: list[tuple[int, str, Path]], scope: dict[int, set[str]] | None
) -> Iterator[tuple[int, str, Path, str, os.stat_result]]:
    for folder_id, kind, root in folders:
        if scope is not None and folder_id not in scope:
            continue
        starts = [""] if scope is None else sorted(scope[folder_id])
        for start in starts:
            yield from _walk_from(folder_id, kind, root, start)


def _walk_from(
    folder_id: int, kind: str, root: Path, start: str
) -> Iterator[tuple[int, str, Path, str, os.stat_result]]:
    base = root / start if start else root
    if not base.exists():
        return
    if base.is_file():
        if _is_document_name(base.name):
            yield folder_id, kind, root, start, base.stat()
        return
    # Plain strings, not Path objects: a reconcile scan walks every file of the library at each
    # start, and pathlib's parsing was most of its time.
    prefix = os.path.join(str(root), "")
    stack = [str(base)]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            log.info("cannot list %s: %s", current, exc)
            continue
        for entry in entries:
            if not _is_document_name(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    rel = entry.path[len(prefix) :]
                    if os.sep != "/":
                        rel = rel.replace(os.sep, "/")
                    yield folder_id, kind, root, rel, entry.stat(follow_symlinks=False)
            except OSError as exc:
                log.info("cannot read %s: %s", entry.path, exc)
