"""``fieldkit app``: open the desktop window. Qt is imported only when this command runs."""

from __future__ import annotations

import argparse
from typing import Any

from fieldkit.core.home import resolve_home


def register(subparsers: Any) -> None:
    app = subparsers.add_parser("app", help="open the desktop app")
    app.set_defaults(run=run_app)


def run_app(args: argparse.Namespace) -> int:
    from fieldkit.ui.launch import run
    from fieldkit.ui.startup import prepare_application

    prepare_application()
    return run(resolve_home(args.home), offer_demo=True)
