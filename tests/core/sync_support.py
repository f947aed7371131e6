"""Shared pieces of the sync tests: a real hub on 127.0.0.1, a client home, request counting."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.catalog import CATALOG_MIGRATIONS, CATALOG_SCHEMA_VERSION, CatalogBase
from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema
from fieldkit.core.home import HomePaths
from fieldkit.core.source import HubSource
from fieldkit.core.sync import Syncer, SyncResult
from fieldkit.hub import Hub, HubServer


def write(root: Path, rel: str, content: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative POSIX path → bytes)."""
    if not root.exists():
        return {}
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def documents(root: Path) -> dict[str, bytes]:
    """The documents of a hub folder (sidecars left out)."""
    return {k: v for k, v in tree(root).items() if not k.endswith(".meta.toml")}


class RunningHub:
    """A hub over ``root`` with its own SQLite database, served on a free port; restartable."""

    def __init__(self, root: Path, db: Path) -> None:
        self.root = root
        self.db = db
        self.hub = Hub.open(root, str(db))
        self.token = self.hub.reps.add("alice")
        self.server: HubServer | None = HubServer(self.hub).start()
        self.url = self.server.url

    def rescan(self) -> None:
        self.hub.rescan()

    def stop(self, *, abort: bool = False) -> None:
        if self.server is not None:
            self.server.stop(abort=abort)
            self.server = None

    def restart(self) -> None:
        """Serve again on the same port, over the same folder and database."""
        self.stop()
        port = int(self.url.rsplit(":", 1)[1])
        self.hub = Hub.open(self.root, str(self.db))
        self.server = HubServer(self.hub, port=port).start()


@dataclass
class RequestLog:
    """Counts the client's requests and the hub's answers, through httpx event hooks."""

    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {"request": [self._on_request], "response": [self._on_response]}

    def _on_request(self, request: httpx.Request) -> None:
        with self.lock:
            self.requests.append(request)

    def _on_response(self, response: httpx.Response) -> None:
        with self.lock:
            self.responses.append(response)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.responses.clear()

    def file_requests(self) -> list[httpx.Request]:
        """Requests for file bytes: ``GET /files/{id}`` (one) and ``POST /files`` (several)."""
        return [
            r for r in self.requests if "/files/" in r.url.path or r.url.path.endswith("/files")
        ]

    def fetched_ids(self) -> list[str]:
        """The document ids the client asked bytes of, one per file asked for."""
        ids: list[str] = []
        for request in self.file_requests():
            if request.method == "POST":
                ids.extend(item["id"] for item in json.loads(request.content)["files"])
            else:
                ids.append(request.url.path.rpartition("/")[2])
        return ids


class ClientHome:
    """A client home folder with its catalog open."""

    def __init__(self, root: Path) -> None:
        self.home = HomePaths(root).ensure()
        self.engine = make_engine(sqlite_url(self.home.catalog_db))
        upgrade_schema(self.engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def sync(self, hub: RunningHub, log: RequestLog | None = None, **options: Any) -> SyncResult:
        hooks = log.hooks() if log is not None else None
        with HubSource(hub.url, hub.token, event_hooks=hooks) as source:
            return Syncer(self.home, self.sessions, source, **options).run()

    def mirror(self) -> dict[str, bytes]:
        return tree(self.home.mirror_dir)


class AsgiServer:
    """Serves any ASGI app with uvicorn on a free port of 127.0.0.1, from a thread.

    Used for a *hostile* hub: one that sends crafted manifests or wrong bytes.
    """

    def __init__(self, app: Any) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(
            uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> AsgiServer:
        self._thread.start()
        while not self._server.started:
            self._thread.join(timeout=0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join()
        self._socket.close()
