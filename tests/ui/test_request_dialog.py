"""The content request and feedback dialogs: what they queue, and that "queued" means stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from fieldkit.core.catalog import MirrorEntry
from fieldkit.core.client import Client
from fieldkit.ui.feedback_dialog import FeedbackDialog
from fieldkit.ui.request_dialog import RelatedDocument, RequestDialog
from fieldkit.ui.tasks import TaskRunner


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner(threads=1)
    yield runner
    runner.shutdown()


@pytest.fixture
def deck(client: Client) -> str:
    """An approved document the sync brought (its id is the hub's)."""
    with client.sessions.begin() as session:
        session.add(MirrorEntry(doc_id="d_overview", rel_path="Decks/Overview.pptx", version=3,
                                sha256="0" * 64, size=1))
    return "d_overview"


def test_a_request_is_queued_with_everything_the_rep_said(
    qtbot: QtBot, client: Client, runner: TaskRunner, deck: str, tmp_path: Path
) -> None:
    today = date.today()
    dialog = RequestDialog(
        runner, client.outbox.add_request, query="overview spanish",
        related=RelatedDocument(deck, "Overview deck"), today=today,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.title_field.text() == "overview spanish"  # prefilled with the search
    dialog.title_field.clear()
    assert not dialog.ok_button.isEnabled()  # a request needs a title
    dialog.title_field.setText("The overview deck in Spanish")
    assert dialog.ok_button.isEnabled()
    dialog.details_field.setPlainText("For the Madrid workshop.")
    dialog.customer_field.setText("Acme Iberia")
    dialog.needed_by_check.setChecked(True)
    needed = today + timedelta(days=10)
    dialog.needed_by_field.setDate(QDate(needed.year, needed.month, needed.day))
    dialog.urgency_box.setCurrentIndex(dialog.urgency_box.findData("high"))
    assert dialog.grab().save(str(tmp_path / "request-dialog.png"))

    with qtbot.waitSignal(dialog.queued) as queued:
        dialog.ok_button.click()

    assert not dialog.isVisible()
    [item] = client.outbox.items()
    assert item.id == queued.args[0].id and item.state == "queued"
    assert {k: v for k, v in item.payload.items() if k != "created_at"} == {
        "title": "The overview deck in Spanish",
        "details": "For the Madrid workshop.",
        "customer": "Acme Iberia",
        "needed_by": needed.isoformat(),
        "urgency": "high",
        "doc_id": deck,
        "doc_version": 3,
        "query": "overview spanish",
    }


def test_a_problem_keeps_the_dialog_open_with_the_reason(
    qtbot: QtBot, client: Client, runner: TaskRunner
) -> None:
    dialog = RequestDialog(
        runner, client.outbox.add_request, related=RelatedDocument("d_gone", "Old deck")
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.title_field.setText("Old deck, updated")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.error_label.isHidden())

    assert "No approved document" in dialog.error_label.text()
    assert dialog.isVisible() and dialog.ok_button.text() == "Queue request"
    assert client.outbox.items() == []

    dialog.clear_related.click()  # without the document it goes
    assert dialog.related_label.text() == "No document"
    with qtbot.waitSignal(dialog.queued):
        dialog.ok_button.click()
    assert [i.payload["doc_id"] for i in client.outbox.items()] == [None]


def test_feedback_is_queued_with_its_slide(
    qtbot: QtBot, client: Client, runner: TaskRunner, deck: str, tmp_path: Path
) -> None:
    dialog = FeedbackDialog(
        runner, client.outbox.add_feedback, doc_id=deck, title="Overview deck", page=7,
        page_word="slide",
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.page_check.isChecked() and dialog.page_field.value() == 7
    assert not dialog.ok_button.isEnabled()  # a kind first
    dialog.kind_buttons["outdated"].click()
    dialog.comment_field.setPlainText("Still shows the 2025 prices.")
    assert dialog.grab().save(str(tmp_path / "feedback-dialog.png"))

    with qtbot.waitSignal(dialog.queued):
        dialog.ok_button.click()

    [item] = client.outbox.items()
    assert (item.kind, item.summary) == ("feedback", "Outdated: d_overview, page 7")
    assert item.payload["comment"] == "Still shows the 2025 prices."


def test_feedback_on_the_whole_document(
    qtbot: QtBot, client: Client, runner: TaskRunner, deck: str
) -> None:
    dialog = FeedbackDialog(runner, client.outbox.add_feedback, doc_id=deck, title="Overview")
    qtbot.addWidget(dialog)
    assert not dialog.page_check.isChecked() and not dialog.page_field.isEnabled()
    dialog.kind_buttons["helped"].click()
    with qtbot.waitSignal(dialog.queued):
        dialog.ok_button.click()
    [item] = client.outbox.items()
    assert (item.payload["page"], item.payload["kind"]) == (None, "helped")
