"""The fieldkit command line: a thin layer over the same core the app uses.

Each feature's commands live in their own module with a ``register(subparsers)`` function; a
command's handler takes the parsed arguments and returns the exit code. Expected problems
(:class:`FieldkitError`) print a clear message to stderr and exit 1; bad usage exits 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib import import_module

from fieldkit import __version__
from fieldkit.core.errors import FieldkitError, UsageError

log = logging.getLogger(__name__)

# Feature modules under fieldkit.cli, each with register(subparsers).
COMMAND_MODULES = (
    "library", "hub", "freshness", "sync", "hub_inbox", "hub_check", "requests", "demo", "app",
    "doctor",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldkit",
        description="Offline-first content library for field sales reps.",
    )
    parser.add_argument("--version", action="version", version=f"fieldkit {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="folder holding all client state (default: $FIELDKIT_HOME, else the per-user data "
        "folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"fieldkit.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"fieldkit: {exc}", file=sys.stderr)
        return 2
    except FieldkitError as exc:
        print(f"fieldkit: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fieldkit: interrupted", file=sys.stderr)
        return 130
