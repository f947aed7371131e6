"""Meeting kits against a real hub: pinning (kept even in metered mode), the readiness check and
how it flips when a kit document changes on the hub, and version-stamped exports."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from freshness_support import Clock, Laptop, RunningHub, at, publish
from sqlalchemy import select

from fieldkit.core import freshness
from fieldkit.core.catalog import MirrorEntry
from fieldkit.core.errors import UsageError
from fieldkit.core.kits import STAMP_NAME, KitNotReady, Kits, parse_meeting
from fieldkit.core.source import HubSource
from fieldkit.core.sync import SyncControl, Syncer, set_pinned

# Monday 30 November 2026; the meeting is on Tuesday at 10:00.
MONDAY = at("2026-11-30T09:00:00")
DECK = b"overview deck, v1"
PRICES = b"price list, v1"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    root = tmp_path / "approved"
    root.mkdir()
    running = RunningHub(root, tmp_path / "hub.sqlite3")
    publish(running, "Decks/Overview.pptx", DECK, 'title = "Product overview"\n')
    publish(running, "Pricing/Prices.xlsx", PRICES, 'title = "Prices"\nexpires = 2027-06-30\n')
    publish(running, "Other.txt", b"something else")
    yield running
    running.stop()


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Laptop]:
    opened = Laptop(tmp_path / "home")
    yield opened
    opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def kits(laptop: Laptop, clock: Clock) -> Kits:
    return Kits(laptop.home, laptop.sessions, expiring_days=14, clock=clock)


def ids(laptop: Laptop) -> dict[str, str]:
    with laptop.sessions.begin() as session:
        return {e.rel_path: e.doc_id for e in session.scalars(select(MirrorEntry))}


def pinned(laptop: Laptop) -> set[str]:
    with laptop.sessions.begin() as session:
        return set(
            session.scalars(select(MirrorEntry.rel_path).where(MirrorEntry.pinned.is_(True)))
        )


def fetch_manifest_only(laptop: Laptop, hub: RunningHub) -> None:
    """A sync stopped before any download: the laptop learns about the new versions only."""
    control = SyncControl()
    control.cancel()
    with HubSource(hub.url, hub.token) as source:
        result = Syncer(laptop.home, laptop.sessions, source, control=control).run()
    assert result.cancelled and result.downloaded == result.updated == 0


def test_readiness_flips_when_a_kit_document_is_updated_on_the_hub(
    hub: RunningHub, laptop: Laptop, kits: Kits
) -> None:
    laptop.sync(hub)
    doc = ids(laptop)
    kits.create("ACME pitch", customer="ACME", meeting="2026-12-01 10:00")
    kits.add("ACME pitch", [doc["Decks/Overview.pptx"], "Pricing/Prices.xlsx"])

    ready = kits.check("ACME pitch")
    assert ready.ready
    assert ready.message == "Ready for Tue 10:00 ACME"
    assert [i.title for i in ready.items] == ["Product overview", "Prices"]
    assert ready.checked == freshness.checked_ago(freshness.last_checked(laptop.sessions), MONDAY)

    publish(hub, "Decks/Overview.pptx", b"overview deck, v2 with the new tier",
            'title = "Product overview"\nnotes = "New tier"\n')
    assert kits.check("ACME pitch").ready  # offline: the laptop does not know yet

    fetch_manifest_only(laptop, hub)
    stale = kits.check("ACME pitch")
    assert not stale.ready
    assert stale.message == "1 item outdated — update now"
    assert stale.update_helps
    deck = stale.items[0]
    assert (deck.state, deck.problem, deck.local_version, deck.latest_version) == (
        freshness.OUTDATED, "outdated", 1, 2,
    )
    assert deck.details.startswith("You have v1 (") and "latest v2 (" in deck.details
    assert deck.details.endswith(": New tier")

    laptop.sync(hub, metered=True)  # pinned: fetched even on a metered connection
    again = kits.check("ACME pitch")
    assert again.ready and again.message == "Ready for Tue 10:00 ACME"
    assert again.items[0].local_version == 2


def test_kit_documents_are_pinned_and_downloaded_in_metered_mode(
    hub: RunningHub, laptop: Laptop, kits: Kits
) -> None:
    laptop.sync(hub, metered=True)  # the manifest only
    assert not laptop.mirror_path("Decks/Overview.pptx").exists()
    kits.create("Demo day")
    kits.add("Demo day", ["Decks/Overview.pptx"])
    assert pinned(laptop) == {"Decks/Overview.pptx"}
    waiting = kits.check("Demo day")
    assert waiting.message == "1 item not downloaded — update now"
    assert waiting.items[0].problem == "not downloaded"

    laptop.sync(hub, metered=True)
    assert laptop.mirror_path("Decks/Overview.pptx").read_bytes() == DECK
    assert not laptop.mirror_path("Other.txt").exists()
    assert kits.check("Demo day").message == "“Demo day” is ready"


def test_pins_are_released_with_the_last_kit_and_manual_pins_kept(
    hub: RunningHub, laptop: Laptop, kits: Kits
) -> None:
    laptop.sync(hub)
    set_pinned(laptop.sessions, "Other.txt", True)  # the rep pinned this one by hand
    kits.create("A")
    kits.create("B")
    kits.add("A", ["Decks/Overview.pptx", "Other.txt"])
    kits.add("B", ["Decks/Overview.pptx"])
    assert pinned(laptop) == {"Decks/Overview.pptx", "Other.txt"}
    kits.delete("A")
    assert pinned(laptop) == {"Decks/Overview.pptx", "Other.txt"}
    doc = ids(laptop)
    kits.remove("B", [doc["Decks/Overview.pptx"]])
    assert pinned(laptop) == {"Other.txt"}
    assert kits.get("b").doc_ids == ()  # names are found regardless of case


def test_readiness_names_each_kind_of_problem(
    hub: RunningHub, laptop: Laptop, kits: Kits, clock: Clock
) -> None:
    publish(hub, "Promo.pdf", b"promo", "expires = 2026-12-10\n")
    publish(hub, "Retired.docx", b"retired")
    laptop.sync(hub)
    kits.create("Review", meeting="2026-12-15")
    assert kits.check("Review").message == "The kit is empty — add documents to it."
    kits.add("Review", ["Promo.pdf", "Retired.docx", "Other.txt"])
    first = kits.check("Review")
    assert first.message == "1 item expiring before the meeting"
    assert not first.update_helps

    publish(hub, "Retired.docx", b"retired", 'withdrawn = "Old positioning"\n')
    (hub.root / "Other.txt").unlink()
    hub.rescan()
    laptop.sync(hub)
    clock.now = at("2026-12-11T08:00:00")
    final = kits.check("Review")
    assert {i.title: i.problem for i in final.items} == {
        "Promo": "expired",
        "Retired": "withdrawn",
        "Other": "no longer on the hub",
    }
    assert final.message == "1 item expired, 1 withdrawn, 1 no longer on the hub"


def test_export_as_folder_and_zip_with_a_version_stamp(
    hub: RunningHub, laptop: Laptop, kits: Kits, tmp_path: Path
) -> None:
    laptop.sync(hub)
    kits.create("ACME pitch", customer="ACME", meeting="2026-12-01 10:00")
    kits.add("ACME pitch", ["Decks/Overview.pptx", "Pricing/Prices.xlsx"])

    folder = kits.export("ACME pitch", tmp_path / "out" / "ACME")
    assert folder.path == tmp_path / "out" / "ACME"
    assert folder.files == ("Overview.pptx", "Prices.xlsx", STAMP_NAME)
    assert (folder.path / "Overview.pptx").read_bytes() == DECK
    stamp = (folder.path / STAMP_NAME).read_text(encoding="utf-8")
    assert stamp == folder.stamp
    assert "Kit: ACME pitch\nCustomer: ACME\nMeeting: 2026-12-01 10:00\n" in stamp
    assert f"Product overview\tv1\t{hashlib.sha256(DECK).hexdigest()}\tOverview.pptx" in stamp
    assert f"Prices\tv1\t{hashlib.sha256(PRICES).hexdigest()}\tPrices.xlsx" in stamp
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ACME"]

    archive = kits.export("ACME pitch", tmp_path / "out" / "ACME kit", as_zip=True)
    assert archive.path == tmp_path / "out" / "ACME kit.zip"
    with zipfile.ZipFile(archive.path) as opened:
        assert sorted(opened.namelist()) == ["Overview.pptx", "Prices.xlsx", STAMP_NAME]
        assert opened.read("Prices.xlsx") == PRICES
        assert opened.read(STAMP_NAME).decode() == archive.stamp

    with pytest.raises(UsageError, match="already exists"):
        kits.export("ACME pitch", tmp_path / "out" / "ACME")


def test_export_refuses_outdated_or_edited_documents(
    hub: RunningHub, laptop: Laptop, kits: Kits, tmp_path: Path
) -> None:
    laptop.sync(hub)
    kits.create("ACME pitch")
    kits.add("ACME pitch", ["Decks/Overview.pptx"])
    publish(hub, "Decks/Overview.pptx", b"overview deck, v2")
    fetch_manifest_only(laptop, hub)
    with pytest.raises(KitNotReady, match="1 item outdated — update now"):
        kits.export("ACME pitch", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    anyway = kits.export("ACME pitch", tmp_path / "out", anyway=True)
    assert "Product overview\tv1\t" in anyway.stamp and "\toutdated" in anyway.stamp

    laptop.mirror_path("Decks/Overview.pptx").write_bytes(b"my own slides")
    with pytest.raises(KitNotReady, match="not on this laptop as approved copies"):
        kits.export("ACME pitch", tmp_path / "out2", anyway=True)
    assert not (tmp_path / "out2").exists()


def test_kits_due_for_the_day_before_check(laptop: Laptop, kits: Kits, clock: Clock) -> None:
    kits.create("Tomorrow", meeting="2026-12-01 08:30")
    kits.create("Next week", meeting="2026-12-08 10:00")
    kits.create("Undated")
    clock.now = datetime(2026, 11, 30, 9, 0).astimezone()  # 09:00 on Monday, local time
    assert [k.name for k in kits.due()] == ["Tomorrow"]
    assert [k.name for k in kits.due(within=timedelta(days=10))] == ["Tomorrow", "Next week"]
    assert [k.name for k in kits.all()] == ["Tomorrow", "Next week", "Undated"]


def test_names_dates_and_documents_are_checked(
    hub: RunningHub, laptop: Laptop, kits: Kits
) -> None:
    laptop.sync(hub)
    kits.create("ACME")
    with pytest.raises(UsageError, match="already a kit"):
        kits.create("acme ")
    with pytest.raises(UsageError, match="needs a name"):
        kits.create("   ")
    with pytest.raises(UsageError, match="not a meeting date"):
        kits.create("Bad date", meeting="next tuesday")
    with pytest.raises(UsageError, match="No kit called"):
        kits.add("Nope", ["Other.txt"])
    with pytest.raises(UsageError, match="No approved document"):
        kits.add("ACME", ["does/not/exist.pptx"])
    added = kits.add("ACME", [str(laptop.mirror_path("Other.txt"))])
    assert added.titles == ("Other",)
    kits.create("Other")
    with pytest.raises(UsageError, match="already a kit"):
        kits.rename("ACME", "other")
    renamed = kits.rename("acme", " ACME  Q4 ")
    assert (renamed.name, renamed.titles) == ("ACME Q4", ("Other",))
    assert kits.rename("ACME Q4", "ACME").name == "ACME"  # back, and a change of case is fine
    edited = kits.edit("ACME", customer="ACME Corp", meeting="2026-12-02")
    assert (edited.customer, edited.meeting_has_time) == ("ACME Corp", False)
    assert edited.meeting_text(at("2026-11-30T09:00:00").replace(tzinfo=None)) == "Wed"
    assert parse_meeting("2026-12-01T10:00") == "2026-12-01T10:00"
