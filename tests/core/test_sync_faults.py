"""Faults: a hub killed mid-download, corrupted bytes, a full disk, a hostile manifest, a file
that changes on the hub during the sync. Nothing partial or wrong may ever sit under a final
name, and nothing may be written outside the mirror."""

from __future__ import annotations

import errno
import gzip
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from sync_support import AsgiServer, ClientHome, RequestLog, RunningHub, documents, sha, tree, write

from fieldkit.core.errors import StorageError
from fieldkit.core.source import HubSource
from fieldkit.core.sync import DiskFullError, Syncer

BIG = os.urandom(6 * 1024 * 1024 + 123)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "approved"
    write(folder, "Big/Launch video.mp4", BIG)
    write(folder, "Small/One.txt", b"one")
    write(folder, "Small/Two.txt", b"two two")
    return folder


@pytest.fixture
def hub(root: Path, tmp_path: Path) -> Iterator[RunningHub]:
    running = RunningHub(root, tmp_path / "hub.sqlite3")
    yield running
    running.stop()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[ClientHome]:
    opened = ClientHome(tmp_path / "home")
    yield opened
    opened.close()


def doc_id(hub: RunningHub, rel_path: str) -> str:
    with HubSource(hub.url, hub.token) as source:
        fetched = source.fetch_manifest(None)
    assert fetched is not None
    return next(d.id for d in fetched.manifest.documents if d.path == rel_path)


class Wrapped:
    """A real ``.part`` file handle whose writes go through ``on_write`` first."""

    def __init__(self, handle: BinaryIO, on_write: Any) -> None:
        self._handle = handle
        self._on_write = on_write
        self.written = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> Wrapped:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._handle.close()

    def write(self, data: bytes) -> int:
        self._on_write(self, data)
        self.written += len(data)
        return self._handle.write(data)


def test_hub_killed_mid_download_resumes_without_refetching(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    # Larger than what the kernel's socket buffers hold, so the hub dies with bytes unsent.
    huge = os.urandom(48 * 1024 * 1024)
    write(root, "Big/Launch video.mp4", huge)
    hub.rescan()
    big = doc_id(hub, "Big/Launch video.mp4")
    stalled = threading.Event()
    killed = threading.Event()

    def stall_after_first_megabytes(handle: Wrapped, data: bytes) -> None:
        if handle.written >= 2 * 1024 * 1024 and not stalled.is_set():
            stalled.set()
            assert killed.wait(30)

    def opener(path: Path) -> BinaryIO:
        handle = open(path, "ab")  # noqa: SIM115
        if big in path.name:
            return Wrapped(handle, stall_after_first_megabytes)  # type: ignore[return-value]
        return handle

    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(client.sync(hub, open_part=opener)))
    worker.start()
    assert stalled.wait(30)
    hub.stop(abort=True)  # the hub dies while the big file is streaming
    killed.set()
    worker.join(60)
    first = results[0]
    assert first.offline and not first.ok
    assert first.message is not None and f"The hub at {hub.url} can't be reached" in first.message
    assert [f.doc_id for f in first.failed] == [big]
    assert "Big/Launch video.mp4" not in client.mirror()
    part = next(client.home.downloads_dir.glob(f"{big}.*.part"))
    kept = part.stat().st_size
    assert 2 * 1024 * 1024 <= kept < len(huge)

    hub.restart()
    log = RequestLog()
    second = client.sync(hub, log)
    assert second.ok
    assert client.mirror() == documents(root)
    requests = [r for r in log.file_requests() if big in r.url.path]
    assert [r.headers.get("Range") for r in requests] == [f"bytes={kept}-"]
    assert second.bytes == len(huge) - kept
    assert list(client.home.downloads_dir.iterdir()) == []


def test_a_corrupt_partial_file_is_never_installed(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    big = doc_id(hub, "Big/Launch video.mp4")
    part = client.home.downloads_dir / f"{big}.1.{sha(BIG)[:16]}.part"
    client.home.downloads_dir.mkdir(parents=True)
    part.write_bytes(b"\0" * len(BIG))  # the right size, the wrong bytes
    log = RequestLog()
    result = client.sync(hub, log)
    assert result.ok
    assert client.mirror() == documents(root)
    requests = [r for r in log.file_requests() if big in r.url.path]
    assert len(requests) == 1 and "Range" not in requests[0].headers  # started over
    assert result.bytes == sum(len(v) for v in documents(root).values())


def test_a_partial_file_of_an_older_version_starts_over(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    big = doc_id(hub, "Big/Launch video.mp4")
    client.home.downloads_dir.mkdir(parents=True)
    stale = client.home.downloads_dir / f"{big}.1.{sha(BIG)[:16]}.part"
    stale.write_bytes(BIG[:1000])
    changed = os.urandom(len(BIG))
    write(root, "Big/Launch video.mp4", changed)
    hub.rescan()
    log = RequestLog()
    client.sync(hub, log)
    assert client.mirror()["Big/Launch video.mp4"] == changed
    assert all("Range" not in r.headers for r in log.file_requests())
    assert list(client.home.downloads_dir.iterdir()) == []


def test_leftovers_of_an_older_client_in_downloads_are_cleaned(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    assert client.sync(hub).ok
    one = doc_id(hub, "Small/One.txt")
    # Before the hash was in the name, a note beside each .part said which content it was.
    part = client.home.downloads_dir / f"{one}.1.part"
    part.write_bytes(b"on")
    part.with_name(part.name + ".json").write_text(json.dumps({"sha256": sha(b"one")}))
    write(root, "Small/Two.txt", b"two changed")
    hub.rescan()

    result = client.sync(hub)

    assert result.ok and client.mirror() == documents(root)
    assert list(client.home.downloads_dir.iterdir()) == []


def test_a_full_disk_leaves_no_partial_file(hub: RunningHub, client: ClientHome) -> None:
    def disk_fills_up(handle: Wrapped, data: bytes) -> None:
        if handle.written + len(data) > 3 * 1024 * 1024:
            raise OSError(errno.ENOSPC, "No space left on device")

    def opener(path: Path) -> BinaryIO:
        return Wrapped(open(path, "ab"), disk_fills_up)  # type: ignore[return-value]

    with pytest.raises(DiskFullError) as caught:
        client.sync(hub, open_part=opener)
    assert "The disk is full" in str(caught.value)
    assert "Big/Launch video.mp4" not in client.mirror()
    assert not list(client.home.downloads_dir.glob("*.part"))
    for rel, content in client.mirror().items():  # whatever got in is complete and right
        assert content == {"Small/One.txt": b"one", "Small/Two.txt": b"two two"}[rel]


def test_too_little_free_space_is_said_before_downloading(
    hub: RunningHub, client: ClientHome
) -> None:
    log = RequestLog()
    with pytest.raises(StorageError, match=r"Not enough free disk space: need .*, have 1\.0 MB"):
        client.sync(hub, log, free_space=lambda _path: 1_000_000)
    assert log.file_requests() == []
    assert client.mirror() == {}


def test_a_file_changed_on_the_hub_during_the_sync_is_not_installed(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    changed = threading.Event()

    def change_on_first_download(request: httpx.Request) -> None:
        if "/files/" in request.url.path and not changed.is_set():
            changed.set()
            for rel in ("Big/Launch video.mp4", "Small/One.txt", "Small/Two.txt"):
                write(root, rel, b"changed after the manifest: " + rel.encode())

    with HubSource(
        hub.url, hub.token, event_hooks={"request": [change_on_first_download]}
    ) as source:
        result = Syncer(client.home, client.sessions, source, jobs=1).run()
    assert changed.is_set()
    assert len(result.failed) == 3
    assert all("changed" in f.reason for f in result.failed)
    assert client.mirror() == {}
    result = client.sync(hub)
    assert result.ok
    assert client.mirror() == documents(root)


# -- a hostile hub -------------------------------------------------------------------------------

PAYLOAD = b"approved bytes"


ManyAnswer = Callable[[list[dict[str, Any]]], bytes]


def hostile_hub(
    entries: list[dict[str, Any]], body: bytes = PAYLOAD, many: ManyAnswer | None = None
) -> Starlette:
    """A hub sending ``entries`` as its manifest and ``body`` for any file; ``POST /files``
    (several files) answers ``many(asked)`` when given, else it is missing (an older hub)."""
    hits: list[str] = []

    async def manifest(request: Request) -> Response:
        data = {"generation": 1, "generated_at": None, "documents": entries}
        return Response(
            gzip.compress(json.dumps(data).encode()),
            headers={
                "Content-Encoding": "gzip",
                "ETag": '"1-x"',
                "Content-Type": "application/json",
            },
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": "x", "generation": 1})

    async def files(request: Request) -> Response:
        hits.append(request.path_params["doc_id"])
        return Response(body, headers={"X-Content-SHA256": sha(PAYLOAD)})

    async def files_many(request: Request) -> Response:
        assert many is not None
        asked = (await request.json())["files"]
        hits.append(f"{len(asked)} at once")
        return Response(many(asked), media_type="application/x-fieldkit-files")

    routes = [
        Route("/api/v1/manifest", manifest),
        Route("/api/v1/health", health),
        Route("/api/v1/files/{doc_id}", files),
    ]
    if many is not None:
        routes.append(Route("/api/v1/files", files_many, methods=["POST"]))
    app = Starlette(routes=routes)
    app.state.hits = hits
    return app


def frame(asked: dict[str, Any], data: bytes, sha256: str | None = None) -> bytes:
    header = {**asked, "status": 200, "size": len(data), "sha256": sha256 or sha(data)}
    return json.dumps(header).encode() + b"\n" + data


MANY_ANSWERS: dict[str, ManyAnswer] = {
    "in another order": lambda asked: b"".join(frame(a, PAYLOAD) for a in reversed(asked)),
    "cut off in a file": lambda asked: frame(asked[0], PAYLOAD) + frame(asked[1], PAYLOAD)[:-4],
    "with wrong bytes": lambda asked: b"".join(
        frame(a, PAYLOAD.upper(), sha(PAYLOAD)) for a in asked
    ),
    "not framed": lambda asked: b"<html>Proxy error</html>",
    "with more bytes than its header lists": lambda asked: b"".join(
        frame(a, PAYLOAD) + b"!" for a in asked
    ),
}


@pytest.mark.parametrize("answer", MANY_ANSWERS)
def test_a_bad_answer_for_several_files_falls_back_to_one_at_a_time(
    tmp_path: Path, answer: str
) -> None:
    client = ClientHome(tmp_path / "home")
    entries = [hostile(f"d_{n}", f"Notes/{n}.txt") for n in range(3)]
    app = hostile_hub(entries, many=MANY_ANSWERS[answer])
    try:
        with AsgiServer(app) as server, HubSource(server.url, "any") as source:
            result = Syncer(client.home, client.sessions, source, jobs=1).run()
    finally:
        client.close()
    assert result.ok, result.failed
    assert client.mirror() == {f"Notes/{n}.txt": PAYLOAD for n in range(3)}
    assert app.state.hits[0] == "3 at once"
    assert list(client.home.downloads_dir.iterdir()) == []


def test_a_hub_without_the_several_files_request_is_asked_one_file_at_a_time(
    tmp_path: Path,
) -> None:
    client = ClientHome(tmp_path / "home")
    app = hostile_hub([hostile(f"d_{n}", f"Notes/{n}.txt") for n in range(3)])
    try:
        with AsgiServer(app) as server, HubSource(server.url, "any") as source:
            result = Syncer(client.home, client.sessions, source, jobs=1).run()
    finally:
        client.close()
    assert result.ok and result.downloaded == 3
    assert sorted(app.state.hits) == ["d_0", "d_1", "d_2"]


def hostile(doc_id: str, path: Any) -> dict[str, Any]:
    return {"id": doc_id, "path": path, "version": 1, "sha256": sha(PAYLOAD), "size": len(PAYLOAD)}


def test_a_hostile_manifest_writes_nothing_outside_the_mirror(tmp_path: Path) -> None:
    client = ClientHome(tmp_path / "deep" / "home")
    entries = [
        hostile("d_up", "../../escape.txt"),
        hostile("d_up2", "Decks/../../../escape2.txt"),
        hostile("d_abs", str(tmp_path / "absolute.txt")),
        hostile("d_drive", "C:/escape3.txt"),
        hostile("d_nul", "bad\0name.txt"),
        hostile("d_long", "x" * 300 + ".txt"),
        hostile("d_deep", "/".join(["folder"] * 200) + "/a.txt"),
        hostile("d_hidden", ".fieldkit/evil.txt"),
        hostile("d_ok", "Decks/Fine.pdf"),
        hostile("d_dup", "decks/FINE.pdf"),
        hostile("../d_id", "Id.pdf"),
        hostile("d_backslash", "..\\escape4.txt"),
    ]
    before = {p for p in tmp_path.rglob("*")}
    app = hostile_hub(entries)
    try:
        with AsgiServer(app) as server, HubSource(server.url, "any") as source:
            result = Syncer(client.home, client.sessions, source).run()
    finally:
        client.close()
    assert client.mirror() == {"Decks/Fine.pdf": PAYLOAD}
    assert app.state.hits == ["d_ok"]
    refused = {f.doc_id for f in result.failed}
    assert refused == {e["id"] for e in entries} - {"d_ok"}
    written = {p for p in tmp_path.rglob("*")} - before
    assert all(p.is_relative_to(client.home.root) for p in written), written
    assert not any("escape" in p.name or p.name == "absolute.txt" for p in written)
    assert result.to_json()["failed"][0]["reason"]


def test_wrong_bytes_are_retried_once_then_reported(tmp_path: Path) -> None:
    client = ClientHome(tmp_path / "home")
    app = hostile_hub([hostile("d_bad", "Bad.pdf")], body=b"tampered bytes")
    try:
        with AsgiServer(app) as server, HubSource(server.url, "any") as source:
            result = Syncer(client.home, client.sessions, source).run()
    finally:
        client.close()
    assert app.state.hits == ["d_bad", "d_bad"]
    assert [f.doc_id for f in result.failed] == ["d_bad"]
    assert "checksum" in result.failed[0].reason
    assert tree(client.home.root / "Approved content") == {}
    assert list(client.home.downloads_dir.iterdir()) == []
