"""Open the latest, online and offline: the newest version is fetched first (just that document)
when the hub answers; otherwise the local copy opens with a clear warning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from freshness_support import Laptop, RunningHub, publish
from sqlalchemy import select

from fieldkit.core.catalog import MirrorEntry
from fieldkit.core.errors import OfflineError, UsageError
from fieldkit.core.fetch_one import fetch_document, source_fetcher
from fieldkit.core.open_latest import Fetcher, OpenTarget, prepare_open
from fieldkit.core.source import HubSource
from fieldkit.core.sync import SyncControl, Syncer, SyncResult

DECK_V1 = b"deck, version one"
DECK_V2 = b"deck, version two with the new tier"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    root = tmp_path / "approved"
    root.mkdir()
    running = RunningHub(root, tmp_path / "hub.sqlite3")
    publish(running, "Decks/Deck.pptx", DECK_V1, 'title = "Overview"\n')
    publish(running, "Prices.xlsx", b"prices v1")
    yield running
    running.stop()


@pytest.fixture
def laptop(tmp_path: Path, hub: RunningHub) -> Iterator[Laptop]:
    opened = Laptop(tmp_path / "home")
    opened.sync(hub)
    yield opened
    opened.close()


def doc_id(laptop: Laptop, rel: str) -> str:
    with laptop.sessions.begin() as session:
        found = session.scalar(select(MirrorEntry.doc_id).where(MirrorEntry.rel_path == rel))
    assert found is not None
    return found


def fetcher(laptop: Laptop, hub: RunningHub, results: list[SyncResult]) -> Fetcher:
    return source_fetcher(
        laptop.home,
        laptop.sessions,
        lambda: HubSource(hub.url, hub.token),
        after=results.append,
    )


def open_it(laptop: Laptop, ref: str, fetch: Fetcher | None) -> OpenTarget:
    return prepare_open(laptop.home, laptop.sessions, ref, fetch=fetch, expiring_days=14)


def learn_manifest(laptop: Laptop, hub: RunningHub) -> None:
    control = SyncControl()
    control.cancel()
    with HubSource(hub.url, hub.token) as source:
        Syncer(laptop.home, laptop.sessions, source, control=control).run()


def test_online_the_newest_version_is_fetched_first_and_only_it(
    hub: RunningHub, laptop: Laptop
) -> None:
    publish(hub, "Decks/Deck.pptx", DECK_V2, 'title = "Overview"\n')
    publish(hub, "Prices.xlsx", b"prices v2, not needed right now")
    results: list[SyncResult] = []
    target = open_it(laptop, doc_id(laptop, "Decks/Deck.pptx"), fetcher(laptop, hub, results))
    assert target.path == laptop.mirror_path("Decks/Deck.pptx")
    assert target.path.read_bytes() == DECK_V2
    assert (target.version, target.latest_version, target.fetched, target.warning) == (
        2, 2, True, None,
    )
    assert laptop.mirror_path("Prices.xlsx").read_bytes() == b"prices v1"
    assert results[0].pending == 1
    assert laptop.mirror_path("Decks/Deck.pptx") in results[0].changed_paths

    again = open_it(laptop, "Decks/Deck.pptx", fetcher(laptop, hub, results))
    assert (again.version, again.fetched) == (2, False)


def test_offline_the_local_copy_opens_with_a_warning(hub: RunningHub, laptop: Laptop) -> None:
    publish(hub, "Decks/Deck.pptx", DECK_V2, 'title = "Overview"\nnotes = "New tier"\n')
    learn_manifest(laptop, hub)
    hub.stop()
    target = open_it(laptop, doc_id(laptop, "Decks/Deck.pptx"), fetcher(laptop, hub, []))
    assert target.path.read_bytes() == DECK_V1
    assert (target.version, target.latest_version, target.fetched) == (1, 2, False)
    assert target.warning is not None
    assert target.warning.startswith(
        "Opening the copy on this laptop: the hub can't be reached right now. "
        "“Overview”: You have v1 ("
    )
    assert target.warning.endswith(": New tier")


def test_offline_and_never_downloaded_is_a_clear_error(
    hub: RunningHub, tmp_path: Path
) -> None:
    laptop = Laptop(tmp_path / "metered home")
    try:
        laptop.sync(hub, metered=True)
        deck = doc_id(laptop, "Decks/Deck.pptx")
        hub.stop()
        with pytest.raises(OfflineError, match="not on this laptop yet"):
            open_it(laptop, deck, fetcher(laptop, hub, []))
    finally:
        laptop.close()


def test_an_edited_copy_is_kept_and_the_approved_one_opens(
    hub: RunningHub, laptop: Laptop
) -> None:
    laptop.mirror_path("Decks/Deck.pptx").write_bytes(b"my own notes on the deck")
    offline = open_it(laptop, "Decks/Deck.pptx", None)
    assert offline.warning is not None and "Changed on this laptop" in offline.warning

    target = open_it(laptop, "Decks/Deck.pptx", fetcher(laptop, hub, []))
    assert target.path.read_bytes() == DECK_V1
    assert target.warning is None
    kept = laptop.home.my_edits_dir / "Decks" / "Deck.pptx"
    assert kept.read_bytes() == b"my own notes on the deck"


def test_an_old_copy_elsewhere_opens_the_latest(
    hub: RunningHub, laptop: Laptop, tmp_path: Path
) -> None:
    old = tmp_path / "Downloads" / "Deck (1).pptx"
    old.parent.mkdir()
    old.write_bytes(DECK_V1)
    publish(hub, "Decks/Deck.pptx", DECK_V2, 'title = "Overview"\n')
    target = open_it(laptop, str(old), fetcher(laptop, hub, []))
    assert target.path == laptop.mirror_path("Decks/Deck.pptx")
    assert target.path.read_bytes() == DECK_V2


def test_other_files_and_unknown_refs(laptop: Laptop, tmp_path: Path) -> None:
    mine = tmp_path / "my notes.txt"
    mine.write_text("mine")
    target = open_it(laptop, str(mine), None)
    assert (target.path, target.doc_id, target.warning) == (mine, None, None)
    with pytest.raises(UsageError, match="No document or file"):
        open_it(laptop, "d_nothing", None)


def test_not_connected_an_outdated_copy_says_why(hub: RunningHub, laptop: Laptop) -> None:
    publish(hub, "Decks/Deck.pptx", DECK_V2, 'title = "Overview"\n')
    learn_manifest(laptop, hub)
    target = open_it(laptop, "Decks/Deck.pptx", None)
    assert target.warning is not None
    assert "this laptop is not connected to a hub" in target.warning


def test_fetch_document_reports_offline(hub: RunningHub, laptop: Laptop) -> None:
    deck = doc_id(laptop, "Decks/Deck.pptx")
    hub.stop()
    with HubSource(hub.url, hub.token) as source, pytest.raises(OfflineError):
        fetch_document(laptop.home, laptop.sessions, source, deck)
