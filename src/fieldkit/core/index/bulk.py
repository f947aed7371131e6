"""Writing a Whoosh segment without Whoosh's posting pool.

Whoosh's ``SegmentWriter`` sends every posting through a sorting pool (a tuple per posting,
sorted, spilled to temporary files) and then through a writer object a call per posting; merging
a segment reads it back the same way. ``SegmentBuilder`` keeps each term's postings in lists as
documents arrive (already grouped, already in document order), and writes them a block at a
time, producing the same files as Whoosh's W3 codec: readers are Whoosh's own. The per-document
part (stored fields, lengths, columns) still goes through the writer's ``perdocwriter``.
The posting file and the terms table are written through buffers (Whoosh asks the file for its
position several times per term, a system call each), and a merge reads a segment's terms table
and blocks directly rather than through a matcher per term.

This writes into the internals of the pinned whoosh-reloaded 2.7.5 (``W3FieldWriter``'s terms
table and postings file, ``W3TermInfo``), as the read side in ``engine`` does.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import struct
import sys
import traceback
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from hashlib import md5
from itertools import accumulate
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from operator import sub
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.index import FileIndex
from whoosh.reading import SegmentReader
from whoosh.system import _INT_SIZE, _SHORT_SIZE, pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from fieldkit.core.index import fastpostings
from fieldkit.core.index.analysis import WordAnalyzer, utf8_term_positions
from fieldkit.core.index.model import IndexDocument
from fieldkit.core.index.schema import TEXT_FIELDS, record

log = logging.getLogger(__name__)

VOCABULARY_FIELD = "body"  # the field whose terms spelling checks look up (engine)
BLOCK = 128  # postings per block, as W3Codec's default ``blocklimit``
_MAGIC_SIZE = len(WHOOSH3_HEADER_MAGIC)
_TERMINFO = W3TermInfo._struct  # flags, weight, doc freq, min/max length byte, max weight, ids
_EXTENT = struct.Struct("!qi")  # after a term info: the offset and length of its postings
_INT = struct.Struct("!i")
_LENGTHS = struct.Struct("!ii")  # a terms table record's key and value lengths (filetables)
_FLUSH_BYTES = 1 << 22
dumps = pickle.dumps
loads = pickle.loads
_COUNT_ONE = pack_uint(1)
# A posting value is pickled again in its block, and pickle writes an object met twice in a
# block as a back-reference: so each posting gets its own value object, as Whoosh's writer
# makes them, and only the pickled single positions are shared.
_ONE_POSITION: dict[int, bytes] = {}
_STOP_GRACE_S = 5.0


# Per term: docnums, weights, values (as Whoosh writes them) and, for the text fields, the
# positions of the new documents' postings one after the other (for ``fastpostings``; 4 bytes
# a position, where a list of ints takes 36).
_TermLists = tuple[list[int], list[float], list[Any], "array[int]"]


class _Field:
    """The postings of one field gathered so far: per term, parallel lists."""

    def __init__(self, fieldobj: Any) -> None:
        self.obj = fieldobj
        analyzer = getattr(fieldobj, "analyzer", None)
        self.fast = isinstance(analyzer, WordAnalyzer) and type(fieldobj.format) is Positions
        self.scorable = bool(fieldobj.scorable)
        self.fixedsize = fieldobj.format.fixed_value_size() if fieldobj.format else 0
        self.terms: dict[bytes, _TermLists] = {}
        self.lengths = bytearray()  # per docnum, as Whoosh stores them (one byte)

    def add(self, term: bytes, docnum: int, weight: float, value: Any) -> None:
        found = self.terms.get(term)
        if found is None:
            self.terms[term] = ([docnum], [weight], [value], array("I"))
        else:
            found[0].append(docnum)
            found[1].append(weight)
            found[2].append(value)

    def set_length(self, docnum: int, length: int) -> None:
        missing = docnum + 1 - len(self.lengths)
        if missing > 0:
            self.lengths.extend(bytes(missing))
        self.lengths[docnum] = length_to_byte(length) if length else 0

    def length_bytes(self, doccount: int) -> bytearray:
        """The length byte of every document number below ``doccount`` (0: no length)."""
        missing = doccount - len(self.lengths)
        if missing > 0:
            self.lengths.extend(bytes(missing))
        return self.lengths


def _add_positions(
    terms: dict[bytes, _TermLists],
    docnum: int,
    positions: dict[bytes, list[int]],
) -> int:
    """Add one document's postings of a Positions field (each value as ``Positions.encode``
    makes it: the count, then the pickled position deltas); returns the field's length."""
    get = terms.get
    one = _ONE_POSITION
    length = 0
    for term, poses in positions.items():
        freq = len(poses)
        if freq == 1:
            pos = poses[0]
            pickled = one.get(pos)
            if pickled is None:
                pickled = one[pos] = dumps(poses, 2)
            value = _COUNT_ONE + pickled  # a new object per posting (see _ONE_POSITION)
            weight = 1.0
        else:
            value = pack_uint(freq) + dumps([poses[0], *map(sub, poses[1:], poses)], 2)
            weight = float(freq)
        length += freq
        found = get(term)
        if found is None:
            terms[term] = ([docnum], [weight], [value], array("I", poses))
        else:
            found[0].append(docnum)
            found[1].append(weight)
            found[2].append(value)
            found[3].extend(poses)
    return length


class SegmentBuilder:
    """Fills the new segment of an open ``SegmentWriter``: call ``add`` per document and
    ``add_segment`` per segment to merge in, then ``finish``, then commit the writer with a
    merge policy that merges nothing more (the merges happened here)."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer
        self._schema = writer.schema
        self._pdw = writer.perdocwriter
        self._fields: dict[str, _Field] = {}
        self._column_fields = [
            (name, f) for name, f in self._schema.items() if f.column_type is not None
        ]
        self._vocabulary = array("I")
        for name in TEXT_FIELDS:
            if not self._field(name).fast:
                raise ValueError(f"text field {name!r} is not analysed with positions")
        # Text fields: the merged segments' posting arrays, then the arrays as written.
        self._merged: dict[str, list[fastpostings.Part]] = {name: [] for name in TEXT_FIELDS}
        self._fast: dict[str, fastpostings.FieldPostings] = {}
        self._first_new: int | None = None  # the docnum of the first document added

    def _field(self, name: str) -> _Field:
        found = self._fields.get(name)
        if found is None:
            found = self._fields[name] = _Field(self._schema[name])
        return found

    @property
    def added(self) -> int:
        return int(self._writer.docnum)

    def add(self, fields: dict[str, Any]) -> None:
        """One document, given as ``writer.add_document``'s keyword arguments (the same
        stored values, lengths, columns and postings as that method writes)."""
        writer = self._writer
        pdw = self._pdw
        docnum = writer.docnum
        if self._first_new is None:
            self._first_new = docnum
        pdw.start_doc(docnum)
        for name in sorted(k for k in fields if not k.startswith("_")):
            value = fields[name]
            if value is None:
                continue
            field = self._field(name)
            obj = field.obj
            length = 0
            if obj.indexed:
                if field.fast:
                    length = _add_positions(field.terms, docnum, utf8_term_positions(value))
                else:
                    for tbytes, freq, weight, vbytes in obj.index(value):
                        field.add(tbytes, docnum, weight, vbytes)
                        length += freq
                if not field.scorable:
                    length = 0
                field.set_length(docnum, length)
            stored = fields.get("_stored_" + name, value)
            pdw.add_field(name, obj, stored if obj.stored else None, length)
            if obj.column_type is not None and stored is not None:
                pdw.add_column_value(name, obj.column_type, obj.to_column_value(stored))
        pdw.finish_doc()
        writer.docnum += 1
        writer._added = True

    def add_segment(self, reader: SegmentReader) -> None:
        """Copy the live documents of one segment into the new one (a merge). Segments are
        merged before any document is added."""
        if self._first_new is not None:
            raise ValueError("segments are merged before documents are added")
        folder = getattr(self._writer.storage, "folder", None)
        if folder is None:
            raise ValueError("merging needs an index in a folder")
        # A missing or damaged file raises IndexDamagedError (FastPostingsError).
        arrays = fastpostings.load(
            fastpostings.path_for(Path(folder), reader.segment().segment_id())
        )
        writer = self._writer
        pdw = self._pdw
        base = writer.docnum
        count = reader.doc_count_all()
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        docmap = [-1] * count
        scorable = [n for n, f in self._schema.items() if f.scorable]
        columns = {
            name: reader.column_reader(name, f.column_type, translate=False)
            for name, f in self._column_fields
            if reader.has_column(name)
        }
        names = set(self._schema.names())
        # Whoosh keeps each document's length in one byte (approximate) and each field's exact
        # total per segment; a merge keeps the exact totals (less the deleted documents), so
        # BM25's average length, and so the ranking, does not move when segments merge.
        totals = {name: pdw._fieldlengths[name] for name in scorable}
        exact = {name: reader.field_length(name) for name in scorable}
        new = base
        for docnum in range(count):
            if docnum in deleted:
                for name in scorable:
                    exact[name] -= reader.doc_field_length(docnum, name, 0)
                continue
            docmap[docnum] = new
            stored = reader.stored_fields(docnum)
            pdw.start_doc(new)
            for name in sorted(names | stored.keys()):
                obj = self._schema[name]
                length = reader.doc_field_length(docnum, name, 0) if name in scorable else 0
                pdw.add_field(name, obj, stored.get(name), length)
                if length:
                    self._field(name).set_length(new, length)
                if name in columns:
                    pdw.add_column_value(name, obj.column_type, columns[name][docnum])
            pdw.finish_doc()
            new += 1
        for name in scorable:
            pdw._fieldlengths[name] = totals[name] + max(0, exact[name])
        writer.docnum = new
        writer._added = True
        if new == base:
            return
        renumber = np.asarray(docmap, np.int64)
        for name, parts in self._merged.items():
            if name in arrays:
                parts.append(fastpostings.merged_segment_part(arrays[name], renumber))
        fixedsizes = {name: self._field(name).fixedsize for name in names}
        for name, tbytes, (ids, weights, values) in segment_postings(reader, fixedsizes):
            field = self._field(name)
            found = field.terms.get(tbytes)
            if found is None:
                found = field.terms[tbytes] = ([], [], [], array("I"))
            if deleted:
                for d, w, v in zip(ids, weights, values, strict=True):
                    n = docmap[d]
                    if n >= 0:
                        found[0].append(n)
                        found[1].append(w)
                        found[2].append(v)
            else:
                found[0].extend(map(base.__add__, ids))
                found[1].extend(weights)
                found[2].extend(values)

    def finish(self) -> None:
        """Write every gathered posting list (fields and terms in Whoosh's sorted order)."""
        fw = self._writer.fieldwriter
        vocabulary = self._vocabulary
        for name in sorted(self._fields):
            field = self._fields[name]
            if not field.terms:
                continue
            ordered = sorted(field.terms)
            if name in self._merged:
                parts = list(self._merged.pop(name))
                if self._first_new is not None:
                    parts.append(
                        fastpostings.new_documents_part(field.terms, ordered, self._first_new)
                    )
                self._fast[name] = fastpostings.combine(parts, ordered)
            fw.start_field(name, field.obj)
            prefix = pack_ushort(fw._fieldid)
            keys, infos = _write_field(fw._postfile, field, ordered, self._writer.docnum)
            _add_terms(fw._tindex, [prefix + key for key in keys], infos)
            fw.finish_field()
            field.terms.clear()
            if name == VOCABULARY_FIELD:
                vocabulary.extend(vocabulary_of(keys))

    def finalize(self) -> Any:
        """After ``finish``: finalize the writer's new segment (not yet committed) and keep
        its vocabulary beside it (see ``save_vocabulary``; written after the segment's files
        are assembled into its compound file, or it would be put inside). Returns the
        segment, for the commit's merge policy to add."""
        writer = self._writer
        segment = writer._finalize_segment()
        writer._added = False
        folder = getattr(writer.storage, "folder", None)
        if folder is not None:
            path = vocabulary_path(Path(folder), segment.segment_id())
            save_vocabulary(path, self._vocabulary)
            fastpostings.save(fastpostings.path_for(Path(folder), segment.segment_id()), self._fast)
        return segment


def vocabulary_of(terms: Iterable[bytes]) -> array[int]:
    """The sorted CRC-32 keys of a segment's terms in ``VOCABULARY_FIELD``."""
    return array("I", sorted({zlib.crc32(t) for t in terms}))


def vocabulary_path(directory: Path, segment_id: str) -> Path:
    # Named after the segment: Whoosh deletes it with the segment's own files.
    return directory / f"{segment_id}.fkvocab"


def save_vocabulary(path: Path, vocabulary: array[int]) -> None:
    """Keep a segment's vocabulary keys beside it, so a process opening the index loads them
    instead of reading the whole vocabulary (seconds for a big segment)."""
    tmp = path.with_suffix(".fkvocab-tmp")
    try:
        tmp.write_bytes(vocabulary.tobytes())
        os.replace(tmp, path)
    except OSError:  # a read-only index still works, it just rebuilds next time
        log.info("could not keep the vocabulary of %s", path.name)


def drain(matcher: Any) -> tuple[list[int], list[float], list[Any]]:
    """Every (docnum, weight, value) of a fresh posting matcher.

    Whoosh's matcher API costs several Python calls per posting; for its W3 block postings
    (the codec this index writes) whole blocks are read instead, about ten times faster. This
    reads matcher internals of the pinned whoosh-reloaded 2.7.5, hence the generic fallback.
    """
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    if type(matcher) is W3LeafMatcher and not matcher._byteids:
        while True:
            matcher._read_weights()  # loads the block
            matcher._read_values()
            ids.extend(accumulate(matcher._data[0]))
            weights.extend(matcher._weights)
            values.extend(matcher._values)
            if matcher._lastblock:
                return ids, weights, values
            matcher._goto(matcher._nextoffset)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return ids, weights, values


def segment_postings(
    reader: SegmentReader, fixedsizes: dict[str, int | None]
) -> Iterator[tuple[str, bytes, tuple[list[int], list[float], list[Any]]]]:
    """Every posting list of the segment's fields named in ``fixedsizes`` (each field's
    ``fixed_value_size``), in the segment's order, as ``drain`` reads them: (field, term,
    (docnums, weights, values)).

    A merge reads every list of a segment; Whoosh's matcher costs several Python calls per
    list before the first posting. The terms table and the W3 blocks of a mapped segment are
    read directly instead; anything else goes through Whoosh's matchers."""
    terms = reader._terms
    tindex = terms._tindex
    tbuf = getattr(tindex.dbfile, "_buf", None)
    pbuf = getattr(terms._postfile, "_buf", None)
    if tbuf is None or pbuf is None:
        for (name, tbytes), info in terms.items():
            if name in fixedsizes:
                matcher = reader._codec.postings_reader(
                    terms._postfile, info, reader.schema[name].format
                )
                yield name, tbytes, drain(matcher)
        return
    names = terms._fieldunmap
    pos = tindex.startofdata
    end = tindex.endofdata
    while pos < end:
        keylen, valuelen = _LENGTHS.unpack_from(tbuf, pos)
        pos += _LENGTHS.size
        key = bytes(tbuf[pos : pos + keylen])
        pos += keylen
        value = bytes(tbuf[pos : pos + valuelen])
        pos += valuelen
        name = names[(key[0] << 8) | key[1]]
        if name not in fixedsizes:
            continue
        if value[0]:  # inlined postings (Whoosh's writer never inlines with its defaults)
            matcher = reader._codec.postings_reader(
                terms._postfile, W3TermInfo.from_bytes(value), reader.schema[name].format
            )
            yield name, key[_SHORT_SIZE:], drain(matcher)
            continue
        offset, length = _EXTENT.unpack_from(value, _TERMINFO.size)
        yield name, key[_SHORT_SIZE:], _read_blocks(pbuf, offset, length, fixedsizes[name])


def _read_blocks(
    buf: Any, offset: int, length: int, fixedsize: int | None
) -> tuple[list[int], list[float], list[Any]]:
    """The postings of one list of W3 blocks at ``buf[offset:offset + length]``."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    pos = offset + _MAGIC_SIZE
    end = offset + length
    while pos < end:
        (size,) = _INT.unpack_from(buf, pos)
        pos += _INT_SIZE
        last = size < 0
        size = abs(size)
        head = loads(buf[pos : pos + size])  # loads stops at the head's end
        n = head[0]
        start = pos + len(dumps(head, 2))  # the data follows the head as Whoosh pickled it
        data = buf[start : pos + size]
        if head[3]:
            data = zlib.decompress(data)
        mini_ids, mini_weights, mini_values = loads(data)
        ids.extend(accumulate(mini_ids))
        if mini_weights is None:
            weights.extend([1.0] * n)
        elif isinstance(mini_weights, float):
            weights.extend(array("f", [mini_weights]) * n)  # as W3LeafMatcher rounds it
        else:
            weights.extend(mini_weights)
        if fixedsize is None or fixedsize < 0:
            values.extend(mini_values)
        elif fixedsize == 0:
            values.extend([None] * n)
        else:
            values.extend(
                [mini_values[i : i + fixedsize] for i in range(0, len(mini_values), fixedsize)]
            )
        pos += size
        if last:
            break
    return ids, weights, values


def _write_field(
    postfile: Any, field: _Field, ordered: list[bytes], doccount: int
) -> tuple[list[bytes], list[bytes]]:
    """Write one field's posting lists in W3 blocks, byte for byte what ``W3PostingsWriter``
    writes with ``compression=0``, into a buffer flushed now and then (Whoosh's writer asks
    the file for its position, a system call, several times per term); ``ordered`` holds the
    field's terms sorted. Returns each written term and its term info bytes, in term order."""
    lbytes = field.length_bytes(doccount)
    fixedsize = field.fixedsize
    chunks: list[bytes] = []
    add = chunks.append
    base = postfile.tell()
    offset = base
    flushed = base
    keys: list[bytes] = []
    infos: list[bytes] = []
    terms = field.terms
    for tbytes in ordered:
        ids, weights, values, _positions = terms[tbytes]
        total = len(ids)
        if not total:
            continue
        start = offset
        add(WHOOSH3_HEADER_MAGIC)
        offset += _MAGIC_SIZE
        sumweight = 0.0
        minlb = 0
        maxlb = 0
        maxweight: float = 0
        for s in range(0, total, BLOCK):
            if total <= BLOCK:
                bids, bweights, bvalues = ids, weights, values
            else:
                bids = ids[s : s + BLOCK]
                bweights = weights[s : s + BLOCK]
                bvalues = values[s : s + BLOCK]
            n = len(bids)
            blens = bytes(map(lbytes.__getitem__, bids))
            bmax = max(blens)
            nonzero = blens.translate(None, b"\0") if bmax else b""
            bmin = min(nonzero) if nonzero else 0
            bmaxweight = max(0, max(bweights))
            sumweight += sum(bweights)
            if bmin and (not minlb or bmin < minlb):
                minlb = bmin
            maxlb = max(maxlb, bmax)
            maxweight = max(maxweight, bmaxweight)
            mini_ids = (bids[0], *map(sub, bids[1:], bids)) if n > 1 else (bids[0],)
            mini_weights: Any
            if bweights.count(1.0) == n:
                mini_weights = None
            elif bweights.count(bweights[0]) == n:
                mini_weights = bweights[0]
            else:
                mini_weights = tuple(bweights)
            mini_values: Any
            if fixedsize is None or fixedsize < 0:
                mini_values = tuple(bvalues)
            elif fixedsize == 0:
                mini_values = None
            else:
                mini_values = b"".join(bvalues)
            data = dumps((mini_ids, mini_weights, mini_values), 2)
            head = dumps((n, bids[-1], bmaxweight, 0, bmin, bmax), 2)
            size = len(head) + len(data)
            add(pack_int(-size if s + BLOCK >= total else size))
            add(head)
            add(data)
            offset += _INT_SIZE + size
        keys.append(tbytes)
        infos.append(
            _TERMINFO.pack(0, sumweight, total, minlb, maxlb, maxweight, ids[0], ids[-1])
            + pack_long(start)
            + pack_int(offset - start)
        )
        if offset - flushed >= _FLUSH_BYTES:
            postfile.write(b"".join(chunks))
            chunks.clear()
            flushed = offset
    postfile.write(b"".join(chunks))
    return keys, infos


def _add_terms(tindex: Any, keys: list[bytes], values: list[bytes]) -> None:
    """``OrderedHashWriter.add`` for every (key, value), keys in increasing order, written to
    the file at once: the same records, hashes and key index."""
    if not keys:
        return
    if keys[0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{keys[0]!r}")
    dbfile = tindex.dbfile
    buckets = tindex.buckets
    pos = dbfile.tell()
    chunks: list[bytes] = []
    add = chunks.append
    positions: list[int] = []
    for key, value in zip(keys, values, strict=True):
        positions.append(pos)
        record = _LENGTHS.pack(len(key), len(value))
        add(record)
        add(key)
        add(value)
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
        buckets[h & 255].append((h, pos))
        pos += len(record) + len(key) + len(value)
    dbfile.write(b"".join(chunks))
    index = tindex.index
    try:
        index.array.extend(array(index.typecode, positions))
    except OverflowError:  # GrowableArray widens its type on the first value that overflows
        index.extend(positions)
    tindex.lastkey = keys[-1]


# -- a second process for big batches ----------------------------------------------------------


def _context() -> BaseContext:
    # Never a plain fork: the parent may be the Qt process (see core.extract.pool).
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _serve(conn: Connection, directory: str, indexname: str) -> None:
    """The build process: for each task received (segments to merge, documents to add), write
    them as a new segment of the index (without committing it) and send the segment back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    storage = FileStorage(directory)
    while True:
        try:
            task: tuple[list[Any], list[IndexDocument]] | None = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            segments, docs = task
            ix = FileIndex(storage, indexname=indexname)
            writer = SegmentWriter(ix, _lk=False, codec=W3Codec(compression=0))
            builder = SegmentBuilder(writer)
            for segment in segments:  # deletions travel with the segment objects
                reader = SegmentReader(storage, writer.schema, segment)
                try:
                    builder.add_segment(reader)
                finally:
                    reader.close()
            for doc in docs:
                builder.add(record(doc))
            builder.finish()
            reply: Any = builder.finalize()
        except Exception:
            reply = traceback.format_exc()
        conn.send(reply)


class BuildProcess:
    """A child process that writes part of a big batch as its own segment while the writer's
    thread writes the rest: the index's one writer fans out, and commits both segments.

    The segment is written into the index folder but is not part of the index until the parent
    commits a table of contents naming it; a segment left behind by a failure is deleted by the
    next commit."""

    def __init__(self, directory: Path, indexname: str) -> None:
        ctx = _context()
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(child, str(directory), indexname),
            name="fieldkit-index-build",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._busy = False

    def start(self, merge: Sequence[Any], docs: Sequence[IndexDocument]) -> None:
        """Have the child merge the committed segments ``merge`` (with the deletions marked on
        them) and index ``docs``, as one new segment."""
        try:
            self._conn.send((list(merge), list(docs)))
        except OSError as exc:
            raise RuntimeError("the index build process stopped") from exc
        self._busy = True

    def result(self) -> Any:
        """The segment the child wrote (after ``start``)."""
        try:
            reply = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise RuntimeError("the index build process stopped") from exc
        finally:
            self._busy = False
        if isinstance(reply, str):
            raise RuntimeError(f"the index build process failed:\n{reply}")
        return reply

    @property
    def busy(self) -> bool:
        return self._busy

    def close(self) -> None:
        if not self._busy:
            with contextlib.suppress(OSError):
                self._conn.send(None)
            self._process.join(_STOP_GRACE_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()
        self._process.close()
