"""Usage signals from the search view: one signal per settled search, opened approved documents,
and nothing at all with usage signals switched off."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher

from fieldkit.core.client import Client
from fieldkit.core.index import Hit, SearchRequest
from fieldkit.ui.history import QueryHistory
from fieldkit.ui.search_view import SearchView
from fieldkit.ui.tasks import TaskRunner
from fieldkit.ui.usage_recorder import UsageRecorder

SETTLE_MS = 300


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner(threads=2)
    yield runner
    runner.shutdown()


@pytest.fixture
def view(
    qtbot: QtBot,
    client: Client,
    runner: TaskRunner,
    launcher: RecordingLauncher,
    qsettings: QSettings,
) -> SearchView:
    view = SearchView(client.library, runner, runner, launcher, QueryHistory(qsettings))
    qtbot.addWidget(view)
    view.show()
    return view


@pytest.fixture
def recorder(client: Client, runner: TaskRunner, view: SearchView) -> UsageRecorder:
    recorder = UsageRecorder(client.signals, runner, view.search_field.text, settle_ms=SETTLE_MS)
    view.results_shown.connect(recorder.on_results_shown)
    view.document_opened.connect(recorder.on_document_opened)
    return recorder


def type_query(qtbot: QtBot, view: SearchView, text: str) -> None:
    for char in text:
        qtbot.keyClicks(view.search_field, char)


def settled(recorder: UsageRecorder, runner: TaskRunner) -> bool:
    return not recorder.waiting() and runner.pending() == 0


def hub_hit(doc_id: str, *, personal: bool = False) -> Hit:
    return Hit(doc_id=doc_id, path="/tmp/x.pdf", title="Deck", format="pdf", score=1.0,
               location_kind=None, location_number=None, also=(), snippet="", status="current",
               version=1, modified=datetime(2026, 1, 1), folder="Decks", tags=(),
               personal=personal)


def test_a_settled_search_is_one_signal_with_its_result_count(
    qtbot: QtBot, client: Client, runner: TaskRunner, view: SearchView, recorder: UsageRecorder
) -> None:
    type_query(qtbot, view, "pricing")
    qtbot.waitUntil(lambda: view.shown_results() is not None
                    and view.shown_results().query == "pricing")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: settled(recorder, runner))
    view.set_filters({"format": "txt"})  # the same search, filtered: no second signal
    qtbot.waitUntil(lambda: dict(view.filters()) == {"format": "txt"} and not view.searching())
    qtbot.waitUntil(lambda: settled(recorder, runner))
    view.search_field.clear()
    type_query(qtbot, view, "zebra")
    qtbot.waitUntil(lambda: settled(recorder, runner) and not view.searching())
    qtbot.waitUntil(lambda: len(client.outbox.pending_signals()) == 2)

    signals = client.outbox.pending_signals()
    pricing_total = client.library.search(SearchRequest("pricing")).total
    assert [(s["type"], s["query"], s["results"]) for s in signals] == [
        ("search", "pricing", pricing_total),
        ("search", "zebra", 0),
    ]
    assert pricing_total > 0


def test_opening_an_approved_document_is_a_signal_and_a_personal_file_is_not(
    qtbot: QtBot, client: Client, runner: TaskRunner, recorder: UsageRecorder
) -> None:
    recorder.on_document_opened(hub_hit("d_mine", personal=True))
    with qtbot.waitSignal(recorder.recorded):
        recorder.on_document_opened(hub_hit("d_deck"))
    assert [(s["type"], s.get("doc_id")) for s in client.outbox.pending_signals()] == [
        ("open", "d_deck")
    ]


def test_with_usage_signals_off_nothing_is_recorded(
    qtbot: QtBot,
    client: Client,
    runner: TaskRunner,
    view: SearchView,
    recorder: UsageRecorder,
) -> None:
    client.save_settings(dataclasses.replace(client.settings, usage_signals=False))
    type_query(qtbot, view, "pricing")
    qtbot.waitUntil(lambda: view.shown_results() is not None and not view.searching())
    view.results_view.setCurrentIndex(view.proxy.index(0, 0))
    view.open_action.trigger()
    recorder.on_document_opened(hub_hit("d_deck"))
    qtbot.waitUntil(lambda: settled(recorder, runner))
    assert client.outbox.pending_signals() == []
