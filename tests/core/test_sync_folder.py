"""A folder (a mounted share, a synced folder) as the source: same guarantees as a hub."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from sqlalchemy import select
from sync_support import ClientHome, documents, tree, write

from fieldkit.core.catalog import MirrorEntry
from fieldkit.core.credentials import TokenStore
from fieldkit.core.errors import UsageError
from fieldkit.core.source import FolderSource, folder_doc_id
from fieldkit.core.sync import (
    Syncer,
    SyncResult,
    connect_folder,
    open_source,
    sync_status,
)
from fieldkit.hub.paths import is_document_name


@pytest.fixture
def share(tmp_path: Path) -> Path:
    folder = tmp_path / "share"
    write(folder, "Decks/Overview.pptx", b"overview v1")
    write(folder, "Decks/Overview.pptx.meta.toml", 'title = "Overview"\ntags = ["intro"]\n')
    write(folder, "Prices.xlsx", b"prices")
    write(folder, "Old/Legacy.pdf", b"legacy")
    write(folder, ".DS_Store", b"junk")
    write(folder, "Decks/~$Overview.pptx", b"lock")
    return folder


@pytest.fixture
def client(tmp_path: Path) -> Iterator[ClientHome]:
    opened = ClientHome(tmp_path / "home")
    yield opened
    opened.close()


def sync(client: ClientHome) -> SyncResult:
    source = open_source(client.sessions, TokenStore(client.home, fail.Keyring()))
    try:
        return Syncer(client.home, client.sessions, source).run()
    finally:
        source.close()


def shared_documents(share: Path) -> dict[str, bytes]:
    """The documents of the share: no sidecars, hidden files or Office lock files."""
    return {
        rel: data
        for rel, data in documents(share).items()
        if is_document_name(rel.rsplit("/", 1)[-1])
    }


def entries(client: ClientHome) -> dict[str, MirrorEntry]:
    with client.sessions.begin() as session:
        return {e.rel_path: e for e in session.scalars(select(MirrorEntry))}


def test_connect_and_sync_a_folder(share: Path, client: ClientHome) -> None:
    connection = connect_folder(client.sessions, share, poll=True)
    assert (connection.kind, connection.location, connection.documents) == (
        "folder", str(share.resolve()), 3
    )
    result = sync(client)
    assert result.ok and result.downloaded == 3
    assert client.mirror() == shared_documents(share)
    assert set(client.mirror()) == {"Decks/Overview.pptx", "Prices.xlsx", "Old/Legacy.pdf"}
    overview = entries(client)["Decks/Overview.pptx"]
    assert overview.doc_id == folder_doc_id("Decks/Overview.pptx")
    assert (overview.title, overview.tags, overview.version) == ("Overview", ["intro"], 1)
    status = sync_status(client.home, client.sessions)
    assert (status.source_kind, status.source) == ("folder", str(share.resolve()))


def test_versions_come_from_the_local_hash_history(share: Path, client: ClientHome) -> None:
    connect_folder(client.sessions, share, poll=False)
    sync(client)
    write(share, "Decks/Overview.pptx", b"overview v2, longer")
    result = sync(client)
    assert result.updated == 1
    entry = entries(client)["Decks/Overview.pptx"]
    assert (entry.version, entry.local_version) == (2, 2)
    assert [h["version"] for h in entry.history] == [1]
    assert client.mirror()["Decks/Overview.pptx"] == b"overview v2, longer"


def test_no_change_reads_no_file_and_copies_nothing(share: Path, client: ClientHome) -> None:
    connect_folder(client.sessions, share, poll=False)
    sync(client)
    # Same size and modification time, other bytes: only reading the file could tell.
    prices = share / "Prices.xlsx"
    before = prices.stat()
    prices.write_bytes(b"PRICES")
    os.utime(prices, ns=(before.st_atime_ns, before.st_mtime_ns))
    result = sync(client)
    assert result.not_modified and result.unchanged == 3 and result.bytes == 0
    assert client.mirror()["Prices.xlsx"] == b"prices"


def test_folder_changes_reach_the_mirror(share: Path, client: ClientHome) -> None:
    connect_folder(client.sessions, share, poll=False)
    sync(client)
    write(share, "Old/Legacy.pdf.meta.toml", 'withdrawn = "Out of date"\n')
    (share / "Prices.xlsx").unlink()
    write(share, "New.docx", b"new")
    os.rename(share / "Decks", share / "Presentations")
    result = sync(client)
    assert result.ok
    mirror = client.mirror()
    assert mirror == {k: v for k, v in shared_documents(share).items() if not k.startswith("Old/")}
    assert tree(client.home.archive_dir) == {"Old/Legacy.pdf": b"legacy"}
    assert entries(client)["Presentations/Overview.pptx"].title == "Overview"


def test_a_missing_share_is_offline_and_local_files_stay(share: Path, client: ClientHome) -> None:
    connect_folder(client.sessions, share, poll=False)
    sync(client)
    share.rename(share.with_name("unmounted"))
    result = sync(client)
    assert result.offline and result.message is not None and "can't be reached" in result.message
    assert len(client.mirror()) == 3


def test_connect_refuses_what_is_not_a_folder(tmp_path: Path, client: ClientHome) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        connect_folder(client.sessions, tmp_path / "nowhere", poll=False)


def test_a_file_changed_while_copying_is_not_installed(share: Path, client: ClientHome) -> None:
    connect_folder(client.sessions, share, poll=False)
    source = FolderSource(share.resolve(), client.sessions)
    fetched = source.fetch_manifest(None)
    assert fetched is not None
    write(share, "Prices.xlsx", b"PRICES")  # same size, other bytes, after the scan

    class Frozen:
        """The scan result as it was before the change (a sync racing with an editor)."""

        key = source.key
        label = source.label
        open = source.open
        open_many = source.open_many
        close = source.close

        def fetch_manifest(self, etag: str | None) -> object:
            return fetched

    result = Syncer(client.home, client.sessions, Frozen()).run()  # type: ignore[arg-type]
    assert [f.reason for f in result.failed if "Prices" in f.reason]
    assert "Prices.xlsx" not in client.mirror()
    assert sync(client).ok
    assert client.mirror()["Prices.xlsx"] == b"PRICES"
