"""The first run: connect to the company's hub, open the demo library, or start with own folders.

Connecting runs on the task runner; the dialog stays responsive, says what is happening, and
shows a failure in plain words next to the fields.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core.errors import FieldkitError
from fieldkit.ui import appearance
from fieldkit.ui.tasks import TaskRunner

# Connects to a hub (url, token) and returns a line for the rep ("Connected: 120 documents").
HubConnector = Callable[[str, str], str]
# Starts the demo hub, connects to it, and returns a line for the rep.
DemoStarter = Callable[[], str]

HUB, DEMO, OWN_FOLDERS = "hub", "demo", "own-folders"


class FirstRunDialog(QDialog):
    # The source is connected (HUB or DEMO); the dialog closes right after.
    connected = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        connect_hub: HubConnector | None,
        start_demo: DemoStarter | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._connect_hub = connect_hub
        self._start_demo = start_demo
        self.choice = ""
        self.outcome = ""
        self.setWindowTitle("Welcome to fieldkit")
        self.setAccessibleName("Welcome to fieldkit")
        self.setMinimumWidth(520)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 18)
        layout.setSpacing(12)

        header = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(appearance.icon("fieldkit").pixmap(48, 48))
        header.addWidget(logo)
        title = QLabel("Your sales content, on your laptop")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        header.addWidget(title, 1)
        layout.addLayout(header)
        intro = QLabel(
            "fieldkit keeps a verified copy of your company's approved decks, one-pagers and "
            "price sheets, and finds the right page in a second, even offline."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        hub_box = QFrame()
        hub_box.setFrameShape(QFrame.Shape.StyledPanel)
        hub_layout = QVBoxLayout(hub_box)
        hub_layout.setContentsMargins(14, 12, 14, 12)
        heading = QLabel("<b>Connect to your company's hub</b>")
        hub_layout.addWidget(heading)
        form = QFormLayout()
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://content.example.com")
        self.url.setAccessibleName("Hub address")
        form.addRow("&Address:", self.url)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("From your marketing team")
        self.token.setAccessibleName("Access token")
        form.addRow("Access &token:", self.token)
        hub_layout.addLayout(form)
        self.connect_button = QPushButton("&Connect")
        self.connect_button.setAccessibleName("Connect to the hub")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self._on_connect_button_clicked)
        self.connect_button.setEnabled(self._connect_hub is not None)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.connect_button)
        hub_layout.addLayout(row)
        layout.addWidget(hub_box)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Connection message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)

        others = QHBoxLayout()
        self.demo_button = QPushButton("Open the &demo library")
        self.demo_button.setAccessibleName("Open the demo library")
        self.demo_button.setToolTip("A sample library of a fictional company, to look around")
        self.demo_button.clicked.connect(self._on_demo_button_clicked)
        self.demo_button.setVisible(self._start_demo is not None)
        others.addWidget(self.demo_button)
        others.addStretch(1)
        self.skip_button = QPushButton("Use my own &folders")
        self.skip_button.setAccessibleName("Skip and use my own folders")
        self.skip_button.setToolTip("Search files on this computer; connect to a hub later")
        self.skip_button.clicked.connect(self._on_skip_button_clicked)
        others.addWidget(self.skip_button)
        layout.addLayout(others)

    # -- actions -----------------------------------------------------------------------------

    def _on_connect_button_clicked(self) -> None:
        connect = self._connect_hub
        url, token = self.url.text().strip(), self.token.text().strip()
        if connect is None:
            return
        if not url or not token:
            self._say("Enter the hub address and your access token.", error=True)
            return
        self.choice = HUB
        self._busy(f"Connecting to {url}…")
        self._runner.run(lambda: connect(url, token), self._on_connected, self._on_failed)

    def _on_demo_button_clicked(self) -> None:
        start = self._start_demo
        if start is None:
            return
        self.choice = DEMO
        self._busy("Starting the demo library…")
        self._runner.run(start, self._on_connected, self._on_failed)

    def _on_skip_button_clicked(self) -> None:
        self.choice = OWN_FOLDERS
        self.accept()

    def _on_connected(self, outcome: str) -> None:
        self.outcome = outcome
        self._say(outcome, error=False)
        self.connected.emit(self.choice)
        self.accept()

    def _on_failed(self, error: BaseException) -> None:
        text = str(error) if isinstance(error, FieldkitError) else "Something went wrong."
        self._say(text, error=True)
        self.choice = ""
        self._set_enabled(True)

    # -- helpers -----------------------------------------------------------------------------

    def _busy(self, text: str) -> None:
        self._say(text, error=False)
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.url, self.token, self.demo_button, self.skip_button):
            widget.setEnabled(enabled)
        self.connect_button.setEnabled(enabled and self._connect_hub is not None)

    def _say(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #C53030;" if error else "")
