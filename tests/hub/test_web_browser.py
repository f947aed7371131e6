"""Marketing's page end to end in real headless Chromium (Debian's ``chromium``, driven by
Playwright): sign in, see a rep's request, fulfil it with a document, see a search gap and turn
it into a request, export CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hub_helpers import write
from playwright.sync_api import Browser, Page, expect, sync_playwright

from fieldkit.hub import Hub, HubServer
from fieldkit.hub.inbox import AdminAccess, Inbox

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "marketing rules 2026"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


def test_marketing_answers_a_request_and_acts_on_a_search_gap(
    page: Page, server: HubServer, hub: Hub, root: Path, client: httpx.Client, tmp_path: Path
) -> None:
    write(root, "Decks/Overview ES.pptx", b"deck")
    hub.rescan()
    doc = hub.store.live_documents()[0]
    AdminAccess(hub.engine).set_password(PASSWORD)
    for path, body in [
        ("requests", {"title": "Overview deck in Spanish", "customer": "Acme",
                      "urgency": "high", "details": "For the board on Friday"}),
        ("signals", {"signals": [
            {"type": "search", "query": "pricing latam", "results": 0,
             "at": datetime.now(UTC).isoformat()},
        ]}),
    ]:
        answer = client.post(f"/api/v1/{path}", json=body,
                             headers={"Idempotency-Key": str(uuid.uuid4())})
        assert answer.status_code == 201

    page.goto(f"{server.url}/admin/requests")
    expect(page).to_have_title("Sign in · fieldkit hub")
    page.get_by_label("Admin password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Requests from the field")).to_be_visible()
    page.get_by_role("link", name="Overview deck in Spanish").click()
    expect(page.get_by_text("For the board on Friday")).to_be_visible()
    page.get_by_label("Fulfilled").check()
    page.get_by_label("Document that fulfils it").fill(f"{doc.id} — {doc.path}")
    page.get_by_label("Note for the rep").fill("Translated and approved")
    page.get_by_role("button", name="Save answer").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    [record] = Inbox(hub.engine).requests()
    assert (record.status, record.answer_doc_id, record.note) == (
        "fulfilled", doc.id, "Translated and approved"
    )

    page.get_by_role("link", name="Search gaps").click()
    row = page.get_by_role("row").filter(has_text="pricing latam")
    expect(row).to_contain_text("1")
    row.get_by_role("button", name="Create request").click()
    expect(page.get_by_role("heading", name="#2 · Content for searches: pricing latam"))\
        .to_be_visible()

    page.get_by_role("link", name="Requests", exact=True).click()
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Filter").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    saved = tmp_path / "requests.csv"
    download_info.value.save_as(saved)
    table = list(csv.DictReader(io.StringIO(saved.read_text("utf-8-sig"))))
    assert {(r["title"], r["status"], r["answer_doc_id"]) for r in table} == {
        ("Overview deck in Spanish", "fulfilled", doc.id),
        ("Content for searches: pricing latam", "new", ""),
    }

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_title("Sign in · fieldkit hub")
