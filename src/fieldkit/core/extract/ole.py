"""OLE2 compound files: password-protected Office documents, or legacy binary Office formats."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Final, NoReturn

import olefile

from fieldkit.core.extract.model import PASSWORD_PROTECTED, UNSUPPORTED, ExtractionFailed

_FILEPASS: Final = 0x002F  # BIFF record that starts an encrypted Excel workbook
_BIFF_EOF: Final = 0x000A
_WORD_ENCRYPTED: Final = 0x0100  # fEncrypted in the Word FIB flags
_PPT_ENCRYPTED_TOKEN: Final = 0xF3D1C4DF  # CurrentUserAtom.headerToken when encrypted


def _word_encrypted(ole: olefile.OleFileIO) -> bool:
    head = ole.openstream("WordDocument").read(12)
    return len(head) == 12 and bool(struct.unpack_from("<H", head, 10)[0] & _WORD_ENCRYPTED)


def _excel_encrypted(ole: olefile.OleFileIO, stream: str) -> bool:
    data = ole.openstream(stream).read(8192)
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


def _powerpoint_encrypted(ole: olefile.OleFileIO) -> bool:
    head = ole.openstream("Current User").read(16)
    return len(head) == 16 and struct.unpack_from("<I", head, 12)[0] == _PPT_ENCRYPTED_TOKEN


def _is_encrypted(ole: olefile.OleFileIO) -> bool:
    if ole.exists("EncryptedPackage") or ole.exists("EncryptedSummary"):
        return True
    if ole.exists("Current User"):
        return _powerpoint_encrypted(ole)
    if ole.exists("WordDocument"):
        return _word_encrypted(ole)
    for stream in ("Workbook", "Book"):
        if ole.exists(stream):
            return _excel_encrypted(ole, stream)
    return False


def classify_ole(path: Path) -> NoReturn:
    """Raises "password-protected" for encrypted documents, else "unsupported format"."""
    with path.open("rb") as handle:
        try:
            encrypted = _is_encrypted(olefile.OleFileIO(handle))
        except Exception as exc:  # olefile reports damage with assorted exception types
            raise ExtractionFailed(UNSUPPORTED, f"a damaged legacy Office file: {exc}") from exc
    if encrypted:
        raise ExtractionFailed(PASSWORD_PROTECTED, "encrypted Office document")
    raise ExtractionFailed(UNSUPPORTED, "a legacy binary Office file (.doc, .xls, .ppt or .msg)")
