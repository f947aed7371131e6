"""Marketing's admin pages over real HTTP: sign-in, CSRF, the inbox, gaps, usage, feedback, CSV.

The same pages are driven in headless Chromium by ``test_web_browser.py``.
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hub_helpers import write

from fieldkit.hub import Hub, HubServer
from fieldkit.hub.inbox import AdminAccess, Inbox
from fieldkit.hub.web import SESSION_SECONDS, csv_cell, new_session_cookie, read_session_cookie

PASSWORD = "marketing rules 2026"


@pytest.fixture
def admin(hub: Hub) -> AdminAccess:
    access = AdminAccess(hub.engine)
    access.set_password(PASSWORD)
    return access


@pytest.fixture
def browser(server: HubServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as http:
        yield http


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def sign_in(browser: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    form = browser.get("/admin/login")
    return browser.post(
        "/admin/login",
        data={"password": password, "csrf": csrf_of(form), "next": "/admin/requests"},
    )


def rep_posts(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/{path}", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_pages_need_a_signed_in_admin(browser: httpx.Client, hub: Hub) -> None:
    for path in ["/admin", "/admin/requests", "/admin/gaps?days=7", "/admin/export/usage.csv"]:
        response = browser.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?next=%2Fadmin")

    login = browser.get("/admin/login")
    assert login.status_code == 200
    assert "fieldkit hub set-admin-password" in login.text  # no password yet
    assert sign_in(browser, "anything at all").status_code == 401


def test_sign_in_sets_a_strict_session_cookie(browser: httpx.Client, admin: AdminAccess) -> None:
    wrong = sign_in(browser, "not the password")
    assert wrong.status_code == 401 and "That password is not right." in wrong.text

    signed_in = sign_in(browser)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/admin/requests"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith("fieldkit_admin=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie

    page = browser.get("/admin/requests")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert '<html lang="en">' in page.text and 'aria-current="page"' in page.text


def test_forged_forms_and_cookies_are_refused(
    browser: httpx.Client, admin: AdminAccess, server: HubServer
) -> None:
    form = browser.get("/admin/login")
    forged = browser.post(
        "/admin/login", data={"password": PASSWORD, "csrf": "guess", "next": ""}
    )
    assert forged.status_code == 403 and "expired" in forged.text
    assert csrf_of(form)

    sign_in(browser)
    cookie = browser.cookies["fieldkit_admin"]
    with httpx.Client(base_url=server.url, follow_redirects=False) as other:
        other.cookies.set("fieldkit_admin", cookie[:-1] + ("0" if cookie[-1] != "0" else "1"),
                          path="/admin")
        assert other.get("/admin/requests").status_code == 303

    response = browser.post("/admin/gaps/request", data={"csrf": "wrong", "query": "x"})
    assert response.status_code == 403 and "This form has expired" in response.text

    outside = sign_in_to(browser, "https://evil.example/")
    assert outside.headers["location"] == "/admin/requests"


def sign_in_to(browser: httpx.Client, next_path: str) -> httpx.Response:
    form = browser.get("/admin/login")
    return browser.post(
        "/admin/login", data={"password": PASSWORD, "csrf": csrf_of(form), "next": next_path}
    )


def test_sessions_expire_and_a_new_password_signs_everyone_out(
    browser: httpx.Client, admin: AdminAccess
) -> None:
    key = admin.session_key()
    assert key is not None
    now = time.time()
    value = new_session_cookie(key, now)
    assert read_session_cookie(key, value, now) is not None
    assert read_session_cookie(key, value, now + SESSION_SECONDS + 1) is None
    assert read_session_cookie(b"another key", value, now) is None

    sign_in(browser)
    assert browser.get("/admin/requests").status_code == 200
    admin.set_password("a brand new password")
    assert browser.get("/admin/requests").status_code == 303


def test_too_many_wrong_passwords_are_throttled(
    browser: httpx.Client, admin: AdminAccess
) -> None:
    codes = [sign_in(browser, f"wrong {n}").status_code for n in range(11)]
    assert codes == [401] * 10 + [429]
    assert sign_in(browser).status_code == 429  # even the right one, for a while


def test_inbox_filter_answer_and_link_a_document(
    browser: httpx.Client, admin: AdminAccess, client: httpx.Client, hub: Hub, root: Path
) -> None:
    write(root, "Decks/Overview ES.pptx", b"deck")
    hub.rescan()
    doc = hub.store.live_documents()[0]
    made = rep_posts(client, "requests", {"title": "Overview <b>in</b> Spanish",
                                          "customer": "Acme", "urgency": "high"})
    rep_posts(client, "requests", {"title": "Retail case study"})
    sign_in(browser)

    inbox_page = browser.get("/admin/requests")
    assert "Overview &lt;b&gt;in&lt;/b&gt; Spanish" in inbox_page.text  # escaped
    assert "2 requests" in inbox_page.text
    assert "1 request<" in browser.get("/admin/requests", params={"q": "retail"}).text

    page = browser.get(f"/admin/requests/{made['id']}")
    assert f'value="{doc.id} — Decks/Overview ES.pptx"' in page.text  # the document list
    refused = browser.post(
        f"/admin/requests/{made['id']}",
        data={"csrf": csrf_of(page), "status": "declined", "doc_id": "", "note": ""},
    )
    assert refused.status_code == 422 and "Say why" in refused.text

    saved = browser.post(
        f"/admin/requests/{made['id']}",
        data={"csrf": csrf_of(page), "status": "fulfilled",
              "doc_id": f"{doc.id} — Decks/Overview ES.pptx", "note": "Here it is"},
    )
    assert saved.status_code == 303
    assert "Saved." in browser.get(saved.headers["location"]).text
    record = Inbox(hub.engine).request(made["id"])
    assert (record.status, record.answer_doc_id, record.note) == ("fulfilled", doc.id,
                                                                   "Here it is")
    assert "Retail case study" in browser.get("/admin/requests").text  # open ones
    assert "Overview" not in browser.get("/admin/requests").text
    assert "Overview" in browser.get("/admin/requests", params={"status": "fulfilled"}).text
    assert browser.get("/admin/requests/999").status_code == 404


def test_search_gaps_usage_and_feedback_pages(
    browser: httpx.Client, admin: AdminAccess, client: httpx.Client, hub: Hub, root: Path
) -> None:
    write(root, "Decks/Overview.pptx", b"deck")
    write(root, "Cases/Acme.pdf", b"case")
    hub.rescan()
    ids = {d.path: d.id for d in hub.store.live_documents()}
    at = datetime.now(UTC).isoformat()
    rep_posts(client, "signals", {"signals": [
        {"type": "search", "query": "Spanish deck", "results": 0, "at": at},
        {"type": "search", "query": "spanish  DECK", "results": 0, "at": at},
        {"type": "open", "doc_id": ids["Decks/Overview.pptx"], "at": at},
    ]})
    rep_posts(client, "feedback", {"doc_id": ids["Decks/Overview.pptx"], "page": 4,
                                   "kind": "typo", "comment": "Teh"})
    sign_in(browser)

    gaps = browser.get("/admin/gaps", params={"days": 30})
    assert "“Spanish deck”" in gaps.text or "“spanish  DECK”" in gaps.text
    assert re.search(r'<td class="num">2</td>', gaps.text)
    created = browser.post(
        "/admin/gaps/request", data={"csrf": csrf_of(gaps), "query": "spanish deck"}
    )
    assert created.status_code == 303
    request_page = browser.get(created.headers["location"])
    assert "Content for searches: spanish deck" in request_page.text
    assert "Request #" in browser.get("/admin/gaps").text

    usage = browser.get("/admin/usage", params={"days": 30})
    assert usage.status_code == 200
    assert "Never opened in the last 30 days" in usage.text
    assert "Cases/Acme.pdf" in usage.text

    feedback = browser.get("/admin/feedback")
    assert "Decks/Overview.pptx" in feedback.text
    per_doc = browser.get("/admin/feedback", params={"doc": ids["Decks/Overview.pptx"]})
    assert "Page or slide 4" in per_doc.text and "Teh" in per_doc.text


def test_csv_exports(
    browser: httpx.Client, admin: AdminAccess, client: httpx.Client
) -> None:
    rep_posts(client, "requests", {"title": "=HYPERLINK(\"http://evil\")", "customer": "Acme"})
    sign_in(browser)

    response = browser.get("/admin/export/requests.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert table[0][:3] == ["id", "status", "title"]
    assert table[1][2] == "'=HYPERLINK(\"http://evil\")"  # never a live formula
    for name in ["gaps", "usage", "feedback"]:
        export = browser.get(f"/admin/export/{name}.csv")
        assert export.status_code == 200 and export.text.startswith("\ufeff"), name
    assert browser.get("/admin/export/secrets.csv").status_code == 404
    assert csv_cell(None) == "" and csv_cell("-1") == "'-1" and csv_cell("ok") == "ok"
