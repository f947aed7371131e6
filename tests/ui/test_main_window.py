"""The window over a real client: a library of real files indexed under tmp_path."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher

from fieldkit.core.client import Client, open_client
from fieldkit.core.home import HomePaths
from fieldkit.core.settings import Settings
from fieldkit.ui.app import Gui, build_gui
from fieldkit.ui.diagnostics import DiagnosticsDialog
from fieldkit.ui.main_window import GEOMETRY_KEY
from fieldkit.ui.preview import render_pdf_page
from fieldkit.ui.results_model import ROW_ROLE
from fieldkit.ui.search_view import SearchView


def search(qtbot: QtBot, view: SearchView, text: str) -> None:
    view.search_field.clear()
    qtbot.keyClicks(view.search_field, text)
    qtbot.waitUntil(lambda: _shown_query(view) == text)


def _shown_query(view: SearchView) -> str | None:
    results = view.shown_results()
    return results.query if results is not None else None


def titles(view: SearchView) -> list[str]:
    return [view.proxy.index(r, 0).data(ROW_ROLE).title for r in range(view.proxy.rowCount())]


def test_opening_lists_the_library_newest_first(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    qtbot.waitUntil(lambda: _shown_query(view) == "")
    assert sorted(titles(view)) == ["Halyard vs Cobaltline", "Pricing notes", "Sentinel data sheet"]
    assert "3 documents" in view.summary.text()
    qtbot.waitUntil(lambda: "Search 3 documents" in view.search_field.placeholderText())


def test_results_follow_typing(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    search(qtbot, view, "anomaly")
    assert titles(view) == ["Sentinel data sheet"]
    top = view.proxy.index(0, 0).data(ROW_ROLE)
    assert (top.location_kind, top.location_number) == ("page", 2)
    assert "<b>anomalies</b>" in top.snippet
    search(qtbot, view, "pricing")
    assert set(titles(view)) == {"Pricing notes", "Halyard vs Cobaltline"}
    assert "2 results" in view.summary.text()


def test_a_burst_of_keystrokes_ends_on_the_last_query(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    qtbot.waitUntil(lambda: _shown_query(view) == "")
    before = view.searches_issued
    search(qtbot, view, "renewal discount")
    assert titles(view) == ["Pricing notes"]
    assert not view.searching()  # nothing stale still on its way
    # 16 keystrokes in a burst: the first searches at once, the rest are coalesced.
    assert view.searches_issued - before < len("renewal discount") // 2


def test_no_results_offers_the_correction(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    search(qtbot, view, "zzzqqq")
    assert view.results_stack.currentWidget() is view.empty_label
    assert "No results" in view.empty_label.text()
    assert not view.facets_view.isVisibleTo(view)  # no empty pane of filters beside it
    search(qtbot, view, "renewal discount")
    assert view.facets_view.isVisibleTo(view)


def test_enter_opens_the_top_hit_and_remembers_the_query(
    qtbot: QtBot, gui: Gui, launcher: RecordingLauncher, library_folder: Path
) -> None:
    view = gui.window.search_view
    view.search_field.clear()
    with qtbot.waitSignal(view.document_opened):
        qtbot.keyClicks(view.search_field, "anomaly")
        qtbot.keyClick(view.search_field, Qt.Key.Key_Return)
    assert launcher.opened == [library_folder / "Sentinel data sheet.pdf"]
    assert gui.window.history.queries()[0] == "anomaly"

    # Alt+Down offers the recent searches; picking one searches for it.
    view.search_field.clear()
    qtbot.keyClick(view.search_field, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    popup = view.search_field.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    assert popup.model().index(0, 0).data() == "anomaly"
    popup.hide()


def test_actions_open_show_and_copy_the_selected_file(
    qtbot: QtBot, gui: Gui, launcher: RecordingLauncher, library_folder: Path
) -> None:
    view = gui.window.search_view
    search(qtbot, view, "cobaltline")
    expected = library_folder / "Battlecards" / "Cobaltline.md"
    assert view.current_hit() is not None
    view.open_action.trigger()
    view.show_in_folder_action.trigger()
    view.copy_action.trigger()
    assert launcher.opened == [expected]
    assert launcher.shown == [expected]
    mime = QGuiApplication.clipboard().mimeData()
    assert [url.toLocalFile() for url in mime.urls()] == [str(expected)]


def test_activating_a_row_opens_it(
    qtbot: QtBot, gui: Gui, launcher: RecordingLauncher, library_folder: Path
) -> None:
    view = gui.window.search_view
    search(qtbot, view, "pricing")
    row = next(r for r in range(view.proxy.rowCount()) if titles(view)[r] == "Pricing notes")
    index = view.proxy.index(row, 0)
    view.results_view.setFocus()
    view.results_view.setCurrentIndex(index)
    with qtbot.waitSignal(view.document_opened):
        qtbot.keyClick(view.results_view, Qt.Key.Key_Return)
    assert launcher.opened == [library_folder / "Pricing notes.txt"]


def test_pdf_preview_renders_the_hit_page(qtbot: QtBot, gui: Gui, library_folder: Path) -> None:
    view = gui.window.search_view
    preview = view.preview
    search(qtbot, view, "anomaly")
    qtbot.waitUntil(lambda: preview.page() == 2)
    image = preview.image()
    assert not image.isNull()
    assert preview.where_label.text() == "Page 2 of 3"
    # The pixels are those of page 2, rendered independently at the same width.
    expected = render_pdf_page(str(library_folder / "Sentinel data sheet.pdf"), 2, image.width())
    assert image == expected.to_image(image.devicePixelRatio())

    with qtbot.waitSignal(preview.page_shown) as shown:
        preview.next_button.click()
    assert shown.args == [3]
    assert not preview.next_button.isEnabled()


def test_text_preview_marks_the_matches(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    preview = view.preview
    search(qtbot, view, "cobaltline")
    qtbot.waitUntil(lambda: "charges per seat" in preview.text())
    html = preview.text_view.toHtml()
    assert html.count("background-color") >= 3  # the heading and both mentions in the text
    assert preview.title_label.text() == "Halyard vs Cobaltline"


def test_a_facet_click_filters_the_results(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    qtbot.waitUntil(lambda: _shown_query(view) == "")
    formats = view.facets_model.index(0, 0)
    assert formats.data() == "Format"
    pdf_row = next(
        r
        for r in range(view.facets_model.rowCount(formats))
        if view.facets_model.index(r, 0, formats).data() == "PDF"
    )
    pdf = view.facets_model.index(pdf_row, 0, formats)
    rect = view.facets_view.visualRect(pdf)
    with qtbot.waitSignal(view.results_shown):
        qtbot.mouseClick(view.facets_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert titles(view) == ["Sentinel data sheet"]
    assert view.filters() == {"format": "pdf"}
    assert "filtered by format: pdf" in view.summary.text()
    with qtbot.waitSignal(view.results_shown):
        view.summary.linkActivated.emit("clear-filters:")
    assert len(titles(view)) == 3

    # From the keyboard: Space on a value toggles it.
    formats = view.facets_model.index(0, 0)
    view.facets_view.setFocus()
    view.facets_view.setCurrentIndex(view.facets_model.index(0, 0, formats))
    with qtbot.waitSignal(view.results_shown):
        qtbot.keyClick(view.facets_view, Qt.Key.Key_Space)
    assert len(view.filters()) == 1


def test_sorting_by_title_asks_the_index(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    qtbot.waitUntil(lambda: _shown_query(view) == "")
    with qtbot.waitSignal(view.results_shown):
        view.sort_box.setCurrentIndex(view.sort_box.findData("title"))
    assert titles(view) == ["Halyard vs Cobaltline", "Pricing notes", "Sentinel data sheet"]


def test_keyboard_moves_between_search_and_results(qtbot: QtBot, gui: Gui) -> None:
    window = gui.window
    view = window.search_view
    qtbot.waitUntil(lambda: _shown_query(view) == "")
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None)
    view.results_view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert view.search_field.hasFocus()
    qtbot.keyClick(view.search_field, Qt.Key.Key_Down)
    assert view.results_view.hasFocus()
    assert view.results_view.currentIndex().row() == 0
    qtbot.keyClick(view.results_view, Qt.Key.Key_Up)
    assert view.search_field.hasFocus()
    view.results_view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search_field.hasFocus()


def test_unreadable_files_show_in_the_health_panel(qtbot: QtBot, gui: Gui) -> None:
    window = gui.window
    panel = window.status_panel
    qtbot.waitUntil(lambda: panel.health_button.text() == "⚠ 1 problem")
    panel.health_button.click()
    dialog = window.health_dialog()
    assert dialog is not None and dialog.isVisible()
    problems = dialog.model.problems()
    assert [(p.name, p.reason) for p in problems] == [("Old price list.pdf", "damaged file")]
    assert "could not be read" in dialog.summary.text()
    assert "Up to date" not in panel.health_button.text()


def test_status_bar_says_not_connected_without_a_hub(qtbot: QtBot, gui: Gui) -> None:
    panel = gui.window.status_panel
    qtbot.waitUntil(lambda: "Not connected" in panel.connection_label.text())
    assert not gui.window.sync_action.isEnabled()
    assert not gui.window.pause_action.isEnabled()


def test_every_control_has_an_accessible_name(qtbot: QtBot, gui: Gui) -> None:
    window = gui.window
    # Once the first results are in ("Show more results" is hidden: all three are shown).
    qtbot.waitUntil(lambda: window.search_view.shown_results() is not None)
    controls = [
        w
        for w in window.findChildren(QWidget)
        if isinstance(w, QLineEdit | QAbstractButton | QComboBox | QAbstractItemView)
        and w.isVisibleTo(window)
        and w.focusPolicy() != Qt.FocusPolicy.NoFocus
    ]
    assert len(controls) >= 7
    unnamed = [
        f"{type(w).__name__} in {w.parent().metaObject().className()}"
        for w in controls
        if not w.accessibleName() and not (isinstance(w, QAbstractButton) and w.text())
    ]
    assert unnamed == []


def test_window_remembers_its_geometry(
    qtbot: QtBot, client: Client, launcher: RecordingLauncher, qsettings: QSettings
) -> None:
    first = build_gui(client, launcher=launcher, qsettings=qsettings, watch=False)
    qtbot.addWidget(first.window)
    first.window.show()
    first.window.resize(700, 500)
    first.window.search_view.splitter.setSizes([150, 500, 350])
    sizes = first.window.search_view.splitter.sizes()
    first.window.close()
    first.close()
    assert qsettings.value(GEOMETRY_KEY) is not None

    second = build_gui(client, launcher=launcher, qsettings=qsettings, watch=False)
    qtbot.addWidget(second.window)
    second.window.show()
    assert second.window.size().width() == 700
    assert second.window.size().height() == 500
    assert second.window.search_view.splitter.sizes() == sizes
    second.close()


def test_drag_starts_with_file_urls(qtbot: QtBot, gui: Gui) -> None:
    view = gui.window.search_view
    search(qtbot, view, "anomaly")
    selection = view.results_view.selectionModel().selectedRows()
    mime = view.proxy.mimeData(selection)
    assert mime.urls()[0].isLocalFile()
    assert view.results_view.dragEnabled()


def test_settings_round_trip_saves_settings_and_folders(
    qtbot: QtBot,
    client: Client,
    launcher: RecordingLauncher,
    qsettings: QSettings,
    home: HomePaths,
    tmp_path: Path,
    library_folder: Path,
) -> None:
    extra = tmp_path / "Accounts"
    extra.mkdir()
    (extra / "ACME notes.txt").write_text("ACME wants the lineage view.", encoding="utf-8")
    gui = build_gui(
        client,
        launcher=launcher,
        qsettings=qsettings,
        watch=False,
        folder_picker=lambda _parent: extra,  # stands in for the system's folder dialog
    )
    qtbot.addWidget(gui.window)
    gui.window.show()
    gui.start(sync_now=False)
    try:
        settings_round_trip(qtbot, gui, home, extra, library_folder)
    finally:
        gui.close()


def settings_round_trip(
    qtbot: QtBot, gui: Gui, home: HomePaths, extra: Path, library_folder: Path
) -> None:
    window = gui.window
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: window.settings_dialog() is not None)
    dialog = window.settings_dialog()
    assert dialog is not None
    assert [dialog.folders.item(i).text() for i in range(dialog.folders.count())] == [
        str(library_folder)
    ]
    dialog.parallel.setValue(8)
    dialog.metered.setChecked(True)
    dialog.add_folder.click()
    with qtbot.waitSignal(window.settings_saved, timeout=10_000):
        dialog.accept()

    expected = Settings(parallel_downloads=8, metered=True)
    assert gui.client.settings == expected
    with open_client(home) as again:
        assert again.settings == expected
        assert str(extra) in [f.path for f in again.library.folders()]
    view = window.search_view
    placeholder = view.search_field.placeholderText
    qtbot.waitUntil(lambda: "Search 4 documents" in placeholder(), timeout=20_000)
    search(qtbot, view, "ACME")
    assert titles(view) == ["ACME notes"]


def test_a_file_saved_into_a_watched_folder_becomes_searchable(
    qtbot: QtBot,
    client: Client,
    launcher: RecordingLauncher,
    qsettings: QSettings,
    library_folder: Path,
) -> None:
    gui = build_gui(client, launcher=launcher, qsettings=qsettings, watch=True, scan_delay_ms=0)
    qtbot.addWidget(gui.window)
    gui.window.show()
    gui.start(sync_now=False)
    try:
        view = gui.window.search_view
        search(qtbot, view, "quokka")
        assert titles(view) == []
        notes = library_folder / "Field notes.txt"
        notes.write_text("The quokka account renews in May.", encoding="utf-8")
        # The window searches again when the indexer reports the new file.
        qtbot.waitUntil(lambda: titles(view) == ["Field notes"], timeout=20_000)
    finally:
        gui.close()


def test_quit_settings_and_sync_have_a_shortcut_on_every_platform(gui: Gui) -> None:
    window = gui.window
    for action in (window.quit_action, window.settings_action, window.sync_action):
        assert not action.shortcut().isEmpty(), action.text()


def test_help_menu_opens_diagnostics(qtbot: QtBot, gui: Gui) -> None:
    menus = {a.text().replace("&", ""): a.menu() for a in gui.window.menuBar().actions()}
    assert [a.text() for a in menus["Help"].actions()] == ["&Diagnostics…"]
    gui.window.diagnostics_action.trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, DiagnosticsDialog)]
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    with qtbot.waitSignal(dialogs[0].checks_finished, timeout=30_000) as finished:
        pass
    assert finished.args is not None
    dialogs[0].close()
