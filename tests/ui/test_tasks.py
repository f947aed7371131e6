from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from fieldkit.core.errors import UsageError
from fieldkit.ui.tasks import InlineTaskRunner, TaskRunner


@pytest.fixture
def runner() -> TaskRunner:
    runner = TaskRunner(threads=2)
    yield runner
    runner.shutdown()


def test_result_arrives_on_the_main_thread_from_a_pool_thread(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    main = threading.get_ident()
    ran_on: list[int] = []
    delivered_on: list[int] = []
    results: list[int] = []

    def work() -> int:
        ran_on.append(threading.get_ident())
        return 42

    def done(value: int) -> None:
        delivered_on.append(threading.get_ident())
        results.append(value)

    runner.run(work, done)
    qtbot.waitUntil(lambda: results == [42])
    assert ran_on[0] != main
    assert delivered_on == [main]
    assert runner.pending() == 0


def test_expected_errors_go_to_on_error(qtbot: QtBot, runner: TaskRunner) -> None:
    errors: list[BaseException] = []

    def fail() -> None:
        raise UsageError("No such folder")

    runner.run(fail, lambda _value: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], UsageError)
    assert str(errors[0]) == "No such folder"


def test_unhandled_bug_is_logged_and_signalled(
    qtbot: QtBot, runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def fail() -> None:
        raise ZeroDivisionError("bug")

    with qtbot.waitSignal(runner.task_failed) as blocker:
        runner.run(fail, lambda _value: None)
    assert isinstance(blocker.args[0], ZeroDivisionError)
    assert "background task failed" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_shutdown_waits_for_running_tasks_and_drops_their_callbacks(qapp: QCoreApplication) -> None:
    runner = TaskRunner(threads=1)
    started = threading.Event()
    release = threading.Event()
    finished: list[str] = []
    delivered: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(5)
        finished.append("slow")
        return "slow"

    runner.run(slow, delivered.append)
    assert started.wait(5)
    release.set()
    runner.shutdown()
    assert finished == ["slow"]
    runner.run(lambda: "late", delivered.append)
    QCoreApplication.processEvents()
    assert delivered == []
    assert runner.pending() == 0


def test_inline_runner_runs_at_once() -> None:
    runner = InlineTaskRunner()
    results: list[int] = []
    errors: list[BaseException] = []
    runner.run(lambda: 7, results.append)
    runner.run(lambda: 1 // 0, results.append, errors.append)
    assert results == [7]
    assert isinstance(errors[0], ZeroDivisionError)
