"""Stale copies elsewhere on the disk: found by hash against the manifest's history, scanned
incrementally, watched with watchdog, replaced by the latest with the old copy in the OS trash."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from freshness_support import Clock, Laptop, RunningHub, at, publish
from sqlalchemy import func, select

from fieldkit.core import freshness
from fieldkit.core.errors import FieldkitError, UsageError
from fieldkit.core.freshness_models import ScannedFile
from fieldkit.core.stale import ScanReport, StaleCopies, StaleWatch

V1 = b"price list, version one"
V2 = b"price list, version two: more rows"
V3 = b"price list, version three, even more rows"


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


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The freedesktop trash under ``tmp_path`` (send2trash reads XDG_DATA_HOME on import)."""
    assert sys.platform.startswith("linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    module = importlib.import_module("send2trash.plat_other")
    importlib.reload(module)
    yield tmp_path / "data" / "Trash"
    monkeypatch.undo()
    importlib.reload(module)


def stale(laptop: Laptop, clock: Clock | None = None) -> StaleCopies:
    return StaleCopies(
        laptop.home, laptop.sessions, expiring_days=14,
        clock=clock or Clock(at("2026-12-01T09:00:00")),
    )


@pytest.fixture
def pricing_v2(hub: RunningHub, laptop: Laptop) -> RunningHub:
    """Pricing published as v1, then v2 with notes; the laptop synced both."""
    publish(hub, "Pricing/Pricing.xlsx", V1, 'title = "Pricing"\n')
    laptop.sync(hub)
    publish(hub, "Pricing/Pricing.xlsx", V2, 'title = "Pricing"\nnotes = "More rows"\n')
    laptop.sync(hub)
    return hub


def test_old_copy_is_found_with_its_versions(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path
) -> None:
    (downloads / "Pricing.xlsx").write_bytes(V1)
    (downloads / "current copy.xlsx").write_bytes(V2)  # the latest: not stale
    (downloads / "holiday.jpg").write_bytes(b"x" * 5000)
    finder = stale(laptop)
    finder.add_folder(downloads)
    report = finder.scan()
    assert not report.cancelled
    assert [(c.path, c.copy_version, c.latest_version, c.state) for c in report.copies] == [
        (downloads / "Pricing.xlsx", 1, 2, freshness.OUTDATED)
    ]
    copy = report.copies[0]
    assert copy.reason == "Old copy of Pricing (v1) in Downloads — latest is v2."
    assert copy.can_replace
    assert finder.copies() == report.copies


def test_scan_is_incremental_and_hashes_only_candidate_sizes(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path
) -> None:
    (downloads / "Pricing.xlsx").write_bytes(V1)
    (downloads / "same size.bin").write_bytes(b"z" * len(V1))
    nested = downloads / "deep" / "er"
    nested.mkdir(parents=True)
    for n in range(20):
        (nested / f"other {n}.txt").write_bytes(b"o" * (100 + n))
    (downloads / "Pricing.xlsx.crdownload").write_bytes(V1)  # a download in progress
    finder = stale(laptop)
    finder.add_folder(downloads)

    first = finder.scan()
    assert (first.files, first.hashed) == (22, 2)
    assert len(first.copies) == 1
    again = finder.scan()
    assert (again.files, again.hashed) == (22, 0)
    assert again.copies == first.copies

    (downloads / "Pricing.xlsx").unlink()
    gone = finder.scan()
    assert gone.copies == ()
    with laptop.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ScannedFile)) == 1


def test_only_hinted_paths_are_looked_at(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path
) -> None:
    finder = stale(laptop)
    finder.add_folder(downloads)
    finder.scan()
    (downloads / "a.xlsx").write_bytes(V1)
    (downloads / "b.xlsx").write_bytes(V1)
    partial = finder.scan([downloads / "a.xlsx"])
    assert (partial.files, partial.hashed) == (1, 1)
    assert [c.path.name for c in partial.copies] == ["a.xlsx"]
    assert [c.path.name for c in finder.scan().copies] == ["a.xlsx", "b.xlsx"]


def test_a_cancelled_scan_stops_and_says_so(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path
) -> None:
    (downloads / "Pricing.xlsx").write_bytes(V1)
    finder = stale(laptop)
    finder.add_folder(downloads)
    cancel = threading.Event()
    cancel.set()
    report = finder.scan(cancel=cancel)
    assert report.cancelled
    assert report.hashed == 0


def test_replace_with_latest_puts_the_old_copy_in_the_trash(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path, trash: Path
) -> None:
    old = downloads / "Pricing.xlsx"
    old.write_bytes(V1)
    finder = stale(laptop)
    finder.add_folder(downloads)
    assert len(finder.scan().copies) == 1

    replaced = finder.replace_with_latest(old)
    assert (replaced.old_path, replaced.new_path, replaced.version) == (old, old, 2)
    assert old.read_bytes() == V2
    assert (trash / "files" / "Pricing.xlsx").read_bytes() == V1
    info = (trash / "info" / "Pricing.xlsx.trashinfo").read_text()
    assert f"Path={quote(str(old))}" in info
    assert finder.copies() == ()
    assert finder.scan().copies == ()
    assert sorted(p.name for p in downloads.iterdir()) == ["Pricing.xlsx"]


def test_replace_can_take_the_latest_name(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path, trash: Path
) -> None:
    old = downloads / "pricing (copy).xlsx"
    old.write_bytes(V1)
    (downloads / "Pricing.xlsx").write_bytes(b"the rep's own file")
    finder = stale(laptop)
    finder.add_folder(downloads)
    finder.scan()
    replaced = finder.replace_with_latest(old, name="latest")
    assert replaced.new_path == downloads / "Pricing (2).xlsx"
    assert replaced.new_path.read_bytes() == V2
    assert (downloads / "Pricing.xlsx").read_bytes() == b"the rep's own file"
    assert not old.exists()
    assert (trash / "files" / "pricing (copy).xlsx").read_bytes() == V1


def test_replace_refuses_a_file_that_changed_since_the_scan(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path, trash: Path
) -> None:
    old = downloads / "Pricing.xlsx"
    old.write_bytes(V1)
    finder = stale(laptop)
    finder.add_folder(downloads)
    finder.scan()
    old.write_bytes(b"the rep typed over it")
    with pytest.raises(UsageError, match="not an old copy"):
        finder.replace_with_latest(old)
    assert old.read_bytes() == b"the rep typed over it"
    assert not trash.exists()


def test_replace_needs_the_latest_on_this_laptop(
    hub: RunningHub, laptop: Laptop, downloads: Path, trash: Path
) -> None:
    publish(hub, "Pricing.xlsx", V1)
    laptop.sync(hub)
    publish(hub, "Pricing.xlsx", V2)
    laptop.sync(hub, metered=True)  # knows about v2, has not downloaded it
    old = downloads / "Pricing.xlsx"
    old.write_bytes(V1)
    finder = stale(laptop)
    finder.add_folder(downloads)
    assert [c.copy_version for c in finder.scan().copies] == [1]
    with pytest.raises(FieldkitError, match=r"\(v2\) is not on this laptop yet"):
        finder.replace_with_latest(old)
    assert old.read_bytes() == V1


def test_copies_of_withdrawn_superseded_and_expired_documents(
    hub: RunningHub, laptop: Laptop, downloads: Path, trash: Path
) -> None:
    publish(hub, "Retired.docx", b"retired text")
    publish(hub, "Old case.docx", b"old case text")
    publish(hub, "New case.docx", b"new case text")
    publish(hub, "Promo.pdf", b"promo text!", "expires = 2026-11-30\n")
    laptop.sync(hub)
    for name, data in [
        ("Retired.docx", b"retired text"),
        ("Old case.docx", b"old case text"),
        ("Promo.pdf", b"promo text!"),
        ("New case.docx", b"new case text"),
    ]:
        (downloads / name).write_bytes(data)
    publish(hub, "Retired.docx", b"retired text", 'withdrawn = "Wrong numbers"\n')
    publish(hub, "Old case.docx", b"old case text", 'superseded_by = "New case.docx"\n')
    laptop.sync(hub)

    finder = stale(laptop)
    finder.add_folder(downloads)
    copies = {c.path.name: c for c in finder.scan().copies}
    assert {name: c.state for name, c in copies.items()} == {
        "Retired.docx": freshness.WITHDRAWN,
        "Old case.docx": freshness.SUPERSEDED,
        "Promo.pdf": freshness.EXPIRED,
    }
    assert copies["Retired.docx"].reason == (
        "Copy of Retired (v1) in Downloads — Withdrawn by marketing: do not use."
    )
    assert not any(c.can_replace for c in copies.values())
    with pytest.raises(UsageError, match="no newer version"):
        finder.replace_with_latest(downloads / "Retired.docx")
    assert (downloads / "Retired.docx").exists()


def test_watched_folders_rules(laptop: Laptop, downloads: Path, tmp_path: Path) -> None:
    finder = stale(laptop)
    assert finder.add_folder(downloads) == downloads.resolve()
    inner = downloads / "inner"
    inner.mkdir()
    with pytest.raises(UsageError, match="inside"):
        finder.add_folder(inner)
    with pytest.raises(UsageError, match="contains"):
        finder.add_folder(tmp_path)
    with pytest.raises(UsageError, match="already watched"):
        finder.add_folder(downloads)
    with pytest.raises(UsageError, match="fieldkit's own folder"):
        finder.add_folder(laptop.home.mirror_dir)
    with pytest.raises(UsageError, match="No such folder"):
        finder.add_folder(tmp_path / "nope")
    assert finder.folders() == (downloads.resolve(),)
    finder.remove_folder(downloads)
    assert finder.folders() == ()
    with pytest.raises(UsageError, match="not a watched folder"):
        finder.remove_folder(downloads)


def test_watcher_finds_a_copy_dropped_while_running(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path
) -> None:
    finder = stale(laptop)
    finder.add_folder(downloads)
    reports: list[ScanReport] = []
    found = threading.Event()

    def on_scanned(report: ScanReport) -> None:
        reports.append(report)
        if report.copies:
            found.set()

    watch = StaleWatch(finder, on_scanned, quiet_s=0.05)
    watch.start()
    try:
        assert reports and reports[0].copies == ()  # the start-up scan ran
        (downloads / "Pricing from mail.xlsx").write_bytes(V1)
        assert found.wait(timeout=20)
    finally:
        watch.stop()
    assert [c.path.name for c in reports[-1].copies] == ["Pricing from mail.xlsx"]


def test_a_third_version_keeps_earlier_copies_stale(
    pricing_v2: RunningHub, laptop: Laptop, downloads: Path
) -> None:
    (downloads / "v1.xlsx").write_bytes(V1)
    (downloads / "v2.xlsx").write_bytes(V2)
    finder = stale(laptop)
    finder.add_folder(downloads)
    assert [c.path.name for c in finder.scan().copies] == ["v1.xlsx"]
    publish(pricing_v2, "Pricing/Pricing.xlsx", V3, 'title = "Pricing"\n')
    laptop.sync(pricing_v2)
    copies = finder.scan().copies
    assert [(c.path.name, c.copy_version, c.latest_version) for c in copies] == [
        ("v1.xlsx", 1, 3),
        ("v2.xlsx", 2, 3),
    ]
