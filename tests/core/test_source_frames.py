"""Reading the hub's framed answer for several files, however the bytes arrive."""

from __future__ import annotations

import hashlib
import json

import pytest

from fieldkit.core.manifest import ManifestDocument
from fieldkit.core.source import (
    DocumentChanged,
    StreamInterrupted,
    _deliveries,
    _Frames,
)

CONTENTS = [b"first file\n", b"", b"\n\n{not a header}\n", b"x" * 3000]
DOCUMENTS = [
    ManifestDocument(f"d_{n}", f"{n}.txt", 1, hashlib.sha256(c).hexdigest(), len(c))
    for n, c in enumerate(CONTENTS)
]


def answer(documents: list[ManifestDocument], contents: list[bytes]) -> bytes:
    parts = []
    for doc, content in zip(documents, contents, strict=True):
        header = {"id": doc.id, "version": doc.version, "status": 200, "size": len(content),
                  "sha256": hashlib.sha256(content).hexdigest()}
        parts.append(json.dumps(header).encode() + b"\n" + content)
    return b"".join(parts)


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("piece", [1, 2, 7, 64, 1000, 1 << 20])
def test_files_are_read_whole_whatever_the_pieces_they_arrive_in(piece: int) -> None:
    frames = _Frames(iter(split(answer(DOCUMENTS, CONTENTS), piece)))
    got = []
    for delivery in _deliveries(DOCUMENTS, frames):
        assert delivery.error is None and delivery.stream is not None
        got.append(b"".join(bytes(chunk) for chunk in delivery.stream.chunks))
    assert got == CONTENTS


def test_a_file_left_half_read_does_not_shift_the_next_one() -> None:
    frames = _Frames(iter(split(answer(DOCUMENTS, CONTENTS), 5)))
    deliveries = _deliveries(DOCUMENTS, frames)
    first = next(deliveries)
    assert first.stream is not None
    next(first.stream.chunks)  # the reader stops after one piece
    assert next(deliveries).document == DOCUMENTS[1]
    third = next(deliveries)
    assert third.stream is not None
    assert b"".join(bytes(c) for c in third.stream.chunks) == CONTENTS[2]


def test_a_file_that_is_not_the_listed_version_is_skipped_as_changed() -> None:
    changed = [CONTENTS[0], b"other bytes", *CONTENTS[2:]]
    frames = _Frames(iter([answer(DOCUMENTS, changed)]))
    deliveries = list(_deliveries(DOCUMENTS, frames))
    assert isinstance(deliveries[1].error, DocumentChanged)
    assert [d.error for d in deliveries[2:]] == [None, None]


def test_an_answer_that_ends_early_is_an_interruption() -> None:
    data = answer(DOCUMENTS, CONTENTS)
    deliveries = _deliveries(DOCUMENTS, _Frames(iter([data[:-10]])))
    with pytest.raises(StreamInterrupted, match="ended before"):
        for delivery in deliveries:
            if delivery.stream is not None:
                for _ in delivery.stream.chunks:
                    pass
