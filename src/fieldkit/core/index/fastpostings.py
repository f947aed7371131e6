"""The text fields' posting lists as flat arrays beside each segment, read without decoding.

Whoosh keeps a term's postings in blocks of 128, each a pickle of Python tuples: the first search
for a common word decoded thousands of them (most of a cold query's time). ``SegmentBuilder``
also writes, per segment, a ``.fkpost`` file holding for each text field its terms in byte order
and, per term, its documents (ascending), term frequencies and word positions as little-endian
arrays, one term after the other. A search maps the file and takes each term's arrays as numpy
views; BM25 and phrase checks then run over them in C. A merge combines the merged segments'
files with array operations, never decoding positions.

File layout: ``MAGIC``, a little-endian uint32 header length, a JSON header naming each
field's arrays (offset, dtype, count), then the arrays, each aligned to 8 bytes.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from fieldkit.core.index.model import IndexDamagedError

MAGIC = b"FKPOST01"
SUFFIX = ".fkpost"
_HEADER_LENGTH = struct.Struct("<I")
_ARRAYS = ("term_blob", "term_ends", "post_ends", "pos_ends", "ids", "counts", "positions")
_DTYPES = {
    "term_blob": "u1",
    "term_ends": "<u8",
    "post_ends": "<u8",
    "pos_ends": "<u8",
    "ids": "<u4",
    "counts": "<u4",
    "positions": "<u4",
}

_GATHER_RUNS = 1 << 16
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


class FastPostingsError(IndexDamagedError):
    """A ``.fkpost`` file is missing, truncated or not one this code writes: the index has to
    be rebuilt (``SearchIndex.open`` reports it so)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"The search index needs to be rebuilt: {detail}")


@dataclass(frozen=True)
class TermPostings:
    """One term's postings in one segment: local docnums (ascending), how often the term
    occurs in each, and its positions there, the documents' runs one after the other."""

    ids: U32
    counts: U32
    positions: U32


class _Terms(Sequence[bytes]):
    """The terms of a field as a sequence (for ``bisect``), read from the blob on demand."""

    def __init__(self, blob: npt.NDArray[np.uint8], ends: npt.NDArray[np.uint64]) -> None:
        self._blob = blob
        self._end_array = ends
        self._ends: list[int] | None = None  # made at the first look-up, not when opening

    def __len__(self) -> int:
        return len(self._end_array)

    def __getitem__(self, i: Any) -> Any:
        if self._ends is None:
            self._ends = self._end_array.tolist()
        start = self._ends[i - 1] if i else 0
        return bytes(self._blob.data[start : self._ends[i]])

    def __iter__(self) -> Iterator[bytes]:
        """Every term, split from the blob in one pass (a merge reads them all)."""
        blob = self._blob.tobytes()
        ends = self._end_array.tolist()
        return (blob[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True))


@dataclass(frozen=True)
class FieldPostings:
    """Every posting list of one field of one segment (see the module notes)."""

    term_blob: npt.NDArray[np.uint8]
    term_ends: npt.NDArray[np.uint64]
    post_ends: npt.NDArray[np.uint64]
    pos_ends: npt.NDArray[np.uint64]
    ids: U32
    counts: U32
    positions: U32

    def __post_init__(self) -> None:
        object.__setattr__(self, "_terms", _Terms(self.term_blob, self.term_ends))

    def check(self) -> None:
        """Raise ``FastPostingsError`` unless the arrays fit together."""
        terms = len(self.term_ends)
        if len(self.post_ends) != terms or len(self.pos_ends) != terms:
            raise FastPostingsError("term arrays of different lengths")
        if len(self.counts) != len(self.ids):
            raise FastPostingsError("posting arrays of different lengths")
        ends = (
            (self.term_ends, len(self.term_blob)),
            (self.post_ends, len(self.ids)),
            (self.pos_ends, len(self.positions)),
        )
        for array, size in ends:
            if (int(array[-1]) if terms else 0) != size:
                raise FastPostingsError("arrays cut short")

    @property
    def terms(self) -> _Terms:
        found: _Terms = self.__dict__["_terms"]
        return found

    def find(self, term: bytes) -> TermPostings | None:
        terms = self.terms
        i = bisect_left(terms, term)
        if i == len(terms) or terms[i] != term:
            return None
        return self.at(i)

    def starting_with(self, prefix: bytes, limit: int) -> Iterator[tuple[bytes, int]]:
        """The first ``limit`` terms starting with ``prefix``, with their document counts
        (deleted documents included, as Whoosh counts them)."""
        terms = self.terms
        first = bisect_left(terms, prefix)
        for i in range(first, min(first + limit, len(terms))):
            term = terms[i]
            if not term.startswith(prefix):
                return
            yield term, int(self.post_ends[i]) - (int(self.post_ends[i - 1]) if i else 0)

    def at(self, i: int) -> TermPostings:
        first = int(self.post_ends[i - 1]) if i else 0
        last = int(self.post_ends[i])
        start = int(self.pos_ends[i - 1]) if i else 0
        return TermPostings(
            self.ids[first:last],
            self.counts[first:last],
            self.positions[start : int(self.pos_ends[i])],
        )

    def postings_per_term(self) -> I64:
        return np.diff(self.post_ends, prepend=np.uint64(0)).astype(np.int64)


@dataclass
class Part:
    """Postings of some documents of a new segment, before they are combined: its own terms
    (byte order), each posting's term (an index into them), new docnum and count, and the
    positions of the postings in order."""

    terms: list[bytes]
    term_of: I64
    ids: U32
    counts: U32
    positions: U32


def gather(values: U32, starts: I64, lengths: I64) -> U32:
    """``values[starts[k] : starts[k] + lengths[k]]`` for every k, one after the other.

    Taken ``_GATHER_RUNS`` runs at a time: the index arrays of a whole merge (8 bytes per
    position, three of them) would cost hundreds of megabytes at once."""
    out = np.zeros(int(lengths.sum()), np.uint32)
    done = 0
    for first in range(0, len(lengths), _GATHER_RUNS):
        run_starts = starts[first : first + _GATHER_RUNS]
        run_lengths = lengths[first : first + _GATHER_RUNS]
        total = int(run_lengths.sum())
        if not total:
            continue
        out_starts = np.cumsum(run_lengths) - run_lengths
        index = np.repeat(run_starts - out_starts, run_lengths)
        index += np.arange(total, dtype=np.int64)
        out[done : done + total] = values[index]
        done += total
    return out


def new_documents_part(terms: dict[bytes, Any], ordered: list[bytes], first_new: int) -> Part:
    """The postings of documents numbered ``first_new`` and up, from ``SegmentBuilder``'s term
    lists: per term (docnums, weights, values, positions of those new documents' postings);
    ``ordered`` is the terms sorted."""
    kept: list[bytes] = []
    per_term: list[int] = []
    ids: list[list[int]] = []
    counts: list[list[float]] = []
    positions: list[Any] = []
    for term in ordered:
        docnums, weights, _values, poses = terms[term]
        k = bisect_left(docnums, first_new) if docnums and docnums[0] < first_new else 0
        n = len(docnums) - k
        if not n:
            continue
        kept.append(term)
        per_term.append(n)
        ids.append(docnums[k:] if k else docnums)
        counts.append(weights[k:] if k else weights)
        positions.append(poses)
    return Part(
        kept,
        np.repeat(np.arange(len(kept), dtype=np.int64), per_term),
        np.fromiter(chain.from_iterable(ids), np.uint32),
        np.fromiter(chain.from_iterable(counts), np.float32).astype(np.uint32),
        np.frombuffer(b"".join(positions), np.uint32),  # arrays of C unsigned ints
    )


def merged_segment_part(field: FieldPostings, docmap: I64) -> Part:
    """A merged segment's postings renumbered by ``docmap`` (old docnum -> new, -1 where the
    document was deleted)."""
    term_of = np.repeat(np.arange(len(field.term_ends), dtype=np.int64), field.postings_per_term())
    new_ids = docmap[field.ids]
    keep = new_ids >= 0
    counts = field.counts
    positions = field.positions
    if not keep.all():
        lengths = counts.astype(np.int64)
        starts = np.cumsum(lengths) - lengths
        positions = gather(positions, starts[keep], lengths[keep])
        term_of, new_ids, counts = term_of[keep], new_ids[keep], counts[keep]
    return Part(list(field.terms), term_of, new_ids.astype(np.uint32), counts, positions)


def combine(parts: Sequence[Part], terms: list[bytes]) -> FieldPostings:
    """One field's postings from parts numbering disjoint, increasing documents (in order);
    ``terms``: every term of the parts (more are dropped), sorted."""
    if len(parts) == 1 and len(parts[0].terms) == len(terms):
        term_of = parts[0].term_of  # the part's own terms are these
    else:
        rank = {t: i for i, t in enumerate(terms)}
        term_of = np.concatenate(
            [np.zeros(0, np.int64)]
            + [
                np.fromiter(map(rank.__getitem__, p.terms), np.int64, len(p.terms))[p.term_of]
                for p in parts
            ]
        )
    ids = np.concatenate([np.zeros(0, np.uint32)] + [p.ids for p in parts])
    counts = np.concatenate([np.zeros(0, np.uint32)] + [p.counts for p in parts])
    positions = np.concatenate([np.zeros(0, np.uint32)] + [p.positions for p in parts])
    if len(term_of) > 1 and bool((term_of[1:] < term_of[:-1]).any()):
        # Stable: within a term the parts' postings stay in document order.
        order = np.argsort(term_of, kind="stable")
        lengths = counts.astype(np.int64)
        starts = np.cumsum(lengths) - lengths
        term_of, ids, counts = term_of[order], ids[order], counts[order]
        positions = gather(positions, starts[order], lengths[order])
    per_term = np.bincount(term_of, minlength=len(terms))
    present = per_term > 0
    if not present.all():
        terms = [t for t, p in zip(terms, present.tolist(), strict=True) if p]
        per_term = per_term[present]
    post_ends = np.cumsum(per_term).astype(np.uint64)
    count_ends = np.cumsum(counts, dtype=np.uint64)
    pos_ends = (
        count_ends[post_ends.astype(np.int64) - 1] if len(terms) else np.zeros(0, np.uint64)
    )
    return FieldPostings(
        np.frombuffer(b"".join(terms), np.uint8),
        np.cumsum([len(t) for t in terms], dtype=np.uint64),
        post_ends,
        pos_ends.astype(np.uint64),
        ids.astype(np.uint32),
        counts.astype(np.uint32),
        positions.astype(np.uint32),
    )


def save(path: Path, fields: dict[str, FieldPostings]) -> None:
    """Write ``fields`` to ``path`` (through a temporary file, replaced at the end)."""
    header: dict[str, dict[str, list[Any]]] = {}
    offset = 0
    for name, field in fields.items():
        entry: dict[str, list[Any]] = {}
        for array_name in _ARRAYS:
            values: npt.NDArray[Any] = getattr(field, array_name)
            entry[array_name] = [offset, _DTYPES[array_name], int(values.size)]
            offset += _aligned(values.nbytes)
        header[name] = entry
    head = json.dumps(header).encode("utf-8")
    start = _aligned(len(MAGIC) + _HEADER_LENGTH.size + len(head))
    tmp = path.with_suffix(SUFFIX + "-tmp")
    with open(tmp, "wb") as out:
        out.write(MAGIC + _HEADER_LENGTH.pack(len(head)) + head)
        out.write(bytes(start - out.tell()))
        for field in fields.values():
            for array_name in _ARRAYS:
                data = np.ascontiguousarray(getattr(field, array_name), _DTYPES[array_name])
                out.write(data.tobytes())
                out.write(bytes(_aligned(data.nbytes) - data.nbytes))
    os.replace(tmp, path)


def load(path: Path) -> dict[str, FieldPostings]:
    """Map ``path`` and view its arrays (raises ``FastPostingsError`` if it is unusable)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            mapped: Any = (
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            )
    except OSError as exc:
        raise FastPostingsError(f"{path.name}: {exc.strerror or exc}") from exc
    fixed = len(MAGIC) + _HEADER_LENGTH.size
    if len(mapped) < fixed or mapped[: len(MAGIC)] != MAGIC:
        raise FastPostingsError(f"{path.name}: not a posting arrays file")
    (length,) = _HEADER_LENGTH.unpack_from(mapped, len(MAGIC))
    try:
        header = json.loads(bytes(mapped[fixed : fixed + length]))
        start = _aligned(fixed + length)
        fields: dict[str, FieldPostings] = {}
        for name, entry in header.items():
            arrays = {
                array_name: np.frombuffer(
                    mapped, np.dtype(entry[array_name][1]), int(entry[array_name][2]),
                    start + int(entry[array_name][0]),
                )
                for array_name in _ARRAYS
            }
            fields[name] = FieldPostings(**arrays)
            fields[name].check()
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise FastPostingsError(f"{path.name}: damaged ({exc})") from exc
    return fields


def path_for(directory: Path, segment_id: str) -> Path:
    # Named after the segment: Whoosh deletes it with the segment's own files.
    return directory / f"{segment_id}{SUFFIX}"


def intersect(arrays: Iterable[I64]) -> I64:
    """The values in every one of ``arrays`` (each ascending, without repeats)."""
    found: I64 | None = None
    for values in arrays:
        found = values if found is None else np.intersect1d(found, values, assume_unique=True)
        if not found.size:
            break
    return found if found is not None else np.zeros(0, np.int64)


def _aligned(n: int) -> int:
    return (n + 7) & ~7
