"""Marketing's web page on the hub, under ``/admin``: server-rendered HTML, no JavaScript.

Pages: the requests inbox (filter, set status, answer, link the fulfilling document), search
gaps (zero-result searches grouped and counted, with "create request"), content usage (most
opened, never opened in N days, by folder), feedback per document and per page/slide, and CSV
exports of each.

Sign-in: the admin password set with ``fieldkit hub set-admin-password`` (stored as scrypt).
The session cookie is ``expiry.nonce.signature``, an HMAC-SHA256 under a key kept in the hub
database (a new password makes a new key, signing everyone out). Every form carries a CSRF
token derived from the session; the login form uses a double-submit cookie.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from fieldkit.core.db import utcnow
from fieldkit.core.errors import UsageError
from fieldkit.core.requests import (
    FEEDBACK_KIND_LABELS,
    FEEDBACK_KINDS,
    REQUEST_STATUSES,
    STATUS_LABELS,
)
from fieldkit.hub.inbox import AdminAccess, Inbox, RequestNotFound
from fieldkit.hub.service import Hub

log = logging.getLogger(__name__)

ADMIN = "/admin"
SESSION_COOKIE = "fieldkit_admin"
LOGIN_COOKIE = "fieldkit_login"
SESSION_SECONDS = 12 * 3600
_HERE = Path(__file__).parent
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
DAY_CHOICES = (7, 30, 90, 365)

templates = Jinja2Templates(directory=str(_HERE / "templates"))
templates.env.globals.update(
    STATUS_LABELS=STATUS_LABELS,
    REQUEST_STATUSES=REQUEST_STATUSES,
    FEEDBACK_KINDS=FEEDBACK_KINDS,
    FEEDBACK_KIND_LABELS=FEEDBACK_KIND_LABELS,
    DAY_CHOICES=DAY_CHOICES,
)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "—"


templates.env.filters["when"] = _when


# -- sessions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminSession:
    nonce: str
    csrf: str


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


def new_session_cookie(key: bytes, now: float) -> str:
    body = f"{int(now) + SESSION_SECONDS}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_sign(key, body)}"


def read_session_cookie(key: bytes, value: str, now: float) -> AdminSession | None:
    expires, _, rest = value.partition(".")
    nonce, _, signature = rest.partition(".")
    if not (expires.isdigit() and nonce and signature):
        return None
    if not hmac.compare_digest(_sign(key, f"{expires}.{nonce}"), signature):
        return None
    if int(expires) < now:
        return None
    return AdminSession(nonce, _sign(key, f"csrf.{nonce}"))


class LoginThrottle:
    """At most ``limit`` failed sign-ins per client address in ``window`` seconds."""

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self._limit = limit
        self._window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, who: str) -> bool:
        with self._lock:
            recent = self._recent(who)
            return len(recent) >= self._limit

    def failed(self, who: str) -> None:
        with self._lock:
            self._recent(who).append(time.monotonic())

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._failures.pop(who, None)

    def _recent(self, who: str) -> deque[float]:
        failures = self._failures.setdefault(who, deque())
        cutoff = time.monotonic() - self._window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures


class PageError(Exception):
    """A problem shown to marketing as a page (not JSON): expired form, unknown request."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class _LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def get_inbox(request: Request) -> Inbox:
    inbox: Inbox = request.app.state.inbox
    return inbox


def get_access(request: Request) -> AdminAccess:
    access: AdminAccess = request.app.state.admin_access
    return access


InboxDep = Annotated[Inbox, Depends(get_inbox)]
AccessDep = Annotated[AdminAccess, Depends(get_access)]


def require_admin(request: Request, access: AccessDep) -> AdminSession:
    key = access.session_key()
    value = request.cookies.get(SESSION_COOKIE)
    session = read_session_cookie(key, value, time.time()) if key and value else None
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise _LoginRequired(target)
    return session


AdminDep = Annotated[AdminSession, Depends(require_admin)]


def check_csrf(session: AdminSession, token: str) -> None:
    if not hmac.compare_digest(session.csrf, token):
        raise PageError(403, "This form has expired. Go back, reload the page and try again.")


CsrfField = Annotated[str, Form()]


# -- rendering ------------------------------------------------------------------------------------


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    session: AdminSession | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"csrf": session.csrf if session else "", "signed_in": session is not None,
               **context}
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(_HEADERS)
    return response


def redirect(path: str) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    response.headers.update(_HEADERS)
    return response


def _safe_next(path: str | None) -> str:
    if path and path.startswith(ADMIN + "/") and not path.startswith("//") and "\\" not in path:
        return path
    return ADMIN + "/requests"


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


router = APIRouter(prefix=ADMIN, include_in_schema=False)


# -- sign in and out ----------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, access: AccessDep, next: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": _safe_next(next), "password_set": access.is_set(),
         "error": None},
    )
    _set_login_cookie(request, response, token)
    return response


def _set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=3600, path=ADMIN, httponly=True, samesite="strict",
        secure=_secure(request),
    )


@router.post("/login")
def login(
    request: Request,
    access: AccessDep,
    password: Annotated[str, Form()],
    csrf: CsrfField,
    next: Annotated[str, Form()] = "",
) -> Response:
    throttle: LoginThrottle = request.app.state.login_throttle
    who = _client_address(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    error = None
    status = 200
    if not cookie or not hmac.compare_digest(cookie, csrf):
        error, status = "This sign-in form has expired; please try again.", 403
    elif throttle.blocked(who):
        error, status = "Too many wrong passwords. Wait a few minutes and try again.", 429
    elif not access.check(password):
        throttle.failed(who)
        log.warning("failed admin sign-in from %s", who)
        error, status = "That password is not right.", 401
    if error is not None:
        token = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            {"login_csrf": token, "next": _safe_next(next), "password_set": access.is_set(),
             "error": error},
            status_code=status,
        )
        _set_login_cookie(request, response, token)
        return response
    throttle.succeeded(who)
    key = access.session_key()
    assert key is not None  # check() passed, so a password (and its key) exists
    signed_in = redirect(_safe_next(next))
    signed_in.set_cookie(
        SESSION_COOKIE,
        new_session_cookie(key, time.time()),
        max_age=SESSION_SECONDS,
        path=ADMIN,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    signed_in.delete_cookie(LOGIN_COOKIE, path=ADMIN)
    return signed_in


@router.post("/logout")
def logout(session: AdminDep, csrf: CsrfField) -> Response:
    check_csrf(session, csrf)
    response = redirect(ADMIN + "/login")
    response.delete_cookie(SESSION_COOKIE, path=ADMIN)
    return response


@router.get("")
@router.get("/")
def home(session: AdminDep) -> Response:
    return redirect(ADMIN + "/requests")


# -- requests -----------------------------------------------------------------------------------


@router.get("/requests")
def requests_page(
    request: Request,
    session: AdminDep,
    inbox: InboxDep,
    status: str = "open",
    q: str = "",
) -> HTMLResponse:
    status = status if status in ("open", "all", *REQUEST_STATUSES) else "open"
    rows = inbox.requests(status=None if status == "all" else status, text=q or None)
    return render(
        request,
        "requests.html",
        {"page": "requests", "rows": rows, "status": status, "q": q,
         "export": _export_link("requests", status=status, q=q)},
        session=session,
    )


@router.get("/requests/{request_id}")
def request_page(
    request: Request,
    request_id: int,
    session: AdminDep,
    inbox: InboxDep,
    saved: bool = False,
) -> HTMLResponse:
    record = _get_request(inbox, request_id)
    return _request_form(request, inbox, session, record, saved=saved)


def _request_form(
    request: Request,
    inbox: Inbox,
    session: AdminSession,
    record: Any,
    *,
    saved: bool = False,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    form = values or {
        "status": record.status,
        "doc_id": record.answer_doc_id or "",
        "note": record.note or "",
    }
    return render(
        request,
        "request.html",
        {"page": "requests", "r": record, "saved": saved, "error": error, "form": form,
         "documents": inbox.live_documents()},
        session=session,
        status_code=422 if error else 200,
    )


@router.post("/requests/{request_id}")
def respond(
    request: Request,
    request_id: int,
    session: AdminDep,
    inbox: InboxDep,
    csrf: CsrfField,
    status: Annotated[str, Form()],
    doc_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(session, csrf)
    record = _get_request(inbox, request_id)
    try:
        inbox.respond(request_id, status, doc_id=_doc_choice(doc_id), note=note)
    except UsageError as exc:
        values = {"status": status, "doc_id": doc_id, "note": note}
        return _request_form(request, inbox, session, record, error=str(exc), values=values)
    return redirect(f"{ADMIN}/requests/{request_id}?saved=1")


def _doc_choice(value: str) -> str:
    """The id from "d_123 — Decks/Deck.pptx" (what the document list fills in) or a bare id."""
    return value.strip().split(" ", 1)[0] if value.strip() else ""


def _get_request(inbox: Inbox, request_id: int) -> Any:
    try:
        return inbox.request(request_id)
    except RequestNotFound as exc:
        raise PageError(404, str(exc)) from exc


# -- search gaps --------------------------------------------------------------------------------


@router.get("/gaps")
def gaps_page(request: Request, session: AdminDep, inbox: InboxDep, days: int = 30) -> Response:
    days = _days(days)
    return render(
        request,
        "gaps.html",
        {"page": "gaps", "rows": inbox.search_gaps(days), "days": days,
         "export": _export_link("gaps", days=days)},
        session=session,
    )


@router.post("/gaps/request")
def gap_request(
    session: AdminDep, inbox: InboxDep, csrf: CsrfField, query: Annotated[str, Form()]
) -> Response:
    check_csrf(session, csrf)
    try:
        record = inbox.request_from_gap(query)
    except UsageError as exc:
        raise PageError(422, str(exc)) from exc
    return redirect(f"{ADMIN}/requests/{record.id}")


# -- usage and feedback --------------------------------------------------------------------------


@router.get("/usage")
def usage_page(request: Request, session: AdminDep, inbox: InboxDep, days: int = 90) -> Response:
    days = _days(days)
    return render(
        request,
        "usage.html",
        {"page": "usage", "report": inbox.usage(days), "days": days,
         "export": _export_link("usage", days=days)},
        session=session,
    )


@router.get("/feedback")
def feedback_page(
    request: Request, session: AdminDep, inbox: InboxDep, doc: str | None = None
) -> Response:
    if doc:
        path, title = inbox.document(doc)
        items = inbox.feedback(doc)
        pages: dict[int | None, list[Any]] = {}
        for item in items:
            pages.setdefault(item.page, []).append(item)
        return render(
            request,
            "feedback_doc.html",
            {"page": "feedback", "doc_id": doc, "path": path, "title": title, "pages": pages,
             "total": len(items), "export": _export_link("feedback", doc=doc)},
            session=session,
        )
    return render(
        request,
        "feedback.html",
        {"page": "feedback", "rows": inbox.feedback_summary(),
         "export": _export_link("feedback")},
        session=session,
    )


def _days(value: int) -> int:
    return min(max(value, 1), 3650)


# -- CSV ----------------------------------------------------------------------------------------


def _export_link(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{ADMIN}/export/{name}.csv" + (f"?{query}" if query else "")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    filename = f"fieldkit-{name}-{utcnow():%Y%m%d}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            **_HEADERS,
            "Content-Disposition": f"attachment; filename=\"{filename}\"; "
            f"filename*=UTF-8''{quote(filename)}",
        },
    )


@router.get("/export/{name}.csv")
def export(
    name: str,
    session: AdminDep,
    inbox: InboxDep,
    status: str = "all",
    q: str = "",
    days: Annotated[int, Query(ge=1, le=3650)] = 90,
    doc: str | None = None,
) -> Response:
    if name == "requests":
        records = inbox.requests(status=None if status == "all" else status, text=q or None)
        return csv_response(
            name,
            ["id", "status", "title", "details", "customer", "needed_by", "urgency", "rep",
             "related_doc_id", "related_doc_path", "query", "created_at", "received_at",
             "note", "answer_doc_id", "answer_path", "updated_at"],
            ([r.id, r.status, r.title, r.details, r.customer, r.needed_by, r.urgency,
              r.rep or "marketing", r.doc_id, r.doc_path, r.query, r.created_at, r.received_at,
              r.note, r.answer_doc_id, r.answer_path, r.updated_at] for r in records),
        )
    if name == "gaps":
        return csv_response(
            name,
            ["query", "searches", "reps", "last_searched", "request_id", "request_status"],
            ([g.example, g.searches, g.reps, g.last_at, g.request_id, g.request_status]
             for g in inbox.search_gaps(days)),
        )
    if name == "usage":
        report = inbox.usage(days, limit=100_000)
        docs = list(report.most_opened) + list(report.never_opened)
        return csv_response(
            name,
            ["doc_id", "path", "title", f"opens_last_{days}_days", "reps", "last_opened"],
            ([d.doc_id, d.path, d.title, d.opens, d.reps, d.last_at] for d in docs),
        )
    if name == "feedback":
        items = inbox.feedback(doc)
        paths = {d.doc_id: d.path for d in inbox.feedback_summary()}
        return csv_response(
            name,
            ["id", "doc_id", "path", "doc_version", "page", "kind", "comment", "rep",
             "created_at"],
            ([f.id, f.doc_id, paths.get(f.doc_id), f.doc_version, f.page, f.kind, f.comment,
              f.rep, f.created_at] for f in items),
        )
    raise PageError(404, f"There is no export called {name!r}.")


# -- installing ---------------------------------------------------------------------------------


def install_web(app: FastAPI, inbox: Inbox, hub: Hub) -> None:
    app.state.admin_access = AdminAccess(hub.engine)
    app.state.login_throttle = LoginThrottle()
    app.include_router(router)
    app.mount(f"{ADMIN}/static", StaticFiles(directory=_HERE / "static"), name="admin-static")

    @app.exception_handler(_LoginRequired)
    async def _to_login(request: Request, exc: _LoginRequired) -> Response:
        return redirect(f"{ADMIN}/login?{urlencode({'next': exc.next_path})}")

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render(
            request, "error.html", {"page": "", "message": exc.message},
            status_code=exc.status_code,
        )
