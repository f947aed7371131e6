"""The demo: a hub over the bundled sample library, run in-process, and a client connected to it.

The first run publishes the older versions in ``sample-history`` and syncs them, then publishes
the current library without syncing again, so the rep sees "update available" beside current,
expiring, expired, withdrawn and superseded documents.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.errors import FieldkitError
from fieldkit.core.home import HomePaths
from fieldkit.core.library import IndexReport
from fieldkit.core.sync import Syncer, SyncResult, connect_hub, open_source
from fieldkit.hub.server import HubServer
from fieldkit.hub.service import Hub

log = logging.getLogger(__name__)

RESOURCES_ENV = "FIELDKIT_RESOURCES"
DEMO_REP = "demo-rep"
_PUBLISHED_MARK = ".fieldkit-demo-published"


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the source tree, or where ``FIELDKIT_RESOURCES`` says."""
    override = os.environ.get(RESOURCES_ENV)
    candidates = [Path(override)] if override else []
    candidates.append(Path(__file__).resolve().parents[3] / "resources")
    for candidate in candidates:
        if (candidate / "sample-library").is_dir():
            return candidate
    raise FieldkitError(
        "The demo library is missing (resources/sample-library). Reinstall fieldkit, or set "
        f"{RESOURCES_ENV} to the folder that holds it."
    )


def default_demo_home() -> HomePaths:
    return HomePaths(Path(platformdirs.user_data_dir("fieldkit-demo", appauthor=False)))


@dataclass(frozen=True)
class DemoServed:
    hub_url: str
    first_sync: SyncResult | None


@dataclass(frozen=True)
class DemoReady:
    hub_url: str
    first_sync: SyncResult | None
    index: IndexReport


class DemoHub:
    """Runs the demo hub in this process for as long as the demo lasts."""

    def __init__(self, home: HomePaths) -> None:
        self._home = home
        self._hub_root = home.root / "demo-hub" / "Approved content"
        self._hub_db = home.root / "demo-hub" / "hub.sqlite3"
        self._server: HubServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise FieldkitError("The demo hub is not running.")
        return self._server.url

    def start(self, client: Client) -> DemoReady:
        """Start the hub, connect ``client`` to it, and (on the first run) sync and index."""
        served = self.serve(client)
        return DemoReady(served.hub_url, served.first_sync, client.library.index())

    def serve(self, client: Client) -> DemoServed:
        """Start the hub and connect ``client`` to it (syncing on the first run), without
        indexing: for a caller whose index writes belong to another thread (the app's
        IndexService), which indexes the synced files itself."""
        self.stop()  # a second attempt (after a failed one) serves afresh
        resources = resources_dir()
        first_run = not (self._hub_root.parent / _PUBLISHED_MARK).exists()
        if first_run:
            shutil.rmtree(self._hub_root, ignore_errors=True)
            shutil.copytree(resources / "sample-library", self._hub_root)
            history = resources / "sample-history"
            if history.is_dir():
                shutil.copytree(history, self._hub_root, dirs_exist_ok=True)
        hub = Hub.open(self._hub_root, f"sqlite:///{self._hub_db}", rescan_interval=30.0)
        token = _fresh_token(hub)
        server = self._server = HubServer(hub).start()
        try:
            tokens = TokenStore(client.home)
            connect_hub(client.sessions, tokens, server.url, token)
            first_sync = None
            if first_run:
                first_sync = self._sync(client, tokens)
                # Now publish the current versions: the rep's copies are one version behind.
                shutil.copytree(resources / "sample-library", self._hub_root, dirs_exist_ok=True)
                hub.rescan()
                (self._hub_root.parent / _PUBLISHED_MARK).touch()
                # Fetch the new manifest (metadata only: metered), so "update available" shows.
                self._sync(client, tokens, metered=True)
        except BaseException:
            self.stop()
            raise
        return DemoServed(server.url, first_sync)

    def _sync(self, client: Client, tokens: TokenStore, *, metered: bool = False) -> SyncResult:
        source = open_source(client.sessions, tokens)
        try:
            result = Syncer(client.home, client.sessions, source, metered=metered).run()
        finally:
            source.close()
        if result.offline:
            raise FieldkitError(f"The demo hub did not answer: {result.message}")
        return result

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def _fresh_token(hub: Hub) -> str:
    """A new token for the demo rep each run (tokens are shown once and stored hashed)."""
    if any(rep.name == DEMO_REP and rep.active for rep in hub.reps.reps()):
        hub.reps.revoke(DEMO_REP)
    return hub.reps.add(DEMO_REP)
