"""Text-based formats: plain text, CSV, Markdown, HTML, RTF and e-mail (EML)."""

from __future__ import annotations

import codecs
import email
import email.message
import os
import re
from collections.abc import Callable
from email.header import decode_header, make_header
from pathlib import Path
from typing import Final

import charset_normalizer
from lxml import etree
from striprtf.striprtf import rtf_to_text as _untyped_rtf_to_text

from fieldkit.core.extract.model import (
    DAMAGED,
    Extracted,
    ExtractionFailed,
    TextBudget,
    Unit,
    clean_text,
    finish,
)
from fieldkit.core.extract.sniff import text_encoding_of_bom

MB: Final = 1024 * 1024
MAX_MARKUP_BYTES: Final = 64 * MB  # HTML and RTF read per file; markup outweighs its text
MAX_MAIL_BYTES: Final = 256 * MB
SNIFF_BYTES: Final = 256 * 1024  # what charset detection looks at
_TIE_CHAOS: Final = 0.1
_TIE_COHERENCE: Final = 0.02

_META_CHARSET: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_ATX_HEADING: Final = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$")
_FENCE: Final = re.compile(r"^ {0,3}(```|~~~)")
_RTF_TITLE: Final = re.compile(r"\{\\title\s+((?:[^{}\\]|\\.)*)\}")
_RTF_UNICODE: Final = re.compile(r"\\u(-?\d{1,10})")
_HTML_SPACE: Final = re.compile(r"[ \t\f\v\r\xa0]+")

rtf_to_text: Callable[..., str] = _untyped_rtf_to_text


def _read(path: Path, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the file, and whether there was more."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read(min(limit, size) + 1)  # read(n) reserves n bytes up front
    if len(data) > limit:
        return data[:limit], True
    return data, False


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, cut: bool, declared: str | None = None) -> str:
    """Text from bytes: a byte-order mark, then a declared charset, then UTF-8, then detection."""
    bom = text_encoding_of_bom(data)
    if bom is not None:
        return data[bom[1] :].decode(bom[0], errors="replace")
    encoding = _codec(declared) if declared else None
    if encoding is not None and encoding not in ("utf-8", "ascii"):
        return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")  # the read stopped inside a character
    encoding = _detect_encoding(data[:SNIFF_BYTES])
    return data.decode(encoding or "cp1252", errors="replace")


def _detect_encoding(sample: bytes) -> str | None:
    """charset-normalizer's guess, except that Windows-1252 wins a near tie.

    Short Western European texts decode cleanly in several single-byte code pages, and the
    detector's first choice among them is close to arbitrary; Windows-1252 is the likely one.
    """
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        near = (
            match.chaos <= best.chaos + _TIE_CHAOS
            and match.coherence >= best.coherence - _TIE_COHERENCE
        )
        western = match.encoding == "cp1252" or (
            "cp1252" in match.could_be_from_charset
            and sample.decode("cp1252", errors="replace") == str(match)
        )
        if near and western:
            return "cp1252"
    return _codec(best.encoding)


def _plain(path: Path, budget: TextBudget) -> str:
    data, cut = _read(path, 4 * budget.left + 4)
    text = budget.take(clean_text(decode(data, cut)))
    if cut:
        budget.truncated = True
    return text


def extract_plain(fmt: str, path: Path, stem: str, budget: TextBudget) -> Extracted:
    """Plain text and CSV: the text as it is, in its detected charset."""
    text = _plain(path, budget)
    return finish(fmt, None, stem, [Unit(None, None, text)], budget)


def markdown_title(text: str) -> str | None:
    """The first ATX heading (``# Title``) outside fenced code."""
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _ATX_HEADING.match(line)):
            return match.group(1)
    return None


def extract_markdown(path: Path, stem: str, budget: TextBudget) -> Extracted:
    text = _plain(path, budget)
    return finish("md", markdown_title(text), stem, [Unit(None, None, text)], budget)


# ----------------------------------------------------------------------------------------- HTML

_INVISIBLE: Final = ("script", "style", "noscript", "template", "head", "iframe", "object")
_HEADINGS: Final = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS: Final = frozenset(
    {
        *_HEADINGS,
        "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "section",
        "article", "aside", "header", "footer", "nav", "main", "blockquote", "pre", "hr",
        "form", "fieldset", "figure", "figcaption", "address", "caption", "title", "body",
    }
)  # fmt: skip
_CELLS: Final = frozenset({"td", "th"})
_CELL_END: Final = "\ue000"  # a private-use mark for a tab, kept from whitespace collapsing


def _element_text(elem: etree._Element) -> str:
    return _HTML_SPACE.sub(" ", "".join(elem.itertext())).strip()


def html_to_text(markup: str) -> tuple[str | None, str | None, str]:
    """``(title, first heading, visible text)`` of an HTML document."""
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    root = etree.fromstring(markup.encode("utf-8", errors="replace"), parser)
    if root is None:
        return None, None, ""
    title_elem = root.find(".//title")
    title = _element_text(title_elem) if title_elem is not None else None
    heading = next((t for h in root.iter(*_HEADINGS) if (t := _element_text(h))), None)
    etree.strip_elements(root, *_INVISIBLE, with_tail=False)
    for hidden in root.xpath("//*[@hidden]"):
        hidden.clear(keep_tail=True)
    for elem in root.iter():
        if not isinstance(elem.tag, str):
            continue
        if elem.tag in _BLOCKS:
            elem.tail = "\n" + (elem.tail or "")
        elif elem.tag in _CELLS:
            elem.tail = _CELL_END + (elem.tail or "")
    text = "".join(root.itertext())
    lines = (_HTML_SPACE.sub(" ", line).strip(" ") for line in text.split("\n"))
    return title, heading, "\n".join(line for line in lines if line).replace(_CELL_END, "\t")


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def extract_html(path: Path, stem: str, budget: TextBudget) -> Extracted:
    data, cut = _read(path, MAX_MARKUP_BYTES)
    title, heading, text = html_to_text(decode(data, cut, _declared_charset(data)))
    text = budget.take(clean_text(text))
    if cut:
        budget.truncated = True
    return finish("html", title or heading, stem, [Unit(None, None, text)], budget)


# ------------------------------------------------------------------------------------------ RTF


def _unicode_escape(match: re.Match[str]) -> str:
    """``\\uN`` with N as a code point: RTF writes those above 32767 as negative 16-bit numbers."""
    number = int(match.group(1))
    if number < 0:
        number += 65536
    return f"\\u{number if 0 <= number <= 0x10FFFF else 0xFFFD}"


def _rtf_text(source: str) -> str:
    try:
        return rtf_to_text(_RTF_UNICODE.sub(_unicode_escape, source), errors="replace")
    except ValueError as exc:
        raise ExtractionFailed(DAMAGED, f"bad RTF: {exc}") from exc


def extract_rtf(path: Path, stem: str, budget: TextBudget) -> Extracted:
    data, cut = _read(path, MAX_MARKUP_BYTES)
    source = data.decode("latin-1")
    match = _RTF_TITLE.search(source)
    title = _rtf_text(match.group(1)) if match else None
    text = budget.take(clean_text(_rtf_text(source)))
    if cut:
        budget.truncated = True
    return finish("rtf", title, stem, [Unit(None, None, text)], budget)


# ----------------------------------------------------------------------------------------- Mail


def _header(msg: email.message.Message, name: str) -> str:
    raw = msg.get(name)
    if raw is None:
        return ""
    try:
        return str(make_header(decode_header(str(raw))))
    except (UnicodeError, LookupError, ValueError):
        return str(raw)


def _part_text(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    return decode(payload, False, charset)


def _mail_body(msg: email.message.Message) -> str:
    """The text/plain parts shown inline, else the text/html ones stripped to text."""
    plain: list[str] = []
    html: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain":
            plain.append(_part_text(part))
        elif content_type == "text/html":
            html.append(html_to_text(_part_text(part))[2])
    return "\n\n".join(plain or html)


def extract_eml(path: Path, stem: str, budget: TextBudget) -> Extracted:
    data, cut = _read(path, MAX_MAIL_BYTES)
    msg = email.message_from_bytes(data)
    subject = _header(msg, "Subject")
    sender = _header(msg, "From")
    head = "\n".join(
        f"{label}: {value}" for label, value in (("Subject", subject), ("From", sender)) if value
    )
    text = budget.take(clean_text(f"{head}\n\n{_mail_body(msg)}".strip()))
    if cut:
        budget.truncated = True
    return finish("eml", subject, stem, [Unit(None, None, text)], budget)
