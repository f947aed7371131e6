from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, String, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fieldkit.core.catalog import (
    CATALOG_MIGRATIONS,
    CATALOG_SCHEMA_VERSION,
    CatalogBase,
    CatalogFile,
    LibraryFolder,
)
from fieldkit.core.db import (
    make_engine,
    read_session_factory,
    session_factory,
    sqlite_url,
    upgrade_schema,
)
from fieldkit.core.errors import StorageError


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "c.sqlite3"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_catalog_cascades_folder_delete(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "c.sqlite3"))
    upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        folder = LibraryFolder(path="/x", kind="personal")
        session.add(folder)
        session.flush()
        session.add(
            CatalogFile(
                folder_id=folder.id, rel_path="a.txt", doc_id="p_1", size=1, mtime_ns=1,
                sha256="0" * 64, format="txt", state="indexed",
            )
        )
    with sessions.begin() as session:
        session.delete(session.get(LibraryFolder, folder.id))
    with sessions.begin() as session:
        assert session.query(CatalogFile).count() == 0
    engine.dispose()


def test_rollback_really_rolls_back(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "c.sqlite3"))
    upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    sessions = session_factory(engine)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        session.add(LibraryFolder(path="/y", kind="personal"))
        session.flush()
        raise RuntimeError("abort the unit of work")
    with sessions.begin() as session:
        assert session.query(LibraryFolder).count() == 0
    engine.dispose()


class _OldBase(DeclarativeBase):
    pass


class _Thing(_OldBase):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String)


def _add_colour(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE things ADD COLUMN colour VARCHAR DEFAULT 'red'"))


def test_migrations_run_forward_from_an_older_schema(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "m.sqlite3"))
    upgrade_schema(engine, _OldBase, 1, {})
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO things (name) VALUES ('kept')"))
    upgrade_schema(engine, _OldBase, 2, {2: _add_colour})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, colour FROM things")).one() == ("kept", "red")
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == 2
    engine.dispose()


def test_a_newer_schema_is_refused_not_damaged(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "n.sqlite3"))
    upgrade_schema(engine, _OldBase, 5, {})
    with pytest.raises(StorageError, match="newer fieldkit"):
        upgrade_schema(engine, _OldBase, 4, {})
    engine.dispose()


def test_read_then_write_waits_for_another_writer_instead_of_failing(tmp_path: Path) -> None:
    import threading

    engine = make_engine(sqlite_url(tmp_path / "w.sqlite3"))
    upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    sessions = session_factory(engine)
    errors: list[BaseException] = []

    def reader_then_writer() -> None:
        try:
            with sessions.begin() as session:
                session.query(LibraryFolder).count()
                session.add(LibraryFolder(path="/from-thread", kind="personal"))
        except BaseException as exc:
            errors.append(exc)

    with sessions.begin() as session:
        session.query(LibraryFolder).count()
        thread = threading.Thread(target=reader_then_writer)
        thread.start()
        session.add(LibraryFolder(path="/from-main", kind="personal"))
    thread.join()
    assert errors == []
    with sessions.begin() as session:
        assert session.query(LibraryFolder).count() == 2
    engine.dispose()


def test_a_reader_neither_waits_for_nor_holds_up_a_writer(tmp_path: Path) -> None:
    """A read completes while another connection holds a write transaction, and sees the last
    committed state; a writer goes ahead while a read transaction is open."""
    import threading

    engine = make_engine(sqlite_url(tmp_path / "r.sqlite3"))
    upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    sessions = session_factory(engine)
    readers = read_session_factory(engine)
    with sessions.begin() as session:
        session.add(LibraryFolder(path="/committed", kind="personal"))

    def read_paths() -> list[str]:
        with readers.begin() as session:
            return sorted(session.scalars(select(LibraryFolder.path)))

    seen: list[list[str]] = []
    with sessions.begin() as writing:  # holds the write lock until the block ends
        writing.add(LibraryFolder(path="/not yet committed", kind="personal"))
        writing.flush()
        reader = threading.Thread(target=lambda: seen.append(read_paths()))
        reader.start()
        reader.join(10)  # the busy timeout is 30 s: a reader that waited would still be here
        assert not reader.is_alive()
    assert seen == [["/committed"]]

    with readers.begin() as reading:
        paths = reading.scalars(select(LibraryFolder.path).order_by(LibraryFolder.path)).all()
        assert paths == ["/committed", "/not yet committed"]
        written = threading.Event()

        def write() -> None:
            with sessions.begin() as session:
                session.add(LibraryFolder(path="/while reading", kind="personal"))
            written.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert written.wait(10)
        writer.join()
    assert len(read_paths()) == 3
    engine.dispose()


def test_a_write_in_a_reader_fails_and_the_connection_writes_again_for_a_writer(
    tmp_path: Path,
) -> None:
    engine = make_engine(sqlite_url(tmp_path / "q.sqlite3"))
    upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    readers = read_session_factory(engine)
    with pytest.raises(OperationalError, match="readonly"), readers.begin() as session:
        session.add(LibraryFolder(path="/by mistake", kind="personal"))
    with session_factory(engine).begin() as session:  # the same pooled connection, writing
        session.add(LibraryFolder(path="/on purpose", kind="personal"))
    with readers.begin() as session:
        assert session.scalars(select(LibraryFolder.path)).all() == ["/on purpose"]
    engine.dispose()
