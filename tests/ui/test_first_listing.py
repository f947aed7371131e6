"""The first window lists the newest documents from the index alone, before the catalog and the
rest of the app are loaded; the real window then takes over on the same index."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from ui_support import RecordingLauncher

from fieldkit.core.client import Client
from fieldkit.core.home import HomePaths
from fieldkit.core.index import SearchResults
from fieldkit.ui.app import Gui, build_gui
from fieldkit.ui.launch import Launch, LibraryLoader
from fieldkit.ui.results_model import ROW_ROLE
from fieldkit.ui.search_view import PAGE_SIZE

NEWEST = ["Sentinel data sheet", "Halyard vs Cobaltline", "Pricing notes"]


def test_the_first_window_lists_the_library_before_the_client_opens(
    qtbot: QtBot, client: Client, qsettings: QSettings, launcher: RecordingLauncher
) -> None:
    home = client.home
    client.close()  # the launch opens the library itself
    loader = LibraryLoader()
    listed_first = threading.Event()
    opened: list[Client] = []

    def open_after_the_listing(home: HomePaths) -> Client:
        listed_first.wait(10)  # the catalog is "still loading" while the listing shows
        opened.append(loader.open_client(home))
        return opened[0]

    def build(opened_client: Client) -> Gui:
        return build_gui(opened_client, launcher=launcher, qsettings=qsettings, watch=False)

    launch = Launch(
        home,
        qsettings,
        build=build,
        open_client=open_after_the_listing,
        list_library=loader.list_newest,
    )
    qtbot.addWidget(launch.shell)  # deleted on this thread when the test ends
    try:
        with qtbot.waitSignal(launch.listed, timeout=20_000):
            launch.start()
        view = launch.shell.results_view
        assert view is not None and view.isVisible()
        model = view.model()
        shown = [model.index(row, 0).data(ROW_ROLE).title for row in range(model.rowCount())]
        assert sorted(shown) == sorted(NEWEST)
        assert launch.shell.focusWidget() is launch.shell.search_field  # typing goes there
        qtbot.keyClicks(launch.shell.search_field, "x")
        assert not view.isVisible()  # not the results of what is typed: hidden until they come
        launch.shell.search_field.clear()
        assert view.isVisible()
        with qtbot.waitSignal(launch.gui_ready, timeout=20_000) as ready:
            listed_first.set()
        gui = ready.args[0]
        results = gui.window.search_view
        qtbot.waitUntil(lambda: (r := results.shown_results()) is not None and r.query == "")
        assert sorted(h.title for h in results.shown_results().hits) == sorted(NEWEST)
    finally:
        launch.close()
        launch.deleteLater()


def test_typing_before_the_listing_arrives_keeps_the_first_window_for_the_search(
    qtbot: QtBot, client: Client, qsettings: QSettings
) -> None:
    home = client.home
    client.close()
    loader = LibraryLoader()
    typed = threading.Event()
    listings: list[SearchResults | None] = []

    def list_after_typing(home: HomePaths) -> SearchResults | None:
        typed.wait(10)
        listings.append(loader.list_newest(home))
        return listings[0]

    def never_opens(_home: HomePaths) -> Client:
        raise OSError("not in this test")

    def build(_client: Client) -> Gui:
        raise AssertionError("no window in this test")

    launch = Launch(
        home, qsettings, build=build, open_client=never_opens, list_library=list_after_typing
    )
    qtbot.addWidget(launch.shell)
    listed: list[bool] = []
    launch.listed.connect(lambda: listed.append(True))
    with qtbot.waitSignal(launch.failed, timeout=20_000):
        launch.start()
        qtbot.keyClicks(launch.shell.search_field, "pricing")
        typed.set()
    assert listings and listings[0] is not None  # it was listed, but not shown over the search
    assert listed == []
    assert launch.shell.results_view is None
    launch.deleteLater()


def test_a_new_home_has_nothing_to_list(tmp_path: Path) -> None:
    assert LibraryLoader().list_newest(HomePaths(tmp_path / "new home")) is None


def test_the_first_listing_loads_neither_the_catalog_nor_sqlalchemy(client: Client) -> None:
    """The point of the first listing: Whoosh only, no SQLAlchemy (half the core's import)."""
    home = client.home.root
    client.close()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from fieldkit.core.home import HomePaths\n"
        "from fieldkit.ui.launch import LibraryLoader\n"
        f"results = LibraryLoader().list_newest(HomePaths(Path({str(home)!r})))\n"
        "heavy = ('sqlalchemy', 'fieldkit.core.catalog', 'fieldkit.core.client', 'httpx')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), results.total)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] 3"


def test_the_first_listing_is_as_long_as_the_windows_first_page() -> None:
    from fieldkit.ui.launch import FIRST_LISTING

    assert FIRST_LISTING == PAGE_SIZE
