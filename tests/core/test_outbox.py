"""The outbox against a real hub on 127.0.0.1: durable queueing, delivery, states, statuses,
usage signals, backoff, one sender at a time, and a full disk."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail
from outbox_support import ServedHub, add_mirror_entry, connect_home, free_port
from sqlalchemy import Engine, event, select

from fieldkit.core.catalog import CATALOG_MIGRATIONS, CATALOG_SCHEMA_VERSION, CatalogBase
from fieldkit.core.catalog import MirrorFile as MirrorFileRow
from fieldkit.core.credentials import TokenStore
from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema
from fieldkit.core.errors import StorageError, UsageError
from fieldkit.core.home import HomePaths
from fieldkit.core.outbox import (
    LOCK_FILE,
    Backoff,
    HubAddress,
    Outbox,
    OutboxSender,
    SenderBusy,
    SendReport,
    StatusChange,
    UsageSignals,
    saved_hub_address,
)
from fieldkit.core.outbox_models import OutboxItem
from fieldkit.core.requests import FeedbackDraft, RequestDraft
from fieldkit.hub.inbox import Inbox, InboxFeedback, UsageEvent


@pytest.fixture
def engine(home: HomePaths) -> Iterator[Engine]:
    catalog = make_engine(sqlite_url(home.catalog_db))
    upgrade_schema(catalog, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    yield catalog
    catalog.dispose()


@pytest.fixture
def outbox(engine: Engine) -> Outbox:
    return Outbox(engine)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedHub]:
    with ServedHub(tmp_path / "approved", tmp_path / "hub.sqlite3") as hub:
        yield hub


def sender_for(
    outbox: Outbox, home: HomePaths, url: str, token: str, **options: Any
) -> OutboxSender:
    options.setdefault("backoff", Backoff(base=0.01, cap=0.05))
    return OutboxSender(outbox, lambda: HubAddress(url, token), home.root / LOCK_FILE, **options)


def rows(hub: ServedHub, table: type[Any]) -> list[Any]:
    with session_factory(hub.hub.engine).begin() as session:
        return list(session.scalars(select(table)))


def test_an_item_is_on_disk_before_it_is_queued(home: HomePaths, engine: Engine) -> None:
    outbox = Outbox(engine)
    add_mirror_entry(engine, "d_deck", "Decks/Overview.pptx", version=4)
    sync_levels: dict[str, int] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def level(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.split()[0]
        sync_levels[verb] = cursor.connection.execute("PRAGMA synchronous").fetchone()[0]

    entry = outbox.add_request(
        RequestDraft(
            title="  Overview deck   in Spanish ",
            customer="Acme",
            needed_by=date.today() + timedelta(days=7),
            urgency="high",
            doc_id="d_deck",
        )
    )
    feedback = outbox.add_feedback(FeedbackDraft("d_deck", "outdated", page=3, comment="Q3"))
    outbox.items()
    assert sync_levels["INSERT"] == 2  # FULL: synced to disk before "queued"
    assert sync_levels["SELECT"] == 1  # the catalog's NORMAL otherwise

    reopened = make_engine(sqlite_url(home.catalog_db))  # as after a restart
    try:
        items = Outbox(reopened).items()
    finally:
        reopened.dispose()
    assert [(i.id, i.kind, i.state, i.attempts) for i in items] == [
        (entry.id, "request", "queued", 0),
        (feedback.id, "feedback", "queued", 0),
    ]
    assert items[0].payload["title"] == "Overview deck in Spanish"
    assert items[0].payload["doc_version"] == 4
    assert items[1].summary == "Outdated: d_deck, page 3"


def test_mistakes_are_refused_before_anything_is_stored(outbox: Outbox) -> None:
    with pytest.raises(UsageError, match="needs a title"):
        outbox.add_request(RequestDraft(title="   "))
    with pytest.raises(UsageError, match="in the past"):
        outbox.add_request(RequestDraft(title="x", needed_by=date(2020, 1, 1)))
    with pytest.raises(UsageError, match="Urgency"):
        outbox.add_request(RequestDraft(title="x", urgency="asap"))
    with pytest.raises(UsageError, match="No approved document"):
        outbox.add_request(RequestDraft(title="x", doc_id="d_unknown"))
    with pytest.raises(UsageError, match="Feedback kind"):
        outbox.add_feedback(FeedbackDraft("d_x", "great"))
    with pytest.raises(UsageError, match="start at 1"):
        outbox.add_feedback(FeedbackDraft("d_x", "typo", page=0))
    assert outbox.items() == []


def test_send_now_delivers_and_records_what_the_hub_said(
    home: HomePaths, engine: Engine, outbox: Outbox, served: ServedHub
) -> None:
    add_mirror_entry(engine, "d_deck", "Decks/Overview.pptx")
    outbox.add_request(RequestDraft(title="Battlecard vs. Contoso", customer="Fabrikam"))
    outbox.add_feedback(FeedbackDraft("d_deck", "helped", comment="Won the deal"))
    sender = sender_for(outbox, home, served.url, served.token)

    report = sender.send_now()

    assert (report.sent, report.rejected, report.queued, report.error) == (2, 0, 0, None)
    assert [(i.state, i.attempts, i.last_error) for i in outbox.items()] == [
        ("sent", 1, None),
        ("sent", 1, None),
    ]
    assert served.requests() == [("Battlecard vs. Contoso", "alice")]
    [feedback] = rows(served, InboxFeedback)
    assert (feedback.doc_id, feedback.kind) == ("d_deck", "helped")
    assert feedback.comment == "Won the deal"
    assert [(v.title, v.status) for v in outbox.requests()] == [("Battlecard vs. Contoso", "new")]
    assert sender.online is True
    assert sender.send_now().sent == 0  # nothing twice


def test_status_changes_come_back_and_are_announced(
    home: HomePaths, engine: Engine, outbox: Outbox, served: ServedHub
) -> None:
    (served.hub.root / "Decks").mkdir()
    (served.hub.root / "Decks" / "Overview ES.pptx").write_bytes(b"deck")
    served.hub.rescan()
    answer = served.hub.store.live_documents()[0].id
    changes: list[StatusChange] = []
    sender = sender_for(outbox, home, served.url, served.token, on_status_changed=changes.append)
    entry = outbox.add_request(RequestDraft(title="Overview in Spanish"))
    sender.send_now()
    hub_id = Inbox(served.hub.engine).requests()[0].id

    Inbox(served.hub.engine).respond(hub_id, "in_progress")
    sender.send_now()
    Inbox(served.hub.engine).respond(hub_id, "fulfilled", doc_id=answer, note="Here it is")
    sender.send_now()
    sender.send_now()  # no news: no notification

    assert [(c.item_id, c.old_status, c.new_status, c.doc_id, c.note) for c in changes] == [
        (entry.id, "new", "in_progress", None, None),
        (entry.id, "in_progress", "fulfilled", answer, "Here it is"),
    ]
    with session_factory(engine).begin() as session:
        session.add(MirrorFileRow(doc_id=answer, area="mirror", rel_path="Decks/Overview ES.pptx",
                                  version=1, sha256="0" * 64, size=4, mtime_ns=1))
    [view] = outbox.requests()
    assert (view.status, view.note, view.answer_doc_id, view.answer_rel_path) == (
        "fulfilled", "Here it is", answer, "Decks/Overview ES.pptx"
    )


def test_a_refusal_is_final_and_keeps_the_hubs_reason(
    home: HomePaths, engine: Engine, outbox: Outbox, served: ServedHub
) -> None:
    first = outbox.add_request(RequestDraft(title="Pricing sheet for Germany"))
    sender = sender_for(outbox, home, served.url, served.token)
    sender.send_now()
    second = outbox.add_request(RequestDraft(title="Something else entirely"))
    with session_factory(engine).begin() as session:  # a key reused for a different body
        sent = session.get_one(OutboxItem, first.id)
        key, sent.idempotency_key = sent.idempotency_key, "moved-aside"
        session.flush()
        session.get_one(OutboxItem, second.id).idempotency_key = key

    report = sender.send_now()
    sender.send_now()

    assert (report.sent, report.rejected, report.queued) == (0, 1, 0)
    item = outbox.items()[1]
    assert (item.state, item.attempts) == ("rejected", 1)
    assert item.last_error is not None and "already used" in item.last_error
    assert served.request_count() == 1


def test_offline_items_wait_and_go_when_the_hub_answers(
    home: HomePaths, outbox: Outbox, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    for n in range(3):
        outbox.add_request(RequestDraft(title=f"Request {n}"))
    token_box: dict[str, str] = {"token": "unknown-yet"}
    sender = OutboxSender(
        outbox, lambda: HubAddress(url, token_box["token"]), home.root / LOCK_FILE,
        backoff=Backoff(base=0.01, cap=0.05),
    )

    offline = sender.send_now(budget_s=0.2)

    assert offline.offline and offline.queued == 3 and sender.online is False
    assert offline.error is not None and "could not be reached" in offline.error
    assert {i.state for i in outbox.items()} == {"queued"}

    with ServedHub(tmp_path / "approved", tmp_path / "hub.sqlite3", port=port) as served:
        token_box["token"] = served.token
        report = sender.send_now()
        assert (report.sent, report.queued, report.offline) == (3, 0, False)
        assert sender.online is True
        assert served.request_count() == 3


def test_a_refused_token_keeps_items_queued(
    home: HomePaths, outbox: Outbox, served: ServedHub
) -> None:
    outbox.add_request(RequestDraft(title="Case study, logistics"))
    report = sender_for(outbox, home, served.url, "not-the-token").send_now()

    assert report.error is not None and "refused the token" in report.error
    assert [(i.state, i.last_error) for i in outbox.items()] == [("queued", report.error)]
    assert served.request_count() == 0


def test_retries_back_off_with_full_jitter_on_an_injected_clock(
    home: HomePaths, engine: Engine, tmp_path: Path
) -> None:
    backoff = Backoff(base=1.0, cap=8.0, rand=lambda: 1.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert Backoff(base=1.0, cap=8.0, rand=lambda: 0.0).delay(5) == 0.0

    moment = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    outbox = Outbox(engine, clock=lambda: moment)
    outbox.add_request(RequestDraft(title="Always failing"))
    with ServedHub(tmp_path / "approved", tmp_path / "hub.sqlite3", rate=1.0,
                   kinds=("error",)) as served:
        sender = sender_for(outbox, home, served.url, served.token, clock=lambda: moment,
                            backoff=Backoff(base=10.0, cap=100.0, rand=lambda: 0.5))
        report = sender.send_now(budget_s=0)
        assert (report.sent, report.retried, report.queued) == (0, 1, 1)
        [item] = outbox.items()
        assert item.attempts == 1 and item.next_attempt_at == moment + timedelta(seconds=5)
        assert item.last_error is not None and "(500)" in item.last_error

        sender.send_now(budget_s=0)  # "send now" skips the wait; the second failure waits longer
        [item] = outbox.items()
        assert item.attempts == 2 and item.next_attempt_at == moment + timedelta(seconds=10)


def test_an_item_left_sending_by_a_dead_sender_goes_once(
    home: HomePaths, outbox: Outbox, served: ServedHub
) -> None:
    entry = outbox.add_request(RequestDraft(title="Left mid-send"))
    assert outbox.claim(entry.id)  # a sender took it, then died
    assert outbox.items()[0].state == "sending"

    report = sender_for(outbox, home, served.url, served.token).send_now()

    assert report.sent == 1 and served.request_count() == 1


def test_only_one_sender_at_a_time(
    home: HomePaths, engine: Engine, outbox: Outbox, served: ServedHub
) -> None:
    ready = threading.Event()
    running = sender_for(outbox, home, served.url, served.token, poll_interval=60,
                         on_round_finished=lambda _report: ready.set())
    running.start()
    try:
        assert ready.wait(10)  # it holds the lock once it has run a round
        other = sender_for(Outbox(engine), home, served.url, served.token)
        with pytest.raises(SenderBusy, match="sending the outbox right now"):
            other.send_now()
    finally:
        running.stop()
    assert other.send_now().error is None


def test_the_background_sender_delivers_what_is_queued(
    home: HomePaths, outbox: Outbox, served: ServedHub
) -> None:
    rounds = threading.Event()
    sender = sender_for(outbox, home, served.url, served.token, poll_interval=60,
                        on_round_finished=lambda report: rounds.set())
    sender.start()
    try:
        assert rounds.wait(10)
        outbox.add_request(RequestDraft(title="Queued while running"))
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while outbox.counts()["sent"] < 1 and datetime.now(UTC) < deadline:
            rounds.clear()
            rounds.wait(1)
        assert outbox.counts()["sent"] == 1
        outbox.add_request(RequestDraft(title="Sent now"))
        report = sender.send_now()  # handed to the sender's thread
        assert report.queued == 0
    finally:
        sender.stop()
    assert served.request_count() == 2


def test_the_background_sender_waits_offline_and_resumes_when_health_answers(
    home: HomePaths, outbox: Outbox, tmp_path: Path
) -> None:
    port = free_port()
    token = {"value": "none yet"}
    rounds: list[SendReport] = []
    finished = threading.Event()

    def on_round(report: SendReport) -> None:
        rounds.append(report)
        finished.set()

    sender = OutboxSender(
        outbox, lambda: HubAddress(f"http://127.0.0.1:{port}", token["value"]),
        home.root / LOCK_FILE, poll_interval=60, on_round_finished=on_round,
        offline_backoff=Backoff(base=0.05, cap=0.2),
    )
    outbox.add_request(RequestDraft(title="Written on the plane"))
    sender.start()
    try:
        assert finished.wait(10)
        assert rounds[0].offline and sender.online is False
        with ServedHub(tmp_path / "approved", tmp_path / "hub.sqlite3", port=port) as served:
            token["value"] = served.token
            deadline = datetime.now(UTC) + timedelta(seconds=20)
            while outbox.counts()["sent"] < 1 and datetime.now(UTC) < deadline:
                finished.clear()
                finished.wait(1)
            assert sender.online is True
            assert served.requests() == [("Written on the plane", "alice")]
    finally:
        sender.stop()


def test_usage_signals_go_in_batches_and_not_at_all_when_off(
    home: HomePaths, outbox: Outbox, served: ServedHub
) -> None:
    enabled = {"on": True}
    signals = UsageSignals(outbox, lambda: enabled["on"])
    for n in range(1003):
        signals.search_run(f"query {n}", n % 3)
    signals.document_opened("d_deck")
    signals.search_run("   ", 0)  # blank searches are not worth sending
    assert len(outbox.pending_signals()) == 1004
    assert outbox.pending_signals()[-1]["type"] == "open"

    sender = sender_for(outbox, home, served.url, served.token,
                        signals_enabled=lambda: enabled["on"])
    report = sender.send_now()

    assert report.sent == 3
    assert [len(i.payload["signals"]) for i in outbox.items()] == [500, 500, 4]
    assert len(rows(served, UsageEvent)) == 1004
    assert outbox.pending_signals() == []

    signals.document_opened("d_deck")
    enabled["on"] = False
    signals.document_opened("d_other")  # off: not even recorded
    assert len(outbox.pending_signals()) == 1
    assert sender.send_now().sent == 0  # what was recorded before is dropped, not sent
    assert outbox.pending_signals() == []
    assert len(rows(served, UsageEvent)) == 1004


def test_the_saved_hub_and_token_are_used(home: HomePaths, engine: Engine) -> None:
    sessions = session_factory(engine)
    tokens = TokenStore(home, backend=fail.Keyring())
    with pytest.raises(UsageError, match="Not connected"):
        saved_hub_address(sessions, tokens)
    connect_home(home, "http://hub.example:8765", "tok-123")
    assert saved_hub_address(sessions, tokens) == HubAddress("http://hub.example:8765", "tok-123")


def test_a_full_disk_is_a_clear_error_and_loses_nothing(
    home: HomePaths, engine: Engine, outbox: Outbox, served: ServedHub
) -> None:
    outbox.add_request(RequestDraft(title="Queued before the disk filled"))
    full: dict[str, tuple[str, ...]] = {"words": ()}

    @event.listens_for(engine, "before_cursor_execute")
    def disk_full(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if full["words"] and all(word in statement for word in full["words"]):
            raise sqlite3.OperationalError("database or disk is full")

    full["words"] = ("INSERT INTO outbox_items",)
    with pytest.raises(StorageError, match="disk is full") as raised:
        outbox.add_request(RequestDraft(title="Not saved"))
    assert "Nothing already queued was lost" in str(raised.value)

    # The hub takes the request, then the laptop cannot write down that it was sent.
    full["words"] = ("UPDATE outbox_items", "sent_at")
    sender = sender_for(outbox, home, served.url, served.token)
    with pytest.raises(StorageError, match="disk is full"):
        sender.send_now()
    assert served.request_count() == 1
    assert [(i.summary, i.state) for i in outbox.items()] == [
        ("Queued before the disk filled", "sending")
    ]

    full["words"] = ()
    assert sender.send_now().sent == 1
    assert outbox.counts()["sent"] == 1
    assert served.requests() == [("Queued before the disk filled", "alice")]


def test_without_a_hub_the_background_sender_waits_instead_of_spinning(
    home: HomePaths, outbox: Outbox
) -> None:
    """Queued items are due at once; with no hub set up they cannot go, and the sender used to
    start its next round at once, for ever (a core busy at 100 % on a laptop never connected)."""

    def no_hub() -> HubAddress:
        raise UsageError("Not connected to a hub.")

    rounds: list[SendReport] = []
    finished = threading.Semaphore(0)

    def on_round(report: SendReport) -> None:
        rounds.append(report)
        finished.release()

    outbox.add_request(RequestDraft(title="Asked before connecting"))
    sender = OutboxSender(
        outbox, no_hub, home.root / LOCK_FILE, poll_interval=60, on_round_finished=on_round
    )
    sender.start()
    try:
        assert finished.acquire(timeout=10)
        assert not finished.acquire(timeout=0.5)  # no second round without a reason
        outbox.add_request(RequestDraft(title="Asked again"))  # a new item wakes it once
        assert finished.acquire(timeout=10)
        assert not finished.acquire(timeout=0.5)
    finally:
        sender.stop()
    assert [(r.queued, r.error) for r in rounds] == [
        (1, "Not connected to a hub."),
        (2, "Not connected to a hub."),
    ]
