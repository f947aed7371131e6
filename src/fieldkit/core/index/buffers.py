"""Reading a segment's files from the memory map without copying them.

Whoosh maps each compound segment file and hands every file inside it out as a ``BufferFile``,
whose constructor wraps the map in ``BytesIO(memoryview)``: that copies the whole file (the
terms and postings of a big segment are 100+ MB) into the process each time a reader opens it.
Opening a 20,000-document index copied it twice (once to check it, once to search) and that
copy was most of the first search's time. ``share_segment_buffers`` makes those files read the
map in place; random-access reads (``get``) already did.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_LINE_CHUNK = 256
_PEEK_CHUNK = 1024


class ViewReader(io.RawIOBase):
    """A read-only, seekable file over a memoryview; reads copy only what they return."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self._view = view
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        self._pos = max(start, end)
        return bytes(self._view[start:end])

    def peek(self, size: int = 0) -> bytes:
        """Bytes ahead without moving (as ``BufferedReader.peek``, the count may differ from
        ``size``). ``pickle.load`` prefetches through it; without it the unpickler calls
        ``read`` once per opcode (20 Python calls to read one posting block's header)."""
        del size
        return bytes(self._view[self._pos : self._pos + _PEEK_CHUNK])

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = len(self._view) if size is None or size < 0 else self._pos + size
        limit = min(limit, len(self._view))
        end = self._pos
        while end < limit:
            chunk = bytes(self._view[end : min(limit, end + _LINE_CHUNK)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                end += newline + 1
                break
            end += len(chunk)
        return self.read(end - self._pos)


class SharedBufferFile(BufferFile):  # type: ignore[misc]
    """Whoosh's ``BufferFile`` without the copy of its buffer."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = ViewReader(memoryview(buf))


def share_segment_buffers() -> None:
    """Make the files of mapped compound segments read the map in place (idempotent)."""
    compound.BufferFile = SharedBufferFile
