"""A real hub for the outbox tests (and the soak), optionally behind a fault injector.

:class:`FaultInjector` is an ASGI middleware that fails a share of the API calls the way a bad
network and a struggling hub do:

- ``error``: a 500 answer; the hub never sees the call.
- ``drop``: the connection is cut before the hub sees the call.
- ``lost``: the hub handles the call and commits, then the connection is cut before the answer
  reaches the client (the case idempotency keys exist for).
- ``stall``: the answer comes only after the client gave up waiting (the hub committed).
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from keyring.backends import fail
from sqlalchemy import func, select

from fieldkit.core.catalog import (
    CATALOG_MIGRATIONS,
    CATALOG_SCHEMA_VERSION,
    CatalogBase,
    KeyValue,
    MirrorEntry,
)
from fieldkit.core.credentials import TokenStore
from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema
from fieldkit.core.home import HomePaths
from fieldkit.hub import Hub
from fieldkit.hub.api import create_app
from fieldkit.hub.inbox import InboxRequest

Scope = dict[str, Any]
FAULTS = ("error", "drop", "lost")


class CutConnection(Exception):
    """Raised after the answer started: uvicorn then closes the connection mid-answer."""


@dataclass
class FaultCounts:
    passed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class FaultInjector:
    def __init__(
        self,
        app: Any,
        rate: float,
        *,
        kinds: Sequence[str] = FAULTS,
        seed: int = 1,
        stall_s: float = 1.0,
    ) -> None:
        self.app = app
        self.rate = rate
        self.kinds = tuple(kinds)
        self.stall_s = stall_s
        self.counts = FaultCounts()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._handled = 0
        self._progress = threading.Condition()

    def wait_handled(self, calls: int, timeout: float) -> bool:
        """Wait until the hub has handled ``calls`` POSTs (answered or not)."""
        with self._progress:
            return self._progress.wait_for(lambda: self._handled >= calls, timeout)

    def _count_handled(self) -> None:
        with self._progress:
            self._handled += 1
            self._progress.notify_all()

    def _pick(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        if not scope["path"].startswith("/api/v1/"):
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                self.counts.passed += 1
                return None
            kind = self._random.choice(self.kinds)
            self.counts.by_kind[kind] = self.counts.by_kind.get(kind, 0) + 1
            return kind

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = self._pick(scope)
        if kind is None:
            await self.app(scope, receive, send)
            if scope["type"] == "http" and scope["method"] == "POST":
                self._count_handled()
        elif kind == "error":
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"detail": "injected"}'})
        elif kind == "drop":
            await _cut(send)
        elif kind == "lost":

            async def swallow(_message: dict[str, Any]) -> None:
                return None

            await self.app(scope, receive, swallow)
            self._count_handled()
            await _cut(send)
        elif kind == "stall":
            await asyncio.sleep(self.stall_s)
            await self.app(scope, receive, send)


async def _cut(send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"1000")]})
    raise CutConnection("connection cut by the fault injector")


class ServedHub:
    """A hub (no watcher) whose app, wrapped in a :class:`FaultInjector`, uvicorn serves."""

    def __init__(self, root: Path, db: Path, *, rate: float = 0.0, seed: int = 1,
                 kinds: Sequence[str] = FAULTS, port: int = 0) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.hub = Hub.open(root, str(db))
        self.token = self.hub.reps.add("alice")
        self.faults = FaultInjector(create_app(self.hub), rate, kinds=kinds, seed=seed)
        self._socket = socket.create_server(("127.0.0.1", port), backlog=512)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(
            uvicorn.Config(self.faults, lifespan="off", log_config=None, access_log=False)
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            self._thread.join(timeout=0.01)
            if not self._thread.is_alive():
                raise RuntimeError("the test hub did not start")

    def requests(self) -> list[tuple[str, str | None]]:
        """(title, rep) of every request the hub holds."""
        with session_factory(self.hub.engine).begin() as session:
            return [
                (title, rep)
                for title, rep in session.execute(
                    select(InboxRequest.title, InboxRequest.rep).order_by(InboxRequest.id)
                )
            ]

    def request_count(self) -> int:
        with session_factory(self.hub.engine).begin() as session:
            return int(session.scalar(select(func.count()).select_from(InboxRequest)) or 0)

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join()
        self._socket.close()
        self.hub.close()

    def __enter__(self) -> ServedHub:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def connect_home(home: HomePaths, url: str, token: str) -> None:
    """Save the hub the way ``fieldkit connect`` does: URL in the catalog, token in a file
    (the keyring is bypassed so tests never touch the user's)."""
    engine = make_engine(sqlite_url(home.catalog_db))
    try:
        upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
        with session_factory(engine).begin() as session:
            session.merge(KeyValue(key="hub", value={"url": url}))
    finally:
        engine.dispose()
    TokenStore(home, backend=fail.Keyring()).save(url, token)


def add_mirror_entry(engine: Any, doc_id: str, rel_path: str, version: int = 1) -> None:
    """A document the sync fetched from the hub's manifest, as the catalog records it."""
    with session_factory(engine).begin() as session:
        session.add(
            MirrorEntry(doc_id=doc_id, rel_path=rel_path, version=version, sha256="0" * 64,
                        size=1)
        )


NO_KEYRING_ENV = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
