"""Requests, feedback and usage signals in the whole window (built by the app's composition root)
against a real hub on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from outbox_ui_support import HubUnderTest, hub_for_outbox, save_hub
from PySide6.QtCore import QModelIndex, QSettings
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher, write_hub_folder

from fieldkit.core.client import Client
from fieldkit.core.credentials import TokenStore
from fieldkit.ui.app import Gui, build_gui
from fieldkit.ui.outbox_view import OutboxView
from fieldkit.ui.requests_ui import RequestsUi
from fieldkit.ui.results_model import ROW_ROLE


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubUnderTest]:
    approved = write_hub_folder(tmp_path / "approved")
    with hub_for_outbox(approved, tmp_path / "hub.sqlite3") as under_test:
        yield under_test


@pytest.fixture
def gui(
    qtbot: QtBot,
    client: Client,
    hub: HubUnderTest,
    launcher: RecordingLauncher,
    qsettings: QSettings,
) -> Iterator[Gui]:
    save_hub(client, hub.url, hub.token)
    gui = build_gui(
        client,
        launcher=launcher,
        qsettings=qsettings,
        tokens=TokenStore(client.home, fail.Keyring()),
        watch=False,
    )
    qtbot.addWidget(gui.window)
    gui.window.show()
    gui.start(sync_now=False)
    yield gui
    gui.close()


def feature(gui: Gui) -> RequestsUi:
    assert gui.requests is not None
    return gui.requests


def outbox_statuses(view: OutboxView) -> list[str]:
    model = view.requests_model
    return [str(model.index(row, 4).data()) for row in range(model.rowCount())]


def test_a_search_that_finds_nothing_offers_a_request_prefilled_with_it(
    qtbot: QtBot, gui: Gui, client: Client, tmp_path: Path
) -> None:
    window = gui.window
    view = window.search_view
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Outbox && requests" in tabs
    qtbot.keyClicks(view.search_field, "zebra migration")
    qtbot.waitUntil(lambda: "“zebra migration”" in view.empty_label.text())
    assert "Ask marketing for it" in view.empty_label.text()
    assert view.grab().save(str(tmp_path / "no-results.png"))

    view.empty_label.linkActivated.emit("request:")  # the rep clicks the link
    dialog = feature(gui).actions.request_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.title_field.text() == "zebra migration"
    with qtbot.waitSignal(dialog.queued):
        dialog.ok_button.click()

    [item] = client.outbox.items()
    assert (item.payload["title"], item.payload["query"]) == ("zebra migration", "zebra migration")
    assert window.status_panel.notice().startswith("Request queued: “zebra migration”")
    outbox = feature(gui).view
    window.tabs.setCurrentWidget(outbox)
    qtbot.waitUntil(lambda: outbox_statuses(outbox) == ["Queued"])
    # The settled search is a usage signal, counted in the tab.
    qtbot.waitUntil(lambda: outbox.signals_label.text().startswith("1 usage signal waits"),
                    timeout=10_000)
    assert [(s["query"], s["results"]) for s in client.outbox.pending_signals()] == [
        ("zebra migration", 0)
    ]
    assert window.grab().save(str(tmp_path / "window-outbox.png"))


def test_a_request_goes_once_a_sync_finds_the_hub_and_news_is_notified(
    qtbot: QtBot, gui: Gui, client: Client, hub: HubUnderTest
) -> None:
    window = gui.window
    requests = feature(gui)
    outbox = requests.view
    dialog = requests.actions.open_request_dialog()
    dialog.title_field.setText("Pricing sheet for Germany")
    with qtbot.waitSignal(dialog.queued):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: "cannot be reached" in outbox.summary_label.text(), timeout=15_000)
    qtbot.waitUntil(lambda: outbox_statuses(outbox) == ["Queued"])  # back from "Sending…"

    with hub.serving():
        qtbot.waitUntil(window.sync_action.isEnabled)
        with qtbot.waitSignal(gui.sync.sync_finished, timeout=30_000):
            window.sync_action.trigger()
        qtbot.waitUntil(lambda: outbox_statuses(outbox) == ["Sent"], timeout=20_000)
        assert hub.request_count() == 1
        [record] = hub.inbox().requests()
        hub.inbox().respond(record.id, "acknowledged", note="On it")
        with qtbot.waitSignal(
            window.tray.notified,
            timeout=20_000,
            check_params_cb=lambda title, _text: title == "Request acknowledged",
        ) as notified:
            outbox.send_button.click()
    assert notified.args[1] == (
        "Marketing has seen your request “Pricing sheet for Germany”. “On it”"
    )
    window.tabs.setCurrentWidget(window.search_view)
    with qtbot.waitSignal(window.notification_opened):
        window.tray.icon.messageClicked.emit()  # the desktop's report of a click on it
    assert window.tabs.currentWidget() is outbox
    qtbot.waitUntil(lambda: outbox_statuses(outbox) == ["Acknowledged"], timeout=15_000)
    assert hub.request_count() == 1


def test_feedback_from_a_result_carries_its_page(
    qtbot: QtBot, gui: Gui, client: Client, hub: HubUnderTest, tmp_path: Path
) -> None:
    window = gui.window
    view = window.search_view
    actions = feature(gui).actions
    with hub.serving():
        qtbot.waitUntil(window.sync_action.isEnabled)
        with qtbot.waitSignal(gui.sync.sync_finished, timeout=30_000):
            window.sync_action.trigger()
        view.search_field.clear()
        qtbot.keyClicks(view.search_field, "audit trails")

        def one_pager() -> QModelIndex | None:
            rows = [view.proxy.index(r, 0) for r in range(view.proxy.rowCount())]
            return next((i for i in rows if i.data(ROW_ROLE).title == "Lineage one-pager"), None)

        # The results refresh once the indexer has read what the sync brought.
        qtbot.waitUntil(lambda: one_pager() is not None, timeout=30_000)
        index = one_pager()
        assert index is not None
        view.results_view.setCurrentIndex(index)
        assert actions.feedback_action in view.results_view.actions()  # the context menu
        assert actions.feedback_action.isEnabled()
        [button] = [b for b in view.preview.findChildren(QToolButton)
                    if b.defaultAction() is actions.feedback_action]
        qtbot.waitUntil(lambda: view.preview.hit() == view.current_hit())
        assert button.isVisible()
        assert button.text() == "Feedback…"
        assert window.grab().save(str(tmp_path / "window-preview-feedback.png"))
        button.click()
        dialog = actions.feedback_dialog
        assert dialog is not None
        assert dialog.title_label.text() == "Lineage one-pager"
        assert dialog.page_check.isChecked() and dialog.page_field.value() == 2
        dialog.kind_buttons["typo"].click()
        with qtbot.waitSignal(dialog.queued):
            dialog.ok_button.click()
        outbox = feature(gui).view
        window.tabs.setCurrentWidget(outbox)
        qtbot.waitUntil(lambda: outbox.feedback_model.rowCount() == 1)
        assert window.grab().save(str(tmp_path / "window-feedback.png"))
        window.tabs.setCurrentWidget(view)
        [item] = client.outbox.items()
        hit = view.current_hit()
        assert hit is not None
        assert (item.payload["doc_id"], item.payload["page"], item.payload["kind"]) == (
            hit.doc_id, 2, "typo"
        )

    rows = [view.proxy.index(r, 0) for r in range(view.proxy.rowCount())]
    [mine] = [index for index in rows if index.data(ROW_ROLE).personal]  # Cobaltline.md
    view.results_view.setCurrentIndex(mine)
    assert not actions.feedback_action.isEnabled()  # the rep's own files are not marketing's


def test_switching_usage_signals_off_in_settings_records_nothing(
    qtbot: QtBot, gui: Gui, client: Client
) -> None:
    window = gui.window
    assert client.settings.usage_signals
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: window.settings_dialog() is not None)
    dialog = window.settings_dialog()
    assert dialog is not None and dialog.usage_signals.isChecked()
    dialog.usage_signals.setChecked(False)
    with qtbot.waitSignal(window.settings_saved):
        dialog.accept()
    assert not client.settings.usage_signals

    view = window.search_view
    recorder = feature(gui).recorder
    qtbot.keyClicks(view.search_field, "pricing")
    qtbot.waitUntil(lambda: view.shown_results() is not None and not view.searching())
    view.open_action.trigger()
    qtbot.waitUntil(lambda: not recorder.waiting() and gui.runner.pending() == 0)
    assert client.outbox.pending_signals() == []


def test_a_search_with_few_results_offers_a_request_beside_them(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    qtbot.keyClicks(view.search_field, "renewal")
    qtbot.waitUntil(lambda: view.shown_results() is not None
                    and view.shown_results().query == "renewal")  # type: ignore[union-attr]
    results = view.shown_results()
    assert results is not None and 0 < results.total <= 3
    assert "Ask marketing" in view.summary.text()

    view.summary.linkActivated.emit("request:")
    dialog = feature(gui).actions.request_dialog
    assert dialog is not None and dialog.title_field.text() == "renewal"
    dialog.reject()
