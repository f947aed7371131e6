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

# The modules under fieldkit.cli that register each top-level command (each has
# register(subparsers)). Only the modules of the command being run are imported, so a command
# does not pay for the hub's web stack or the index when it needs neither.
COMMANDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("add-folder", "remove-folder", "folders", "index", "search", "status"), ("library",)
    ),
    "hub": ("hub", "hub_inbox", "hub_check"),
    **dict.fromkeys(
        ("watch", "outdated", "replace-copy", "open", "whats-new", "kit"), ("freshness",)
    ),
    **dict.fromkeys(("connect", "sync", "pin", "unpin"), ("sync",)),
    **dict.fromkeys(("request", "feedback", "outbox", "requests"), ("requests",)),
    "demo": ("demo",),
    "app": ("app",),
    "doctor": ("doctor",),
}
COMMAND_MODULES = tuple(dict.fromkeys(m for modules in COMMANDS.values() for m in modules))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` only (fast), or for every command (help, unknown names)."""
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
    for name in COMMANDS.get(command or "", COMMAND_MODULES):
        import_module(f"fieldkit.cli.{name}").register(subparsers)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The command word in ``argv``, found without importing any command module."""
    front = argparse.ArgumentParser(add_help=False)
    front.add_argument("--home")
    front.add_argument("-v", "--verbose", action="store_true")
    front.add_argument("command", nargs="?")
    known, _rest = front.parse_known_args(argv)
    return known.command if known.command in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_name(arguments))
    args = parser.parse_args(arguments)
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
