"""Text extraction: documents in, pages, slides and sheets of text out.

``extract_file`` reads one file in this process; ``ExtractionPool`` reads many in worker processes
with a time limit and a memory cap per file. Every file ends as ``Extracted`` or as a failure with
one of ``REASONS``.
"""

from __future__ import annotations

import email.errors
import struct
import zipfile
import zlib
from pathlib import Path

import pypdfium2 as pdfium
from lxml import etree

from fieldkit.core.extract.model import (
    DAMAGED,
    DEFAULT_MAX_CHARS,
    EMPTY,
    REASONS,
    UNREADABLE,
    UNSUPPORTED,
    Extracted,
    ExtractionFailed,
    Failure,
    TextBudget,
    Unit,
    UnitKind,
)
from fieldkit.core.extract.odf import extract_odf
from fieldkit.core.extract.ole import classify_ole
from fieldkit.core.extract.ooxml import extract_docx, extract_pptx, extract_xlsx
from fieldkit.core.extract.pdf import extract_pdf
from fieldkit.core.extract.pool import ExtractionPool
from fieldkit.core.extract.safexml import SafeZip
from fieldkit.core.extract.sniff import (
    OLE,
    detect_format,
    read_head,
    sniff,
    sniff_zip,
    zip_format_hint,
)
from fieldkit.core.extract.textual import (
    extract_eml,
    extract_html,
    extract_markdown,
    extract_plain,
    extract_rtf,
)

__all__ = [
    "DEFAULT_MAX_CHARS",
    "REASONS",
    "Extracted",
    "ExtractionFailed",
    "ExtractionPool",
    "Failure",
    "Unit",
    "UnitKind",
    "detect_format",
    "extract_file",
]


# What broken input makes the parsing libraries raise; anything else is a bug in fieldkit.
_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    struct.error,
    etree.LxmlError,
    pdfium.PdfiumError,
    UnicodeError,
    email.errors.MessageError,
    RecursionError,
)


def _extract_zip(path: Path, stem: str, budget: TextBudget) -> Extracted:
    try:
        zf = SafeZip(path)
    except ExtractionFailed:
        if zip_format_hint(path) is None:
            raise ExtractionFailed(UNSUPPORTED, "a damaged zip of unknown kind") from None
        raise
    with zf:
        fmt = sniff_zip(zf)
        if fmt == "docx":
            return extract_docx(zf, stem, budget)
        if fmt == "pptx":
            return extract_pptx(zf, stem, budget)
        if fmt == "xlsx":
            return extract_xlsx(zf, stem, budget)
        if fmt in ("odt", "odp", "ods"):
            return extract_odf(fmt, zf, stem, budget)
    raise ExtractionFailed(UNSUPPORTED, "a zip with no Office or OpenDocument text (.xlsb, .epub)")


def _extract(path: Path, kind: str | None, budget: TextBudget) -> Extracted:
    stem = path.stem or path.name
    if kind == "zip":
        return _extract_zip(path, stem, budget)
    if kind == "pdf":
        return extract_pdf(path, stem, budget)
    if kind in ("txt", "csv"):
        return extract_plain(kind, path, stem, budget)
    if kind == "md":
        return extract_markdown(path, stem, budget)
    if kind == "html":
        return extract_html(path, stem, budget)
    if kind == "rtf":
        return extract_rtf(path, stem, budget)
    if kind == "eml":
        return extract_eml(path, stem, budget)
    if kind == OLE:
        classify_ole(path)  # raises: encrypted OOXML or a legacy binary Office file
    raise ExtractionFailed(UNSUPPORTED, f"no text format recognised in {path.name}")


def extract_file(path: Path, *, max_chars: int = DEFAULT_MAX_CHARS) -> Extracted:
    """Extracts the text of one file in this process; raises ExtractionFailed."""
    try:
        if path.stat().st_size == 0:
            raise ExtractionFailed(EMPTY)
        head = read_head(path)
    except OSError as exc:
        raise ExtractionFailed(UNREADABLE, str(exc)) from exc
    budget = TextBudget(max_chars)
    try:
        return _extract(path, sniff(path, head), budget)
    except _DAMAGE as exc:
        raise ExtractionFailed(DAMAGED, f"{type(exc).__name__}: {exc}") from exc
    except OSError as exc:  # a seek or read the file's own offsets sent astray
        raise ExtractionFailed(DAMAGED, f"{type(exc).__name__}: {exc}") from exc
