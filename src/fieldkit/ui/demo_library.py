"""The demo library that the first run of ``fieldkit app`` offers: the sample library's hub, run
in this process from the moment the rep asks for it until the app closes.

``start`` is the first-run dialog's ``DemoStarter``. The dialog runs it on the task runner, never
on the UI thread: it copies the sample library, starts the hub and syncs (a few seconds). It does
not index: the window hands that to its IndexService, the one writer of the index, when the
dialog reports the connection. The hub's server stack is imported only when the rep asks.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fieldkit.core.client import Client

if TYPE_CHECKING:
    from fieldkit.core.demo import DemoHub


class DemoLibrary:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._hub: DemoHub | None = None
        self._lock = threading.Lock()

    def start(self) -> str:
        """Serve the demo hub and connect the library to it; returns a line for the rep."""
        from fieldkit.core.demo import DemoHub

        with self._lock:
            if self._hub is None:
                self._hub = DemoHub(self._client.home)
            self._hub.serve(self._client)
        return (
            "Connected to the demo hub: the approved content of Halyard Analytics, a fictional "
            "company, served from this computer while fieldkit runs."
        )

    def stop(self) -> None:
        """Stop the hub (nothing to do if the rep never asked for the demo)."""
        with self._lock:
            if self._hub is not None:
                self._hub.stop()
