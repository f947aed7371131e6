"""Opening the app fast: a window at once, the library behind it as soon as it is loaded.

Loading the core (SQLAlchemy, Whoosh, the extractors, the sync) costs far more than Qt does, so
``Launch`` first shows a light window whose search field already takes typing, then, on a
background thread, lists the newest documents from the search index alone (Whoosh, not the
catalog and SQLAlchemy) into that window, imports the rest of the core and opens the library,
and swaps in the real window, keeping what the rep typed. This module imports only Qt and
``fieldkit.ui.appearance``; keep it that way.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMainWindow, QVBoxLayout, QWidget

from fieldkit.ui import appearance

if TYPE_CHECKING:
    from fieldkit.core.client import Client
    from fieldkit.core.home import HomePaths
    from fieldkit.core.index import SearchIndex, SearchResults
    from fieldkit.ui.app import Gui
    from fieldkit.ui.demo_library import DemoLibrary

log = logging.getLogger(__name__)

ORGANIZATION = "fieldkit"
APPLICATION = "fieldkit"
GEOMETRY_KEY = "window/geometry"
DEFAULT_SIZE = (1280, 800)
PLACEHOLDER = "Search your library  (Ctrl+K)"
# How long a thread keeps the interpreter lock while another waits for it (Python's default is
# 5 ms). Qt hands every model and paint callback back to Python, each taking the lock again;
# while a background scan runs, each of those waited up to the whole interval.
SWITCH_INTERVAL_S = 0.001
# The first listing: as many of the newest documents as the window's first page shows
# (fieldkit.ui.search_view.PAGE_SIZE, which this module must not import).
FIRST_LISTING = 50
# The loading thread waits (at most this long) for the listing to be on screen before it imports
# the rest of the core: both need the interpreter lock, and the listing is what the rep sees.
LISTING_PAINT_WAIT_S = 0.5


def make_application(argv: Sequence[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setApplicationName(APPLICATION)
    QApplication.setApplicationDisplayName("fieldkit")
    QApplication.setDesktopFileName("fieldkit")
    app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setWindowIcon(appearance.icon("fieldkit"))
    app.setQuitOnLastWindowClosed(True)
    return app


class ShellWindow(QMainWindow):
    """The first second: where the window will be, with a search field that takes typing."""

    def __init__(self, qsettings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("fieldkit")
        self.setWindowIcon(appearance.icon("fieldkit"))
        self.resize(*DEFAULT_SIZE)
        geometry = qsettings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 10, 12, 6)
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText(PLACEHOLDER)
        self.search_field.setAccessibleName("Search")
        self.search_field.addAction(
            appearance.icon("search"), QLineEdit.ActionPosition.LeadingPosition
        )
        font = self.search_field.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.search_field.setFont(font)
        self.search_field.setMinimumHeight(self.search_field.sizeHint().height() + 6)
        layout.addWidget(self.search_field)
        self.message = QLabel("Opening your library…")
        self.message.setAccessibleName("Status")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.message, 1)
        self._layout = layout
        self.results_view: QWidget | None = None
        self.setCentralWidget(body)
        self.search_field.setFocus()

    def show_listing(self, results: SearchResults) -> None:
        """The newest documents, as the window will list them, while the rest loads."""
        from fieldkit.ui.results_model import ResultsModel
        from fieldkit.ui.results_view import ResultsView

        model = ResultsModel(self)
        model.set_hits(results.hits)
        view = ResultsView()
        view.setModel(model)
        view.setup_columns()
        view.setFrameShape(ResultsView.Shape.NoFrame)
        view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the search field
        self._layout.insertWidget(1, view, 1)
        view.setVisible(not self.search_field.text().strip())  # now, not when laid out
        self.search_field.textChanged.connect(self._on_search_field_text_changed)
        self._layout.setStretchFactor(self.message, 0)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.results_view = view

    def _on_search_field_text_changed(self, text: str) -> None:
        # What the rep types is searched once the window is ready; the newest list is not that.
        if self.results_view is not None:
            self.results_view.setVisible(not text.strip())


class Launch(QObject):
    """Shows the shell, loads the library off the UI thread, then hands over to the window."""

    # The real window is on screen (the shell is gone).
    gui_ready = Signal(object)  # Gui (typed loosely: this module must not import the core)
    # The library could not be opened; the shell says why.
    failed = Signal(str)
    # The first window lists the newest documents (the real window is still being built).
    listed = Signal()
    _listing = Signal(object)  # SearchResults, from the loading thread
    _loaded = Signal(object)  # Client, from the loading thread
    _load_failed = Signal(BaseException)

    def __init__(
        self,
        home: HomePaths,
        qsettings: QSettings,
        *,
        build: Callable[[Client], Gui],
        open_client: Callable[[HomePaths], Client],
        list_library: Callable[[HomePaths], SearchResults | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._home = home
        self._build = build
        self._open_client = open_client
        self._list_library = list_library
        self._listing_done = threading.Event()
        self.shell = ShellWindow(qsettings)
        self.gui: Gui | None = None
        self.client: Client | None = None
        self._listing.connect(self._on_listing)
        self._loaded.connect(self._on_loaded)
        self._load_failed.connect(self._on_load_failed)

    def start(self) -> None:
        self.shell.show()
        threading.Thread(target=self._load, name="fieldkit-open", daemon=True).start()

    def _load(self) -> None:
        """On a background thread: list the newest documents, then import the core and open
        the library."""
        if self._list_library is not None:
            try:
                results = self._list_library(self._home)
            except Exception:  # the window lists the library, or says what is wrong
                log.warning("the first listing failed", exc_info=True)
            else:
                if results is not None:
                    self._listing.emit(results)
                    self._listing_done.wait(LISTING_PAINT_WAIT_S)
        try:
            client = self._open_client(self._home)
        except Exception as exc:
            self._load_failed.emit(exc)
        else:
            self._loaded.emit(client)

    def _on_listing(self, results: SearchResults) -> None:
        try:
            if self.gui is not None or self.shell.search_field.text().strip():
                return  # the rep is already searching for something else
            self.shell.show_listing(results)
            self.shell.repaint()
            self.listed.emit()
        finally:
            self._listing_done.set()

    def _on_loaded(self, client: Client) -> None:
        self.client = client
        gui = self._build(client)
        self.gui = gui
        window = gui.window
        window.setGeometry(self.shell.geometry())
        typed = self.shell.search_field.text()
        field = window.search_view.search_field
        field.setText(typed)
        field.setCursorPosition(self.shell.search_field.cursorPosition())
        window.show()
        self.shell.close()
        gui.start()
        field.setFocus()
        field.deselect()
        self.gui_ready.emit(gui)

    def _on_load_failed(self, error: BaseException) -> None:
        from fieldkit.core.errors import FieldkitError

        if isinstance(error, FieldkitError):
            text = str(error)
        else:
            log.error("the library could not be opened", exc_info=error)
            text = "Something went wrong while opening your library; details are in the log."
        self.shell.message.setText(f"Your library could not be opened.\n\n{text}")
        self.shell.search_field.setEnabled(False)
        self.failed.emit(text)

    def close(self) -> None:
        if self.gui is not None:
            self.gui.close()
        if self.client is not None:
            self.client.close()


class LibraryLoader:
    """How the app opens a library, on the loading thread: the newest documents from the search
    index alone first, then the client (catalog, settings, the rest of the core) on that same
    index, which is then already open and warm."""

    def __init__(self) -> None:
        self._index: SearchIndex | None = None

    def list_newest(self, home: HomePaths) -> SearchResults | None:
        from fieldkit.core.index import SearchIndex, SearchRequest

        if not home.index_dir.is_dir():
            return None  # a new library: the window says what to do
        self._index = SearchIndex(home.index_dir)
        if not self._index.open().ok:
            return None  # the window rebuilds it and says so
        return self._index.search(SearchRequest(query="", limit=FIRST_LISTING))

    def open_client(self, home: HomePaths) -> Client:
        from fieldkit.core.client import open_client

        return open_client(home, index=self._index)


def run(home: HomePaths, *, argv: Sequence[str] | None = None, offer_demo: bool = False) -> int:
    """Open the app on the library in ``home``; returns when the rep quits.

    With ``offer_demo`` the first run offers the demo library (a hub in this process, started
    only if the rep asks for it, stopped when the app closes).
    """
    app = make_application(argv)
    qsettings = QSettings()
    demos: list[DemoLibrary] = []
    loader = LibraryLoader()

    def build(client: Client) -> Gui:
        from fieldkit.ui.app import build_gui
        from fieldkit.ui.demo_library import DemoLibrary
        from fieldkit.ui.launcher import DesktopLauncher

        if offer_demo:
            demos.append(DemoLibrary(client))
        return build_gui(
            client,
            launcher=DesktopLauncher(),
            qsettings=qsettings,
            start_demo=demos[0].start if demos else None,
        )

    launch = Launch(
        home,
        qsettings,
        build=build,
        open_client=loader.open_client,
        list_library=loader.list_newest,
    )
    try:
        launch.start()
        with _quit_on_signals(app):
            code = int(app.exec())
    finally:
        launch.close()
        for demo in demos:
            demo.stop()
    if launch.gui is None and code == 0:
        return 1  # the library never opened
    return code


@contextmanager
def _quit_on_signals(app: QApplication) -> Iterator[None]:
    """Ctrl+C in the terminal, or SIGTERM, closes the app cleanly (the window saves its state).

    Python runs signal handlers only when it has control, so a timer hands it control a few
    times a second while Qt's event loop runs.
    """

    def on_signal(_number: int, _frame: Any) -> None:
        for window in app.topLevelWidgets():
            window.close()
        app.quit()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    tick = QTimer()
    tick.start(250)
    tick.timeout.connect(_let_python_run)
    try:
        yield
    finally:
        tick.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _let_python_run() -> None:
    """Nothing to do: returning to Python is the point (pending signal handlers run)."""
