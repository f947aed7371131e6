"""Scanning the approved folder: which documents exist, their hashes and their metadata.

A scan walks the root, hashes only files whose size or modification time changed since the
database last saw them, reads sidecars whose size or modification time changed since this
scanner last read them, and hands the differences to the store in one transaction. One lock
serialises scans: the watcher, the periodic reconciler and the API all go through
:meth:`Scanner.scan`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fieldkit.hub.paths import SIDECAR_SUFFIX, is_document_name, is_visible_dir_name
from fieldkit.hub.sidecar import (
    DEFAULT_DIGEST,
    DEFAULT_METADATA,
    Metadata,
    metadata_digest,
    read_sidecar,
)
from fieldkit.hub.store import HubStore, KnownFile, ScanChanges, ScannedFile

log = logging.getLogger(__name__)

_DEFAULTS = (DEFAULT_METADATA, DEFAULT_DIGEST)


@dataclass(frozen=True)
class _Entry:
    path: str
    full: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanReport:
    changes: ScanChanges
    files: int
    hashed: int
    seconds: float
    # True when a file changed while it was being hashed: scan again once it settles.
    unsettled: bool


class Scanner:
    def __init__(self, root: Path, store: HubStore) -> None:
        self.root = root.resolve()
        self._store = store
        self._lock = threading.Lock()
        self._scanned = threading.Condition()
        self._generation = 0
        self._sidecars: dict[str, tuple[tuple[int, int], tuple[Metadata, str]]] = {}

    def scan(self) -> ScanReport:
        """One full scan; returns what changed. Safe to call from any thread."""
        with self._lock:
            report = self._scan()
        with self._scanned:
            self._generation = report.changes.generation
            self._scanned.notify_all()
        return report

    def wait_for_generation(self, generation: int, timeout: float) -> int:
        """Block until a scan has brought the manifest to ``generation`` or later (or until
        ``timeout`` seconds passed); returns the generation of the latest scan."""
        with self._scanned:
            self._scanned.wait_for(lambda: self._generation >= generation, timeout)
            return self._generation

    def _scan(self) -> ScanReport:
        started = time.perf_counter()
        if not self.root.is_dir():
            raise FileNotFoundError(f"The hub folder {self.root} is missing")
        known = self._store.known_files()
        entries, sidecar_files, unreadable = self._walk()
        sidecars = self._read_sidecars(sidecar_files)
        changed: list[ScannedFile] = []
        hashed = 0
        unsettled = False
        for entry in entries.values():
            before = known.get(entry.path)
            metadata, metadata_digest = sidecars.get(entry.path, _DEFAULTS)
            if before is not None and (before.size, before.mtime_ns) == (
                entry.size,
                entry.mtime_ns,
            ):
                digest: str | None = before.sha256
            else:
                digest = self._hash(entry)
                hashed += 1
            if digest is None:
                unsettled = True
                continue
            scanned = ScannedFile(
                entry.path, entry.size, entry.mtime_ns, digest, metadata, metadata_digest
            )
            if _differs(before, scanned):
                changed.append(scanned)
        # What could not be listed, stat'ed or hashed stays as the database knows it: a flaky
        # share must not make documents vanish from every rep's mirror.
        gone = [
            path
            for path in known
            if path not in entries and not _under_any(path, unreadable)
        ]
        if changed or gone:
            changes = self._store.apply_scan(changed, gone)
        else:
            changes = ScanChanges(generation=self._store.generation().number)
        report = ScanReport(
            changes, len(entries), hashed, time.perf_counter() - started, unsettled
        )
        if changes.any:
            log.info(
                "scan: %d added, %d changed, %d renamed, %d removed, %d metadata changes "
                "(generation %d, %d files, %d hashed, %.2f s)",
                changes.added,
                changes.changed,
                changes.renamed,
                changes.removed,
                changes.metadata_changed,
                changes.generation,
                report.files,
                report.hashed,
                report.seconds,
            )
        return report

    def _walk(self) -> tuple[dict[str, _Entry], dict[str, _Entry], set[str]]:
        """Every document file under the root (symlinks only when they stay inside the root);
        every sidecar, keyed by the path of the document it describes; and the paths that could
        not be read (folders end with '/'; the root is '')."""
        found: dict[str, _Entry] = {}
        sidecars: dict[str, _Entry] = {}
        unreadable: set[str] = set()
        pending = [(self.root, "")]
        while pending:
            folder, prefix = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    items = list(listing)
            except OSError as exc:
                log.warning("cannot list %s (%s); keeping its documents as they were", folder,
                            exc.strerror)
                unreadable.add(prefix)
                continue
            for item in items:
                rel = prefix + item.name
                try:
                    if item.is_dir(follow_symlinks=False):
                        if is_visible_dir_name(item.name):
                            pending.append((Path(item.path), rel + "/"))
                        continue
                    if item.name.endswith(SIDECAR_SUFFIX) and is_document_name(
                        item.name[: -len(SIDECAR_SUFFIX)]
                    ):
                        info = item.stat()
                        described = rel[: -len(SIDECAR_SUFFIX)]
                        sidecars[described] = _Entry(
                            described, Path(item.path), info.st_size, info.st_mtime_ns
                        )
                        continue
                    if not is_document_name(item.name):
                        continue
                    if item.is_symlink() and not self._link_stays_inside(Path(item.path)):
                        log.warning("%s is a link that leaves the hub folder; not served", rel)
                        continue
                    info = item.stat()
                except FileNotFoundError:
                    continue  # vanished since the listing
                except OSError as exc:
                    log.warning("cannot read %s (%s); keeping it as it was", rel, exc.strerror)
                    unreadable.add(rel)
                    continue
                if stat.S_ISREG(info.st_mode):
                    found[rel] = _Entry(rel, Path(item.path), info.st_size, info.st_mtime_ns)
        return found, {p: e for p, e in sidecars.items() if p in found}, unreadable

    def _link_stays_inside(self, link: Path) -> bool:
        try:
            return link.resolve(strict=True).is_relative_to(self.root)
        except (OSError, RuntimeError):
            return False

    def _hash(self, entry: _Entry) -> str | None:
        """SHA-256 of the file, or None when it changed while being read."""
        try:
            with open(entry.full, "rb") as stream:
                digest = hashlib.file_digest(stream, "sha256").hexdigest()
                after = os.fstat(stream.fileno())
        except OSError as exc:
            log.warning("cannot read %s (%s); keeping what the hub knew", entry.path, exc)
            return None
        if (after.st_size, after.st_mtime_ns) != (entry.size, entry.mtime_ns):
            log.info("%s changed while it was read; it will be scanned again", entry.path)
            return None
        return digest

    def _read_sidecars(self, sidecars: dict[str, _Entry]) -> dict[str, tuple[Metadata, str]]:
        """Metadata and its digest per document path, re-reading only sidecars that changed
        since the last scan."""
        result: dict[str, tuple[Metadata, str]] = {}
        for path, sidecar in sidecars.items():
            signature = (sidecar.size, sidecar.mtime_ns)
            cached = self._sidecars.get(path)
            if cached is not None and cached[0] == signature:
                result[path] = cached[1]
                continue
            parsed = read_sidecar(sidecar.full, path + SIDECAR_SUFFIX)
            for problem in parsed.problems:
                log.warning("%s", problem)
            read = (parsed.metadata, metadata_digest(parsed.metadata))
            self._sidecars[path] = (signature, read)
            result[path] = read
        for path in set(self._sidecars) - set(sidecars):
            del self._sidecars[path]
        return result


def _under_any(path: str, unreadable: set[str]) -> bool:
    """Whether ``path`` is, or lies in a folder, that could not be read ('' is the root)."""
    return path in unreadable or any(
        prefix == "" or (prefix.endswith("/") and path.startswith(prefix))
        for prefix in unreadable
    )


def _differs(before: KnownFile | None, scanned: ScannedFile) -> bool:
    if before is None:
        return True
    return (before.size, before.mtime_ns, before.sha256, before.metadata_digest) != (
        scanned.size,
        scanned.mtime_ns,
        scanned.sha256,
        scanned.metadata_digest,
    )
