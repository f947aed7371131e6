"""Segment files read in place from the memory map: the same bytes as Whoosh's copying reader."""

from __future__ import annotations

import io
import pickle
from array import array
from pathlib import Path

from test_index import make_doc
from whoosh.filedb import compound

from fieldkit.core.index import SearchIndex, SearchRequest
from fieldkit.core.index.buffers import SharedBufferFile, ViewReader

DATA = b"first line\nsecond line\n" + pickle.dumps({"units": ("a", "b")}) + bytes(range(256))


def test_view_reader_reads_as_bytesio_does() -> None:
    view, copy = ViewReader(memoryview(DATA)), io.BytesIO(DATA)
    for reader in (view, copy):
        reader.seek(0)
    assert view.readline() == copy.readline() == b"first line\n"
    assert view.read(6) == copy.read(6) == b"second"
    assert view.tell() == copy.tell()
    assert view.readline() == copy.readline() == b" line\n"
    at = view.tell()
    assert view.peek(3)[:3] == DATA[at : at + 3] and view.tell() == at  # peek does not move
    assert pickle.load(view) == pickle.load(copy) == {"units": ("a", "b")}
    assert view.tell() == copy.tell()  # the unpickler's prefetch consumed only the pickle
    ints, expected = array("B"), array("B")
    ints.fromfile(view, 16)  # type: ignore[arg-type]
    expected.fromfile(copy, 16)  # type: ignore[arg-type]
    assert ints == expected
    assert view.seek(-4, io.SEEK_END) == copy.seek(-4, io.SEEK_END)
    target, copied = bytearray(10), bytearray(10)
    assert view.readinto(target) == copy.readinto(copied) == 4
    assert target == copied and target[:4] == DATA[-4:]
    assert view.read() == copy.read() == b""
    assert view.readline() == b""
    view.seek(3)
    assert view.readline(4) == DATA[3:7]


def test_a_reopened_index_reads_its_segments_in_place(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    assert index.open().ok
    docs = [make_doc(f"doc-{n}", f"Pricing sheet {n}", f"renewal discount {n}") for n in range(30)]
    index.apply(docs, [])
    index.close()

    again = SearchIndex(tmp_path / "index")
    assert again.open().ok
    assert compound.BufferFile is SharedBufferFile
    results = again.search(SearchRequest(query="renewal discount", limit=5))
    assert results.total == 30 and len(results.hits) == 5
    listing = again.search(SearchRequest(query="", limit=50))
    assert listing.total == 30
    again.close()
