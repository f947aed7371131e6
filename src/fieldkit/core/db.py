"""Engines and schema versions for fieldkit's databases (the client catalog and the hub).

SQLite is set up the way the SQLAlchemy docs recommend for Python's sqlite3 driver: the driver's
own legacy transaction handling is switched off and SQLAlchemy emits BEGIN itself, so SAVEPOINTs
and rollbacks behave. Every connection gets WAL, foreign keys and a busy timeout.

A unit of work takes SQLite's write lock as it begins (``BEGIN IMMEDIATE``), unless its sessions
come from ``read_session_factory``: those begin a deferred, query-only transaction, which reads
the last committed state without waiting for a writer or holding one up.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    Engine,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from fieldkit.core.errors import StorageError

log = logging.getLogger(__name__)

Migration = Callable[[Connection], None]

# Execution option of the engine behind read_session_factory's sessions.
READ_ONLY = "fieldkit_read_only"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise hand back naive ones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """One engine per app. SQLite gets WAL, foreign keys, a busy timeout and proper BEGIN."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            # Reads only: in WAL mode a deferred transaction never waits for the write lock.
            # query_only makes a write in it fail at once instead of upgrading the transaction
            # (which is what fails with "database is locked" below).
            conn.exec_driver_sql("PRAGMA query_only=ON")
            conn.exec_driver_sql("BEGIN")
            return
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then
        # writes fails at once with "database is locked" when another connection committed in
        # between (the busy timeout cannot help it); an immediate one waits its turn instead.
        conn.exec_driver_sql("PRAGMA query_only=OFF")  # the connection may have been a reader's
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Any]:
    """Sessions for units of work that only read: on SQLite they neither wait for the write lock
    nor take it (a scan reading the catalog does not hold up the writers, or queue behind them),
    and a write in them fails."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def upgrade_schema(
    engine: Engine,
    base: type[DeclarativeBase],
    version: int,
    migrations: Mapping[int, Migration],
) -> None:
    """Bring the database to ``version``.

    A new database gets the current tables and ``version`` at once. An older one runs each
    migration ``n`` (which takes the schema from ``n - 1`` to ``n``) in order, then gains any table
    added since. A database from a newer fieldkit is refused rather than damaged.
    """
    try:
        with engine.begin() as conn:
            current = _read_version(conn)
            if current > version:
                raise StorageError(
                    f"This database was written by a newer fieldkit (schema {current}, "
                    f"this version knows {version}). Update fieldkit to open it."
                )
            fresh = current == 0 and not _has_tables(conn)
            if not fresh:
                for step in range(max(current, 1) + 1, version + 1):
                    log.info("migrating database schema to version %d", step)
                    migrations[step](conn)
            base.metadata.create_all(conn)
            _write_version(conn, version)
    except OperationalError as exc:
        raise StorageError(f"Cannot open the database: {exc.orig}") from exc


def _has_tables(conn: Connection) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(conn).get_table_names())


def _read_version(conn: Connection) -> int:
    if conn.dialect.name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
    value = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
    return int(value or 0)


def _write_version(conn: Connection, version: int) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        return
    conn.execute(text("DELETE FROM schema_version"))
    conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
