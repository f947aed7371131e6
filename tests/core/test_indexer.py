"""While fieldkit runs, a changed file becomes searchable on its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit.core.client import Client, open_client
from fieldkit.core.home import HomePaths
from fieldkit.core.index import SearchRequest
from fieldkit.core.indexer import IndexService
from fieldkit.core.library import IndexReport
from fieldkit.core.watch import FolderWatcher


@pytest.fixture
def client(home: HomePaths) -> Iterator[Client]:
    with open_client(home) as opened:
        yield opened


def test_watched_changes_reach_the_index(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("quarterly roadmap\n")
    client.library.add_folder(folder)

    reports: list[IndexReport] = []
    changed = threading.Event()

    def on_report(report: IndexReport) -> None:
        reports.append(report)
        if report.indexed or report.removed:
            changed.set()

    service = IndexService(client.library, on_report=on_report)
    watcher = FolderWatcher(service.request, quiet_s=0.05, max_delay_s=0.3)
    watcher.watch(folder)
    service.start()
    watcher.start()
    try:
        assert changed.wait(20), "start-up scan did not index"
        changed.clear()
        (folder / "b.txt").write_text("territory plan for the northeast\n")
        assert changed.wait(20), "new file not indexed"
        hits = client.library.search(SearchRequest(query="territory")).hits
        assert [Path(h.path).name for h in hits] == ["b.txt"]
        changed.clear()
        (folder / "a.txt").unlink()
        assert changed.wait(20), "deletion not noticed"
        assert client.library.search(SearchRequest(query="roadmap")).hits == ()
    finally:
        watcher.stop()
        service.stop()
    assert all(r.failed == 0 for r in reports)


def test_requests_pile_up_into_one_full_scan(client: Client, tmp_path: Path) -> None:
    service = IndexService(client.library)
    for n in range(5):
        service.request([tmp_path / f"{n}.txt"])
    service.request(None)
    service.start()
    try:
        assert service.wait_idle(20)
        assert service.runs == 1
    finally:
        service.stop()
