"""The hub's database service: documents and versions, as plain frozen data.

Only the scanner writes documents (through :meth:`HubStore.apply_scan`, one transaction per
scan); the API reads. Every method owns one ``with Session.begin()``.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema
from fieldkit.core.errors import FieldkitError, UsageError
from fieldkit.hub.models import (
    HUB_MIGRATIONS,
    HUB_SCHEMA_VERSION,
    Document,
    DocumentVersion,
    HubBase,
    HubState,
    utcnow,
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
        make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"Not a database URL: {url!r}") from exc
    engine = make_engine(url)
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
    metadata: Metadata


@dataclass(frozen=True)
class ScannedFile:
    """One document file as the scanner found it."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    metadata: Metadata


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

    def generation(self) -> Generation:
        with self._session.begin() as session:
            state = session.get_one(HubState, 1)
            return Generation(state.generation, state.changed_at)

    def known_files(self) -> dict[str, KnownFile]:
        with self._session.begin() as session:
            rows = session.execute(
                select(Document, DocumentVersion.notes)
                .join(
                    DocumentVersion,
                    (DocumentVersion.document_id == Document.id)
                    & (DocumentVersion.version == Document.version),
                )
                .where(Document.deleted_at.is_(None))
            )
            return {
                doc.path: KnownFile(
                    doc.id, doc.size, doc.mtime_ns, doc.sha256, _metadata(doc, notes)
                )
                for doc, notes in rows
            }

    def apply_scan(self, changed: Sequence[ScannedFile], gone: Iterable[str]) -> ScanChanges:
        """Record what a scan found: ``changed`` files (new or different), ``gone`` paths.

        A gone document whose hash reappears under a new path in the same scan is a rename: it
        keeps its id and version. A new path where a deleted document once lived revives that
        document. The generation is bumped once if anything the manifest shows changed.
        """
        with self._session.begin() as session:
            return _ScanWriter(session).apply(changed, set(gone))

    def live_documents(self) -> list[DocumentRecord]:
        with self._session.begin() as session:
            docs = session.scalars(
                select(Document).where(Document.deleted_at.is_(None)).order_by(Document.path)
            ).all()
            versions: dict[str, list[DocumentVersion]] = defaultdict(list)
            for row in session.scalars(
                select(DocumentVersion)
                .join(Document, DocumentVersion.document_id == Document.id)
                .where(Document.deleted_at.is_(None))
                .order_by(DocumentVersion.document_id, DocumentVersion.version.desc())
            ):
                versions[row.document_id].append(row)
            id_by_path = {doc.path: doc.id for doc in docs}
            records = []
            for doc in docs:
                history = versions[doc.id]
                current = next(v for v in history if v.version == doc.version)
                metadata = _metadata(doc, current.notes)
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
                        history=tuple(
                            _version_record(v) for v in history if v.version < doc.version
                        ),
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
        """Where the bytes of ``doc_id`` (current version unless ``version``) are on disk."""
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


def _metadata(doc: Document, notes: str | None) -> Metadata:
    return Metadata(
        title=doc.title,
        tags=tuple(doc.tags),
        audience=tuple(doc.audience),
        released=doc.released,
        expires=doc.expires,
        withdrawn=doc.withdrawn,
        withdrawn_reason=doc.withdrawn_reason,
        superseded_by=doc.superseded_by_path,
        notes=notes,
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
        session = self._session
        live = {
            doc.path: doc
            for doc in session.scalars(select(Document).where(Document.deleted_at.is_(None)))
        }
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
        session.flush()
        for scanned in unmatched:
            self._arrive(scanned)
        generation = self._bump_generation() if self._counts else self._generation()
        return ScanChanges(generation=generation, **self._counts)

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

    def _arrive(self, scanned: ScannedFile) -> None:
        previous = self._session.scalars(
            select(Document)
            .where(Document.path == scanned.path, Document.deleted_at.is_not(None))
            .order_by(Document.deleted_at.desc())
            .limit(1)
        ).first()
        if previous is not None:
            log.debug("%s is back; it keeps id %s", scanned.path, previous.id)
            previous.deleted_at = None
            self._counts["added"] += 1
            self._update(previous, scanned, count=False)
            return
        doc = Document(
            id=new_document_id(),
            path=scanned.path,
            version=1,
            sha256=scanned.sha256,
            size=scanned.size,
            mtime_ns=scanned.mtime_ns,
            published_at=self._now,
        )
        _set_metadata(doc, scanned.metadata)
        self._session.add(doc)
        self._session.add(self._version_row(doc, scanned))
        self._counts["added"] += 1
        log.debug("added %s as %s", scanned.path, doc.id)

    def _update(self, doc: Document, scanned: ScannedFile, *, count: bool = True) -> None:
        doc.size = scanned.size
        doc.mtime_ns = scanned.mtime_ns
        if scanned.sha256 != doc.sha256:
            doc.version += 1
            doc.sha256 = scanned.sha256
            doc.published_at = self._now
            _set_metadata(doc, scanned.metadata)
            self._session.add(self._version_row(doc, scanned))
            if count:
                self._counts["changed"] += 1
            log.debug("%s changed: version %d", doc.path, doc.version)
            return
        current = self._session.get_one(DocumentVersion, (doc.id, doc.version))
        if _metadata(doc, current.notes) != scanned.metadata:
            _set_metadata(doc, scanned.metadata)
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


def _set_metadata(doc: Document, metadata: Metadata) -> None:
    doc.title = metadata.title
    doc.tags = list(metadata.tags)
    doc.audience = list(metadata.audience)
    doc.released = metadata.released
    doc.expires = metadata.expires
    doc.withdrawn = metadata.withdrawn
    doc.withdrawn_reason = metadata.withdrawn_reason
    doc.superseded_by_path = metadata.superseded_by
