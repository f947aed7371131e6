"""Helpers of the outbox UI tests: a real hub that can appear later on a known port, and a
client saved as connected to it (the way ``fieldkit connect`` saves it, keyring bypassed)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from keyring.backends import fail
from PySide6.QtCore import QObject, Slot
from sqlalchemy import func, select

from fieldkit.core.catalog import KeyValue, MirrorFile
from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.db import session_factory
from fieldkit.core.outbox import LOCK_FILE, Backoff, saved_hub_address
from fieldkit.hub import Hub, HubServer
from fieldkit.hub.inbox import Inbox, InboxRequest
from fieldkit.ui.outbox_service import OutboxService


@dataclass
class HubUnderTest:
    hub: Hub
    token: str
    url: str
    port: int
    served: bool = False

    @contextmanager
    def serving(self) -> Iterator[HubServer]:
        """Serve on the port the client knows; stopping the server closes the hub."""
        self.served = True
        with HubServer(self.hub, port=self.port) as server:
            yield server

    def request_count(self) -> int:
        with session_factory(self.hub.engine).begin() as session:
            return int(session.scalar(select(func.count()).select_from(InboxRequest)) or 0)

    def inbox(self) -> Inbox:
        return Inbox(self.hub.engine)


@contextmanager
def hub_for_outbox(root: Path, db: Path) -> Iterator[HubUnderTest]:
    """A hub with a rep's token, not yet serving: ``serving()`` starts it on its port."""
    root.mkdir(parents=True, exist_ok=True)
    hub = Hub.open(root, str(db))
    port = free_port()
    under_test = HubUnderTest(hub, hub.reps.add("rep"), f"http://127.0.0.1:{port}", port)
    try:
        yield under_test
    finally:
        if not under_test.served:
            hub.close()


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def save_hub(client: Client, url: str, token: str) -> TokenStore:
    """The client is connected to ``url`` as ``fieldkit connect`` leaves it."""
    with client.sessions.begin() as session:
        session.merge(KeyValue(key="hub", value={"url": url}))
    tokens = TokenStore(client.home, fail.Keyring())
    tokens.save(url, token)
    return tokens


def make_service(client: Client) -> OutboxService:
    """The service as the app builds it, with short waits."""
    return OutboxService(
        client.outbox,
        address=lambda: saved_hub_address(client.sessions, TokenStore(client.home, fail.Keyring())),
        lock_path=client.home.root / LOCK_FILE,
        sessions=client.sessions,
        signals_enabled=lambda: client.settings.usage_signals,
        backoff=Backoff(base=0.05, cap=0.2),
        offline_backoff=Backoff(base=0.05, cap=0.2),
    )


def install_answer(client: Client, doc_id: str, rel_path: str) -> None:
    """What a sync leaves when it brought a document: the file and its catalog row."""
    path = client.home.mirror_dir / rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"deck")
    with client.sessions.begin() as session:
        session.add(MirrorFile(doc_id=doc_id, area="mirror", rel_path=rel_path, version=1,
                               sha256="0" * 64, size=4, mtime_ns=1))


class Notifications(QObject):
    """Records notifications the way the tray receives them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    @Slot(str, str)
    def notify(self, title: str, text: str) -> None:
        self.seen.append((title, text))
