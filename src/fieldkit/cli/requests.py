"""Requests, feedback and the outbox: request new, feedback, outbox [send], requests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from fieldkit.cli.output import emit_json
from fieldkit.core.client import Client, open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.home import resolve_home
from fieldkit.core.outbox import (
    LOCK_FILE,
    Backoff,
    Outbox,
    OutboxEntry,
    OutboxSender,
    RequestView,
    SendReport,
    StatusChange,
    saved_hub_address,
)
from fieldkit.core.requests import (
    FEEDBACK_KINDS,
    STATUS_LABELS,
    URGENCIES,
    FeedbackDraft,
    RequestDraft,
)


def register(subparsers: Any) -> None:
    request = subparsers.add_parser("request", help="ask marketing for content")
    request.set_defaults(run=lambda _args: _help(request))
    request_commands = request.add_subparsers(dest="request_command", metavar="COMMAND")
    new = request_commands.add_parser("new", help="queue a content request for marketing")
    new.add_argument("--title", required=True, help="what you need, in a few words")
    new.add_argument("--details", default="", help="anything that helps marketing")
    new.add_argument("--customer", default="", help="the customer or account it is for")
    new.add_argument("--needed-by", type=_date, metavar="YYYY-MM-DD")
    new.add_argument("--urgency", choices=URGENCIES, default="normal")
    new.add_argument("--doc", metavar="DOC_ID", help="a related document (this deck, in Spanish)")
    new.add_argument("--query", help="the search that found nothing, if it came from one")
    new.add_argument("--json", action="store_true")
    new.set_defaults(run=run_request_new)

    feedback = subparsers.add_parser("feedback", help="tell marketing about a document")
    feedback.add_argument("doc_id", metavar="DOC_ID")
    feedback.add_argument("--page", type=_page, metavar="N", help="page or slide number")
    feedback.add_argument("--kind", required=True, choices=FEEDBACK_KINDS)
    feedback.add_argument("--comment", default="")
    feedback.add_argument("--json", action="store_true")
    feedback.set_defaults(run=run_feedback)

    outbox = subparsers.add_parser("outbox", help="what is waiting to go to the hub")
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument(
        "--payloads", action="store_true", help="show exactly what each item sends"
    )
    outbox.set_defaults(run=run_outbox)
    outbox_commands = outbox.add_subparsers(dest="outbox_command", metavar="COMMAND")
    send = outbox_commands.add_parser("send", help="send the outbox to the hub now")
    send.add_argument(
        "--budget",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long to keep retrying what fails (default 30)",
    )
    send.add_argument("--json", action="store_true")
    send.set_defaults(run=run_outbox_send)

    mine = subparsers.add_parser("requests", help="your requests and what marketing said")
    mine.add_argument("--refresh", action="store_true", help="ask the hub for news first")
    mine.add_argument("--json", action="store_true")
    mine.set_defaults(run=run_requests)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date like 2026-12-31: {text!r}") from exc


def _page(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a page number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("pages and slides start at 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


@dataclass
class _Parts:
    client: Client
    outbox: Outbox

    def sender(self) -> OutboxSender:
        client = self.client
        return OutboxSender(
            self.outbox,
            lambda: saved_hub_address(client.sessions, TokenStore(client.home)),
            client.home.root / LOCK_FILE,
            signals_enabled=lambda: client.settings.usage_signals,
            # Someone is waiting for this command: retry sooner than the app's sender does.
            backoff=Backoff(base=0.5, cap=8.0),
        )


@contextmanager
def _open(args: argparse.Namespace) -> Iterator[_Parts]:
    with open_client(resolve_home(args.home)) as client:
        yield _Parts(client, Outbox(client.engine))


# -- request new, feedback ----------------------------------------------------------------------


def run_request_new(args: argparse.Namespace) -> int:
    draft = RequestDraft(
        title=args.title,
        details=args.details,
        customer=args.customer,
        needed_by=args.needed_by,
        urgency=args.urgency,
        doc_id=args.doc,
        query=args.query,
    )
    with _open(args) as parts:
        entry = parts.outbox.add_request(draft)
    _queued(args, entry, f"request #{entry.id}: “{entry.summary}”")
    return 0


def run_feedback(args: argparse.Namespace) -> int:
    draft = FeedbackDraft(
        doc_id=args.doc_id, kind=args.kind, page=args.page, comment=args.comment
    )
    with _open(args) as parts:
        entry = parts.outbox.add_feedback(draft)
    _queued(args, entry, f"feedback #{entry.id} ({entry.summary})")
    return 0


def _queued(args: argparse.Namespace, entry: OutboxEntry, what: str) -> None:
    if args.json:
        emit_json(_item_json(entry, payload=True))
        return
    print(f"Queued {what}.")
    print("It goes to marketing when the hub is reachable (to send now: fieldkit outbox send).")


# -- outbox, outbox send ------------------------------------------------------------------------


def run_outbox(args: argparse.Namespace) -> int:
    with _open(args) as parts:
        items = parts.outbox.items()
        pending = parts.outbox.pending_signals()
        signals_on = parts.client.settings.usage_signals
    if args.json:
        document: dict[str, Any] = {
            "items": [_item_json(item, payload=args.payloads) for item in items],
            "pending_signals": len(pending),
            "usage_signals": signals_on,
        }
        if args.payloads:
            document["pending"] = pending
        emit_json(document)
        return 0
    if not items and not pending:
        print("The outbox is empty.")
    for item in items:
        tries = f" ({item.attempts} tries)" if item.attempts > 1 else ""
        print(f"#{item.id:<5} {item.kind:<8} {item.state:<8}{tries}  {item.summary}")
        if item.last_error and item.state != "sent":
            print(f"       {'reason' if item.state == 'rejected' else 'last error'}: "
                  f"{item.last_error}")
        if args.payloads:
            print(f"       sends: {item.payload}")
    if pending:
        print(f"{len(pending)} usage signals wait to be batched"
              + (":" if args.payloads else "."))
        if args.payloads:
            for signal in pending:
                print(f"       {signal}")
    if not signals_on:
        print("Usage signals are off: nothing about your searches or documents is recorded.")
    return 0


def run_outbox_send(args: argparse.Namespace) -> int:
    with _open(args) as parts:
        report = parts.sender().send_now(budget_s=args.budget)
    if args.json:
        emit_json(_report_json(report))
    else:
        _print_report(report)
    return 0 if report.queued == 0 and report.error is None else 1


def _print_report(report: SendReport) -> None:
    parts = [f"Sent {report.sent}"]
    if report.rejected:
        parts.append(f"rejected {report.rejected} (see fieldkit outbox)")
    if report.queued:
        parts.append(f"{report.queued} still queued")
    print(", ".join(parts) + ".")
    for change in report.changes:
        print(_change_text(change))
    if report.error:
        print(report.error)
    elif report.queued:
        print("They go out on the next try (fieldkit outbox send, or the app does it).")


def _change_text(change: StatusChange) -> str:
    text = f"Request #{change.item_id} “{change.title}” is now {_label(change.new_status)}"
    if change.doc_id:
        text += f" (document {change.doc_id})"
    return text + (f": {change.note}" if change.note else ".")


def _report_json(report: SendReport) -> dict[str, Any]:
    return {
        "sent": report.sent,
        "rejected": report.rejected,
        "retried": report.retried,
        "queued": report.queued,
        "offline": report.offline,
        "error": report.error,
        "changes": [
            {"id": c.item_id, "title": c.title, "old_status": c.old_status,
             "status": c.new_status, "note": c.note, "doc_id": c.doc_id}
            for c in report.changes
        ],
    }


def _item_json(item: OutboxEntry, *, payload: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "state": item.state,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": item.created_at.isoformat(),
        "summary": item.summary,
    }
    if payload:
        data["payload"] = dict(item.payload)
    return data


# -- requests -----------------------------------------------------------------------------------


def run_requests(args: argparse.Namespace) -> int:
    with _open(args) as parts:
        report = parts.sender().send_now() if args.refresh else None
        views = parts.outbox.requests()
        mirror = parts.client.home.mirror_dir
    if args.json:
        emit_json({"requests": [_request_json(v, mirror) for v in views]})
        return 0
    if report is not None and report.error:
        print(f"Could not ask the hub ({report.error}); showing what fieldkit knew.")
    if not views:
        print("No requests yet. Ask for something: fieldkit request new --title \"...\"")
    for view in views:
        status = _label(view.status) if view.status else _state_label(view.state)
        print(f"#{view.id:<5} {status:<13} {view.title}")
        if view.state == "rejected" and view.last_error:
            print(f"       the hub refused it: {view.last_error}")
        if view.answer_doc_id:
            where = mirror / view.answer_rel_path if view.answer_rel_path else None
            print(f"       answer: {where or view.answer_doc_id + ' (arrives with the next sync)'}")
        if view.note:
            print(f"       marketing says: {view.note}")
    return 0


def _request_json(view: RequestView, mirror: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "title": view.title,
        "customer": view.customer,
        "needed_by": view.needed_by,
        "urgency": view.urgency,
        "doc_id": view.doc_id,
        "state": view.state,
        "last_error": view.last_error,
        "status": view.status,
        "note": view.note,
        "answer_doc_id": view.answer_doc_id,
        "answer_path": str(mirror / view.answer_rel_path) if view.answer_rel_path else None,
        "created_at": view.created_at.isoformat(),
        "status_changed_at": view.status_changed_at.isoformat()
        if view.status_changed_at
        else None,
    }


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def _state_label(state: str) -> str:
    return {"queued": "Queued", "sending": "Sending", "sent": "Sent", "rejected": "Rejected"}.get(
        state, state
    )
