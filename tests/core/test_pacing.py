"""Background scans step aside while interactive work (a search) is under way."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fieldkit.core.client import open_client
from fieldkit.core.home import HomePaths
from fieldkit.core.pacing import Pacer


def paused_in_thread(pacer: Pacer) -> tuple[threading.Thread, threading.Event, list[bool]]:
    done = threading.Event()
    waited: list[bool] = []

    def scan() -> None:
        waited.append(pacer.pause())
        done.set()

    thread = threading.Thread(target=scan)
    thread.start()
    return thread, done, waited


def test_a_pause_costs_nothing_when_nobody_waits() -> None:
    pacer = Pacer()
    assert not pacer.busy
    assert pacer.pause() is False


def test_a_pause_waits_for_interactive_work_to_end() -> None:
    pacer = Pacer(max_wait_s=30)
    with pacer.interactive():
        assert pacer.busy
        thread, done, waited = paused_in_thread(pacer)
        assert not done.wait(0.3)  # still held back
    assert done.wait(10)
    thread.join()
    assert waited == [True]
    assert not pacer.busy


def test_nested_work_holds_until_the_last_end() -> None:
    pacer = Pacer(max_wait_s=30)
    pacer.begin()
    pacer.begin()
    thread, done, _waited = paused_in_thread(pacer)
    pacer.end()
    assert not done.wait(0.3)
    pacer.end()
    assert done.wait(10)
    thread.join()


def test_a_scan_is_held_back_at_most_max_wait_after_the_work_began() -> None:
    """A hold whose end is lost cannot stall scans for good: once ``max_wait_s`` has passed
    since the work began, pauses return at once."""
    pacer = Pacer(max_wait_s=0.3)
    pacer.begin()  # never ended
    started = time.monotonic()
    assert pacer.pause() is True
    assert 0.2 <= time.monotonic() - started < 5
    assert pacer.pause() is False  # the same work: no second wait


def test_the_reconcile_scan_waits_while_a_search_runs(home: HomePaths, tmp_path: Path) -> None:
    folder = tmp_path / "My files"
    folder.mkdir()
    for n in range(450):  # more than one chunk of the walk
        (folder / f"note {n}.txt").write_text(f"Note number {n}.\n", encoding="utf-8")
    with open_client(home) as client:
        client.library.add_folder(folder)
        assert client.library.index().indexed == 450
        finished = threading.Event()

        def reconcile() -> None:
            client.library.index()
            finished.set()

        with client.pacer.interactive():  # as the window does while a search is on its way
            scan = threading.Thread(target=reconcile)
            scan.start()
            assert not finished.wait(0.5)
        assert finished.wait(60)
        scan.join()
