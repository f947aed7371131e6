"""The "Outbox & requests" view and the app's one sender, against a real hub on 127.0.0.1:
offline queueing, delivery once when the hub appears, statuses and their notifications."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from outbox_ui_support import (
    HubUnderTest,
    Notifications,
    hub_for_outbox,
    install_answer,
    make_service,
    save_hub,
)
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher

from fieldkit.core.catalog import MirrorEntry
from fieldkit.core.client import Client
from fieldkit.core.outbox import RequestView
from fieldkit.core.outbox_models import OutboxItem
from fieldkit.core.requests import FeedbackDraft, RequestDraft
from fieldkit.ui.outbox_service import OutboxService, OutboxSnapshot
from fieldkit.ui.outbox_view import (
    ROW_ROLE,
    OutboxView,
    outbox_summary,
    request_detail,
    request_status,
)
from fieldkit.ui.request_dialog import RequestDialog
from fieldkit.ui.tasks import TaskRunner


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubUnderTest]:
    with hub_for_outbox(tmp_path / "approved", tmp_path / "hub.sqlite3") as under_test:
        yield under_test


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner(threads=2)
    yield runner
    runner.shutdown()


@pytest.fixture
def service(client: Client, hub: HubUnderTest) -> Iterator[OutboxService]:
    save_hub(client, hub.url, hub.token)
    service = make_service(client)
    yield service
    service.stop()


@pytest.fixture
def notifications() -> Notifications:
    return Notifications()


@pytest.fixture
def view(
    qtbot: QtBot,
    client: Client,
    service: OutboxService,
    runner: TaskRunner,
    launcher: RecordingLauncher,
    notifications: Notifications,
) -> OutboxView:
    view = OutboxView(service, runner, launcher, client.home.mirror_dir, notifications.notify)
    qtbot.addWidget(view)
    view.resize(980, 620)
    view.show()
    return view


def statuses(view: OutboxView) -> list[str]:
    model = view.requests_model
    return [str(model.index(row, 4).data()) for row in range(model.rowCount())]


def grab(widget: object, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    assert widget.grab().save(str(path))  # type: ignore[attr-defined]
    assert path.stat().st_size > 0


def test_a_request_filed_offline_is_queued_and_goes_once_when_the_hub_appears(
    qtbot: QtBot,
    client: Client,
    hub: HubUnderTest,
    service: OutboxService,
    view: OutboxView,
    runner: TaskRunner,
    tmp_path: Path,
) -> None:
    service.start()
    dialog = RequestDialog(runner, client.outbox.add_request)
    qtbot.addWidget(dialog)
    dialog.title_field.setText("Overview deck in Spanish")
    dialog.customer_field.setText("Acme")
    with qtbot.waitSignal(dialog.queued) as queued:
        dialog.ok_button.click()
    entry = queued.args[0]
    assert entry.state == "queued"
    assert [i.id for i in client.outbox.items()] == [entry.id]  # on disk before "Queued"

    qtbot.waitUntil(lambda: statuses(view) == ["Queued"])
    qtbot.waitUntil(lambda: "cannot be reached" in view.summary_label.text(), timeout=10_000)
    assert hub.request_count() == 0
    grab(view, "outbox-offline.png", tmp_path)

    with hub.serving():
        qtbot.waitUntil(lambda: statuses(view) == ["Sent"], timeout=20_000)
        assert view.summary_label.text() == "Your requests and feedback are all sent."
        with qtbot.waitSignal(service.send_now_finished, timeout=20_000):
            view.send_button.click()
        assert hub.request_count() == 1
        [record] = hub.inbox().requests()
        assert (record.title, record.customer) == ("Overview deck in Spanish", "Acme")


def test_status_changes_from_the_hub_show_and_notify(
    qtbot: QtBot,
    client: Client,
    hub: HubUnderTest,
    service: OutboxService,
    view: OutboxView,
    notifications: Notifications,
    launcher: RecordingLauncher,
    tmp_path: Path,
) -> None:
    (hub.hub.root / "Decks").mkdir()
    (hub.hub.root / "Decks" / "Overview ES.pptx").write_bytes(b"deck")
    client.outbox.add_request(RequestDraft(title="Overview in Spanish", customer="Acme"))
    client.outbox.add_request(RequestDraft(title="Case study, logistics"))
    with hub.serving():
        hub.hub.rescan()
        answer = hub.hub.store.live_documents()[0].id
        service.start()
        qtbot.waitUntil(lambda: statuses(view) == ["Sent", "Sent"], timeout=20_000)
        by_title = {r.title: r.id for r in hub.inbox().requests()}

        hub.inbox().respond(by_title["Case study, logistics"], "declined",
                            note="We have one: search 'freight'")
        hub.inbox().respond(by_title["Overview in Spanish"], "in_progress")
        with qtbot.waitSignal(service.send_now_finished, timeout=20_000):
            view.send_button.click()  # Send now also asks the hub for news
        assert view.send_button.isEnabled()
        qtbot.waitUntil(lambda: statuses(view) == [
            "Declined: We have one: search 'freight'", "In progress"
        ], timeout=15_000)
        hub.inbox().respond(by_title["Overview in Spanish"], "fulfilled", doc_id=answer,
                            note="Here it is")
        with qtbot.waitSignal(service.send_now_finished, timeout=20_000):
            view.send_button.click()
        qtbot.waitUntil(lambda: statuses(view)[1] == "Fulfilled", timeout=15_000)

    assert sorted(notifications.seen) == sorted([
        ("Request declined",
         "Marketing declined “Case study, logistics”. “We have one: search 'freight'”"),
        ("Request in progress", "Marketing is working on “Overview in Spanish”."),
        ("Request fulfilled",
         "“Overview in Spanish” is ready: it arrives with the next sync. “Here it is”"),
    ])

    view.requests_view.setCurrentIndex(view.requests_model.index(1, 0))
    assert not view.open_button.isHidden()
    assert not view.open_button.isEnabled()  # not synced yet
    assert "arrives with the next sync" in view.detail_label.text()
    grab(view, "outbox-fulfilled.png", tmp_path)

    install_answer(client, answer, "Decks/Overview ES.pptx")
    view.refresh_after_sync(1)
    qtbot.waitUntil(view.open_button.isEnabled)
    assert "The answer: Overview ES." in view.detail_label.text()
    view.open_button.click()
    assert launcher.opened == [client.home.mirror_dir / "Decks" / "Overview ES.pptx"]


def test_a_refusal_shows_the_hubs_reason(
    qtbot: QtBot, client: Client, hub: HubUnderTest, service: OutboxService, view: OutboxView
) -> None:
    first = client.outbox.add_request(RequestDraft(title="Pricing sheet for Germany"))
    with hub.serving():
        service.start()
        qtbot.waitUntil(lambda: statuses(view) == ["Sent"], timeout=20_000)
        second = client.outbox.add_request(RequestDraft(title="Something else entirely"))
        with client.sessions.begin() as session:  # a key reused for a different request
            sent = session.get_one(OutboxItem, first.id)
            key, sent.idempotency_key = sent.idempotency_key, "moved-aside"
            session.flush()
            session.get_one(OutboxItem, second.id).idempotency_key = key
        with qtbot.waitSignal(service.send_now_finished, timeout=20_000):
            view.send_button.click()
        qtbot.waitUntil(lambda: statuses(view)[0].startswith("Rejected: "), timeout=15_000)
        assert "already used" in statuses(view)[0]
        assert hub.request_count() == 1


def test_see_what_is_sent_shows_the_exact_payloads(
    qtbot: QtBot, client: Client, view: OutboxView, tmp_path: Path
) -> None:
    client.signals.search_run("pricing  Germany", 0)
    client.signals.document_opened("d_deck")
    view.refresh()
    qtbot.waitUntil(lambda: view.signals_label.text().startswith("2 usage signals wait"))
    view.see_signals_button.click()
    dialog = view.signals_dialog
    assert dialog is not None
    payload = json.loads(dialog.text.toPlainText())
    assert payload == {"signals": client.outbox.pending_signals()}
    assert [s["type"] for s in payload["signals"]] == ["search", "open"]
    assert payload["signals"][0]["query"] == "pricing Germany"
    assert payload["signals"][0]["results"] == 0
    grab(dialog, "outbox-signals.png", tmp_path)


def test_the_models_pass_the_model_tester(
    qtbot: QtBot, qtmodeltester: object, client: Client, view: OutboxView
) -> None:
    view.refresh()
    qtbot.waitUntil(lambda: view.refreshes > 0)
    assert view.feedback_empty.isVisibleTo(view)  # says how to give feedback
    client.outbox.add_request(RequestDraft(title="Battlecard vs. Contoso", customer="Fabrikam"))
    with client.sessions.begin() as session:
        session.add(MirrorEntry(doc_id="d_deck", rel_path="Decks/Overview.pptx", version=1,
                                sha256="0" * 64, size=1))
    client.outbox.add_feedback(FeedbackDraft("d_deck", "typo", page=3, comment="Slide 3 says 2024"))
    view.refresh()
    qtbot.waitUntil(lambda: view.feedback_model.rowCount() == 1)
    assert not view.feedback_empty.isVisibleTo(view)
    qtmodeltester.check(view.requests_model)  # type: ignore[attr-defined]
    qtmodeltester.check(view.feedback_model)  # type: ignore[attr-defined]
    [request] = view.requests_model.rows()
    assert view.requests_model.index(0, 0).data(ROW_ROLE) == request
    assert request_status(request) == "Queued"
    feedback = [view.feedback_model.index(0, c).data() for c in range(6)][:5]
    assert feedback == ["d_deck", "3", "Typo", "Slide 3 says 2024", "Queued"]
    header = view.requests_model.headerData(4, Qt.Orientation.Horizontal)
    assert header == "Status"


def test_send_now_says_when_another_fieldkit_is_sending(
    qtbot: QtBot, client: Client, hub: HubUnderTest, service: OutboxService, view: OutboxView
) -> None:
    other = make_service(client)  # another fieldkit on this computer holds the sender's lock
    with hub.serving():
        with qtbot.waitSignal(other.round_finished, timeout=20_000):
            other.start()
        try:
            service.start()
            with qtbot.waitSignal(service.send_failed, timeout=20_000) as failed:
                view.send_button.click()
            assert "Another fieldkit on this computer is sending" in failed.args[0]
            assert view.summary_label.text() == failed.args[0]
            assert view.send_button.isEnabled()
        finally:
            other.stop()


def test_the_detail_line_ends_each_sentence_once() -> None:
    request = RequestView(
        id=1, title="Overview deck in Portuguese", customer="", needed_by=None,
        urgency="normal", doc_id=None, state="sent", last_error=None, status="in_progress",
        note="The translation is booked; expect it by 10 December.", answer_doc_id=None,
        answer_rel_path=None, created_at=datetime(2026, 11, 27, tzinfo=UTC),
        status_changed_at=None,
    )
    assert request_detail(request) == (
        "“Overview deck in Portuguese”: In progress. "
        "Marketing says: “The translation is booked; expect it by 10 December.”"
    )
    assert request_detail(replace(request, note="On it")) == (
        "“Overview deck in Portuguese”: In progress. Marketing says: “On it”."
    )
    queued = replace(request, state="queued", status=None, note=None,
                     last_error="The hub cannot be reached.")
    assert request_detail(queued) == (
        "“Overview deck in Portuguese”: Queued. Last try: The hub cannot be reached."
    )


def test_the_summary_counts_requests_and_feedback_not_signal_batches() -> None:
    request = RequestView(
        id=1, title="Overview deck in Portuguese", customer="", needed_by=None,
        urgency="normal", doc_id=None, state="sent", last_error=None, status="in_progress",
        note=None, answer_doc_id=None, answer_rel_path=None,
        created_at=datetime(2026, 11, 27, tzinfo=UTC), status_changed_at=None,
    )
    signals = ({"kind": "search", "query": "Portuguese", "results": 0},)
    snapshot = OutboxSnapshot(
        requests=(request,), feedback=(), waiting_signals=signals,
        signal_batches=({"signals": list(signals)},), names={}, usage_signals=True,
    )
    # A batch of usage signals waits for the hub; the rep's own request is sent.
    assert outbox_summary(snapshot, None, False) == "Your requests and feedback are all sent."
    queued = replace(snapshot, requests=(replace(request, state="queued", status=None),))
    assert outbox_summary(queued, None, False) == (
        "1 item waits: the hub cannot be reached. They go as soon as it answers."
    )
