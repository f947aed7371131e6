"""The hub marketing runs over the approved folder. Nothing here may import PySide6.

Start one in-process (tests, the demo)::

    from fieldkit.hub import Hub, HubServer

    hub = Hub.open(root, db_url)            # db_url: SQLite path/URL or postgresql://...
    token = hub.reps.add("alice")
    with HubServer(hub) as server:           # scans, watches, serves on a free port
        ...  # server.url, hub.rescan()
"""

from fieldkit.hub.server import HubServer
from fieldkit.hub.service import Hub

__all__ = ["Hub", "HubServer"]
