"""``fieldkit demo``: a hub over the bundled sample library, and the app connected to it.

Without a display (a server, CI) it shows the same library from the command line instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from fieldkit.cli.library import print_results
from fieldkit.core.client import open_client
from fieldkit.core.demo import DemoHub, default_demo_home
from fieldkit.core.home import HomePaths, resolve_home
from fieldkit.core.index import SearchRequest

TOUR_QUERIES = ("schema drift", "planogram", "pricing type:xlsx", "cafe", "healthcare FHIR")


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo", help="run fieldkit on a bundled demo library (a hub in-process and the app)"
    )
    demo.add_argument(
        "--no-window", action="store_true", help="show the demo in the terminal, not the app"
    )
    demo.set_defaults(run=run_demo)


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def _demo_home(args: argparse.Namespace) -> HomePaths:
    if args.home or os.environ.get("FIELDKIT_HOME"):
        return resolve_home(args.home)
    return default_demo_home()


def run_demo(args: argparse.Namespace) -> int:
    home = _demo_home(args)
    demo = DemoHub(home)
    try:
        with open_client(home) as client:
            ready = demo.start(client)
            print(f"Demo hub serving the sample library on {ready.hub_url}")
            print(f"Demo home: {home.root}")
            window = has_display() and not args.no_window
            if not window:
                _tour(client)
        if window:
            from fieldkit.ui.app import run

            return run(home)
        print(
            "\nNo display here: this was the terminal tour. On a desktop, `./dev demo` opens "
            "the app."
        )
        return 0
    finally:
        demo.stop()


def _tour(client: Any) -> None:
    status = client.library.status()
    print(
        f"\nLibrary: {status.documents} documents, {status.indexed} indexed, "
        f"{status.failed} failed."
    )
    for query in TOUR_QUERIES:
        print(f"\n$ fieldkit search '{query}'")
        print_results(client.library.search(SearchRequest(query=query, limit=3)))
