from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from fieldkit.ui.status_bar import (
    NOT_CONNECTED,
    OFFLINE,
    ONLINE,
    Activity,
    EtaClock,
    StatusPanel,
    activity_text,
    ago_text,
    duration_text,
)


def test_durations_and_ages_read_like_speech() -> None:
    assert duration_text(0.2) == "1 s"
    assert duration_text(42) == "42 s"
    assert duration_text(150) == "2 min"
    assert duration_text(3 * 3600 + 60 * 5) == "3 h 5 min"
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert ago_text(now - timedelta(seconds=20), now) == "just now"
    assert ago_text(now - timedelta(minutes=5), now) == "5 min ago"
    assert ago_text(now - timedelta(hours=3), now) == "3 h ago"
    assert ago_text(now - timedelta(days=1, hours=2), now) == "yesterday"
    assert ago_text(now - timedelta(days=9), now) == "9 days ago"


def test_activity_text_has_counts_detail_and_eta() -> None:
    assert activity_text(Activity("Syncing", 3, 40, 75.0, "2.1 MB/s")) == (
        "Syncing 3 of 40 · 2.1 MB/s · about 1 min left"
    )
    assert activity_text(Activity("Indexing", 40, 40, 5.0)) == "Indexing 40 of 40"
    assert activity_text(Activity("Checking the hub", 0, 0, None)) == "Checking the hub…"


def test_eta_needs_a_pace_first() -> None:
    clock = EtaClock()
    assert clock.estimate(0, 100) is None
    assert clock.estimate(10, 100) is None  # less than a second in: no guess yet


def test_panel_says_up_to_date_only_when_nothing_is_left(qtbot: QtBot) -> None:
    panel = StatusPanel(QAction("Sync now"), QAction("Pause"))
    qtbot.addWidget(panel)
    assert panel.connection() == NOT_CONNECTED
    assert "Not connected" in panel.connection_label.text()
    assert panel.last_sync_label.text() == ""
    assert panel.health_button.text() == "✓ Up to date"

    panel.set_connection(ONLINE, "http://hub")
    panel.set_last_sync(datetime.now(UTC) - timedelta(hours=2))
    assert "Online" in panel.connection_label.text()
    assert panel.last_sync_label.text() == "Last good sync 2 h ago"

    panel.set_activity("index", Activity("Indexing", 5, 10, None))
    assert panel.health_button.text() == "Working…"
    assert panel.activity_words() == "Indexing 5 of 10"
    assert panel.progress.value() == 5
    panel.set_activity("sync", Activity("Syncing", 1, 4, None))
    assert panel.activity_words() == "Syncing 1 of 4"  # the sync shows first
    panel.set_activity("sync", None)
    panel.set_activity("index", None)
    assert panel.activity() is None

    panel.set_health(problems=0, pending=3)
    assert panel.health_button.text() == "3 waiting"
    panel.set_health(problems=2, pending=3)
    assert panel.health_button.text() == "⚠ 2 problems"

    panel.set_connection(OFFLINE, "http://hub")
    assert panel.connection_words() == "Offline"
    with qtbot.waitSignal(panel.health_requested):
        panel.health_button.click()


def test_notices_show_then_clear(qtbot: QtBot) -> None:
    panel = StatusPanel(QAction("Sync now"), QAction("Pause"))
    qtbot.addWidget(panel)
    panel.show_notice("Copied Pricing: paste it into an e-mail or a folder.", timeout_ms=20)
    assert panel.notice().startswith("Copied Pricing")
    qtbot.waitUntil(lambda: panel.notice() == "")


def test_a_long_notice_ends_in_an_ellipsis_and_the_tooltip_has_it_all(qtbot: QtBot) -> None:
    panel = StatusPanel(QAction("Sync now"), QAction("Pause"))
    qtbot.addWidget(panel)
    panel.resize(700, 30)
    panel.show()
    text = "New content: 8 new or updated documents: " + ", ".join(
        f"Halyard deck number {n} (v1)" for n in range(8)
    )
    panel.show_notice(text)
    qtbot.waitUntil(lambda: panel.notice_label.width() > 0)
    shown = panel.shown_notice()
    assert shown.endswith("…") and text.startswith(shown[:-1])
    assert panel.notice() == panel.notice_label.toolTip() == text
    panel.show_notice("Copied Pricing.")
    assert panel.shown_notice() == "Copied Pricing."
