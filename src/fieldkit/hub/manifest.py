"""The manifest as served: serialized and gzipped once per generation, then reused.

A client that already has the current generation gets a 304 after one cheap generation lookup,
and a full manifest request after the first one costs no database work beyond that lookup.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fieldkit.hub.store import DocumentRecord, HubStore, VersionRecord


@dataclass(frozen=True)
class ManifestSnapshot:
    generation: int
    etag: str  # quoted, as sent in the ETag header
    body: bytes
    gzip_body: bytes


class ManifestCache:
    def __init__(self, store: HubStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._snapshot: ManifestSnapshot | None = None

    def current_generation(self) -> int:
        return self._store.generation().number

    def snapshot(self) -> ManifestSnapshot:
        """The manifest of the current generation, built at most once per generation."""
        generation = self._store.generation()
        cached = self._snapshot
        if cached is not None and cached.generation == generation.number:
            return cached
        with self._lock:
            cached = self._snapshot
            if cached is not None and cached.generation == generation.number:
                return cached
            # The generation is read before the documents: if a scan lands in between, the
            # snapshot is labelled older than its content and is simply rebuilt next time.
            documents = self._store.live_documents()
            body = json.dumps(
                {
                    "generation": generation.number,
                    "generated_at": iso_utc(generation.changed_at),
                    "documents": [document_json(doc) for doc in documents],
                },
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode("utf-8")
            digest = hashlib.sha256(body).hexdigest()[:16]
            snapshot = ManifestSnapshot(
                generation=generation.number,
                etag=f'"{generation.number}-{digest}"',
                body=body,
                gzip_body=gzip.compress(body, compresslevel=6, mtime=0),
            )
            self._snapshot = snapshot
            return snapshot


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def document_json(doc: DocumentRecord) -> dict[str, Any]:
    meta = doc.metadata
    return {
        "id": doc.id,
        "path": doc.path,
        "version": doc.version,
        "sha256": doc.sha256,
        "size": doc.size,
        "modified": iso_utc(doc.modified),
        "title": meta.title,
        "tags": list(meta.tags),
        "audience": list(meta.audience),
        "released": meta.released,
        "expires": meta.expires,
        "withdrawn": meta.withdrawn,
        "withdrawn_reason": meta.withdrawn_reason,
        "superseded_by": doc.superseded_by,
        "notes": meta.notes,
        "history": [version_json(item) for item in doc.history],
    }


def version_json(item: VersionRecord) -> dict[str, Any]:
    return {
        "version": item.version,
        "sha256": item.sha256,
        "size": item.size,
        "published_at": iso_utc(item.published_at),
        "notes": item.notes,
    }
