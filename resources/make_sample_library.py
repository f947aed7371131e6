"""Generate the demo sales library of Halyard Analytics, a fictional data-platform company.

Writes two folders under the output directory (default: the folder holding this script):

- ``sample-library/``: the approved content a hub serves, with ``.meta.toml`` sidecars;
- ``sample-history/``: older versions of three documents, at the same relative paths, for the
  demo to publish first and then replace with the newer ones.

The output is byte-for-byte reproducible: every date in the files is fixed, and the Office
files are rewritten as zips with fixed entry timestamps. Both folders are deleted and rebuilt
on every run. ``resources/SAMPLE_LIBRARY.md`` describes the company, the files and the states
each one demonstrates.

Usage: ``.venv/bin/python resources/make_sample_library.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from pptx import Presentation
from pptx.slide import Slide as PptxSlide
from pptx.util import Inches
from pptx.util import Pt as PptxPt

LIBRARY = "sample-library"
HISTORY = "sample-history"
COMPANY = "Halyard Analytics"
AUTHOR = "Halyard Analytics Product Marketing"
SIDECAR_SUFFIX = ".meta.toml"


# --------------------------------------------------------------------------- building blocks


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # the first row is the header
    widths: tuple[int, ...] = ()  # relative column widths (PDF only)


@dataclass(frozen=True)
class Quote:
    text: str
    source: str


Block = Heading | Para | Bullets | Table | Quote
Cell = str | float | int | None  # a spreadsheet cell; None leaves it empty


@dataclass(frozen=True)
class Slide:
    title: str
    bullets: tuple[str, ...] = ()  # an item starting with two spaces is a second-level bullet
    table: tuple[tuple[str, ...], ...] = ()
    notes: str = ""
    subtitle: str = ""  # set only on a title slide


@dataclass(frozen=True)
class Sheet:
    name: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[int, ...]
    money_columns: tuple[int, ...] = ()  # zero-based columns formatted as currency
    percent_columns: tuple[int, ...] = ()


@dataclass(frozen=True)
class Sidecar:
    """The documented sidecar keys (see notes/HUB_API.md, "Sidecar metadata")."""

    title: str | None = None
    tags: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    released: date | None = None
    expires: date | None = None
    withdrawn: str | None = None  # the reason; absent means not withdrawn
    superseded_by: str | None = None
    notes: str | None = None

    def to_toml(self) -> str:
        lines: list[str] = []
        for key in ("title", "tags", "audience", "released", "expires", "withdrawn",
                    "superseded_by", "notes"):
            value = getattr(self, key)
            if value is None or value == ():
                continue
            if isinstance(value, date):
                rendered = value.isoformat()
            elif isinstance(value, tuple):
                rendered = "[" + ", ".join(_toml_string(v) for v in value) + "]"
            else:
                rendered = _toml_string(value)
            lines.append(f"{key} = {rendered}")
        return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    # A JSON string without ASCII escaping is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Doc:
    path: str  # POSIX, relative to the library root
    when: datetime  # creation and modification time recorded inside the file
    write: Callable[[Path, Doc], None]
    title: str
    subject: str
    keywords: tuple[str, ...] = ()
    sidecar: Sidecar | None = None


def at(day: str) -> datetime:
    """A fixed publication time: 09:00 UTC on the given ISO day."""
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


# --------------------------------------------------------------------------- writers


def normalize_zip(path: Path, when: datetime) -> None:
    """Rewrite an OOXML package so the same input always gives the same bytes.

    openpyxl stamps the save time into docProps/core.xml and zipfile stamps the wall clock on
    every entry; both are replaced by ``when``. Entry order is kept ([Content_Types].xml first).
    """
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    path.write_bytes(out.getvalue())


def write_pptx(path: Path, doc: Doc, content: Sequence[Slide]) -> None:
    prs = Presentation()
    props = prs.core_properties
    props.title, props.subject, props.author = doc.title, doc.subject, AUTHOR
    props.keywords = ", ".join(doc.keywords)
    props.last_modified_by, props.revision = AUTHOR, 1
    props.comments = ""
    props.created = props.modified = doc.when.replace(tzinfo=None)
    for spec in content:
        if spec.subtitle:
            slide = prs.slides.add_slide(prs.slide_layouts[0])
            slide.shapes.title.text = spec.title
            slide.placeholders[1].text = spec.subtitle
        elif spec.table:
            slide = prs.slides.add_slide(prs.slide_layouts[5])
            slide.shapes.title.text = spec.title
            _pptx_table(slide, spec.table)
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[1])
            slide.shapes.title.text = spec.title
            frame = slide.placeholders[1].text_frame
            for i, item in enumerate(spec.bullets):
                paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                paragraph.text = item.strip()
                paragraph.level = 1 if item.startswith("  ") else 0
                paragraph.font.size = PptxPt(16 if paragraph.level else 20)
        if spec.notes:
            slide.notes_slide.notes_text_frame.text = spec.notes
    prs.save(str(path))
    normalize_zip(path, doc.when)


def _pptx_table(slide: PptxSlide, rows: tuple[tuple[str, ...], ...]) -> None:
    columns = len(rows[0])
    shape = slide.shapes.add_table(
        len(rows), columns, Inches(0.4), Inches(1.7), Inches(9.2), Inches(0.5 * len(rows))
    )
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = shape.table.cell(r, c)
            cell.text = text
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = PptxPt(14 if r else 15)


class _SheetPdf(FPDF):
    """A4 marketing sheet: a coloured band with the company name, a footer with page numbers."""

    def __init__(self, kind: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.kind = kind
        self.set_margins(18, 22, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def header(self) -> None:
        self.set_fill_color(16, 58, 92)
        self.rect(0, 0, self.w, 13, style="F")
        self.set_text_color(255, 255, 255)
        self.set_font("Helvetica", "B", 10)
        self.set_xy(18, 4)
        self.cell(80, 5, COMPANY.upper())
        self.set_font("Helvetica", "", 9)
        self.cell(0, 5, self.kind, align="R")
        self.set_text_color(30, 30, 30)
        self.set_y(22)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{COMPANY} \xb7 halyard.example \xb7 Page {self.page_no()} of {{nb}}",
                  align="C")


def write_pdf(path: Path, doc: Doc, content: tuple[str, Sequence[Sequence[Block]]]) -> None:
    """``content`` is the kind shown in the page band and the blocks of each page."""
    kind, pages = content
    pdf = _SheetPdf(kind)
    pdf.set_title(doc.title)
    pdf.set_subject(doc.subject)
    pdf.set_author(AUTHOR)
    pdf.set_keywords(", ".join(doc.keywords))
    pdf.set_creator(AUTHOR)
    pdf.set_producer(f"{COMPANY} sample library generator")
    pdf.set_lang("en")
    pdf.set_creation_date(doc.when)
    for number, blocks in enumerate(pages, start=1):
        pdf.add_page()
        if number == 1:
            pdf.set_font("Helvetica", "B", 20)
            pdf.set_text_color(16, 58, 92)
            pdf.multi_cell(0, 9, _latin1(doc.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(30, 30, 30)
            pdf.ln(2)
        for block in blocks:
            _pdf_block(pdf, block)
        if pdf.page_no() != number:
            raise SystemExit(f"{doc.path}: page {number} overflows; shorten it")
    pdf.output(str(path))


def _latin1(text: str) -> str:
    text.encode("latin-1")  # the PDF core fonts only cover latin-1: fail loudly otherwise
    return text


def _pdf_block(pdf: FPDF, block: Block) -> None:
    if isinstance(block, Heading):
        pdf.ln(1)
        pdf.set_font("Helvetica", "B", 12.5)
        pdf.set_text_color(16, 58, 92)
        pdf.multi_cell(0, 6.5, _latin1(block.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(30, 30, 30)
        pdf.ln(0.5)
    elif isinstance(block, Para):
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, _latin1(block.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
    elif isinstance(block, Bullets):
        pdf.set_font("Helvetica", "", 10)
        for item in block.items:
            pdf.set_x(pdf.l_margin + 2)
            pdf.cell(4, 5, "\xb7")
            pdf.multi_cell(0, 5, _latin1(item), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(0.6)
        pdf.ln(1)
    elif isinstance(block, Table):
        pdf.set_font("Helvetica", "", 9)
        widths = block.widths or None
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.8,
                       padding=1.2) as table:
            for row in block.rows:
                cells = table.row()
                for text in row:
                    cells.cell(_latin1(text))
        pdf.ln(2.5)
    else:
        pdf.set_font("Helvetica", "I", 10.5)
        pdf.set_x(pdf.l_margin + 6)
        pdf.multi_cell(pdf.epw - 12, 5.2, _latin1(f'"{block.text}"'),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 9)
        pdf.set_x(pdf.l_margin + 6)
        pdf.multi_cell(pdf.epw - 12, 5, _latin1(f"- {block.source}"),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)


def write_docx(path: Path, doc: Doc, content: tuple[str, Sequence[Block]]) -> None:
    """``content`` is the kind shown in the page header and the blocks of the body."""
    kind, blocks = content
    document = docx.Document()
    props = document.core_properties
    props.title, props.subject, props.author = doc.title, doc.subject, AUTHOR
    props.keywords = ", ".join(doc.keywords)
    props.last_modified_by, props.revision, props.comments = AUTHOR, 1, ""
    props.created = props.modified = doc.when
    section = document.sections[0]
    section.header.paragraphs[0].text = f"{COMPANY} \u00b7 {kind}"
    footer = section.footer.paragraphs[0]
    footer.text = (f"\u00a9 2026 {COMPANY}. Approved for external use. "
                   "Customer names and figures used with permission.")
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading(doc.title, level=0)
    for block in blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=1)
        elif isinstance(block, Para):
            document.add_paragraph(block.text)
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table):
            table = document.add_table(rows=0, cols=len(block.rows[0]))
            table.style = "Light Grid Accent 1"
            for row in block.rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
            document.add_paragraph()
        else:
            document.add_paragraph(block.text, style="Intense Quote")
            source = document.add_paragraph(f"\u2014 {block.source}")
            source.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            source.runs[0].font.size = Pt(10)
    document.save(str(path))
    normalize_zip(path, doc.when)


def write_xlsx(path: Path, doc: Doc, content: Sequence[Sheet]) -> None:
    workbook = Workbook()
    props = workbook.properties
    props.title, props.subject, props.creator = doc.title, doc.subject, AUTHOR
    props.keywords = ", ".join(doc.keywords)
    props.lastModifiedBy = AUTHOR
    props.created = props.modified = doc.when.replace(tzinfo=None)
    workbook.remove(workbook.active)
    header_fill = PatternFill("solid", fgColor="103A5C")
    for spec in content:
        ws = workbook.create_sheet(spec.name)
        ws["A1"] = spec.caption
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([])
        ws.append(list(spec.header))
        for cell in ws[3]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for row in spec.rows:
            ws.append(list(row))
        for r in range(4, 4 + len(spec.rows)):
            for c in spec.money_columns:
                ws.cell(row=r, column=c + 1).number_format = "#,##0.00"
            for c in spec.percent_columns:
                ws.cell(row=r, column=c + 1).number_format = "0%"
        for c, width in enumerate(spec.widths):
            ws.column_dimensions[chr(ord("A") + c)].width = width
        ws.freeze_panes = "A4"
    workbook.save(str(path))
    normalize_zip(path, doc.when)


def write_text(path: Path, doc: Doc, content: str) -> None:
    path.write_bytes(content.encode("utf-8"))


# --------------------------------------------------------------------------- Decks

OVERVIEW_V2 = (
    Slide(
        "Halyard Data Platform",
        subtitle="One governed place for every number your business runs on\n"
        "Product overview \u00b7 November 2026",
        notes="Open with the customer's own words from discovery. This deck replaces the "
        "January sales-kickoff version: it adds Halyard Edge, the 2026 customer results and "
        "the 2027 roadmap.",
    ),
    Slide(
        "Why teams come to us",
        bullets=(
            "Data lives in 30+ systems: ERP, point of sale, CRM, EHR and spreadsheets",
            "Reports disagree, so meetings start by reconciling numbers",
            "Security reviews hold up every new dashboard for weeks",
            "Analytics cloud bills grow faster than the business",
        ),
        notes="Ask which of these four costs them most today. Most pick the second one. Let "
        "them tell the story before you show anything.",
    ),
    Slide(
        "The Halyard Data Platform",
        bullets=(
            "Halyard Ingest: 180+ connectors, change data capture, streaming",
            "Halyard Lakehouse: open Apache Iceberg tables, one copy of the data",
            "Halyard Studio: dashboards and a shared metrics layer",
            "Halyard Sentinel: catalog, lineage, masking, audit",
            "Halyard Edge: analytics in the store, the café and the clinic",
            "  Sold as one subscription, metered in Halyard Compute Units (HCU)",
        ),
        notes="Five modules, one subscription. Customers usually start with Ingest, "
        "Lakehouse and Studio and add Sentinel at the first security review.",
    ),
    Slide(
        "Under the hood: the Tidewater query engine",
        bullets=(
            "Vectorised, columnar execution on open Iceberg tables",
            "Median dashboard query 0.8 s on 10 billion rows (TPC-DS 10 TB, internal run)",
            "Spend guardrails: a compute budget per team, paused automatically at the cap",
            "Runs in your AWS, Azure or Google Cloud account, or in our EU-hosted tenant",
        ),
        notes="Tidewater is the engine's name; customers rarely need it, but technical "
        "buyers ask what we built versus licensed. We built it. The benchmark is ours; "
        "offer the run book rather than quoting the number as a guarantee.",
    ),
    Slide(
        "Halyard Edge: analytics that keep working when the network does not",
        bullets=(
            "A small node in each store, café or clinic syncs with the Lakehouse",
            "Keeps dashboards and alerts running for 72 hours offline",
            "Reads the point-of-sale and scale data on site, in real time",
            "  Café Lumière runs Edge in 86 cafés in Belgium and France",
        ),
        notes="New in this version of the deck. Edge is sold per site; see the current price "
        "sheet. Retail and hospitality prospects respond to the offline story first.",
    ),
    Slide(
        "Governance built in, not bolted on",
        bullets=(
            "One catalog with lineage from source column to dashboard tile",
            "Row-level security and column masking defined once, enforced everywhere",
            "Every query audited; exports to your SIEM",
            "SOC 2 Type II, ISO/IEC 27001 and 27701; HIPAA BAA available",
        ),
        notes="If a security reviewer is in the room, offer the Security and Compliance "
        "Briefing deck and the Sentinel data sheet.",
    ),
    Slide(
        "Customer results",
        table=(
            ("Customer", "Industry", "Result"),
            ("St. Aldric Health Network", "Healthcare",
             "Readmission reports in 4 hours, not 9 days"),
            ("Harborline Grocers", "Retail", "Shrink down 11% across 212 stores"),
            ("Société Financière du Rhône", "Financial services",
             "DORA register of information delivered 6 weeks early"),
            ("Café Lumière", "Hospitality", "Margin per café before the morning rush"),
            ("Meridian Freight", "Logistics", "1,400 hours of manual reporting removed a year"),
        ),
        notes="All five customers are referenceable. Book reference calls through the "
        "customer marketing team, never directly.",
    ),
    Slide(
        "Plans at a glance",
        table=(
            ("Plan", "Included compute", "Typical customer"),
            ("Starter", "500 HCU a month", "One team, up to 25 users"),
            ("Team", "2,500 HCU a month", "A business unit, up to 250 users"),
            ("Enterprise", "10,000 HCU a month", "Group-wide, unlimited users, 99.95% SLA"),
        ),
        notes="Do not quote prices from this slide. Use the current price sheet in the "
        "Pricing folder; the H1 2026 sheet has expired.",
    ),
    Slide(
        "Roadmap 2027",
        bullets=(
            "Q1: natural-language questions in Studio, generally available",
            "Q2: Edge for pharmacies, with controlled-substance audit trails",
            "Q3: Sentinel policy simulator: test a masking rule before it goes live",
            "Q4: Lakehouse in the Swiss region (Zürich)",
        ),
        notes="Roadmap items are plans, not commitments. Say 'planned for', never 'will ship "
        "in'. Do not put roadmap dates in proposals.",
    ),
    Slide(
        "Next steps",
        bullets=(
            "A two-week proof of value on your own data",
            "A half-day data assessment workshop with our solution architects",
            "A reference call with a customer in your industry",
        ),
        notes="Close on a date for the workshop before you leave the room.",
    ),
)

OVERVIEW_V1 = (
    Slide(
        "Halyard Data Platform",
        subtitle="One governed place for every number your business runs on\n"
        "Product overview \u00b7 Sales kickoff, January 2026",
        notes="Sales kickoff 2026 version.",
    ),
    OVERVIEW_V2[1],
    Slide(
        "The Halyard Data Platform",
        bullets=(
            "Halyard Ingest: 160+ connectors, change data capture, streaming",
            "Halyard Lakehouse: open Apache Iceberg tables, one copy of the data",
            "Halyard Studio: dashboards and a shared metrics layer",
            "Halyard Sentinel: catalog, lineage, masking, audit",
            "  Sold as one subscription, metered in Halyard Compute Units (HCU)",
        ),
        notes="Four modules, one subscription.",
    ),
    Slide(
        "Under the hood: the Tidewater query engine",
        bullets=(
            "Vectorised, columnar execution on open Iceberg tables",
            "Median dashboard query 1.2 s on 10 billion rows (TPC-DS 10 TB, internal run)",
            "Runs in your AWS, Azure or Google Cloud account, or in our EU-hosted tenant",
        ),
        notes="Tidewater is the engine's name. The benchmark is ours; offer the run book.",
    ),
    Slide(
        "Governance built in, not bolted on",
        bullets=(
            "One catalog with lineage from source column to dashboard tile",
            "Row-level security and column masking defined once, enforced everywhere",
            "SOC 2 Type II and ISO/IEC 27001; HIPAA BAA available",
        ),
        notes="Offer the Sentinel data sheet to security reviewers.",
    ),
    Slide(
        "Customer results",
        table=(
            ("Customer", "Industry", "Result"),
            ("St. Aldric Health Network", "Healthcare", "Readmission reports in 2 days, not 9"),
            ("Harborline Grocers", "Retail", "Shrink down 7% in 38 pilot stores"),
            ("Meridian Freight", "Logistics", "900 hours of manual reporting removed a year"),
        ),
        notes="All three customers are referenceable.",
    ),
    Slide(
        "Roadmap 2026",
        bullets=(
            "H1: Sentinel lineage down to the dashboard tile",
            "H2: Halyard Edge preview for retail stores",
            "H2: EU-hosted tenant in Paris",
        ),
        notes="Roadmap items are plans, not commitments.",
    ),
    OVERVIEW_V2[9],
)

HEALTHCARE_DECK = (
    Slide(
        "Halyard for Healthcare",
        subtitle="Clinical, operational and financial data in one governed platform",
        notes="For hospital networks and integrated delivery networks. Pair it with the "
        "St. Aldric case study.",
    ),
    Slide(
        "The data problem in a hospital network",
        bullets=(
            "EHR, lab, pharmacy, scheduling and claims each keep their own truth",
            "Quality reports take days, so they describe last month's patients",
            "Protected health information (PHI) rules slow every new question",
            "Analysts spend most of their week preparing data, not analysing it",
        ),
        notes="Ask how long their readmission report takes today. Nine days was "
        "St. Aldric's answer.",
    ),
    Slide(
        "What Halyard connects",
        bullets=(
            "Epic Clarity and Caboodle, Oracle Health Millennium, Meditech Expanse",
            "Lab and pharmacy systems, bed management, staff scheduling",
            "Claims and remittance files (X12 837 and 835)",
            "  New sources are configured, not coded: most go live in under a week",
        ),
    ),
    Slide(
        "Interoperability: HL7 v2 and FHIR R4",
        bullets=(
            "HL7 v2 ADT and ORU feeds land in the Lakehouse within seconds",
            "FHIR R4 bulk export ($export) for population-level extracts",
            "US Core profiles mapped to the OMOP common data model",
            "SMART Backend Services authorisation, no shared passwords",
        ),
        notes="This is the slide integration teams photograph. FHIR R4 bulk export is "
        "generally available since September 2026.",
    ),
    Slide(
        "Protecting PHI",
        bullets=(
            "HIPAA business associate agreement (BAA) on every healthcare contract",
            "Minimum necessary access through column masking and row-level security",
            "Break-glass access with a reason, reviewed in the audit trail",
            "De-identification to the Safe Harbor standard for research extracts",
        ),
    ),
    Slide(
        "Use cases and typical results",
        table=(
            ("Use case", "Typical result"),
            ("30-day readmission reporting", "From 9 days to 4 hours"),
            ("Operating room utilisation", "+6 points of block utilisation"),
            ("Emergency department boarding", "Live census every 5 minutes"),
            ("Claims denial management", "18% fewer denials in 6 months"),
        ),
        notes="Results are from St. Aldric and two unnamed customers; do not attribute the "
        "last two rows to a named hospital.",
    ),
    Slide(
        "St. Aldric Health Network",
        bullets=(
            "14 hospitals and 60 clinics in Ohio and Indiana",
            "2.3 billion clinical events in the Lakehouse",
            "120 analysts on one metrics layer",
            "Readmission reporting in 4 hours, not 9 days",
        ),
        notes="Dr. Miriam Osei, Chief Analytics Officer, is happy to take reference calls "
        "once a quarter.",
    ),
    Slide(
        "Getting started",
        bullets=(
            "A six-week proof of value on one quality measure",
            "BAA signed before any PHI leaves your network",
            "A named clinical data architect for the first 90 days",
        ),
    ),
)

RETAIL_DECK = (
    Slide(
        "Halyard for Retail and Hospitality",
        subtitle="From the till to the board pack, store by store",
        notes="For grocery, convenience, café and restaurant chains with 30 or more sites.",
    ),
    Slide(
        "Every store is a data centre now",
        bullets=(
            "Point of sale, scales, self-checkout, RFID and loyalty all produce data",
            "Head office sees yesterday's numbers; the store needs them this morning",
            "Store networks drop: dashboards that need the cloud go blank",
        ),
    ),
    Slide(
        "Halyard Edge in the store",
        bullets=(
            "A fanless node in the back office, or a container on the existing store server",
            "Reads the point-of-sale and scale data locally, in real time",
            "Keeps running for 72 hours offline and syncs when the line is back",
            "  Managed centrally: one console for 1,000 sites",
        ),
    ),
    Slide(
        "Inventory and shrink",
        bullets=(
            "Shrink by store, department and hour, matched with staffing",
            "Perpetual inventory accuracy from RFID and cycle counts",
            "Alerts on unusual voids and refunds at the till",
        ),
        notes="Harborline cut shrink by 11% across 212 stores; see the 2026 case study. The "
        "2025 pilot case study is superseded: do not send it.",
    ),
    Slide(
        "Planogram compliance and basket analysis",
        bullets=(
            "Planogram compliance scored per aisle from shelf photos and sales",
            "Basket affinity: which products sell together, by store cluster",
            "Promotion uplift measured against matched control stores",
        ),
        notes="Planogram compliance needs the Edge node and the shelf-camera connector.",
    ),
    Slide(
        "Cafés and restaurants: margin before the morning rush",
        bullets=(
            "Yesterday's margin per café on the manager's tablet at 6:30",
            "Food waste by product and by hour",
            "Labour against covers, every fifteen minutes",
            "  Café Lumière: 17% less food waste across 86 cafés",
        ),
    ),
    Slide(
        "Results",
        table=(
            ("Customer", "Sites", "Result"),
            ("Harborline Grocers", "212 stores", "Shrink down 11%"),
            ("Café Lumière", "86 cafés", "Food waste down 17%"),
            ("Épicerie Vasseur & Fils", "41 stores", "Stock-outs down 23%"),
        ),
    ),
    Slide(
        "Integrations",
        bullets=(
            "Point of sale: Oracle Simphony, Lightspeed, NCR Voyix, Square",
            "ERP: SAP S/4HANA, Microsoft Dynamics 365",
            "Workforce: UKG, Deputy",
        ),
    ),
    Slide(
        "Next steps",
        bullets=(
            "An Edge pilot in five stores, live within 30 days",
            "A shrink or food-waste baseline from your own data",
        ),
    ),
)

SECURITY_DECK = (
    Slide(
        "Security and Compliance Briefing",
        subtitle="For security reviewers, data protection officers and procurement",
        notes="Send the Sentinel data sheet ahead of this meeting.",
    ),
    Slide(
        "Certifications and attestations",
        table=(
            ("Framework", "Status"),
            ("SOC 2 Type II", "Annual; latest report August 2026"),
            ("ISO/IEC 27001:2022", "Certified since 2023"),
            ("ISO/IEC 27701", "Certified since 2026"),
            ("HIPAA", "Business associate agreement available"),
            ("GDPR", "Data processing agreement and EU standard contractual clauses"),
        ),
        notes="Reports are shared under NDA through the trust portal.",
    ),
    Slide(
        "Data residency",
        bullets=(
            "EU regions: Frankfurt and Paris",
            "US regions: Virginia and Oregon",
            "Customer-hosted: the platform runs in your own cloud account",
            "  Support staff access EU data only from the EU",
        ),
    ),
    Slide(
        "Encryption and keys",
        bullets=(
            "AES-256 at rest, TLS 1.3 in transit",
            "Customer-managed keys (BYOK) in AWS KMS, Azure Key Vault or Google Cloud KMS",
            "Revoke the key and access stops within five minutes",
        ),
        notes="BYOK is part of Sentinel Advanced, an add-on; check the price sheet.",
    ),
    Slide(
        "Access control",
        bullets=(
            "Single sign-on with SAML 2.0 or OpenID Connect; SCIM provisioning",
            "Row-level security and column masking enforced by the query engine",
            "Just-in-time administrator access, approved and recorded",
        ),
    ),
    Slide(
        "Operations and resilience",
        bullets=(
            "External penetration test twice a year; public bug bounty",
            "Recovery point objective 15 minutes, recovery time objective 4 hours",
            "99.9% availability SLA; 99.95% on Enterprise",
        ),
    ),
    Slide(
        "Answering the questionnaire",
        bullets=(
            "CAIQ v4 and SIG Lite answers are pre-filled in the trust portal",
            "Custom questionnaires: the security team answers within ten working days",
        ),
        notes="Never answer a security questionnaire yourself. Route it through the deal desk.",
    ),
)


# --------------------------------------------------------------------------- One-pagers

GLANCE = ("One-pager", (
    (
        Para("Halyard Analytics gives mid-sized and large companies one governed place for "
             "every number they run on. Data arrives from 180+ systems, is stored once in open "
             "Apache Iceberg tables, and reaches dashboards, spreadsheets and store tablets "
             "with the same definitions and the same security rules."),
        Heading("Five modules, one subscription"),
        Bullets((
            "Halyard Ingest - connectors, change data capture and streaming.",
            "Halyard Lakehouse - storage and the Tidewater query engine.",
            "Halyard Studio - dashboards and a shared metrics layer.",
            "Halyard Sentinel - catalog, lineage, masking and audit.",
            "Halyard Edge - analytics that keep running in stores, cafés and clinics.",
        )),
        Heading("By the numbers"),
        Table((
            ("Customers", "Connectors", "Rows queried per day", "Median dashboard query"),
            ("340+", "180+", "2.1 trillion", "0.8 s"),
        )),
        Quote("We stopped arguing about whose number was right. Now we argue about what to do "
              "with it, which is a much better meeting.",
              "Jonas Verbeke, CFO, Meridian Freight"),
        Heading("Talk to us"),
        Para("Book a two-week proof of value on your own data: sales@halyard.example. "
             "Offices in Ghent, Lyon and Boston."),
    ),
))

EDGE_ONE_PAGER = ("One-pager", (
    (
        Para("Halyard Edge puts live analytics in every store, café and clinic, and keeps "
             "them running when the network does not. A small node on site reads the "
             "point-of-sale and scale data in real time and syncs with the Halyard Lakehouse "
             "whenever the line is up."),
        Heading("How it works"),
        Bullets((
            "A fanless node in the back office, or a container on the existing store server.",
            "Dashboards, alerts and the manager's morning report work for 72 hours offline.",
            "One console manages every site: updates, health and data sync.",
            "The same Sentinel security rules apply in the store as at head office.",
        )),
        Heading("Results"),
        Table((
            ("Customer", "Sites", "Result"),
            ("Harborline Grocers", "212 stores", "Shrink down 11%"),
            ("Café Lumière", "86 cafés", "Food waste down 17%"),
        ), widths=(3, 2, 3)),
        Quote("Our managers open the tablet at half past six and the margin of every café is "
              "already there, even the ones with a bad connection.",
              "Amélie Durand, Operations Director, Café Lumière"),
        Heading("Requirements"),
        Para("An x86 or ARM node with 8 GB of memory and 256 GB of storage, or a container "
             "host. Edge is sold per site as an add-on to any Halyard plan."),
    ),
))

LEGACY_BUNDLE = ("One-pager", (
    (
        Para("The Halyard Legacy Connector Bundle brings data from older systems into the "
             "Halyard platform without custom code. It is the fastest way to retire "
             "hand-written extract scripts."),
        Heading("Included connectors"),
        Bullets((
            "IBM i (AS/400) DB2 files, including multi-member physical files.",
            "Lotus Notes databases and Domino views.",
            "dBase and FoxPro tables on network shares.",
            "Fixed-width mainframe extracts with COBOL copybooks.",
        )),
        Heading("Pricing"),
        Para("A flat fee per connector per year, on top of any Halyard plan. Ask your account "
             "executive for the 2025 bundle price."),
    ),
))

YEAR_END_OFFER = ("One-pager", (
    (
        Para("Customers on the Team plan can move to Enterprise before the end of the year "
             "and pay the Team price for the first three months of the Enterprise term."),
        Heading("What the customer gets"),
        Bullets((
            "Enterprise from the day the order is signed: 10,000 HCU a month and unlimited "
            "users.",
            "Three months at their current Team price, then the Enterprise list price.",
            "Sentinel Advanced (customer-managed keys) free for the first year.",
        )),
        Heading("Eligibility and deadline"),
        Table((
            ("Condition", "Detail"),
            ("Current plan", "Team, with at least 6 months left on the term"),
            ("Deadline", "Order signed by 5 December 2026"),
            ("Term", "New 24- or 36-month Enterprise term"),
            ("Approval", "Regional sales director; no further discount on top"),
        ), widths=(1, 2)),
        Heading("How to use it"),
        Para("Quote with the promotion code YE26-UPGRADE in the deal desk. The offer cannot be "
             "combined with the multi-year discount in the price sheet."),
    ),
))


# --------------------------------------------------------------------------- Data sheets

INGEST_SHEET = ("Data sheet", (
    (
        Para("Halyard Ingest moves data from the systems a business runs on into the Halyard "
             "Lakehouse, continuously and without custom code. Pipelines are configured in "
             "the browser, versioned like code and monitored in one place."),
        Heading("Key capabilities"),
        Bullets((
            "180+ managed connectors for databases, SaaS applications, files and streams.",
            "Change data capture from Oracle, SQL Server, PostgreSQL, MySQL and SAP HANA.",
            "Streaming from Apache Kafka, Amazon Kinesis and Azure Event Hubs.",
            "Incremental loads with exactly-once delivery into Iceberg tables.",
        )),
        Heading("Connector catalogue"),
        Table((
            ("Category", "Examples"),
            ("ERP", "SAP S/4HANA, Microsoft Dynamics 365, Oracle NetSuite"),
            ("CRM", "Salesforce, HubSpot, Microsoft Dynamics 365 Sales"),
            ("Healthcare", "Epic Clarity, Oracle Health Millennium, HL7 v2 feeds"),
            ("Retail", "Oracle Simphony, Lightspeed, NCR Voyix, Square"),
            ("Files", "SFTP, Amazon S3, Azure Blob Storage, SharePoint"),
        ), widths=(1, 3)),
    ),
    (
        Heading("Change data capture and schema drift"),
        Para("Ingest reads database transaction logs, so source systems see almost no load "
             "and deletes are captured as well as inserts and updates. When a source table "
             "changes shape, schema drift handling adds new columns automatically, keeps "
             "renamed columns linked through lineage and stops the pipeline, with an alert, "
             "only when a change would lose data."),
        Heading("Specifications"),
        Table((
            ("Item", "Value"),
            ("Throughput", "Up to 400 MB/s per pipeline; pipelines scale out"),
            ("End-to-end latency", "Under 60 seconds for change data capture"),
            ("Delivery", "Exactly once into Iceberg tables"),
            ("Monitoring", "Freshness, volume and error alerts; OpenTelemetry export"),
            ("Deployment", "Halyard cloud, or an agent inside your network"),
        ), widths=(1, 2)),
        Heading("Security"),
        Para("Credentials are stored in the customer's secret manager or in Halyard's vault, "
             "encrypted with the customer's key when Sentinel Advanced is licensed. The "
             "on-premises agent opens outbound connections only."),
    ),
))


def sentinel_sheet(current: bool) -> tuple[str, tuple[tuple[Block, ...], ...]]:
    """The Sentinel data sheet: version 2 (current, 3 pages) or version 1 (history, 2 pages)."""
    certifications = [
        ("SOC 2 Type II", "Annual; latest report August 2026" if current else "Annual"),
        ("ISO/IEC 27001:2022", "Certified since 2023"),
        ("HIPAA", "Business associate agreement available"),
        ("GDPR", "Data processing agreement and EU standard contractual clauses"),
    ]
    if current:
        certifications.insert(2, ("ISO/IEC 27701", "Certified since 2026"))
    overview: tuple[Block, ...] = (
        Para("Halyard Sentinel is the governance layer of the Halyard Data Platform. It knows "
             "where every column came from, who may see it and who did, and it enforces the "
             "same rules in the Lakehouse, in Studio and on every Edge node."),
        Heading("Key capabilities"),
        Bullets((
            "A searchable catalog of every table, column, metric and dashboard.",
            "Lineage from the source column to the dashboard tile.",
            "Row-level security and column masking defined once, enforced everywhere.",
            "A complete audit trail of queries and exports, streamed to your SIEM.",
        )),
        Heading("Sentinel Advanced"),
        Para("An add-on for regulated industries: customer-managed keys (BYOK) in AWS KMS, "
             "Azure Key Vault or Google Cloud KMS, and just-in-time administrator access."),
    )
    masking: tuple[Block, ...] = (
        Heading("Access control and masking"),
        Para("Policies are written once, in plain terms, and attached to tags in the catalog. "
             "When a new column is tagged as personal data, every existing policy applies to "
             "it at once."),
        Table((
            ("Masking policy", "What the user sees"),
            ("Redact", "A fixed value, e.g. ***"),
            ("Partial", "The last four digits of an IBAN or card number"),
            ("Hash", "A stable token, so joins still work"),
            ("Generalise", "Age bands instead of dates of birth"),
        ), widths=(1, 2)),
        Para("Single sign-on uses SAML 2.0 or OpenID Connect; users and groups are provisioned "
             "with SCIM."),
    )
    compliance: tuple[Block, ...] = (
        Heading("Compliance"),
        Table((("Framework", "Status"), *certifications), widths=(1, 2)),
    )
    if not current:
        return ("Data sheet", (overview, masking + compliance))
    cryptography: tuple[Block, ...] = (
        Heading("Cryptography"),
        Para("Data is encrypted with AES-256 at rest and TLS 1.3 in transit. Encryption runs "
             "in FIPS 140-3 validated modules in the US regions, and keys never leave the "
             "customer's key management service when BYOK is used. Revoking the key stops "
             "all access within five minutes."),
        Heading("Data residency"),
        Para("EU customers are served from Frankfurt and Paris, and support staff access EU "
             "data only from the EU. US customers are served from Virginia and Oregon."),
    )
    return ("Data sheet", (overview, masking, compliance + cryptography))


LAKEHOUSE_SHEET = ("Data sheet", (
    (
        Para("Halyard Lakehouse stores all of a company's data once, in open Apache Iceberg "
             "tables in the customer's own object storage, and answers dashboard and ad-hoc "
             "queries with the Tidewater query engine."),
        Heading("Key capabilities"),
        Bullets((
            "Open table format: any Iceberg-compatible engine can read the same data.",
            "Tidewater: vectorised, columnar execution with automatic caching.",
            "Autoscaling compute with spend guardrails per team.",
            "Runs in AWS, Azure or Google Cloud, or in Halyard's EU-hosted tenant.",
        )),
        Heading("Performance"),
        Para("In Halyard's own TPC-DS 10 TB run, the median dashboard query took 0.8 seconds "
             "on 10 billion rows. The run book is available on request."),
    ),
    (
        Heading("Time travel and zero-copy clones"),
        Para("Every change creates a snapshot. Analysts can query a table as it was at any "
             "point in the last 90 days, and a zero-copy clone gives a test team a full "
             "production copy in seconds without doubling the storage bill."),
        Heading("Specifications"),
        Table((
            ("Item", "Value"),
            ("Table format", "Apache Iceberg v2"),
            ("Storage", "Amazon S3, Azure Data Lake Storage, Google Cloud Storage"),
            ("Interfaces", "SQL, JDBC, ODBC, Arrow Flight, Python"),
            ("Snapshot retention", "90 days by default, configurable"),
            ("Availability", "99.9% SLA; 99.95% on Enterprise"),
        ), widths=(1, 2)),
    ),
))


# --------------------------------------------------------------------------- Pricing


def price_sheet(half: int) -> tuple[Sheet, ...]:
    """The H1 (expired) or H2 (current) 2026 price sheet: list prices, discounts, add-ons."""
    period = ("1 January to 30 June 2026" if half == 1 else "1 July to 31 December 2026")
    team_usd, team_eur = (4800.0, 4450.0) if half == 1 else (5040.0, 4670.0)
    money = "USD per month", "EUR per month"
    list_prices = Sheet(
        name="List prices",
        caption=f"Halyard Data Platform list prices, valid {period}",
        header=("SKU", "Plan", "Included HCU per month", *money, "Notes"),
        rows=(
            ("HDP-STR", "Starter", 500, 1200.0, 1110.0, "Up to 25 users; 99.9% SLA"),
            ("HDP-TEAM", "Team", 2500, team_usd, team_eur, "Up to 250 users; 99.9% SLA"),
            ("HDP-ENT", "Enterprise", 10000, 14500.0, 13450.0,
             "Unlimited users; 99.95% SLA; named CSM"),
            ("HDP-HCU", "Extra compute", 1, 0.45, 0.42, "Per HCU above the plan, billed monthly"),
        ),
        widths=(12, 16, 22, 16, 16, 44),
        money_columns=(3, 4),
    )
    discount_rows: list[tuple[Cell, ...]] = [
        ("Two-year term", 0.08, "Account executive", "Paid annually in advance"),
        ("Three-year term", 0.15, "Regional sales director", "Paid annually in advance"),
        ("Education and non-profit", 0.20, "Regional sales director", "Proof of status"),
        ("Any other discount up to 10%", 0.10, "Account executive", "Log the reason"),
        ("Any other discount up to 20%", 0.20, "Regional sales director", ""),
        ("Above 20%", 0.35, "VP Sales", "Deal desk review; never above 35%"),
    ]
    if half == 2:
        discount_rows.insert(3, ("Competitive displacement (Cobaltline, Stratosync)", 0.12,
                                 "Regional sales director", "Proof of current contract"))
    discounts = Sheet(
        name="Discounts",
        caption=f"Discount guidelines, valid {period}. Discounts do not stack.",
        header=("Discount", "Maximum", "Approver", "Condition"),
        rows=tuple(discount_rows),
        widths=(44, 12, 24, 34),
        percent_columns=(1,),
    )
    edge_usd, edge_eur = (95.0, 88.0) if half == 1 else (89.0, 82.0)
    add_on_rows: list[tuple[Cell, ...]] = [
        ("HDP-SEN-ADV", "Sentinel Advanced (BYOK, just-in-time access)", "per month",
         2000.0, 1850.0),
        ("HDP-EDGE", "Halyard Edge", "per site per month", edge_usd, edge_eur),
        ("HDP-EU-RES", "EU data residency (Frankfurt or Paris)", "per month", 1500.0, 1390.0),
        ("HDP-SUP-PREM", "Premium Support, 24x7, 30-minute response",
         "18% of subscription", None, None),
        ("HDP-TRN-DAY", "Training day, on site or remote", "per day", 1800.0, 1650.0),
    ]
    if half == 2:
        add_on_rows.insert(2, ("HDP-EDGE-500", "Halyard Edge, 500 sites or more",
                               "per site per month", 69.0, 64.0))
    add_ons = Sheet(
        name="Add-ons",
        caption=f"Add-ons, valid {period}",
        header=("SKU", "Add-on", "Unit", *money),
        rows=tuple(add_on_rows),
        widths=(14, 46, 20, 16, 16),
        money_columns=(3, 4),
    )
    return (list_prices, discounts, add_ons)


# --------------------------------------------------------------------------- Case studies

ST_ALDRIC = ("Customer story", (
    Table((
        ("Customer", "St. Aldric Health Network"),
        ("Industry", "Healthcare"),
        ("Size", "14 hospitals, 60 clinics, 21,000 staff"),
        ("Products", "Ingest, Lakehouse, Studio, Sentinel"),
        ("Live since", "March 2026"),
    )),
    Heading("The challenge"),
    Para("St. Aldric's quality team produced its 30-day readmission report by hand. Data came "
         "from two EHR instances, a lab system and the claims warehouse, and the report took "
         "nine days to assemble. By the time it reached the wards it described patients who "
         "had long gone home."),
    Heading("The solution"),
    Para("Halyard Ingest now streams HL7 v2 ADT feeds and the FHIR R4 bulk exports of both "
         "EHR instances into the Halyard Lakehouse. Sentinel masks identifiers for everyone "
         "outside the care team, and every break-glass access is reviewed weekly."),
    Bullets((
        "2.3 billion clinical events in one governed Lakehouse.",
        "120 analysts working from one metrics layer in Halyard Studio.",
        "A HIPAA business associate agreement signed before any PHI moved.",
    )),
    Heading("The results"),
    Bullets((
        "Readmission reporting in four hours instead of nine days.",
        "Discharge planners see each patient's readmission risk the same morning.",
        "Operating room block utilisation up six points in two quarters.",
    )),
    Quote("For the first time, the number on the ward is the number in the board pack, and it "
          "is from this morning.", "Dr. Miriam Osei, Chief Analytics Officer, St. Aldric"),
    Heading("What's next"),
    Para("St. Aldric is extending the platform to its pharmacy network with Halyard Edge in "
         "2027."),
))


def harborline(full_rollout: bool) -> tuple[str, tuple[Block, ...]]:
    """The 2025 pilot story (superseded) or the 2026 full-rollout story."""
    if not full_rollout:
        return ("Customer story", (
            Table((
                ("Customer", "Harborline Grocers"),
                ("Industry", "Grocery retail"),
                ("Size", "212 stores in Washington and Oregon"),
                ("Products", "Ingest, Lakehouse, Studio, Edge (preview)"),
                ("Pilot", "38 stores, May to October 2025"),
            )),
            Heading("The challenge"),
            Para("Harborline lost more than two percent of sales to shrink and could only see "
                 "it per store, once a month, after the stock count."),
            Heading("The pilot"),
            Para("Halyard Edge nodes in 38 pilot stores read the point-of-sale and scale data "
                 "live and matched shrink with staffing and deliveries by the hour."),
            Heading("The results"),
            Bullets((
                "Shrink down 7% in the pilot stores against matched control stores.",
                "Store managers see yesterday's losses before opening.",
            )),
            Quote("Seven percent in five months, in stores we thought were already well run.",
                  "Dana Whitfield, VP Store Operations, Harborline Grocers"),
        ))
    return ("Customer story", (
        Table((
            ("Customer", "Harborline Grocers"),
            ("Industry", "Grocery retail"),
            ("Size", "212 stores in Washington and Oregon, 9,400 staff"),
            ("Products", "Ingest, Lakehouse, Studio, Sentinel, Edge"),
            ("Live since", "All 212 stores since April 2026"),
        )),
        Heading("The challenge"),
        Para("Harborline lost more than two percent of sales to shrink and could only see it "
             "per store, once a month, after the stock count. A 2025 pilot in 38 stores cut "
             "shrink by 7%; the question for 2026 was whether that would hold across the "
             "whole chain."),
        Heading("The solution"),
        Para("Every store now runs a Halyard Edge node that reads the point-of-sale, scale and "
             "self-checkout data live and keeps working through network outages. Planogram "
             "compliance is scored per aisle and matched with sales every night."),
        Heading("The results"),
        Table((
            ("Measure", "Before", "After twelve months"),
            ("Shrink, share of sales", "2.3%", "2.05%"),
            ("Stock-outs on top 500 items", "6.1%", "4.4%"),
            ("Time to see yesterday's losses", "One month", "Before opening"),
            ("Savings", "-", "USD 4.2 million a year"),
        )),
        Quote("The pilot told us it worked. The rollout told us it scales: 11% less shrink "
              "across all 212 stores.", "Dana Whitfield, VP Store Operations, Harborline Grocers"),
        Heading("What's next"),
        Para("Basket analysis by store cluster, to plan promotions with matched control "
             "stores."),
    ))


SOCIETE_FINANCIERE = ("Customer story", (
    Table((
        ("Customer", "Société Financière du Rhône"),
        ("Industry", "Financial services"),
        ("Size", "Regional bank and insurer, 3,200 staff, headquarters in Lyon"),
        ("Products", "Ingest, Lakehouse, Studio, Sentinel Advanced, EU data residency"),
        ("Live since", "November 2025"),
    )),
    Heading("The challenge"),
    Para("The Digital Operational Resilience Act (DORA) required Société Financière du Rhône "
         "to keep a register of information on every ICT third-party provider and to "
         "report major incidents within hours. The data sat in procurement, the CMDB and "
         "three ticketing tools, and the contrôle de gestion team rebuilt the picture by "
         "hand each quarter."),
    Heading("The solution"),
    Para("Halyard runs in the Paris region with customer-managed keys held in the bank's own "
         "key vault. Sentinel masks client identifiers for everyone outside compliance, and "
         "every query is streamed to the bank's SIEM."),
    Bullets((
        "The DORA register of information is produced from live data, not spreadsheets.",
        "Incident timelines are assembled automatically from the ticketing tools.",
        "Auditors get read-only access to lineage, from source field to regulatory report.",
    )),
    Heading("The results"),
    Bullets((
        "Register of information delivered to the regulator six weeks before the deadline.",
        "Quarterly ICT risk reporting down from fifteen days to two.",
        "Zero findings on data access in the 2026 internal audit.",
    )),
    Quote("Holding our own keys, in France, was the condition for everything else. Halyard "
          "made it the default rather than a project.",
          "Hélène Marchetti, Chief Data Officer, Société Financière du Rhône"),
))


# --------------------------------------------------------------------------- Battlecards

COBALTLINE_V2 = """\
# Battlecard: Halyard vs Cobaltline

*Internal use only. Do not forward to customers. Updated 9 November 2026 after the
Cobaltline Cloud launch.*

## Who they are

Cobaltline sells an on-premises data warehouse appliance, strong in banks and insurers,
and launched **Cobaltline Cloud** in October 2026: the same engine, hosted by them, US
regions only for now.

## Where we win

- **Open data.** Halyard stores data in open Apache Iceberg tables in the customer's own
  storage. Cobaltline uses a proprietary format; leaving means a migration project.
- **Time to value.** A Halyard proof of value runs in two weeks. A Cobaltline appliance
  takes three to six months to procure and install.
- **EU data residency.** Halyard runs in Frankfurt and Paris today. Cobaltline Cloud has no
  EU region; ask when they expect one.
- **Edge.** Cobaltline has nothing for stores or branches that must work offline.

## Where they win

- Installed base: many banks already run Cobaltline and their DBAs know it well.
- Very large single-table scans on the appliance can beat us on raw speed.

## Landmines to lay

1. "Where is the data stored, and in what format, if we leave in five years?"
2. "Which EU region will Cobaltline Cloud run in, and when?"
3. "What does a capacity upgrade cost, and how long does it take to arrive?"

## Objections

| They say | We say |
|---|---|
| "Cobaltline is faster." | On what query? Ask for their TPC-DS run; ours is public on request. |
| "We own the appliance." | Keep it for now: Halyard Ingest reads from it while you move. |
| "Cobaltline Cloud is the same." | It is their appliance in their data centre: closed, US only. |

## Proof points

- Société Financière du Rhône replaced a Cobaltline appliance in 2025: DORA register of
  information delivered six weeks early, data in Paris under the bank's own keys.
- Competitive displacement discount: up to 12% with regional director approval (see the
  H2 2026 price sheet).
"""

COBALTLINE_V1 = """\
# Battlecard: Halyard vs Cobaltline

*Internal use only. Do not forward to customers. April 2026.*

## Who they are

Cobaltline sells an on-premises data warehouse appliance, strong in banks and insurers.

## Where we win

- **Open data.** Halyard stores data in open Apache Iceberg tables in the customer's own
  storage. Cobaltline uses a proprietary format.
- **Time to value.** A Halyard proof of value runs in two weeks. A Cobaltline appliance
  takes three to six months to procure and install.
- **Cloud.** Cobaltline has no cloud offering.

## Where they win

- Installed base: many banks already run Cobaltline.

## Landmines to lay

1. "Where is the data stored, and in what format, if we leave in five years?"
2. "What does a capacity upgrade cost, and how long does it take to arrive?"
"""

STRATOSYNC_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Battlecard: Halyard vs Stratosync</title>
<style>
body { font-family: sans-serif; max-width: 46rem; margin: 2rem auto; color: #1e1e1e; }
h1, h2 { color: #103a5c; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #b8c4ce; padding: 0.4rem; text-align: left; vertical-align: top; }
.internal { background: #fff3cd; padding: 0.5rem; }
</style>
</head>
<body>
<h1>Battlecard: Halyard vs Stratosync</h1>
<p class="internal">Internal use only. Do not forward to customers. Updated 28 September 2026.</p>

<h2>Who they are</h2>
<p>Stratosync is a cloud-only ELT and dashboard tool, popular with start-ups and marketing
teams. Cheap to start with a credit card, priced per row synced.</p>

<h2>Where we win</h2>
<ul>
<li><strong>Cost at scale.</strong> Per-row pricing grows with the business. Halyard's compute
units are capped by spend guardrails; customers switching from Stratosync typically save 30 to
45 percent in the second year.</li>
<li><strong>Governance.</strong> Stratosync has no column masking and no lineage. Halyard
Sentinel gives both, plus a full audit trail.</li>
<li><strong>Regulated data.</strong> Stratosync will not sign a HIPAA BAA and has no EU data
residency option.</li>
<li><strong>Offline sites.</strong> Stratosync needs the cloud; Halyard Edge keeps a store or a
caf&eacute; running for 72 hours offline.</li>
</ul>

<h2>Where they win</h2>
<ul>
<li>Self-service sign-up in minutes, no sales call.</li>
<li>A large library of marketing-tool connectors.</li>
</ul>

<h2>Objections</h2>
<table>
<tr><th>They say</th><th>We say</th></tr>
<tr><td>"Stratosync is cheaper."</td><td>This year. Model year two with their row growth; we
will do it with you.</td></tr>
<tr><td>"Marketing already uses Stratosync."</td><td>Keep it: Halyard Ingest reads Stratosync's
destination tables, so marketing keeps its tools and finance gets governed numbers.</td></tr>
<tr><td>"We don't need governance yet."</td><td>The first security questionnaire will say
otherwise. Show the Sentinel data sheet.</td></tr>
</table>

<h2>Proof points</h2>
<p>Café Lumière moved from Stratosync in 2026 and now runs Halyard Edge in 86 caf&eacute;s,
with 17% less food waste.</p>
</body>
</html>
"""

OBJECTION_HANDLING = """\
# Objection handling

*Internal use only. Short answers to the objections reps hear most; each links to the
document that proves the point.*

## "It's too expensive."

Compare the second year, not the first. Spend guardrails cap compute per team, and the
multi-year discounts in the current price sheet bring a three-year Enterprise term down by
15%. If the customer is on Team, check the year-end upgrade offer while it lasts.

## "Our data can't leave the country."

Halyard runs in Frankfurt and Paris, and customer-hosted in any cloud account. With Sentinel
Advanced the customer holds the keys. See the Security and Compliance Briefing.

## "We already have Cobaltline / Stratosync."

Use the battlecards in this folder. Never criticise the customer's past choice: Halyard reads
from both while they move.

## "Our stores have bad connections."

That is what Halyard Edge is for: 72 hours offline, as Harborline Grocers and Café Lumière
show.

## "We need HIPAA."

We sign a business associate agreement on every healthcare contract. St. Aldric Health
Network is a reference.
"""


# --------------------------------------------------------------------------- the catalogue


def library_docs() -> tuple[Doc, ...]:
    """Every document of the current library, with its sidecar (None: no sidecar)."""
    return (
        Doc("Decks/Halyard Platform Overview.pptx", at("2026-11-16"),
            partial(write_pptx, content=OVERVIEW_V2),
            "Halyard Platform Overview", "Product overview deck",
            ("overview", "platform", "Tidewater", "Edge"),
            Sidecar(title="Halyard Platform Overview", tags=("overview", "platform"),
                    audience=("enterprise", "mid-market"), released=date(2026, 11, 16),
                    notes="Adds Halyard Edge, the 2026 customer results and the 2027 "
                    "roadmap; faster Tidewater benchmark.")),
        Doc("Decks/Healthcare Solution Deck.pptx", at("2026-09-08"),
            partial(write_pptx, content=HEALTHCARE_DECK),
            "Halyard for Healthcare", "Healthcare solution deck",
            ("healthcare", "HIPAA", "FHIR"),
            Sidecar(title="Halyard for Healthcare", tags=("healthcare", "security"),
                    audience=("enterprise",), released=date(2026, 9, 8),
                    notes="FHIR R4 bulk export is now generally available; St. Aldric "
                    "results added.")),
        Doc("Decks/Retail and Hospitality Deck.pptx", at("2026-10-05"),
            partial(write_pptx, content=RETAIL_DECK),
            "Halyard for Retail and Hospitality", "Retail and hospitality solution deck",
            ("retail", "hospitality", "Edge"),
            Sidecar(title="Halyard for Retail and Hospitality",
                    tags=("retail", "hospitality"), audience=("enterprise", "mid-market"),
                    released=date(2026, 10, 5))),
        Doc("Decks/Security and Compliance Briefing.pptx", at("2026-07-14"),
            partial(write_pptx, content=SECURITY_DECK),
            "Security and Compliance Briefing", "Security briefing for reviewers",
            ("security", "compliance", "BYOK"),
            Sidecar(title="Security and Compliance Briefing", tags=("security", "compliance"),
                    audience=("enterprise", "security-reviewers"),
                    released=date(2026, 7, 14))),
        Doc("One-pagers/Halyard Platform at a Glance.pdf", at("2026-11-16"),
            partial(write_pdf, content=GLANCE),
            "Halyard Platform at a Glance", "Company and platform one-pager",
            ("overview", "platform"),
            Sidecar(title="Halyard Platform at a Glance", tags=("overview",),
                    audience=("enterprise", "mid-market"), released=date(2026, 11, 16))),
        Doc("One-pagers/Halyard Edge for Stores.pdf", at("2026-10-05"),
            partial(write_pdf, content=EDGE_ONE_PAGER),
            "Halyard Edge for Stores, Cafés and Clinics", "Halyard Edge one-pager",
            ("retail", "hospitality", "Edge"),
            Sidecar(title="Halyard Edge for Stores", tags=("retail", "hospitality"),
                    audience=("mid-market",), released=date(2026, 10, 5))),
        Doc("One-pagers/Legacy Connector Bundle.pdf", at("2025-09-01"),
            partial(write_pdf, content=LEGACY_BUNDLE),
            "Halyard Legacy Connector Bundle", "Legacy connectors one-pager",
            ("connectors", "legacy"),
            Sidecar(title="Legacy Connector Bundle", tags=("connectors",),
                    released=date(2025, 9, 1),
                    withdrawn="The Legacy Connector Bundle was retired on 1 October 2026. "
                    "Position the standard Halyard Ingest connectors instead.")),
        Doc("One-pagers/Year-End Upgrade Offer.pdf", at("2026-11-02"),
            partial(write_pdf, content=YEAR_END_OFFER),
            "Year-End Upgrade Offer: Team to Enterprise", "Year-end 2026 promotion",
            ("pricing", "promotion"),
            Sidecar(title="Year-End Upgrade Offer", tags=("pricing", "promotion"),
                    audience=("mid-market",), released=date(2026, 11, 2),
                    expires=date(2026, 12, 5),
                    notes="Orders must be signed by 5 December 2026.")),
        Doc("Data sheets/Halyard Ingest Data Sheet.pdf", at("2026-06-22"),
            partial(write_pdf, content=INGEST_SHEET),
            "Halyard Ingest Data Sheet", "Halyard Ingest data sheet",
            ("ingest", "connectors", "CDC"),
            Sidecar(title="Halyard Ingest Data Sheet", tags=("connectors", "technical"),
                    audience=("enterprise", "mid-market"), released=date(2026, 6, 22))),
        Doc("Data sheets/Halyard Sentinel Data Sheet.pdf", at("2026-10-19"),
            partial(write_pdf, content=sentinel_sheet(current=True)),
            "Halyard Sentinel Data Sheet", "Halyard Sentinel governance and security",
            ("security", "governance", "BYOK"),
            Sidecar(title="Halyard Sentinel Data Sheet", tags=("security", "technical"),
                    audience=("enterprise", "security-reviewers"),
                    released=date(2026, 10, 19),
                    notes="Adds ISO/IEC 27701, FIPS 140-3 and a page on cryptography and "
                    "data residency.")),
        Doc("Data sheets/Halyard Lakehouse Data Sheet.pdf", at("2026-05-11"),
            partial(write_pdf, content=LAKEHOUSE_SHEET),
            "Halyard Lakehouse Data Sheet", "Halyard Lakehouse and the Tidewater engine",
            ("lakehouse", "Iceberg", "Tidewater"),
            None),
        Doc("Pricing/Price Sheet H1 2026.xlsx", at("2026-01-05"),
            partial(write_xlsx, content=price_sheet(1)),
            "Price Sheet H1 2026", "List prices, discounts and add-ons",
            ("pricing",),
            Sidecar(title="Price Sheet H1 2026", tags=("pricing",), audience=("internal",),
                    released=date(2026, 1, 5), expires=date(2026, 6, 30),
                    notes="Prices for the first half of 2026.")),
        Doc("Pricing/Price Sheet H2 2026.xlsx", at("2026-07-01"),
            partial(write_xlsx, content=price_sheet(2)),
            "Price Sheet H2 2026", "List prices, discounts and add-ons",
            ("pricing",),
            Sidecar(title="Price Sheet H2 2026", tags=("pricing", "competitive"),
                    audience=("internal",), released=date(2026, 7, 1),
                    expires=date(2026, 12, 31),
                    notes="Team plan +5%; Edge cheaper, with a 500-site band; new "
                    "competitive displacement discount.")),
        Doc("Case studies/St. Aldric Health Network.docx", at("2026-08-24"),
            partial(write_docx, content=ST_ALDRIC),
            "St. Aldric Health Network: readmission reporting in four hours",
            "Healthcare customer story", ("healthcare", "case study"),
            Sidecar(title="St. Aldric Health Network", tags=("healthcare", "case-study"),
                    audience=("enterprise",), released=date(2026, 8, 24))),
        Doc("Case studies/Harborline Grocers Pilot 2025.docx", at("2025-11-10"),
            partial(write_docx, content=harborline(full_rollout=False)),
            "Harborline Grocers: 7% less shrink in a 38-store pilot",
            "Retail customer story (pilot)", ("retail", "case study"),
            Sidecar(title="Harborline Grocers pilot (2025)", tags=("retail", "case-study"),
                    audience=("mid-market",), released=date(2025, 11, 10),
                    superseded_by="Case studies/Harborline Grocers 2026.docx")),
        Doc("Case studies/Harborline Grocers 2026.docx", at("2026-10-12"),
            partial(write_docx, content=harborline(full_rollout=True)),
            "Harborline Grocers: 11% less shrink across 212 stores",
            "Retail customer story", ("retail", "case study", "Edge"),
            Sidecar(title="Harborline Grocers (2026)", tags=("retail", "case-study"),
                    audience=("mid-market", "enterprise"), released=date(2026, 10, 12),
                    notes="Full rollout results; replaces the 2025 pilot story.")),
        Doc("Case studies/Société Financière du Rhône.docx", at("2026-05-18"),
            partial(write_docx, content=SOCIETE_FINANCIERE),
            "Société Financière du Rhône: DORA reporting from live data",
            "Financial services customer story", ("financial services", "DORA", "BYOK"),
            Sidecar(title="Société Financière du Rhône",
                    tags=("financial-services", "security", "case-study"),
                    audience=("enterprise",), released=date(2026, 5, 18))),
        Doc("Battlecards/Halyard vs Cobaltline.md", at("2026-11-09"),
            partial(write_text, content=COBALTLINE_V2),
            "Battlecard: Halyard vs Cobaltline", "Competitive battlecard",
            sidecar=Sidecar(title="Battlecard: Cobaltline", tags=("competitive",),
                            audience=("internal",), released=date(2026, 11, 9),
                            notes="Updated after the Cobaltline Cloud launch in October "
                            "2026.")),
        Doc("Battlecards/Halyard vs Stratosync.html", at("2026-09-28"),
            partial(write_text, content=STRATOSYNC_HTML),
            "Battlecard: Halyard vs Stratosync", "Competitive battlecard",
            sidecar=Sidecar(title="Battlecard: Stratosync", tags=("competitive",),
                            audience=("internal",), released=date(2026, 9, 28))),
        Doc("Battlecards/Objection Handling.md", at("2026-10-26"),
            partial(write_text, content=OBJECTION_HANDLING),
            "Objection handling", "Answers to common objections"),
    )


def history_docs() -> tuple[Doc, ...]:
    """Older versions of three library documents, at the same relative paths."""
    return (
        Doc("Decks/Halyard Platform Overview.pptx", at("2026-01-19"),
            partial(write_pptx, content=OVERVIEW_V1),
            "Halyard Platform Overview", "Product overview deck",
            ("overview", "platform", "Tidewater"),
            Sidecar(title="Halyard Platform Overview", tags=("overview", "platform"),
                    audience=("enterprise", "mid-market"), released=date(2026, 1, 19),
                    notes="Sales kickoff 2026 edition.")),
        Doc("Data sheets/Halyard Sentinel Data Sheet.pdf", at("2026-03-09"),
            partial(write_pdf, content=sentinel_sheet(current=False)),
            "Halyard Sentinel Data Sheet", "Halyard Sentinel governance and security",
            ("security", "governance", "BYOK"),
            Sidecar(title="Halyard Sentinel Data Sheet", tags=("security", "technical"),
                    audience=("enterprise", "security-reviewers"),
                    released=date(2026, 3, 9), notes="First edition.")),
        Doc("Battlecards/Halyard vs Cobaltline.md", at("2026-04-13"),
            partial(write_text, content=COBALTLINE_V1),
            "Battlecard: Halyard vs Cobaltline", "Competitive battlecard",
            sidecar=Sidecar(title="Battlecard: Cobaltline", tags=("competitive",),
                            audience=("internal",), released=date(2026, 4, 13))),
    )


def write_tree(root: Path, docs: Sequence[Doc]) -> list[Path]:
    """Delete ``root`` and write every document (and its sidecar) under it."""
    if root.exists():
        shutil.rmtree(root)
    written: list[Path] = []
    for doc in docs:
        target = root / doc.path
        target.parent.mkdir(parents=True, exist_ok=True)
        doc.write(target, doc)
        written.append(target)
        if doc.sidecar is not None:
            sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
            sidecar.write_bytes(doc.sidecar.to_toml().encode("utf-8"))
            written.append(sidecar)
    return written


def build(out: Path) -> list[Path]:
    """Write ``out/sample-library`` and ``out/sample-history``; return every file written."""
    return write_tree(out / LIBRARY, library_docs()) + write_tree(out / HISTORY, history_docs())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write sample-library/ and sample-history/ into "
                        "(default: the folder of this script)")
    args = parser.parse_args(argv)
    written = build(args.out)
    size = sum(path.stat().st_size for path in written)
    print(f"wrote {len(written)} files ({size / 1024:.0f} KiB) under {args.out}")


if __name__ == "__main__":
    main()
