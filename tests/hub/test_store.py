"""The scanner and the store over a real folder and database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest
from hub_helpers import write
from sqlalchemy import text

from fieldkit.core.errors import UsageError
from fieldkit.hub import Hub
from fieldkit.hub.store import DocumentNotFound, DocumentRecord, VersionGone


def documents(hub: Hub) -> dict[str, DocumentRecord]:
    return {doc.path: doc for doc in hub.store.live_documents()}


def bump_mtime(path: Path) -> None:
    """Move the modification time on, as a later save would (file times are coarse)."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 2_000_000_000))


def test_first_scan_finds_documents_and_skips_what_is_not_one(root: Path, hub: Hub) -> None:
    write(root, "Decks/Product Overview.pptx", b"deck")
    write(root, "Pricing 2026.xlsx", b"prices")
    write(root, "Pricing 2026.xlsx.meta.toml", 'title = "Price sheet 2026"')
    write(root, ".DS_Store", b"x")
    write(root, ".git/config", b"x")
    write(root, "~$Pricing 2026.xlsx", b"lock")
    write(root, "upload.part", b"x")
    write(root, "save.tmp", b"x")
    (root / "Empty folder").mkdir()

    report = hub.rescan()

    assert report.changes.added == 2
    assert report.hashed == 2
    docs = documents(hub)
    assert sorted(docs) == ["Decks/Product Overview.pptx", "Pricing 2026.xlsx"]
    deck = docs["Decks/Product Overview.pptx"]
    assert deck.id.startswith("d_") and len(deck.id) == 14
    assert deck.version == 1 and deck.size == 4 and deck.history == ()
    assert deck.sha256 == hashlib.sha256(b"deck").hexdigest()
    assert docs["Pricing 2026.xlsx"].metadata.title == "Price sheet 2026"
    assert report.changes.generation == hub.store.generation().number


def test_unchanged_rescan_hashes_nothing_and_keeps_the_generation(root: Path, hub: Hub) -> None:
    write(root, "a.pdf", b"a")
    write(root, "b.pdf", b"b")
    first = hub.rescan()

    again = hub.rescan()

    assert not again.changes.any
    assert again.hashed == 0
    assert again.changes.generation == first.changes.generation


def test_touched_file_is_rehashed_but_not_a_new_version(root: Path, hub: Hub) -> None:
    path = write(root, "a.pdf", b"same bytes")
    first = hub.rescan()
    bump_mtime(path)

    report = hub.rescan()

    assert report.hashed == 1
    assert not report.changes.any
    assert report.changes.generation == first.changes.generation
    assert documents(hub)["a.pdf"].version == 1
    assert hub.rescan().hashed == 0


def test_content_change_makes_a_new_version_and_keeps_the_history(root: Path, hub: Hub) -> None:
    path = write(root, "Deck.pptx", b"version one")
    write(root, "Deck.pptx.meta.toml", 'notes = "first cut"')
    hub.rescan()
    doc_id = documents(hub)["Deck.pptx"].id
    old_sha = documents(hub)["Deck.pptx"].sha256

    path.write_bytes(b"version two, longer")
    write(root, "Deck.pptx.meta.toml", 'notes = "new pricing slide"')
    report = hub.rescan()

    assert report.changes.changed == 1
    deck = documents(hub)["Deck.pptx"]
    assert (deck.id, deck.version, deck.size) == (doc_id, 2, len(b"version two, longer"))
    assert deck.metadata.notes == "new pricing slide"
    assert [(v.version, v.sha256, v.notes) for v in deck.history] == [(1, old_sha, "first cut")]
    assert [v.version for v in hub.store.history(doc_id)] == [2, 1]

    path.write_bytes(b"three")
    hub.rescan()
    deck = documents(hub)["Deck.pptx"]
    assert deck.version == 3
    assert [v.version for v in deck.history] == [2, 1]
    assert deck.history[0].published_at >= deck.history[1].published_at


def test_deleted_document_leaves_the_manifest_but_keeps_its_history(root: Path, hub: Hub) -> None:
    path = write(root, "old.pdf", b"old")
    write(root, "keep.pdf", b"keep")
    hub.rescan()
    doc_id = documents(hub)["old.pdf"].id

    path.unlink()
    report = hub.rescan()

    assert report.changes.removed == 1
    assert sorted(documents(hub)) == ["keep.pdf"]
    assert [v.version for v in hub.store.history(doc_id)] == [1]
    with pytest.raises(DocumentNotFound):
        hub.store.file_target(doc_id)


def test_file_back_at_a_deleted_path_gets_its_old_id(root: Path, hub: Hub) -> None:
    path = write(root, "Brochure.pdf", b"first")
    hub.rescan()
    doc_id = documents(hub)["Brochure.pdf"].id
    path.unlink()
    hub.rescan()

    write(root, "Brochure.pdf", b"second edition")
    report = hub.rescan()

    assert report.changes.added == 1
    brochure = documents(hub)["Brochure.pdf"]
    assert (brochure.id, brochure.version) == (doc_id, 2)


def test_rename_and_move_keep_id_and_version(root: Path, hub: Hub) -> None:
    write(root, "Deck.pptx", b"deck v1")
    hub.rescan()
    (root / "Deck.pptx").write_bytes(b"deck v2!")
    hub.rescan()
    before = documents(hub)["Deck.pptx"]

    (root / "Archive 2026").mkdir()
    (root / "Deck.pptx").rename(root / "Archive 2026" / "Deck (final).pptx")
    report = hub.rescan()

    assert report.changes.renamed == 1
    assert report.changes.added == report.changes.removed == 0
    assert report.hashed == 1
    moved = documents(hub)["Archive 2026/Deck (final).pptx"]
    assert (moved.id, moved.version, moved.sha256) == (before.id, 2, before.sha256)
    assert [v.version for v in moved.history] == [1]
    assert "Deck.pptx" not in documents(hub)


def test_renamed_duplicates_each_keep_an_id(root: Path, hub: Hub) -> None:
    write(root, "a/Same.pdf", b"identical")
    write(root, "b/Other.pdf", b"identical")
    hub.rescan()
    ids = {doc.id for doc in documents(hub).values()}

    (root / "a" / "Same.pdf").rename(root / "Same.pdf")
    (root / "b" / "Other.pdf").rename(root / "Other.pdf")
    report = hub.rescan()

    assert report.changes.renamed == 2
    assert {doc.id for doc in documents(hub).values()} == ids


def test_metadata_only_change_bumps_the_generation_not_the_version(
    root: Path, hub: Hub
) -> None:
    write(root, "Case Study.docx", b"acme")
    write(root, "Case Study.docx.meta.toml", 'title = "Acme"\ntags = ["retail"]')
    first = hub.rescan()

    write(root, "Case Study.docx.meta.toml", 'title = "Acme Corp"\ntags = ["retail", "emea"]')
    report = hub.rescan()

    assert report.changes.metadata_changed == 1
    assert report.changes.changed == 0
    assert report.hashed == 0
    assert report.changes.generation == first.changes.generation + 1
    doc = documents(hub)["Case Study.docx"]
    assert doc.version == 1
    assert (doc.metadata.title, doc.metadata.tags) == ("Acme Corp", ("retail", "emea"))

    (root / "Case Study.docx.meta.toml").unlink()
    hub.rescan()
    assert documents(hub)["Case Study.docx"].metadata.title is None


def test_version_notes_change_without_content_change(root: Path, hub: Hub) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    write(root, "a.pdf.meta.toml", 'notes = "typo fixed"')

    assert hub.rescan().changes.metadata_changed == 1

    doc = documents(hub)["a.pdf"]
    assert (doc.version, doc.metadata.notes) == (1, "typo fixed")
    assert hub.store.history(doc.id)[0].notes == "typo fixed"


def test_withdrawn_and_superseded_documents(root: Path, hub: Hub) -> None:
    write(root, "Old Positioning.pptx", b"old")
    write(root, "New/Positioning 2026.pptx", b"new")
    write(
        root,
        "Old Positioning.pptx.meta.toml",
        'withdrawn = "Replaced by the new positioning"\n'
        'superseded_by = "New/Positioning 2026.pptx"',
    )
    hub.rescan()

    docs = documents(hub)
    old = docs["Old Positioning.pptx"]
    assert old.metadata.withdrawn
    assert old.metadata.withdrawn_reason == "Replaced by the new positioning"
    assert old.superseded_by == docs["New/Positioning 2026.pptx"].id


def test_superseded_by_an_unknown_path_is_logged_and_left_empty(
    root: Path, hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    write(root, "a.pdf", b"a")
    write(root, "a.pdf.meta.toml", 'superseded_by = "missing.pdf"')
    hub.rescan()

    with caplog.at_level(logging.WARNING, logger="fieldkit.hub"):
        assert documents(hub)["a.pdf"].superseded_by is None

    assert "missing.pdf" in caplog.text


def test_bad_sidecar_is_logged_and_the_file_served_with_defaults(
    root: Path, hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    write(root, "Decks/Deck.pptx", b"deck")
    write(root, "Decks/Deck.pptx.meta.toml", 'title = "Deck"\nreleased = "next week"\ncolor = 1')

    with caplog.at_level(logging.WARNING, logger="fieldkit.hub"):
        hub.rescan()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "Decks/Deck.pptx.meta.toml" in m and "'released'" in m and "next week" in m
        for m in warnings
    )
    assert any("Decks/Deck.pptx.meta.toml" in m and "'color'" in m for m in warnings)
    deck = documents(hub)["Decks/Deck.pptx"]
    assert deck.metadata.title == "Deck"
    assert deck.metadata.released is None

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="fieldkit.hub"):
        hub.rescan()
    assert not caplog.records, "an unchanged sidecar is not re-read nor re-reported"


def test_links_leaving_the_root_are_not_documents(
    root: Path, hub: Hub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"secret")
    (tmp_path / "outside-dir").mkdir()
    (tmp_path / "outside-dir" / "x.pdf").write_bytes(b"x")
    (root / "link.txt").symlink_to(outside)
    (root / "linked-dir").symlink_to(tmp_path / "outside-dir", target_is_directory=True)
    write(root, "real.pdf", b"real")
    (root / "alias.pdf").symlink_to(root / "real.pdf")

    with caplog.at_level(logging.WARNING, logger="fieldkit.hub"):
        hub.rescan()

    assert sorted(documents(hub)) == ["alias.pdf", "real.pdf"]
    assert "link.txt is a link that leaves the hub folder" in caplog.text


def test_file_targets_for_versions(root: Path, hub: Hub) -> None:
    path = write(root, "a.pdf", b"one")
    hub.rescan()
    doc_id = documents(hub)["a.pdf"].id
    path.write_bytes(b"two!")
    hub.rescan()

    current = hub.store.file_target(doc_id)
    assert (current.version, current.path, current.size) == (2, "a.pdf", 4)
    assert hub.store.file_target(doc_id, 2) == current
    with pytest.raises(VersionGone, match="version is 2"):
        hub.store.file_target(doc_id, 1)
    with pytest.raises(DocumentNotFound):
        hub.store.file_target(doc_id, 3)
    with pytest.raises(DocumentNotFound):
        hub.store.file_target("d_000000000000")


def test_reverted_content_serves_an_old_version_with_the_same_bytes(
    root: Path, hub: Hub
) -> None:
    path = write(root, "a.pdf", b"one")
    hub.rescan()
    doc_id = documents(hub)["a.pdf"].id
    path.write_bytes(b"two!")
    hub.rescan()
    path.write_bytes(b"one")
    hub.rescan()

    assert hub.store.file_target(doc_id, 1).sha256 == hub.store.file_target(doc_id).sha256
    with pytest.raises(VersionGone):
        hub.store.file_target(doc_id, 2)


def test_reps_tokens_are_hashed_revocable_and_reissued(hub: Hub) -> None:
    token = hub.reps.add("Alice Martin")

    assert len(token) >= 40
    rep = hub.reps.authenticate(token)
    assert rep is not None and rep.name == "Alice Martin" and rep.active
    assert hub.reps.authenticate(token + "x") is None
    with pytest.raises(UsageError, match="already has a token"):
        hub.reps.add("Alice Martin")

    hub.reps.revoke("Alice Martin")
    assert hub.reps.authenticate(token) is None
    assert [(r.name, r.active) for r in hub.reps.reps()] == [("Alice Martin", False)]

    new_token = hub.reps.add("Alice Martin")
    assert new_token != token
    assert hub.reps.authenticate(token) is None
    assert hub.reps.authenticate(new_token) is not None
    with pytest.raises(UsageError, match="no rep called"):
        hub.reps.revoke("Bob")
    with pytest.raises(UsageError):
        hub.reps.add("   ")


def test_tokens_are_not_stored_in_the_clear(hub: Hub, db_url: str) -> None:
    token = hub.reps.add("alice")

    with hub.engine.connect() as conn:
        stored = [tuple(row) for row in conn.execute(text("SELECT * FROM hub_reps"))]
    assert stored and all(token not in str(value) for row in stored for value in row)


def test_reopening_the_database_keeps_ids_and_skips_hashing(
    root: Path, hub: Hub, db_url: str
) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    doc_id = documents(hub)["a.pdf"].id
    hub.close()

    reopened = Hub.open(root, db_url)
    try:
        report = reopened.rescan()
        assert report.hashed == 0 and not report.changes.any
        assert documents(reopened)["a.pdf"].id == doc_id
    finally:
        reopened.close()


def test_database_inside_the_served_folder_is_refused(root: Path) -> None:
    with pytest.raises(UsageError, match="outside the folder"):
        Hub.open(root, str(root / "hub.sqlite3"))


def test_a_missing_folder_never_empties_the_manifest(root: Path, hub: Hub) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    generation = hub.store.generation().number
    root.rename(root.with_name("unmounted"))

    with pytest.raises(FileNotFoundError, match="missing"):
        hub.rescan()

    assert [doc.path for doc in hub.store.live_documents()] == ["a.pdf"]
    assert hub.store.generation().number == generation
