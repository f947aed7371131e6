"""The outbox: requests, feedback and usage signals kept on disk until the hub has them.

Everything is committed to the catalog before the caller hears "queued". One sender delivers:
:class:`OutboxSender`, either as a background thread (the app) or synchronously
(:meth:`OutboxSender.send_now`, the CLI's ``outbox send``). Only one sender per home runs at a
time, across processes: it holds an OS lock on ``outbox.lock`` (released by the OS even when the
process is killed), and on taking the lock it puts items a dead sender left "sending" back in the
queue. Each item carries an idempotency key that every attempt sends, so the hub keeps the first
copy and answers repeats with it: an item is delivered exactly once however often it is tried.

Failures are sorted the way a rep would expect: the hub refusing an item (a 4xx) rejects it, with
the hub's reason, and it is not tried again; a hub that cannot be reached puts the sender offline
until the hub's health check answers; errors, timeouts and dropped connections are retried with
exponential backoff and full jitter.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, delete, false, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from fieldkit import __version__
from fieldkit.core.catalog import CatalogBase, KeyValue, MirrorEntry, MirrorFile
from fieldkit.core.credentials import TokenStore
from fieldkit.core.db import session_factory, utcnow
from fieldkit.core.errors import AuthError, FieldkitError, StorageError, UsageError
from fieldkit.core.outbox_models import OUTBOX_TABLES, OutboxItem, PendingSignal
from fieldkit.core.requests import (
    IDEMPOTENCY_HEADER,
    SIGNALS_PER_BATCH,
    FeedbackDraft,
    RequestDraft,
    feedback_payload,
    open_signal,
    request_payload,
    search_signal,
    summary,
)

if TYPE_CHECKING:
    import httpx  # imported where used: start-up does not need HTTP

log = logging.getLogger(__name__)

State = Literal["queued", "sending", "sent", "rejected"]
STATES: tuple[State, ...] = ("queued", "sending", "sent", "rejected")
LOCK_FILE = "outbox.lock"
HUB_KEY = "hub"
_ENDPOINTS = {
    "request": "/api/v1/requests",
    "feedback": "/api/v1/feedback",
    "signals": "/api/v1/signals",
}
_BUSY = (
    "Another fieldkit on this computer is sending the outbox right now; "
    "your items go out with it."
)


class SenderBusy(FieldkitError):
    """Another fieldkit on this computer is sending the outbox right now."""


# -- plain data at the boundary ------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    summary: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class RequestView:
    """One of the rep's requests: where it is in the outbox, and what the hub said about it."""

    id: int
    title: str
    customer: str
    needed_by: str | None
    urgency: str
    doc_id: str | None
    state: str
    last_error: str | None
    status: str | None  # the hub's: new, acknowledged, in_progress, fulfilled, declined
    note: str | None
    answer_doc_id: str | None
    answer_rel_path: str | None  # where the answering document is in the mirror, once synced
    created_at: datetime
    status_changed_at: datetime | None


@dataclass(frozen=True)
class StatusChange:
    """Marketing moved a request on: what the app tells the rep."""

    item_id: int
    title: str
    old_status: str | None
    new_status: str
    note: str | None
    doc_id: str | None


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    rejected: int = 0
    retried: int = 0  # attempts that failed and will be tried again
    queued: int = 0  # items still waiting after this round
    offline: bool = False
    error: str | None = None  # why the round stopped early, in words for the rep
    changes: tuple[StatusChange, ...] = ()


@dataclass(frozen=True)
class HubAddress:
    url: str
    token: str


@dataclass(frozen=True)
class _Due:
    id: int
    kind: str
    payload: dict[str, Any]
    key: str
    attempts: int


# -- storage --------------------------------------------------------------------------------------


def storage_error(exc: OperationalError) -> StorageError:
    reason = str(exc.orig)
    if "full" in reason.lower():
        return StorageError(
            "The disk is full, so fieldkit could not save to the outbox. Nothing already "
            "queued was lost; free some space and try again."
        )
    return StorageError(f"The outbox could not be saved ({reason}). Nothing queued was lost.")


class Outbox:
    """The durable queue in the catalog. Every method is one transaction and returns plain data.

    The methods below ``# -- delivery`` are for :class:`OutboxSender` only.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        try:
            CatalogBase.metadata.create_all(engine, tables=list(OUTBOX_TABLES))
        except OperationalError as exc:
            raise storage_error(exc) from exc
        self._engine = engine
        self._sessions: sessionmaker[Session] = session_factory(engine)
        self._clock = clock
        self._listeners: list[Callable[[], None]] = []

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction; ``write``: take SQLite's write lock before reading anything.

        A transaction that reads and then writes fails at once with "database is locked" when
        another connection (the app recording a signal, say) wrote in between; taking the lock
        first makes it wait its turn instead.
        """
        try:
            with self._sessions.begin() as session:
                if write:
                    session.execute(
                        update(OutboxItem).where(false()).values(state=OutboxItem.state),
                        execution_options={"synchronize_session": False},
                    )
                yield session
        except OperationalError as exc:
            raise storage_error(exc) from exc

    @contextmanager
    def _durable_transaction(self) -> Iterator[Session]:
        """A transaction synced to disk at commit (SQLite ``synchronous=FULL``), so what the rep
        was told is queued survives a power cut too, not only a crash of fieldkit.

        The catalog's usual ``NORMAL`` may roll back the last commits of a WAL database when
        the power goes; the level can only change outside a transaction, hence the raw calls.
        """
        sqlite = self._engine.dialect.name == "sqlite"
        try:
            with self._engine.connect() as conn:
                raw = conn.connection.driver_connection
                if sqlite and raw is not None:
                    raw.execute("PRAGMA synchronous=FULL")
                try:
                    with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                        yield session
                finally:
                    if sqlite and raw is not None:
                        raw.execute("PRAGMA synchronous=NORMAL")
        except OperationalError as exc:
            raise storage_error(exc) from exc

    def add_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs after each new request or feedback is committed."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    # -- what the rep adds

    def add_request(self, draft: RequestDraft) -> OutboxEntry:
        now = self._clock()
        payload = request_payload(draft, today=now.astimezone().date(), created_at=now)
        return self._add("request", payload, payload["doc_id"])

    def add_feedback(self, draft: FeedbackDraft) -> OutboxEntry:
        payload = feedback_payload(draft, created_at=self._clock())
        return self._add("feedback", payload, payload["doc_id"])

    def _add(self, kind: str, payload: dict[str, Any], doc_id: str | None) -> OutboxEntry:
        if doc_id is not None:
            payload = {**payload, "doc_version": self._document_version(doc_id)}
        now = self._clock()
        with self._durable_transaction() as session:
            item = OutboxItem(
                kind=kind,
                payload=payload,
                idempotency_key=str(uuid.uuid4()),
                state="queued",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(item)
            session.flush()
            entry_view = _entry(item)
        log.info("queued %s #%d", kind, entry_view.id)
        for listener in list(self._listeners):
            listener()
        return entry_view

    def _document_version(self, doc_id: str) -> int:
        with self._transaction() as session:
            version = session.scalar(
                select(MirrorEntry.version).where(MirrorEntry.doc_id == doc_id)
            )
        if version is None:
            raise UsageError(
                f"No approved document has the id {doc_id!r}. Find it with "
                "fieldkit search; the id is in the --json output."
            )
        return int(version)

    def record_signal(self, data: dict[str, Any]) -> None:
        with self._transaction() as session:
            session.add(PendingSignal(data=data, created_at=self._clock()))

    # -- what the rep sees

    def items(self) -> list[OutboxEntry]:
        with self._transaction() as session:
            rows = session.scalars(select(OutboxItem).order_by(OutboxItem.id))
            return [_entry(row) for row in rows]

    def pending_signals(self) -> list[dict[str, Any]]:
        """Signals recorded but not batched yet, oldest first."""
        with self._transaction() as session:
            return [
                dict(data)
                for data in session.scalars(select(PendingSignal.data).order_by(PendingSignal.id))
            ]

    def counts(self) -> dict[str, int]:
        with self._transaction() as session:
            rows = session.execute(
                select(OutboxItem.state, func.count()).group_by(OutboxItem.state)
            ).all()
        counts: dict[str, int] = dict.fromkeys(STATES, 0)
        counts.update({state: int(n) for state, n in rows})
        return counts

    def requests(self) -> list[RequestView]:
        """The rep's requests, newest first."""
        with self._transaction() as session:
            rows = session.scalars(
                select(OutboxItem)
                .where(OutboxItem.kind == "request")
                .order_by(OutboxItem.id.desc())
            ).all()
            answers = {row.remote_doc_id for row in rows if row.remote_doc_id}
            placed = {
                doc_id: rel
                for doc_id, rel in session.execute(
                    select(MirrorFile.doc_id, MirrorFile.rel_path).where(
                        MirrorFile.doc_id.in_(answers), MirrorFile.area == "mirror"
                    )
                )
            }
            return [_request_view(row, placed.get(row.remote_doc_id or "")) for row in rows]

    # -- delivery (the sender's)

    def recover_interrupted(self) -> int:
        """Put items a sender left "sending" (it died or failed mid-way) back in the queue."""
        with self._transaction() as session:
            result = session.execute(
                update(OutboxItem).where(OutboxItem.state == "sending").values(state="queued")
            )
            count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            log.info("%d outbox items were being sent when a sender stopped; queued again", count)
        return count

    def batch_signals(self, *, enabled: bool, force: bool, older_than: timedelta) -> int:
        """Put pending signals into batches (outbox items of kind "signals").

        Unless ``force``, only when a full batch is waiting or the oldest signal is older than
        ``older_than``. With signals switched off, pending signals and unsent batches are thrown
        away instead: nothing is sent. Returns the number of batches made.
        """
        if not enabled:
            self.discard_signals()
            return 0
        now = self._clock()
        with self._transaction() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(PendingSignal.created_at)).where(
                    PendingSignal.batch_key.is_(None)
                )
            ).one()
        if not count:
            return 0
        oldest_at = _aware(oldest)
        if not force and count < SIGNALS_PER_BATCH and oldest_at > now - older_than:
            return 0
        batches = 0
        while self._batch_once(now):
            batches += 1
        return batches

    def _batch_once(self, now: datetime) -> bool:
        key = str(uuid.uuid4())
        with self._transaction() as session:
            # Claim first: the transaction's first statement is a write, so it holds the write
            # lock and no other process can claim the same rows.
            claimed = session.execute(
                update(PendingSignal)
                .where(
                    PendingSignal.id.in_(
                        select(PendingSignal.id)
                        .where(PendingSignal.batch_key.is_(None))
                        .order_by(PendingSignal.id)
                        .limit(SIGNALS_PER_BATCH)
                        .scalar_subquery()
                    )
                )
                .values(batch_key=key)
            )
            if not getattr(claimed, "rowcount", 0):
                return False
            signals = [
                dict(data)
                for data in session.scalars(
                    select(PendingSignal.data)
                    .where(PendingSignal.batch_key == key)
                    .order_by(PendingSignal.id)
                )
            ]
            session.add(
                OutboxItem(
                    kind="signals",
                    payload={"signals": signals},
                    idempotency_key=key,
                    state="queued",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            session.execute(delete(PendingSignal).where(PendingSignal.batch_key == key))
        return True

    def oldest_signal_at(self) -> datetime | None:
        with self._transaction() as session:
            oldest = session.scalar(select(func.min(PendingSignal.created_at)))
        return _aware(oldest) if oldest is not None else None

    def discard_signals(self) -> None:
        with self._transaction() as session:
            session.execute(delete(PendingSignal))
            session.execute(
                delete(OutboxItem).where(
                    OutboxItem.kind == "signals", OutboxItem.state.in_(("queued", "sending"))
                )
            )

    def due(self, now: datetime, limit: int = 100) -> list[_Due]:
        """Queued items whose time has come, oldest first."""
        query = select(OutboxItem).where(
            OutboxItem.state == "queued", OutboxItem.next_attempt_at <= now
        )
        with self._transaction() as session:
            rows = session.scalars(query.order_by(OutboxItem.id).limit(limit))
            return [
                _Due(row.id, row.kind, dict(row.payload), row.idempotency_key, row.attempts)
                for row in rows
            ]

    def make_due_now(self) -> None:
        """"Send now": queued items skip the rest of their backoff wait."""
        now = self._clock()
        with self._transaction() as session:
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.state == "queued", OutboxItem.next_attempt_at > now)
                .values(next_attempt_at=now)
            )

    def next_due_at(self) -> datetime | None:
        with self._transaction() as session:
            value = session.scalar(
                select(func.min(OutboxItem.next_attempt_at)).where(OutboxItem.state == "queued")
            )
        return _aware(value) if value is not None else None

    def claim(self, item_id: int) -> bool:
        with self._transaction() as session:
            result = session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item_id, OutboxItem.state == "queued")
                .values(state="sending", attempts=OutboxItem.attempts + 1)
            )
            return bool(getattr(result, "rowcount", 0))

    def mark_sent(self, item_id: int, answer: Mapping[str, Any]) -> StatusChange | None:
        now = self._clock()
        with self._transaction(write=True) as session:
            item = session.get_one(OutboxItem, item_id)
            item.state = "sent"
            item.sent_at = now
            item.last_error = None
            remote_id = answer.get("id")
            item.remote_id = str(remote_id) if remote_id is not None else None
            if item.kind == "request":
                return _apply_status(item, answer, now)
        return None

    def mark_rejected(self, item_id: int, reason: str) -> None:
        with self._transaction(write=True) as session:
            item = session.get_one(OutboxItem, item_id)
            item.state = "rejected"
            item.last_error = reason

    def mark_retry(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        with self._transaction(write=True) as session:
            item = session.get_one(OutboxItem, item_id)
            item.state = "queued"
            item.last_error = error
            item.next_attempt_at = next_attempt_at

    def release(self, item_id: int, error: str) -> None:
        """Back in the queue, due at once: the item was never the problem (offline, token)."""
        with self._transaction(write=True) as session:
            item = session.get_one(OutboxItem, item_id)
            item.state = "queued"
            item.last_error = error

    def has_open_requests(self) -> bool:
        with self._transaction() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(OutboxItem)
                    .where(OutboxItem.kind == "request", OutboxItem.state == "sent")
                )
                or 0
            ) > 0

    def apply_statuses(self, answers: list[Mapping[str, Any]]) -> list[StatusChange]:
        """Store what the hub says about the rep's requests (matched by idempotency key)."""
        by_key = {str(a.get("key")): a for a in answers if a.get("key")}
        if not by_key:
            return []
        now = self._clock()
        changes = []
        with self._transaction(write=True) as session:
            rows = session.scalars(
                select(OutboxItem).where(
                    OutboxItem.kind == "request", OutboxItem.idempotency_key.in_(by_key)
                )
            )
            for item in rows:
                if item.state != "sent":
                    continue
                change = _apply_status(item, by_key[item.idempotency_key], now)
                if change is not None:
                    changes.append(change)
        return changes


def _apply_status(
    item: OutboxItem, answer: Mapping[str, Any], now: datetime
) -> StatusChange | None:
    status = answer.get("status")
    if not isinstance(status, str):
        return None
    note = _text_or_none(answer.get("note"))
    doc_id = _text_or_none(answer.get("doc_id"))
    old = item.remote_status
    if (old, item.remote_note, item.remote_doc_id) == (status, note, doc_id):
        return None
    item.remote_status, item.remote_note, item.remote_doc_id = status, note, doc_id
    item.status_changed_at = now
    if status == "new":
        return None
    return StatusChange(item.id, str(item.payload.get("title", "")), old, status, note, doc_id)


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _aware(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def _entry(item: OutboxItem) -> OutboxEntry:
    return OutboxEntry(
        id=item.id,
        kind=item.kind,
        state=item.state,
        attempts=item.attempts,
        last_error=item.last_error,
        created_at=item.created_at,
        next_attempt_at=item.next_attempt_at,
        sent_at=item.sent_at,
        summary=summary(item.kind, item.payload),
        payload=dict(item.payload),
    )


def _request_view(item: OutboxItem, rel_path: str | None) -> RequestView:
    payload = item.payload
    return RequestView(
        id=item.id,
        title=str(payload.get("title", "")),
        customer=str(payload.get("customer") or ""),
        needed_by=payload.get("needed_by"),
        urgency=str(payload.get("urgency", "normal")),
        doc_id=payload.get("doc_id"),
        state=item.state,
        last_error=item.last_error,
        status=item.remote_status,
        note=item.remote_note,
        answer_doc_id=item.remote_doc_id,
        answer_rel_path=rel_path,
        created_at=item.created_at,
        status_changed_at=item.status_changed_at,
    )


# -- usage signals ---------------------------------------------------------------------------------


class UsageSignals:
    """Records what the rep opens and searches, for marketing; nothing at all when switched off.

    Call :meth:`document_opened` only for approved documents (hub ids), never personal files.
    """

    def __init__(
        self,
        outbox: Outbox,
        enabled: Callable[[], bool],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._outbox = outbox
        self._enabled = enabled
        self._clock = clock

    def document_opened(self, doc_id: str) -> None:
        if self._enabled():
            self._outbox.record_signal(open_signal(doc_id, self._clock()))

    def search_run(self, query: str, results: int) -> None:
        if self._enabled() and query.strip():
            self._outbox.record_signal(search_signal(query, results, self._clock()))


# -- the hub --------------------------------------------------------------------------------------


def saved_hub_address(sessions: sessionmaker[Session], tokens: TokenStore) -> HubAddress:
    """The hub ``fieldkit connect`` saved, with its token from the client's token store."""
    with sessions.begin() as session:
        row = session.get(KeyValue, HUB_KEY)
        value: dict[str, Any] = dict(row.value) if row is not None else {}
    url = value.get("url")
    if not isinstance(url, str):
        if value.get("folder"):
            raise UsageError(
                "Requests and feedback need a hub, and this library syncs from a folder. "
                "They stay queued until you connect to a hub (fieldkit connect URL --token T)."
            )
        raise UsageError(
            "Not connected to a hub yet; your items stay queued. "
            "Connect with: fieldkit connect URL --token TOKEN"
        )
    token = tokens.load(url)
    if token is None:
        raise AuthError(f"No token is saved for the hub at {url}. Run: fieldkit connect {url}")
    return HubAddress(url, token)


Result = Literal["sent", "rejected", "retry", "offline", "auth"]


@dataclass(frozen=True)
class Outcome:
    result: Result
    detail: str = ""
    answer: Mapping[str, Any] = field(default_factory=dict)
    retry_after: float | None = None


class HubLink:
    """The HTTP side of delivery: one keep-alive connection to the hub."""

    def __init__(self, address: HubAddress, *, timeout: float = 15.0) -> None:
        import httpx

        self._url = address.url.rstrip("/")
        self._http = httpx.Client(
            base_url=self._url,
            headers={
                "Authorization": f"Bearer {address.token}",
                "User-Agent": f"fieldkit/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubLink:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def healthy(self) -> bool:
        import httpx

        try:
            response = self._http.get("/api/v1/health")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def deliver(self, kind: str, payload: Mapping[str, Any], key: str) -> Outcome:
        return self._call(
            "POST", _ENDPOINTS[kind], json=dict(payload), headers={IDEMPOTENCY_HEADER: key}
        )

    def my_requests(self) -> Outcome:
        return self._call("GET", "/api/v1/requests", params={"mine": "true"})

    def _call(self, method: str, path: str, **kwargs: Any) -> Outcome:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return Outcome("offline", f"The hub at {self._url} could not be reached ({exc}).")
        except httpx.TimeoutException:
            return Outcome("retry", "The hub did not answer in time.")
        except httpx.TransportError as exc:
            return Outcome("retry", f"The connection to the hub dropped ({exc}).")
        return _classify(response)


def _classify(response: httpx.Response) -> Outcome:
    code = response.status_code
    if code in (200, 201):
        try:
            answer = response.json()
        except ValueError:
            return Outcome("retry", "The hub's answer was garbled.")
        return Outcome("sent", answer=answer if isinstance(answer, dict) else {"items": answer})
    detail = _detail(response)
    if code in (401, 403):
        return Outcome("auth", f"The hub refused the token: {detail}")
    if code in (408, 425, 429) or code >= 500:
        return Outcome("retry", f"The hub had a problem ({code}): {detail}", retry_after=_after(
            response.headers.get("retry-after")))
    if 400 <= code < 500:
        return Outcome("rejected", detail)
    return Outcome("retry", f"Unexpected answer from the hub ({code}).")


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase or f"HTTP {response.status_code}"
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    return response.reason_phrase or f"HTTP {response.status_code}"


def _after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


# -- delivery -------------------------------------------------------------------------------------


class Backoff:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, base·2ⁿ⁻¹)]."""

    def __init__(
        self, base: float = 2.0, cap: float = 600.0, rand: Callable[[], float] = random.random
    ) -> None:
        self.base = base
        self.cap = cap
        self._rand = rand

    def delay(self, failures: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** max(0, failures - 1))
        return float(self._rand() * ceiling)


class _SenderLock:
    """An OS lock on a file: held by at most one process, dropped by the OS when it dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self._path, "a+b")  # noqa: SIM115 - held open while the lock is held
        except OSError as exc:
            raise StorageError(f"Cannot open {self._path}: {exc.strerror}") from exc
        if not _try_lock(handle):
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            _unlock(self._handle)
            self._handle.close()
            self._handle = None


if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass
class _Ticket:
    """A "send now" handed to the sender thread, and its result."""

    budget_s: float
    done: threading.Event = field(default_factory=threading.Event)
    report: SendReport | None = None
    error: BaseException | None = None


class OutboxSender:
    """The one thing that delivers the outbox: a background thread, or :meth:`send_now`.

    ``address()`` names the hub (it may raise a FieldkitError: not connected, no token).
    ``on_status_changed`` and ``on_round_finished`` run on the sender's thread; the app's bridge
    turns them into Qt signals.
    """

    def __init__(
        self,
        outbox: Outbox,
        address: Callable[[], HubAddress],
        lock_path: Path,
        *,
        signals_enabled: Callable[[], bool] = lambda: True,
        on_status_changed: Callable[[StatusChange], None] | None = None,
        on_round_finished: Callable[[SendReport], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
        backoff: Backoff | None = None,
        offline_backoff: Backoff | None = None,
        timeout: float = 15.0,
        poll_interval: float = 300.0,
        signals_every: float = 600.0,
    ) -> None:
        self._outbox = outbox
        self._address = address
        self._lock = _SenderLock(lock_path)
        self._signals_enabled = signals_enabled
        self._on_status_changed = on_status_changed
        self._on_round_finished = on_round_finished
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._offline_backoff = offline_backoff or Backoff(base=5.0, cap=300.0)
        self._timeout = timeout
        self._poll_interval = poll_interval
        self._signals_every = timedelta(seconds=signals_every)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._tickets: list[_Ticket] = []
        self._tickets_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._online: bool | None = None
        # No hub is set up (the last round could not get an address): nothing due can go.
        self._no_hub = False
        self._last_poll: datetime | None = None

    @property
    def online(self) -> bool | None:
        """Whether the hub answered last time (None before the first try)."""
        return self._online

    # -- the synchronous way (the CLI; "Send now" when no thread runs)

    def send_now(self, budget_s: float = 30.0) -> SendReport:
        """Send everything queued now (backoff waits are skipped for the first try), retrying
        what fails for up to ``budget_s`` seconds; then fetch the status of sent requests."""
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            ticket = _Ticket(budget_s)
            with self._tickets_lock:
                self._tickets.append(ticket)
            self._wake.set()
            ticket.done.wait()
            if ticket.error is not None:
                raise ticket.error
            assert ticket.report is not None
            return ticket.report
        if not self._lock.acquire():
            raise SenderBusy(_BUSY)
        try:
            self._outbox.recover_interrupted()
            return self._round(manual=True, budget_s=budget_s)
        finally:
            self._lock.release()

    # -- the background way (the app)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._outbox.add_listener(self.wake)
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self._wake.set()
        thread.join()
        self._thread = None
        self._outbox.remove_listener(self.wake)

    def wake(self) -> None:
        """Look at the outbox now (something was queued)."""
        self._wake.set()

    def _run(self) -> None:
        offline_failures = 0
        try:
            while not self._stopping.is_set():
                wait = self._step(offline_failures)
                if self._online is False:
                    offline_failures += 1
                    wait = self._offline_backoff.delay(offline_failures)
                else:
                    offline_failures = 0
                if self._tickets:
                    continue
                self._wake.wait(wait)
                self._wake.clear()
        finally:
            self._fail_tickets(FieldkitError("The outbox sender stopped."))
            self._lock.release()

    def _step(self, offline_failures: int) -> float:
        """One turn of the thread; returns how long to wait before the next."""
        try:
            if not self._lock.held:
                if not self._lock.acquire():
                    log.info("another fieldkit is sending this outbox; waiting")
                    self._fail_tickets(SenderBusy(_BUSY))
                    return self._poll_interval
                self._outbox.recover_interrupted()
            with self._tickets_lock:
                tickets, self._tickets = self._tickets, []
            if tickets:
                self._serve_tickets(tickets)
                return 0.0
            if self._online is False and offline_failures and not self._probe():
                return 0.0
            self._round(manual=False, budget_s=None)
            return self._idle_wait()
        except FieldkitError as exc:
            log.warning("outbox: %s", exc)
            return self._poll_interval
        except Exception:
            log.exception("the outbox sender failed; it will try again")
            return self._poll_interval

    def _serve_tickets(self, tickets: list[_Ticket]) -> None:
        budget = max(t.budget_s for t in tickets)
        try:
            report = self._round(manual=True, budget_s=budget)
        except BaseException as exc:
            for ticket in tickets:
                ticket.error = exc
                ticket.done.set()
            if not isinstance(exc, Exception):
                raise
            return
        for ticket in tickets:
            ticket.report = report
            ticket.done.set()

    def _fail_tickets(self, error: BaseException) -> None:
        with self._tickets_lock:
            tickets, self._tickets = self._tickets, []
        for ticket in tickets:
            ticket.error = error
            ticket.done.set()

    def _probe(self) -> bool:
        try:
            address = self._address()
        except FieldkitError:
            return False
        with HubLink(address, timeout=self._timeout) as link:
            self._online = link.healthy()
        if self._online:
            log.info("the hub answers again; sending the outbox")
        return self._online

    def _idle_wait(self) -> float:
        now = self._clock()
        targets = [now + timedelta(seconds=self._poll_interval)]
        # Without a hub, items already due would make the wait zero and the thread spin; they
        # go at the next round after the rep connects (a queued item or "Send now" wakes it).
        due = None if self._no_hub else self._outbox.next_due_at()
        if due is not None:
            targets.append(due)
        oldest = self._outbox.oldest_signal_at()
        if oldest is not None:
            targets.append(oldest + self._signals_every)
        return max(0.0, (min(targets) - now).total_seconds())

    # -- one round

    def _round(self, *, manual: bool, budget_s: float | None) -> SendReport:
        """Deliver what is due; with a budget, keep retrying failures until it runs out."""
        self._outbox.batch_signals(
            enabled=self._signals_enabled(), force=manual, older_than=self._signals_every
        )
        if manual:
            self._outbox.make_due_now()
        tally = _Tally()
        try:
            address = self._address()
        except FieldkitError as exc:
            self._no_hub = True
            tally.error = str(exc)
            return self._finish(tally)
        self._no_hub = False
        deadline = self._clock() + timedelta(seconds=budget_s) if budget_s is not None else None
        with HubLink(address, timeout=self._timeout) as link:
            while not self._stopping.is_set():
                batch = self._outbox.due(self._clock())
                if not batch:
                    if deadline is None or not self._wait_for_due(deadline):
                        break
                    continue
                for item in batch:
                    if self._stopping.is_set() or not self._deliver(link, item, tally):
                        break
                if tally.stopped:
                    break
            if not tally.stopped:
                self._online = True
                tally.changes.extend(self._poll(link, force=manual or tally.sent > 0))
        return self._finish(tally)

    def _deliver(self, link: HubLink, item: _Due, tally: _Tally) -> bool:
        """Try one item; False when the round must stop (offline, token refused)."""
        if not self._outbox.claim(item.id):
            return True
        outcome = link.deliver(item.kind, item.payload, item.key)
        if outcome.result == "sent":
            change = self._outbox.mark_sent(item.id, outcome.answer)
            tally.sent += 1
            if change is not None:
                tally.changes.append(change)
        elif outcome.result == "rejected":
            log.warning("the hub rejected %s #%d: %s", item.kind, item.id, outcome.detail)
            self._outbox.mark_rejected(item.id, outcome.detail)
            tally.rejected += 1
        elif outcome.result == "retry":
            delay = max(self._backoff.delay(item.attempts + 1), outcome.retry_after or 0.0)
            log.info("%s #%d: %s; retry in %.1f s", item.kind, item.id, outcome.detail, delay)
            self._outbox.mark_retry(
                item.id, outcome.detail, self._clock() + timedelta(seconds=delay)
            )
            tally.retried += 1
        else:
            self._outbox.release(item.id, outcome.detail)
            tally.error = outcome.detail
            tally.offline = outcome.result == "offline"
            if tally.offline:
                self._online = False
                log.info("offline: %s", outcome.detail)
            return False
        return True

    def _wait_for_due(self, deadline: datetime) -> bool:
        """Wait for the next retry if it comes before ``deadline``; False if it does not."""
        due = self._outbox.next_due_at()
        if due is None or due > deadline:
            return False
        seconds = (due - self._clock()).total_seconds()
        if seconds > 0:
            self._stopping.wait(seconds)
        return not self._stopping.is_set()

    def _poll(self, link: HubLink, *, force: bool) -> list[StatusChange]:
        """Fetch the status of the rep's sent requests (every ``poll_interval``, or ``force``)."""
        now = self._clock()
        recent = self._last_poll is not None and (
            now - self._last_poll < timedelta(seconds=self._poll_interval)
        )
        if (recent and not force) or not self._outbox.has_open_requests():
            return []
        outcome = link.my_requests()
        if outcome.result != "sent":
            log.info("could not fetch the status of requests: %s", outcome.detail)
            return []
        self._last_poll = now
        answers = outcome.answer.get("requests")
        if not isinstance(answers, list):
            return []
        return self._outbox.apply_statuses([a for a in answers if isinstance(a, dict)])

    def _finish(self, tally: _Tally) -> SendReport:
        report = SendReport(
            sent=tally.sent,
            rejected=tally.rejected,
            retried=tally.retried,
            queued=self._outbox.counts()["queued"],
            offline=tally.offline,
            error=tally.error,
            changes=tuple(tally.changes),
        )
        for change in report.changes:
            log.info("request #%d is now %s", change.item_id, change.new_status)
            if self._on_status_changed is not None:
                self._notify(self._on_status_changed, change)
        if self._on_round_finished is not None:
            self._notify(self._on_round_finished, report)
        return report

    @staticmethod
    def _notify(callback: Callable[[Any], None], value: object) -> None:
        try:
            callback(value)
        except Exception:
            log.exception("an outbox listener failed")


@dataclass
class _Tally:
    sent: int = 0
    rejected: int = 0
    retried: int = 0
    offline: bool = False
    error: str | None = None
    changes: list[StatusChange] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return self.error is not None
