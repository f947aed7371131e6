"""Open the latest: before a document opens, its newest approved version is fetched when the hub
can be reached; otherwise the local copy opens with a clear warning.

The fetching itself is the sync's (a :data:`Fetcher`: bring this one document up to date now,
ahead of anything else); this module decides what to open and what to tell the rep.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core import freshness
from fieldkit.core.catalog import MirrorEntry, MirrorFile
from fieldkit.core.errors import FieldkitError, OfflineError, UsageError
from fieldkit.core.home import HomePaths

log = logging.getLogger(__name__)

# Brings one document (by id) to its newest version now; raises OfflineError when the hub (or
# the shared folder) cannot be reached.
Fetcher = Callable[[str], None]
# Hands a file to the OS's default application.
Launcher = Callable[[Path], None]

_BEHIND = (freshness.OUTDATED, freshness.MODIFIED)
_WARN = (freshness.WITHDRAWN, freshness.SUPERSEDED, freshness.EXPIRED)


@dataclass(frozen=True)
class OpenTarget:
    path: Path  # the file to open
    doc_id: str | None  # None for a file that is not an approved document
    title: str
    version: int | None  # the version of the file opened
    latest_version: int | None
    fetched: bool  # the newest version was downloaded just now
    warning: str | None  # why this may not be the copy to show a customer


def locate(home: HomePaths, sessions: sessionmaker[Session], ref: str) -> tuple[str | None, Path]:
    """What ``ref`` names: a document id, a path in the mirror (relative or full), or any file —
    a file elsewhere whose bytes are a known version (an old copy) maps to its document.
    Returns (doc id or None, the path given or the mirror path)."""
    with sessions.begin() as session:
        entry = session.get(MirrorEntry, ref)
        if entry is not None:
            return entry.doc_id, home.mirror_dir.joinpath(*entry.rel_path.split("/"))
        rel = ref.strip().replace("\\", "/").strip("/")
        by_rel = session.scalar(select(MirrorEntry).where(MirrorEntry.rel_path == rel))
    candidate = Path(ref).expanduser()
    if not candidate.is_absolute() and by_rel is not None and not candidate.exists():
        return by_rel.doc_id, home.mirror_dir.joinpath(*by_rel.rel_path.split("/"))
    if not candidate.is_file():
        raise UsageError(f"No document or file '{ref}'. Give a document id or a file's path.")
    path = candidate.resolve()
    return _document_of(home, sessions, path), path


def prepare_open(
    home: HomePaths,
    sessions: sessionmaker[Session],
    ref: str,
    *,
    fetch: Fetcher | None,
    expiring_days: int,
    clock: freshness.Clock = freshness.utc_now,
) -> OpenTarget:
    """The file to open for ``ref``: its latest approved version, fetched first when possible."""
    doc_id, given = locate(home, sessions, ref)
    if doc_id is None:
        return OpenTarget(given, None, given.stem, None, None, False, None)
    before = _state(home, sessions, doc_id, expiring_days, clock)
    offline: str | None = None
    if fetch is not None:
        try:
            fetch(doc_id)
        except OfflineError as exc:
            offline = str(exc)
            log.info("open %s: %s", doc_id, exc)
    doc = _state(home, sessions, doc_id, expiring_days, clock)
    if doc is None:
        raise UsageError(
            f"“{before.title if before else doc_id}” is no longer on the hub."
        )
    fetched = doc.local_version is not None and (
        before is None or before.local_version != doc.local_version
    )
    if doc.local_path is None:
        if offline is not None:
            raise OfflineError(
                f"“{doc.title}” is not on this laptop yet and the hub can't be reached. "
                "Connect and try again."
            )
        raise FieldkitError(f"“{doc.title}” is not on this laptop yet. Sync, then try again.")
    warning = _warning(doc, offline, fetch is None)
    return OpenTarget(
        doc.local_path, doc.doc_id, doc.title, doc.local_version, doc.latest_version, fetched,
        warning,
    )


def default_launcher(path: Path) -> None:
    """Open ``path`` with the OS's default application (returns at once)."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    command = "open" if sys.platform == "darwin" else "xdg-open"
    try:
        process = subprocess.Popen(
            [command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise FieldkitError(
            f"Could not open {path} ({command}: {exc.strerror or exc}). Open it from your file "
            "manager."
        ) from exc
    # Reap it when it exits (xdg-open may wait for the app) without holding up the caller.
    threading.Thread(target=process.wait, name="fieldkit-open", daemon=True).start()


def _state(
    home: HomePaths,
    sessions: sessionmaker[Session],
    doc_id: str,
    expiring_days: int,
    clock: freshness.Clock,
) -> freshness.DocumentFreshness | None:
    report = freshness.read_freshness(
        home, sessions, expiring_days=expiring_days, now=clock(), only={doc_id}
    )
    return report.by_id().get(doc_id)


def _warning(doc: freshness.DocumentFreshness, offline: str | None, no_hub: bool) -> str | None:
    if doc.state == freshness.OUTDATED:
        why = (
            "the hub can't be reached right now"
            if offline is not None
            else "this laptop is not connected to a hub"
            if no_hub
            else "the newest version could not be fetched"
        )
        return f"Opening the copy on this laptop: {why}. “{doc.title}”: {doc.details}"
    if doc.state == freshness.MODIFIED:
        return f"“{doc.title}”: {doc.reason} The next sync restores the approved copy."
    if doc.state in _WARN:
        return f"“{doc.title}”: {doc.reason}"
    return None


def _document_of(home: HomePaths, sessions: sessionmaker[Session], path: Path) -> str | None:
    """The document a file belongs to: a mirror or archive file, or a copy of a known version."""
    for area, root in (("mirror", home.mirror_dir), ("archive", home.archive_dir)):
        try:
            rel = path.relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        with sessions.begin() as session:
            doc_id = session.scalar(
                select(MirrorFile.doc_id).where(MirrorFile.area == area, MirrorFile.rel_path == rel)
            ) or session.scalar(select(MirrorEntry.doc_id).where(MirrorEntry.rel_path == rel))
        return doc_id
    return _copy_of(sessions, path)


def _copy_of(sessions: sessionmaker[Session], path: Path) -> str | None:
    size = path.stat().st_size
    with sessions.begin() as session:
        entries = session.execute(
            select(MirrorEntry.doc_id, MirrorEntry.sha256, MirrorEntry.size, MirrorEntry.history)
        ).all()
    candidates: dict[str, str] = {}
    for row in entries:
        if row.size == size:
            candidates.setdefault(row.sha256, row.doc_id)
        for item in row.history:
            if isinstance(item, dict) and item.get("size") == size:
                digest = item.get("sha256")
                if isinstance(digest, str):
                    candidates.setdefault(digest, row.doc_id)
    if not candidates:
        return None
    return candidates.get(freshness.file_sha256(path))
