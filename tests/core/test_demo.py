"""The demo library shows every state a rep can meet, from a real hub run in-process."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldkit.cli import main
from fieldkit.core.catalog import MirrorEntry
from fieldkit.core.client import open_client
from fieldkit.core.demo import DemoHub
from fieldkit.core.home import HomePaths
from fieldkit.core.index import SearchRequest


def test_demo_shows_every_state(home: HomePaths) -> None:
    demo = DemoHub(home)
    try:
        with open_client(home) as client:
            ready = demo.start(client)
            assert ready.first_sync is not None and ready.first_sync.ok
            assert ready.index.failed == 0
            with client.sessions.begin() as session:
                entries = session.scalars(select(MirrorEntry)).all()
                behind = {
                    e.rel_path
                    for e in entries
                    if not e.withdrawn and (e.local_version or 0) < e.version
                }
            assert behind == {
                "Decks/Halyard Platform Overview.pptx",
                "Data sheets/Halyard Sentinel Data Sheet.pdf",
                "Battlecards/Halyard vs Cobaltline.md",
            }
            everything = client.library.search(
                SearchRequest(query="halyard", limit=100, include_withdrawn=True,
                              include_archived=True)
            )
            states = Counter(hit.status for hit in everything.hits)
            assert {"current", "outdated", "expired", "expiring", "superseded"} <= set(states)
            # Withdrawn before the rep ever synced it: never downloaded into the mirror.
            assert not (home.mirror_dir / "One-pagers" / "Legacy Connector Bundle.pdf").exists()
            default = client.library.search(SearchRequest(query="legacy connector"))
            assert all(hit.status not in ("withdrawn", "archived") for hit in default.hits)
    finally:
        demo.stop()


def test_second_demo_run_reuses_the_library(home: HomePaths) -> None:
    for _ in range(2):
        demo = DemoHub(home)
        try:
            with open_client(home) as client:
                ready = demo.start(client)
        finally:
            demo.stop()
    assert ready.first_sync is None
    assert ready.index.indexed == 0


def test_demo_command_without_a_display_gives_a_tour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--home", str(tmp_path / "home"), "demo", "--no-window"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Demo hub serving the sample library on http://127.0.0.1:" in out
    assert "Retail and Hospitality Deck.pptx" in out
    assert "slide 5" in out
