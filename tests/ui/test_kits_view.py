"""The Kits tab against a real hub on 127.0.0.1: kits made and filled from results (the Add to
kit action and a drop of dragged results), readiness that flips when a kit document is updated
on the hub (with a notification, and Update now syncing it back), the day-before check, and
exports as a folder and a zip."""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QDate, QMimeData, QPointF, QSettings, Qt, QTime
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher

from fieldkit.core.credentials import TokenStore
from fieldkit.core.kits import STAMP_NAME, Kits
from fieldkit.core.source import HubSource
from fieldkit.core.sync import SyncControl, Syncer, SyncResult, connect_hub
from fieldkit.ui import appearance
from fieldkit.ui.app import Gui, build_gui
from fieldkit.ui.kits_controller import KitForm, KitsController, KitsSnapshot
from fieldkit.ui.kits_model import KitItemsModel, KitsModel
from fieldkit.ui.kits_view import KitDialog, KitsFeature, KitsView
from fieldkit.ui.results_model import ROW_ROLE
from fieldkit.ui.tasks import TaskRunner

# The hub and laptop of the core's kit tests (tests/core/freshness_support.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from freshness_support import Clock, Laptop, RunningHub, at, publish

# Monday 30 November 2026; the meeting is on Tuesday at 10:00.
MONDAY = at("2026-11-30T09:00:00")
DECK = "Product overview deck: the Halyard platform for pipelines.\n"
PRICES = "Price list: Halyard enterprise tier, per pipeline.\n"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    root = tmp_path / "approved"
    root.mkdir()
    running = RunningHub(root, tmp_path / "hub.sqlite3")
    publish(running, "Decks/Overview.txt", DECK, 'title = "Product overview"\n')
    publish(running, "Pricing/Prices.txt", PRICES, 'title = "Prices"\n')
    yield running
    running.stop()


@pytest.fixture
def laptop(tmp_path: Path, hub: RunningHub) -> Iterator[Laptop]:
    """Synced once from the hub and indexed, so both documents are search results."""
    opened = Laptop(tmp_path / "home")
    opened.sync(hub)
    report = opened.client.library.index()
    assert report.indexed == 2, report
    yield opened
    opened.close()


@pytest.fixture
def tokens(laptop: Laptop, hub: RunningHub) -> TokenStore:
    store = TokenStore(laptop.home, fail.Keyring())
    connect_hub(laptop.sessions, store, hub.url, hub.token)
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def exports(tmp_path: Path) -> list[Path]:
    """Where the injected file dialog says to export, in order."""
    return [tmp_path / "out" / "ACME folder", tmp_path / "out" / "ACME"]


@pytest.fixture
def launcher() -> RecordingLauncher:
    return RecordingLauncher()


@pytest.fixture
def gui(
    qtbot: QtBot,
    laptop: Laptop,
    tokens: TokenStore,
    clock: Clock,
    exports: list[Path],
    qsettings: QSettings,
    launcher: RecordingLauncher,
) -> Iterator[Gui]:
    gui = build_gui(
        laptop.client,
        launcher=launcher,
        qsettings=qsettings,
        tokens=tokens,
        watch=False,
        clock=clock,
        export_picker=lambda _parent, _name, _as_zip: exports.pop(0),
        scan_delay_ms=0,
    )
    qtbot.addWidget(gui.window)
    gui.window.show()
    with qtbot.waitSignal(feature(gui).controller.kits_read):
        gui.start(sync_now=False)
    yield gui
    gui.close()


def feature(gui: Gui) -> KitsFeature:
    assert gui.kits is not None
    return gui.kits


def fetch_manifest_only(laptop: Laptop, hub: RunningHub) -> SyncResult:
    """A sync stopped before any download: the laptop learns about the new versions only."""
    control = SyncControl()
    control.cancel()
    with HubSource(hub.url, hub.token) as source:
        return Syncer(laptop.home, laptop.sessions, source, control=control).run()


def fill_dialog(dialog: KitDialog, name: str, customer: str, day: QDate, at_time: QTime) -> None:
    dialog.name.setText(name)
    dialog.customer.setText(customer)
    dialog.has_date.setChecked(True)
    dialog.date.setDate(day)
    dialog.has_time.setChecked(True)
    dialog.time.setTime(at_time)


def new_kit_in_view(qtbot: QtBot, kits: KitsFeature) -> None:
    view = kits.view
    view.new_button.click()
    dialog = view.kit_dialog
    assert dialog is not None
    fill_dialog(dialog, "ACME pitch", "ACME", QDate(2026, 12, 1), QTime(10, 0))
    assert dialog.form() == KitForm("ACME pitch", "ACME", "2026-12-01 10:00")
    with qtbot.waitSignal(kits.controller.kit_changed) as changed:
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert changed.args == ["ACME pitch"]


def select_result(qtbot: QtBot, gui: Gui, title: str) -> int:
    view = gui.window.search_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2)
    for row in range(view.proxy.rowCount()):
        index = view.proxy.index(row, 0)
        if index.data(ROW_ROLE).title == title:
            view.results_view.setCurrentIndex(index)
            return row
    raise AssertionError(f"no result {title}")


def drop_on(view: KitsView, row: int, mime: QMimeData) -> bool:
    """Drags ``mime`` onto a row of the kits list and drops it; says whether it was taken."""
    target = view.kits_list
    point = target.visualRect(view.kits_model.index(row, 0)).center()
    copy, left = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, copy, mime, left, none)
    QApplication.sendEvent(target.viewport(), enter)
    move = QDragMoveEvent(point, copy, mime, left, none)
    QApplication.sendEvent(target.viewport(), move)
    if not move.isAccepted():
        return False
    drop = QDropEvent(QPointF(point), copy, mime, left, none)
    QApplication.sendEvent(target.viewport(), drop)
    return drop.isAccepted()


def test_a_kit_is_made_and_filled_from_results_by_action_and_by_drop(
    qtbot: QtBot, gui: Gui
) -> None:
    kits = feature(gui)
    view = kits.view
    assert view.title_label.text() == "No meeting kits yet"
    new_kit_in_view(qtbot, kits)
    assert [k.kit.name for k in view.kits_model.kits()] == ["ACME pitch"]
    assert view.readiness_label.text() == "The kit is empty — add documents to it."

    # Add to kit: on the results' context menu, in the Kits menu, with a shortcut.
    search = gui.window.search_view
    add = kits.add_to_kit
    assert add in search.results_view.actions()
    assert add in kits.menu.actions()
    assert add.shortcut() == QKeySequence("Ctrl+Shift+K")
    select_result(qtbot, gui, "Product overview")
    add.trigger()  # as the shortcut does: the kits menu opens at the result
    assert add.kits_menu.isVisible()
    labels = [a.text() for a in add.kits_menu.actions() if not a.isSeparator()]
    assert labels == ["ACME pitch  (ACME)", "New kit…"]
    with qtbot.waitSignal(kits.controller.kits_read):
        add.kits_menu.actions()[0].trigger()
    add.kits_menu.hide()
    assert view.current() is not None
    assert view.items_model.items()[0].title == "Product overview"

    # Drag the other result out of the results list and drop it on the kit.
    row = select_result(qtbot, gui, "Prices")
    mime = search.proxy.mimeData([search.proxy.index(row, 0)])
    assert gui.window.tabs.tabBar().changeCurrentOnDrag()  # the drag opens the Kits tab
    with qtbot.waitSignal(kits.controller.kits_read):
        assert drop_on(view, 0, mime)
    assert [i.title for i in view.items_model.items()] == ["Product overview", "Prices"]
    assert view.readiness_label.text() == "Ready for Tue 10:00 ACME"
    assert not drop_on(view, 0, QMimeData())  # not files: refused

    # A result is added once; "New kit…" makes a kit with the selection in it.
    with qtbot.waitSignal(kits.controller.kits_read):
        add.kits_menu.actions()[0].trigger()
    assert len(view.items_model.items()) == 2
    add.kits_menu.actions()[-1].trigger()
    dialog = view.kit_dialog
    assert dialog is not None
    dialog.name.setText("Price review")
    with qtbot.waitSignal(kits.controller.kit_changed):
        dialog.accept()
    assert view.current() is not None and view.current().kit.doc_ids == (
        view.items_model.items()[0].doc_id,
    )
    assert [i.title for i in view.items_model.items()] == ["Prices"]


def test_rename_remove_and_delete_with_confirmation(qtbot: QtBot, gui: Gui) -> None:
    kits = feature(gui)
    view = kits.view
    controller = kits.controller
    with qtbot.waitSignal(controller.kit_changed):
        controller.create(
            KitForm("ACME pitch", "", ""), ["Decks/Overview.txt", "Pricing/Prices.txt"]
        )
    assert view.subtitle_label.text().startswith("no meeting date  ·  2 documents")

    view.edit_button.click()
    dialog = view.kit_dialog
    assert dialog is not None and dialog.form() == KitForm("ACME pitch", "", "")
    fill_dialog(dialog, "ACME renewal", "ACME Corp", QDate(2026, 12, 3), QTime(14, 30))
    dialog.has_time.setChecked(False)
    with qtbot.waitSignal(controller.kit_changed):
        dialog.accept()
    kit = view.current()
    assert kit is not None
    assert (kit.kit.name, kit.kit.customer, kit.kit.meeting_text(MONDAY.replace(tzinfo=None))) == (
        "ACME renewal", "ACME Corp", "Thu",
    )

    assert not view.remove_button.isEnabled()
    assert view.remove_action in view.items_view.actions()  # its context menu, and Delete
    assert view.remove_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)
    assert {view.edit_action, view.delete_action} <= set(view.kits_list.actions())
    view.items_view.setCurrentIndex(view.items_model.index(0, 0))
    assert view.remove_button.isEnabled() and view.remove_action.isEnabled()
    with qtbot.waitSignal(controller.kits_read):
        view.remove_action.trigger()
    assert [i.title for i in view.items_model.items()] == ["Prices"]

    view.delete_button.click()
    box = view.confirm_box
    assert box is not None and box.text() == "Delete the kit “ACME renewal”?"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(view.kits_model.kits()) == 1
    view.delete_button.click()
    box = view.confirm_box
    assert box is not None
    delete = next(b for b in box.findChildren(QPushButton) if b.text() == "Delete kit")
    with qtbot.waitSignal(controller.kits_read):
        delete.click()
    assert view.kits_model.kits() == ()
    assert view.title_label.text() == "No meeting kits yet"


def test_readiness_flips_when_a_kit_document_is_updated_on_the_hub(
    qtbot: QtBot, gui: Gui, laptop: Laptop, hub: RunningHub, tmp_path: Path
) -> None:
    kits = feature(gui)
    view = kits.view
    controller = kits.controller
    with qtbot.waitSignal(controller.kit_changed):
        controller.create(
            KitForm("ACME", "ACME", "2026-12-01 10:00"),
            ["Decks/Overview.txt", "Pricing/Prices.txt"],
        )
    assert view.readiness_label.text() == "Ready for Tue 10:00 ACME"
    assert not view.update_button.isVisibleTo(view)

    publish(hub, "Decks/Overview.txt", "Product overview deck, v2: the new tier.\n",
            'title = "Product overview"\nnotes = "New tier"\n')
    result = fetch_manifest_only(laptop, hub)
    warned: list[tuple[str, str]] = []
    controller.kit_warned.connect(lambda title, text, _kit: warned.append((title, text)))
    with qtbot.waitSignal(gui.window.tray.notified) as notified:
        controller.check_after_sync(result)  # what the app does when a sync finishes
    assert notified.args == ["ACME kit", "1 item outdated — update now"]
    assert view.readiness_label.text() == "1 item outdated — update now"
    assert view.update_button.isVisibleTo(view)
    deck = view.items_model.items()[0]
    assert (deck.state, deck.local_version, deck.latest_version) == ("outdated", 1, 2)
    assert view.items_model.index(0, 2).data() == "v1 → v2"
    gui.window.tabs.setCurrentWidget(view)
    assert gui.window.grab().save(str(tmp_path / "kits-window.png"))

    # Not ready: the export asks first, then stamps the outdated copy as such.
    view.export_folder_button.click()
    box = view.confirm_box
    assert box is not None and box.text() == "“ACME” is not ready: 1 item outdated — update now."
    anyway = next(b for b in box.findChildren(QPushButton) if b.text() == "Export anyway")
    with qtbot.waitSignal(controller.kit_exported) as exported:
        anyway.click()
    folder = exported.args[0].path
    assert sorted(p.name for p in folder.iterdir()) == ["Overview.txt", "Prices.txt", STAMP_NAME]
    assert "Product overview\tv1\t" in (folder / STAMP_NAME).read_text(encoding="utf-8")

    # Update now: a real sync brings v2 and the kit is ready again; no second warning.
    with qtbot.waitSignal(gui.sync.sync_finished, timeout=20_000):
        view.update_button.click()
    qtbot.waitUntil(lambda: view.readiness_label.text() == "Ready for Tue 10:00 ACME")
    assert view.items_model.items()[0].local_version == 2
    assert warned == [("ACME kit", "1 item outdated — update now")]

    with qtbot.waitSignal(controller.kit_exported) as exported:
        view.export_zip_button.click()
    assert exported.args[0].path == tmp_path / "out" / "ACME.zip"
    with zipfile.ZipFile(exported.args[0].path) as archive:
        assert sorted(archive.namelist()) == ["Overview.txt", "Prices.txt", STAMP_NAME]
        assert archive.read("Overview.txt").decode().endswith("the new tier.\n")
        assert "Status: Ready for Tue 10:00 ACME" in archive.read(STAMP_NAME).decode()


def make_acme_kit(qtbot: QtBot, kits: KitsFeature) -> None:
    with qtbot.waitSignal(kits.controller.kit_changed):
        kits.controller.create(
            KitForm("ACME", "ACME", "2026-12-01 10:00"),
            ["Decks/Overview.txt", "Pricing/Prices.txt"],
        )


def test_kit_documents_open_at_their_latest_version_and_show_in_their_folder(
    qtbot: QtBot, gui: Gui, laptop: Laptop, hub: RunningHub, launcher: RecordingLauncher
) -> None:
    kits = feature(gui)
    view = kits.view
    make_acme_kit(qtbot, kits)
    assert not view.open_button.isEnabled() and not view.show_in_folder_button.isEnabled()
    assert {view.open_action, view.show_in_folder_action} <= set(view.items_view.actions())
    publish(hub, "Decks/Overview.txt", "Product overview deck, v2: the new tier.\n",
            'title = "Product overview"\n')
    with qtbot.waitSignal(kits.controller.kits_read):
        kits.controller.check_after_sync(fetch_manifest_only(laptop, hub))
    assert view.readiness_label.text() == "1 item outdated — update now"

    # Enter on the outdated deck: the app's open-latest fetches v2 first, then opens it.
    assert gui.freshness is not None
    opener = gui.freshness.opener  # the one opener of the app, not one of the Kits tab's own
    gui.window.tabs.setCurrentWidget(view)
    view.items_view.setFocus()
    view.items_view.setCurrentIndex(view.items_model.index(0, 0))
    assert view.open_button.isEnabled() and view.show_in_folder_button.isEnabled()
    with qtbot.waitSignal(opener.opened, timeout=15_000) as opened:
        qtbot.keyClick(view.items_view, Qt.Key.Key_Return)
    target = opened.args[0]
    assert (target.title, target.version, target.fetched) == ("Product overview", 2, True)
    assert launcher.opened == [target.path]
    assert target.path.read_text(encoding="utf-8").endswith("the new tier.\n")
    # The fetch readied the kit: it is checked again.
    qtbot.waitUntil(lambda: view.readiness_label.text() == "Ready for Tue 10:00 ACME")

    # A double-click on the price list, and the Open latest button: current, opened as is.
    rect = view.items_view.visualRect(view.items_model.index(1, 0))
    left, viewport = Qt.MouseButton.LeftButton, view.items_view.viewport()
    with qtbot.waitSignal(opener.opened) as opened:
        qtbot.mouseClick(viewport, left, pos=rect.center())  # the double-click's first press
        qtbot.mouseDClick(viewport, left, pos=rect.center())
    prices = view.items_model.items()[1]
    assert (opened.args[0].title, opened.args[0].fetched) == ("Prices", False)
    with qtbot.waitSignal(opener.opened):
        view.open_button.click()
    assert launcher.opened[1:] == [prices.local_path, prices.local_path]

    view.show_in_folder_button.click()
    assert launcher.shown == [prices.local_path]


def test_a_click_on_a_kit_notification_shows_the_kits_tab_with_that_kit_selected(
    qtbot: QtBot, gui: Gui, laptop: Laptop, hub: RunningHub
) -> None:
    kits = feature(gui)
    view = kits.view
    make_acme_kit(qtbot, kits)
    with qtbot.waitSignal(kits.controller.kit_changed):
        kits.controller.create(KitForm("Beta review", "", ""), ["Pricing/Prices.txt"])
    publish(hub, "Decks/Overview.txt", "Product overview deck, v2.\n",
            'title = "Product overview"\n')
    window = gui.window
    with qtbot.waitSignal(window.tray.notified) as notified:
        kits.controller.check_after_sync(fetch_manifest_only(laptop, hub))
    assert notified.args == ["ACME kit", "1 item outdated — update now"]
    window.tabs.setCurrentWidget(window.search_view)
    view.select("Beta review")
    with qtbot.waitSignal(window.notification_opened) as shown:
        window.tray.icon.messageClicked.emit()  # what the desktop reports for a click on it
    assert shown.args == ["Kits", "ACME"]
    assert window.tabs.currentWidget() is view
    current = view.current()
    assert current is not None and current.kit.name == "ACME"
    assert view.readiness_label.text() == "1 item outdated — update now"


def banner_background(view: KitsView) -> str:
    image = view.banner.grab().toImage()
    return image.pixelColor(image.width() // 2, 2).name()


def test_the_readiness_banner_takes_its_colours_from_the_palette(
    qtbot: QtBot, gui: Gui, laptop: Laptop, hub: RunningHub, tmp_path: Path
) -> None:
    kits = feature(gui)
    view = kits.view
    make_acme_kit(qtbot, kits)
    gui.window.tabs.setCurrentWidget(view)
    light = QApplication.palette()
    ready = appearance.banner_colours("current", light)
    assert banner_background(view) == ready[0].name()
    assert gui.window.grab().save(str(tmp_path / "kits-light.png"))

    dark = dark_palette()
    QApplication.setPalette(dark)
    try:
        ready_dark = appearance.banner_colours("current", dark)
        qtbot.waitUntil(lambda: appearance.is_dark(view.palette()))  # (delivered as an event)
        assert banner_background(view) == ready_dark[0].name()
        assert ready_dark[0].lightness() < 80 < ready_dark[1].lightness()  # light text on dark
        publish(hub, "Decks/Overview.txt", "Product overview deck, v2.\n",
                'title = "Product overview"\n')
        with qtbot.waitSignal(kits.controller.kits_read):
            kits.controller.check_after_sync(fetch_manifest_only(laptop, hub))
        warn_dark = appearance.banner_colours("expired", dark)
        assert banner_background(view) == warn_dark[0].name() != ready_dark[0].name()
        assert gui.window.grab().save(str(tmp_path / "kits-dark.png"))
    finally:
        QApplication.setPalette(light)
    qtbot.waitUntil(lambda: not appearance.is_dark(view.palette()))
    assert banner_background(view) == appearance.banner_colours("expired", light)[0].name()


def dark_palette() -> QPalette:
    palette = QPalette(QApplication.palette())
    for role, colour in {
        QPalette.ColorRole.Window: "#1F2329",
        QPalette.ColorRole.WindowText: "#E2E8F0",
        QPalette.ColorRole.Base: "#171A1F",
        QPalette.ColorRole.AlternateBase: "#22262D",
        QPalette.ColorRole.Text: "#E2E8F0",
        QPalette.ColorRole.Button: "#2A2F37",
        QPalette.ColorRole.ButtonText: "#E2E8F0",
        QPalette.ColorRole.PlaceholderText: "#8A94A3",
    }.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5F6B7A"))
    return palette


def test_the_day_before_a_meeting_a_kit_not_ready_is_reported_once(
    qtbot: QtBot, laptop: Laptop, hub: RunningHub
) -> None:
    clock = Clock(at("2026-11-28T09:00:00"))  # Saturday
    kits = Kits(laptop.home, laptop.sessions, expiring_days=14, clock=clock)
    kits.create("ACME", meeting="2026-12-01 10:00")
    kits.add("ACME", ["Pricing/Prices.txt"])
    publish(hub, "Pricing/Prices.txt", "Price list v2\n")
    fetch_manifest_only(laptop, hub)
    runner = TaskRunner(threads=1)
    controller = KitsController(lambda: kits, runner, clock=clock, due_check_ms=20)
    warned: list[tuple[str, str]] = []
    controller.kit_warned.connect(lambda title, text, _kit: warned.append((title, text)))
    try:
        with qtbot.waitSignal(controller.kits_read):
            controller.start()
        assert warned == []  # not ready, but the meeting is days away
        clock.now = datetime(2026, 11, 30, 11, 0).astimezone()  # Monday 11:00, local time
        with qtbot.waitSignal(controller.kit_warned) as signal:
            pass  # the timer checks again
        assert signal.args == ["ACME kit", "1 item outdated — update now", "ACME"]
        snapshots: list[KitsSnapshot] = []
        controller.kits_read.connect(snapshots.append)
        qtbot.waitUntil(lambda: len(snapshots) >= 3)
        assert snapshots[-1].due == frozenset({"ACME"})
        assert warned == [("ACME kit", "1 item outdated — update now")]
    finally:
        controller.stop()
        runner.shutdown()


def test_the_models_pass_the_model_tester(
    qtmodeltester: object, laptop: Laptop, clock: Clock
) -> None:
    kits = Kits(laptop.home, laptop.sessions, expiring_days=14, clock=clock)
    kits.create("ACME", customer="ACME", meeting="2026-12-01 10:00")
    kits.create("Undated")
    kits.add("ACME", ["Decks/Overview.txt", "Pricing/Prices.txt"])
    readiness = kits.check_all()
    model = KitsModel()
    model.set_kits(readiness, MONDAY.replace(tzinfo=None))
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert [model.index(r, 3).data() for r in range(2)] == [
        "Ready for Tue 10:00 ACME", "The kit is empty — add documents to it.",
    ]
    items = KitItemsModel()
    items.set_items(readiness[0].items)
    qtmodeltester.check(items)  # type: ignore[attr-defined]
    assert [items.index(0, c).data() for c in range(4)] == [
        "Product overview", "Current", "v1", "Ready",
    ]
