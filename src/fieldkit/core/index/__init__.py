"""Full-text search over the library: the Whoosh index behind one package.

Whoosh (the ``whoosh-reloaded`` distribution) is imported only inside this package.
"""

from fieldkit.core.index.buffers import share_segment_buffers
from fieldkit.core.index.engine import SearchIndex
from fieldkit.core.index.model import (
    Hit,
    IndexBusyError,
    IndexDamagedError,
    IndexDocument,
    IndexHealth,
    IndexUnit,
    SearchRequest,
    SearchResults,
    SortOrder,
)

__all__ = [
    "Hit",
    "IndexBusyError",
    "IndexDamagedError",
    "IndexDocument",
    "IndexHealth",
    "IndexUnit",
    "SearchIndex",
    "SearchRequest",
    "SearchResults",
    "SortOrder",
]

share_segment_buffers()
