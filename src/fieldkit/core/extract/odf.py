"""OpenDocument text, presentations and spreadsheets, streamed from content.xml."""

from __future__ import annotations

from typing import Final

from lxml import etree

from fieldkit.core.extract.model import (
    PASSWORD_PROTECTED,
    Extracted,
    ExtractionFailed,
    TextBudget,
    Unit,
    UnitText,
    finish,
)
from fieldkit.core.extract.safexml import SafeZip, drop_done, iterparse

_TEXT: Final = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_DRAW: Final = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_TABLE: Final = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE: Final = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_PRESENTATION: Final = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_DC_TITLE: Final = "{http://purl.org/dc/elements/1.1/}title"

_P: Final = _TEXT + "p"
_H: Final = _TEXT + "h"
_SPACE: Final = _TEXT + "s"
_TAB: Final = _TEXT + "tab"
_LINE_BREAK: Final = _TEXT + "line-break"
_PAGE: Final = _DRAW + "page"
_FRAME: Final = _DRAW + "frame"
_SHEET: Final = _TABLE + "table"
_ROW: Final = _TABLE + "table-row"
_CELLS: Final = frozenset({_TABLE + "table-cell", _TABLE + "covered-table-cell"})
_SPREADSHEET: Final = _OFFICE + "spreadsheet"
_CLASS: Final = _PRESENTATION + "class"
_NAME: Final = _TABLE + "name"


def paragraph_text(elem: etree._Element) -> str:
    """The text of a text:p or text:h, with its spans, spaces, tabs and line breaks."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            out.append(node.text)
        for child in node:
            tag = child.tag
            if tag == _SPACE:
                out.append(" ")
            elif tag == _TAB:
                out.append("\t")
            elif tag == _LINE_BREAK:
                out.append("\n")
            elif isinstance(tag, str):
                walk(child)
            if child.tail:
                out.append(child.tail)

    walk(elem)
    return "".join(out).strip()


def _check_not_encrypted(zf: SafeZip) -> None:
    manifest = "META-INF/manifest.xml"
    if zf.has(manifest) and b"encryption-data" in zf.read(manifest):
        raise ExtractionFailed(PASSWORD_PROTECTED, "encrypted OpenDocument")


def _meta_title(zf: SafeZip) -> str | None:
    if not zf.has("meta.xml"):
        return None
    try:
        title = zf.parse("meta.xml").findtext(f".//{_DC_TITLE}")
    except ExtractionFailed:
        return None
    return str(title) if title else None


def _text(zf: SafeZip, budget: TextBudget) -> tuple[str, str | None]:
    out = UnitText(budget)
    heading: str | None = None
    depth = 0
    with zf.open("content.xml") as source:
        for event, elem in iterparse(source, (_P, _H), ("start", "end")):
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth:
                continue  # a paragraph inside a frame or note: its outer paragraph reads it
            line = paragraph_text(elem)
            if heading is None and elem.tag == _H and line:
                heading = line
            drop_done(elem)
            if not out.line(line):
                break
    return out.text(), heading


def _slides(zf: SafeZip, budget: TextBudget) -> list[Unit]:
    units: list[Unit] = []
    out = UnitText(budget)
    title: list[str] = []
    in_title = 0
    depth = 0
    tags = (_PAGE, _FRAME, _P, _H)
    with zf.open("content.xml") as source:
        for event, elem in iterparse(source, tags, ("start", "end")):
            tag = elem.tag
            if tag == _PAGE:
                if event == "end":
                    units.append(Unit("slide", len(units) + 1, out.text(), " ".join(title) or None))
                    drop_done(elem)
                    if budget.truncated:
                        break
                out, title = UnitText(budget), []
            elif tag == _FRAME:
                if elem.get(_CLASS) == "title":
                    in_title += 1 if event == "start" else -1
            elif event == "start":
                depth += 1
            else:
                depth -= 1
                if depth:
                    continue
                line = paragraph_text(elem)
                if in_title and line:
                    title.append(line)
                out.line(line)
    return units


def _sheets(zf: SafeZip, budget: TextBudget) -> list[Unit]:
    units: list[Unit] = []
    out = UnitText(budget)
    name: str | None = None
    number = 0
    with zf.open("content.xml") as source:
        for event, elem in iterparse(source, (_SHEET, _ROW), ("start", "end")):
            if elem.tag == _ROW:
                if event == "end":
                    cells = ("\n".join(_cell_lines(cell)) for cell in elem if cell.tag in _CELLS)
                    line = "\t".join(c for c in cells if c)
                    drop_done(elem)
                    if not out.line(line):
                        break
                continue
            parent = elem.getparent()
            if parent is None or parent.tag != _SPREADSHEET:
                continue  # a table inside a cell, not a sheet
            if event == "start":
                number += 1
                out, name = UnitText(budget), elem.get(_NAME)
            else:
                units.append(Unit("sheet", number, out.text(), name))
                drop_done(elem)
    if budget.truncated and (not units or units[-1].number != number):
        units.append(Unit("sheet", number, out.text(), name))
    return units


def _cell_lines(cell: etree._Element) -> list[str]:
    return [text for p in cell if p.tag in (_P, _H) and (text := paragraph_text(p))]


def extract_odf(fmt: str, zf: SafeZip, stem: str, budget: TextBudget) -> Extracted:
    _check_not_encrypted(zf)
    title = _meta_title(zf)
    units: list[Unit]
    if fmt == "odp":
        units = _slides(zf, budget)
    elif fmt == "ods":
        units = _sheets(zf, budget)
    else:
        text, heading = _text(zf, budget)
        title = title or heading
        units = [Unit(None, None, text)]
    return finish(fmt, title, stem, units, budget)
