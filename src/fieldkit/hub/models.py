"""The hub's database: documents, their versions, reps' tokens and the manifest generation.

Typed SQLAlchemy 2 models; the same schema runs on SQLite (the default) and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fieldkit.core.db import UTCDateTime, utcnow


class StringList(TypeDecorator[list[str]]):
    """A short list of strings as JSON text; decoding skips the JSON parser for empty lists,
    which most documents have (the manifest reads every row)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> str:
        return json.dumps(value or [], ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[str]:
        if not value or value == "[]":
            return []
        decoded: list[str] = json.loads(value)
        return decoded


class HubBase(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        list[str]: StringList(),
        datetime: UTCDateTime(),
        int: BigInteger,
    }


class Document(HubBase):
    """One file under the root, identified by a stable id that survives changes and renames.

    Deleted documents keep their row (``deleted_at`` is set) so their history is not lost; a
    path is unique among live documents only.
    """

    __tablename__ = "hub_documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    mtime_ns: Mapped[int] = mapped_column()
    published_at: Mapped[datetime] = mapped_column()
    # Marketing's metadata from the sidecar, as last read, and its digest (cheap to compare).
    metadata_digest: Mapped[str] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[str]] = mapped_column(default=list)
    audience: Mapped[list[str]] = mapped_column(default=list)
    released: Mapped[str | None] = mapped_column(String(10), default=None)
    expires: Mapped[str | None] = mapped_column(String(10), default=None)
    withdrawn: Mapped[bool] = mapped_column(default=False)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, default=None)
    superseded_by_path: Mapped[str | None] = mapped_column(Text, default=None)


Index(
    "ix_hub_documents_live_path",
    Document.path,
    unique=True,
    sqlite_where=Document.deleted_at.is_(None),
    postgresql_where=Document.deleted_at.is_(None),
)


class DocumentVersion(HubBase):
    """One published version of a document: its hash, size, date and version notes."""

    __tablename__ = "hub_document_versions"

    document_id: Mapped[str] = mapped_column(
        ForeignKey("hub_documents.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    published_at: Mapped[datetime] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text, default=None)


class Rep(HubBase):
    """A sales rep allowed to sync; only the SHA-256 of the token is stored."""

    __tablename__ = "hub_reps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class HubState(HubBase):
    """A single row: the manifest generation, bumped on every change the hub sees."""

    __tablename__ = "hub_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


HUB_SCHEMA_VERSION = 1
# Migration n takes the hub database from schema n-1 to n; new tables need none.
HUB_MIGRATIONS: dict[int, Any] = {}
