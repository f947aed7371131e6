"""The hub's database service: documents and versions, as plain frozen data.

Only the scanner writes documents (through :meth:`HubStore.apply_scan`, one transaction per
scan); the API reads. Every method owns one ``with Session.begin()``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema, utcnow
from fieldkit.core.errors import FieldkitError, UsageError
from fieldkit.hub.models import (
    HUB_MIGRATIONS,
    HUB_SCHEMA_VERSION,
    Document,
    DocumentVersion,
    HubBase,
    HubState,
)
from fieldkit.hub.sidecar import Metadata

log = logging.getLogger(__name__)

DB_ENV = "FIELDKIT_HUB_DB"


class DocumentNotFound(FieldkitError):
    """No live document has this id (or it has no such version)."""


class VersionGone(FieldkitError):
    """The version exists in the history but its bytes are no longer on disk."""


def resolve_db_url(cli_value: str | None = None) -> str:
    """``--db`` wins, then ``FIELDKIT_HUB_DB``, then a SQLite file in the per-user data folder.

    A value without ``://`` is a SQLite file path; ``postgresql://`` and ``postgres://`` use
    the psycopg 3 driver.
    """
    value = cli_value or os.environ.get(DB_ENV)
    if not value:
        folder = Path(platformdirs.user_data_dir("fieldkit-hub", appauthor=False))
        return sqlite_url(folder / "hub.sqlite3")
    if "://" not in value:
        return sqlite_url(Path(value).expanduser().resolve())
    for prefix in ("postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def open_database(url: str) -> Engine:
    """An engine on the hub database at ``url``, brought to the current schema."""
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError) as exc:  # unknown database kind, or no driver for it
        shown = make_url(url).render_as_string(hide_password=True) if "://" in url else url
        raise UsageError(
            f"Not a database fieldkit can use: {shown!r}. Give a SQLite file or a "
            "postgresql://user:password@host/database URL."
        ) from exc
    upgrade_schema(engine, HubBase, HUB_SCHEMA_VERSION, HUB_MIGRATIONS)
    with session_factory(engine).begin() as session:
        if session.get(HubState, 1) is None:
            session.add(HubState(id=1, generation=1))
    return engine


def new_document_id() -> str:
    return "d_" + secrets.token_hex(6)


@dataclass(frozen=True)
class KnownFile:
    """What the database holds for a live document: enough to skip re-hashing and re-reading."""

    doc_id: str
    size: int
    mtime_ns: int
    sha256: str
    metadata_digest: str


@dataclass(frozen=True)
class ScannedFile:
    """One document file as the scanner found it; ``metadata_digest`` is of ``metadata``."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    metadata: Metadata
    metadata_digest: str


@dataclass(frozen=True)
class ScanChanges:
    added: int = 0
    changed: int = 0
    renamed: int = 0
    removed: int = 0
    metadata_changed: int = 0
    generation: int = 0

    @property
    def any(self) -> bool:
        return bool(
            self.added or self.changed or self.renamed or self.removed or self.metadata_changed
        )


@dataclass(frozen=True)
class VersionRecord:
    version: int
    sha256: str
    size: int
    published_at: datetime
    notes: str | None


@dataclass(frozen=True)
class DocumentRecord:
    """A live document as the manifest shows it; ``history``: earlier versions, newest first."""

    id: str
    path: str
    version: int
    sha256: str
    size: int
    modified: datetime
    metadata: Metadata
    superseded_by: str | None
    history: tuple[VersionRecord, ...] = field(default=())


@dataclass(frozen=True)
class FileTarget:
    """Where the bytes of a requested document version are, and what they must hash to."""

    doc_id: str
    path: str
    version: int
    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Generation:
    number: int
    changed_at: datetime


class HubStore:
    def __init__(self, engine: Engine) -> None:
        self._session: sessionmaker[Session] = session_factory(engine)
        # The current version's file target of every live document, loaded in one query at the
        # first download after a scan (a sync asks for thousands, one each). ``_scans`` counts
        # scans, so a load that raced one is not kept.
        self._targets: dict[str, FileTarget] | None = None
        self._targets_lock = threading.Lock()
        self._scans = 0

    def generation(self) -> Generation:
        with self._session.begin() as session:
            state = session.get_one(HubState, 1)
            return Generation(state.generation, state.changed_at)

    def known_files(self) -> dict[str, KnownFile]:
        with self._session.begin() as session:
            rows = session.execute(
                select(
                    Document.id,
                    Document.path,
                    Document.size,
                    Document.mtime_ns,
                    Document.sha256,
                    Document.metadata_digest,
                ).where(Document.deleted_at.is_(None))
            )
            return {
                row.path: KnownFile(row.id, row.size, row.mtime_ns, row.sha256, row.metadata_digest)
                for row in rows
            }

    def apply_scan(self, changed: Sequence[ScannedFile], gone: Iterable[str]) -> ScanChanges:
        """Record what a scan found: ``changed`` files (new or different), ``gone`` paths.

        A gone document whose hash reappears under a new path in the same scan is a rename: it
        keeps its id and version. A new path where a deleted document once lived revives that
        document. The generation is bumped once if anything the manifest shows changed.
        """
        try:
            with self._session.begin() as session:
                return _ScanWriter(session).apply(changed, set(gone))
        finally:
            with self._targets_lock:
                self._scans += 1
                self._targets = None

    def live_documents(self) -> list[DocumentRecord]:
        """Every live document, by path, with its history (plain column reads: this is the
        manifest's hot path)."""
        with self._session.begin() as session:
            docs = session.execute(
                select(
                    Document.id,
                    Document.path,
                    Document.version,
                    Document.sha256,
                    Document.size,
                    Document.published_at,
                    *_METADATA_COLUMNS,
                    DocumentVersion.notes,
                )
                .join(DocumentVersion, _CURRENT_VERSION)
                .where(Document.deleted_at.is_(None))
                .order_by(Document.path)
            ).all()
            history: dict[str, list[VersionRecord]] = defaultdict(list)
            for row in session.execute(
                select(
                    DocumentVersion.document_id,
                    DocumentVersion.version,
                    DocumentVersion.sha256,
                    DocumentVersion.size,
                    DocumentVersion.published_at,
                    DocumentVersion.notes,
                )
                .join(Document, DocumentVersion.document_id == Document.id)
                .where(Document.deleted_at.is_(None), DocumentVersion.version < Document.version)
                .order_by(DocumentVersion.document_id, DocumentVersion.version.desc())
            ):
                history[row.document_id].append(
                    VersionRecord(row.version, row.sha256, row.size, row.published_at, row.notes)
                )
        id_by_path = {doc.path: doc.id for doc in docs}
        records = []
        for doc in docs:
            metadata = _metadata(doc)
            superseded_by = None
            if metadata.superseded_by is not None:
                superseded_by = id_by_path.get(metadata.superseded_by)
                if superseded_by is None:
                    log.warning(
                        "%s: superseded_by names %r, which is not a document in the folder",
                        doc.path,
                        metadata.superseded_by,
                    )
            records.append(
                DocumentRecord(
                    id=doc.id,
                    path=doc.path,
                    version=doc.version,
                    sha256=doc.sha256,
                    size=doc.size,
                    modified=doc.published_at,
                    metadata=metadata,
                    superseded_by=superseded_by,
                    history=tuple(history.get(doc.id, ())),
                )
            )
        return records

    def history(self, doc_id: str) -> list[VersionRecord]:
        """Every version of a document (deleted ones too), newest first."""
        with self._session.begin() as session:
            rows = session.scalars(
                select(DocumentVersion)
                .where(DocumentVersion.document_id == doc_id)
                .order_by(DocumentVersion.version.desc())
            ).all()
            if not rows:
                raise DocumentNotFound(f"No document with id {doc_id!r}.")
            return [_version_record(row) for row in rows]

    def file_target(self, doc_id: str, version: int | None = None) -> FileTarget:
        """Where the bytes of ``doc_id`` (current version unless ``version``) are on disk.

        Current versions come from a table kept until the next scan; the caller still checks
        the file's size and modification time against the target before serving it.
        """
        cached = self._current_targets().get(doc_id)
        if cached is not None and version in (None, cached.version):
            return cached
        return self._load_file_target(doc_id, version)

    def _current_targets(self) -> dict[str, FileTarget]:
        with self._targets_lock:
            targets, scans = self._targets, self._scans
        if targets is not None:
            return targets
        with self._session.begin() as session:
            rows = session.execute(
                select(
                    Document.id,
                    Document.path,
                    Document.version,
                    Document.sha256,
                    Document.size,
                    Document.mtime_ns,
                ).where(Document.deleted_at.is_(None))
            )
            loaded = {row[0]: FileTarget(*row) for row in rows}
        with self._targets_lock:
            if self._scans == scans:
                self._targets = loaded
        return loaded

    def _load_file_target(self, doc_id: str, version: int | None) -> FileTarget:
        with self._session.begin() as session:
            doc = session.get(Document, doc_id)
            if doc is None or doc.deleted_at is not None:
                raise DocumentNotFound(f"No document with id {doc_id!r}.")
            if version is not None and version != doc.version:
                old = session.get(DocumentVersion, (doc_id, version))
                if old is None:
                    raise DocumentNotFound(f"Document {doc_id!r} has no version {version}.")
                if old.sha256 != doc.sha256:
                    raise VersionGone(
                        f"Version {version} of {doc.path!r} is no longer on the hub; "
                        f"the current version is {doc.version}."
                    )
            return FileTarget(
                doc.id, doc.path, version or doc.version, doc.sha256, doc.size, doc.mtime_ns
            )


_METADATA_COLUMNS = (
    Document.title,
    Document.tags,
    Document.audience,
    Document.released,
    Document.expires,
    Document.withdrawn,
    Document.withdrawn_reason,
    Document.superseded_by_path,
)
_CURRENT_VERSION = (DocumentVersion.document_id == Document.id) & (
    DocumentVersion.version == Document.version
)


def _metadata(row: Any) -> Metadata:
    """Metadata from a row holding ``_METADATA_COLUMNS`` and the current version's notes."""
    return Metadata(
        title=row.title,
        tags=tuple(row.tags),
        audience=tuple(row.audience),
        released=row.released,
        expires=row.expires,
        withdrawn=row.withdrawn,
        withdrawn_reason=row.withdrawn_reason,
        superseded_by=row.superseded_by_path,
        notes=row.notes,
    )


def _version_record(row: DocumentVersion) -> VersionRecord:
    return VersionRecord(row.version, row.sha256, row.size, row.published_at, row.notes)


class _ScanWriter:
    """Applies one scan's findings inside one session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._now = utcnow()
        self._counts: dict[str, int] = defaultdict(int)

    def apply(self, changed: Sequence[ScannedFile], gone: set[str]) -> ScanChanges:
        live = self._live_at({scanned.path for scanned in changed} | gone)
        vanished = [live.pop(path) for path in sorted(gone) if path in live]
        arrivals: list[ScannedFile] = []
        for scanned in changed:
            doc = live.get(scanned.path)
            if doc is None:
                arrivals.append(scanned)
            else:
                self._update(doc, scanned)
        unmatched = self._move_renamed(arrivals, vanished)
        for doc in vanished:
            doc.deleted_at = self._now
            self._counts["removed"] += 1
            log.debug("removed %s (%s)", doc.path, doc.id)
        self._session.flush()
        previous = self._deleted_at([scanned.path for scanned in unmatched])
        new = []
        for scanned in unmatched:
            revived = previous.get(scanned.path)
            if revived is None:
                new.append(scanned)
            else:
                self._revive(revived, scanned)
        self._insert(new)
        generation = self._bump_generation() if self._counts else self._generation()
        return ScanChanges(generation=generation, **self._counts)

    def _live_at(self, paths: Iterable[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for chunk in _chunks(sorted(paths)):
            for doc in self._session.scalars(
                select(Document).where(Document.deleted_at.is_(None), Document.path.in_(chunk))
            ):
                found[doc.path] = doc
        return found

    def _deleted_at(self, paths: Sequence[str]) -> dict[str, Document]:
        """The most recently deleted document at each of ``paths``, where there is one."""
        found: dict[str, Document] = {}
        for chunk in _chunks(sorted(paths)):
            for doc in self._session.scalars(
                select(Document)
                .where(Document.deleted_at.is_not(None), Document.path.in_(chunk))
                .order_by(Document.deleted_at)
            ):
                found[doc.path] = doc
        return found

    def _move_renamed(
        self, arrivals: list[ScannedFile], vanished: list[Document]
    ) -> list[ScannedFile]:
        """Give each arrival whose hash matches a vanished document that document."""
        by_hash: dict[str, list[Document]] = defaultdict(list)
        for doc in vanished:
            by_hash[doc.sha256].append(doc)
        unmatched = []
        for scanned in sorted(arrivals, key=lambda item: item.path):
            candidates = by_hash.get(scanned.sha256)
            if not candidates:
                unmatched.append(scanned)
                continue
            name = scanned.path.rsplit("/", 1)[-1]
            doc = next((c for c in candidates if c.path.rsplit("/", 1)[-1] == name), candidates[0])
            candidates.remove(doc)
            vanished.remove(doc)
            log.debug("renamed %s -> %s", doc.path, scanned.path)
            doc.path = scanned.path
            self._counts["renamed"] += 1
            self._update(doc, scanned)
        return unmatched

    def _revive(self, doc: Document, scanned: ScannedFile) -> None:
        log.debug("%s is back; it keeps id %s", scanned.path, doc.id)
        doc.deleted_at = None
        self._counts["added"] += 1
        self._update(doc, scanned, count=False)

    def _insert(self, new: Sequence[ScannedFile]) -> None:
        """New documents, inserted in bulk (a first scan may bring thousands)."""
        if not new:
            return
        ids = [new_document_id() for _ in new]
        self._session.execute(
            insert(Document),
            [
                {
                    "id": doc_id,
                    "path": scanned.path,
                    "version": 1,
                    "sha256": scanned.sha256,
                    "size": scanned.size,
                    "mtime_ns": scanned.mtime_ns,
                    "published_at": self._now,
                    "metadata_digest": scanned.metadata_digest,
                    **_metadata_values(scanned.metadata),
                }
                for doc_id, scanned in zip(ids, new, strict=True)
            ],
        )
        self._session.execute(
            insert(DocumentVersion),
            [
                {
                    "document_id": doc_id,
                    "version": 1,
                    "sha256": scanned.sha256,
                    "size": scanned.size,
                    "published_at": self._now,
                    "notes": scanned.metadata.notes,
                }
                for doc_id, scanned in zip(ids, new, strict=True)
            ],
        )
        self._counts["added"] += len(new)
        for doc_id, scanned in zip(ids, new, strict=True):
            log.debug("added %s as %s", scanned.path, doc_id)

    def _update(self, doc: Document, scanned: ScannedFile, *, count: bool = True) -> None:
        doc.size = scanned.size
        doc.mtime_ns = scanned.mtime_ns
        if scanned.sha256 != doc.sha256:
            doc.version += 1
            doc.sha256 = scanned.sha256
            doc.published_at = self._now
            _set_metadata(doc, scanned)
            self._session.add(self._version_row(doc, scanned))
            if count:
                self._counts["changed"] += 1
            log.debug("%s changed: version %d", doc.path, doc.version)
            return
        if doc.metadata_digest != scanned.metadata_digest:
            _set_metadata(doc, scanned)
            current = self._session.get_one(DocumentVersion, (doc.id, doc.version))
            current.notes = scanned.metadata.notes
            if count:
                self._counts["metadata_changed"] += 1
            log.debug("%s: metadata changed", doc.path)

    def _version_row(self, doc: Document, scanned: ScannedFile) -> DocumentVersion:
        return DocumentVersion(
            document_id=doc.id,
            version=doc.version,
            sha256=scanned.sha256,
            size=scanned.size,
            published_at=self._now,
            notes=scanned.metadata.notes,
        )

    def _bump_generation(self) -> int:
        self._session.execute(
            update(HubState)
            .where(HubState.id == 1)
            .values(generation=HubState.generation + 1, changed_at=self._now)
        )
        return self._generation()

    def _generation(self) -> int:
        return self._session.scalars(select(HubState.generation).where(HubState.id == 1)).one()


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _metadata_values(metadata: Metadata) -> dict[str, Any]:
    return {
        "title": metadata.title,
        "tags": list(metadata.tags),
        "audience": list(metadata.audience),
        "released": metadata.released,
        "expires": metadata.expires,
        "withdrawn": metadata.withdrawn,
        "withdrawn_reason": metadata.withdrawn_reason,
        "superseded_by_path": metadata.superseded_by,
    }


def _set_metadata(doc: Document, scanned: ScannedFile) -> None:
    for key, value in _metadata_values(scanned.metadata).items():
        setattr(doc, key, value)
    doc.metadata_digest = scanned.metadata_digest
