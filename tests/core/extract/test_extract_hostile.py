"""Hostile and broken files: each ends quickly with text or a reason, and reads nothing else."""

from __future__ import annotations

import io
import struct
import time
import zipfile
from pathlib import Path

import extract_samples as samples
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from fieldkit.core.extract import ExtractionFailed, extract_file

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def reason_of(path: Path, max_chars: int = 2_000_000) -> str:
    with pytest.raises(ExtractionFailed) as failed:
        extract_file(path, max_chars=max_chars)
    return failed.value.reason


def replace_member(source: Path, target: Path, name: str, data: bytes) -> Path:
    """A copy of a zip with one member's content replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, data if info.filename == name else old.read(info))
    return target


def word_document(body: str, prolog: str = "") -> bytes:
    xml = f'<?xml version="1.0"?>{prolog}<w:document {W_NS}><w:body>{body}</w:body></w:document>'
    return xml.encode()


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.docx"
    path.write_bytes(b"")
    assert reason_of(path) == "empty file"


def test_missing_file_cannot_be_read(tmp_path: Path) -> None:
    assert reason_of(tmp_path / "gone.pdf") == "can't be read"


def test_truncated_zip(tmp_path: Path) -> None:
    whole = samples.docx_file(tmp_path / "whole.docx").read_bytes()
    cut = tmp_path / "cut.docx"
    cut.write_bytes(whole[: len(whole) // 2])
    assert reason_of(cut) == "damaged file"


def test_damaged_zip_of_unknown_kind_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "archive.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    assert reason_of(path) == "unsupported format"


def test_corrupt_member_data(tmp_path: Path) -> None:
    good = samples.docx_file(tmp_path / "good.docx")
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 10, start + min(info.compress_size, 200)):
        data[offset] ^= 0x5A
    bad = tmp_path / "bad.docx"
    bad.write_bytes(bytes(data))
    assert reason_of(bad) == "damaged file"


def test_zip_bomb_is_refused_from_the_directory(tmp_path: Path) -> None:
    good = samples.docx_file(tmp_path / "good.docx")
    filler = b"<w:p><w:r><w:t>" + b" " * (40 * 1024 * 1024) + b"</w:t></w:r></w:p>"
    xml = word_document("") + filler
    bomb = replace_member(good, tmp_path / "bomb.docx", "word/document.xml", xml)
    assert bomb.stat().st_size < 1024 * 1024
    started = time.monotonic()
    assert reason_of(bomb) == "too large"
    assert time.monotonic() - started < 2.0


def test_member_that_inflates_beyond_its_declared_size_stops_at_the_size(tmp_path: Path) -> None:
    good = samples.docx_file(tmp_path / "good.docx")
    xml = word_document("<w:p><w:r><w:t>" + "word " * 200_000 + "</w:t></w:r></w:p>")
    bomb = replace_member(good, tmp_path / "liar.docx", "word/document.xml", xml)
    data = bytearray(bomb.read_bytes())
    with zipfile.ZipFile(bomb) as zf:
        info = zf.getinfo("word/document.xml")
    small = (1000).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = small  # local header: size
    name_at = data.find(info.filename.encode(), data.find(b"PK\x01\x02"))
    central = name_at - 46
    data[central + 24 : central + 28] = small  # central directory: uncompressed size
    liar = tmp_path / "liar-patched.docx"
    liar.write_bytes(bytes(data))
    assert reason_of(liar) == "damaged file"  # the CRC of the first 1000 bytes cannot match


def test_entity_bomb_in_docx_neither_expands_nor_hangs(tmp_path: Path) -> None:
    good = samples.docx_file(tmp_path / "good.docx")
    xml = word_document(
        "<w:p><w:r><w:t>before</w:t></w:r></w:p><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>",
        prolog=samples.BILLION_LAUGHS,
    )
    bomb = replace_member(good, tmp_path / "laughs.docx", "word/document.xml", xml)
    started = time.monotonic()
    try:
        result = extract_file(bomb)
    except ExtractionFailed as failed:
        assert failed.reason == "damaged file"  # libxml2 refuses the amplification outright
    else:
        assert "lollol" not in result.units[0].text
        assert result.chars < 10_000
    assert time.monotonic() - started < 2.0


def test_entity_bomb_in_xlsx_shared_strings(tmp_path: Path) -> None:
    good = samples.xlsx_file(tmp_path / "good.xlsx")
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    xml = (
        f'<?xml version="1.0"?>{samples.BILLION_LAUGHS}<sst {main} count="1" uniqueCount="1">'
        "<si><t>&lol9;</t></si></sst>"
    ).encode()
    bomb = replace_member(good, tmp_path / "laughs.xlsx", "xl/sharedStrings.xml", xml)
    started = time.monotonic()
    try:
        result = extract_file(bomb)
    except ExtractionFailed as failed:
        assert failed.reason == "damaged file"
    else:
        assert all("lollol" not in unit.text for unit in result.units)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{url}">]>',
        '<!DOCTYPE w:document [<!ENTITY % xxe SYSTEM "{url}"> %xxe;]>',
        '<!DOCTYPE w:document SYSTEM "{url}">',
    ],
)
def test_external_entities_read_nothing(tmp_path: Path, prolog: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711")
    good = samples.docx_file(tmp_path / "good.docx")
    uses_entity = "&xxe;" if "ENTITY xxe" in prolog else ""
    xml = word_document(
        f"<w:p><w:r><w:t>visible {uses_entity} text</w:t></w:r></w:p>",
        prolog=prolog.format(url=secret.as_uri()),
    )
    xxe = replace_member(good, tmp_path / "xxe.docx", "word/document.xml", xml)
    result = extract_file(xxe)
    text = result.units[0].text
    assert "visible" in text and "text" in text
    assert "TOPSECRET" not in text
    assert "TOPSECRET" not in result.title


def test_xxe_in_xlsx_sheet_reads_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711")
    good = samples.xlsx_file(tmp_path / "good.xlsx")
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        f'<worksheet {main}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>cell &xxe;</t>'
        "</is></c></row></sheetData></worksheet>"
    ).encode()
    xxe = replace_member(good, tmp_path / "xxe.xlsx", "xl/worksheets/sheet1.xml", xml)
    result = extract_file(xxe)
    assert result.units[0].text.startswith("cell")
    assert all("TOPSECRET" not in unit.text for unit in result.units)


def test_encrypted_pdf_is_password_protected(tmp_path: Path) -> None:
    path = samples.pdf(tmp_path / "locked.pdf", ["Secret price list"], password="hunter2")
    assert reason_of(path) == "password-protected"


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    doc = samples.FPDF()
    doc.set_font("helvetica", size=12)
    doc.set_encryption(owner_password="owner-only")
    doc.add_page()
    doc.multi_cell(0, 8, "Open to read, closed to edit")
    path = tmp_path / "restricted.pdf"
    doc.output(str(path))
    assert "Open to read" in extract_file(path).units[0].text


def test_encrypted_docx_is_password_protected(tmp_path: Path) -> None:
    plain = samples.docx_file(tmp_path / "plain.docx")
    encrypted = io.BytesIO()
    with plain.open("rb") as source:
        OOXMLFile(source).encrypt("Password1234_", encrypted)
    path = tmp_path / "locked.docx"
    path.write_bytes(encrypted.getvalue())
    assert reason_of(path) == "password-protected"


def test_legacy_word_file_is_unsupported(tmp_path: Path) -> None:
    path = samples.ole_file(tmp_path / "old.doc", "WordDocument", samples.word_fib(False))
    assert reason_of(path) == "unsupported format"


def test_encrypted_legacy_word_file_is_password_protected(tmp_path: Path) -> None:
    path = samples.ole_file(tmp_path / "old.doc", "WordDocument", samples.word_fib(True))
    assert reason_of(path) == "password-protected"


def test_damaged_compound_file_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "broken.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 1000)
    assert reason_of(path) == "unsupported format"


def test_damaged_pdf(tmp_path: Path) -> None:
    whole = samples.pdf(tmp_path / "whole.pdf", ["text"]).read_bytes()
    path = tmp_path / "broken.pdf"
    path.write_bytes(whole[:200])
    assert reason_of(path) == "damaged file"


def test_one_huge_line_is_cut_at_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_text("x" * 3_000_000)
    result = extract_file(path, max_chars=1_000_000)
    assert result.truncated
    assert result.chars == 1_000_000
    assert len(result.units[0].text) == 1_000_000


def test_huge_docx_paragraph_is_cut_at_the_cap(tmp_path: Path) -> None:
    good = samples.docx_file(tmp_path / "good.docx")
    body = "<w:p><w:r><w:t>" + "pricing " * 500_000 + "</w:t></w:r></w:p>"
    body += "<w:p><w:r><w:t>after the cap</w:t></w:r></w:p>"
    big = replace_member(good, tmp_path / "big.docx", "word/document.xml", word_document(body))
    result = extract_file(big, max_chars=100_000)
    assert result.truncated
    assert result.chars == 100_000
    assert "after the cap" not in result.units[0].text


@pytest.mark.parametrize("builder", [samples.pptx_file, samples.xlsx_file, samples.docx_file])
def test_cap_applies_across_units(tmp_path: Path, builder: object) -> None:
    assert callable(builder)
    path = builder(tmp_path / "file")
    result = extract_file(path, max_chars=20)
    assert result.truncated
    assert result.chars == 20


def test_text_below_the_cap_is_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text("exactly ten")
    result = extract_file(path, max_chars=11)
    assert not result.truncated
    assert result.chars == 11


def test_pdf_cap_stops_reading_pages(tmp_path: Path) -> None:
    path = samples.many_page_pdf(tmp_path / "long.pdf", 30)
    result = extract_file(path, max_chars=5_000)
    assert result.truncated
    assert result.chars == 5_000
    assert len(result.units) < 30


@pytest.mark.parametrize(
    ("token", "reason"), [(0xF3D1C4DF, "password-protected"), (0xE391C05F, "unsupported format")]
)
def test_legacy_powerpoint_encryption_is_recognised(
    tmp_path: Path, token: int, reason: str
) -> None:
    current_user = struct.pack("<IIII", 0x0FF60000, 20, 20, token)
    path = samples.ole_file(tmp_path / "old.ppt", "Current User", current_user)
    assert reason_of(path) == reason
