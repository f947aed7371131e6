"""Word, PowerPoint and Excel files (OOXML), read straight from their XML parts.

Streaming lxml iterparse over the zip members is several times faster than python-docx,
python-pptx or openpyxl on the same files, and keeps memory flat on large parts.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Final

from lxml import etree

from fieldkit.core.extract.model import (
    DAMAGED,
    Extracted,
    ExtractionFailed,
    TextBudget,
    Unit,
    UnitText,
    finish,
)
from fieldkit.core.extract.safexml import SafeZip, drop_done, iterparse, local, own_text

MAX_CELLS: Final = 2_000_000  # cells with a value read per workbook
MAX_SHARED_STRING_CHARS_FACTOR: Final = 4  # shared strings kept, in multiples of the text budget

_DC_TITLE: Final = "{http://purl.org/dc/elements/1.1/}title"
_HEADING_STYLE: Final = re.compile(r"^(title|heading|berschrift|titre|titel|kop)", re.IGNORECASE)
_SKIPPED_PLACEHOLDERS: Final = frozenset({"sldNum", "dt"})
_TITLE_PLACEHOLDERS: Final = frozenset({"title", "ctrTitle"})
_SLIDE_PART: Final = re.compile(r"ppt/slides/slide(\d+)\.xml$")


@dataclass(frozen=True)
class Rel:
    type: str  # the last segment of the relationship type URI, e.g. "slide"
    target: str  # the part's name inside the zip


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def relationships(zf: SafeZip, part: str) -> dict[str, Rel]:
    """The relationships of ``part`` (``""`` for the package), keyed by id; {} if it has none."""
    rels_name = "_rels/.rels" if not part else _rels_name(part)
    if not zf.has(rels_name):
        return {}
    root = zf.parse(rels_name)
    folder = posixpath.dirname(part)
    found: dict[str, Rel] = {}
    for rel in root:
        if local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        rel_id, rel_type, target = rel.get("Id"), rel.get("Type"), rel.get("Target")
        if not rel_id or not rel_type or not target:
            continue
        if target.startswith("/"):
            name = target.lstrip("/")
        else:
            name = posixpath.normpath(posixpath.join(folder, target))
        found[rel_id] = Rel(rel_type.rpartition("/")[2], name)
    return found


def _main_part(zf: SafeZip, default: str) -> str:
    for rel in relationships(zf, "").values():
        if rel.type == "officeDocument" and zf.has(rel.target):
            return rel.target
    if zf.has(default):
        return default
    raise ExtractionFailed(DAMAGED, f"no {default}")


def core_title(zf: SafeZip) -> str | None:
    name = next(
        (r.target for r in relationships(zf, "").values() if r.type == "core-properties"),
        "docProps/core.xml",
    )
    if not zf.has(name):
        return None
    try:
        root = zf.parse(name)
    except ExtractionFailed:
        return None  # damaged metadata costs the title, not the document
    title = root.findtext(_DC_TITLE)
    return str(title) if title else None


def _r_id(elem: etree._Element) -> str | None:
    """The r:id attribute in either the transitional or the strict namespace."""
    for key, value in elem.attrib.items():
        if local(key) == "id" and "relationships" in str(key):
            return str(value)
    return None


# ---------------------------------------------------------------------------------------- Word


def _word_part(zf: SafeZip, part: str, out: UnitText, want_heading: bool) -> str | None:
    """Streams the paragraphs of one Word part into ``out``; returns its first heading."""
    heading: str | None = None
    pieces: list[str] = []
    style = ""
    skip = 0  # inside mc:Fallback, which repeats the text of the mc:Choice before it
    tags = ("{*}t", "{*}tab", "{*}br", "{*}cr", "{*}p", "{*}pStyle", "{*}Fallback")
    with zf.open(part) as source:
        for event, elem in iterparse(source, tags, ("start", "end")):
            name = local(elem.tag)
            if name == "Fallback":
                skip += 1 if event == "start" else -1
                continue
            if event == "start" or skip:
                continue
            if name == "t":
                pieces.append(own_text(elem))
            elif name == "p":
                line = "".join(pieces).strip()
                pieces.clear()
                if want_heading and heading is None and line and _HEADING_STYLE.match(style):
                    heading = line
                style = ""
                drop_done(elem)
                if not out.line(line):
                    break
            elif name == "pStyle":
                style = next((str(v) for k, v in elem.attrib.items() if local(k) == "val"), "")
            elif name == "tab":
                parent = elem.getparent()
                if parent is None or local(parent.tag) != "tabs":
                    pieces.append("\t")
            else:
                pieces.append("\n")
    return heading


def extract_docx(zf: SafeZip, stem: str, budget: TextBudget) -> Extracted:
    main = _main_part(zf, "word/document.xml")
    out = UnitText(budget)
    heading = _word_part(zf, main, out, want_heading=True)
    rels = relationships(zf, main)
    extras = ("header", "footer", "footnotes", "endnotes")
    parts = sorted({r.target for r in rels.values() if r.type in extras and zf.has(r.target)})
    seen: set[str] = set()
    for part in parts:
        if budget.truncated:
            break
        part_out = UnitText(budget)
        _word_part(zf, part, part_out, want_heading=False)
        text = part_out.text()
        if text in seen:  # the same header on every section
            budget.left += len(text)
        else:
            seen.add(text)
            out.parts.append(text)
    title = core_title(zf) or heading
    return finish("docx", title, stem, [Unit(None, None, out.text())], budget)


# ----------------------------------------------------------------------------------- PowerPoint


def _drawing_part(zf: SafeZip, part: str, out: UnitText) -> str | None:
    """Streams the text of one slide or notes part into ``out``; returns the title placeholder's."""
    title: list[str] = []
    pieces: list[str] = []
    placeholder = ""
    skip = 0
    tags = ("{*}t", "{*}br", "{*}p", "{*}ph", "{*}sp", "{*}Fallback")
    with zf.open(part) as source:
        for event, elem in iterparse(source, tags, ("start", "end")):
            name = local(elem.tag)
            if name == "Fallback":
                skip += 1 if event == "start" else -1
                continue
            if name == "sp":
                placeholder = ""
                if event == "end":
                    drop_done(elem)
                continue
            if event == "start" or skip:
                continue
            if name == "t":
                pieces.append(own_text(elem))
            elif name == "br":
                pieces.append("\n")
            elif name == "ph":
                placeholder = elem.get("type", "body")
            elif name == "p":
                line = "".join(pieces).strip()
                pieces.clear()
                if placeholder in _SKIPPED_PLACEHOLDERS:
                    continue
                if placeholder in _TITLE_PLACEHOLDERS and line:
                    title.append(line)
                if not out.line(line):
                    break
    return " ".join(title) or None


def _slide_parts(zf: SafeZip, presentation: str) -> list[str]:
    """Slide part names in show order: the presentation's list, else the slide file numbers."""
    rels = relationships(zf, presentation)
    try:
        root = zf.parse(presentation)
    except ExtractionFailed:
        root = None
    ordered: list[str] = []
    if root is not None:
        for elem in root.iter("{*}sldId"):
            rel = rels.get(_r_id(elem) or "")
            if rel is not None and rel.type == "slide" and zf.has(rel.target):
                ordered.append(rel.target)
    if ordered:
        return ordered
    numbered = [(int(m.group(1)), n) for n in zf.names() if (m := _SLIDE_PART.match(n))]
    return [name for _, name in sorted(numbered)]


def extract_pptx(zf: SafeZip, stem: str, budget: TextBudget) -> Extracted:
    presentation = _main_part(zf, "ppt/presentation.xml")
    units: list[Unit] = []
    first_title: str | None = None
    for number, part in enumerate(_slide_parts(zf, presentation), start=1):
        if budget.truncated:
            break
        out = UnitText(budget)
        label = _drawing_part(zf, part, out)
        for rel in relationships(zf, part).values():
            # speaker notes, and the text of SmartArt diagrams
            if rel.type in ("notesSlide", "diagramData") and zf.has(rel.target):
                if budget.truncated:
                    break
                _drawing_part(zf, rel.target, out)
        if first_title is None:
            first_title = label
        units.append(Unit("slide", number, out.text(), label))
    title = core_title(zf) or first_title
    return finish("pptx", title, stem, units, budget)


# ---------------------------------------------------------------------------------------- Excel


def _rich_text(elem: etree._Element) -> str:
    """The text of a shared or inline string, without its phonetic (rPh) runs."""
    parts = []
    for t in elem.iter("{*}t"):
        parent = t.getparent()
        if parent is None or local(parent.tag) != "rPh":
            parts.append(own_text(t))
    return "".join(parts)


def _shared_strings(zf: SafeZip, part: str | None, max_chars: int) -> tuple[list[str], bool]:
    """The shared string table, cut at ``max_chars`` characters; True when cut."""
    if part is None or not zf.has(part):
        return [], False
    strings: list[str] = []
    left = max_chars
    with zf.open(part) as source:
        for _, si in iterparse(source, ("{*}si",)):
            text = _rich_text(si)
            drop_done(si)
            left -= len(text)
            if left < 0:
                return strings, True
            strings.append(text)
    return strings, False


@dataclass
class _CellCount:
    left: int


def _sheet_text(
    zf: SafeZip, part: str, strings: list[str], out: UnitText, cells: _CellCount
) -> None:
    row: list[str] = []
    with zf.open(part) as source:
        for _, elem in iterparse(source, ("{*}c", "{*}row")):
            if local(elem.tag) == "row":
                drop_done(elem)
                if not out.line("\t".join(row)):
                    return
                row = []
                continue
            value = _cell_value(elem, strings)
            elem.clear(keep_tail=True)
            if value:
                row.append(value)
                cells.left -= 1
                if cells.left <= 0:
                    out.budget.truncated = True
                    break
    out.line("\t".join(row))


def _cell_value(cell: etree._Element, strings: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(_rich_text(child) for child in cell if local(child.tag) == "is")
    if kind in ("b", "e"):
        return ""
    raw = next((child.text for child in cell if local(child.tag) == "v"), None)
    if raw is None:
        return ""
    if kind == "s":
        try:
            index = int(raw)
        except ValueError:
            return ""
        return strings[index] if 0 <= index < len(strings) else ""
    return str(raw).strip()


def extract_xlsx(zf: SafeZip, stem: str, budget: TextBudget) -> Extracted:
    workbook = _main_part(zf, "xl/workbook.xml")
    rels = relationships(zf, workbook)
    shared = next((r.target for r in rels.values() if r.type == "sharedStrings"), None)
    strings, cut = _shared_strings(
        zf, shared, MAX_SHARED_STRING_CHARS_FACTOR * max(budget.left, 1)
    )
    root = zf.parse(workbook)
    cells = _CellCount(MAX_CELLS)
    units: list[Unit] = []
    for number, sheet in enumerate(root.iter("{*}sheet"), start=1):
        if budget.truncated:
            break
        rel = rels.get(_r_id(sheet) or "")
        if rel is None or rel.type != "worksheet" or not zf.has(rel.target):
            continue
        out = UnitText(budget)
        _sheet_text(zf, rel.target, strings, out, cells)
        units.append(Unit("sheet", number, out.text(), sheet.get("name")))
    if cut:
        budget.truncated = True
    return finish("xlsx", core_title(zf), stem, units, budget)
