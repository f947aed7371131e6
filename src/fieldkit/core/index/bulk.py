"""Writing a Whoosh segment without Whoosh's posting pool.

Whoosh's ``SegmentWriter`` sends every posting through a sorting pool (a tuple per posting,
sorted, spilled to temporary files) and then through a writer object a call per posting; merging
a segment reads it back the same way. ``SegmentBuilder`` keeps each term's postings in lists as
documents arrive (already grouped, already in document order), and writes them a block at a
time, producing the same files as Whoosh's W3 codec: readers are Whoosh's own. The per-document
part (stored fields, lengths, columns) still goes through the writer's ``perdocwriter``.

This writes into the internals of the pinned whoosh-reloaded 2.7.5 (``W3FieldWriter``'s terms
table and postings file, ``W3TermInfo``), as the read side in ``engine`` does.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import signal
import sys
import traceback
from collections.abc import Sequence
from itertools import accumulate
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from operator import sub
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.index import FileIndex
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from fieldkit.core.index.analysis import WordAnalyzer, term_positions
from fieldkit.core.index.model import IndexDocument
from fieldkit.core.index.schema import record

BLOCK = 128  # postings per block, as W3Codec's default ``blocklimit``
_STOP_GRACE_S = 5.0


class _Field:
    """The postings of one field gathered so far: per term, parallel lists."""

    def __init__(self, fieldobj: Any) -> None:
        self.obj = fieldobj
        analyzer = getattr(fieldobj, "analyzer", None)
        self.fast = isinstance(analyzer, WordAnalyzer) and type(fieldobj.format) is Positions
        self.scorable = bool(fieldobj.scorable)
        self.fixedsize = fieldobj.format.fixed_value_size() if fieldobj.format else 0
        self.terms: dict[bytes, tuple[list[int], list[float], list[Any]]] = {}
        self.lengths: list[int] = []  # per docnum, as Whoosh reads them back (quantized)

    def add(self, term: bytes, docnum: int, weight: float, value: Any) -> None:
        found = self.terms.get(term)
        if found is None:
            self.terms[term] = ([docnum], [weight], [value])
        else:
            found[0].append(docnum)
            found[1].append(weight)
            found[2].append(value)

    def set_length(self, docnum: int, length: int) -> None:
        missing = docnum + 1 - len(self.lengths)
        if missing > 0:
            self.lengths.extend([0] * missing)
        self.lengths[docnum] = byte_to_length(length_to_byte(length)) if length else 0


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
                    for word, poses in term_positions(value).items():
                        freq = len(poses)
                        deltas = [poses[0], *map(sub, poses[1:], poses)] if freq > 1 else poses
                        field.add(
                            word.encode("utf-8"),
                            docnum,
                            float(freq),
                            pack_uint(freq) + pickle.dumps(deltas, 2),
                        )
                        length += freq
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
        """Copy the live documents of one segment into the new one (a merge)."""
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
        terms = reader._terms
        postfile = terms._postfile
        codec = reader._codec
        for (name, tbytes), info in terms.items():
            if name not in names:
                continue
            field = self._field(name)
            matcher = codec.postings_reader(postfile, info, field.obj.format)
            ids, weights, values = drain(matcher)
            found = field.terms.get(tbytes)
            if found is None:
                found = field.terms[tbytes] = ([], [], [])
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
        postfile = fw._postfile
        tindex = fw._tindex
        for name in sorted(self._fields):
            field = self._fields[name]
            if not field.terms:
                continue
            fw.start_field(name, field.obj)
            prefix = pack_ushort(fw._fieldid)
            lengths = field.lengths
            for tbytes in sorted(field.terms):
                ids, weights, values = field.terms[tbytes]
                if not ids:
                    continue
                info = _write_postings(postfile, ids, weights, values, lengths, field.fixedsize)
                tindex.add(prefix + tbytes, info.to_bytes())
            fw.finish_field()
            field.terms.clear()


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


def _write_postings(
    postfile: Any,
    ids: list[int],
    weights: list[float],
    values: list[Any],
    lengths: list[int],
    fixedsize: int | None,
) -> W3TermInfo:
    """One term's posting list in W3 blocks, byte for byte what ``W3PostingsWriter`` writes
    with ``compression=0``; returns its term info."""
    info = W3TermInfo()
    start = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
    total = len(ids)
    nlengths = len(lengths)
    for s in range(0, total, BLOCK):
        bids = ids[s : s + BLOCK]
        bweights = weights[s : s + BLOCK]
        n = len(bids)
        lens = [x for x in (lengths[d] if d < nlengths else 0 for d in bids) if x]
        minlength = min(lens) if lens else None
        maxlength = max(lens) if lens else 0
        maxweight = max(0, max(bweights))
        # the term info's running statistics (W3TermInfo.add_block)
        info._weight += sum(bweights)
        info._df += n
        if info._minlength is None:
            info._minlength = minlength
        elif minlength is not None:
            info._minlength = min(info._minlength, minlength)
        info._maxlength = max(info._maxlength, maxlength)
        info._maxweight = max(info._maxweight, maxweight)
        if info._minid is None:
            info._minid = bids[0]
        info._maxid = bids[-1]
        mini_ids = (bids[0], *map(sub, bids[1:], bids)) if n > 1 else (bids[0],)
        mini_weights: Any
        if bweights.count(1.0) == n:
            mini_weights = None
        elif bweights.count(bweights[0]) == n:
            mini_weights = bweights[0]
        else:
            mini_weights = tuple(bweights)
        bvalues = values[s : s + BLOCK]
        mini_values: Any
        if fixedsize is None or fixedsize < 0:
            mini_values = tuple(bvalues)
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = b"".join(bvalues)
        data = pickle.dumps((mini_ids, mini_weights, mini_values), 2)
        head = pickle.dumps(
            (n, bids[-1], maxweight, 0, length_to_byte(minlength), length_to_byte(maxlength)), 2
        )
        size = len(head) + len(data)
        postfile.write_int(-size if s + BLOCK >= total else size)
        postfile.write(head)
        postfile.write(data)
    info.set_extent(start, postfile.tell() - start)
    return info


# -- a second process for big batches ----------------------------------------------------------


def _context() -> BaseContext:
    # Never a plain fork: the parent may be the Qt process (see core.extract.pool).
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _serve(conn: Connection, directory: str, indexname: str) -> None:
    """The build process: for each list of documents received, write them as a new segment of
    the index (without committing it) and send the segment back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    storage = FileStorage(directory)
    while True:
        try:
            docs: list[IndexDocument] | None = conn.recv()
        except EOFError:
            return
        if docs is None:
            return
        try:
            ix = FileIndex(storage, indexname=indexname)
            writer = SegmentWriter(ix, _lk=False, codec=W3Codec(compression=0))
            builder = SegmentBuilder(writer)
            for doc in docs:
                builder.add(record(doc))
            builder.finish()
            reply: Any = writer._finalize_segment()
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

    def start(self, docs: Sequence[IndexDocument]) -> None:
        try:
            self._conn.send(list(docs))
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
