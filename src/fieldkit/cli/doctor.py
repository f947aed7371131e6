"""``fieldkit doctor [--json]``: check this laptop's fieldkit and say what to do about problems.

Exits 1 when a check failed (warnings alone exit 0), so scripts and IT tools can act on it.
"""

from __future__ import annotations

import argparse
from typing import Any

import keyring

from fieldkit.cli.output import emit_json
from fieldkit.core.client import open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.doctor import run_doctor
from fieldkit.core.home import resolve_home


def register(subparsers: Any) -> None:
    doctor = subparsers.add_parser(
        "doctor", help="check hub, token, disk, index, file watching, keyring and logs"
    )
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(run=run_doctor_command)


def run_doctor_command(args: argparse.Namespace) -> int:
    with open_client(resolve_home(args.home)) as client:
        backend = keyring.get_keyring()
        report = run_doctor(client, TokenStore(client.home, backend), backend)
    if args.json:
        emit_json(report.to_json())
    else:
        print(report.to_text(), end="")
    return 0 if report.ok else 1
