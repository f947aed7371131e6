"""Recent searches, newest first, kept in the app's QSettings and offered as completions."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QStringListModel

HISTORY_KEY = "search/history"
MAX_QUERIES = 30


class QueryHistory:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings
        stored = settings.value(HISTORY_KEY, [])
        # INI files hand back one query as a plain string.
        queries = [stored] if isinstance(stored, str) else stored
        if not isinstance(queries, list):
            queries = []
        self.model = QStringListModel([str(q) for q in queries][:MAX_QUERIES])

    def queries(self) -> list[str]:
        return self.model.stringList()

    def remember(self, query: str) -> None:
        query = " ".join(query.split())
        if not query:
            return
        queries = [query, *(q for q in self.queries() if q != query)][:MAX_QUERIES]
        self.model.setStringList(queries)
        self._settings.setValue(HISTORY_KEY, queries)
