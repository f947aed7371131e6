"""Each format on files the tests write: text, units and their numbers, titles."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import extract_samples as samples
import pytest

from fieldkit.core.extract import Extracted, ExtractionFailed, detect_format, extract_file


def all_text(result: Extracted) -> str:
    return "\n".join(unit.text for unit in result.units)


def test_pdf_text_per_page_and_metadata_title(tmp_path: Path) -> None:
    path = samples.pdf(
        tmp_path / "brochure.pdf",
        ["Alpha widgets for farms", "", "Gamma gadgets for ports"],
        title="Product Brochure 2025",
    )
    result = extract_file(path)
    assert result.format == "pdf"
    assert result.title == "Product Brochure 2025"
    assert [(u.kind, u.number) for u in result.units] == [("page", 1), ("page", 3)]
    assert "Alpha widgets for farms" in result.units[0].text
    assert "Gamma gadgets for ports" in result.units[1].text
    assert result.chars == sum(len(u.text) for u in result.units)
    assert not result.truncated


def test_pdf_without_metadata_title_is_named_after_the_file(tmp_path: Path) -> None:
    result = extract_file(samples.pdf(tmp_path / "Q3 price list.pdf", ["Prices"]))
    assert result.title == "Q3 price list"


def test_docx_body_tables_headers_footers_and_core_title(tmp_path: Path) -> None:
    result = extract_file(samples.docx_file(tmp_path / "plan.docx", title="Campaign Plan"))
    assert result.format == "docx"
    assert result.title == "Campaign Plan"
    assert [(u.kind, u.number) for u in result.units] == [(None, None)]
    text = all_text(result)
    for expected in (
        "Spring Campaign Overview",
        "Our widgets reduce churn by a third.",
        "Nordics",
        "12 percent",
        "Confidential header text",
        "Footer for partners",
    ):
        assert expected in text
    assert text.index("Spring Campaign") < text.index("Nordics")


def test_docx_title_falls_back_to_first_heading(tmp_path: Path) -> None:
    result = extract_file(samples.docx_file(tmp_path / "plan.docx"))
    assert result.title == "Spring Campaign Overview"


def test_pptx_slides_with_tables_notes_and_titles(tmp_path: Path) -> None:
    result = extract_file(samples.pptx_file(tmp_path / "deck.pptx"))
    assert result.format == "pptx"
    assert [(u.kind, u.number, u.label) for u in result.units] == [
        ("slide", 1, "Pricing Strategy"),
        ("slide", 2, "Regional Figures"),
        ("slide", 3, None),
    ]
    first, second, third = (u.text for u in result.units)
    assert "Bundles beat discounts" in first
    assert "Speaker note: mention the loyalty scheme" in first
    assert "Benelux" in second and "forty thousand" in second
    assert "Closing thoughts without a title" in third
    assert result.title == "Pricing Strategy"  # no metadata title: the first slide's title


def test_pptx_metadata_title_wins(tmp_path: Path) -> None:
    result = extract_file(samples.pptx_file(tmp_path / "deck.pptx", title="Sales Kickoff"))
    assert result.title == "Sales Kickoff"


def test_xlsx_sheets_with_names_numbers_and_shared_strings(tmp_path: Path) -> None:
    result = extract_file(samples.xlsx_file(tmp_path / "prices.xlsx", title="Price Book"))
    assert result.format == "xlsx"
    assert result.title == "Price Book"
    assert [(u.kind, u.number, u.label) for u in result.units] == [
        ("sheet", 1, "Prices"),
        ("sheet", 2, "Contacts"),
    ]
    assert result.units[0].text == "Product\tPrice\nWidget\t12.5\nGadget\t99\n"
    assert "Ada Lovelace\tLondon" in result.units[1].text


def test_xlsx_without_title_is_named_after_the_file(tmp_path: Path) -> None:
    assert extract_file(samples.xlsx_file(tmp_path / "numbers.xlsx")).title == "numbers"


def test_odt_paragraphs_spaces_and_meta_title(tmp_path: Path) -> None:
    path = samples.odf_file(tmp_path / "guide.odt", "odt", samples.odt_body(), title="Guide")
    result = extract_file(path)
    assert result.format == "odt"
    assert result.title == "Guide"
    assert result.units[0].text == (
        "Field Guide\nFirst paragraph with styled words.\nTab\tseparated\nand broken\n"
    )


def test_odt_title_falls_back_to_first_heading(tmp_path: Path) -> None:
    path = samples.odf_file(tmp_path / "guide.odt", "odt", samples.odt_body())
    assert extract_file(path).title == "Field Guide"


def test_odp_slides_with_titles(tmp_path: Path) -> None:
    result = extract_file(samples.odf_file(tmp_path / "talk.odp", "odp", samples.odp_body()))
    assert result.format == "odp"
    assert [(u.kind, u.number, u.label) for u in result.units] == [
        ("slide", 1, "Launch Plan"),
        ("slide", 2, "Budget"),
    ]
    assert "Milestones for the launch" in result.units[0].text
    assert "Spending by quarter" in result.units[1].text


def test_ods_sheets_without_expanding_repeated_rows(tmp_path: Path) -> None:
    result = extract_file(samples.odf_file(tmp_path / "stock.ods", "ods", samples.ods_body()))
    assert result.format == "ods"
    assert [(u.kind, u.number, u.label) for u in result.units] == [
        ("sheet", 1, "Stock"),
        ("sheet", 2, "Suppliers"),
    ]
    assert result.units[0].text == "Item\tCount\nBolts\t400\n"
    assert result.units[1].text == "Acme Corp\tSpringfield\n"


def test_rtf_text_and_info_title(tmp_path: Path) -> None:
    path = tmp_path / "memo.rtf"
    path.write_text(
        r"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}{\info{\title Trade Show Memo}}"
        r"\f0\pard Booth number 42\par Caf\'e9 at noon\par}",
        encoding="ascii",
    )
    result = extract_file(path)
    assert result.format == "rtf"
    assert result.title == "Trade Show Memo"
    assert "Booth number 42" in result.units[0].text
    assert "Café at noon" in result.units[0].text
    assert "Helvetica" not in result.units[0].text


def test_rtf_unicode_escapes_including_negative_and_broken_ones(tmp_path: Path) -> None:
    path = tmp_path / "intl.rtf"
    path.write_text(
        r"{\rtf1\ansi\uc1 Gr\u252?\u223?e \u26481?\u20140? \u-1279? \u99999999? ok\par}",
        encoding="ascii",
    )
    assert extract_file(path).units[0].text == "Grüße 東京 \ufb01 \ufffd ok\n"


def test_html_visible_text_only_and_title(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Partner Portal</title>"
        "<style>body { color: red; }</style><script>var secret = 'hidden-js';</script></head>"
        "<body><h1>Welcome</h1><p>Visible <b>bold</b> words</p><div hidden>not shown</div>"
        "<p>after hidden</p><table><tr><td>cell one</td><td>cell two</td></tr></table>"
        "<noscript>enable scripts</noscript><!-- a comment --></body></html>",
        encoding="utf-8",
    )
    result = extract_file(path)
    assert result.format == "html"
    assert result.title == "Partner Portal"
    text = result.units[0].text
    assert "Welcome\nVisible bold words\nafter hidden\ncell one\tcell two" in text
    for invisible in ("color: red", "hidden-js", "not shown", "enable scripts", "a comment"):
        assert invisible not in text


def test_html_title_falls_back_to_heading_and_honours_meta_charset(tmp_path: Path) -> None:
    path = tmp_path / "legacy.htm"
    path.write_bytes(
        b'<html><head><meta charset="iso-8859-1"></head>'
        b"<body><h2>R\xe9sum\xe9 tips</h2><p>na\xefve</p></body></html>"
    )
    result = extract_file(path)
    assert result.title == "Résumé tips"
    assert "naïve" in result.units[0].text


def test_markdown_title_is_first_heading_outside_code(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("```bash\n# not a title\n```\nintro\n\n## Objection Handling ##\n\ntext\n")
    result = extract_file(path)
    assert result.format == "md"
    assert result.title == "Objection Handling"
    assert "intro" in result.units[0].text


def test_markdown_without_heading_is_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scratch.md"
    path.write_text("just words\n")
    assert extract_file(path).title == "scratch"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", "Grüße aus München, 20 € pro Stück"),
        ("utf-16", "Grüße aus München, 20 € pro Stück"),
        ("cp1252", "Prix spécial: 20 € — déjà vu, garçon, façade, élève, tête-à-tête."),
        ("shift_jis", "東京での営業会議の議事録です。来週の予定を確認してください。"),
    ],
)
def test_plain_text_charset_is_detected(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes((text + "\n").encode(encoding) * 20)
    result = extract_file(path)
    assert result.format == "txt"
    assert result.title == "notes"
    assert result.units[0].text.startswith(text + "\n")


def test_csv_is_text_with_its_charset(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("name,city\nZoë,Malmö\n".encode("cp1252"))
    result = extract_file(path)
    assert result.format == "csv"
    assert result.units[0].text == "name,city\nZoë,Malmö\n"


def test_eml_prefers_plain_text_and_names_subject_and_sender(tmp_path: Path) -> None:
    path = samples.eml_file(
        tmp_path / "mail.eml",
        plain="Please find the price list attached.",
        html="<p>HTML version <b>only</b></p>",
        subject="Price list for März",
    )
    result = extract_file(path)
    assert result.format == "eml"
    assert result.title == "Price list for März"
    text = result.units[0].text
    assert "Subject: Price list for März" in text
    assert "dana@example.com" in text
    assert "Please find the price list attached." in text
    assert "HTML version" not in text


def test_eml_with_only_html_is_stripped_to_text(tmp_path: Path) -> None:
    path = samples.eml_file(
        tmp_path / "promo",  # no extension: the headers say it is mail
        plain=None,
        html="<html><style>p {}</style><p>Spring <i>offer</i></p></html>",
        subject="Offer",
    )
    result = extract_file(path)
    assert result.format == "eml"
    assert "Spring offer" in result.units[0].text
    assert "p {}" not in result.units[0].text


def test_content_decides_when_the_extension_lies(tmp_path: Path) -> None:
    real_pdf = samples.pdf(tmp_path / "real.pdf", ["Actually a PDF"])
    fake_docx = tmp_path / "report.docx"
    shutil.copy(real_pdf, fake_docx)
    real_docx = samples.docx_file(tmp_path / "real.docx")
    fake_pdf = tmp_path / "slides.pdf"
    shutil.copy(real_docx, fake_pdf)

    assert detect_format(fake_docx) == "pdf"
    assert "Actually a PDF" in extract_file(fake_docx).units[0].text
    assert detect_format(fake_pdf) == "docx"
    assert "Nordics" in extract_file(fake_pdf).units[0].text


@pytest.mark.parametrize(
    ("name", "builder", "expected"),
    [
        ("a.pdf", lambda p: samples.pdf(p, ["x"]), "pdf"),
        ("a.docx", samples.docx_file, "docx"),
        ("a.pptx", samples.pptx_file, "pptx"),
        ("a.xlsx", samples.xlsx_file, "xlsx"),
        ("a.odt", lambda p: samples.odf_file(p, "odt", samples.odt_body()), "odt"),
        ("a.bin", lambda p: samples.odf_file(p, "ods", samples.ods_body()), "ods"),
        ("a.epub", lambda p: samples.write_zip(p, {"mimetype": "application/epub+zip"}), None),
    ],
)
def test_detect_container_formats(
    tmp_path: Path, name: str, builder: Callable[[Path], Path], expected: str | None
) -> None:
    assert detect_format(builder(tmp_path / name)) == expected


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.txt", b"{\\rtf1 hi}", "rtf"),
        ("a.txt", b"<!doctype html><p>x</p>", "html"),
        ("a.log", b"plain words", "txt"),
        ("a.tsv", b"a\tb", "csv"),
        ("a.eml", b"Subject: hi\n\nbody", "eml"),
        ("a.eml", b"just a note", "txt"),
        ("a", b"Received: from mx\nSubject: hi\n\nbody", "eml"),
        ("a.md", b"%PDF-1.4 not markdown", "pdf"),
        ("a.dat", b"\x00\x01\x02binary", None),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), None),
    ],
)
def test_detect_by_content(tmp_path: Path, name: str, content: bytes, expected: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected


def test_binary_and_foreign_zip_files_are_unsupported(tmp_path: Path) -> None:
    binary = tmp_path / "tool.exe"
    binary.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" * 100)
    epub = samples.write_zip(tmp_path / "book.epub", {"mimetype": "application/epub+zip"})
    for path in (binary, epub):
        with pytest.raises(ExtractionFailed) as failed:
            extract_file(path)
        assert failed.value.reason == "unsupported format"


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("  Quarterly\n  Review ", "Quarterly Review"),
        ("Microsoft Word - Price list.doc", "Price list.doc"),
        ("(anonymous)", "handout"),
        ("PowerPoint Presentation", "handout"),
        ("   ", "handout"),
    ],
)
def test_placeholder_and_messy_metadata_titles(
    tmp_path: Path, metadata: str, expected: str
) -> None:
    path = samples.pdf(tmp_path / "handout.pdf", ["text"], title=metadata)
    assert extract_file(path).title == expected
