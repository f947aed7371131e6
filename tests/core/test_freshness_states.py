"""Every freshness state from a real hub with versions published over time, the clock injected;
plus the wording of reasons, "checked 3 h ago" and the version details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from freshness_support import Clock, Laptop, RunningHub, at, publish

from fieldkit.core import freshness
from fieldkit.core.freshness import FreshnessReport, read_freshness
from fieldkit.core.index import SearchRequest


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


def report(laptop: Laptop, now: datetime) -> FreshnessReport:
    return read_freshness(laptop.home, laptop.sessions, expiring_days=14, now=now)


def state_of(laptop: Laptop, now: datetime, title: str) -> freshness.DocumentFreshness:
    found = [d for d in report(laptop, now).documents if d.title == title]
    assert len(found) == 1, [d.title for d in report(laptop, now).documents]
    return found[0]


def test_each_state_as_versions_are_published_over_time(hub: RunningHub, laptop: Laptop) -> None:
    publish(hub, "Pricing.xlsx", b"prices v1", 'title = "Pricing"\nnotes = "First prices"\n')
    publish(hub, "Deck.pptx", b"deck v1")
    publish(hub, "Promo.pdf", b"promo", 'expires = 2027-01-15\n')
    publish(hub, "Case Acme.docx", b"old case")
    publish(hub, "Case Acme 2026.docx", b"new case", 'title = "Acme 2026"\n')
    publish(hub, "Retired.docx", b"retired")
    laptop.sync(hub)
    clock = Clock(at("2026-12-01T09:00:00"))

    first = report(laptop, clock())
    assert {d.title: d.state for d in first.documents} == {
        "Pricing": freshness.CURRENT,
        "Deck": freshness.CURRENT,
        "Promo": freshness.CURRENT,
        "Case Acme": freshness.CURRENT,
        "Acme 2026": freshness.CURRENT,
        "Retired": freshness.CURRENT,
    }
    assert first.attention() == ()

    # Marketing publishes Pricing v2; a metered sync fetches the manifest only.
    publish(hub, "Pricing.xlsx", b"prices v2, longer", 'title = "Pricing"\nnotes = "Q4 prices"\n')
    laptop.sync(hub, metered=True)
    pricing = state_of(laptop, clock(), "Pricing")
    assert (pricing.state, pricing.local_version, pricing.latest_version) == (
        freshness.OUTDATED, 1, 2,
    )
    assert pricing.reason == "You have v1; v2 is available."
    day = freshness.short_date(datetime.now().astimezone().date(), clock().date())
    assert pricing.details == f"You have v1 ({day}), latest v2 ({day}): Q4 prices"
    assert pricing.local_path == laptop.mirror_path("Pricing.xlsx")

    # Withdrawn and superseded, through sidecars.
    publish(hub, "Retired.docx", b"retired", 'withdrawn = "Old positioning"\n')
    publish(hub, "Case Acme.docx", b"old case", 'superseded_by = "Case Acme 2026.docx"\n')
    laptop.sync(hub, metered=True)
    retired = state_of(laptop, clock(), "Retired")
    assert retired.state == freshness.WITHDRAWN
    assert retired.local_path == laptop.home.archive_dir / "Retired.docx"
    case = state_of(laptop, clock(), "Case Acme")
    assert case.state == freshness.SUPERSEDED
    assert case.reason == "Superseded by “Acme 2026”."
    assert case.superseded_by_title == "Acme 2026"

    # Expiring, then expired, as the clock moves.
    assert state_of(laptop, at("2027-01-05T09:00:00"), "Promo").state == freshness.EXPIRING
    assert state_of(laptop, at("2027-01-05T09:00:00"), "Promo").reason == (
        "Expires on 2027-01-15."
    )
    assert state_of(laptop, at("2027-01-16T09:00:00"), "Promo").state == freshness.EXPIRED

    # The rep edits the mirrored deck.
    laptop.mirror_path("Deck.pptx").write_bytes(b"deck v1 with my notes")
    deck = state_of(laptop, clock(), "Deck")
    assert deck.state == freshness.MODIFIED
    assert "not the approved copy" in deck.reason

    final = report(laptop, clock())
    assert {d.title for d in final.attention()} == {"Pricing", "Retired", "Case Acme", "Deck"}
    assert final.counts() == {
        freshness.WITHDRAWN: 1,
        freshness.SUPERSEDED: 1,
        freshness.MODIFIED: 1,
        freshness.OUTDATED: 1,
    }

    # A full sync brings Pricing up to date and restores the approved deck.
    laptop.sync(hub)
    assert state_of(laptop, clock(), "Pricing").state == freshness.CURRENT
    assert state_of(laptop, clock(), "Deck").state == freshness.CURRENT


def test_a_touched_file_with_the_same_bytes_stays_current(
    hub: RunningHub, laptop: Laptop
) -> None:
    publish(hub, "Deck.pptx", b"deck v1")
    laptop.sync(hub)
    path = laptop.mirror_path("Deck.pptx")
    path.write_bytes(b"deck v1")  # same bytes, new modification time
    assert state_of(laptop, at("2026-12-01T09:00:00"), "Deck").state == freshness.CURRENT


def test_checked_wording_follows_the_last_good_sync(hub: RunningHub, laptop: Laptop) -> None:
    assert report(laptop, at("2026-12-01T09:00:00")).checked == "never checked with the hub"
    publish(hub, "Deck.pptx", b"deck v1")
    laptop.sync(hub)
    checked = report(laptop, at("2026-12-01T09:00:00")).checked_at
    assert checked is not None
    assert report(laptop, checked + timedelta(hours=3, minutes=5)).checked == "checked 3 h ago"
    hub.stop()
    with pytest.raises(AssertionError):
        laptop.sync(hub)  # offline: the last good sync stays what it was
    assert report(laptop, checked + timedelta(minutes=20)).checked == "checked 20 min ago"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "checked just now"),
        (59, "checked just now"),
        (60, "checked 1 min ago"),
        (3 * 3600 + 120, "checked 3 h ago"),
        (86400 + 10, "checked yesterday"),
        (5 * 86400, "checked 5 days ago"),
    ],
)
def test_checked_ago(seconds: int, text: str) -> None:
    now = at("2026-11-27T12:00:00")
    assert freshness.checked_ago(now - timedelta(seconds=seconds), now) == text


def test_version_details_wording() -> None:
    today = date(2026, 11, 27)
    assert freshness.version_details(
        local_version=4,
        local_published=date(2026, 10, 12),
        latest_version=5,
        latest_published=date(2026, 11, 20),
        notes="New enterprise tier",
        today=today,
    ) == "You have v4 (12 Oct), latest v5 (20 Nov): New enterprise tier"
    assert freshness.version_details(
        local_version=5, local_published=None, latest_version=5,
        latest_published=date(2025, 3, 2), notes=None, today=today,
    ) == "You have the latest, v5 (2 Mar 2025)."
    assert freshness.version_details(
        local_version=None, local_published=None, latest_version=2,
        latest_published=None, notes=None, today=today,
    ) == "Not on this laptop yet; latest v2."


def test_modified_ranks_below_expired_and_above_outdated() -> None:
    common = {
        "version": 5, "withdrawn": False, "superseded_by_title": None,
        "today": date(2026, 11, 27), "expiring_days": 14, "modified": True,
    }
    outdated_and_modified = freshness.evaluate(local_version=4, expires=None, **common)
    assert outdated_and_modified.state == freshness.MODIFIED
    expired_and_modified = freshness.evaluate(local_version=5, expires="2026-01-01", **common)
    assert expired_and_modified.state == freshness.EXPIRED


def test_search_ranks_current_first_and_hides_withdrawn(hub: RunningHub, laptop: Laptop) -> None:
    text = "# {title}\n\nEnterprise pricing for retail chains, with volume discounts.\n"
    publish(hub, "Pricing.md", text.format(title="Pricing 2026"))
    publish(hub, "Pricing 2024.md", text.format(title="Pricing 2024"), "expires = 2025-01-31\n")
    publish(hub, "Pricing draft.md", text.format(title="Pricing draft"))
    laptop.sync(hub)
    publish(
        hub, "Pricing draft.md", text.format(title="Pricing draft"), 'withdrawn = "Never final"\n'
    )
    result = laptop.sync(hub)
    assert result.archived == 1
    laptop.client.library.index()

    found = laptop.client.library.search(SearchRequest("enterprise pricing"))
    assert [(h.title, h.status) for h in found.hits] == [
        ("Pricing 2026", freshness.CURRENT),
        ("Pricing 2024", freshness.EXPIRED),
    ]
    everything = laptop.client.library.search(
        SearchRequest("enterprise pricing", include_withdrawn=True, include_archived=True)
    )
    assert [h.title for h in everything.hits][-1] == "Pricing draft"
    assert len(everything.hits) == 3
