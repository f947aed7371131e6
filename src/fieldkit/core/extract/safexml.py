"""Hostile-file-safe access to zip containers and the XML inside them.

XML: entities are never expanded, DTDs never loaded, nothing fetched, no huge trees: an entity bomb
stays a handful of unexpanded references and an external entity reads nothing.
Zip: sizes come from the central directory and are checked before anything is inflated, and every
member is read through a counter that stops at its cap, whatever the directory claims.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from lxml import etree

from fieldkit.core.extract.model import DAMAGED, PASSWORD_PROTECTED, TOO_LARGE, ExtractionFailed

MB: Final = 1024 * 1024
MAX_MEMBER_BYTES: Final = 256 * MB  # one XML part, inflated
MAX_TOTAL_BYTES: Final = 1024 * MB  # all the XML parts of one file, inflated
MAX_WHOLE_PART_BYTES: Final = 32 * MB  # a part parsed as a whole tree rather than streamed
MAX_RATIO: Final = 200  # inflated/compressed, for members above RATIO_FLOOR
RATIO_FLOOR: Final = 16 * MB

_PARSER_OPTIONS: Final = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def xml_parser() -> etree.XMLParser:
    """A parser for small whole documents (metadata, relationships)."""
    return etree.XMLParser(**_PARSER_OPTIONS)


def iterparse(
    source: CappedReader, tags: Iterable[str], events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, etree._Element]]:
    """Streams ``(event, element)`` for ``tags`` with every unsafe feature off."""
    context = etree.iterparse(source, events=events, tag=list(tags), **_PARSER_OPTIONS)
    try:
        yield from context
    except etree.XMLSyntaxError as exc:
        raise ExtractionFailed(DAMAGED, f"bad XML: {exc}") from exc


def local(tag: object) -> str:
    """The local part of an element's tag ('' for comments, entities and the like)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def own_text(elem: etree._Element) -> str:
    """An element's text, skipping child nodes such as unexpanded entity references."""
    if not len(elem):
        return elem.text or ""
    return (elem.text or "") + "".join(child.tail or "" for child in elem)


def drop_done(elem: etree._Element) -> None:
    """Frees an element that has been handled, and its already-handled earlier siblings."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


class CappedReader:
    """A file-like view of one zip member that refuses to go past ``cap`` bytes."""

    def __init__(self, raw: IO[bytes], name: str, cap: int) -> None:
        self._raw = raw
        self._name = name
        self._left = cap

    def __enter__(self) -> CappedReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._raw.close()

    def read(self, size: int = -1) -> bytes:
        want = self._left + 1 if size < 0 else min(size, self._left + 1)
        try:
            data = self._raw.read(want)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            raise ExtractionFailed(DAMAGED, f"cannot inflate {self._name}: {exc}") from exc
        self._left -= len(data)
        if self._left < 0:
            raise ExtractionFailed(TOO_LARGE, f"{self._name} inflates beyond its size")
        return data


class SafeZip:
    """A zip container whose members are checked against size and ratio caps before reading."""

    def __init__(self, path: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise ExtractionFailed(DAMAGED, f"not a readable zip: {exc}") from exc
        self._infos = {info.filename: info for info in self._zip.infolist()}
        self._budget = MAX_TOTAL_BYTES

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._zip.close()

    def names(self) -> list[str]:
        return list(self._infos)

    def has(self, name: str) -> bool:
        return name in self._infos

    def _checked_size(self, name: str) -> int:
        info = self._infos.get(name)
        return info.file_size if info is not None else 0

    def _checked(self, name: str) -> zipfile.ZipInfo:
        info = self._infos.get(name)
        if info is None:
            raise ExtractionFailed(DAMAGED, f"missing part {name}")
        if info.flag_bits & 0x1:
            raise ExtractionFailed(PASSWORD_PROTECTED, f"encrypted zip member {name}")
        size = info.file_size
        if size > MAX_MEMBER_BYTES:
            raise ExtractionFailed(TOO_LARGE, f"{name} inflates to {size} bytes")
        if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            raise ExtractionFailed(TOO_LARGE, f"{name} is a zip bomb ({size} bytes)")
        if size > self._budget:
            raise ExtractionFailed(TOO_LARGE, "the parts inflate beyond the limit")
        self._budget -= size
        return info

    def open(self, name: str) -> CappedReader:
        info = self._checked(name)
        try:
            raw = self._zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, EOFError, ValueError) as exc:
            raise ExtractionFailed(DAMAGED, f"cannot open {name}: {exc}") from exc
        return CappedReader(raw, name, info.file_size)

    def read(self, name: str, limit: int = MAX_WHOLE_PART_BYTES) -> bytes:
        """Up to ``limit`` bytes of a member."""
        with self.open(name) as reader:
            return reader.read(limit)

    def parse(self, name: str) -> etree._Element:
        """Parses one small part (relationships, metadata, workbook) as a whole tree."""
        if self._checked_size(name) > MAX_WHOLE_PART_BYTES:
            raise ExtractionFailed(TOO_LARGE, f"{name} is too large to read whole")
        data = self.read(name)
        try:
            return etree.fromstring(data, xml_parser())
        except etree.XMLSyntaxError as exc:
            raise ExtractionFailed(DAMAGED, f"bad XML in {name}: {exc}") from exc
