"""Hub commands: serve the approved folder, and manage reps' tokens.

Every ``hub`` command takes ``--db URL`` (default: ``$FIELDKIT_HUB_DB``, else a SQLite file in
the hub's per-user data folder).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit.cli.output import emit_json
from fieldkit.core.errors import UsageError

if TYPE_CHECKING:  # the hub's modules load only when a hub command runs
    from fieldkit.hub.tokens import RepTokens

DEFAULT_PORT = 8765


def register(subparsers: Any) -> None:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--db",
        metavar="URL",
        help="hub database: a SQLite file or URL, or postgresql://user:pass@host/db "
        "(default: $FIELDKIT_HUB_DB, else a file in the hub's data folder)",
    )

    hub = subparsers.add_parser("hub", help="run the hub marketing serves the approved folder from")
    hub.set_defaults(run=_usage(hub))
    commands = hub.add_subparsers(dest="hub_command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve", parents=[database], help="scan, watch and serve the approved folder"
    )
    serve.add_argument("--root", required=True, metavar="DIR", help="the approved folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT)
    serve.add_argument(
        "--poll", action="store_true", help="poll for changes (for network shares)"
    )
    serve.add_argument(
        "--rescan-interval",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="full rescan period, catching changes the watcher missed (default 300)",
    )
    serve.add_argument("--ssl-certfile", type=Path, metavar="FILE", help="serve HTTPS: certificate")
    serve.add_argument("--ssl-keyfile", type=Path, metavar="FILE", help="... and its private key")
    serve.set_defaults(run=run_serve)

    add = commands.add_parser(
        "add-rep", parents=[database], help="give a rep access; prints the token once"
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--json", action="store_true")
    add.set_defaults(run=run_add_rep)

    revoke = commands.add_parser(
        "revoke-rep", parents=[database], help="take a rep's access away"
    )
    revoke.add_argument("name", metavar="NAME")
    revoke.set_defaults(run=run_revoke_rep)

    reps = commands.add_parser("reps", parents=[database], help="list reps and their access")
    reps.add_argument("--json", action="store_true")
    reps.set_defaults(run=run_reps)


def _usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def run(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return run


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from exc
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


@contextmanager
def _rep_tokens(db: str | None) -> Iterator[RepTokens]:
    from fieldkit.hub.store import open_database, resolve_db_url
    from fieldkit.hub.tokens import RepTokens

    engine = open_database(resolve_db_url(db))
    try:
        yield RepTokens(engine)
    finally:
        engine.dispose()


def run_serve(args: argparse.Namespace) -> int:
    from fieldkit.hub import Hub, HubServer

    logging.getLogger("fieldkit").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    root = Path(args.root)
    if not root.is_dir():
        raise UsageError(f"The folder {root} does not exist.")
    hub = Hub.open(root, args.db, poll=args.poll, rescan_interval=args.rescan_interval)
    try:
        server = HubServer(
            hub,
            args.host,
            args.port,
            access_log=args.verbose,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
        )
    except BaseException:
        hub.close()
        raise
    server.serve()
    return 0


def run_add_rep(args: argparse.Namespace) -> int:
    with _rep_tokens(args.db) as tokens:
        token = tokens.add(args.name)
    if args.json:
        emit_json({"name": args.name.strip(), "token": token})
    else:
        print(f"Token for {args.name.strip()} (shown only now; give it to the rep):")
        print(token)
    return 0


def run_revoke_rep(args: argparse.Namespace) -> int:
    with _rep_tokens(args.db) as tokens:
        tokens.revoke(args.name)
    print(f"Revoked {args.name.strip()}: their token no longer works.")
    return 0


def run_reps(args: argparse.Namespace) -> int:
    with _rep_tokens(args.db) as tokens:
        reps = tokens.reps()
    if args.json:
        emit_json(
            [
                {
                    "name": rep.name,
                    "active": rep.active,
                    "created_at": rep.created_at.isoformat(),
                    "revoked_at": rep.revoked_at.isoformat() if rep.revoked_at else None,
                }
                for rep in reps
            ]
        )
        return 0
    if not reps:
        print("No reps yet. Add one with: fieldkit hub add-rep NAME")
        return 0
    width = max(len(rep.name) for rep in reps)
    for rep in reps:
        state = "active" if rep.active else f"revoked {rep.revoked_at:%Y-%m-%d}"
        print(f"{rep.name:<{width}}  {state:<18}  added {rep.created_at:%Y-%m-%d}")
    return 0
