"""PDF text, page by page, through PDFium (pypdfium2)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from fieldkit.core.extract.model import (
    DAMAGED,
    PASSWORD_PROTECTED,
    Extracted,
    ExtractionFailed,
    TextBudget,
    Unit,
    clean_text,
    finish,
)


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise ExtractionFailed(PASSWORD_PROTECTED, str(exc)) from exc
        raise ExtractionFailed(DAMAGED, str(exc)) from exc


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return clean_text(textpage.get_text_bounded())
        finally:
            textpage.close()
    finally:
        page.close()


def extract_pdf(path: Path, stem: str, budget: TextBudget) -> Extracted:
    pdf = _open(path)
    try:
        try:
            title = pdf.get_metadata_value("Title")
        except (pdfium.PdfiumError, UnicodeError):
            title = None  # broken metadata costs the title, not the document
        units: list[Unit] = []
        for index in range(len(pdf)):
            try:
                text = _page_text(pdf, index)
            except pdfium.PdfiumError as exc:
                if index == 0 and len(pdf) == 1:
                    raise ExtractionFailed(DAMAGED, str(exc)) from exc
                continue  # one unreadable page loses that page only
            units.append(Unit("page", index + 1, budget.take(text)))
            if budget.truncated:
                break
    finally:
        pdf.close()
    return finish("pdf", title, stem, units, budget)
