"""Where approved content comes from: a hub over HTTP, or a folder (a mounted share or a synced
folder such as OneDrive or Dropbox). Both give the sync the same two things: a manifest, and the
bytes of one document version from an offset (so interrupted downloads resume).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit import __version__
from fieldkit.core.catalog import FolderSourceFile, KeyValue
from fieldkit.core.errors import AuthError, FieldkitError, OfflineError
from fieldkit.core.hub_transport import hub_transport
from fieldkit.core.manifest import Manifest, ManifestDocument, ManifestError, parse_manifest

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
FOLDER_STATE_KEY = "folder_source"

EventHooks = Mapping[str, list[Callable[..., Any]]]


class SourceUnreachable(OfflineError):
    """The hub or the folder cannot be reached at all."""


class StreamInterrupted(FieldkitError):
    """A download broke off part-way; it can resume from the bytes already written."""


class DocumentChanged(FieldkitError):
    """The version asked for is no longer there (it changed or left during the sync)."""


class RangeNotSatisfiable(FieldkitError):
    """The source refused to resume from the given offset; start the file again."""


@dataclass(frozen=True)
class FetchedManifest:
    manifest: Manifest
    etag: str | None


@dataclass(frozen=True)
class Stream:
    """Bytes of one document version, starting at ``start`` (0 when a resume was refused)."""

    start: int
    chunks: Iterator[bytes | memoryview]


@dataclass(frozen=True)
class Delivery:
    """One document version of :meth:`Source.open_many`: its bytes, or why they did not come."""

    document: ManifestDocument
    stream: Stream | None
    error: FieldkitError | None = None


class Source(Protocol):
    @property
    def key(self) -> str:
        """What identifies this source (its URL or folder), for ETags and messages."""

    @property
    def label(self) -> str:
        """The source in words: "the hub at …" or "the folder …"."""

    def fetch_manifest(self, etag: str | None) -> FetchedManifest | None:
        """The manifest, or None when it still has the tag ``etag``."""

    def open(self, document: ManifestDocument, offset: int) -> AbstractContextManager[Stream]:
        """The bytes of ``document``'s version from ``offset``."""

    def open_many(
        self, documents: list[ManifestDocument]
    ) -> AbstractContextManager[Iterator[Delivery]]:
        """The whole bytes of several document versions, one :class:`Delivery` each, in order.

        Each delivery's chunks are read before the next delivery is taken. Documents not
        delivered (the iteration ends early, or raises ``StreamInterrupted`` or
        ``SourceUnreachable``) are for :meth:`open` to fetch.
        """

    def close(self) -> None: ...


def normalize_hub_url(url: str) -> str:
    text = url.strip().rstrip("/")
    parsed = httpx.URL(text)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FieldkitError(f"'{url}' is not a hub address; it should look like https://hub:8765")
    return text


class HubSource:
    """A fieldkit hub (see the HTTP contract): keep-alive connections shared by the downloads."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        connections: int = 4,
        event_hooks: EventHooks | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        windows: bool = os.name == "nt",
    ) -> None:
        self._url = normalize_hub_url(url)
        self._windows = windows
        limits = httpx.Limits(
            max_connections=connections + 1, max_keepalive_connections=connections + 1
        )
        self._client = httpx.Client(
            base_url=self._url + "/api/v1",
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"fieldkit/{__version__}"},
            transport=hub_transport(self._url, limits=limits),
            limits=limits,
            # No pool timeout: a download waiting for a free connection is not "offline".
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s, pool=None),
            event_hooks=dict(event_hooks or {}),
            # For httpx's own transport, used where a proxy is set (HubTransport verifies TLS
            # the same way).
            verify=not self._url.startswith("http://"),
        )

    @property
    def key(self) -> str:
        return self._url

    @property
    def label(self) -> str:
        return f"the hub at {self._url}"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HubSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def health(self) -> dict[str, Any]:
        """The hub's health answer; raises SourceUnreachable if it is not a working hub."""
        response = self._request("GET", "/health")
        if response.status_code != 200:
            raise SourceUnreachable(
                f"{self._url} answered but is not a fieldkit hub (HTTP {response.status_code} "
                "on /api/v1/health). Check the address."
            )
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("status") != "ok":
            raise SourceUnreachable(f"{self._url} answered but is not a working fieldkit hub.")
        return data

    def fetch_manifest(self, etag: str | None) -> FetchedManifest | None:
        headers = {"If-None-Match": etag} if etag else {}
        response = self._request("GET", "/manifest", headers=headers)
        if response.status_code == 304:
            return None
        self._raise_for_status(response, "the manifest")
        try:
            data = response.json()
        except ValueError as exc:
            raise ManifestError(f"{self.label} sent a manifest that is not valid JSON.") from exc
        return FetchedManifest(
            parse_manifest(data, windows=self._windows), response.headers.get("ETag")
        )

    @contextmanager
    def open(self, document: ManifestDocument, offset: int) -> Iterator[Stream]:
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = self._client.build_request(
            "GET", f"/files/{document.id}", params={"version": document.version}, headers=headers
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        try:
            if response.status_code in (404, 410):
                raise DocumentChanged(
                    "it changed or was removed on the hub during this sync; the next sync "
                    "fetches the new version"
                )
            if response.status_code == 503:
                raise DocumentChanged(
                    "it is being changed on the hub right now; the next sync fetches it"
                )
            if response.status_code == 416:
                raise RangeNotSatisfiable("the hub could not resume this download")
            if response.status_code not in (200, 206):
                self._raise_for_status(response, f"'{document.path}'")
            advertised = response.headers.get("X-Content-SHA256")
            if advertised is not None and advertised.lower() != document.sha256:
                raise DocumentChanged(
                    "it changed on the hub during this sync; the next sync fetches it"
                )
            start = _range_start(response) if response.status_code == 206 else 0
            yield Stream(start, _hub_chunks(response))
        finally:
            response.close()

    @contextmanager
    def open_many(self, documents: list[ManifestDocument]) -> Iterator[Iterator[Delivery]]:
        body = {"files": [{"id": d.id, "version": d.version} for d in documents]}
        request = self._client.build_request(
            "POST", "/files", json=body, headers={"Accept-Encoding": "identity"}
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        try:
            if response.status_code in (404, 405):
                # A hub from before this request existed: each file comes on its own.
                yield iter(())
                return
            self._raise_for_status(response, "the documents")
            yield _deliveries(documents, _Frames(_hub_chunks(response)))
        finally:
            response.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: httpx.TransportError) -> SourceUnreachable:
        why = {
            httpx.ConnectError: "no connection",
            httpx.ConnectTimeout: "no answer in time",
            httpx.ReadTimeout: "it stopped answering",
        }.get(type(exc), type(exc).__name__)
        return SourceUnreachable(
            f"The hub at {self._url} can't be reached ({why}). Everything already on this "
            "laptop keeps working; sync again when you are back online."
        )

    def _raise_for_status(self, response: httpx.Response, what: str) -> None:
        if response.status_code == 401 or response.status_code == 403:
            raise AuthError(
                f"The hub at {self._url} refused this laptop's token. Ask marketing for a new "
                "token, then run: fieldkit connect URL --token TOKEN"
            )
        if response.status_code >= 500:
            raise SourceUnreachable(
                f"The hub at {self._url} has a problem (HTTP {response.status_code}) and could "
                f"not send {what}. Try again later; everything on this laptop keeps working."
            )
        if response.status_code != 200:
            raise FieldkitError(
                f"The hub at {self._url} could not send {what} (HTTP {response.status_code}). "
                "Check the address."
            )


class _Frames:
    """Reads the hub's framed answer to ``POST /files``: header lines and exact byte runs,
    without copying the bytes of the chunks they arrive in."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._at = 0

    def _fill(self) -> None:
        for chunk in self._chunks:
            if chunk:
                self._chunk, self._at = chunk, 0
                return
        raise StreamInterrupted("the hub's answer ended before every document in it")

    def line(self) -> bytes:
        parts: list[bytes] = []
        while True:
            if self._at >= len(self._chunk):
                self._fill()
            end = self._chunk.find(b"\n", self._at)
            if end >= 0:
                parts.append(self._chunk[self._at : end])
                self._at = end + 1
                return b"".join(parts)
            parts.append(self._chunk[self._at :])
            self._at = len(self._chunk)
            if sum(map(len, parts)) > 64 * 1024:
                raise StreamInterrupted("the hub's answer is not in the expected format")

    def body(self, size: int) -> Iterator[memoryview]:
        left = size
        while left:
            if self._at >= len(self._chunk):
                self._fill()
            take = min(left, len(self._chunk) - self._at)
            yield memoryview(self._chunk)[self._at : self._at + take]
            self._at += take
            left -= take


def _deliveries(documents: list[ManifestDocument], frames: _Frames) -> Iterator[Delivery]:
    for document in documents:
        try:
            header = json.loads(frames.line())
            status = int(header["status"])
            same = header["id"] == document.id and header["version"] == document.version
        except (ValueError, TypeError, KeyError) as exc:
            raise StreamInterrupted("the hub's answer is not in the expected format") from exc
        if not same:
            raise StreamInterrupted("the hub answered for other documents than were asked")
        if status != 200:
            yield Delivery(document, None, _delivery_error(status, header.get("detail")))
            continue
        size, digest = header.get("size"), header.get("sha256")
        if not isinstance(size, int) or size < 0 or not isinstance(digest, str):
            raise StreamInterrupted("the hub's answer is not in the expected format")
        body = frames.body(size)
        if size != document.size or digest.lower() != document.sha256:
            for _ in body:  # the framing goes on after these bytes
                pass
            yield Delivery(
                document, None,
                DocumentChanged("it changed on the hub during this sync; the next sync fetches it"),
            )
            continue
        yield Delivery(document, Stream(0, body))
        for _ in body:  # whatever the reader left of it
            pass


def _delivery_error(status: int, detail: object) -> FieldkitError:
    if status in (404, 410):
        return DocumentChanged(
            "it changed or was removed on the hub during this sync; the next sync fetches the "
            "new version"
        )
    if status == 503:
        return DocumentChanged("it is being changed on the hub right now; the next sync fetches it")
    return FieldkitError(f"the hub could not send it (HTTP {status}: {detail})")


def _range_start(response: httpx.Response) -> int:
    value = response.headers.get("Content-Range", "")
    unit, _, spec = value.partition(" ")
    first = spec.partition("-")[0]
    if unit != "bytes" or not first.isdigit():
        raise StreamInterrupted("the hub answered a resume without a valid Content-Range")
    return int(first)


def _hub_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body in the pieces it arrives in (re-chunking them would copy every byte)."""
    try:
        yield from response.iter_raw()
    except httpx.TransportError as exc:
        raise StreamInterrupted(f"the connection broke off ({type(exc).__name__})") from exc


class FolderSource:
    """A folder as the source: ids from the relative path, versions from the hash history.

    The folder is scanned on every manifest fetch; a file whose size and modification time are
    unchanged keeps its recorded hash, so only new and changed files are read. Sidecars
    (``<name>.meta.toml``) give the metadata, read by the hub's own code: which files are
    documents and what a sidecar means is the same for both sources.

    The hub modules are imported where they are used: the ``fieldkit.hub`` package loads the
    whole server (FastAPI, uvicorn), which an app syncing from a hub never needs.
    """

    def __init__(
        self,
        root: Path,
        sessions: sessionmaker[Session],
        *,
        windows: bool = os.name == "nt",
    ) -> None:
        self._root = root
        self._sessions = sessions
        self._windows = windows

    @property
    def key(self) -> str:
        return str(self._root)

    @property
    def label(self) -> str:
        return f"the folder {self._root}"

    def close(self) -> None:
        """Nothing is held open between calls."""

    def fetch_manifest(self, etag: str | None) -> FetchedManifest | None:
        if not self._root.is_dir():
            raise SourceUnreachable(
                f"The folder {self._root} can't be reached (is the share mounted?). Everything "
                "already on this laptop keeps working."
            )
        documents = self._scan()
        body = json.dumps(documents, sort_keys=True).encode()
        tag = hashlib.sha256(body).hexdigest()[:32]
        with self._sessions.begin() as session:
            state = session.get(KeyValue, FOLDER_STATE_KEY)
            value = dict(state.value) if state is not None else {}
            if value.get("root") != str(self._root):
                value = {"root": str(self._root), "generation": 0, "etag": None}
            if value.get("etag") != tag:
                value = {**value, "generation": int(value["generation"]) + 1, "etag": tag}
                session.merge(KeyValue(key=FOLDER_STATE_KEY, value=value))
        if etag == tag:
            return None
        manifest = parse_manifest(
            {"generation": value["generation"], "generated_at": _now(), "documents": documents},
            windows=self._windows,
        )
        return FetchedManifest(manifest, tag)

    @contextmanager
    def open(self, document: ManifestDocument, offset: int) -> Iterator[Stream]:
        from fieldkit.hub.paths import resolve_inside

        if not self._root.is_dir():
            raise SourceUnreachable(f"The folder {self._root} can't be reached.")
        path = resolve_inside(self._root.resolve(), document.path)
        if path is None:
            raise DocumentChanged("it left the folder during this sync")
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the with block below
        except FileNotFoundError as exc:
            raise DocumentChanged("it left the folder during this sync") from exc
        except OSError as exc:
            raise StreamInterrupted(f"it cannot be read ({exc.strerror})") from exc
        with handle:
            handle.seek(offset)
            yield Stream(offset, _file_chunks(handle))

    @contextmanager
    def open_many(self, documents: list[ManifestDocument]) -> Iterator[Iterator[Delivery]]:
        yield self._deliveries(documents)

    def _deliveries(self, documents: list[ManifestDocument]) -> Iterator[Delivery]:
        for document in documents:
            try:
                with self.open(document, 0) as stream:
                    yield Delivery(document, stream)
            except DocumentChanged as exc:
                yield Delivery(document, None, exc)

    def _scan(self) -> list[dict[str, Any]]:
        with self._sessions.begin() as session:
            known = {row.rel_path: row for row in session.scalars(select(FolderSourceFile))}
        found, sidecars = _walk_documents(self._root)
        now = _now()
        changed: list[FolderSourceFile] = []
        for rel_path, info in found.items():
            row = known.get(rel_path)
            if row is not None and row.size == info.st_size and row.mtime_ns == info.st_mtime_ns:
                continue
            try:
                digest = _hash_file(self._root / rel_path)
            except OSError as exc:
                log.warning("cannot read %s in the source folder: %s", rel_path, exc)
                continue
            changed.append(_next_version(row, rel_path, digest, info, now))
        with self._sessions.begin() as session:
            gone = list(known.keys() - found.keys())
            if gone:
                session.execute(
                    delete(FolderSourceFile).where(FolderSourceFile.rel_path.in_(gone))
                )
            replaced = [row.rel_path for row in changed if row.rel_path in known]
            for batch in range(0, len(replaced), 500):
                session.execute(
                    delete(FolderSourceFile).where(
                        FolderSourceFile.rel_path.in_(replaced[batch : batch + 500])
                    )
                )
            session.add_all(changed)
            session.flush()
            rows = list(session.scalars(select(FolderSourceFile)))
        ids_by_path = {row.rel_path: row.doc_id for row in rows}
        return [self._document(row, ids_by_path, sidecars) for row in rows]

    def _document(
        self, row: FolderSourceFile, ids_by_path: dict[str, str], sidecars: set[str]
    ) -> dict[str, Any]:
        from fieldkit.hub.paths import SIDECAR_SUFFIX
        from fieldkit.hub.sidecar import Metadata, read_sidecar

        sidecar = row.rel_path + SIDECAR_SUFFIX
        meta = Metadata()
        if sidecar in sidecars:
            result = read_sidecar(self._root / sidecar, sidecar)
            for problem in result.problems:
                log.warning("%s", problem)
            meta = result.metadata
        return {
            "id": row.doc_id,
            "path": row.rel_path,
            "version": row.version,
            "sha256": row.sha256,
            "size": row.size,
            "modified": row.published_at,
            "title": meta.title,
            "tags": list(meta.tags),
            "audience": list(meta.audience),
            "released": meta.released,
            "expires": meta.expires,
            "withdrawn": meta.withdrawn,
            "withdrawn_reason": meta.withdrawn_reason,
            "superseded_by": ids_by_path.get(meta.superseded_by or ""),
            "notes": meta.notes,
            "history": list(row.history),
        }


def folder_doc_id(rel_path: str) -> str:
    """Stable id of a folder-source document: derived from its relative path."""
    return "f_" + hashlib.sha256(rel_path.encode("utf-8")).hexdigest()[:24]


def _next_version(
    row: FolderSourceFile | None, rel_path: str, digest: str, info: os.stat_result, now: str
) -> FolderSourceFile:
    if row is None:
        return FolderSourceFile(
            rel_path=rel_path,
            doc_id=folder_doc_id(rel_path),
            version=1,
            sha256=digest,
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
            published_at=now,
            history=[],
        )
    if row.sha256 == digest:
        return FolderSourceFile(
            rel_path=rel_path,
            doc_id=row.doc_id,
            version=row.version,
            sha256=digest,
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
            published_at=row.published_at,
            history=list(row.history),
        )
    earlier = {
        "version": row.version,
        "sha256": row.sha256,
        "size": row.size,
        "published_at": row.published_at,
        "notes": None,
    }
    return FolderSourceFile(
        rel_path=rel_path,
        doc_id=row.doc_id,
        version=row.version + 1,
        sha256=digest,
        size=info.st_size,
        mtime_ns=info.st_mtime_ns,
        published_at=now,
        history=[earlier, *row.history],
    )


def _walk_documents(root: Path) -> tuple[dict[str, os.stat_result], set[str]]:
    """The documents under ``root`` with their stat, and the sidecar files present."""
    from fieldkit.hub.paths import SIDECAR_SUFFIX, is_document_name, is_visible_dir_name

    documents: dict[str, os.stat_result] = {}
    sidecars: set[str] = set()
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            log.warning("cannot list %s in the source folder: %s", current, exc)
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if is_visible_dir_name(entry.name):
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    rel = Path(entry.path).relative_to(root).as_posix()
                    if is_document_name(entry.name):
                        documents[rel] = entry.stat(follow_symlinks=False)
                    elif entry.name.endswith(SIDECAR_SUFFIX):
                        sidecars.add(rel)
            except OSError as exc:
                log.warning("cannot read %s in the source folder: %s", entry.path, exc)
    return documents, sidecars


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _file_chunks(handle: Any) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk
    except OSError as exc:
        raise StreamInterrupted(f"reading it broke off ({exc.strerror})") from exc


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
