"""The composition root of a client: builds the catalog, index, library and services once.

The CLI and the desktop app both start here, so tests build exactly the graph users run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.catalog import (
    CATALOG_MIGRATIONS,
    CATALOG_SCHEMA_VERSION,
    CatalogBase,
    KeyValue,
)
from fieldkit.core.db import (
    make_engine,
    read_session_factory,
    session_factory,
    sqlite_url,
    upgrade_schema,
)
from fieldkit.core.home import HomePaths
from fieldkit.core.index import SearchIndex
from fieldkit.core.library import ARCHIVE, MIRROR, Library
from fieldkit.core.outbox import Outbox, UsageSignals
from fieldkit.core.pacing import Pacer
from fieldkit.core.settings import Settings

if TYPE_CHECKING:
    from fieldkit.core.extract import ExtractionPool  # loaded when files are read

log = logging.getLogger(__name__)

SETTINGS_KEY = "settings"


@dataclass
class Client:
    home: HomePaths
    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings
    index: SearchIndex
    library: Library
    outbox: Outbox
    # Searches go first: background scans pause while one runs (see fieldkit.core.pacing).
    pacer: Pacer
    # Sessions for units of work that only read (see fieldkit.core.db.read_session_factory).
    readers: sessionmaker[Session]
    signals: UsageSignals = field(init=False)

    def __post_init__(self) -> None:
        # The opt-out is read at each signal, so a changed setting applies at once.
        self.signals = UsageSignals(self.outbox, lambda: self.settings.usage_signals)

    def close(self) -> None:
        self.library.close()
        self.index.close()
        self.engine.dispose()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def save_settings(self, settings: Settings) -> None:
        with self.sessions.begin() as session:
            session.merge(KeyValue(key=SETTINGS_KEY, value=settings.to_json()))
        self.settings = settings


def open_client(home: HomePaths, *, index: SearchIndex | None = None) -> Client:
    """Open the client of ``home``. ``index``: the search index of ``home.index_dir``, if the
    caller already opened it (the app lists the newest documents from it before it loads the
    catalog)."""
    home.ensure()
    engine = make_engine(sqlite_url(home.catalog_db))
    upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    sessions = session_factory(engine)
    readers = read_session_factory(engine)
    settings = _load_settings(sessions)
    index = index if index is not None else SearchIndex(home.index_dir)
    pacer = Pacer()

    def make_pool() -> ExtractionPool:
        from fieldkit.core.extract import ExtractionPool

        return ExtractionPool(
            workers=settings.extraction_workers,
            timeout_s=settings.extraction_timeout_s,
            memory_mb=settings.extraction_memory_mb,
            max_chars=settings.max_text_chars,
            max_file_mb=settings.max_file_mb,
        )

    library = Library(
        home=home,
        sessions=sessions,
        index=index,
        settings=settings,
        pool_factory=make_pool,
        pacer=pacer,
        readers=readers,
    )
    library.ensure_folder(home.mirror_dir, MIRROR)
    library.ensure_folder(home.archive_dir, ARCHIVE)
    return Client(home, engine, sessions, settings, index, library, Outbox(engine), pacer, readers)


def _load_settings(sessions: sessionmaker[Session]) -> Settings:
    with sessions.begin() as session:
        row = session.scalar(select(KeyValue).where(KeyValue.key == SETTINGS_KEY))
        stored: dict[str, Any] = dict(row.value) if row is not None else {}
    return Settings.from_json(stored)
