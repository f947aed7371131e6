"""The library keeps the index equal to the files on disk, extracting only what changed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit.core.client import Client, open_client
from fieldkit.core.errors import UsageError
from fieldkit.core.home import HomePaths
from fieldkit.core.index import SearchRequest
from fieldkit.core.library import IndexProgress


@pytest.fixture
def client(home: HomePaths) -> Iterator[Client]:
    with open_client(home) as opened:
        yield opened


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "My notes"
    (folder / "Accounts").mkdir(parents=True)
    (folder / "Accounts" / "acme.md").write_text(
        "# Acme renewal\n\nAcme wants volume discounts on the analytics platform.\n"
    )
    (folder / "pitch.txt").write_text("Elevator pitch: faster dashboards for retailers.\n")
    return folder


def _ids(client: Client, query: str) -> list[str]:
    results = client.library.search(SearchRequest(query=query))
    return [Path(hit.path).name for hit in results.hits]


def test_added_folder_is_indexed_and_marked_personal(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    report = client.library.index()
    assert (report.indexed, report.failed, report.removed) == (2, 0, 0)
    results = client.library.search(SearchRequest(query="discounts"))
    assert [Path(h.path).name for h in results.hits] == ["acme.md"]
    hit = results.hits[0]
    assert hit.personal and hit.status == "personal"
    assert hit.title == "Acme renewal"
    assert hit.folder == "My notes/Accounts"


def test_second_run_extracts_nothing(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    report = client.library.index()
    assert (report.indexed, report.unchanged, report.removed) == (0, 2, 0)


def test_touched_but_unchanged_file_is_not_extracted_again(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    target = notes / "pitch.txt"
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    report = client.library.index()
    assert (report.indexed, report.unchanged) == (0, 2)


def test_changed_and_deleted_files(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    (notes / "pitch.txt").write_text("Elevator pitch: predictive inventory for grocers.\n")
    (notes / "Accounts" / "acme.md").unlink()
    report = client.library.index()
    assert (report.indexed, report.removed) == (1, 1)
    assert _ids(client, "grocers") == ["pitch.txt"]
    assert _ids(client, "dashboards") == []
    assert _ids(client, "discounts") == []


def test_partial_run_looks_only_at_given_paths(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    (notes / "new.md").write_text("# Battlecard\n\nWhy we beat Contoso on price.\n")
    (notes / "pitch.txt").unlink()
    report = client.library.index(only=[notes / "new.md"])
    assert (report.indexed, report.removed) == (1, 0)
    assert _ids(client, "contoso") == ["new.md"]
    # The deletion was outside the partial run; the next full scan finds it.
    assert client.library.index().removed == 1


def test_every_file_ends_indexed_or_failed_with_a_reason(client: Client, notes: Path) -> None:
    (notes / "empty.txt").write_bytes(b"")
    (notes / "program.exe").write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 4)
    client.library.add_folder(notes)
    report = client.library.index()
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert reasons == {"empty.txt": "empty file", "program.exe": "unsupported format"}
    status = client.library.status()
    assert (status.documents, status.indexed, status.failed) == (4, 2, 2)
    assert {Path(f.path).name for f in client.library.failures()} == {"empty.txt", "program.exe"}


def test_progress_is_reported(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    seen: list[IndexProgress] = []
    client.library.index(progress=seen.append)
    assert seen[0].done == 0 and seen[-1].done == seen[-1].total == 2


def test_damaged_index_is_rebuilt_from_the_catalog(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    for entry in client.home.index_dir.iterdir():
        if entry.is_file():
            entry.write_bytes(b"garbage")
    report = client.library.index()
    assert report.rebuilt
    assert report.indexed == 2
    assert _ids(client, "discounts") == ["acme.md"]


def test_index_wiped_behind_our_back_is_refilled(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    client.index.reset()
    report = client.library.index()
    assert report.indexed == 2
    assert _ids(client, "dashboards") == ["pitch.txt"]


@pytest.mark.parametrize("relation", ["same", "inside", "missing", "file"])
def test_bad_folders_get_clear_messages(client: Client, notes: Path, relation: str) -> None:
    client.library.add_folder(notes)
    target = {
        "same": notes,
        "inside": notes / "Accounts",
        "missing": notes / "nope",
        "file": notes / "pitch.txt",
    }[relation]
    with pytest.raises(UsageError):
        client.library.add_folder(target)


def test_removing_a_folder_drops_its_documents(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    client.library.remove_folder(notes)
    assert _ids(client, "dashboards") == []
    assert client.library.status().documents == 0
    assert notes.exists()


def test_moved_folder_contents(client: Client, notes: Path) -> None:
    client.library.add_folder(notes)
    client.library.index()
    shutil.move(notes / "Accounts", notes / "Customers")
    report = client.library.index()
    assert (report.indexed, report.removed) == (1, 1)
    results = client.library.search(SearchRequest(query="discounts"))
    assert [h.folder for h in results.hits] == ["My notes/Customers"]
