"""Usage signals from the window: a document opened, and a search once it has settled.

Results arrive for nearly every keystroke; a search is recorded only when its query stayed on
screen for ``SETTLE_MS`` (or the rep opened one of its results), so "pricing" is one signal, not
seven. Recording is a small write to the catalog, done on the task runner. The core checks the
rep's setting at each signal: with usage signals off nothing is recorded.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from fieldkit.core.index import Hit, SearchResults
from fieldkit.core.outbox import UsageSignals
from fieldkit.core.requests import normalize_query
from fieldkit.ui.tasks import TaskRunner

SETTLE_MS = 1500


class UsageRecorder(QObject):
    def __init__(
        self,
        signals: UsageSignals,
        runner: TaskRunner,
        *,
        settle_ms: int = SETTLE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._signals = signals
        self._runner = runner
        self._pending: tuple[str, int] | None = None
        self._last_recorded = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(settle_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def on_results_shown(self, results: SearchResults) -> None:
        """Results for the current query are on screen (connected to ``results_shown``)."""
        if not results.query.strip():
            self._pending = None
            self._timer.stop()
            return
        self._pending = (results.query, results.total)
        self._timer.start()

    def on_document_opened(self, hit: Hit) -> None:
        """The rep opened a result: its search counts as settled, and the opening is noted
        (approved documents only: the rep's own files are nobody's business)."""
        self.flush()
        if not hit.personal:
            signals, doc_id = self._signals, hit.doc_id
            self._runner.run(lambda: signals.document_opened(doc_id), _ignore)

    def waiting(self) -> bool:
        """A search is on screen that has not settled yet."""
        return self._timer.isActive()

    def flush(self) -> None:
        """Record the search waiting to settle now."""
        self._timer.stop()
        pending, self._pending = self._pending, None
        if pending is None:
            return
        query, total = pending
        key = normalize_query(query)
        if key == self._last_recorded:
            return  # the same search again (more results, another sort): one signal
        self._last_recorded = key
        signals = self._signals
        self._runner.run(lambda: signals.search_run(query, total), _ignore)

    def _on_timer_timeout(self) -> None:
        self.flush()


def _ignore(_result: None) -> None:
    """Recording returns nothing to show; a failure reaches the window as a task error."""
