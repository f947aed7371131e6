"""Which format a file really is: its first bytes and zip members decide; the extension hints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from fieldkit.core.extract.model import ExtractionFailed
from fieldkit.core.extract.safexml import SafeZip

HEAD_BYTES: Final = 8192
OLE: Final = "ole"  # an OLE2 compound file: legacy Office, or encrypted OOXML

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
_BOMS: Final = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

_ZIP_EXTENSIONS: Final = {
    ".docx": "docx",
    ".docm": "docx",
    ".dotx": "docx",
    ".dotm": "docx",
    ".pptx": "pptx",
    ".pptm": "pptx",
    ".potx": "pptx",
    ".potm": "pptx",
    ".ppsx": "pptx",
    ".ppsm": "pptx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xltx": "xlsx",
    ".xltm": "xlsx",
    ".odt": "odt",
    ".ott": "odt",
    ".odp": "odp",
    ".otp": "odp",
    ".ods": "ods",
    ".ots": "ods",
}
_OOXML_DIRS: Final = (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx"))
_ODF_MIMETYPES: Final = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.presentation-template": "odp",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}
_TEXT_EXTENSIONS: Final = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "md",
    ".markdown": "md",
    ".mdown": "md",
    ".mkd": "md",
    ".csv": "csv",
    ".tsv": "csv",
    ".eml": "eml",
}
_HTML_START: Final = re.compile(
    r"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL
)
_MAIL_HEADERS: Final = frozenset(
    {
        "from", "to", "cc", "subject", "date", "received", "message-id", "mime-version",
        "return-path", "content-type", "delivered-to", "reply-to",
    }
)  # fmt: skip
_HEADER_NAME: Final = re.compile(r"[A-Za-z0-9-]+")
_HEADER_LINE: Final = re.compile(r"(From [^\n]*\n)?[A-Za-z0-9-]+:[ \t]")


def read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


def text_encoding_of_bom(head: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark announces, and the mark's length."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    return None


def _head_text(head: bytes) -> str | None:
    """The start of the file as text, or None when it looks binary."""
    bom = text_encoding_of_bom(head)
    if bom is not None:
        return head[bom[1] :].decode(bom[0], errors="ignore")
    if b"\x00" in head:
        return None
    return head.decode("latin-1")


def _sniff_text(head: bytes, ext: str) -> str | None:
    text = _head_text(head)
    if text is None:
        return None
    if text.startswith("{\\rtf"):
        return "rtf"
    hinted = _TEXT_EXTENSIONS.get(ext)
    if hinted == "eml" and not _HEADER_LINE.match(text):
        return "txt"
    if hinted is not None:
        return hinted
    if _HTML_START.match(text):
        return "html"
    if _looks_like_mail(text):
        return "eml"
    return "txt"


def _looks_like_mail(text: str) -> bool:
    """A block of RFC 822 header lines up to the first blank line, with two or more mail headers."""
    names: set[str] = set()
    lines = text.split("\n", 200)[:200]
    if lines and lines[0].startswith("From "):
        lines = lines[1:]  # an mbox separator line
    for line in lines:
        line = line.rstrip("\r")
        if not line:
            break
        if line[0] in " \t":
            continue  # a folded header continues
        name, colon, _ = line.partition(":")
        if not colon or not _HEADER_NAME.fullmatch(name):
            return False
        names.add(name.lower())
    else:
        return False  # no blank line ends the headers within the head
    return len(names & _MAIL_HEADERS) >= 2


def sniff_zip(zf: SafeZip) -> str | None:
    """The OOXML or ODF format of an open zip, or None for any other zip."""
    if zf.has("mimetype"):
        mimetype = zf.read("mimetype", 200).decode("ascii", errors="replace").strip()
        return _ODF_MIMETYPES.get(mimetype)
    names = zf.names()
    if "xl/workbook.bin" in names:
        return None  # a binary workbook (.xlsb): its parts are not XML
    for prefix, fmt in _OOXML_DIRS:
        if any(name.startswith(prefix) for name in names):
            return fmt
    return None


def sniff(path: Path, head: bytes) -> str | None:
    """A canonical format, OLE for a compound file, or None when no supported format matches.

    For zip files this only looks at the magic: `detect_zip` opens the container.
    """
    ext = path.suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return OLE
    if b"%PDF-" in head[:1024] or (ext == ".pdf" and head.startswith(b"%")):
        return "pdf"  # PDFium judges a PDF whose header is broken
    return _sniff_text(head, ext)


def zip_format_hint(path: Path) -> str | None:
    """What a zip that will not open was meant to be, judging by its extension."""
    return _ZIP_EXTENSIONS.get(path.suffix.lower())


def detect_format(path: Path) -> str | None:
    """The canonical format of ``path`` by content first, extension second; None if unsupported."""
    head = read_head(path)
    kind = sniff(path, head)
    if kind == OLE:
        return None
    if kind != "zip":
        return kind
    try:
        with SafeZip(path) as zf:
            return sniff_zip(zf)
    except ExtractionFailed:
        return zip_format_hint(path)
