"""Hub fixtures: a folder, a database (SQLite; PostgreSQL under ``-m postgres``), a hub, a server.

The ``db_url`` fixture runs every hub test on SQLite, and again on the PostgreSQL server named by
``FIELDKIT_TEST_POSTGRES_URL`` when the ``postgres`` marker is selected; each PostgreSQL test gets
a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
import pytest

from fieldkit.hub import Hub, HubServer

POSTGRES_ENV = "FIELDKIT_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "hub.sqlite3")
        return
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        pytest.fail(f"{POSTGRES_ENV} must name a PostgreSQL server (see .ci/postgres.sh)")
    schema = "t_" + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server_url else "?"
    yield f"{server_url}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "approved"
    folder.mkdir()
    return folder


@pytest.fixture
def hub(root: Path, db_url: str) -> Iterator[Hub]:
    """A hub that has not scanned yet and does not watch: tests call ``hub.rescan()``."""
    opened = Hub.open(root, db_url)
    yield opened
    opened.close()


@pytest.fixture
def server(hub: Hub) -> Iterator[HubServer]:
    """``hub`` served on a free port on 127.0.0.1 (scanning at start, then watching)."""
    running = HubServer(hub).start()
    yield running
    running.stop()


@pytest.fixture
def token(hub: Hub) -> str:
    return hub.reps.add("alice")


@pytest.fixture
def client(server: HubServer, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        yield http
