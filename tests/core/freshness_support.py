"""Shared pieces of the freshness tests: a rep's laptop (the real client graph) synced from a
real hub on 127.0.0.1, and a clock the tests move."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync_support import RunningHub, write

from fieldkit.core import freshness_models  # noqa: F401  (registers the tables before open_client)
from fieldkit.core.client import Client, open_client
from fieldkit.core.home import HomePaths
from fieldkit.core.source import HubSource
from fieldkit.core.sync import Syncer, SyncResult

__all__ = ["Clock", "Laptop", "RunningHub", "at", "publish", "write"]


class Clock:
    """An injectable clock that stays where the test puts it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Laptop:
    """A rep's laptop: ``open_client`` over a home folder, synced from a running hub."""

    def __init__(self, root: Path) -> None:
        self.client: Client = open_client(HomePaths(root))
        self.home = self.client.home
        self.sessions = self.client.sessions

    def sync(self, hub: RunningHub, **options: Any) -> SyncResult:
        with HubSource(hub.url, hub.token) as source:
            result = Syncer(self.home, self.sessions, source, **options).run()
        assert result.ok, result
        return result

    def mirror_path(self, rel: str) -> Path:
        return self.home.mirror_dir / rel

    def close(self) -> None:
        self.client.close()


def publish(hub: RunningHub, rel: str, content: bytes | str, meta: str | None = None) -> None:
    """Marketing saves a file (and its sidecar) in the hub folder; the hub rescans."""
    write(hub.root, rel, content)
    if meta is not None:
        write(hub.root, rel + ".meta.toml", meta)
    hub.rescan()
