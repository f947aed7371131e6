"""The Outdated view, the banner and open-latest in the app, against a real hub on 127.0.0.1 with
versions published over time and an injected clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from freshness_ui_support import (
    Clock,
    Laptop,
    RunningHub,
    connect,
    laptop_gui,
    publish,
    use_tmp_trash,
)
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from ui_support import RecordingLauncher

from fieldkit.core import freshness
from fieldkit.core.catalog import MirrorEntry
from fieldkit.core.freshness import utc_now
from fieldkit.core.source import HubSource
from fieldkit.core.stale import StaleCopies
from fieldkit.core.sync import SyncControl, Syncer
from fieldkit.ui import appearance
from fieldkit.ui.app import Gui
from fieldkit.ui.freshness_banner import banner_text
from fieldkit.ui.freshness_ui import VIEW_TITLE
from fieldkit.ui.outdated_model import COPY_STATE, DOC_DETAILS, STATE_ROLE
from fieldkit.ui.outdated_view import OutdatedView
from fieldkit.ui.results_model import ROW_ROLE

V1 = b"price list, version one"
V2 = b"price list, version two: more rows"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    root = tmp_path / "approved"
    root.mkdir()
    running = RunningHub(root, tmp_path / "hub.sqlite3")
    yield running
    running.stop()


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Laptop]:
    opened = Laptop(tmp_path / "home")
    yield opened
    opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(utc_now())


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with use_tmp_trash(tmp_path, monkeypatch) as folder:
        yield folder


def outdated_view(gui: Gui) -> OutdatedView:
    tabs = gui.window.tabs
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    view = tabs.widget(titles.index(VIEW_TITLE))
    assert isinstance(view, OutdatedView)
    return view


def doc_id(laptop: Laptop, rel: str) -> str:
    with laptop.sessions.begin() as session:
        found = session.scalar(select(MirrorEntry.doc_id).where(MirrorEntry.rel_path == rel))
    assert found is not None
    return found


def learn_manifest(laptop: Laptop, hub: RunningHub) -> None:
    """The laptop hears of the hub's new versions without downloading them."""
    control = SyncControl()
    control.cancel()
    with HubSource(hub.url, hub.token) as source:
        Syncer(laptop.home, laptop.sessions, source, control=control).run()


def select_row(view: OutdatedView, which: str, row: int) -> None:
    table = {"documents": view.documents_view, "copies": view.copies_view,
             "news": view.news_view}[which]
    table.setCurrentIndex(table.model().index(row, 0))


@pytest.fixture
def every_state(hub: RunningHub, laptop: Laptop, clock: Clock, downloads: Path) -> RunningHub:
    """One document in each state on the laptop, and an old copy in Downloads."""
    today = clock.now.date()
    publish(hub, "Pricing.xlsx", V1, 'title = "Pricing"\n')
    publish(hub, "Promo.pdf", b"promo, expired", f"expires = {today - timedelta(days=1)}\n")
    publish(hub, "Offer.pdf", b"offer, expiring", f"expires = {today + timedelta(days=5)}\n")
    publish(hub, "Retired.docx", b"retired text")
    publish(hub, "Old case.docx", b"old case text")
    publish(hub, "New case.docx", b"new case text")
    publish(hub, "Notes.txt", b"approved notes")
    publish(hub, "Current.txt", b"nothing to see")
    laptop.sync(hub)
    publish(hub, "Pricing.xlsx", V2, 'title = "Pricing"\nnotes = "More rows"\n')
    publish(hub, "Retired.docx", b"retired text", 'withdrawn = "Wrong numbers"\n')
    publish(hub, "Old case.docx", b"old case text", 'superseded_by = "New case.docx"\n')
    laptop.sync(hub, metered=True)  # hears of Pricing v2, does not download it
    laptop.mirror_path("Notes.txt").write_bytes(b"my own notes, typed over the approved ones")
    (downloads / "Pricing from mail.xlsx").write_bytes(V1)
    return hub


def test_every_state_is_listed_with_its_reason_and_the_banner_counts(
    qtbot: QtBot,
    every_state: RunningHub,
    laptop: Laptop,
    clock: Clock,
    downloads: Path,
    launcher: RecordingLauncher,
    qsettings: QSettings,
    qtmodeltester: ModelTester,
) -> None:
    tokens = connect(laptop, every_state)
    with laptop_gui(qtbot, laptop, tokens, launcher, qsettings, clock) as gui:
        window = gui.window
        view = outdated_view(gui)
        qtbot.waitUntil(lambda: view.documents_model.rowCount() == 6)
        states = {d.title: d.state for d in view.documents_model.rows()}
        assert states == {
            "Pricing": freshness.OUTDATED,
            "Promo": freshness.EXPIRED,
            "Offer": freshness.EXPIRING,
            "Retired": freshness.WITHDRAWN,
            "Old case": freshness.SUPERSEDED,
            "Notes": freshness.MODIFIED,
        }
        qtmodeltester.check(view.documents_model)
        pricing = next(d for d in view.documents_model.rows() if d.title == "Pricing")
        row = view.documents_model.rows().index(pricing)
        details = view.documents_model.index(row, DOC_DETAILS).data()
        assert re.fullmatch(
            r"You have v1 \(\d+ \w{3}\), "
            r"latest v2 \(\d+ \w{3}\): More rows",
            details,
        ), details
        assert view.documents_model.index(row, 0).data(STATE_ROLE) == freshness.OUTDATED
        tint = view.documents_model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole)
        assert tint is not None and tint.alpha() > 0
        assert view.checked_label.text() == "Checked just now"

        select_row(view, "documents", row)
        assert "Pricing" in view.document_details.text()
        assert "More rows" in view.document_details.text()
        assert view.document_details.text().count("v2") == 1  # said once, not twice
        assert view.open_document_button.text() == "Open latest"
        superseded = [d.title for d in view.documents_model.rows()].index("Old case")
        select_row(view, "documents", superseded)
        assert view.open_document_button.text() == "Open replacement"
        assert "Superseded by “New case”." in view.document_details.text()

        # Downloads is watched from Settings; the scan finds the old copy.
        window.settings_action.trigger()
        qtbot.waitUntil(lambda: gui.freshness is not None
                        and gui.freshness.folders_group() is not None)
        assert gui.freshness is not None
        group = gui.freshness.folders_group()
        assert group is not None
        group.add(downloads)
        dialog = window.settings_dialog()
        assert dialog is not None
        dialog.accept()
        qtbot.waitUntil(lambda: view.copies_model.rowCount() == 1, timeout=10_000)
        qtmodeltester.check(view.copies_model)
        copy = view.copies_model.row(0)
        assert copy.reason == "Old copy of Pricing (v1) in Downloads — latest is v2."
        assert copy.path == downloads / "Pricing from mail.xlsx"
        assert view.copies_model.index(0, COPY_STATE).data() == "Old version"

        banner = gui.freshness.banner
        qtbot.waitUntil(lambda: "old copy" in banner.text())
        assert banner.text() == (
            "1 document withdrawn · 1 superseded · 1 expired · 1 changed locally · "
            "1 outdated · 1 expiring soon · 1 old copy in Downloads"
        )
        assert banner.isVisible()
        assert window.tabs.currentWidget() is window.search_view
        banner.review_button.click()
        assert window.tabs.currentWidget() is view

        clock.now += timedelta(hours=3, minutes=5)
        view.rescan_button.click()
        qtbot.waitUntil(lambda: view.checked_label.text() == "Checked 3 h ago")

        # Warning 3 days before expiry instead of 14: the offer is no longer "expiring soon".
        window.settings_action.trigger()
        qtbot.waitUntil(lambda: window.settings_dialog() is not None)
        dialog = window.settings_dialog()
        assert dialog is not None
        dialog.expiring.setValue(3)
        dialog.accept()
        qtbot.waitUntil(lambda: view.documents_model.rowCount() == 5)
        assert "Offer" not in {d.title for d in view.documents_model.rows()}
        assert "expiring" not in banner.text()


def test_replace_with_latest_puts_the_old_copy_in_the_trash(
    qtbot: QtBot,
    hub: RunningHub,
    laptop: Laptop,
    clock: Clock,
    downloads: Path,
    trash: Path,
    launcher: RecordingLauncher,
    qsettings: QSettings,
) -> None:
    publish(hub, "Pricing/Pricing.xlsx", V1, 'title = "Pricing"\n')
    laptop.sync(hub)
    publish(hub, "Pricing/Pricing.xlsx", V2, 'title = "Pricing"\nnotes = "More rows"\n')
    laptop.sync(hub)
    old = downloads / "Pricing.xlsx"
    old.write_bytes(V1)
    StaleCopies(laptop.home, laptop.sessions, expiring_days=14).add_folder(downloads)
    tokens = connect(laptop, hub)
    with laptop_gui(qtbot, laptop, tokens, launcher, qsettings, clock) as gui:
        assert gui.freshness is not None
        view = outdated_view(gui)
        # Found by the scan at start.
        qtbot.waitUntil(lambda: view.copies_model.rowCount() == 1)
        assert view.documents_model.rowCount() == 0
        assert view.documents_empty.isVisibleTo(view)
        banner = gui.freshness.banner
        qtbot.waitUntil(lambda: banner.text() == "1 old copy in Downloads")

        select_row(view, "copies", 0)
        assert view.replace_copy_button.isEnabled()
        view.show_copy_button.click()
        assert launcher.shown == [old]
        with qtbot.waitSignal(gui.freshness.feature.copy_replaced) as replaced:
            view.replace_copy_button.click()
        assert replaced.args[0].old_path == old
        assert old.read_bytes() == V2
        assert (trash / "files" / "Pricing.xlsx").read_bytes() == V1
        qtbot.waitUntil(lambda: view.copies_model.rowCount() == 0)
        qtbot.waitUntil(lambda: banner.isHidden())
        assert "the old copy is in the trash" in gui.window.status_panel.notice()


def test_a_copy_dropped_while_the_app_runs_is_found(
    qtbot: QtBot,
    hub: RunningHub,
    laptop: Laptop,
    clock: Clock,
    downloads: Path,
    launcher: RecordingLauncher,
    qsettings: QSettings,
) -> None:
    publish(hub, "Pricing.xlsx", V1, 'title = "Pricing"\n')
    laptop.sync(hub)
    publish(hub, "Pricing.xlsx", V2, 'title = "Pricing"\n')
    laptop.sync(hub)
    tokens = connect(laptop, hub)
    with laptop_gui(qtbot, laptop, tokens, launcher, qsettings, clock, watch=True) as gui:
        assert gui.freshness is not None
        view = outdated_view(gui)
        window = gui.window
        window.settings_action.trigger()
        qtbot.waitUntil(lambda: gui.freshness is not None
                        and gui.freshness.folders_group() is not None)
        group = gui.freshness.folders_group()
        assert group is not None
        group.add(downloads)
        dialog = window.settings_dialog()
        assert dialog is not None
        dialog.accept()
        qtbot.waitUntil(lambda: view.copies_empty.text() == "No old copies in Downloads.")
        (downloads / "Pricing (1).xlsx").write_bytes(V1)
        qtbot.waitUntil(lambda: view.copies_model.rowCount() == 1, timeout=20_000)
        assert gui.freshness.banner.text() == "1 old copy in Downloads"


def test_opening_a_result_fetches_the_newest_version_first(
    qtbot: QtBot,
    hub: RunningHub,
    laptop: Laptop,
    clock: Clock,
    launcher: RecordingLauncher,
    qsettings: QSettings,
) -> None:
    publish(hub, "Decks/Deck.pptx", b"deck, version one", 'title = "Overview"\n')
    laptop.sync(hub)
    laptop.client.library.index()
    publish(hub, "Decks/Deck.pptx", b"deck, version two", 'title = "Overview"\n')
    tokens = connect(laptop, hub)
    with laptop_gui(qtbot, laptop, tokens, launcher, qsettings, clock) as gui:
        search = gui.window.search_view
        qtbot.waitUntil(lambda: search.proxy.rowCount() == 1)
        hit = search.proxy.index(0, 0).data(ROW_ROLE)
        assert hit.title == "Overview" and not hit.personal
        panel = gui.window.status_panel
        with qtbot.waitSignal(search.document_opened):
            search.results_view.setCurrentIndex(search.proxy.index(0, 0))
            search.open_action.trigger()
            assert panel.activity_words().startswith("Opening “Overview”: checking")
        deck = laptop.mirror_path("Decks/Deck.pptx")
        assert launcher.opened == [deck]
        assert deck.read_bytes() == b"deck, version two"
        assert panel.notice() == "Opened “Overview”: fetched v2 first."
        assert not panel.activity_words().startswith("Opening")


def test_offline_the_local_copy_opens_with_a_warning(
    qtbot: QtBot,
    hub: RunningHub,
    laptop: Laptop,
    clock: Clock,
    launcher: RecordingLauncher,
    qsettings: QSettings,
) -> None:
    publish(hub, "Decks/Deck.pptx", b"deck, version one", 'title = "Overview"\n')
    laptop.sync(hub)
    tokens = connect(laptop, hub)
    publish(hub, "Decks/Deck.pptx", b"deck, version two", 'title = "Overview"\nnotes = "New"\n')
    publish(hub, "Prices.xlsx", b"never downloaded")
    learn_manifest(laptop, hub)
    prices = doc_id(laptop, "Prices.xlsx")
    hub.stop()
    with laptop_gui(qtbot, laptop, tokens, launcher, qsettings, clock) as gui:
        view = outdated_view(gui)
        qtbot.waitUntil(lambda: view.documents_model.rowCount() == 1)
        select_row(view, "documents", 0)
        assert gui.freshness is not None
        with qtbot.waitSignal(gui.freshness.opener.opened) as opened:
            view.open_document_button.click()
        target = opened.args[0]
        assert (target.version, target.latest_version, target.fetched) == (1, 2, False)
        assert launcher.opened == [laptop.mirror_path("Decks/Deck.pptx")]
        notice = gui.window.status_panel.notice()
        assert notice.startswith(
            "⚠ Opening the copy on this laptop: the hub can't be reached right now. "
            "“Overview”: You have v1 ("
        )
        assert notice.endswith(": New")

        with qtbot.waitSignal(gui.freshness.opener.failed) as failed:
            gui.freshness.opener.open(prices, "Prices")
        assert failed.args[0] == (
            "“Prices” is not on this laptop yet and the hub can't be reached. "
            "Connect and try again."
        )
        assert launcher.opened == [laptop.mirror_path("Decks/Deck.pptx")]
        assert not gui.window.status_panel.activity_words().startswith("Opening")


def test_whats_new_names_the_documents_and_marks_them_seen(
    qtbot: QtBot,
    hub: RunningHub,
    laptop: Laptop,
    clock: Clock,
    launcher: RecordingLauncher,
    qsettings: QSettings,
    qtmodeltester: ModelTester,
) -> None:
    publish(hub, "Pricing.xlsx", V1, 'title = "Pricing"\n')
    publish(hub, "Deck.pptx", b"the deck", 'title = "Overview"\n')
    tokens = connect(laptop, hub)
    with laptop_gui(qtbot, laptop, tokens, launcher, qsettings, clock) as gui:
        window = gui.window
        view = outdated_view(gui)
        qtbot.waitUntil(window.sync_action.isEnabled)
        with qtbot.waitSignal(window.tray.notified, timeout=15_000) as notified:
            window.sync_action.trigger()
        title, text = notified.args
        assert title == "New content"
        assert text.startswith("2 new or updated documents: ")
        assert {"Pricing (v1)", "Overview (v1)"} <= set(text.split(": ", 1)[1].split(", "))
        with qtbot.waitSignal(window.notification_opened) as shown:
            window.tray.icon.messageClicked.emit()  # the desktop's report of a click on it
        assert shown.args == ["Outdated", ""] and window.tabs.currentWidget() is view
        qtbot.waitUntil(lambda: view.news_model.rowCount() == 2)
        qtmodeltester.check(view.news_model)
        assert view.news_heading.text() == "What's new (2)"
        assert {n.title for n in view.news_model.rows()} == {"Pricing", "Overview"}

        select_row(view, "news", 0)
        assert view.open_news_button.isEnabled()
        view.mark_seen_button.click()
        qtbot.waitUntil(lambda: view.news_model.rowCount() == 0)
        assert view.news_empty.isVisibleTo(view)

        # An update is announced by name, once.
        publish(hub, "Pricing.xlsx", V2, 'title = "Pricing"\n')
        qtbot.waitUntil(window.sync_action.isEnabled)
        with qtbot.waitSignal(window.tray.notified, timeout=15_000) as again:
            window.sync_action.trigger()
        assert again.args[1] == "1 new or updated document: Pricing (v2)"
        qtbot.waitUntil(lambda: view.news_model.rowCount() == 1)
        assert view.news_model.index(0, 1).data() == "v1 → v2"


def test_banner_words_and_tints() -> None:
    assert banner_text({}, {}) == ""
    assert banner_text({freshness.OUTDATED: 2, freshness.EXPIRED: 1}, {}) == (
        "1 document expired · 2 outdated"
    )
    assert banner_text({freshness.OUTDATED: 2}, {}) == "2 documents outdated"
    assert banner_text({}, {Path("/home/rep/Downloads"): 2, Path("/home/rep/Desktop"): 1}) == (
        "1 old copy in Desktop · 2 old copies in Downloads"
    )


def test_rows_are_tinted_on_light_and_dark_palettes(qapp: QGuiApplication) -> None:
    palette = QGuiApplication.palette()
    assert appearance.row_tint("current", palette) is None
    assert appearance.row_tint("personal", palette) is None
    light = appearance.row_tint("expired", palette)
    dark_palette = QGuiApplication.palette()
    dark_palette.setColor(dark_palette.ColorRole.Base, Qt.GlobalColor.black)
    dark = appearance.row_tint("expired", dark_palette)
    assert light is not None and dark is not None
    assert dark.alpha() > light.alpha() > 0
