"""What's new: documents added or updated on a real hub since the rep last looked, and the
one-time notification after a sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from freshness_support import Clock, Laptop, RunningHub, at, publish

from fieldkit.core.whatsnew import ADDED, UPDATED, WhatsNewTracker


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    root = tmp_path / "approved"
    root.mkdir()
    running = RunningHub(root, tmp_path / "hub.sqlite3")
    yield running
    running.stop()


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Laptop]:
    opened = Laptop(tmp_path / "home")
    yield opened
    opened.close()


def test_added_and_updated_since_the_rep_last_looked(hub: RunningHub, laptop: Laptop) -> None:
    clock = Clock(at("2026-11-27T08:00:00"))
    tracker = WhatsNewTracker(laptop.home, laptop.sessions, clock=clock)
    publish(hub, "Deck.pptx", b"deck v1", 'title = "Overview"\n')
    publish(hub, "Prices.xlsx", b"prices v1")
    laptop.sync(hub)

    first = tracker.since_last_looked()
    assert first.since is None
    assert {(d.title, d.change) for d in first.documents} == {
        ("Overview", ADDED), ("Prices", ADDED),
    }
    tracker.mark_looked()
    looked = tracker.since_last_looked()
    assert looked.documents == ()
    assert looked.since == clock.now
    assert looked.generation is not None

    publish(hub, "Prices.xlsx", b"prices v2 with more", 'notes = "Q4 prices"\n')
    publish(hub, "Case.docx", b"a new case study")
    publish(hub, "Deck.pptx", b"deck v1", 'title = "Overview"\ntags = ["retagged"]\n')
    laptop.sync(hub)
    news = tracker.since_last_looked()
    assert {(d.title, d.change, d.version, d.previous_version) for d in news.documents} == {
        ("Prices", UPDATED, 2, 1),
        ("Case", ADDED, 1, None),
    }
    prices = next(d for d in news.documents if d.title == "Prices")
    assert prices.notes == "Q4 prices"
    assert prices.local_path == laptop.mirror_path("Prices.xlsx")
    assert prices.published_at is not None


def test_a_sync_announces_news_once(hub: RunningHub, laptop: Laptop) -> None:
    tracker = WhatsNewTracker(laptop.home, laptop.sessions)
    publish(hub, "Deck.pptx", b"deck v1", 'title = "Overview"\n')
    laptop.sync(hub)
    tracker.mark_looked()

    publish(hub, "Deck.pptx", b"deck v2, new slides", 'title = "Overview"\n')
    laptop.sync(hub)
    announced = tracker.announce()
    assert announced.summary() == "1 new or updated document: Overview (v2)"
    assert tracker.announce().documents == ()  # the next sync brings nothing new
    assert [d.title for d in tracker.since_last_looked().documents] == ["Overview"]

    for n in range(4):
        publish(hub, f"Brief {n}.txt", f"brief {n}")
    publish(hub, "Withdrawn.txt", b"gone", 'withdrawn = true\n')
    laptop.sync(hub)
    summary = tracker.announce().summary()
    assert summary is not None
    assert summary.startswith("4 new or updated documents: ")
    assert summary.endswith(" and 1 more")
    tracker.mark_looked()
    assert tracker.since_last_looked().documents == ()
    assert tracker.announce().summary() is None
