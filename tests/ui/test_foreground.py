"""A search holds the client's pacer (background scans pause) until its results are painted."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from fieldkit.core.client import Client
from fieldkit.core.pacing import Pacer
from fieldkit.ui.app import Gui
from fieldkit.ui.foreground import LONGEST_HOLD_MS
from fieldkit.ui.search_view import SearchView
from fieldkit.ui.tasks import TaskRunner


def shown_query(view: SearchView) -> str | None:
    results = view.shown_results()
    return results.query if results is not None else None


def test_scans_pause_from_the_keystroke_until_the_results_are_painted(
    qtbot: QtBot, gui: Gui, client: Client
) -> None:
    view = gui.window.search_view
    qtbot.waitUntil(lambda: shown_query(view) == "")
    qtbot.waitUntil(lambda: not client.pacer.busy)
    held_while_shown: list[bool] = []
    view.results_shown.connect(lambda _results: held_while_shown.append(client.pacer.busy))
    # The search thread is kept busy, so the search is seen on its way.
    search_thread_free = threading.Event()
    assert gui.search_runner is not None
    gui.search_runner.run(lambda: search_thread_free.wait(10), lambda _: None)

    issued = view.searches_issued
    qtbot.keyClicks(view.search_field, "pricing")
    qtbot.waitUntil(lambda: view.searches_issued > issued)  # on its way (after the debounce)
    assert client.pacer.busy
    scan_done = threading.Event()
    waited: list[bool] = []

    def scan() -> None:
        waited.append(client.pacer.pause())
        scan_done.set()

    thread = threading.Thread(target=scan)
    thread.start()
    assert not scan_done.wait(0.3)  # the scan waits for the search
    search_thread_free.set()
    qtbot.waitUntil(lambda: shown_query(view) == "pricing")
    assert held_while_shown[-1] is True  # still held while the results go into the view
    qtbot.waitUntil(lambda: not client.pacer.busy, timeout=LONGEST_HOLD_MS // 2)  # painted
    assert scan_done.wait(10)
    thread.join()
    assert waited == [True]


def test_no_results_page_releases_at_once(qtbot: QtBot, gui: Gui, client: Client) -> None:
    view = gui.window.search_view
    qtbot.waitUntil(lambda: shown_query(view) == "")
    qtbot.keyClicks(view.search_field, "zyxwvut")
    qtbot.waitUntil(lambda: shown_query(view) == "zyxwvut")
    assert view.results_stack.currentIndex() != 0  # the empty page, not the results
    assert not client.pacer.busy


def test_a_background_task_waits_to_start_while_a_search_is_on_its_way(qtbot: QtBot) -> None:
    pacer = Pacer(max_wait_s=30)
    runner = TaskRunner(threads=1, pacer=pacer)
    started = threading.Event()
    results: list[str] = []
    try:
        pacer.begin()  # a search is on its way
        runner.run(lambda: started.set() or "scanned", results.append)
        assert not started.wait(0.3)
        pacer.end()  # its results are painted
        qtbot.waitUntil(lambda: results == ["scanned"])
    finally:
        runner.shutdown()
