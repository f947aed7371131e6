"""Catalog tables of the freshness features: watched folders and their scan, meeting kits, and
what the rep has already seen. New tables only: ``upgrade_schema`` creates them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldkit.core.catalog import CatalogBase
from fieldkit.core.db import utcnow


class WatchedFolder(CatalogBase):
    """A folder the rep asked fieldkit to search for old copies of approved documents."""

    __tablename__ = "watched_folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String, unique=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScannedFile(CatalogBase):
    """A file in a watched folder that was hashed, keyed on (path, size, mtime): while those stay
    the same the file is not read again. Only files whose size some known version has are
    hashed, so most files of a big Downloads folder never get a row."""

    __tablename__ = "stale_scanned_files"

    path: Mapped[str] = mapped_column(String, primary_key=True)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("watched_folders.id", ondelete="CASCADE"), index=True
    )
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)


class Kit(CatalogBase):
    """A named set of documents for a meeting."""

    __tablename__ = "kits"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    customer: Mapped[str | None] = mapped_column(Text, default=None)
    # The meeting's local wall-clock time: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM".
    meeting: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KitItem(CatalogBase):
    """A document of a kit. ``manual_pin`` remembers whether the rep had pinned the document
    before any kit did, so taking it out of its last kit restores that."""

    __tablename__ = "kit_items"

    kit_id: Mapped[int] = mapped_column(
        ForeignKey("kits.id", ondelete="CASCADE"), primary_key=True
    )
    doc_id: Mapped[str] = mapped_column(String, primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")  # shown if the document leaves the hub
    position: Mapped[int] = mapped_column(Integer)
    manual_pin: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeenDocument(CatalogBase):
    """The version of a document the rep has seen ("What's new") and the one already announced
    in a notification after a sync."""

    __tablename__ = "seen_documents"

    doc_id: Mapped[str] = mapped_column(String, primary_key=True)
    seen_version: Mapped[int | None] = mapped_column(Integer, default=None)
    announced_version: Mapped[int | None] = mapped_column(Integer, default=None)
