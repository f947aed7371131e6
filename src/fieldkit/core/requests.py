"""What a rep sends to marketing: content requests, feedback on documents, usage signals.

The vocabulary and limits here are shared by the client (which checks before queueing, so a rep
hears about a mistake at once) and the hub (which checks again and refuses with a 4xx).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from fieldkit.core.errors import UsageError

URGENCIES: Final = ("low", "normal", "high")
FEEDBACK_KINDS: Final = ("outdated", "wrong", "typo", "helped", "other")
FEEDBACK_KIND_LABELS: Final = {
    "outdated": "Outdated",
    "wrong": "Wrong",
    "typo": "Typo",
    "helped": "Helped in a meeting",
    "other": "Other",
}
# A request's life on the hub: "new" until marketing looks at it.
REQUEST_STATUSES: Final = ("new", "acknowledged", "in_progress", "fulfilled", "declined")
STATUS_LABELS: Final = {
    "new": "New",
    "acknowledged": "Acknowledged",
    "in_progress": "In progress",
    "fulfilled": "Fulfilled",
    "declined": "Declined",
}
SIGNAL_TYPES: Final = ("open", "search")

MAX_TITLE: Final = 200
MAX_DETAILS: Final = 5000
MAX_CUSTOMER: Final = 200
MAX_COMMENT: Final = 2000
MAX_QUERY: Final = 500
MAX_NOTE: Final = 2000
MAX_PAGE: Final = 100_000
MAX_SIGNALS_PER_BATCH: Final = 1000
# The client batches fewer than the hub accepts, so a batch never meets the limit.
SIGNALS_PER_BATCH: Final = 500

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{16,100}$")
DOC_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class RequestDraft:
    """A content request as the rep wrote it ("this deck in Spanish, for Acme, by Friday")."""

    title: str
    details: str = ""
    customer: str = ""
    needed_by: date | None = None
    urgency: str = "normal"
    doc_id: str | None = None
    query: str | None = None  # the search that found nothing, when the request came from one


@dataclass(frozen=True)
class FeedbackDraft:
    """Feedback on a document, or on one page or slide of it."""

    doc_id: str
    kind: str
    page: int | None = None
    comment: str = ""


def request_payload(draft: RequestDraft, *, today: date, created_at: datetime) -> dict[str, Any]:
    """The JSON the hub receives for ``draft``; raises :class:`UsageError` naming the problem."""
    title = " ".join(draft.title.split())
    if not title:
        raise UsageError("A request needs a title: say what you need.")
    _limit("The title", title, MAX_TITLE)
    details = draft.details.strip()
    _limit("The details", details, MAX_DETAILS)
    customer = " ".join(draft.customer.split())
    _limit("The customer name", customer, MAX_CUSTOMER)
    if draft.urgency not in URGENCIES:
        raise UsageError(f"Urgency must be one of {', '.join(URGENCIES)}, not {draft.urgency!r}.")
    if draft.needed_by is not None and draft.needed_by < today:
        raise UsageError(f"The needed-by date {draft.needed_by.isoformat()} is in the past.")
    query = " ".join(draft.query.split()) if draft.query else None
    if query:
        _limit("The search", query, MAX_QUERY)
    return {
        "title": title,
        "details": details,
        "customer": customer,
        "needed_by": draft.needed_by.isoformat() if draft.needed_by else None,
        "urgency": draft.urgency,
        "doc_id": _doc_id(draft.doc_id) if draft.doc_id else None,
        "query": query or None,
        "created_at": iso_utc(created_at),
    }


def feedback_payload(draft: FeedbackDraft, *, created_at: datetime) -> dict[str, Any]:
    if draft.kind not in FEEDBACK_KINDS:
        raise UsageError(
            f"Feedback kind must be one of {', '.join(FEEDBACK_KINDS)}, not {draft.kind!r}."
        )
    if draft.page is not None and not 1 <= draft.page <= MAX_PAGE:
        raise UsageError(f"Page {draft.page} does not exist: pages and slides start at 1.")
    comment = draft.comment.strip()
    _limit("The comment", comment, MAX_COMMENT)
    return {
        "doc_id": _doc_id(draft.doc_id),
        "page": draft.page,
        "kind": draft.kind,
        "comment": comment,
        "created_at": iso_utc(created_at),
    }


def open_signal(doc_id: str, at: datetime) -> dict[str, Any]:
    return {"type": "open", "doc_id": _doc_id(doc_id), "at": iso_utc(at)}


def search_signal(query: str, results: int, at: datetime) -> dict[str, Any]:
    text = " ".join(query.split())[:MAX_QUERY]
    return {"type": "search", "query": text, "results": max(0, int(results)), "at": iso_utc(at)}


def normalize_query(query: str) -> str:
    """How searches are grouped on the hub: case and spacing do not matter."""
    return " ".join(query.casefold().split())


def summary(kind: str, payload: Mapping[str, Any]) -> str:
    """One line describing an outbox item, for lists."""
    if kind == "request":
        return str(payload.get("title", ""))
    if kind == "feedback":
        where = f", page {payload['page']}" if payload.get("page") else ""
        label = FEEDBACK_KIND_LABELS.get(str(payload.get("kind")), str(payload.get("kind")))
        return f"{label}: {payload.get('doc_id')}{where}"
    signals = payload.get("signals", [])
    count = len(signals) if isinstance(signals, list) else 0
    return f"{count} usage signal{'s' if count != 1 else ''}"


def iso_utc(moment: datetime) -> str:
    """``2026-11-27T12:00:00Z``: how times travel between client and hub."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _doc_id(value: str) -> str:
    text = value.strip()
    if not DOC_ID_PATTERN.fullmatch(text):
        raise UsageError(f"{value!r} is not a document id (like d_3f9a1c2b4e5d).")
    return text


def _limit(what: str, text: str, most: int) -> None:
    if len(text) > most:
        raise UsageError(f"{what} is too long ({len(text)} characters; at most {most}).")
