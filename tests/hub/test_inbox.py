"""The hub's inbox: requests, feedback and signal batches over HTTP, and marketing's queries."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hub_helpers import write
from sqlalchemy import func, select

from fieldkit.core.db import session_factory
from fieldkit.core.errors import UsageError
from fieldkit.hub import Hub, HubServer
from fieldkit.hub.inbox import (
    AdminAccess,
    Inbox,
    InboxFeedback,
    InboxRequest,
    UsageEvent,
    check_password,
    hash_password,
)


def post(client: httpx.Client, path: str, body: Any, key: str | None = None) -> httpx.Response:
    return client.post(
        f"/api/v1/{path}", json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())}
    )


def count(hub: Hub, table: type[Any]) -> int:
    with session_factory(hub.engine).begin() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def now_iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


@pytest.fixture
def inbox(hub: Hub) -> Inbox:
    return Inbox(hub.engine)


def test_a_request_is_stored_once_however_often_it_is_sent(
    client: httpx.Client, hub: Hub
) -> None:
    key = str(uuid.uuid4())
    body = {"title": "Product deck in Spanish", "customer": "Acme", "urgency": "high",
            "needed_by": "2099-01-31", "details": "For the board meeting"}

    first = post(client, "requests", body, key)
    again = post(client, "requests", body, key)

    assert first.status_code == 201
    assert first.json()["status"] == "new"
    assert first.json()["key"] == key
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert count(hub, InboxRequest) == 1

    different = post(client, "requests", {**body, "title": "Something else"}, key)
    assert different.status_code == 409
    assert "already used" in different.json()["detail"]
    assert count(hub, InboxRequest) == 1


def test_the_same_key_at_once_from_many_threads_makes_one_request(
    server: HubServer, token: str, hub: Hub
) -> None:
    key = str(uuid.uuid4())
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            response = http.post(
                "/api/v1/requests",
                json={"title": "Battlecard vs. Contoso"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in answers}) == 1
    assert count(hub, InboxRequest) == 1


def test_bad_submissions_get_a_clear_4xx(client: httpx.Client, server: HubServer) -> None:
    missing_key = client.post("/api/v1/requests", json={"title": "x"})
    assert missing_key.status_code == 400
    assert "Idempotency-Key" in missing_key.json()["detail"]

    short_key = post(client, "requests", {"title": "x"}, key="abc")
    assert short_key.status_code == 400

    not_json = client.post(
        "/api/v1/requests", content=b"{", headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert not_json.status_code == 422
    assert not_json.json()["detail"] == "The body is not valid JSON."

    invalid = post(client, "requests", {"title": "", "urgency": "yesterday"})
    assert invalid.status_code == 422
    detail = invalid.json()["detail"]
    assert "title:" in detail and "urgency: must be one of low, normal, high" in detail

    too_long = post(client, "requests", {"title": "x" * 201})
    assert too_long.status_code == 422

    bad_feedback = post(client, "feedback", {"doc_id": "../etc", "kind": "great", "page": 0})
    assert bad_feedback.status_code == 422
    assert "kind: must be one of" in bad_feedback.json()["detail"]

    no_token = httpx.post(
        f"{server.url}/api/v1/requests",
        json={"title": "x"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert no_token.status_code == 401


def test_bodies_over_the_limit_are_refused(client: httpx.Client) -> None:
    declared = post(client, "requests", {"title": "x", "details": "y" * 40_000})
    assert declared.status_code == 413
    assert "at most 32 KB" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the hub counts as it reads
        yield b'{"title": "x", "details": "'
        for _ in range(40):
            yield b"y" * 1024
        yield b'"}'

    streamed = client.post(
        "/api/v1/requests", content=chunks(), headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert streamed.status_code == 413


def test_feedback_and_signal_batches_are_stored_once(
    client: httpx.Client, hub: Hub, root: Path
) -> None:
    feedback = {"doc_id": "d_abc123", "doc_version": 3, "page": 4, "kind": "outdated",
                "comment": "Prices changed in March"}
    key = str(uuid.uuid4())
    assert post(client, "feedback", feedback, key).status_code == 201
    assert post(client, "feedback", feedback, key).status_code == 200
    assert count(hub, InboxFeedback) == 1

    signals = {"signals": [
        {"type": "open", "doc_id": "d_abc123", "at": now_iso()},
        {"type": "search", "query": "Spanish  Deck", "results": 0, "at": now_iso()},
        {"type": "search", "query": "pricing", "results": 12, "at": now_iso()},
    ]}
    key = str(uuid.uuid4())
    first = post(client, "signals", signals, key)
    assert first.status_code == 201
    assert first.json()["accepted"] == 3
    assert post(client, "signals", signals, key).status_code == 200
    assert count(hub, UsageEvent) == 3

    too_many = {"signals": [{"type": "open", "doc_id": "d_1", "at": now_iso()}] * 1001}
    assert post(client, "signals", too_many).status_code == 422
    incomplete = post(client, "signals", {"signals": [{"type": "search", "at": now_iso()}]})
    assert incomplete.status_code == 422
    assert incomplete.json()["detail"] == "signals.0: a search signal needs a query and results"
    assert post(client, "signals", {"signals": []}).status_code == 422
    assert count(hub, UsageEvent) == 3


def test_reps_see_the_status_of_their_own_requests(
    client: httpx.Client, hub: Hub, root: Path, server: HubServer, inbox: Inbox
) -> None:
    write(root, "Decks/Overview ES.pptx", b"deck")
    hub.rescan()
    doc = hub.store.live_documents()[0]
    mine = post(client, "requests", {"title": "Overview in Spanish"}).json()
    bob = hub.reps.add("bob")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {bob}"}) as other:
        post(other, "requests", {"title": "Bob's request"})

        inbox.respond(mine["id"], "fulfilled", doc_id=doc.id, note="Here it is")

        listed = client.get("/api/v1/requests", params={"mine": "true"}).json()["requests"]
        assert [(r["id"], r["status"], r["doc_id"], r["note"]) for r in listed] == [
            (mine["id"], "fulfilled", doc.id, "Here it is")
        ]
        assert [r["status"] for r in other.get("/api/v1/requests").json()["requests"]] == ["new"]
        assert client.get("/api/v1/requests", params={"mine": "false"}).status_code == 403


def test_responding_checks_status_note_and_document(
    client: httpx.Client, inbox: Inbox, hub: Hub, root: Path
) -> None:
    request_id = post(client, "requests", {"title": "Case study, retail"}).json()["id"]

    with pytest.raises(UsageError, match="Status must be one of"):
        inbox.respond(request_id, "done")
    with pytest.raises(UsageError, match="why"):
        inbox.respond(request_id, "declined", note="  ")
    with pytest.raises(UsageError, match="No document on the hub"):
        inbox.respond(request_id, "fulfilled", doc_id="d_missing")

    record = inbox.respond(request_id, "declined", note="We have no retail customers yet")
    assert (record.status, record.note) == ("declined", "We have no retail customers yet")
    assert [r.id for r in inbox.requests(status="open")] == []
    assert [r.id for r in inbox.requests(status="declined")] == [request_id]
    assert [r.id for r in inbox.requests(text="RETAIL")] == [request_id]
    assert inbox.requests(text="100%_") == []


def test_search_gaps_group_zero_result_searches(client: httpx.Client, inbox: Inbox) -> None:
    def search(query: str, results: int, ago: timedelta = timedelta()) -> dict[str, Any]:
        return {"type": "search", "query": query, "results": results, "at": now_iso(-ago)}

    post(client, "signals", {"signals": [
        search("Spanish deck", 0),
        search("  spanish   DECK ", 0),
        search("spanish deck", 0, timedelta(days=40)),
        search("pricing", 5),
        search("healthcare case study", 0),
    ]})

    gaps = inbox.search_gaps(days=30)
    assert [(g.query, g.searches, g.reps) for g in gaps] == [
        ("spanish deck", 2, 1),
        ("healthcare case study", 1, 1),
    ]
    assert inbox.search_gaps(days=60)[0].searches == 3

    made = inbox.request_from_gap("Spanish Deck")
    assert made.rep is None and made.query == "spanish deck" and made.status == "new"
    assert inbox.request_from_gap("spanish deck").id == made.id
    assert inbox.search_gaps(days=30)[0].request_id == made.id


def test_content_usage_counts_opens_by_document_and_folder(
    client: httpx.Client, hub: Hub, root: Path, inbox: Inbox
) -> None:
    for rel in ["Decks/Overview.pptx", "Decks/Pricing.pptx", "Cases/Acme.pdf", "Readme.txt"]:
        write(root, rel, rel.encode())
    hub.rescan()
    ids = {d.path: d.id for d in hub.store.live_documents()}

    def opened(path: str, ago: timedelta = timedelta()) -> dict[str, Any]:
        return {"type": "open", "doc_id": ids[path], "at": now_iso(-ago)}

    post(client, "signals", {"signals": [
        opened("Decks/Overview.pptx"),
        opened("Decks/Overview.pptx"),
        opened("Cases/Acme.pdf"),
        opened("Decks/Pricing.pptx", timedelta(days=100)),
        {"type": "open", "doc_id": "d_gone", "at": now_iso()},
        {"type": "search", "query": "x", "results": 0, "at": now_iso()},
    ]})

    report = inbox.usage(days=30)
    assert [(d.path, d.opens) for d in report.most_opened] == [
        ("Decks/Overview.pptx", 2),
        ("Cases/Acme.pdf", 1),
        (None, 1),
    ]
    assert [d.path for d in report.never_opened] == ["Decks/Pricing.pptx", "Readme.txt"]
    assert [(f.folder, f.documents, f.opens, f.never_opened) for f in report.folders] == [
        ("", 1, 0, 1),
        ("Cases", 1, 1, 0),
        ("Decks", 2, 2, 1),
    ]
    assert (report.opens, report.searches, report.zero_result_searches) == (4, 1, 1)
    assert "Decks/Pricing.pptx" not in [d.path for d in inbox.usage(days=365).never_opened]


def test_feedback_per_document_and_page(client: httpx.Client, inbox: Inbox) -> None:
    for page, kind in [(3, "typo"), (3, "outdated"), (None, "helped"), (7, "typo")]:
        post(client, "feedback", {"doc_id": "d_deck", "page": page, "kind": kind})
    post(client, "feedback", {"doc_id": "d_other", "kind": "wrong", "comment": "Old logo"})

    summary = inbox.feedback_summary()
    assert [(d.doc_id, d.total, d.pages) for d in summary] == [("d_deck", 4, 2), ("d_other", 1, 0)]
    assert summary[0].by_kind == {"outdated": 1, "wrong": 0, "typo": 2, "helped": 1, "other": 0}
    assert [(f.page, f.kind) for f in inbox.feedback("d_deck")] == [
        (None, "helped"),
        (3, "outdated"),
        (3, "typo"),
        (7, "typo"),
    ]


def test_admin_password_is_hashed_with_scrypt(hub: Hub) -> None:
    access = AdminAccess(hub.engine)
    assert not access.is_set() and not access.check("anything at all")
    with pytest.raises(UsageError, match="at least 10"):
        access.set_password("short")

    access.set_password("correct horse battery")
    key = access.session_key()
    assert access.check("correct horse battery")
    assert not access.check("correct horse battery!")

    access.set_password("another long password")
    assert access.session_key() != key  # a new password signs everyone out

    stored = hash_password("secret words here")
    assert stored.startswith("scrypt$") and "secret" not in stored
    assert check_password("secret words here", stored)
    assert not check_password("secret words here", "md5$abc")
