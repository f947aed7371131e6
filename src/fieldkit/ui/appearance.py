"""How things look: format icons and labels, status badges, dates. One place, palette-aware."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from PySide6.QtCore import QDateTime, QLocale, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPalette

ICONS_DIR = Path(__file__).with_name("icons")

_FAMILIES = {
    "pdf": "pdf",
    "pptx": "slides",
    "odp": "slides",
    "docx": "document",
    "odt": "document",
    "rtf": "document",
    "xlsx": "sheet",
    "ods": "sheet",
    "csv": "sheet",
    "md": "text",
    "txt": "text",
    "html": "web",
    "eml": "mail",
}

_FORMAT_LABELS = {
    "pdf": "PDF",
    "pptx": "PowerPoint",
    "odp": "Presentation",
    "docx": "Word",
    "odt": "Text document",
    "rtf": "Rich text",
    "xlsx": "Excel",
    "ods": "Spreadsheet",
    "csv": "CSV",
    "md": "Markdown",
    "txt": "Text",
    "html": "Web page",
    "eml": "E-mail",
}

STATUS_LABELS = {
    "current": "Current",
    "outdated": "Update available",
    "expiring": "Expiring soon",
    "expired": "Expired",
    "withdrawn": "Withdrawn",
    "superseded": "Superseded",
    "modified": "Changed locally",
    "personal": "Personal",
    "archived": "Archived",
}

# What each state means, for the details pane until the core hands out per-document reasons.
STATUS_MEANINGS = {
    "current": "The latest approved version.",
    "outdated": "A newer version is on the hub; sync to get it.",
    "expiring": "Approved, but it expires soon.",
    "expired": "Past its expiry date: check before you use it.",
    "withdrawn": "Withdrawn by marketing: do not use.",
    "superseded": "Replaced by a newer document.",
    "modified": "Changed on this laptop: not the approved copy any more.",
    "personal": "One of your own files.",
    "archived": "An archived copy, kept for reference.",
}

# Most urgent first: sorting by status puts the states a rep must act on at the top.
STATUS_RANK = {
    "withdrawn": 0,
    "superseded": 1,
    "expired": 2,
    "modified": 3,
    "outdated": 4,
    "expiring": 5,
    "current": 6,
    "personal": 7,
    "archived": 8,
}

_STATUS_ACCENTS = {
    "current": "#2F855A",
    "outdated": "#2B6CB0",
    "expiring": "#B7791F",
    "expired": "#C53030",
    "withdrawn": "#C53030",
    "superseded": "#6B46C1",
    "modified": "#C05621",
    "personal": "#4A5568",
    "archived": "#718096",
}

# States that need no badge: the absence of one means "fine".
QUIET_STATUSES = frozenset({"current"})


def format_family(fmt: str) -> str:
    return _FAMILIES.get(fmt.lower(), "file")


def format_label(fmt: str) -> str:
    return _FORMAT_LABELS.get(fmt.lower(), fmt.upper() or "File")


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.capitalize())


@cache
def icon(name: str) -> QIcon:
    """An icon from ``icons/<name>.svg`` (sharp at any scale)."""
    return QIcon(str(ICONS_DIR / f"{name}.svg"))


def format_icon(fmt: str) -> QIcon:
    return icon(f"format-{format_family(fmt)}")


def location_text(kind: str | None, number: int | None) -> str:
    if kind is None or number is None:
        return ""
    short = {"page": "p.", "slide": "slide", "sheet": "sheet"}.get(kind, kind)
    return f"{short} {number}"


def timestamp(moment: datetime) -> float:
    """Seconds since the epoch; 0 for a date the platform cannot place (e.g. datetime.min)."""
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return 0.0


def date_text(moment: datetime) -> str:
    seconds = timestamp(moment)
    if seconds <= 0:
        return ""
    local = QDateTime.fromSecsSinceEpoch(int(seconds)).toLocalTime()
    return QLocale().toString(local.date(), "d MMM yyyy")


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def badge_colours(status: str, palette: QPalette) -> tuple[QColor, QColor]:
    """Background and text colour of a status badge, readable on light and dark palettes."""
    accent = QColor(_STATUS_ACCENTS.get(status, "#718096"))
    if is_dark(palette):
        background = QColor(accent)
        background.setAlpha(70)
        return background, accent.lighter(170)
    background = QColor(accent)
    background.setAlpha(30)
    return background, accent.darker(125)


def banner_colours(status: str, palette: QPalette) -> tuple[QColor, QColor]:
    """Background and text colour of a banner in a status's colour: the badge's wash laid
    opaque over the window's colour, so light and dark palettes each get a matching banner."""
    wash, text = badge_colours(status, palette)
    window = palette.color(QPalette.ColorRole.Window)
    alpha = wash.alphaF()

    def mix(over: float, under: float) -> float:
        return over * alpha + under * (1 - alpha)

    background = QColor.fromRgbF(
        mix(wash.redF(), window.redF()),
        mix(wash.greenF(), window.greenF()),
        mix(wash.blueF(), window.blueF()),
    )
    return background, text


# States whose rows stay untinted: fine, or not the rep's to act on.
_UNTINTED = QUIET_STATUSES | {"personal", "archived"}


def row_tint(status: str, palette: QPalette) -> QColor | None:
    """A faint wash of the status colour for rows that need attention (None: leave the row
    alone); stronger on dark palettes, where a light tint would vanish."""
    if status in _UNTINTED or status not in _STATUS_ACCENTS:
        return None
    tint = QColor(_STATUS_ACCENTS[status])
    tint.setAlpha(45 if is_dark(palette) else 22)
    return tint


def paint_badge(
    painter: QPainter,
    rect: QRectF,
    status: str,
    palette: QPalette,
    font: QFont,
    *,
    on_selection: bool = False,
    label: str | None = None,
) -> None:
    """A rounded pill with the status label (or ``label``, in the status's colours), vertically
    centred in ``rect``, left-aligned.

    On a selected row the pill turns into the selection's own colours, so it stays readable.
    """
    label = status_label(status) if label is None else label
    badge_font = QFont(font)
    badge_font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
    badge_font.setWeight(QFont.Weight.DemiBold)
    painter.save()
    painter.setFont(badge_font)
    metrics = painter.fontMetrics()
    width = metrics.horizontalAdvance(label) + 14
    height = metrics.height() + 4
    pill = QRectF(rect.left(), rect.center().y() - height / 2, min(width, rect.width()), height)
    if on_selection:
        foreground = palette.color(QPalette.ColorRole.HighlightedText)
        background = QColor(foreground)
        background.setAlpha(50)
    else:
        background, foreground = badge_colours(status, palette)
    path = QPainterPath()
    path.addRoundedRect(pill, height / 2, height / 2)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillPath(path, background)
    painter.setPen(foreground)
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
    painter.restore()
