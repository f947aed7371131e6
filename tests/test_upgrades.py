"""Upgrades: the catalog and the hub database migrate forward by themselves; the search index
rebuilds itself when its schema changes.

Both databases are at schema 1 (there is no older one yet), so the migration mechanism is proven
on a test-only schema that goes 1 → 2 → 3, and the real registries are checked to have a
migration for every step up to their current version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, ForeignKey, String, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fieldkit.core.catalog import CATALOG_MIGRATIONS, CATALOG_SCHEMA_VERSION, LibraryFolder
from fieldkit.core.client import open_client
from fieldkit.core.db import Migration, make_engine, session_factory, sqlite_url, upgrade_schema
from fieldkit.core.errors import StorageError
from fieldkit.core.home import HomePaths
from fieldkit.core.index import SearchIndex, SearchRequest
from fieldkit.core.index.engine import VERSION_FILE
from fieldkit.hub import Hub
from fieldkit.hub.models import HUB_MIGRATIONS, HUB_SCHEMA_VERSION
from fieldkit.hub.store import open_database, resolve_db_url


def user_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def set_user_version(engine: Engine, version: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA user_version = {version}")


# -- the real registries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "migrations"),
    [(CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS), (HUB_SCHEMA_VERSION, HUB_MIGRATIONS)],
    ids=["catalog", "hub"],
)
def test_every_schema_step_has_a_migration(version: int, migrations: dict[int, Any]) -> None:
    assert version >= 1
    assert sorted(migrations) == list(range(2, version + 1))
    assert all(callable(step) for step in migrations.values())


def test_a_catalog_made_by_this_version_opens_again_with_its_data(home: HomePaths) -> None:
    with open_client(home) as client:
        folder = home.root.parent / "mine"
        folder.mkdir()
        client.library.add_folder(folder)
    engine = make_engine(sqlite_url(home.catalog_db))
    try:
        assert user_version(engine) == CATALOG_SCHEMA_VERSION
    finally:
        engine.dispose()

    with open_client(home) as client:
        kinds = {info.kind for info in client.library.folders()}
    assert kinds == {"mirror", "archive", "personal"}


def test_a_catalog_from_a_newer_fieldkit_is_refused_untouched(home: HomePaths) -> None:
    with open_client(home):
        pass
    engine = make_engine(sqlite_url(home.catalog_db))
    set_user_version(engine, CATALOG_SCHEMA_VERSION + 1)
    with pytest.raises(StorageError, match="newer fieldkit"):
        open_client(home)
    assert user_version(engine) == CATALOG_SCHEMA_VERSION + 1
    engine.dispose()


def test_a_catalog_from_before_schema_versions_is_adopted(home: HomePaths) -> None:
    """Tables but no version mark (user_version 0): kept, and marked current."""
    with open_client(home) as client, client.sessions.begin() as session:
        session.add(LibraryFolder(path="/somewhere/old", kind="personal"))
    engine = make_engine(sqlite_url(home.catalog_db))
    set_user_version(engine, 0)
    engine.dispose()

    with open_client(home) as client, client.sessions.begin() as session:
        paths = set(session.scalars(select(LibraryFolder.path)))
    assert "/somewhere/old" in paths
    engine = make_engine(sqlite_url(home.catalog_db))
    assert user_version(engine) == CATALOG_SCHEMA_VERSION
    engine.dispose()


def test_a_hub_database_made_by_this_version_opens_again(tmp_path: Path) -> None:
    root = tmp_path / "approved"
    root.mkdir()
    (root / "Deck.txt").write_text("hello", encoding="utf-8")
    db = str(tmp_path / "hub.sqlite3")
    hub = Hub.open(root, db)
    token = hub.reps.add("alice")
    hub.rescan()
    hub.close()

    engine = open_database(resolve_db_url(db))
    try:
        assert user_version(engine) == HUB_SCHEMA_VERSION
    finally:
        engine.dispose()
    hub = Hub.open(root, db)
    try:
        assert hub.reps.authenticate(token) is not None
        assert [d.path for d in hub.store.live_documents()] == ["Deck.txt"]
    finally:
        hub.close()

    engine = make_engine(sqlite_url(Path(db)))
    set_user_version(engine, HUB_SCHEMA_VERSION + 1)
    engine.dispose()
    with pytest.raises(StorageError, match="newer fieldkit"):
        Hub.open(root, db)


# -- the mechanism, on a schema that has an older version -----------------------------------------


class V1(DeclarativeBase):
    pass


class CustomerV1(V1):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String)


class V3(DeclarativeBase):
    pass


class CustomerV3(V3):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String)
    region: Mapped[str] = mapped_column(String, default="unknown")
    tier: Mapped[str] = mapped_column(String, default="standard")


class Note(V3):
    """A table new in version 3: created by create_all, no migration needed for it."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    body: Mapped[str] = mapped_column(String)


def test_migrations_run_in_order_from_an_older_database(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "app.sqlite3"))
    upgrade_schema(engine, V1, 1, {})
    with session_factory(engine).begin() as session:
        session.add_all([CustomerV1(name="Acme"), CustomerV1(name="Contoso")])

    ran: list[int] = []

    def to_2(conn: Connection) -> None:
        ran.append(2)
        conn.execute(text("ALTER TABLE customers ADD COLUMN region VARCHAR DEFAULT 'unknown'"))
        conn.execute(text("UPDATE customers SET region = 'emea' WHERE name = 'Acme'"))

    def to_3(conn: Connection) -> None:
        ran.append(3)
        conn.execute(text("ALTER TABLE customers ADD COLUMN tier VARCHAR DEFAULT 'standard'"))

    migrations: dict[int, Migration] = {2: to_2, 3: to_3}
    upgrade_schema(engine, V3, 3, migrations)

    assert ran == [2, 3] and user_version(engine) == 3
    with session_factory(engine).begin() as session:
        rows = session.execute(
            select(CustomerV3.name, CustomerV3.region, CustomerV3.tier).order_by(CustomerV3.id)
        ).all()
        session.add(Note(customer_id=1, body="renewal in March"))
    assert [tuple(r) for r in rows] == [
        ("Acme", "emea", "standard"), ("Contoso", "unknown", "standard"),
    ]

    upgrade_schema(engine, V3, 3, migrations)  # already current: nothing runs again
    assert ran == [2, 3]
    engine.dispose()


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "app.sqlite3"))
    upgrade_schema(engine, V1, 1, {})
    with session_factory(engine).begin() as session:
        session.add(CustomerV1(name="Acme"))

    def to_2(conn: Connection) -> None:
        conn.execute(text("ALTER TABLE customers ADD COLUMN region VARCHAR"))

    def to_3(conn: Connection) -> None:
        raise RuntimeError("a bug in migration 3")

    with pytest.raises(RuntimeError, match="migration 3"):
        upgrade_schema(engine, V3, 3, {2: to_2, 3: to_3})

    assert user_version(engine) == 1
    with engine.connect() as conn:
        columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(customers)")]
    assert columns == ["id", "name"]
    engine.dispose()


def test_the_mechanism_refuses_a_newer_database(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "app.sqlite3"))
    upgrade_schema(engine, V3, 3, {2: lambda conn: None, 3: lambda conn: None})
    with pytest.raises(StorageError, match=r"schema 3, this version knows 1"):
        upgrade_schema(engine, V1, 1, {})
    assert user_version(engine) == 3
    engine.dispose()


# -- the search index ------------------------------------------------------------------------------


@pytest.mark.parametrize("on_disk", [0, SearchIndex.SCHEMA_VERSION + 1], ids=["older", "newer"])
def test_the_index_rebuilds_itself_when_its_schema_changes(
    home: HomePaths, tmp_path: Path, on_disk: int
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "renewal.txt").write_text("Renewal discounts for enterprise", encoding="utf-8")
    (folder / "pricing.md").write_text("# Pricing\n\nEnterprise tier pricing", encoding="utf-8")
    with open_client(home) as client:
        client.library.add_folder(folder)
        first = client.library.index()
        assert (first.indexed, first.rebuilt) == (2, False)

    # The index on disk now says it was written by another fieldkit's index schema.
    (home.index_dir / VERSION_FILE).write_text(
        json.dumps({"schema_version": on_disk}), encoding="utf-8"
    )

    with open_client(home) as client:
        status = client.library.status()
        assert not status.index_ok
        assert status.index_problem == "the search index was made by another fieldkit version"

        report = client.library.index()

        assert (report.rebuilt, report.indexed, report.failed) == (True, 2, 0)
        assert client.library.status().index_ok
        hits = client.library.search(SearchRequest("enterprise")).hits
        assert sorted(Path(hit.path).name for hit in hits) == ["pricing.md", "renewal.txt"]
    written = json.loads((home.index_dir / VERSION_FILE).read_text(encoding="utf-8"))
    assert written == {"schema_version": SearchIndex.SCHEMA_VERSION}
