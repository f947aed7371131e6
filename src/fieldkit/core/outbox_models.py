"""The outbox's tables in the client catalog: items waiting for the hub, and usage signals
waiting to be batched. ``upgrade_schema`` creates them (new tables need no migration)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldkit.core.catalog import CatalogBase
from fieldkit.core.db import UTCDateTime


class OutboxItem(CatalogBase):
    """One thing to deliver to the hub, kept until the hub has it (or refused it).

    ``state``: queued → sending → sent, or rejected (the hub's reason in ``last_error``).
    ``idempotency_key`` travels with every attempt, so a retry never makes a second copy.
    For requests, ``remote_*`` hold what the hub last said about it.
    """

    __tablename__ = "outbox_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # "request" | "feedback" | "signals"
    payload: Mapped[dict[str, Any]] = mapped_column()
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    remote_id: Mapped[str | None] = mapped_column(String(64), default=None)
    remote_status: Mapped[str | None] = mapped_column(String(32), default=None)
    remote_note: Mapped[str | None] = mapped_column(Text, default=None)
    remote_doc_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


Index("ix_outbox_items_state_due", OutboxItem.state, OutboxItem.next_attempt_at)


class PendingSignal(CatalogBase):
    """A usage signal recorded but not yet put into a batch.

    ``batch_key`` is set when a batch claims the row (the claim is the transaction's first
    write, so two processes never batch the same signal).
    """

    __tablename__ = "outbox_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    batch_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)


OUTBOX_TABLES: tuple[Table, ...] = (
    CatalogBase.metadata.tables["outbox_items"],
    CatalogBase.metadata.tables["outbox_signals"],
)
