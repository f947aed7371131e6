"""The banner above the results: "2 documents outdated · 1 expired · 1 old copy in Downloads —
Review". Hidden while everything is current; Review switches to the Outdated view."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from fieldkit.core import freshness
from fieldkit.ui import appearance
from fieldkit.ui.freshness_feature import OutdatedSnapshot

_WORDS = {
    freshness.WITHDRAWN: "withdrawn",
    freshness.SUPERSEDED: "superseded",
    freshness.EXPIRED: "expired",
    freshness.MODIFIED: "changed locally",
    freshness.OUTDATED: "outdated",
    freshness.EXPIRING: "expiring soon",
}


def banner_text(counts: Mapping[str, int], copies: Mapping[Path, int]) -> str:
    """The counts in words, most serious first; "" when there is nothing to say."""
    parts: list[str] = []
    for state in freshness.ATTENTION_STATES:
        count = counts.get(state, 0)
        if not count:
            continue
        if parts:
            parts.append(f"{count} {_WORDS[state]}")
        else:
            noun = "document" if count == 1 else "documents"
            parts.append(f"{count} {noun} {_WORDS[state]}")
    for folder, count in sorted(copies.items(), key=lambda item: item[0].name.casefold()):
        noun = "old copy" if count == 1 else "old copies"
        parts.append(f"{count} {noun} in {folder.name or folder}")
    return " · ".join(parts)


def _serious_state(counts: Mapping[str, int]) -> str:
    return next((s for s in freshness.ATTENTION_STATES if counts.get(s)), freshness.OUTDATED)


class FreshnessBanner(QFrame):
    # The rep asked to see the details (the Outdated view).
    review_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Freshness")
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 10, 6)
        layout.setSpacing(10)
        self.icon = QLabel()
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.icon.setPixmap(warning.pixmap(16, 16))
        layout.addWidget(self.icon)
        self.label = QLabel()
        self.label.setAccessibleName("Freshness summary")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.label, 1)
        self.review_button = QPushButton("Review")
        self.review_button.setAccessibleName("Review outdated documents")
        self.review_button.setToolTip("Show the outdated documents and old copies")
        self.review_button.clicked.connect(self.review_requested)
        layout.addWidget(self.review_button)
        self._state = freshness.OUTDATED
        self.hide()

    def set_snapshot(self, snapshot: OutdatedSnapshot) -> None:
        counts = snapshot.report.counts()
        text = banner_text(counts, snapshot.copy_folders())
        self.label.setText(text)
        self._state = _serious_state(counts)
        self._colour_text()
        self.update()
        self.setVisible(bool(text))

    def text(self) -> str:
        return self.label.text()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._colour_text()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        background, foreground = appearance.badge_colours(self._state, palette)
        painter = QPainter(self)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))
        painter.fillRect(self.rect(), background)
        painter.fillRect(QRect(0, 0, 3, self.height()), foreground)
        painter.end()
        super().paintEvent(event)

    def _colour_text(self) -> None:
        _background, foreground = appearance.badge_colours(self._state, self.palette())
        palette = self.label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, foreground)
        self.label.setPalette(palette)
