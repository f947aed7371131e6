"""Builders for the documents the extraction tests read, all written under a test's tmp_path."""

from __future__ import annotations

import struct
import zipfile
from email.message import EmailMessage
from pathlib import Path

import docx
import openpyxl
import pptx
from fpdf import FPDF
from pptx.util import Inches

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def pdf(
    path: Path, pages: list[str], title: str | None = None, password: str | None = None
) -> Path:
    doc = FPDF()
    doc.set_font("helvetica", size=12)
    if title:
        doc.set_title(title)
    if password:
        doc.set_encryption(owner_password="owner-" + password, user_password=password)
    for text in pages:
        doc.add_page()
        doc.multi_cell(0, 8, text)
    doc.output(str(path))
    return path


def many_page_pdf(path: Path, pages: int) -> Path:
    doc = FPDF()
    doc.set_font("helvetica", size=10)
    for number in range(pages):
        doc.add_page()
        for line in range(40):
            doc.cell(0, 6, f"page {number} line {line} quarterly pricing for the northern region")
            doc.ln()
    doc.output(str(path))
    return path


def docx_file(path: Path, title: str | None = None) -> Path:
    document = docx.Document()
    document.core_properties.title = title or ""
    document.add_heading("Spring Campaign Overview", level=1)
    document.add_paragraph("Our widgets reduce churn by a third.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Region"
    table.cell(0, 1).text = "Discount"
    table.cell(1, 0).text = "Nordics"
    table.cell(1, 1).text = "12 percent"
    section = document.sections[0]
    section.header.paragraphs[0].text = "Confidential header text"
    section.footer.paragraphs[0].text = "Footer for partners"
    document.save(str(path))
    return path


def pptx_file(path: Path, title: str | None = None) -> Path:
    deck = pptx.Presentation()
    if title:
        deck.core_properties.title = title
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Pricing Strategy"
    first.placeholders[1].text = "Bundles beat discounts"
    first.notes_slide.notes_text_frame.text = "Speaker note: mention the loyalty scheme"
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Regional Figures"
    frame = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(2))
    frame.table.cell(0, 0).text = "Benelux"
    frame.table.cell(1, 1).text = "forty thousand"
    third = deck.slides.add_slide(deck.slide_layouts[6])
    box = third.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    box.text_frame.text = "Closing thoughts without a title"
    deck.save(str(path))
    return path


def xlsx_file(path: Path, title: str | None = None) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Prices"
    first.append(["Product", "Price"])
    first.append(["Widget", 12.5])
    first.append(["Gadget", 99])
    second = book.create_sheet("Contacts")
    second.append(["Name", "City"])
    second.append(["Ada Lovelace", "London"])
    if title:
        book.properties.title = title
    book.save(str(path))
    return path


def write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
_ODF_MIME = {
    "odt": "application/vnd.oasis.opendocument.text",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def odf_file(path: Path, kind: str, body: str, title: str | None = None) -> Path:
    content = f'<office:document-content {_ODF_NS}><office:body>{body}</office:body>'
    content += "</office:document-content>"
    meta = f'<office:document-meta {_ODF_NS}><office:meta>'
    meta += f"<dc:title>{title}</dc:title>" if title else ""
    meta += "</office:meta></office:document-meta>"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", _ODF_MIME[kind], compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("meta.xml", meta, compress_type=zipfile.ZIP_DEFLATED)
    return path


def odt_body() -> str:
    return (
        "<office:text><text:h>Field Guide</text:h>"
        "<text:p>First<text:s/>paragraph with <text:span>styled</text:span> words.</text:p>"
        "<text:p>Tab<text:tab/>separated<text:line-break/>and broken</text:p></office:text>"
    )


def odp_body() -> str:
    def slide(name: str, heading: str, text: str) -> str:
        return (
            f'<draw:page draw:name="{name}">'
            f'<draw:frame presentation:class="title"><draw:text-box><text:p>{heading}</text:p>'
            "</draw:text-box></draw:frame>"
            f"<draw:frame><draw:text-box><text:p>{text}</text:p></draw:text-box></draw:frame>"
            "</draw:page>"
        )

    return (
        "<office:presentation>"
        + slide("page1", "Launch Plan", "Milestones for the launch")
        + slide("page2", "Budget", "Spending by quarter")
        + "</office:presentation>"
    )


def ods_body() -> str:
    def row(*cells: str) -> str:
        return (
            "<table:table-row>"
            + "".join(f"<table:table-cell><text:p>{c}</text:p></table:table-cell>" for c in cells)
            + "</table:table-row>"
        )

    empty_rows = '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/>'
    empty_rows += "</table:table-row>"
    return (
        '<office:spreadsheet><table:table table:name="Stock">'
        + row("Item", "Count")
        + row("Bolts", "400")
        + empty_rows
        + '</table:table><table:table table:name="Suppliers">'
        + row("Acme Corp", "Springfield")
        + "</table:table></office:spreadsheet>"
    )


def eml_file(path: Path, plain: str | None, html: str | None, subject: str) -> Path:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "Dana Seller <dana@example.com>"
    message["To"] = "team@example.com"
    if plain is not None:
        message.set_content(plain)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    path.write_bytes(bytes(message))
    return path


def ole_file(path: Path, stream_name: str, stream: bytes) -> Path:
    """A minimal OLE2 compound file holding one stream of at least 4096 bytes."""
    sector = 512
    stream = stream.ljust(4096, b"\0")
    data_sectors = (len(stream) + sector - 1) // sector
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    fat = [fat_sector, end] + [3 + i for i in range(data_sectors - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<I", header, 76, 0)  # the FAT lives in sector 0
    header[80:sector] = b"\xff" * (sector - 80)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, free, free, child)
        struct.pack_into("<II", raw, 116, start, size)
        return bytes(raw)

    directory = entry("Root Entry", 5, 1, end, 0) + entry(stream_name, 2, free, 2, len(stream))
    directory = directory.ljust(sector, b"\0")
    body = bytes(header) + struct.pack(f"<{sector // 4}I", *fat) + directory + stream
    path.write_bytes(body.ljust(sector * (3 + data_sectors), b"\0"))
    return path


def word_fib(encrypted: bool) -> bytes:
    """The start of a WordDocument stream: the FIB magic and its flags word."""
    flags = 0x0100 if encrypted else 0
    return struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0, 0, 0, flags)
