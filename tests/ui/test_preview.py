"""Preview pieces that need no index: PDF pages to pixels, and marking matches in text."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from ui_support import PDF_PAGES, write_pdf

from fieldkit.ui.preview import (
    MatchTerms,
    PreviewError,
    marked_html,
    match_terms,
    render_pdf_page,
)


def test_renders_the_asked_page_at_the_asked_width(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "sheet.pdf", PDF_PAGES)
    page = render_pdf_page(str(pdf), 2, 400)
    assert (page.number, page.count) == (2, 3)
    assert page.width == 400
    assert len(page.pixels) == page.stride * page.height
    assert page.height > page.width  # A4 portrait
    first = render_pdf_page(str(pdf), 1, 400)
    assert first.pixels != page.pixels
    assert render_pdf_page(str(pdf), 99, 400).number == 3  # clamped to the last page


def test_a_damaged_pdf_says_so(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not a pdf at all")
    with pytest.raises(PreviewError, match="damaged"):
        render_pdf_page(str(broken), 1, 300)
    with pytest.raises(PreviewError, match="can't be read"):
        render_pdf_page(str(tmp_path / "missing.pdf"), 1, 300)


def test_a_password_protected_pdf_says_so(tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="secret pricing")
    pdf.output(str(locked))
    with pytest.raises(PreviewError, match="password-protected"):
        render_pdf_page(str(locked), 1, 300)


def test_match_terms_take_query_words_snippet_marks_and_prefixes() -> None:
    terms = match_terms('"anomaly alerts" pricing type:pdf NOT legacy pipe*', "the <b>Pricing</b>")
    assert {"anomali", "alert", "price", "legaci"} <= terms.stems
    assert "pdf" not in terms.stems and "type" not in terms.stems
    assert terms.prefixes == ("pipe",)


def test_marked_html_marks_every_form_of_a_term_and_escapes_the_rest() -> None:
    terms = MatchTerms(frozenset({"price"}), ("pipe",))
    html, count = marked_html("Prices <and> pricing; pipelines & pipes", terms, "background: y")
    assert count == 4
    assert html.count('<span style="background: y">') == 4
    assert '<a name="first-match"></a><span style="background: y">Prices</span>' in html
    assert "&lt;and&gt;" in html and "&amp;" in html


def test_marked_html_without_terms_is_just_escaped_text() -> None:
    html, count = marked_html("a < b", MatchTerms(frozenset(), ()), "x")
    assert count == 0
    assert "a &lt; b" in html


def test_marked_html_keeps_lines_as_paragraphs() -> None:
    html, _count = marked_html("first line\n\nsecond line\n", MatchTerms(frozenset(), ()), "x")
    assert html.count("<p ") == 2
    assert ">first line</p>" in html and ">second line</p>" in html
