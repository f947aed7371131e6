"""The hub notices changes by itself: file events (or polling), and the periodic rescan."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from hub_helpers import write

from fieldkit.hub import Hub, HubServer
from fieldkit.hub.schemas import Manifest


def manifest(client: httpx.Client) -> Manifest:
    return Manifest.model_validate(client.get("/api/v1/manifest").json())


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_watcher_publishes_changes_without_a_manual_scan(
    root: Path, db_url: str, poll: bool
) -> None:
    write(root, "a.pdf", b"a")
    hub = Hub.open(root, db_url, poll=poll, debounce=0.1)
    token = hub.reps.add("alice")
    with HubServer(hub) as server, httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        start = manifest(client).generation

        write(root, "b.pdf", b"b")
        generation = hub.scanner.wait_for_generation(start + 1, timeout=30)
        assert generation > start
        assert sorted(d.path for d in manifest(client).documents) == ["a.pdf", "b.pdf"]

        (root / "a.pdf").rename(root / "renamed.pdf")
        assert hub.scanner.wait_for_generation(generation + 1, timeout=30) > generation
        assert sorted(d.path for d in manifest(client).documents) == ["b.pdf", "renamed.pdf"]


def test_periodic_rescan_catches_what_no_event_reports(
    root: Path, db_url: str, tmp_path: Path
) -> None:
    write(root, "a.pdf", b"first")
    # Writing through a hard link outside the watched folder raises no event inside it.
    outside = tmp_path / "outside-link.pdf"
    os.link(root / "a.pdf", outside)
    hub = Hub.open(root, db_url, rescan_interval=0.3)
    with HubServer(hub):
        start = hub.scanner.wait_for_generation(0, timeout=0)

        outside.write_bytes(b"second, longer")

        assert hub.scanner.wait_for_generation(start + 1, timeout=30) > start
        [doc] = hub.store.live_documents()
        assert (doc.path, doc.version, doc.size) == ("a.pdf", 2, len(b"second, longer"))
