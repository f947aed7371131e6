"""Usage signals from the window: a document opened, and a search once it has settled.

Results arrive for nearly every keystroke; a search is recorded only when its query stayed on
screen for ``SETTLE_MS`` (or the rep opened one of its results) and is still what the search
field says, so "pricing" is one signal, not seven. Recording is a small write to the catalog,
done on the task runner. The core checks the rep's setting at each signal: with usage signals
off nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from fieldkit.core.index import Hit, SearchResults
from fieldkit.core.outbox import UsageSignals
from fieldkit.core.requests import normalize_query
from fieldkit.ui.tasks import TaskRunner

SETTLE_MS = 1500


class UsageRecorder(QObject):
    # A signal was handed to the outbox (or dropped there, with usage signals off).
    recorded = Signal()

    def __init__(
        self,
        signals: UsageSignals,
        runner: TaskRunner,
        typed: Callable[[], str],
        *,
        settle_ms: int = SETTLE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._signals = signals
        self._runner = runner
        self._typed = typed
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
            self._runner.run(lambda: signals.document_opened(doc_id), self._on_recorded)

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
        if key != normalize_query(self._typed()):
            return  # the rep typed on: the newer search's results settle instead
        if key == self._last_recorded:
            return  # the same search again (more results, another sort): one signal
        self._last_recorded = key
        signals = self._signals
        self._runner.run(lambda: signals.search_run(query, total), self._on_recorded)

    def _on_timer_timeout(self) -> None:
        self.flush()

    def _on_recorded(self, _result: None) -> None:
        # A failure (a full disk) reaches the window as the runner's task error instead.
        self.recorded.emit()
