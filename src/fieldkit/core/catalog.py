"""The client catalog: what the rep's laptop knows, in SQLite through typed SQLAlchemy models.

The catalog is the source of truth for files and their states; the search index is a cache built
from the files it lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fieldkit.core.db import utcnow


class CatalogBase(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class LibraryFolder(CatalogBase):
    """A folder whose files are indexed: the approved mirror, or a rep's own (personal) folder."""

    __tablename__ = "library_folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String, unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "mirror" | "personal"
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogFile(CatalogBase):
    """One file under a library folder and the state it ended in: indexed, or failed with why."""

    __tablename__ = "catalog_files"
    __table_args__ = (UniqueConstraint("folder_id", "rel_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("library_folders.id", ondelete="CASCADE"))
    rel_path: Mapped[str] = mapped_column(String)
    doc_id: Mapped[str] = mapped_column(String, unique=True)
    size: Mapped[int] = mapped_column(Integer)
    mtime_ns: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # "indexed" | "failed"
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    truncated: Mapped[bool] = mapped_column(default=False)
    units: Mapped[int] = mapped_column(Integer, default=0)
    # Fingerprint of the catalog metadata (title, tags, status, version) the index entry was built
    # with: when it changes, the file is indexed again even though its bytes did not change.
    meta_key: Mapped[str] = mapped_column(String(64), default="")
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MirrorEntry(CatalogBase):
    """A document of the hub's manifest as last fetched: what the mirror should hold."""

    __tablename__ = "mirror_entries"

    doc_id: Mapped[str] = mapped_column(String, primary_key=True)
    rel_path: Mapped[str] = mapped_column(String, unique=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    audience: Mapped[list[Any]] = mapped_column(default=list)
    released: Mapped[str | None] = mapped_column(String(10), default=None)
    expires: Mapped[str | None] = mapped_column(String(10), default=None)
    withdrawn: Mapped[bool] = mapped_column(default=False)
    superseded_by: Mapped[str | None] = mapped_column(String, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    hub_modified: Mapped[str | None] = mapped_column(String, default=None)
    history: Mapped[list[Any]] = mapped_column(default=list)
    local_version: Mapped[int | None] = mapped_column(Integer, default=None)
    local_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    pinned: Mapped[bool] = mapped_column(default=False)


class KeyValue(CatalogBase):
    """Small pieces of client state (hub URL, last good sync, manifest ETag, settings)."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()


class MirrorFile(CatalogBase):
    """A file the sync installed: where it sits, which version, and its size and modification
    time right after installing (a different size or mtime later means the rep may have edited
    it; the hash decides)."""

    __tablename__ = "mirror_files"

    doc_id: Mapped[str] = mapped_column(String, primary_key=True)
    area: Mapped[str] = mapped_column(String(8))  # "mirror" | "archive"
    rel_path: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FolderSourceFile(CatalogBase):
    """A document of a folder source (mounted share, synced folder) and its version history,
    kept on the laptop because a plain folder has no hub to remember versions."""

    __tablename__ = "folder_source_files"

    rel_path: Mapped[str] = mapped_column(String, primary_key=True)
    doc_id: Mapped[str] = mapped_column(String, unique=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[str] = mapped_column(String)
    history: Mapped[list[Any]] = mapped_column(default=list)

CATALOG_SCHEMA_VERSION = 1
# Migration n takes the catalog from schema n-1 to n; new tables need none (create_all adds them).
CATALOG_MIGRATIONS: dict[int, Any] = {}
