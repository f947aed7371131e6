"""Library commands: add-folder, remove-folder, folders, index, search, status."""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path
from typing import Any

from fieldkit.cli.output import ProgressLine, emit_json
from fieldkit.core.client import Client, open_client
from fieldkit.core.errors import UsageError
from fieldkit.core.home import resolve_home
from fieldkit.core.index import Hit, SearchRequest, SearchResults
from fieldkit.core.library import IndexProgress, IndexReport
from fieldkit.core.sync import sync_status

SORTS = ("relevance", "modified", "title")


def register(subparsers: Any) -> None:
    add = subparsers.add_parser("add-folder", help="index a folder of your own files")
    add.add_argument("folder", metavar="DIR")
    add.add_argument("--no-index", action="store_true", help="add it without indexing now")
    add.set_defaults(run=run_add_folder)

    remove = subparsers.add_parser("remove-folder", help="stop indexing one of your folders")
    remove.add_argument("folder", metavar="DIR")
    remove.set_defaults(run=run_remove_folder)

    folders = subparsers.add_parser("folders", help="list the folders in the library")
    folders.add_argument("--json", action="store_true")
    folders.set_defaults(run=run_folders)

    index = subparsers.add_parser("index", help="bring the search index up to date")
    index.add_argument("--json", action="store_true")
    index.set_defaults(run=run_index)

    search = subparsers.add_parser("search", help="search the library")
    search.add_argument("query", nargs="?", metavar="QUERY")
    search.add_argument("--queries", metavar="FILE", help="one query per line; JSON per line")
    search.add_argument("--limit", type=_positive_int, default=10, metavar="N")
    search.add_argument("--sort", choices=SORTS, default="relevance")
    search.add_argument("--withdrawn", action="store_true", help="include withdrawn documents")
    search.add_argument("--archived", action="store_true", help="include the archive")
    search.add_argument("--json", action="store_true")
    search.set_defaults(run=run_search)

    status = subparsers.add_parser("status", help="what the library holds and its health")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=run_status)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _client(args: argparse.Namespace) -> Client:
    return open_client(resolve_home(args.home))


def run_add_folder(args: argparse.Namespace) -> int:
    with _client(args) as client:
        info = client.library.add_folder(Path(args.folder))
        print(f"Added {info.path}")
        if not args.no_index:
            report = _index_with_progress(client, quiet=False)
            _print_report(report)
    return 0


def run_remove_folder(args: argparse.Namespace) -> int:
    with _client(args) as client:
        client.library.remove_folder(Path(args.folder))
    print(f"Removed {args.folder} from the library (your files are untouched).")
    return 0


def run_folders(args: argparse.Namespace) -> int:
    with _client(args) as client:
        folders = client.library.folders()
    if args.json:
        emit_json(
            {
                "folders": [
                    {"path": f.path, "kind": f.kind, "files": f.files, "failed": f.failed}
                    for f in folders
                ]
            }
        )
        return 0
    for f in folders:
        print(f"{f.kind:9} {f.files:6} files  {f.failed:4} failed  {f.path}")
    return 0


def run_index(args: argparse.Namespace) -> int:
    with _client(args) as client:
        report = _index_with_progress(client, quiet=args.json)
    if args.json:
        emit_json(report_json(report))
    else:
        _print_report(report)
    return 0


def report_json(report: IndexReport) -> dict[str, Any]:
    return {
        "indexed": report.indexed,
        "unchanged": report.unchanged,
        "removed": report.removed,
        "failed": report.failed,
        "truncated": report.truncated,
        "rebuilt": report.rebuilt,
        "failures": [{"path": f.path, "reason": f.reason} for f in report.failures],
    }


def _index_with_progress(client: Client, quiet: bool) -> IndexReport:
    line = ProgressLine("Indexing", enabled=not quiet)

    def on_progress(progress: IndexProgress) -> None:
        line.update(progress.done, progress.total, Path(progress.current or "").name)

    try:
        return client.library.index(progress=on_progress)
    finally:
        line.finish()


def _print_report(report: IndexReport) -> None:
    if report.rebuilt:
        print("The search index was damaged or outdated and has been rebuilt.")
    print(
        f"{report.indexed} indexed, {report.unchanged} unchanged, "
        f"{report.removed} removed, {report.failed} failed"
    )
    if report.truncated:
        print(f"{report.truncated} file(s) had more text than the cap; the rest was not indexed.")
    for failure in report.failures:
        print(f"  {failure.path}: {failure.reason}")


def run_search(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.queries is None):
        raise UsageError("Give either a QUERY or --queries FILE.")
    if args.queries is not None and not args.json:
        raise UsageError("--queries writes one JSON document per line: add --json.")
    with _client(args) as client:
        if not client.library.check_index():
            print("The search index was damaged; rebuilding it now…", file=sys.stderr)
            client.library.index()

        def run_one(query: str) -> SearchResults:
            return client.library.search(
                SearchRequest(
                    query=query,
                    limit=args.limit,
                    sort=args.sort,
                    include_withdrawn=args.withdrawn,
                    include_archived=args.archived,
                )
            )

        if args.queries is not None:
            try:
                lines = Path(args.queries).read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise UsageError(f"Cannot read {args.queries}: {exc.strerror}") from exc
            for query in lines:
                emit_json(results_json(run_one(query)))
            return 0
        results = run_one(args.query)
        client.signals.search_run(args.query, results.total)
    if args.json:
        emit_json(results_json(results))
    else:
        print_results(results)
    return 0


def results_json(results: SearchResults) -> dict[str, Any]:
    return {
        "query": results.query,
        "total": results.total,
        "corrected": results.corrected,
        "did_you_mean": results.did_you_mean,
        "hits": [hit_json(hit) for hit in results.hits],
        "facets": {name: dict(counts) for name, counts in results.facets.items()},
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "doc_id": hit.doc_id,
        "path": hit.path,
        "title": hit.title,
        "format": hit.format,
        "score": round(hit.score, 4),
        "location": {"kind": hit.location_kind, "number": hit.location_number},
        "also": list(hit.also),
        "snippet": hit.snippet,
        "status": hit.status,
        "version": hit.version,
        "modified": hit.modified.isoformat(),
        "folder": hit.folder,
        "tags": list(hit.tags),
    }


_MARK = re.compile(r"<b>(.*?)</b>", re.S)


def _plain_snippet(snippet: str, bold: bool) -> str:
    marked = _MARK.sub((lambda m: f"\033[1m{m.group(1)}\033[0m") if bold else r"[\1]", snippet)
    return html.unescape(marked)


def print_results(results: SearchResults) -> None:
    if results.corrected:
        print(f"No results for “{results.query}”; showing results for “{results.corrected}”.")
    print(f"{results.total} result(s)")
    bold = sys.stdout.isatty()
    for n, hit in enumerate(results.hits, 1):
        where = ""
        if hit.location_kind and hit.location_number:
            where = f", {hit.location_kind} {hit.location_number}"
            if hit.also:
                where += f" (also {', '.join(str(a) for a in hit.also)})"
        version = f" v{hit.version}" if hit.version else ""
        flag = "" if hit.status in ("current", "personal") else f" [{hit.status}]"
        print(f"{n:2}. {hit.title} ({hit.format}{where}){version}{flag}")
        print(f"    {hit.path}")
        if hit.snippet:
            print(f"    {_plain_snippet(hit.snippet, bold)}")
    if not results.hits and results.did_you_mean:
        print(f"Did you mean “{results.did_you_mean}”?")


def run_status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        status = client.library.status()
        extra = status_extra(client)
    document = {
        "documents": status.documents,
        "indexed": status.indexed,
        "failed": status.failed,
        "index_ok": status.index_ok,
        "index_problem": status.index_problem,
        "folders": [{"path": f.path, "kind": f.kind, "files": f.files} for f in status.folders],
        **extra,
    }
    if args.json:
        emit_json(document)
        return 0
    print(f"{status.documents} documents: {status.indexed} indexed, {status.failed} failed")
    health = "healthy" if status.index_ok else f"needs a rebuild ({status.index_problem})"
    print(f"Index: {health}")
    print(f"Mirror: {extra['mirror']}")
    source = {"hub": "Hub", "folder": "Shared folder"}.get(extra["source_kind"] or "", "Source")
    print(f"{source}: {extra['hub'] or 'not connected'}")
    print(f"Last good sync: {extra['last_sync'] or 'never'}")
    return 0


def status_extra(client: Client) -> dict[str, Any]:
    """Where approved content comes from (a hub's URL or a shared folder) and the last sync."""
    sync = sync_status(client.home, client.sessions)
    return {
        "hub": sync.source,
        "source_kind": sync.source_kind,
        "mirror": str(client.home.mirror_dir),
        "last_sync": sync.last_sync_at,
    }
