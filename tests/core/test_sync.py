"""The sync against a real hub on 127.0.0.1: first sync, every kind of change, the 304 path,
rep edits, withdrawals, metered mode, pause and resume, progress, offline and a refused token."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from keyring.backends import fail
from sqlalchemy import select
from sync_support import ClientHome, RequestLog, RunningHub, documents, sha, tree, write

from fieldkit.core.catalog import KeyValue, MirrorEntry
from fieldkit.core.credentials import TokenStore
from fieldkit.core.errors import AuthError
from fieldkit.core.source import HubSource, SourceUnreachable
from fieldkit.core.sync import (
    SyncBusy,
    SyncControl,
    Syncer,
    SyncProgress,
    connect_hub,
    open_source,
    set_pinned,
    sync_status,
)

BIG = os.urandom(5 * 1024 * 1024 + 17)  # over _SMALL_FILE: fetched on its own


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "approved"
    write(folder, "Decks/Product Overview.pptx", b"deck v1" * 100)
    write(folder, "Decks/Product Overview.pptx.meta.toml", 'title = "Product overview"\n')
    write(folder, "Pricing/Price sheet 2026.xlsx", b"prices" * 50)
    write(folder, "Case Studies/Acme.docx", b"acme story")
    write(folder, "Readme.txt", b"read me")
    write(folder, "Empty.txt", b"")
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


def entries(client: ClientHome) -> dict[str, MirrorEntry]:
    with client.sessions.begin() as session:
        return {e.rel_path: e for e in session.scalars(select(MirrorEntry))}


def test_first_sync_makes_an_exact_mirror(hub: RunningHub, client: ClientHome, root: Path) -> None:
    result = client.sync(hub)
    assert result.ok
    assert client.mirror() == documents(root)
    assert (result.downloaded, result.updated, result.removed, result.unchanged) == (5, 0, 0, 0)
    assert result.bytes == sum(len(v) for v in documents(root).values())
    known = entries(client)
    assert known["Decks/Product Overview.pptx"].title == "Product overview"
    assert all(e.local_version == e.version for e in known.values())
    assert set(result.to_json()) >= {
        "downloaded", "updated", "removed", "unchanged", "bytes", "failed", "offline"
    }
    assert client.home.mirror_dir / "Readme.txt" in result.changed_paths
    assert list(client.home.downloads_dir.iterdir()) == []
    status = sync_status(client.home, client.sessions)
    assert status.documents == status.current == 5
    assert status.last_sync_generation == result.generation


def test_installed_files_carry_the_publication_time(hub: RunningHub, client: ClientHome) -> None:
    client.sync(hub)
    entry = entries(client)["Readme.txt"]
    assert entry.hub_modified is not None
    installed = (client.home.mirror_dir / "Readme.txt").stat().st_mtime
    assert abs(installed - _epoch(entry.hub_modified)) < 1


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_sync_with_no_change_is_a_single_304(hub: RunningHub, client: ClientHome) -> None:
    client.sync(hub)
    log = RequestLog()
    result = client.sync(hub, log)
    assert [(r.method, r.url.path) for r in log.requests] == [("GET", "/api/v1/manifest")]
    assert [r.status_code for r in log.responses] == [304]
    assert log.requests[0].headers["If-None-Match"]
    assert result.not_modified and result.ok
    assert (result.downloaded, result.updated, result.removed, result.unchanged) == (0, 0, 0, 5)


def test_add_change_delete_and_rename(hub: RunningHub, client: ClientHome, root: Path) -> None:
    client.sync(hub)
    write(root, "New/Brochure.pdf", b"brand new")
    write(root, "Readme.txt", b"read me, version two")
    (root / "Case Studies/Acme.docx").unlink()
    os.rename(root / "Pricing/Price sheet 2026.xlsx", root / "Prices 2026.xlsx")
    hub.rescan()
    log = RequestLog()
    result = client.sync(hub, log)
    assert result.ok
    assert client.mirror() == documents(root)
    assert (result.downloaded, result.updated, result.removed, result.unchanged) == (1, 2, 1, 2)
    by_path = {e.rel_path: e for e in entries(client).values()}
    assert sorted(log.fetched_ids()) == sorted(
        by_path[p].doc_id for p in ("New/Brochure.pdf", "Readme.txt")
    )
    assert by_path["Readme.txt"].local_version == 2
    assert not (client.home.mirror_dir / "Pricing").exists()  # emptied folders go too
    assert not (client.home.mirror_dir / "Case Studies").exists()


def test_a_renamed_folder_moves_without_download(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    client.sync(hub)
    os.rename(root / "Decks", root / "Presentations")
    os.rename(root / "Readme.txt", root / "Presentations/Readme.txt")
    hub.rescan()
    log = RequestLog()
    result = client.sync(hub, log)
    assert client.mirror() == documents(root)
    assert log.file_requests() == []
    assert result.updated == 2
    assert entries(client)["Presentations/Product Overview.pptx"].title == "Product overview"
    assert not (client.home.mirror_dir / "Decks").exists()


def test_metadata_only_change_needs_no_download(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    client.sync(hub)
    write(root, "Readme.txt.meta.toml", 'title = "Start here"\ntags = ["intro"]\n')
    hub.rescan()
    log = RequestLog()
    result = client.sync(hub, log)
    assert log.file_requests() == []
    assert (result.updated, result.unchanged) == (1, 4)
    entry = entries(client)["Readme.txt"]
    assert (entry.title, entry.tags) == ("Start here", ["intro"])
    assert client.home.mirror_dir / "Readme.txt" in result.changed_paths


def test_a_reps_edit_is_kept_and_the_approved_copy_restored(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    client.sync(hub)
    mirror = client.home.mirror_dir
    edited = mirror / "Decks/Product Overview.pptx"
    same_size = bytes(reversed(edited.read_bytes()))
    edited.write_bytes(same_size)  # an edit that keeps the size
    (mirror / "Readme.txt").write_bytes(b"my own notes on top")
    write(mirror, "Decks/My talk track.docx", b"the rep's own file")
    result = client.sync(hub)
    assert client.mirror() == documents(root)
    edits = tree(client.home.my_edits_dir)
    assert edits == {
        "Decks/Product Overview.pptx": same_size,
        "Readme.txt": b"my own notes on top",
        "Decks/My talk track.docx": b"the rep's own file",
    }
    assert len(result.kept_edits) == 3
    assert result.updated == 2

    (mirror / "Readme.txt").write_bytes(b"edited again")
    client.sync(hub)
    assert tree(client.home.my_edits_dir)["Readme (2).txt"] == b"edited again"
    assert tree(client.home.my_edits_dir)["Readme.txt"] == b"my own notes on top"


def test_touching_a_file_without_changing_it_is_not_an_edit(
    hub: RunningHub, client: ClientHome
) -> None:
    client.sync(hub)
    path = client.home.mirror_dir / "Readme.txt"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    log = RequestLog()
    result = client.sync(hub, log)
    assert log.file_requests() == []
    assert result.kept_edits == ()
    assert result.unchanged == 5
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_a_deleted_mirror_file_comes_back(hub: RunningHub, client: ClientHome, root: Path) -> None:
    client.sync(hub)
    (client.home.mirror_dir / "Readme.txt").unlink()
    result = client.sync(hub)
    assert client.mirror() == documents(root)
    assert result.updated == 1


def test_removed_document_with_an_edit_keeps_the_edit(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    client.sync(hub)
    (client.home.mirror_dir / "Readme.txt").write_bytes(b"annotated")
    (root / "Readme.txt").unlink()
    hub.rescan()
    client.sync(hub)
    assert "Readme.txt" not in client.mirror()
    assert tree(client.home.my_edits_dir) == {"Readme.txt": b"annotated"}


def test_withdrawn_documents_move_to_the_archive_and_back(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    client.sync(hub)
    write(root, "Case Studies/Acme.docx.meta.toml", 'withdrawn = "Customer asked us to"\n')
    hub.rescan()
    result = client.sync(hub)
    assert "Case Studies/Acme.docx" not in client.mirror()
    assert tree(client.home.archive_dir) == {"Case Studies/Acme.docx": b"acme story"}
    assert (result.removed, result.archived) == (1, 1)
    assert entries(client)["Case Studies/Acme.docx"].withdrawn
    assert client.home.archive_dir / "Case Studies/Acme.docx" in result.changed_paths

    (root / "Case Studies/Acme.docx.meta.toml").unlink()
    hub.rescan()
    log = RequestLog()
    client.sync(hub, log)
    assert log.file_requests() == []
    assert client.mirror() == documents(root)
    assert tree(client.home.archive_dir) == {}


def test_metered_mode_downloads_only_pinned_documents(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    client.sync(hub)
    write(root, "Readme.txt", b"changed while on a phone connection")
    write(root, "New.pdf", b"new while metered")
    hub.rescan()
    log = RequestLog()
    result = client.sync(hub, log, metered=True)
    assert log.file_requests() == []
    assert result.pending == 2
    assert client.mirror()["Readme.txt"] == b"read me"  # the old copy stays usable
    assert entries(client)["Readme.txt"].local_version == 1

    assert set_pinned(client.sessions, "Readme.txt", True) == "Readme.txt"
    result = client.sync(hub, metered=True)
    assert (result.updated, result.pending) == (1, 1)
    assert client.mirror()["Readme.txt"] == b"changed while on a phone connection"
    assert "New.pdf" not in client.mirror()

    result = client.sync(hub)
    assert result.downloaded == 1
    assert client.mirror() == documents(root)


def test_progress_is_reported_and_complete(hub: RunningHub, client: ClientHome, root: Path) -> None:
    write(root, "Big.bin", BIG)
    hub.rescan()
    seen: list[SyncProgress] = []
    client.sync(hub, on_progress=seen.append)
    last = seen[-1]
    assert last.files_done == last.files_total == 6
    assert last.bytes_done == last.bytes_total == sum(len(v) for v in documents(root).values())
    assert last.current is None
    assert all(p.bytes_done <= p.bytes_total for p in seen)
    assert len(seen) < 30  # throttled


class PausingWriter:
    """Opens ``.part`` files; after the first chunk of ``name`` pauses the sync (as the app
    would) and tells the test."""

    def __init__(self, control: SyncControl, name: str) -> None:
        self.control = control
        self.name = name
        self.paused = threading.Event()

    def __call__(self, path: Path) -> BinaryIO:
        handle = open(path, "ab")  # noqa: SIM115
        if self.name in path.name and not self.paused.is_set():
            writer = self

            class Pausing:
                def __getattr__(self, attr: str) -> Any:
                    return getattr(handle, attr)

                def __enter__(self) -> Any:
                    return self

                def __exit__(self, *exc: object) -> None:
                    handle.close()

                def write(self, data: bytes) -> int:
                    written = handle.write(data)
                    if not writer.paused.is_set():
                        writer.control.pause()
                        writer.paused.set()
                    return written

            return Pausing()  # type: ignore[return-value]
        return handle


def start_paused_sync(
    hub: RunningHub, client: ClientHome, doc_id: str, **options: Any
) -> tuple[SyncControl, threading.Thread, list[Any]]:
    """A sync in a thread that pauses itself once it has written the start of ``doc_id``;
    returns when it has. ``options`` go to ``client.sync``; its result lands in the list."""
    control = SyncControl()
    writer = PausingWriter(control, doc_id)
    results: list[Any] = []
    worker = threading.Thread(
        target=lambda: results.append(
            client.sync(hub, control=control, open_part=writer, **options)
        )
    )
    worker.start()
    assert writer.paused.wait(30)
    return control, worker, results


def test_pause_keeps_the_part_and_resume_continues_with_range(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    write(root, "Big.bin", BIG)
    hub.rescan()
    log = RequestLog()
    big_id = _doc_id(hub, "Big.bin")
    control, worker, results = start_paused_sync(hub, client, big_id, log=log)
    assert control.wait_paused(30)
    part = next(client.home.downloads_dir.glob(f"{big_id}.*.part"))
    assert control.paused and 0 < part.stat().st_size < len(BIG)
    control.resume()
    worker.join(60)
    assert results and results[0].ok
    assert client.mirror()["Big.bin"] == BIG
    big_requests = [r for r in log.file_requests() if big_id in r.url.path]
    assert len(big_requests) == 2
    assert "Range" not in big_requests[0].headers
    assert big_requests[1].headers["Range"].startswith("bytes=")
    assert results[0].bytes == sum(len(v) for v in documents(root).values())


def test_a_pause_inside_a_file_of_a_shared_request_keeps_its_part_and_resumes_it_with_range(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    middling = os.urandom(3 * 1024 * 1024 + 5)  # under _SMALL_FILE: it comes with the others
    write(root, "Middling.bin", middling)
    hub.rescan()
    log = RequestLog()
    middling_id = _doc_id(hub, "Middling.bin")
    control, worker, results = start_paused_sync(hub, client, middling_id, log=log)
    assert control.wait_paused(30)
    part = next(client.home.downloads_dir.glob(f"{middling_id}.*.part"))
    assert 0 < part.stat().st_size < len(middling)
    assert "Middling.bin" not in client.mirror()
    control.resume()
    worker.join(60)
    assert results and results[0].ok
    assert client.mirror() == documents(root)
    first, *rest = log.file_requests()
    assert first.method == "POST" and log.fetched_ids()[0] == middling_id
    again = [r for r in rest if middling_id in r.url.path]
    assert len(again) == 1 and again[0].headers["Range"].startswith("bytes=")
    assert results[0].bytes == sum(len(v) for v in documents(root).values())
    assert list(client.home.downloads_dir.iterdir()) == []


def test_a_pause_among_small_files_resumes_with_one_request_for_the_rest(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    for n in range(30):
        write(root, f"Notes/{n:02}.txt", f"note {n} ".encode() * 50)
    hub.rescan()
    log = RequestLog()
    paused_on = _doc_id(hub, "Notes/05.txt")
    control, worker, results = start_paused_sync(hub, client, paused_on, log=log, jobs=1)
    assert control.wait_paused(30)
    shared = [r for r in log.file_requests() if r.method == "POST"]
    assert len(shared) == 1 and len(log.file_requests()) == 1
    control.resume()
    worker.join(60)
    assert results and results[0].ok
    assert client.mirror() == documents(root)
    # The rest came in one more shared request: not the files the first one brought.
    first, second = log.file_requests()
    assert (first.method, second.method) == ("POST", "POST")
    asked_first = [f["id"] for f in json.loads(first.content)["files"]]
    asked_second = [f["id"] for f in json.loads(second.content)["files"]]
    assert sorted(asked_first) == sorted(e.doc_id for e in entries(client).values())
    assert paused_on not in asked_second
    assert set(asked_second) < set(asked_first)


def _doc_id(hub: RunningHub, rel_path: str) -> str:
    with HubSource(hub.url, hub.token) as source:
        fetched = source.fetch_manifest(None)
    assert fetched is not None
    return next(d.id for d in fetched.manifest.documents if d.path == rel_path)


def test_cancel_stops_and_keeps_partial_downloads(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    write(root, "Big.bin", BIG)
    hub.rescan()
    big_id = _doc_id(hub, "Big.bin")
    control, worker, results = start_paused_sync(hub, client, big_id)
    control.cancel()
    worker.join(60)
    assert results[0].cancelled and not results[0].ok
    assert "Big.bin" not in client.mirror()
    assert list(client.home.downloads_dir.glob(f"{big_id}.*.part"))
    with client.sessions.begin() as session:
        assert session.get(KeyValue, "last_sync") is None


def test_offline_sync_says_so_and_local_state_stays(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    first = client.sync(hub)
    before = sync_status(client.home, client.sessions)
    hub.stop()
    result = client.sync(hub)
    assert result.offline and not result.ok
    assert result.message is not None and f"The hub at {hub.url} can't be reached" in (
        result.message
    )
    assert result.to_json()["offline"] is True
    assert client.mirror() == documents(root)
    after = sync_status(client.home, client.sessions)
    assert after.last_sync_at == before.last_sync_at
    assert after.last_sync_generation == first.generation


def test_a_wrong_token_is_refused(hub: RunningHub, client: ClientHome) -> None:
    with HubSource(hub.url, "not-a-token") as source, pytest.raises(AuthError) as caught:
        Syncer(client.home, client.sessions, source).run()
    assert "refused this laptop's token" in str(caught.value)
    assert client.mirror() == {}


def test_connect_checks_the_hub_and_stores_the_token(hub: RunningHub, client: ClientHome) -> None:
    tokens = TokenStore(client.home, fail.Keyring())
    with pytest.raises(AuthError):
        connect_hub(client.sessions, tokens, hub.url, "wrong")
    assert tokens.load(hub.url) is None
    connection = connect_hub(client.sessions, tokens, hub.url + "/", hub.token)
    assert (connection.kind, connection.location, connection.documents) == ("hub", hub.url, 5)
    assert tokens.load(hub.url) == hub.token
    source = open_source(client.sessions, tokens)
    try:
        result = Syncer(client.home, client.sessions, source).run()
    finally:
        source.close()
    assert result.downloaded == 5
    assert sync_status(client.home, client.sessions).source == hub.url


def test_connect_to_an_address_with_no_hub_is_clear(client: ClientHome, hub: RunningHub) -> None:
    url = hub.url
    hub.stop()
    tokens = TokenStore(client.home, fail.Keyring())
    with pytest.raises(SourceUnreachable, match="can't be reached"):
        connect_hub(client.sessions, tokens, url, "token")


def test_many_documents_in_parallel(hub: RunningHub, client: ClientHome, root: Path) -> None:
    for n in range(120):
        write(root, f"Bulk/{n % 7}/file {n}.txt", os.urandom(n * 97))
    hub.rescan()
    log = RequestLog()
    result = client.sync(hub, log, jobs=8)
    assert result.ok and result.downloaded == 125
    # Small files come many to a request, each asked for once.
    assert len(log.file_requests()) <= 8
    assert sorted(log.fetched_ids()) == sorted(e.doc_id for e in entries(client).values())
    assert client.mirror() == documents(root)
    assert {sha(v) for v in client.mirror().values()} == {sha(v) for v in documents(root).values()}


def test_a_second_sync_at_the_same_time_is_refused(
    hub: RunningHub, client: ClientHome, root: Path
) -> None:
    write(root, "Big.bin", BIG)
    hub.rescan()
    control, worker, results = start_paused_sync(hub, client, _doc_id(hub, "Big.bin"))
    with pytest.raises(SyncBusy, match="Another sync is already running"):
        client.sync(hub)
    control.resume()
    worker.join(60)
    assert results[0].ok
    assert client.sync(hub).ok  # the lock went with the first sync
