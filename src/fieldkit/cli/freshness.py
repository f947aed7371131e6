"""Freshness commands: watch, outdated, replace-copy, open, whats-new, kit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fieldkit.cli.output import ProgressLine, emit_json
from fieldkit.core import freshness
from fieldkit.core.catalog import KeyValue
from fieldkit.core.client import Client, open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.fetch_one import source_fetcher
from fieldkit.core.home import resolve_home
from fieldkit.core.kits import KitInfo, KitReadiness, Kits
from fieldkit.core.open_latest import Fetcher, Launcher, default_launcher, prepare_open
from fieldkit.core.stale import ScanProgress, StaleCopies, StaleCopy, suggested_folders
from fieldkit.core.sync import HUB_KEY, SyncResult, open_source
from fieldkit.core.whatsnew import WhatsNew, WhatsNewTracker

# How `fieldkit open` hands a file to the desktop; replaceable by embedding code.
LAUNCHER: Launcher = default_launcher


def register(subparsers: Any) -> None:
    watch = subparsers.add_parser("watch", help="folders searched for old copies of documents")
    watch_commands = watch.add_subparsers(dest="watch_command", metavar="ACTION", required=True)
    add = watch_commands.add_parser("add", help="search a folder for old copies")
    add.add_argument("folder", metavar="DIR")
    add.set_defaults(run=run_watch_add)
    listing = watch_commands.add_parser("list", help="the watched folders (and suggestions)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_watch_list)
    remove = watch_commands.add_parser("remove", help="stop searching a folder")
    remove.add_argument("folder", metavar="DIR")
    remove.set_defaults(run=run_watch_remove)

    outdated = subparsers.add_parser(
        "outdated", help="documents and copies on this laptop that are not current"
    )
    outdated.add_argument("--json", action="store_true")
    outdated.set_defaults(run=run_outdated)

    replace = subparsers.add_parser(
        "replace-copy", help="put the latest version in place of an old copy (old one to trash)"
    )
    replace.add_argument("path", metavar="PATH")
    replace.add_argument(
        "--latest-name", action="store_true", help="name it like the latest version"
    )
    replace.set_defaults(run=run_replace_copy)

    opener = subparsers.add_parser(
        "open", help="open the latest version of a document (fetched first when possible)"
    )
    opener.add_argument("ref", metavar="DOC_ID_OR_PATH")
    opener.add_argument(
        "--print-path", action="store_true", help="print the file's path instead of opening it"
    )
    opener.set_defaults(run=run_open)

    news = subparsers.add_parser("whats-new", help="documents added or updated since you looked")
    news.add_argument("--json", action="store_true")
    news.add_argument("--keep", action="store_true", help="do not mark them as seen")
    news.set_defaults(run=run_whats_new)

    _register_kit(subparsers)


def _register_kit(subparsers: Any) -> None:
    kit = subparsers.add_parser("kit", help="meeting kits")
    commands = kit.add_subparsers(dest="kit_command", metavar="ACTION", required=True)
    new = commands.add_parser("new", help="create a kit")
    new.add_argument("name", metavar="NAME")
    new.add_argument("--date", metavar="WHEN", help="2026-12-01 or '2026-12-01 10:00'")
    new.add_argument("--customer", metavar="NAME")
    new.set_defaults(run=run_kit_new)
    add = commands.add_parser("add", help="add documents to a kit (they are pinned)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("refs", metavar="DOC_ID", nargs="+")
    add.set_defaults(run=run_kit_add)
    remove = commands.add_parser("remove", help="take documents out of a kit")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("doc_ids", metavar="DOC_ID", nargs="+")
    remove.set_defaults(run=run_kit_remove)
    check = commands.add_parser("check", help="is the kit ready? (exit 1 when not)")
    check.add_argument("name", metavar="NAME")
    check.add_argument("--json", action="store_true")
    check.set_defaults(run=run_kit_check)
    export = commands.add_parser("export", help="copy a kit to a folder or zip, version-stamped")
    export.add_argument("name", metavar="NAME")
    export.add_argument("dest", metavar="DEST")
    export.add_argument("--zip", action="store_true", help="write a zip file")
    export.add_argument("--anyway", action="store_true", help="export even if not ready")
    export.set_defaults(run=run_kit_export)
    listing = commands.add_parser("list", help="the kits")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_kit_list)
    delete = commands.add_parser("delete", help="delete a kit (documents stay)")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(run=run_kit_delete)


def _client(args: argparse.Namespace) -> Client:
    return open_client(resolve_home(args.home))


def _stale(client: Client) -> StaleCopies:
    return StaleCopies(client.home, client.sessions, expiring_days=client.settings.expiring_days)


def _kits(client: Client) -> Kits:
    return Kits(client.home, client.sessions, expiring_days=client.settings.expiring_days)


def _warn(text: str) -> None:
    print(f"fieldkit: warning: {text}", file=sys.stderr)


# -- watch -------------------------------------------------------------------------------------


def run_watch_add(args: argparse.Namespace) -> int:
    with _client(args) as client:
        folder = _stale(client).add_folder(Path(args.folder))
    print(f"Watching {folder} for old copies of approved documents.")
    return 0


def run_watch_remove(args: argparse.Namespace) -> int:
    with _client(args) as client:
        folder = _stale(client).remove_folder(Path(args.folder))
    print(f"No longer watching {folder}.")
    return 0


def run_watch_list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        folders = _stale(client).folders()
    suggested = [p for p in suggested_folders() if p.resolve() not in folders]
    if args.json:
        emit_json(
            {"folders": [str(p) for p in folders], "suggested": [str(p) for p in suggested]}
        )
        return 0
    if not folders:
        print("No watched folders. Add one with: fieldkit watch add DIR")
    for folder in folders:
        print(folder)
    if suggested:
        print("Suggested: " + ", ".join(str(p) for p in suggested))
    return 0


# -- outdated and stale copies -----------------------------------------------------------------


def run_outdated(args: argparse.Namespace) -> int:
    with _client(args) as client:
        stale = _stale(client)
        line = ProgressLine("Looking for old copies", enabled=not args.json)

        def on_progress(progress: ScanProgress) -> None:
            line.update(progress.files, 0, Path(str(progress.current or "")).name)

        try:
            scan = stale.scan(progress=on_progress)
        finally:
            line.finish()
        watched = stale.folders()
        report = freshness.read_freshness(
            client.home,
            client.sessions,
            expiring_days=client.settings.expiring_days,
            now=freshness.utc_now(),
        )
    attention = report.attention()
    if args.json:
        emit_json(
            {
                "checked_at": _iso(report.checked_at),
                "checked": report.checked,
                "documents": [_document_json(d) for d in attention],
                "stale_copies": [_copy_json(c) for c in scan.copies],
            }
        )
        return 0
    print(f"Approved documents ({report.checked}):")
    if not attention:
        print("  all current.")
    for doc in attention:
        print(f"  [{doc.state}] {doc.title} — {doc.reason}")
        print(f"      {doc.details}")
    looked = f"{scan.files} file{'s' if scan.files != 1 else ''} looked at"
    print(f"Old copies in watched folders ({looked}):")
    if not watched:
        print("  no folders are watched; add one with: fieldkit watch add DIR")
    elif not scan.copies:
        print("  none found.")
    for copy in scan.copies:
        print(f"  {copy.reason}")
        print(f"      {copy.path}")
    return 0


def _document_json(doc: freshness.DocumentFreshness) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "state": doc.state,
        "local_version": doc.local_version,
        "latest_version": doc.latest_version,
        "reason": doc.reason,
        "details": doc.details,
        "path": str(doc.local_path) if doc.local_path else None,
    }


def _copy_json(copy: StaleCopy) -> dict[str, Any]:
    return {
        "path": str(copy.path),
        "doc_id": copy.doc_id,
        "title": copy.title,
        "copy_version": copy.copy_version,
        "latest_version": copy.latest_version,
        "state": copy.state,
        "reason": copy.reason,
    }


def run_replace_copy(args: argparse.Namespace) -> int:
    with _client(args) as client:
        replaced = _stale(client).replace_with_latest(
            Path(args.path), name="latest" if args.latest_name else "copy"
        )
    print(f"Moved {replaced.old_path} to the trash.")
    print(f"Put v{replaced.version} at {replaced.new_path}")
    return 0


# -- open --------------------------------------------------------------------------------------


def run_open(args: argparse.Namespace) -> int:
    with _client(args) as client:
        target = prepare_open(
            client.home,
            client.sessions,
            args.ref,
            fetch=_fetcher(client),
            expiring_days=client.settings.expiring_days,
        )
    if target.fetched:
        print(f"Fetched v{target.version} of “{target.title}”.", file=sys.stderr)
    if target.warning:
        _warn(target.warning)
    if args.print_path:
        print(target.path)
    else:
        LAUNCHER(target.path)
    return 0


def _fetcher(client: Client) -> Fetcher | None:
    """Fetches through the connected hub or folder; None when this laptop is not connected."""
    with client.sessions.begin() as session:
        connected = session.get(KeyValue, HUB_KEY) is not None
    if not connected:
        return None
    tokens = TokenStore(client.home)

    def index_changes(result: SyncResult) -> None:
        if result.changed_paths:
            client.library.index(only=result.changed_paths)

    return source_fetcher(
        client.home,
        client.sessions,
        lambda: open_source(client.sessions, tokens, connections=1),
        after=index_changes,
    )


# -- what's new --------------------------------------------------------------------------------


def run_whats_new(args: argparse.Namespace) -> int:
    with _client(args) as client:
        tracker = WhatsNewTracker(client.home, client.sessions)
        news = tracker.since_last_looked()
        if not args.keep:
            tracker.mark_looked()
    if args.json:
        emit_json(_news_json(news))
        return 0
    since = f"since {news.since:%Y-%m-%d %H:%M} UTC" if news.since else "so far"
    if not news.documents:
        print(f"Nothing new {since}.")
        return 0
    print(f"{len(news.documents)} new or updated {since}:")
    for doc in news.documents:
        change = "new" if doc.change == "added" else f"v{doc.previous_version} → v{doc.version}"
        notes = f": {doc.notes}" if doc.notes else ""
        print(f"  {doc.title} ({change}){notes}")
    return 0


def _news_json(news: WhatsNew) -> dict[str, Any]:
    return {
        "since": _iso(news.since),
        "documents": [
            {
                "doc_id": d.doc_id,
                "title": d.title,
                "path": d.rel_path,
                "change": d.change,
                "version": d.version,
                "previous_version": d.previous_version,
                "published_at": _iso(d.published_at),
                "notes": d.notes,
            }
            for d in news.documents
        ],
    }


# -- kits --------------------------------------------------------------------------------------


def run_kit_new(args: argparse.Namespace) -> int:
    with _client(args) as client:
        kit = _kits(client).create(args.name, customer=args.customer, meeting=args.date)
    print(f"Created the kit “{kit.name}”.")
    return 0


def run_kit_add(args: argparse.Namespace) -> int:
    return _kit_change(args, lambda kits: kits.add(args.name, args.refs))


def run_kit_remove(args: argparse.Namespace) -> int:
    return _kit_change(args, lambda kits: kits.remove(args.name, args.doc_ids))


def _kit_change(args: argparse.Namespace, change: Callable[[Kits], KitInfo]) -> int:
    with _client(args) as client:
        kit = change(_kits(client))
    count = len(kit.doc_ids)
    print(f"“{kit.name}” has {count} document{'s' if count != 1 else ''}.")
    return 0


def run_kit_check(args: argparse.Namespace) -> int:
    with _client(args) as client:
        readiness = _kits(client).check(args.name)
    if args.json:
        emit_json(_readiness_json(readiness))
    else:
        print(f"{readiness.message} ({readiness.checked})")
        for item in readiness.items:
            mark = "ok " if item.ready else "!! "
            print(f"  {mark}{item.title} — {item.reason if item.ready else item.problem}")
    return 0 if readiness.ready else 1


def _readiness_json(readiness: KitReadiness) -> dict[str, Any]:
    return {
        **_kit_json(readiness.kit),
        "ready": readiness.ready,
        "message": readiness.message,
        "update_helps": readiness.update_helps,
        "checked": readiness.checked,
        "items": [
            {
                "doc_id": item.doc_id,
                "title": item.title,
                "state": item.state,
                "ready": item.ready,
                "problem": item.problem,
                "reason": item.reason,
                "local_version": item.local_version,
                "latest_version": item.latest_version,
                "path": str(item.local_path) if item.local_path else None,
            }
            for item in readiness.items
        ],
    }


def _kit_json(kit: KitInfo) -> dict[str, Any]:
    meeting = None
    if kit.meeting is not None:
        meeting = kit.meeting.strftime("%Y-%m-%dT%H:%M" if kit.meeting_has_time else "%Y-%m-%d")
    return {
        "name": kit.name,
        "customer": kit.customer,
        "meeting": meeting,
        "doc_ids": list(kit.doc_ids),
    }


def run_kit_export(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = _kits(client).export(
            args.name, Path(args.dest), as_zip=args.zip, anyway=args.anyway
        )
    print(f"Exported {len(result.files) - 1} file(s) and a version stamp to {result.path}")
    return 0


def run_kit_list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        kits = _kits(client).all()
    if args.json:
        emit_json({"kits": [_kit_json(kit) for kit in kits]})
        return 0
    if not kits:
        print("No kits yet. Create one with: fieldkit kit new NAME")
    for kit in kits:
        when = kit.meeting_text() or "no date"
        who = f", {kit.customer}" if kit.customer else ""
        print(f"{kit.name} ({when}{who}): {len(kit.doc_ids)} document(s)")
    return 0


def run_kit_delete(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _kits(client).delete(args.name)
    print(f"Deleted the kit “{args.name}” (its documents stay in the library).")
    return 0


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None
