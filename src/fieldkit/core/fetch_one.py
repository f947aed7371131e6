"""Fetch one document now, ahead of a full sync ("open the latest").

This is the sync itself (:class:`fieldkit.core.sync.Syncer`: the manifest refresh, the plan that
keeps a rep's edits, and the verified, resumable download) with downloads limited to one
document. Everything else a sync would download stays pending for the next full sync.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.errors import FieldkitError, OfflineError
from fieldkit.core.home import HomePaths
from fieldkit.core.source import Source
from fieldkit.core.sync import ProgressCallback, Syncer, SyncResult

if TYPE_CHECKING:
    from fieldkit.core.sync import _Wanted


class _OneDocumentSyncer(Syncer):
    def __init__(
        self,
        home: HomePaths,
        sessions: sessionmaker[Session],
        source: Source,
        doc_id: str,
        on_progress: ProgressCallback | None,
    ) -> None:
        super().__init__(home, sessions, source, jobs=1, on_progress=on_progress)
        self._doc_id = doc_id

    def _may_download(self, want: _Wanted) -> bool:
        return want.doc_id == self._doc_id


def fetch_document(
    home: HomePaths,
    sessions: sessionmaker[Session],
    source: Source,
    doc_id: str,
    *,
    on_progress: ProgressCallback | None = None,
) -> SyncResult:
    """Refresh the manifest and bring ``doc_id`` to its newest version now.

    Raises OfflineError when the source cannot be reached, and FieldkitError with the sync's
    reason when this document could not be fetched.
    """
    result = _OneDocumentSyncer(home, sessions, source, doc_id, on_progress).run()
    if result.offline:
        raise OfflineError(result.message or f"{source.label} can't be reached.")
    for failure in result.failed:
        if failure.doc_id == doc_id:
            raise FieldkitError(f"The newest version could not be fetched: {failure.reason}")
    return result


def source_fetcher(
    home: HomePaths,
    sessions: sessionmaker[Session],
    open_source: Callable[[], Source],
    *,
    after: Callable[[SyncResult], None] | None = None,
) -> Callable[[str], None]:
    """A :data:`fieldkit.core.open_latest.Fetcher` over a fresh source per call; ``after``
    gets each result (to index the files that changed)."""

    def fetch(doc_id: str) -> None:
        source = open_source()
        try:
            result = fetch_document(home, sessions, source, doc_id)
        finally:
            source.close()
        if after is not None:
            after(result)

    return fetch
