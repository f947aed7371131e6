"""Hub commands for marketing's inbox: requests, respond, set-admin-password.

They attach to the ``hub`` command that :mod:`fieldkit.cli.hub` registers (so this module is
listed after it), and take the same ``--db URL``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fieldkit.cli.output import emit_json
from fieldkit.core.errors import UsageError
from fieldkit.core.requests import REQUEST_STATUSES, STATUS_LABELS

if TYPE_CHECKING:  # the hub's modules load only when a hub command runs
    from sqlalchemy import Engine


def register(subparsers: Any) -> None:
    hub = subparsers.choices["hub"]
    commands = next(
        action for action in hub._actions if isinstance(action, argparse._SubParsersAction)
    )
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--db",
        metavar="URL",
        help="hub database: a SQLite file or URL, or postgresql://user:pass@host/db "
        "(default: $FIELDKIT_HUB_DB, else a file in the hub's data folder)",
    )

    requests = commands.add_parser(
        "requests", parents=[database], help="the content requests reps sent"
    )
    requests.add_argument(
        "--status",
        choices=("open", "all", *REQUEST_STATUSES),
        default="all",
        help="only these (open: not yet fulfilled or declined)",
    )
    requests.add_argument("--json", action="store_true")
    requests.set_defaults(run=run_requests)

    respond = commands.add_parser(
        "respond", parents=[database], help="set a request's status and answer the rep"
    )
    respond.add_argument("id", type=int, metavar="ID")
    respond.add_argument("--status", required=True, choices=REQUEST_STATUSES)
    respond.add_argument("--doc", metavar="DOC_ID", help="the document that fulfils it")
    respond.add_argument("--note", help="a note for the rep (required when declining)")
    respond.add_argument("--json", action="store_true")
    respond.set_defaults(run=run_respond)

    password = commands.add_parser(
        "set-admin-password",
        parents=[database],
        help="set the password marketing signs in to the hub's web page with",
    )
    password.add_argument(
        "--stdin", action="store_true", help="read the password from standard input"
    )
    password.set_defaults(run=run_set_admin_password)


@contextmanager
def _engine(db: str | None) -> Iterator[Engine]:
    from fieldkit.hub.store import open_database, resolve_db_url

    engine = open_database(resolve_db_url(db))
    try:
        yield engine
    finally:
        engine.dispose()


def run_requests(args: argparse.Namespace) -> int:
    from fieldkit.hub.inbox import Inbox

    with _engine(args.db) as engine:
        records = Inbox(engine).requests(status=None if args.status == "all" else args.status)
    if args.json:
        emit_json({"requests": [record.to_json() for record in records]})
        return 0
    if not records:
        print("No requests.")
    for r in records:
        extra = f" · for {r.customer}" if r.customer else ""
        extra += f" · by {r.needed_by}" if r.needed_by else ""
        print(f"#{r.id:<5} {STATUS_LABELS[r.status]:<13} {r.urgency:<6} {r.title}{extra}")
        print(f"       from {r.rep or 'marketing (search gap)'}, {r.received_at:%Y-%m-%d %H:%M}")
        if r.answer_path or r.answer_doc_id:
            print(f"       answer: {r.answer_path or r.answer_doc_id}")
    return 0


def run_respond(args: argparse.Namespace) -> int:
    from fieldkit.hub.inbox import Inbox, RequestNotFound

    with _engine(args.db) as engine:
        try:
            record = Inbox(engine).respond(args.id, args.status, doc_id=args.doc, note=args.note)
        except RequestNotFound as exc:
            raise UsageError(str(exc)) from exc
    if args.json:
        emit_json(record.to_json())
    else:
        print(f"Request #{record.id} is now {STATUS_LABELS[record.status]}; "
              "the rep sees it the next time their fieldkit checks in.")
    return 0


def run_set_admin_password(args: argparse.Namespace) -> int:
    from fieldkit.hub.inbox import AdminAccess

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("New admin password: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("The two passwords differ; nothing changed.")
    with _engine(args.db) as engine:
        AdminAccess(engine).set_password(password)
    print("Admin password set. Sign in at http://HUB:PORT/admin (everyone else is signed out).")
    return 0
