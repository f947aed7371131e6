"""``fieldkit hub check``: the hub's configuration, checked the way ``hub serve`` would use it.

It attaches to the ``hub`` command that :mod:`fieldkit.cli.hub` registers (so this module is
listed after it) and takes the same ``--root``, ``--db``, ``--host``, ``--port`` and TLS options
as ``hub serve``. Exits 1 when a check failed (warnings alone exit 0).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fieldkit.cli.hub import DEFAULT_PORT, _port
from fieldkit.cli.output import emit_json


def register(subparsers: Any) -> None:
    hub = subparsers.choices["hub"]
    commands = next(
        action for action in hub._actions if isinstance(action, argparse._SubParsersAction)
    )
    check = commands.add_parser(
        "check", help="check the hub's folder, database, reps, TLS files, port and sidecars"
    )
    check.add_argument("--root", metavar="DIR", type=Path, help="the approved folder")
    check.add_argument(
        "--db",
        metavar="URL",
        help="hub database: a SQLite file or URL, or postgresql://user:pass@host/db "
        "(default: $FIELDKIT_HUB_DB, else a file in the hub's data folder)",
    )
    check.add_argument("--host", default="127.0.0.1", help="address the hub listens on")
    check.add_argument("--port", type=_port, default=DEFAULT_PORT)
    check.add_argument("--ssl-certfile", metavar="FILE", type=Path, help="TLS certificate (PEM)")
    check.add_argument("--ssl-keyfile", metavar="FILE", type=Path, help="TLS private key (PEM)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    from fieldkit.hub.check import HubSettings, check_hub

    report = check_hub(
        HubSettings(
            root=args.root,
            db=args.db,
            host=args.host,
            port=args.port,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
        )
    )
    if args.json:
        emit_json(report.to_json())
    else:
        print(report.to_text(), end="")
    return 0 if report.ok else 1
