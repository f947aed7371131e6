"""The hub marketing runs over the approved folder. Nothing here may import PySide6.

Start one in-process (tests, the demo)::

    from fieldkit.hub import Hub, HubServer

    hub = Hub.open(root, db_url)            # db_url: SQLite path/URL or postgresql://...
    token = hub.reps.add("alice")
    with HubServer(hub) as server:           # scans, watches, serves on a free port
        ...  # server.url, hub.rescan()

The names load on first use, so a client that needs only ``fieldkit.hub.paths`` or
``fieldkit.hub.sidecar`` does not import the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fieldkit.hub.server import HubServer
    from fieldkit.hub.service import Hub

__all__ = ["Hub", "HubServer"]


def __getattr__(name: str) -> Any:
    if name == "Hub":
        from fieldkit.hub.service import Hub

        return Hub
    if name == "HubServer":
        from fieldkit.hub.server import HubServer

        return HubServer
    raise AttributeError(f"module 'fieldkit.hub' has no attribute {name!r}")
