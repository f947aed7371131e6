"""OLE2 compound files: password-protected Office documents, or legacy binary Office formats.

Only the root storage's directory and the first bytes of a few streams are read, straight from
the file: general OLE libraries build the whole storage tree, which takes seconds on a mail
(.msg) with thousands of entries.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final, NoReturn

from fieldkit.core.extract.model import PASSWORD_PROTECTED, UNSUPPORTED, ExtractionFailed

_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LAST_SECTOR: Final = 0xFFFFFFFA  # larger sector ids mark chain ends and special sectors
_NO_ENTRY: Final = 0xFFFFFFFF
_STREAM: Final = 2
_ENTRY_BYTES: Final = 128
_HEADER_DIFAT: Final = 109

_FILEPASS: Final = 0x002F  # BIFF record that starts an encrypted Excel workbook
_BIFF_EOF: Final = 0x000A
_WORD_ENCRYPTED: Final = 0x0100  # fEncrypted in the Word FIB flags
_PPT_ENCRYPTED_TOKEN: Final = 0xF3D1C4DF  # CurrentUserAtom.headerToken when encrypted


class _Damaged(Exception):
    pass


class _Compound:
    """Just enough of [MS-CFB] to find the root's streams and read their first bytes."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle = handle
        header = handle.read(512)
        if len(header) < 512 or not header.startswith(_MAGIC):
            raise _Damaged("no compound file header")
        shift, mini_shift = struct.unpack_from("<HH", header, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise _Damaged("bad sector sizes")
        self._sector = 1 << shift
        self._sectors = size // self._sector + 1
        fat_count, first_dir = struct.unpack_from("<II", header, 44)
        self._mini_cutoff, first_mini_fat = struct.unpack_from("<II", header, 56)
        first_difat, difat_count = struct.unpack_from("<II", header, 68)
        if fat_count > self._sectors or difat_count > self._sectors:
            raise _Damaged("more allocation sectors than the file holds")
        fat_sectors = list(struct.unpack_from(f"<{_HEADER_DIFAT}I", header, 76))
        difat_sector = first_difat
        for _ in range(difat_count):
            if difat_sector >= _LAST_SECTOR:
                break
            block = self._read_sector(difat_sector)
            *ids, difat_sector = struct.unpack(f"<{self._sector // 4}I", block)
            fat_sectors += ids
        self._fat = self._table(fat_sectors[:fat_count])
        entries = b"".join(self._read_sector(s) for s in self._chain(first_dir))
        self._entries = [
            entries[i : i + _ENTRY_BYTES] for i in range(0, len(entries), _ENTRY_BYTES)
        ]
        if not self._entries:
            raise _Damaged("no directory")
        self._mini_fat = self._table(list(self._chain(first_mini_fat)))
        self._root_chain = list(self._chain(self._start(self._entries[0])))
        self.streams = self._root_streams()

    def _read_sector(self, sector: int) -> bytes:
        if sector >= self._sectors:
            raise _Damaged(f"sector {sector} lies beyond the file")
        self._handle.seek((sector + 1) * self._sector)
        return self._handle.read(self._sector).ljust(self._sector, b"\0")

    def _table(self, sectors: list[int]) -> array[int]:
        table = array("I")
        for sector in sectors:
            table.frombytes(self._read_sector(sector))
        return table

    def _walk(self, start: int, table: array[int] | None = None) -> Iterator[int]:
        """The sectors of a chain, lazily: a break further on costs nothing until reached."""
        table = self._fat if table is None else table
        sector = start
        for _ in range(len(table) + 1):
            if sector >= _LAST_SECTOR:
                return
            if sector >= len(table):
                raise _Damaged("a broken sector chain")
            yield sector
            sector = table[sector]
        raise _Damaged("a sector chain that loops")

    def _chain(self, start: int, table: array[int] | None = None) -> list[int]:
        return list(self._walk(start, table))

    @staticmethod
    def _start(entry: bytes) -> int:
        return int(struct.unpack_from("<I", entry, 116)[0])

    def _root_streams(self) -> dict[str, bytes]:
        """The root storage's streams by lower-case name (names compare without case).

        Walks the red-black tree of the root's children.
        """
        found: dict[str, bytes] = {}
        pending = [struct.unpack_from("<I", self._entries[0], 76)[0]]
        visited: set[int] = set()
        while pending:
            index = pending.pop()
            if index == _NO_ENTRY or index in visited or index >= len(self._entries):
                continue
            visited.add(index)
            entry = self._entries[index]
            name_bytes = min(struct.unpack_from("<H", entry, 64)[0], 64)
            name = entry[: max(name_bytes - 2, 0)].decode("utf-16-le", errors="replace")
            if entry[66] == _STREAM:
                found[name.lower()] = entry
            pending += struct.unpack_from("<II", entry, 68)  # left and right siblings
        return found

    def head(self, name: str, count: int) -> bytes:
        """The first ``count`` bytes of a root stream."""
        entry = self.streams[name.lower()]
        stream_size = struct.unpack_from("<I", entry, 120)[0]
        size = min(stream_size, count)
        out = bytearray()
        if stream_size < self._mini_cutoff:
            for mini in self._walk(self._start(entry), self._mini_fat):
                offset = mini * 64
                index = offset // self._sector
                if index >= len(self._root_chain):
                    raise _Damaged("a mini sector beyond the mini stream")
                block = self._read_sector(self._root_chain[index])
                out += block[offset % self._sector :][:64]
                if len(out) >= size:
                    break
        else:
            for sector in self._walk(self._start(entry)):
                out += self._read_sector(sector)
                if len(out) >= size:
                    break
        return bytes(out[:size])


def _excel_encrypted(data: bytes) -> bool:
    offset = 0
    for _ in range(64):  # FILEPASS follows BOF within the first few records
        if offset + 4 > len(data):
            break
        kind, size = struct.unpack_from("<HH", data, offset)
        if kind == _FILEPASS:
            return True
        if kind == _BIFF_EOF:
            break
        offset += 4 + size
    return False


def _is_encrypted(ole: _Compound) -> bool:
    streams = ole.streams
    if "encryptedpackage" in streams or "encryptedsummary" in streams:
        return True
    if "current user" in streams:
        head = ole.head("current user", 16)
        return len(head) == 16 and struct.unpack_from("<I", head, 12)[0] == _PPT_ENCRYPTED_TOKEN
    if "worddocument" in streams:
        head = ole.head("worddocument", 12)
        return len(head) == 12 and bool(struct.unpack_from("<H", head, 10)[0] & _WORD_ENCRYPTED)
    for name in ("workbook", "book"):
        if name in streams:
            return _excel_encrypted(ole.head(name, 8192))
    return False


def classify_ole(path: Path) -> NoReturn:
    """Raises "password-protected" for encrypted documents, else "unsupported format"."""
    with path.open("rb") as handle:
        try:
            encrypted = _is_encrypted(_Compound(handle, path.stat().st_size))
        except (_Damaged, struct.error) as exc:
            raise ExtractionFailed(UNSUPPORTED, f"a damaged legacy Office file: {exc}") from exc
    if encrypted:
        raise ExtractionFailed(PASSWORD_PROTECTED, "encrypted Office document")
    raise ExtractionFailed(UNSUPPORTED, "a legacy binary Office file (.doc, .xls, .ppt or .msg)")
