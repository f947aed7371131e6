"""The preview pane: the hit page of a PDF as an image, the hit page or slide of anything else as
text with the matches marked, and the document's details.

Rendering and extraction run on the preview task runner (one thread: PDFium is not thread-safe);
they hand back immutable values, and results for a document no longer shown are dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QImage,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.core.errors import FieldkitError
from fieldkit.core.freshness import DocumentFreshness, FreshnessReport
from fieldkit.core.index import Hit
from fieldkit.core.index.analysis import analyze_token, fold
from fieldkit.ui import appearance
from fieldkit.ui.tasks import TaskRunner

if TYPE_CHECKING:
    # PDFium and the extractors load with the first preview, after the library is listed.
    import pypdfium2 as pdfium

    from fieldkit.core.extract import Extracted, Unit

# Longest text shown for one unit; the rest is a click on Open away.
MAX_PREVIEW_CHARS = 60_000
# Largest rendering scale of a PDF page (pixels per point).
MAX_PDF_SCALE = 4.0
# Room around a rendered page, and the pane's side margins (device-independent pixels).
PAGE_MARGIN = 10
PANE_MARGIN = 16
_BOLD = re.compile(r"<b>(.*?)</b>", re.S)
_WORD = re.compile(r"\w+", re.U)
_QUERY_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_OPERATORS = frozenset({"and", "or", "not", "to"})
_PARAGRAPH = "margin-top: 0; margin-bottom: 6px; white-space: pre-wrap;"


# Reads the freshness of one document (by id) from the catalog; runs on the preview runner.
FreshnessLookup = Callable[[str], FreshnessReport]


class PreviewError(FieldkitError):
    """A preview could not be made; the message says why in plain words."""


@dataclass(frozen=True)
class RenderedPage:
    """One PDF page as RGBX pixels."""

    number: int  # 1-based
    count: int
    width: int
    height: int
    stride: int
    pixels: bytes

    def to_image(self, device_pixel_ratio: float) -> QImage:
        image = QImage(
            self.pixels, self.width, self.height, self.stride, QImage.Format.Format_RGBX8888
        ).copy()
        image.setDevicePixelRatio(device_pixel_ratio)
        return image


@dataclass(frozen=True)
class MatchTerms:
    """What to mark in a text: index terms (stems), and prefixes from ``word*`` queries."""

    stems: frozenset[str]
    prefixes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.stems or self.prefixes)


def render_pdf_page(path: str, number: int, width_px: int) -> RenderedPage:
    """Render page ``number`` (1-based, clamped to the document) ``width_px`` pixels wide."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise PreviewError(_pdf_problem(exc)) from exc
    except OSError as exc:
        raise PreviewError(f"The file can't be read: {exc.strerror or exc}") from exc
    try:
        count = len(pdf)
        if count == 0:
            raise PreviewError("This PDF has no pages.")
        number = min(max(number, 1), count)
        page = pdf[number - 1]
        try:
            width_pt, _height_pt = page.get_size()
            scale = min(max(width_px, 1) / max(width_pt, 1.0), MAX_PDF_SCALE)
            bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True)
            try:
                return RenderedPage(
                    number=number,
                    count=count,
                    width=bitmap.width,
                    height=bitmap.height,
                    stride=bitmap.stride,
                    pixels=bytes(bitmap.buffer),
                )
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        pdf.close()


def _pdf_problem(exc: pdfium.PdfiumError) -> str:
    if "password" in str(exc).lower():
        return "This PDF is password-protected: open it to read it."
    return "This PDF is damaged and can't be previewed."


def extract_units(path: str) -> Extracted:
    """The text of every page, slide or sheet of a document (for the text preview)."""
    from fieldkit.core.extract import ExtractionFailed, extract_file

    try:
        return extract_file(Path(path))
    except ExtractionFailed as exc:
        raise PreviewError(f"No preview: {exc.reason}.") from exc
    except OSError as exc:
        raise PreviewError(f"The file can't be read: {exc.strerror or exc}") from exc


def match_terms(query: str, snippet: str) -> MatchTerms:
    """The terms to mark: the words of the query and those the index marked in the snippet."""
    stems: set[str] = set()
    prefixes: list[str] = []
    words = [html.unescape(m) for m in _BOLD.findall(snippet)]
    for match in _QUERY_TOKEN.finditer(query):
        token = match.group(1) if match.group(1) is not None else match.group(2)
        if ":" in token or token.lower() in _OPERATORS:
            continue
        token = token.lstrip("+-")
        if token.endswith("*") and len(token) > 2:
            prefixes.append(fold(token.rstrip("*")))
            continue
        words.extend(_WORD.findall(token))
    for word in words:
        for part in _WORD.findall(word):
            stem = analyze_token(part)
            if stem is not None:
                stems.add(stem)
    return MatchTerms(frozenset(stems), tuple(prefixes))


def marked_html(text: str, terms: MatchTerms, mark_style: str) -> tuple[str, int]:
    """``text`` as HTML with matching words wrapped in a styled span; returns (html, matches).

    The first match carries the anchor ``first-match``.
    """
    clipped = text[:MAX_PREVIEW_CHARS]
    out: list[str] = []
    position = 0
    count = 0
    if terms:
        for match in _WORD.finditer(clipped):
            word = match.group()
            folded = fold(word)
            hit = analyze_token(word) in terms.stems or folded.startswith(terms.prefixes or ("\0",))
            if not hit:
                continue
            out.append(html.escape(clipped[position : match.start()]))
            anchor = '<a name="first-match"></a>' if count == 0 else ""
            out.append(f'{anchor}<span style="{mark_style}">{html.escape(word)}</span>')
            position = match.end()
            count += 1
    out.append(html.escape(clipped[position:]))
    if len(text) > MAX_PREVIEW_CHARS:
        out.append("\n… (open the document to read the rest)")
    lines = "".join(out).split("\n")
    body = "".join(f"<p style='{_PARAGRAPH}'>{line}</p>" for line in lines if line.strip())
    return body, count


def unit_title(unit: Unit, count: int) -> str:
    if unit.kind is None or unit.number is None:
        return ""
    return f"{unit.kind.capitalize()} {unit.number} of {count}"


class StatusBadge(QWidget):
    """A status pill (painted like the badges in the results list)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._status = ""
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_status(self, status: str) -> None:
        self._status = status
        self.setAccessibleName(f"Status: {appearance.status_label(status)}")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        width = metrics.horizontalAdvance(appearance.status_label(self._status)) + 20
        return QSize(width, metrics.height() + 6)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        appearance.paint_badge(
            painter, self.rect().toRectF(), self._status, self.palette(), self.font()
        )
        painter.end()


class PreviewPane(QWidget):
    """Shows one ``Hit``: details, actions, and the page or text where the query matched."""

    # The page or unit shown changed (1-based number), after a render completed.
    page_shown = Signal(int)
    # The freshness details of the document shown arrived (state, reason, versions).
    freshness_shown = Signal(DocumentFreshness)
    # The rep asked for the document that replaces this one (its title).
    replacement_requested = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        actions: tuple[QAction, ...],
        freshness: FreshnessLookup | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._freshness = freshness
        self._hit: Hit | None = None
        self._terms = MatchTerms(frozenset(), ())
        self._sequence = 0
        self._replacement = ""
        self._page = 1
        self._shown_page = 0
        self._page_count = 0
        self._extracted: Extracted | None = None
        self._unit_index = 0
        self._image = QImage()
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(150)
        self._resize_timer.timeout.connect(self._on_resize_timer_timeout)
        self._build(actions)
        self.clear()

    # -- building ----------------------------------------------------------------------------

    def _build(self, actions: tuple[QAction, ...]) -> None:
        self.setAccessibleName("Preview")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PANE_MARGIN, 12, PANE_MARGIN, 12)
        layout.setSpacing(8)

        self._details = QWidget()
        details = QVBoxLayout(self._details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(6)

        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        title_font = self.title_label.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setWeight(QFont.Weight.DemiBold)
        self.title_label.setFont(title_font)
        self.title_label.setAccessibleName("Document title")
        details.addWidget(self.title_label)

        self._meta = QLabel()
        self._meta.setWordWrap(True)
        self._meta.setAccessibleName("Document details")
        self._meta.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        details.addWidget(self._meta)

        status_row = QHBoxLayout()
        status_row.setSpacing(8)
        self._badge = StatusBadge()
        status_row.addWidget(self._badge)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setAccessibleName("Status reason")
        self.reason_label.setTextFormat(Qt.TextFormat.RichText)
        self.reason_label.linkActivated.connect(self._on_reason_label_link_activated)
        status_row.addWidget(self.reason_label, 1)
        details.addLayout(status_row)

        self.versions_label = QLabel()
        self.versions_label.setWordWrap(True)
        self.versions_label.setAccessibleName("Versions")
        self.versions_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        details.addWidget(self.versions_label)

        self._path = QLabel()
        self._path.setAccessibleName("File location")
        self._path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._path.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._path.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        details.addWidget(self._path)

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self._buttons = buttons
        self._buttons_shown: list[QToolButton] = []
        for action in actions:
            self.add_action(action)
        buttons.addStretch(1)
        details.addLayout(buttons)
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.HLine)
        separator.setFrameShadow(QFrame.Shadow.Plain)
        separator.setForegroundRole(QPalette.ColorRole.Mid)
        details.addSpacing(4)
        details.addWidget(separator)
        layout.addWidget(self._details)

        nav = QHBoxLayout()
        self.previous_button = QToolButton()
        self.previous_button.setText("‹ Previous")
        self.previous_button.setAccessibleName("Previous page")
        self.previous_button.setShortcut(QKeySequence("Alt+PgUp"))
        self.previous_button.setToolTip("Previous page (Alt+Page Up)")
        self.previous_button.clicked.connect(self._on_previous_clicked)
        self.next_button = QToolButton()
        self.next_button.setText("Next ›")
        self.next_button.setAccessibleName("Next page")
        self.next_button.setShortcut(QKeySequence("Alt+PgDown"))
        self.next_button.setToolTip("Next page (Alt+Page Down)")
        self.next_button.clicked.connect(self._on_next_clicked)
        self.where_label = QLabel()
        self.where_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.where_label.setAccessibleName("Page shown")
        nav.addWidget(self.previous_button)
        nav.addWidget(self.where_label, 1)
        nav.addWidget(self.next_button)
        self._nav = QWidget()
        self._nav.setLayout(nav)
        nav.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._nav)

        self._stack = QStackedWidget()
        self._message = QLabel()
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._message.setAccessibleName("Preview message")
        self._stack.addWidget(self._message)

        self._page_label = QLabel()
        self._page_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._page_label.setAccessibleName("Page image")
        self._page_label.setMargin(PAGE_MARGIN)
        self._page_label.setBackgroundRole(QPalette.ColorRole.Mid)
        self._page_label.setAutoFillBackground(True)
        self._page_scroll = QScrollArea()
        self._page_scroll.setWidget(self._page_label)
        self._page_scroll.setWidgetResizable(True)
        self._page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._page_scroll.setAccessibleName("Page preview")
        self._stack.addWidget(self._page_scroll)

        self.text_view = QTextBrowser()
        self.text_view.setOpenLinks(False)
        self.text_view.setFrameShape(QFrame.Shape.NoFrame)
        self.text_view.setAccessibleName("Text preview")
        self.text_view.document().setDocumentMargin(12)
        self._stack.addWidget(self.text_view)
        layout.addWidget(self._stack, 1)

    # -- public ------------------------------------------------------------------------------

    def add_action(self, action: QAction) -> None:
        """A button for ``action`` beside the document's details (after those already there)."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setAccessibleName(action.text().replace("&", ""))
        # Buttons first, then the stretch that keeps them to the left.
        self._buttons.insertWidget(len(self._buttons_shown), button)
        self._buttons_shown.append(button)

    def clear(self, message: str = "Select a result to preview it.") -> None:
        self._sequence += 1
        self._hit = None
        self._details.hide()
        self._clear_content()
        self._show_message(message)

    def show_hit(self, hit: Hit, query: str) -> None:
        """Preview ``hit``. The same document again (results refreshed as the rep types) keeps
        what is on screen and only moves to the new hit page or re-marks the new terms."""
        previous = self._hit
        same_document = previous is not None and previous.path == hit.path
        self._sequence += 1
        self._hit = hit
        self._terms = match_terms(query, hit.snippet)
        self._fill_details(hit)
        self._request_freshness(hit)
        if hit.format == "pdf":
            page = hit.location_number or 1
            if same_document and page == self._shown_page and not self._image.isNull():
                return
            self._page = page
            if not same_document:
                self._clear_content()
            self._request_page()
        elif same_document and self._extracted is not None:
            self._unit_index = _unit_position(self._extracted.units, hit.location_number)
            self._show_unit()
        else:
            self._clear_content()
            self._request_text()

    def _clear_content(self) -> None:
        self._extracted = None
        self._image = QImage()
        self._shown_page = 0
        self._nav.hide()
        self._show_message("Loading preview…")

    def hit(self) -> Hit | None:
        return self._hit

    def image(self) -> QImage:
        """The page image on screen (null when none)."""
        return self._image

    def page(self) -> int:
        """The 1-based page or unit number on screen (0 while none is)."""
        return self._shown_page

    def text(self) -> str:
        return self.text_view.toPlainText()

    def message(self) -> str:
        return self._message.text()

    # -- details -----------------------------------------------------------------------------

    def _fill_details(self, hit: Hit) -> None:
        self.title_label.setText(hit.title)
        parts = [appearance.format_label(hit.format)]
        where = appearance.location_text(hit.location_kind, hit.location_number)
        if where:
            parts.append(f"match on {where}")
        if hit.version is not None:
            parts.append(f"version {hit.version}")
        parts.append(f"modified {appearance.date_text(hit.modified)}")
        if hit.tags:
            parts.append(", ".join(hit.tags))
        self._meta.setText(" · ".join(parts))
        self._badge.set_status(hit.status)
        self.reason_label.setText(_esc(appearance.STATUS_MEANINGS.get(hit.status, "")))
        self.versions_label.clear()
        self.versions_label.hide()
        metrics = self._path.fontMetrics()
        self._path.setText(
            metrics.elidedText(hit.path, Qt.TextElideMode.ElideMiddle, max(self.width() - 40, 200))
        )
        self._path.setToolTip(hit.path)
        self._details.show()

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)

    # -- freshness ---------------------------------------------------------------------------

    def _request_freshness(self, hit: Hit) -> None:
        lookup = self._freshness
        if lookup is None or hit.personal:
            return
        sequence, doc_id = self._sequence, hit.doc_id
        self._runner.run(lambda: (sequence, lookup(doc_id)), self._on_freshness_read)

    def _on_freshness_read(self, outcome: tuple[int, FreshnessReport]) -> None:
        sequence, report = outcome
        hit = self._hit
        if sequence != self._sequence or hit is None:
            return
        document = report.by_id().get(hit.doc_id)
        if document is None:
            return
        self._badge.set_status(document.state)
        reason = _esc(document.reason)
        if document.superseded_by_title:
            reason += " <a href='replacement'>Show it</a>"
        self.reason_label.setText(reason)
        self._replacement = document.superseded_by_title or ""
        self.versions_label.setText(f"{document.details} Hub {report.checked}.")
        self.versions_label.show()
        self.freshness_shown.emit(document)

    def _on_reason_label_link_activated(self, _link: str) -> None:
        if self._replacement:
            self.replacement_requested.emit(self._replacement)

    # -- PDF pages ---------------------------------------------------------------------------

    def _page_width_px(self) -> int:
        """The page fills the pane's width, less the margins and a vertical scroll bar."""
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = self.width() - 2 * PANE_MARGIN - scroll_bar - 2 * PAGE_MARGIN
        return int(max(width, 200) * self.devicePixelRatioF())

    def _request_page(self) -> None:
        if self._hit is None:
            return
        sequence = self._sequence
        path, page, width = self._hit.path, self._page, self._page_width_px()
        self._runner.run(
            lambda: (sequence, render_pdf_page(path, page, width)),
            self._on_page_rendered,
            self._on_preview_error,
        )

    def _on_page_rendered(self, outcome: tuple[int, RenderedPage]) -> None:
        sequence, rendered = outcome
        if sequence != self._sequence:
            return
        self._image = rendered.to_image(self.devicePixelRatioF())
        self._page = self._shown_page = rendered.number
        self._page_count = rendered.count
        self._page_label.setPixmap(QPixmap.fromImage(self._image))
        self._stack.setCurrentWidget(self._page_scroll)
        self._update_nav(f"Page {rendered.number} of {rendered.count}")
        self.page_shown.emit(rendered.number)

    # -- text units --------------------------------------------------------------------------

    def _request_text(self) -> None:
        if self._hit is None:
            return
        sequence = self._sequence
        path = self._hit.path
        self._runner.run(
            lambda: (sequence, extract_units(path)),
            self._on_units_extracted,
            self._on_preview_error,
        )

    def _on_units_extracted(self, outcome: tuple[int, Extracted]) -> None:
        sequence, extracted = outcome
        if sequence != self._sequence or self._hit is None:
            return
        if not extracted.units:
            self._show_message("This document has no text to preview.")
            return
        self._extracted = extracted
        self._unit_index = _unit_position(extracted.units, self._hit.location_number)
        self._show_unit()

    def _show_unit(self) -> None:
        if self._extracted is None:
            return
        units = self._extracted.units
        unit = units[self._unit_index]
        self._page = self._shown_page = unit.number or 1
        self._page_count = len(units)
        body, matches = marked_html(unit.text, self._terms, self._mark_style())
        self.text_view.setHtml(body)
        self._stack.setCurrentWidget(self.text_view)
        if matches:
            # The first match a third of the way down, with the text before it in view.
            self.text_view.scrollToAnchor("first-match")
            bar = self.text_view.verticalScrollBar()
            bar.setValue(bar.value() - self.text_view.viewport().height() // 3)
        self._update_nav(unit_title(unit, len(units)))
        self.page_shown.emit(self._page)

    def _mark_style(self) -> str:
        palette = self.palette()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        if appearance.is_dark(palette):
            return f"background-color: {highlight.darker(130).name()}; color: #FFFFFF;"
        return "background-color: #FFE58A; color: #1A202C;"

    # -- navigation --------------------------------------------------------------------------

    def _update_nav(self, where: str) -> None:
        self.where_label.setText(where)
        paged = self._page_count > 1
        self._nav.setVisible(bool(where))
        self.previous_button.setEnabled(paged and self._position() > 0)
        self.next_button.setEnabled(paged and self._position() < self._page_count - 1)

    def _position(self) -> int:
        return self._unit_index if self._extracted is not None else self._page - 1

    def _on_previous_clicked(self) -> None:
        self._step(-1)

    def _on_next_clicked(self) -> None:
        self._step(1)

    def _step(self, delta: int) -> None:
        if self._hit is None:
            return
        if self._extracted is not None:
            self._unit_index = min(max(self._unit_index + delta, 0), len(self._extracted.units) - 1)
            self._show_unit()
            return
        if self._page_count:
            self._page = min(max(self._page + delta, 1), self._page_count)
            self._sequence += 1
            self._request_page()

    # -- errors and resizing -----------------------------------------------------------------

    def _on_preview_error(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, FieldkitError) else "No preview for this file."
        self._show_message(message)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._hit is not None and self._hit.format == "pdf" and not self._image.isNull():
            self._resize_timer.start()

    def _on_resize_timer_timeout(self) -> None:
        if self._hit is not None and self._hit.format == "pdf":
            self._sequence += 1
            self._request_page()


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _unit_position(units: tuple[Unit, ...], number: int | None) -> int:
    if number is None:
        return 0
    for position, unit in enumerate(units):
        if unit.number == number:
            return position
    return 0
