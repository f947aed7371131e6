"""The hub's HTTP API under ``/api/v1`` (contract: notes/HUB_API.md), as a FastAPI app.

Routes live on routers and reach the hub through dependencies (:func:`get_hub`,
:func:`require_rep`), so later features add routers of their own to :func:`create_app`.
Handlers are plain functions: FastAPI runs them on its thread pool, where blocking database
and disk calls belong.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import anyio
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.responses import FileResponse, StreamingResponse
from starlette.types import Send

import fieldkit.hub.inbox  # noqa: F401 - registers the inbox tables on the hub schema
from fieldkit import __version__
from fieldkit.hub.manifest import ManifestSnapshot
from fieldkit.hub.paths import locate_inside
from fieldkit.hub.schemas import ErrorDetail, FilesWanted, FileWanted, Health, Manifest
from fieldkit.hub.service import Hub
from fieldkit.hub.store import DocumentNotFound, FileTarget, VersionGone
from fieldkit.hub.tokens import RepInfo

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
CHUNK_SIZE = 1024 * 1024  # what one thread-pool trip reads of a file being sent
FILES_MEDIA_TYPE = "application/x-fieldkit-files"

_bearer = HTTPBearer(
    auto_error=False, description="A rep's token, from `fieldkit hub add-rep NAME`."
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorDetail, "description": "Missing, unknown or revoked token"},
}


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def require_rep(
    hub: Annotated[Hub, Depends(get_hub)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> RepInfo:
    """The rep whose valid token came with the request; 401 otherwise.

    Async, so that a token checked moments ago costs no trip to the thread pool (each trip
    costs more than the rest of a small file's request); the database is asked on a thread.
    """
    if credentials is None:
        raise _unauthorized("A rep token is required (Authorization: Bearer <token>).")
    token = credentials.credentials
    rep = hub.reps.recently_verified(token)
    if rep is None:
        rep = await run_in_threadpool(hub.reps.authenticate, token)
    if rep is None:
        raise _unauthorized("This token is not valid (unknown or revoked). Ask marketing for one.")
    return rep


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


HubDep = Annotated[Hub, Depends(get_hub)]
RepDep = Annotated[RepInfo, Depends(require_rep)]

public = APIRouter(prefix=API_PREFIX)
documents = APIRouter(prefix=API_PREFIX, responses=_ERRORS)


@public.get("/health", response_model=Health)
def health(hub: HubDep) -> Health:
    return Health(status="ok", version=__version__, generation=hub.manifest.current_generation())


@documents.get(
    "/manifest",
    response_class=Response,
    responses={
        200: {"model": Manifest, "description": "Every live document (gzip when accepted)"},
        304: {"description": "If-None-Match matched the current ETag"},
    },
)
def manifest(request: Request, hub: HubDep, rep: RepDep) -> Response:
    snapshot = hub.manifest.snapshot()
    headers = {"ETag": snapshot.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if _etag_matches(request.headers.get("if-none-match"), snapshot):
        return Response(status_code=304, headers=headers)
    if _accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(snapshot.gzip_body, media_type="application/json", headers=headers)
    return Response(snapshot.body, media_type="application/json", headers=headers)


def _etag_matches(header: str | None, snapshot: ManifestSnapshot) -> bool:
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or snapshot.etag in tags


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip()
            return not quality or _positive(quality)
    return False


def _positive(quality: str) -> bool:
    try:
        return float(quality) > 0
    except ValueError:
        return False


_Located = tuple[FileTarget, Path, os.stat_result]


class DocumentFileResponse(FileResponse):
    """A document's bytes, read in 1 MiB chunks with one thread-pool trip per chunk.

    Starlette's own reading takes separate trips to open, read and close; each trip costs more
    than the reading itself for the small files a sync is mostly made of. Here a file of one
    chunk or less comes ``preloaded`` (read in the trip that found it), and a bigger one is read
    with the first trip opening and reading, the last one reading and closing.
    """

    chunk_size = CHUNK_SIZE

    def __init__(
        self,
        path: Path,
        *,
        stat_result: os.stat_result,
        headers: dict[str, str],
        preloaded: bytes | None = None,
    ) -> None:
        super().__init__(path, stat_result=stat_result, filename=path.name, headers=headers)
        self._preloaded = preloaded

    async def _handle_simple(self, send: Send, send_header_only: bool, send_pathsend: bool) -> None:
        if send_header_only or send_pathsend or self.stat_result is None:
            await super()._handle_simple(send, send_header_only, send_pathsend)
            return
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        await self._send_bytes(send, 0, self.stat_result.st_size)

    async def _handle_single_range(
        self, send: Send, start: int, end: int, file_size: int, send_header_only: bool
    ) -> None:
        if send_header_only:
            await super()._handle_single_range(send, start, end, file_size, send_header_only)
            return
        headers = MutableHeaders(raw=list(self.raw_headers))
        headers["content-range"] = f"bytes {start}-{end - 1}/{file_size}"
        headers["content-length"] = str(end - start)
        await send({"type": "http.response.start", "status": 206, "headers": headers.raw})
        await self._send_bytes(send, start, end)

    async def _send_bytes(self, send: Send, start: int, end: int) -> None:
        """Send bytes ``start`` to ``end`` of the file (as its stat promised in the headers)."""
        if self._preloaded is not None:
            await send({"type": "http.response.body", "body": self._preloaded[start:end]})
            return
        handle: BinaryIO | None = None
        try:
            # Shielded: a cancel while a trip runs must still see (and close) what it opened.
            with anyio.CancelScope(shield=True):
                handle, chunk = await run_in_threadpool(
                    _open_and_read, Path(self.path), start, min(self.chunk_size, end - start), end
                )
            while True:
                start += len(chunk)
                more = start < end
                if not chunk and more:
                    raise RuntimeError(f"{self.path} became shorter while it was being sent")
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
                if not more or handle is None:
                    break
                with anyio.CancelScope(shield=True):
                    chunk = await run_in_threadpool(
                        _read_chunk, handle, min(self.chunk_size, end - start), start, end
                    )
                if start + len(chunk) >= end:
                    handle = None  # closed by the trip that read the end
        finally:
            if handle is not None:
                handle.close()


def _open_and_read(path: Path, start: int, size: int, end: int) -> tuple[BinaryIO | None, bytes]:
    """Open ``path`` at ``start`` and read ``size`` bytes; the handle is closed (and None)
    when that reached ``end``."""
    handle = open(path, "rb")  # noqa: SIM115 - closed here or by DocumentFileResponse
    try:
        if start:
            handle.seek(start)
        chunk = handle.read(size)
    except BaseException:
        handle.close()
        raise
    if start + len(chunk) >= end or not chunk:
        handle.close()
        return None, chunk
    return handle, chunk


def _read_chunk(handle: BinaryIO, size: int, start: int, end: int) -> bytes:
    """Read ``size`` bytes; close ``handle`` when they reach ``end``."""
    try:
        chunk = handle.read(size)
    except BaseException:
        handle.close()
        raise
    if start + len(chunk) >= end:
        handle.close()
    return chunk


@documents.get(
    "/files/{doc_id}",
    status_code=200,
    response_class=DocumentFileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The bytes"},
        206: {"description": "The requested range"},
        404: {"model": ErrorDetail, "description": "Unknown document or version"},
        410: {"model": ErrorDetail, "description": "That version's bytes are gone"},
        416: {"description": "Range not satisfiable"},
    },
)
async def download(
    doc_id: str,
    hub: HubDep,
    rep: RepDep,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> DocumentFileResponse:
    """The bytes of a document version (current by default); Range requests are honoured."""
    (target, path, info), preloaded = await run_in_threadpool(_find_file, hub, doc_id, version)
    return DocumentFileResponse(
        path,
        stat_result=info,
        headers={"ETag": f'"{target.sha256}"', "X-Content-SHA256": target.sha256},
        preloaded=preloaded,
    )


def _find_file(hub: Hub, doc_id: str, version: int | None) -> tuple[_Located, bytes | None]:
    """The file to send, and its bytes when it fits in one chunk: one thread-pool trip for the
    lookup, the stat and (for most files) the read."""
    located = _find(hub, doc_id, version)
    return located, _read_small(located)


def _find(
    hub: Hub, doc_id: str, version: int | None, folders: dict[str, str | None] | None = None
) -> _Located:
    """The file to send and its stat (HTTPException 404 or 503 when there is none to send).
    ``folders``: see :func:`resolve_inside`."""
    located = _locate(hub, doc_id, version, folders)
    if located is None or _stale(located):
        # Missing or changed since the last scan: scan first, never serve under a stale hash.
        hub.rescan()
        located = _locate(hub, doc_id, version)
        if located is None:
            raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}.")
        if _stale(located):
            raise HTTPException(
                status_code=503,
                detail="This file is being changed on the hub right now; try again shortly.",
                headers={"Retry-After": "5"},
            )
    return located


def _read_small(located: _Located) -> bytes | None:
    """The whole file if it fits in one chunk and still has the size its stat said."""
    _target, path, info = located
    if info.st_size > CHUNK_SIZE:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(CHUNK_SIZE + 1)
    except OSError:
        return None  # streamed instead, which reports the problem
    return data if len(data) == info.st_size else None


@documents.post(
    "/files",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {FILES_MEDIA_TYPE: {}},
            "description": (
                "For each requested version, in order: one line of JSON "
                '(`{"id", "version", "status", "size", "sha256"}`, or `{"id", "version", '
                '"status", "detail"}` when status is not 200) ending in a newline, then, when '
                "status is 200, exactly `size` bytes of the file. Statuses as for "
                "`GET /files/{doc_id}`: 404 unknown, 410 gone, 503 being changed right now."
            ),
        },
    },
)
async def download_many(body: FilesWanted, hub: HubDep, rep: RepDep) -> StreamingResponse:
    """Several document versions in one answer: what a sync fetches its small files with
    (one request per file costs the hub and the client more than the bytes of most files).

    Every file is looked up first, so the answer's length is known and goes out with a
    Content-Length: a chunked answer costs uvicorn a copy of every byte it sends (to frame each
    piece) and the client a parse of the framing."""
    frames = await run_in_threadpool(_frames_of, hub, body.files)
    length = sum(len(header) + size for header, _path, size in frames)
    return StreamingResponse(
        _file_frames(frames), media_type=FILES_MEDIA_TYPE, headers={"Content-Length": str(length)}
    )


_Frame = tuple[bytes, Path | None, int]  # header line, the file (None: no bytes follow), size


def _frames_of(hub: Hub, wanted: list[FileWanted]) -> list[_Frame]:
    frames: list[_Frame] = []
    folders: dict[str, str | None] = {}
    for item in wanted:
        try:
            target, path, info = _find(hub, item.id, item.version, folders)
        except HTTPException as exc:
            header = {"id": item.id, "version": item.version, "status": exc.status_code,
                      "detail": exc.detail}
            frames.append((json.dumps(header).encode() + b"\n", None, 0))
            continue
        header = {"id": item.id, "version": target.version, "status": 200,
                  "size": info.st_size, "sha256": target.sha256}
        frames.append((json.dumps(header).encode() + b"\n", path, info.st_size))
    return frames


def _file_frames(frames: list[_Frame]) -> Iterator[bytes]:
    """The framed answer of :func:`download_many`, in pieces of about one chunk (Starlette
    takes one thread-pool trip per piece, where the reads belong). A file that changed size
    since its stat breaks the answer off (see :func:`_file_chunks`)."""
    pending: list[bytes] = []
    pending_size = 0
    for header, path, size in frames:
        pending.append(header)
        if path is None:
            continue
        if size <= CHUNK_SIZE:
            pending.extend(_file_chunks(path, size))
            pending_size += size
        else:
            yield b"".join(pending)
            pending, pending_size = [], 0
            yield from _file_chunks(path, size)
        if pending_size >= CHUNK_SIZE:
            yield b"".join(pending)
            pending, pending_size = [], 0
    if pending:
        yield b"".join(pending)


def _file_chunks(path: Path, size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes of ``path``. A file that changed size since its stat breaks the
    answer off: its framing promised ``size`` bytes, and the client starts that file again."""
    with open(path, "rb") as handle:
        left = size
        while left:
            chunk = handle.read(min(CHUNK_SIZE, left))
            if not chunk:
                raise RuntimeError(f"{path} became shorter while it was being sent")
            left -= len(chunk)
            yield chunk


def _locate(
    hub: Hub, doc_id: str, version: int | None, folders: dict[str, str | None] | None = None
) -> _Located | None:
    """The document's file and its stat, or None when it is not a file inside the root now."""
    try:
        target = hub.store.file_target(doc_id, version)
    except DocumentNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except VersionGone as exc:
        raise HTTPException(status_code=410, detail=str(exc)) from exc
    found = locate_inside(hub.root, target.path, folders)
    if found is None:
        return None
    path, info = found
    return target, path, info


def _stale(located: _Located) -> bool:
    target, _path, info = located
    return (info.st_size, info.st_mtime_ns) != (target.size, target.mtime_ns)


def create_app(hub: Hub) -> FastAPI:
    app = FastAPI(
        title="fieldkit hub",
        version=__version__,
        description="The approved content folder, for fieldkit clients.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub = hub
    app.include_router(public)
    app.include_router(documents)
    from fieldkit.hub.inbox_api import install_inbox  # it imports this module

    install_inbox(app, hub)
    return app
