"""What reps send marketing — requests, feedback, usage signals — and what marketing sees of it.

Every submission carries the rep's idempotency key; the pair (rep, key) is UNIQUE in the
database, so a repeat (a retry after a lost answer) returns the first result and never stores a
second copy. A repeat with a different body is refused (409).

The models live on the hub's declarative base: ``upgrade_schema`` creates their tables.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import (
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    distinct,
    false,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from fieldkit.core.db import session_factory, utcnow
from fieldkit.core.errors import FieldkitError, UsageError
from fieldkit.core.requests import (
    DOC_ID_PATTERN,
    FEEDBACK_KINDS,
    MAX_COMMENT,
    MAX_CUSTOMER,
    MAX_DETAILS,
    MAX_NOTE,
    MAX_PAGE,
    MAX_QUERY,
    MAX_SIGNALS_PER_BATCH,
    MAX_TITLE,
    REQUEST_STATUSES,
    SIGNAL_TYPES,
    URGENCIES,
    normalize_query,
)
from fieldkit.hub.models import Document, HubBase

log = logging.getLogger(__name__)

MARKETING = "marketing"  # who made a request that came from a search gap


# -- tables --------------------------------------------------------------------------------------


class InboxRequest(HubBase):
    """A content request from a rep (or made by marketing from a search gap: ``rep`` is None)."""

    __tablename__ = "hub_requests"
    __table_args__ = (UniqueConstraint("rep", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rep: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="")
    customer: Mapped[str] = mapped_column(String(MAX_CUSTOMER), default="")
    needed_by: Mapped[str | None] = mapped_column(String(10), default=None)
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    doc_id: Mapped[str | None] = mapped_column(String(64), default=None)
    doc_version: Mapped[int | None] = mapped_column(Integer, default=None)
    query: Mapped[str | None] = mapped_column(Text, default=None)
    gap_query: Mapped[str | None] = mapped_column(String(MAX_QUERY), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    answer_doc_id: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxFeedback(HubBase):
    """Feedback on a document, or on one page or slide of it."""

    __tablename__ = "hub_feedback"
    __table_args__ = (UniqueConstraint("rep", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rep: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    doc_id: Mapped[str] = mapped_column(String(64), index=True)
    doc_version: Mapped[int | None] = mapped_column(Integer, default=None)
    page: Mapped[int | None] = mapped_column(Integer, default=None)
    kind: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignalBatch(HubBase):
    """One batch of usage signals as a rep's client sent it."""

    __tablename__ = "hub_signal_batches"
    __table_args__ = (UniqueConstraint("rep", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rep: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageEvent(HubBase):
    """A document opened, or a search run (with its result count), by a rep."""

    __tablename__ = "hub_usage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hub_signal_batches.id", ondelete="CASCADE"), index=True
    )
    rep: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(8))  # "open" | "search"
    doc_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    query: Mapped[str | None] = mapped_column(Text, default=None)
    query_norm: Mapped[str | None] = mapped_column(String(MAX_QUERY), default=None)
    results: Mapped[int | None] = mapped_column(Integer, default=None)
    at: Mapped[datetime] = mapped_column()


Index("ix_hub_usage_events_type_at", UsageEvent.type, UsageEvent.at)


class AdminCredential(HubBase):
    """A single row: marketing's admin password (scrypt) and the key that signs sessions.

    Setting a new password makes a new session key, which signs everyone out.
    """

    __tablename__ = "hub_admin"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    password_hash: Mapped[str] = mapped_column(Text)
    session_key: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- what the API accepts -----------------------------------------------------------------------

_INPUT = ConfigDict(str_strip_whitespace=True, extra="ignore")


def _doc_id(value: str | None) -> str | None:
    if value is not None and not DOC_ID_PATTERN.fullmatch(value):
        raise ValueError("not a document id")
    return value


class RequestIn(BaseModel):
    model_config = _INPUT

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    details: str = Field(default="", max_length=MAX_DETAILS)
    customer: str = Field(default="", max_length=MAX_CUSTOMER)
    needed_by: date | None = None
    urgency: str = "normal"
    doc_id: str | None = None
    doc_version: int | None = Field(default=None, ge=1)
    query: str | None = Field(default=None, max_length=MAX_QUERY)
    created_at: AwareDatetime | None = None

    @field_validator("urgency")
    @classmethod
    def _urgency(cls, value: str) -> str:
        if value not in URGENCIES:
            raise ValueError(f"must be one of {', '.join(URGENCIES)}")
        return value

    _check_doc = field_validator("doc_id")(_doc_id)


class FeedbackIn(BaseModel):
    model_config = _INPUT

    doc_id: str
    doc_version: int | None = Field(default=None, ge=1)
    page: int | None = Field(default=None, ge=1, le=MAX_PAGE)
    kind: str
    comment: str = Field(default="", max_length=MAX_COMMENT)
    created_at: AwareDatetime | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in FEEDBACK_KINDS:
            raise ValueError(f"must be one of {', '.join(FEEDBACK_KINDS)}")
        return value

    _check_doc = field_validator("doc_id")(_doc_id)


class SignalIn(BaseModel):
    model_config = _INPUT

    type: str
    at: AwareDatetime
    doc_id: str | None = None
    query: str | None = Field(default=None, max_length=MAX_QUERY)
    results: int | None = Field(default=None, ge=0)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in SIGNAL_TYPES:
            raise ValueError(f"must be one of {', '.join(SIGNAL_TYPES)}")
        return value

    _check_doc = field_validator("doc_id")(_doc_id)

    def problem(self) -> str | None:
        if self.type == "open" and not self.doc_id:
            return "an open signal needs a doc_id"
        if self.type == "search" and (self.query is None or self.results is None):
            return "a search signal needs a query and results"
        return None


class SignalsIn(BaseModel):
    model_config = _INPUT

    signals: list[SignalIn] = Field(min_length=1, max_length=MAX_SIGNALS_PER_BATCH)


# -- what the service returns ---------------------------------------------------------------------


class DuplicateKey(FieldkitError):
    """The idempotency key was used before for a different body."""


class RequestNotFound(FieldkitError):
    pass


@dataclass(frozen=True)
class Receipt:
    """The answer to a submission; ``created`` is False when it repeats an earlier one."""

    created: bool
    body: dict[str, Any]


@dataclass(frozen=True)
class RequestRecord:
    id: int
    rep: str | None
    title: str
    details: str
    customer: str
    needed_by: str | None
    urgency: str
    doc_id: str | None
    doc_path: str | None
    query: str | None
    created_at: datetime
    received_at: datetime
    status: str
    note: str | None
    answer_doc_id: str | None
    answer_path: str | None
    updated_at: datetime
    key: str = field(repr=False, default="")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rep": self.rep or MARKETING,
            "title": self.title,
            "details": self.details,
            "customer": self.customer,
            "needed_by": self.needed_by,
            "urgency": self.urgency,
            "doc_id": self.doc_id,
            "doc_path": self.doc_path,
            "query": self.query,
            "created_at": _iso(self.created_at),
            "received_at": _iso(self.received_at),
            "status": self.status,
            "note": self.note,
            "answer_doc_id": self.answer_doc_id,
            "answer_path": self.answer_path,
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class GapRow:
    """Searches that found nothing, grouped by their normalized text."""

    query: str
    example: str
    searches: int
    reps: int
    last_at: datetime
    request_id: int | None
    request_status: str | None


@dataclass(frozen=True)
class DocUsage:
    doc_id: str
    path: str | None  # None when the document is no longer on the hub
    title: str | None
    opens: int
    reps: int
    last_at: datetime | None


@dataclass(frozen=True)
class FolderUsage:
    folder: str
    documents: int
    opens: int
    never_opened: int


@dataclass(frozen=True)
class UsageReport:
    days: int
    most_opened: tuple[DocUsage, ...]
    never_opened: tuple[DocUsage, ...]
    folders: tuple[FolderUsage, ...]
    opens: int
    searches: int
    zero_result_searches: int


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    rep: str
    doc_id: str
    doc_version: int | None
    page: int | None
    kind: str
    comment: str
    created_at: datetime


@dataclass(frozen=True)
class DocFeedback:
    doc_id: str
    path: str | None
    title: str | None
    total: int
    by_kind: dict[str, int]
    pages: int  # how many different pages/slides have feedback
    last_at: datetime


# -- the service -----------------------------------------------------------------------------------


def write_first(session: Session) -> None:
    """Make the transaction a writer before it reads, as BEGIN IMMEDIATE would.

    On SQLite, a transaction that reads and then writes fails at once with "database is locked"
    when another connection wrote in between; taking the write lock first makes it wait its turn
    instead (up to the busy timeout). On PostgreSQL the statement changes nothing.
    """
    session.execute(
        update(InboxRequest).where(false()).values(status=InboxRequest.status),
        execution_options={"synchronize_session": False},
    )

_Row = TypeVar("_Row", InboxRequest, InboxFeedback, SignalBatch)


def payload_digest(model: BaseModel) -> str:
    canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Inbox:
    """The hub's side of requests, feedback and signals. One transaction per method."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._session: sessionmaker[Session] = session_factory(engine)
        self._clock = clock

    # -- submissions (the API)

    def submit_request(self, rep: str, key: str, data: RequestIn) -> Receipt:
        def build(session: Session, digest: str) -> InboxRequest:
            now = self._clock()
            return InboxRequest(
                rep=rep,
                idempotency_key=key,
                payload_sha256=digest,
                title=data.title,
                details=data.details,
                customer=data.customer,
                needed_by=data.needed_by.isoformat() if data.needed_by else None,
                urgency=data.urgency,
                doc_id=data.doc_id,
                doc_version=data.doc_version,
                query=data.query or None,
                created_at=data.created_at or now,
                received_at=now,
                updated_at=now,
                status="new",
            )

        return self._submit(InboxRequest, rep, key, data, build, _request_answer)

    def submit_feedback(self, rep: str, key: str, data: FeedbackIn) -> Receipt:
        def build(session: Session, digest: str) -> InboxFeedback:
            now = self._clock()
            return InboxFeedback(
                rep=rep,
                idempotency_key=key,
                payload_sha256=digest,
                doc_id=data.doc_id,
                doc_version=data.doc_version,
                page=data.page,
                kind=data.kind,
                comment=data.comment,
                created_at=data.created_at or now,
                received_at=now,
            )

        return self._submit(InboxFeedback, rep, key, data, build, _feedback_answer)

    def submit_signals(self, rep: str, key: str, data: SignalsIn) -> Receipt:
        for number, signal in enumerate(data.signals):
            problem = signal.problem()
            if problem is not None:
                raise UsageError(f"signals.{number}: {problem}")

        def build(session: Session, digest: str) -> SignalBatch:
            batch = SignalBatch(
                rep=rep,
                idempotency_key=key,
                payload_sha256=digest,
                count=len(data.signals),
                received_at=self._clock(),
            )
            session.add(batch)
            session.flush()
            session.add_all(
                UsageEvent(
                    batch_id=batch.id,
                    rep=rep,
                    type=s.type,
                    doc_id=s.doc_id if s.type == "open" else None,
                    query=s.query if s.type == "search" else None,
                    query_norm=normalize_query(s.query or "") if s.type == "search" else None,
                    results=s.results if s.type == "search" else None,
                    at=s.at,
                )
                for s in data.signals
            )
            return batch

        return self._submit(SignalBatch, rep, key, data, build, _batch_answer)

    def _submit(
        self,
        table: type[_Row],
        rep: str,
        key: str,
        data: BaseModel,
        build: Callable[[Session, str], _Row],
        answer: Callable[[_Row], dict[str, Any]],
    ) -> Receipt:
        digest = payload_digest(data)
        try:
            with self._session.begin() as session:
                write_first(session)
                first = self._first(session, table, rep, key)
                if first is not None:
                    return self._replay(first, digest, answer)
                row = build(session, digest)
                session.add(row)
                session.flush()
                return Receipt(True, answer(row))
        except IntegrityError:
            # The same key arrived twice at once; the other one won. Answer with its result.
            with self._session.begin() as session:
                first = self._first(session, table, rep, key)
                if first is None:
                    raise
                return self._replay(first, digest, answer)

    @staticmethod
    def _first(session: Session, table: type[_Row], rep: str, key: str) -> _Row | None:
        return session.scalars(
            select(table).where(table.rep == rep, table.idempotency_key == key)
        ).one_or_none()

    @staticmethod
    def _replay(row: _Row, digest: str, answer: Callable[[_Row], dict[str, Any]]) -> Receipt:
        if not hmac.compare_digest(row.payload_sha256, digest):
            raise DuplicateKey(
                "This Idempotency-Key was already used for something different; "
                "each new item needs a new key."
            )
        return Receipt(False, answer(row))

    def my_requests(self, rep: str, limit: int = 1000) -> list[dict[str, Any]]:
        """What a rep's client polls: the status of each of their requests, newest first."""
        with self._session.begin() as session:
            rows = session.scalars(
                select(InboxRequest)
                .where(InboxRequest.rep == rep)
                .order_by(InboxRequest.id.desc())
                .limit(limit)
            )
            return [_request_answer(row) for row in rows]

    # -- marketing's side (web page and CLI)

    def requests(
        self, *, status: str | None = None, text: str | None = None, limit: int = 500
    ) -> list[RequestRecord]:
        """Requests, newest first; ``status`` "open" means not yet fulfilled or declined."""
        query = select(InboxRequest)
        if status == "open":
            query = query.where(InboxRequest.status.not_in(("fulfilled", "declined")))
        elif status:
            if status not in REQUEST_STATUSES:
                raise UsageError(
                    f"Unknown status {status!r}; use open or one of {', '.join(REQUEST_STATUSES)}."
                )
            query = query.where(InboxRequest.status == status)
        if text:
            pattern = f"%{_escape_like(text.strip())}%"
            query = query.where(
                InboxRequest.title.ilike(pattern, escape="\\")
                | InboxRequest.details.ilike(pattern, escape="\\")
                | InboxRequest.customer.ilike(pattern, escape="\\")
                | InboxRequest.rep.ilike(pattern, escape="\\")
            )
        with self._session.begin() as session:
            rows = session.scalars(query.order_by(InboxRequest.id.desc()).limit(limit)).all()
            paths = _paths(session, [r.doc_id for r in rows] + [r.answer_doc_id for r in rows])
            return [_record(row, paths) for row in rows]

    def request(self, request_id: int) -> RequestRecord:
        with self._session.begin() as session:
            row = session.get(InboxRequest, request_id)
            if row is None:
                raise RequestNotFound(f"There is no request #{request_id}.")
            return _record(row, _paths(session, [row.doc_id, row.answer_doc_id]))

    def respond(
        self,
        request_id: int,
        status: str,
        *,
        doc_id: str | None = None,
        note: str | None = None,
    ) -> RequestRecord:
        """Set a request's status; the rep's client picks it up on its next poll."""
        if status not in REQUEST_STATUSES:
            raise UsageError(f"Status must be one of {', '.join(REQUEST_STATUSES)}.")
        note = (note or "").strip() or None
        doc_id = (doc_id or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise UsageError(f"The note is too long (at most {MAX_NOTE} characters).")
        if status == "declined" and note is None:
            raise UsageError("Say why the request is declined (a note for the rep).")
        with self._session.begin() as session:
            write_first(session)
            row = session.get(InboxRequest, request_id)
            if row is None:
                raise RequestNotFound(f"There is no request #{request_id}.")
            if doc_id is not None:
                doc = session.get(Document, doc_id)
                if doc is None or doc.deleted_at is not None:
                    raise UsageError(f"No document on the hub has the id {doc_id!r}.")
            row.status = status
            row.note = note
            row.answer_doc_id = doc_id
            row.updated_at = self._clock()
            log.info("request #%d is now %s", request_id, status)
            return _record(row, _paths(session, [row.doc_id, row.answer_doc_id]))

    def request_from_gap(self, query: str) -> RequestRecord:
        """A request made by marketing for a search that keeps finding nothing."""
        norm = normalize_query(query)
        if not norm:
            raise UsageError("Which search? The query is empty.")
        with self._session.begin() as session:
            write_first(session)
            existing = session.scalars(
                select(InboxRequest).where(InboxRequest.gap_query == norm)
            ).first()
            if existing is not None:
                return _record(existing, _paths(session, [existing.doc_id]))
            now = self._clock()
            row = InboxRequest(
                rep=None,
                idempotency_key="gap-" + secrets.token_hex(16),
                payload_sha256="",
                title=f"Content for searches: {norm}"[:MAX_TITLE],
                details="Reps searched for this and found nothing.",
                query=norm,
                gap_query=norm,
                created_at=now,
                received_at=now,
                updated_at=now,
                status="new",
            )
            session.add(row)
            session.flush()
            return _record(row, {})

    def search_gaps(self, days: int, limit: int = 200) -> list[GapRow]:
        """Zero-result searches of the last ``days`` days, most frequent first."""
        since = self._clock() - timedelta(days=days)
        with self._session.begin() as session:
            rows = session.execute(
                select(
                    UsageEvent.query_norm,
                    func.min(UsageEvent.query),
                    func.count(),
                    func.count(distinct(UsageEvent.rep)),
                    func.max(UsageEvent.at),
                )
                .where(
                    UsageEvent.type == "search",
                    UsageEvent.results == 0,
                    UsageEvent.at >= since,
                    UsageEvent.query_norm != "",
                )
                .group_by(UsageEvent.query_norm)
                .order_by(func.count().desc(), func.max(UsageEvent.at).desc())
                .limit(limit)
            ).all()
            norms = [r[0] for r in rows]
            made = {
                row.gap_query: row
                for row in session.scalars(
                    select(InboxRequest).where(InboxRequest.gap_query.in_(norms))
                )
            }
            return [
                GapRow(
                    query=str(norm),
                    example=str(example),
                    searches=int(count),
                    reps=int(reps),
                    last_at=_utc(last),
                    request_id=made[norm].id if norm in made else None,
                    request_status=made[norm].status if norm in made else None,
                )
                for norm, example, count, reps, last in rows
            ]

    def usage(self, days: int, limit: int = 50) -> UsageReport:
        since = self._clock() - timedelta(days=days)
        with self._session.begin() as session:
            opened = session.execute(
                select(
                    UsageEvent.doc_id,
                    func.count(),
                    func.count(distinct(UsageEvent.rep)),
                    func.max(UsageEvent.at),
                )
                .where(UsageEvent.type == "open", UsageEvent.at >= since)
                .group_by(UsageEvent.doc_id)
            ).all()
            live = session.execute(
                select(Document.id, Document.path, Document.title)
                .where(Document.deleted_at.is_(None))
                .order_by(Document.path)
            ).all()
            searches, zero = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum((UsageEvent.results == 0).cast(Integer)), 0),
                ).where(UsageEvent.type == "search", UsageEvent.at >= since)
            ).one()
        docs = {doc_id: (path, title) for doc_id, path, title in live}
        counts = {str(doc_id): (int(n), int(reps), _utc(last)) for doc_id, n, reps, last in opened}
        most = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        most_opened = []
        for doc_id, (n, reps, last) in most:
            path, title = docs.get(doc_id, (None, None))
            most_opened.append(DocUsage(doc_id, path, title, n, reps, last))
        never = tuple(
            DocUsage(doc_id, path, title, 0, 0, None)
            for doc_id, (path, title) in docs.items()
            if doc_id not in counts
        )
        folders: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for doc_id, (path, _title) in docs.items():
            tally = folders[path.rsplit("/", 1)[0] if "/" in path else ""]
            tally[0] += 1
            tally[1] += counts.get(doc_id, (0, 0, None))[0]
            tally[2] += doc_id not in counts
        return UsageReport(
            days=days,
            most_opened=tuple(most_opened),
            never_opened=never,
            folders=tuple(
                FolderUsage(name, *values) for name, values in sorted(folders.items())
            ),
            opens=sum(n for n, _reps, _last in counts.values()),
            searches=int(searches),
            zero_result_searches=int(zero),
        )

    def feedback_summary(self) -> list[DocFeedback]:
        """Feedback per document, the most commented first."""
        with self._session.begin() as session:
            rows = session.execute(
                select(
                    InboxFeedback.doc_id,
                    InboxFeedback.kind,
                    InboxFeedback.page,
                    InboxFeedback.created_at,
                )
            ).all()
            paths = _path_titles(session, {r[0] for r in rows})
        kinds: dict[str, Counter[str]] = defaultdict(Counter)
        pages: dict[str, set[int]] = defaultdict(set)
        last: dict[str, datetime] = {}
        for doc_id, kind, page, created_at in rows:
            kinds[doc_id][kind] += 1
            if page is not None:
                pages[doc_id].add(page)
            last[doc_id] = max(last.get(doc_id, created_at), created_at)
        summary = [
            DocFeedback(
                doc_id=doc_id,
                path=paths.get(doc_id, (None, None))[0],
                title=paths.get(doc_id, (None, None))[1],
                total=sum(counter.values()),
                by_kind={k: counter[k] for k in FEEDBACK_KINDS},
                pages=len(pages[doc_id]),
                last_at=last[doc_id],
            )
            for doc_id, counter in kinds.items()
        ]
        summary.sort(key=lambda d: (-d.total, d.path or d.doc_id))
        return summary

    def feedback(self, doc_id: str | None = None, limit: int = 1000) -> list[FeedbackRecord]:
        """Feedback items (of one document), by page then newest first."""
        query = select(InboxFeedback)
        if doc_id is not None:
            query = query.where(InboxFeedback.doc_id == doc_id)
            order: Sequence[Any] = (
                InboxFeedback.page.is_(None).desc(),
                InboxFeedback.page,
                InboxFeedback.id.desc(),
            )
        else:
            order = (InboxFeedback.id.desc(),)
        with self._session.begin() as session:
            return [
                FeedbackRecord(
                    row.id,
                    row.rep,
                    row.doc_id,
                    row.doc_version,
                    row.page,
                    row.kind,
                    row.comment,
                    row.created_at,
                )
                for row in session.scalars(query.order_by(*order).limit(limit))
            ]

    def document(self, doc_id: str) -> tuple[str | None, str | None]:
        """(path, title) of a live document, or (None, None)."""
        with self._session.begin() as session:
            return _path_titles(session, {doc_id}).get(doc_id, (None, None))

    def live_documents(self, limit: int = 5000) -> list[tuple[str, str, str | None]]:
        """(id, path, title) of live documents, by path: for choosing an answer."""
        with self._session.begin() as session:
            return [
                (doc_id, path, title)
                for doc_id, path, title in session.execute(
                    select(Document.id, Document.path, Document.title)
                    .where(Document.deleted_at.is_(None))
                    .order_by(Document.path)
                    .limit(limit)
                )
            ]


# -- marketing's admin password --------------------------------------------------------------------

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected) // 2,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


class AdminAccess:
    """The admin password marketing signs in to the hub's web page with."""

    def __init__(self, engine: Engine) -> None:
        self._session: sessionmaker[Session] = session_factory(engine)

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"Choose a password of at least {MIN_PASSWORD} characters.")
        with self._session.begin() as session:
            write_first(session)
            session.merge(
                AdminCredential(
                    id=1,
                    password_hash=hash_password(password),
                    session_key=secrets.token_hex(32),
                    changed_at=utcnow(),
                )
            )

    def is_set(self) -> bool:
        return self._row() is not None

    def check(self, password: str) -> bool:
        row = self._row()
        return row is not None and check_password(password, row[0])

    def session_key(self) -> bytes | None:
        row = self._row()
        return bytes.fromhex(row[1]) if row is not None else None

    def _row(self) -> tuple[str, str] | None:
        with self._session.begin() as session:
            row = session.get(AdminCredential, 1)
            return (row.password_hash, row.session_key) if row is not None else None


# -- helpers -------------------------------------------------------------------------------------


def _request_answer(row: InboxRequest) -> dict[str, Any]:
    """What the rep's client hears about a request (on submit and on poll)."""
    return {
        "id": row.id,
        "key": row.idempotency_key,
        "status": row.status,
        "note": row.note,
        "doc_id": row.answer_doc_id,
        "received_at": _iso(row.received_at),
        "updated_at": _iso(row.updated_at),
    }


def _feedback_answer(row: InboxFeedback) -> dict[str, Any]:
    return {"id": row.id, "key": row.idempotency_key, "received_at": _iso(row.received_at)}


def _batch_answer(row: SignalBatch) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.idempotency_key,
        "accepted": row.count,
        "received_at": _iso(row.received_at),
    }


def _record(row: InboxRequest, paths: dict[str, str]) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        rep=row.rep,
        title=row.title,
        details=row.details,
        customer=row.customer,
        needed_by=row.needed_by,
        urgency=row.urgency,
        doc_id=row.doc_id,
        doc_path=paths.get(row.doc_id or ""),
        query=row.query,
        created_at=row.created_at,
        received_at=row.received_at,
        status=row.status,
        note=row.note,
        answer_doc_id=row.answer_doc_id,
        answer_path=paths.get(row.answer_doc_id or ""),
        updated_at=row.updated_at,
        key=row.idempotency_key,
    )


def _paths(session: Session, doc_ids: Sequence[str | None]) -> dict[str, str]:
    wanted = {d for d in doc_ids if d}
    return {doc_id: path for doc_id, (path, _title) in _path_titles(session, wanted).items()}


def _path_titles(session: Session, doc_ids: set[str]) -> dict[str, tuple[str, str | None]]:
    if not doc_ids:
        return {}
    return {
        doc_id: (path, title)
        for doc_id, path, title in session.execute(
            select(Document.id, Document.path, Document.title).where(Document.id.in_(doc_ids))
        )
    }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _utc(value: Any) -> datetime:
    """Aggregates (max, min) bypass the column type on SQLite and come back naive or as text."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
