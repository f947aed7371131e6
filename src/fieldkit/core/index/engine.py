"""SearchIndex: the Whoosh index behind one object.

Threads: exactly one thread (the indexer) calls ``apply`` and ``reset``; ``search``, ``suggest``
and ``doc_ids`` may run on any thread at the same time. Each search borrows a searcher from a
small pool and refreshes it when a commit happened since, reusing the readers of unchanged
segments and the per-segment caches kept here.

The index is a cache of the catalog: a version file beside it names the schema version, and
``open`` reports a damaged or outdated index instead of repairing it, so the caller rebuilds.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import shutil
import threading
import weakref
import zlib
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import chain
from math import log
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, LockError
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import EmptyReader, IndexReader, MultiReader, SegmentReader, TermNotFound
from whoosh.searching import Searcher

from fieldkit.core.errors import UsageError
from fieldkit.core.index import fastpostings
from fieldkit.core.index.analysis import analyze
from fieldkit.core.index.bulk import (
    VOCABULARY_FIELD,
    BuildProcess,
    SegmentBuilder,
    drain,
    save_vocabulary,
    vocabulary_of,
    vocabulary_path,
)
from fieldkit.core.index.model import (
    Hit,
    IndexBusyError,
    IndexDamagedError,
    IndexDocument,
    IndexHealth,
    SearchRequest,
    SearchResults,
)
from fieldkit.core.index.plan import Plan, Planner, all_words
from fieldkit.core.index.querylang import Node, cap_query, parse, words
from fieldkit.core.index.schema import SCHEMA_VERSION, TEXT_FIELDS, Meta, make_schema, record
from fieldkit.core.index.snippets import Locator, UnitText, surface
from fieldkit.core.index.spelling import best_correction

log_ = logging.getLogger(__name__)

VERSION_FILE = "fieldkit-index.json"
INDEX_NAME = "MAIN"
OPEN_ATTEMPTS = 5
WRITE_TIMEOUT_S = 10.0
SMALL_BATCH = 50  # batches up to this size only merge small segments (a write costs ~ms)
TIER_FANOUT = 5  # segments of one size class merged together once there are this many
SMALL_SEGMENT_DOCS = 2000
MAX_LIMIT = 1000
PARALLEL_BATCH = 200  # batches this big are written by two processes
MERGE_COST = 0.6  # CPU time to merge a document / to index a new one (SegmentBuilder, measured)
# The writer's thread also receives the extracted files, commits, fills the search caches and
# records the catalog: it takes less of a big batch's indexing than the build process.
WRITER_SHARE = 0.4
SNIPPET_HITS = 50  # hits that get a location and a snippet (a page of the results view)
FEW_HITS = 3  # fewer hits than this: try a corrected query
RARE = 2  # a word in at most this many documents may be a typo
MAX_SPELL_WORDS = 6  # longer queries are not spell-checked
POSTINGS_CACHE_IDS = 200_000  # per snapshot (one generation)
RAW_POSTINGS_CACHE = 600_000  # per index, across generations
PHRASE_CACHE = 256  # phrase answers kept per snapshot (one generation)
FACET_BY_SETS = 3000  # result sets bigger than this are counted by intersecting value sets
_FACETS = ("format", "folder", "tag", "status")

# Ranking multipliers by status: current versions first, expired and withdrawn pushed down.
STATUS_FACTOR = {
    "current": 1.0,
    "personal": 1.0,
    "expiring": 0.95,
    "outdated": 0.7,
    "superseded": 0.6,
    "expired": 0.5,
    "withdrawn": 0.3,
    "archived": 0.3,
}
# Documents lacking some of the words typed side by side rank after those having them all.
PARTIAL_FACTOR = 0.5
BM25_B = 0.75
BM25_K1 = 1.2
TITLE_B = 0.5

_TRUE = frozenset({"1", "true", "yes", "y", "t", "on"})
_FILTER_KEYS = {
    "format": "format",
    "type": "format",
    "tag": "tags",
    "tags": "tags",
    "folder": "folder",
    "status": "status",
    "personal": "personal",
    "filename": "filename",
}


# -- reading posting lists fast ----------------------------------------------------------------


_I64 = npt.NDArray[np.int64]
_F64 = npt.NDArray[np.float64]
_U32 = npt.NDArray[np.uint32]
_EMPTY_IDS: _I64 = np.zeros(0, np.int64)


class _Postings:
    """One text term's posting list over the whole snapshot (live documents only): global
    docnums (ascending), term frequencies, and the positions, read from the segments' posting
    arrays (see ``fastpostings``) without decoding."""

    def __init__(self, parts: list[tuple[_I64, _U32, _U32, _I64]]) -> None:
        # Per segment: global docnums, counts, the term's positions there, and where each
        # kept posting's positions start in them.
        self._parts = parts
        self.ids: _I64 = np.concatenate([_EMPTY_IDS, *(p[0] for p in parts)])
        self.counts: _I64 = np.concatenate([_EMPTY_IDS, *(p[1] for p in parts)])

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def weights(self) -> _F64:
        return self.counts.astype(np.float64)

    @cached_property
    def idset(self) -> frozenset[int]:
        return frozenset(self.ids.tolist())

    @cached_property
    def _flat(self) -> tuple[_U32, _I64]:
        """All positions in one array, and where each posting's run starts in it."""
        positions: list[_U32] = []
        starts: list[_I64] = []
        base = 0
        for _ids, _counts, part_positions, part_starts in self._parts:
            positions.append(part_positions)
            starts.append(part_starts + base)
            base += len(part_positions)
        if not positions:
            return np.zeros(0, np.uint32), _EMPTY_IDS
        return np.concatenate(positions), np.concatenate(starts)

    def keys_at(self, docs: _I64, shift: int) -> _I64:
        """``doc << 32 | position - shift`` for each position of the term in ``docs`` (all of
        which hold it): a phrase's word ``shift`` places on lines up with its first word."""
        positions, starts = self._flat
        where = np.searchsorted(self.ids, docs)
        lengths = self.counts[where]
        found = fastpostings.gather(positions, starts[where], lengths).astype(np.int64) - shift
        owners = np.repeat(docs, lengths)
        inside = found >= 0
        return (owners[inside] << 32) | found[inside]


def _open_searcher(ix: windex.Index, old: Searcher | None) -> Searcher:
    """A searcher on the latest generation, reusing ``old``'s readers of unchanged segments.

    ``old`` must not be used afterwards. whoosh-reloaded's own ``Searcher.refresh`` is not used:
    it keeps readers of merged-away segments (documents appear twice) and reuses a segment's
    reader after documents in it were deleted (deleted documents still match).
    """
    reusable: dict[tuple[str, int], IndexReader] = {}
    if old is not None:
        for leaf, _ in old.reader().leaf_readers():
            segment = leaf.segment()
            if segment is not None:
                reusable[(segment.segment_id(), segment.deleted_count())] = leaf
    attempt = 0
    while True:
        attempt += 1
        toc = TOC.read(ix.storage, ix.indexname)
        opened: list[IndexReader] = []
        try:
            readers: list[IndexReader] = []
            for seg in toc.segments:
                # A lone segment reader is the whole reader and must carry the new generation.
                kept = reusable.get((seg.segment_id(), seg.deleted_count()))
                if kept is None or len(toc.segments) == 1:
                    kept = SegmentReader(ix.storage, toc.schema, seg, generation=toc.generation)
                    opened.append(kept)
                readers.append(kept)
        except FileNotFoundError:
            # A commit replaced this generation and removed merged segments meanwhile.
            for reader in opened:
                reader.close()
            if attempt == OPEN_ATTEMPTS:
                raise
            continue
        kept_ids = {id(r) for r in readers}
        for unused in reusable.values():
            if id(unused) not in kept_ids:
                unused.close()
        return Searcher(_combine(readers, toc), fromindex=ix)


def _combine(readers: list[IndexReader], toc: TOC) -> IndexReader:
    if not readers:
        return EmptyReader(toc.schema)
    if len(readers) == 1:
        return readers[0]
    return MultiReader(readers, generation=toc.generation)


def _tier(segment: Any) -> int:
    return int(log(max(1, segment.doc_count()), TIER_FANOUT))


def _plan_merges(segments: list[Any], max_docs: int | None) -> tuple[list[Any], list[Any]]:
    """Merge policy: once ``TIER_FANOUT`` segments share a size class, merge them into the new
    segment (log-structured: each document is rewritten about log5(n) times, and an index
    keeps at most four segments per size class). Segments with many deletions shrink into a
    lower class and get merged (and purged) sooner. With ``max_docs`` (small commits) only
    segments that small are merged, so the commit costs milliseconds.

    Returns the segments to keep and those to merge."""
    tiers: dict[int, list[Any]] = {}
    for segment in segments:
        tiers.setdefault(_tier(segment), []).append(segment)
    keep: list[Any] = []
    merge: list[Any] = []
    for members in tiers.values():
        small = max_docs is None or all(m.doc_count_all() <= max_docs for m in members)
        if len(members) < TIER_FANOUT or not small:
            keep.extend(members)
        else:
            merge.extend(members)
    return keep, merge


def _share_work(merge: list[Any], added: int) -> tuple[list[Any], list[Any], int]:
    """Split a big batch between the writer's thread and the build process, each writing one
    new segment: the segments each merges, and how many of the new documents the writer's
    thread indexes. The writer's thread takes a prefix of (merged segments, then new
    documents) and the build process the rest, so documents keep their order across the two
    new segments (ties in ranking keep their order). Merging a document costs
    ``MERGE_COST`` of indexing a new one; the writer's thread should get ``WRITER_SHARE``
    of the work, and the split point is the one that finishes both soonest."""
    total: float = MERGE_COST * sum(s.doc_count() for s in merge) + added

    def span(ours: float) -> float:
        return max(ours / WRITER_SHARE, (total - ours) / (1 - WRITER_SHARE))

    done = 0.0
    best = (span(total), len(merge))  # (how long both take, split before this segment)
    for i, segment in enumerate(merge):
        best = min(best, (span(done), i))
        done += MERGE_COST * segment.doc_count()
    ours = min(added, max(0, round(total * WRITER_SHARE - done)))
    if span(done + ours) <= best[0]:
        return merge, [], ours
    return merge[: best[1]], merge[best[1] :], 0


# -- per-segment and per-snapshot caches ----------------------------------------------------


class _Segment:
    """What is read once from one segment and reused by every later snapshot: its column
    values, its text fields' posting arrays, and (when spelling needs it) the set of its body
    terms."""

    def __init__(self, metas: tuple[Meta, ...], directory: Path, segment_id: str) -> None:
        self.metas = metas
        self._directory = directory
        self._vocabulary: array[int] | None = None
        self._lengths: dict[str, array[int]] = {}
        self._fast: dict[str, fastpostings.FieldPostings] | None = None
        self._segment_id = segment_id

    def fast(self, field: str) -> fastpostings.FieldPostings | None:
        """The field's posting arrays (None: no document of the segment has the field)."""
        if self._fast is None:  # a missing or damaged file raises IndexDamagedError
            self._fast = fastpostings.load(
                fastpostings.path_for(self._directory, self._segment_id)
            )
        return self._fast.get(field)

    def lengths(self, reader: IndexReader, field: str) -> array[int]:
        """Each document's length in ``field`` (in words, as Whoosh stores it)."""
        found = self._lengths.get(field)
        if found is None:
            length = reader.doc_field_length
            found = array("l", (length(d, field, 0) or 0 for d in range(reader.doc_count_all())))
            self._lengths[field] = found
        return found

    def has_term(self, reader: IndexReader, key: int) -> bool:
        """Whether the body may hold the term whose ``term_key`` is ``key``.

        The keys are kept sorted in an array (4 bytes a term, where a set of the terms takes
        twenty times that); a rare false yes only costs one real look-up. The array is also
        written beside the segment (Whoosh deletes it with the segment), so a new process
        loads it instead of reading the whole vocabulary again (seconds for a big segment).
        """
        if self._vocabulary is None:
            self._vocabulary = self._load_vocabulary(reader)
        vocabulary = self._vocabulary
        i = bisect_left(vocabulary, key)
        return i < len(vocabulary) and vocabulary[i] == key

    def _load_vocabulary(self, reader: IndexReader) -> array[int]:
        path = vocabulary_path(self._directory, reader.segment().segment_id())
        vocabulary = array("I")
        try:
            vocabulary.frombytes(path.read_bytes())
            return vocabulary
        except (OSError, ValueError):
            pass
        vocabulary = vocabulary_of(reader.lexicon(VOCABULARY_FIELD))
        save_vocabulary(path, vocabulary)
        return vocabulary


def term_key(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


def _load_segment(reader: IndexReader, directory: Path) -> _Segment:
    column = reader.column_reader("meta", translate=False)
    metas = tuple(Meta.decode(bytes(raw)) for raw in column)
    return _Segment(metas, directory, reader.segment().segment_id())


_Raw = tuple[list[int], list[float], list[Any]]


class _RawPostings:
    """Posting lists per (segment, field, term), shared by every snapshot. A segment never
    changes once written (deleted documents are dropped per snapshot), so after a commit only
    the new segments' lists are read. Least recently used lists go first."""

    def __init__(self, max_postings: int) -> None:
        self._items: OrderedDict[tuple[str, str, str], _Raw] = OrderedDict()
        self._size = 0
        self._max = max_postings
        self._lock = threading.Lock()

    def get(self, leaf: IndexReader, field: str, term: str) -> _Raw:
        """Local docnums (deleted ones included), weights and values of ``term``."""
        key = (leaf.segment().segment_id(), field, term)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        try:
            matcher = leaf.postings(field, term)
        except TermNotFound:
            found = ([], [], [])
        else:
            if isinstance(matcher, FilterMatcher):  # hides deleted documents: read beneath
                matcher = matcher.child
            found = drain(matcher)
        with self._lock:
            if key in self._items:  # another thread read it meanwhile
                return self._items[key]
            self._items[key] = found
            self._size += len(found[0]) + 1
            while self._size > self._max and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped[0]) + 1
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


class Snapshot:
    """One searcher plus the per-document arrays and caches that go with its generation."""

    def __init__(
        self,
        searcher: Searcher,
        segments: dict[str, _Segment],
        raw: _RawPostings,
        epoch: int,
        directory: Path,
    ) -> None:
        self.searcher = searcher
        self._raw = raw
        self.reader: IndexReader = searcher.reader()
        self.epoch = epoch
        self.generation: int = self.reader.generation()
        metas: list[Meta] = []
        live: set[int] = set()
        self.leaves: list[tuple[IndexReader, int]] = list(self.reader.leaf_readers())
        self._parts: list[tuple[IndexReader, _Segment]] = []
        self._offsets = {id(leaf): offset for leaf, offset in self.leaves}
        for leaf, offset in self.leaves:
            if leaf.segment() is None:  # an empty index
                continue
            key = leaf.segment().segment_id()
            segment = segments.get(key)
            if segment is None:
                segment = segments[key] = _load_segment(leaf, directory)
            self._parts.append((leaf, segment))
            metas.extend(segment.metas)
            if leaf.has_deletions():
                live.update(offset + d for d in leaf.all_doc_ids())
            else:
                live.update(range(offset, offset + leaf.doc_count_all()))
        self.metas = metas
        self.live = frozenset(live)
        self.factors = [STATUS_FACTOR.get(m.status, 1.0) for m in metas]
        self.formats = [m.format for m in metas]
        self.statuses = [m.status for m in metas]
        self.tops = [m.top for m in metas]
        self.tags = [m.tags for m in metas]
        self.factor_array: _F64 = np.asarray(self.factors, np.float64)
        self._postings: OrderedDict[tuple[str, str], _Postings] = OrderedDict()
        self._postings_size = 0
        self._live_masks: dict[int, npt.NDArray[np.bool_]] = {}
        # Filter fields' document sets; their values are few, so every one is kept.
        self._filter_ids: dict[tuple[str, str], frozenset[int]] = {}
        self._norms: dict[str, _F64] = {}
        self._facet_sets: dict[str, dict[str, frozenset[int]]] = {}
        self._filters: dict[tuple[str, str, bool], frozenset[int]] = {}
        self._phrases: OrderedDict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[int]] = (
            OrderedDict()
        )

    def close(self) -> None:
        self.searcher.close()

    # -- document sets ------------------------------------------------------------------------

    def postings(self, field: str, term: str) -> _Postings:
        """A text term's postings (cached per snapshot, least recently used dropped first)."""
        key = (field, term)
        found = self._postings.get(key)
        if found is not None:
            self._postings.move_to_end(key)
            return found
        tbytes = term.encode("utf-8")
        vocabulary_key = term_key(term)
        parts: list[tuple[_I64, _U32, _U32, _I64]] = []
        for leaf, segment in self._parts:
            if field == "body" and not segment.has_term(leaf, vocabulary_key):
                continue  # skips a look-up in most small segments
            arrays = segment.fast(field)
            local = arrays.find(tbytes) if arrays is not None else None
            if local is None:
                continue
            lengths = local.counts.astype(np.int64)
            starts = np.cumsum(lengths) - lengths
            ids = local.ids.astype(np.int64)
            counts = local.counts
            if leaf.has_deletions():
                keep = self._live_mask(leaf)[local.ids]
                ids, counts, starts = ids[keep], counts[keep], starts[keep]
            ids += self._offsets[id(leaf)]
            parts.append((ids, counts, local.positions, starts))
        found = _Postings(parts)
        self._postings[key] = found
        self._postings_size += len(found) + 1
        while self._postings_size > POSTINGS_CACHE_IDS and len(self._postings) > 1:
            _, dropped = self._postings.popitem(last=False)
            self._postings_size -= len(dropped) + 1
        return found

    def _live_mask(self, leaf: IndexReader) -> npt.NDArray[np.bool_]:
        """Per local docnum of a segment with deletions: whether the document is live."""
        found = self._live_masks.get(id(leaf))
        if found is None:
            found = np.ones(leaf.doc_count_all(), np.bool_)
            found[np.fromiter(leaf.deleted_docs_set, np.int64)] = False
            self._live_masks[id(leaf)] = found
        return found

    def ids(self, field: str, term: Any) -> frozenset[int]:
        if not isinstance(term, str):  # BOOLEAN fields take True/False
            return self._bool_ids(field, bool(term))
        if field in TEXT_FIELDS:
            return self.postings(field, term).idset
        key = (field, term)
        found = self._filter_ids.get(key)
        if found is None:
            docs: list[int] = []
            for leaf, offset in self.leaves:
                if leaf.segment() is None:
                    continue
                local = self._raw.get(leaf, field, term)[0]
                if leaf.has_deletions():
                    deleted = leaf.deleted_docs_set
                    local = [d for d in local if d not in deleted]
                docs.extend(map(offset.__add__, local)) if offset else docs.extend(local)
            found = self._filter_ids[key] = frozenset(docs)
        return found

    def docnums_of(self, doc_id: str) -> list[int]:
        """The live docnums of a document id (normally one)."""
        found: list[int] = []
        for leaf, offset in self.leaves:
            try:
                found.extend(offset + d for d in leaf.postings("doc_id", doc_id).all_ids())
            except TermNotFound:
                continue
        return found

    def warm(self) -> None:
        """Read what searches need from every segment not read before."""
        for leaf, segment in self._parts:
            for field in TEXT_FIELDS:
                segment.lengths(leaf, field)
                segment.fast(field)
            segment.has_term(leaf, 0)

    def _bool_ids(self, field: str, value: bool) -> frozenset[int]:
        found: set[int] = set()
        for leaf, offset in self.leaves:
            try:
                found.update(offset + d for d in leaf.postings(field, value).all_ids())
            except TermNotFound:
                continue
        return frozenset(found)

    def norms(self, field: str) -> _F64:
        """BM25's length factor, K1 * (1 - B + B * length / average length), per docnum."""
        found = self._norms.get(field)
        if found is None:
            total = max(1, self.reader.doc_count_all())
            average = (self.reader.field_length(field) / total) or 1.0
            b = TITLE_B if field == "title" else BM25_B
            scale = BM25_K1 * b / average
            base = BM25_K1 * (1 - b)
            lengths = np.zeros(len(self.metas), np.float64)
            for leaf, segment in self._parts:
                offset = self._offsets[id(leaf)]
                part = np.asarray(segment.lengths(leaf, field))
                lengths[offset : offset + len(part)] = part
            found = base + scale * lengths
            if not self._parts:  # an empty index
                found[:] = BM25_K1
            self._norms[field] = found
        return found

    def scores(self, ranking: Sequence[tuple[str, str, float]]) -> _F64:
        """BM25F-style scores (a BM25 sum over fields and terms, Lucene's idf) per docnum;
        0 where no ranking term occurs."""
        total = len(self.live)
        scores = np.zeros(len(self.metas), np.float64)
        for field, term, boost in ranking:
            postings = self.postings(field, term)
            n = len(postings)
            if not n:
                continue
            idf = log(1.0 + (total - n + 0.5) / (n + 0.5))
            weight = idf * (BM25_K1 + 1) * boost
            ids = postings.ids
            tf = postings.weights
            scores[ids] += weight * tf / (tf + self.norms(field)[ids])  # ids are distinct
        return scores

    def term_docs(self, fields: Sequence[str], term: str) -> frozenset[int] | set[int]:
        if len(fields) == 1:
            return self.ids(fields[0], term)
        return set().union(*(self.ids(f, term) for f in fields))

    def phrase_docs(self, fields: Sequence[str], terms: tuple[str, ...]) -> frozenset[int]:
        """Documents with the terms next to each other, in order, in one of ``fields``.

        The candidates (documents with every term) and their positions come from the posting
        arrays: each word's positions, less its place in the phrase, are matched with the first
        word's as ``doc << 32 | position`` keys, in C. The answer is kept for this snapshot
        (the last ``PHRASE_CACHE`` phrases): a refined query repeats its phrases.
        """
        key = (tuple(fields), terms)
        cached = self._phrases.get(key)
        if cached is not None:
            self._phrases.move_to_end(key)
            return cached
        found = frozenset(self._phrase_docs(fields, terms))
        self._phrases[key] = found
        if len(self._phrases) > PHRASE_CACHE:
            self._phrases.popitem(last=False)
        return found

    def _phrase_docs(self, fields: Sequence[str], terms: tuple[str, ...]) -> set[int]:
        found: set[int] = set()
        for f in fields:
            lists = [self.postings(f, t) for t in terms]
            candidates = fastpostings.intersect(p.ids for p in lists)
            if not candidates.size:
                continue
            keys = lists[0].keys_at(candidates, 0)
            for shift, postings in enumerate(lists[1:], start=1):
                keys = np.intersect1d(keys, postings.keys_at(candidates, shift), assume_unique=True)
                if not keys.size:
                    break
            found.update((np.unique(keys >> 32)).tolist())
        return found

    def expand(self, fields: Sequence[str], roots: Iterable[str], limit: int) -> list[str]:
        """Index terms starting with any of ``roots``, most frequent first."""
        freq: dict[str, int] = {}
        for f in fields:
            for root in roots:
                if f in TEXT_FIELDS:
                    for _leaf, segment in self._parts:
                        arrays = segment.fast(f)
                        if arrays is None:
                            continue
                        for btext, count in arrays.starting_with(root.encode("utf-8"), limit):
                            term = btext.decode("utf-8")
                            freq[term] = freq.get(term, 0) + count
                    continue
                for leaf, _ in self.leaves:
                    if leaf.segment() is None:
                        continue
                    for n, (btext, info) in enumerate(leaf.iter_prefix(f, root)):
                        if n >= limit:
                            break
                        term = btext.decode("utf-8")
                        freq[term] = freq.get(term, 0) + info.doc_frequency()
        return sorted(freq, key=lambda t: (-freq[t], t))

    def union_docs(self, fields: Sequence[str], terms: Sequence[str]) -> frozenset[int]:
        """Documents holding any of ``terms`` in any of ``fields``."""
        if not all(f in TEXT_FIELDS for f in fields):
            return frozenset().union(*(self.term_docs(fields, t) for t in terms))
        ids = [self.postings(f, t).ids for f in fields for t in terms]
        return frozenset(np.unique(np.concatenate([_EMPTY_IDS, *ids])).tolist())

    def filter_docs(self, field: str, value: str, prefix: bool = False) -> frozenset[int]:
        key = (field, value, prefix)
        found = self._filters.get(key)
        if found is None:
            found = frozenset().union(
                *(self._one_filter(field, v.strip(), prefix) for v in value.split(","))
            )
            self._filters[key] = found
        return found

    def _one_filter(self, field: str, value: str, prefix: bool) -> frozenset[int]:
        if field == "personal":
            return self.ids("personal", value.lower() in _TRUE)
        v = value.lower()
        if field == "format":
            v = v.lstrip(".")
        elif field == "folder":
            v = v.strip("/")
        if not v:
            return frozenset()
        if prefix:
            starting = self.expand([field], [v], 10_000)
            return frozenset().union(*(self.ids(field, t) for t in starting))
        found = self.ids(field, v)
        if field == "folder":
            under = self.expand([field], [v + "/"], 10_000)
            found = found.union(*(self.ids(field, t) for t in under))
        elif field == "filename":
            starting = self.expand([field], [v], 1000)
            found = found.union(*(self.ids(field, t) for t in starting))
        return found

    # -- vocabulary ---------------------------------------------------------------------------

    def frequency(self, term: str) -> int:
        """How many documents hold ``term``."""
        return int(self.reader.doc_frequency("body", term))

    def candidate_frequency(self, term: str) -> int:
        """``frequency``, answering 0 at once for a term no segment has (most candidates)."""
        key = term_key(term)
        if not any(segment.has_term(leaf, key) for leaf, segment in self._parts):
            return 0
        return self.frequency(term)

    def near_terms(self, term: str, maxdist: int) -> Iterator[str]:
        """Body terms within ``maxdist`` Levenshtein edits (same first letter)."""
        for leaf, _ in self.leaves:
            if leaf.segment() is not None:
                yield from leaf.terms_within("body", term, maxdist, prefix=1)

    # -- facets -------------------------------------------------------------------------------

    def facets(self, docs: set[int]) -> dict[str, dict[str, int]]:
        """Counts per format, top-level folder, tag and status over all of ``docs``."""
        if len(docs) > FACET_BY_SETS:
            counts = {
                facet: {v: n for v, members in self._value_sets(facet).items()
                        if (n := len(members & docs))}
                for facet in _FACETS
            }
        else:
            ordered = list(docs)
            counts = {
                "format": Counter(map(self.formats.__getitem__, ordered)),
                "folder": Counter(map(self.tops.__getitem__, ordered)),
                "tag": Counter(chain.from_iterable(map(self.tags.__getitem__, ordered))),
                "status": Counter(map(self.statuses.__getitem__, ordered)),
            }
        counts["folder"].pop("", None)
        return {facet: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
                for facet, c in counts.items()}

    def _value_sets(self, facet: str) -> dict[str, frozenset[int]]:
        """Each value's documents, for counting big result sets with C-speed intersections."""
        found = self._facet_sets.get(facet)
        if found is None:
            members: dict[str, list[int]] = {}
            values = {"format": self.formats, "folder": self.tops, "status": self.statuses}
            if facet == "tag":
                for d, tags in enumerate(self.tags):
                    for tag in tags:
                        members.setdefault(tag, []).append(d)
            else:
                for d, value in enumerate(values[facet]):
                    members.setdefault(value, []).append(d)
            found = {v: frozenset(ds) for v, ds in members.items()}
            self._facet_sets[facet] = found
        return found

# -- the index ------------------------------------------------------------------------------


class _TrackingStorage(FileStorage):  # type: ignore[misc]
    """A FileStorage that can close what Whoosh leaves open when reading a damaged file fails."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._opened: weakref.WeakSet[Any] = weakref.WeakSet()

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        f = super().open_file(name, *args, **kwargs)
        self._opened.add(f)
        return f

    def close_all(self) -> None:
        for f in list(self._opened):
            f.close()


class SearchIndex:
    """The full-text index of one library (see the module notes on threads)."""

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    def __init__(self, directory: Path) -> None:
        self._dir = Path(directory)
        self._ix: windex.Index | None = None
        self._lock = threading.Lock()
        self._idle: list[Snapshot] = []
        self._segments: dict[str, _Segment] = {}
        self._raw = _RawPostings(RAW_POSTINGS_CACHE)
        self._epoch = 0
        self._builder: BuildProcess | None = None  # only the writer's thread uses it

    # -- lifecycle ----------------------------------------------------------------------------

    def open(self) -> IndexHealth:
        """Open the index, creating an empty one in an empty folder.

        Returns ``ok=False`` with a reason when the index is damaged or was written by another
        schema version; the caller then calls ``reset`` and rebuilds.
        """
        with self._lock:
            if self._ix is not None and self._still_there():
                return IndexHealth(True)
            self._drop_searchers()
            self._ix = None
            try:
                health, ix = self._open_or_create()
            except OSError as exc:
                log_.warning("search index folder unusable: %s", exc)
                return IndexHealth(False, f"the search index folder cannot be used ({exc})")
            self._ix = ix
            return health

    def reset(self) -> None:
        """Wipe the folder and create an empty index (for a rebuild)."""
        with self._lock:
            self._drop_searchers()
            self._ix = None
            self._segments.clear()
            self._raw.clear()
            if self._dir.exists():
                shutil.rmtree(self._dir)
            self._ix = self._create()

    def close(self) -> None:
        """Release the index (call when the writer's thread has stopped)."""
        with self._lock:
            self._drop_searchers()
            self._ix = None
        self._stop_build_process()

    def _drop_searchers(self) -> None:
        self._epoch += 1
        for snap in self._idle:
            snap.close()
        self._idle.clear()

    def _still_there(self) -> bool:
        return self._read_version() == SCHEMA_VERSION and self._has_toc()

    def _has_toc(self) -> bool:
        storage = _TrackingStorage(str(self._dir))
        try:
            TOC.read(storage, INDEX_NAME)
        except Exception:  # an unreadable table of contents is a damaged index
            log_.warning("search index table of contents unreadable", exc_info=True)
            storage.close_all()
            return False
        return True

    def _read_version(self) -> int | None:
        try:
            data = json.loads((self._dir / VERSION_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        version = data.get("schema_version") if isinstance(data, dict) else None
        return version if isinstance(version, int) else None

    def _create(self) -> windex.Index:
        self._dir.mkdir(parents=True, exist_ok=True)
        ix = windex.create_in(str(self._dir), make_schema(), indexname=INDEX_NAME)
        tmp = self._dir / (VERSION_FILE + ".tmp")
        tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION}), encoding="utf-8")
        os.replace(tmp, self._dir / VERSION_FILE)
        return ix

    def _open_or_create(self) -> tuple[IndexHealth, windex.Index | None]:
        has_files = self._dir.is_dir() and any(self._dir.iterdir())
        if not has_files:
            return IndexHealth(True), self._create()
        version = self._read_version()
        if not any(self._dir.glob("_MAIN_*.toc")):
            return IndexHealth(False, "the search index is incomplete"), None
        if not self._has_toc():
            return IndexHealth(False, "the search index is damaged (table of contents)"), None
        if version is None:
            return IndexHealth(False, "the search index has no version mark"), None
        if version != SCHEMA_VERSION:
            return IndexHealth(False, "the search index was made by another fieldkit version"), None
        storage = _TrackingStorage(str(self._dir))
        try:
            ix = windex.FileIndex(storage, indexname=INDEX_NAME)
            self._verify(ix)
        except Exception as exc:  # damage shows up as any exception: it only means "rebuild"
            log_.warning("search index damaged", exc_info=True)
            storage.close_all()
            return IndexHealth(False, f"the search index is damaged ({type(exc).__name__})"), None
        return IndexHealth(True), ix

    def _verify(self, ix: windex.Index) -> None:
        """Read a little of every segment file, so damage shows now rather than mid-search."""
        with _open_searcher(ix, None) as searcher:
            reader = searcher.reader()
            for leaf, _ in reader.leaf_readers():
                if leaf.segment() is None:
                    continue
                segment = _load_segment(leaf, self._dir)
                if len(segment.metas) != leaf.doc_count_all():
                    raise ValueError("column length does not match the document count")
                self._segments[leaf.segment().segment_id()] = segment
                for name in TEXT_FIELDS:
                    segment.fast(name)
                for docnum in (0, leaf.doc_count_all() - 1):
                    if docnum >= 0 and not leaf.is_deleted(docnum):
                        leaf.stored_fields(docnum)
                for fieldname in ("doc_id", "title", "body"):
                    for btext in leaf.expand_prefix(fieldname, ""):
                        list(leaf.postings(fieldname, btext).all_ids())
                        break

    def _index(self) -> windex.Index:
        if self._ix is None:
            health = self.open()
            if not health.ok or self._ix is None:
                raise IndexDamagedError(
                    "The search index needs to be rebuilt: " + (health.reason or "unknown reason")
                )
        return self._ix

    # -- writing (one owner thread) -------------------------------------------------------------

    def apply(self, add: Sequence[IndexDocument], delete: Sequence[str]) -> None:
        """Replace ``add`` (by doc_id) and remove ``delete``, in one commit.

        Call from one thread only. Small batches only merge small segments, so a changed file
        is searchable within milliseconds; larger ones let segments merge (see
        ``_plan_merges``). Afterwards the caches searches need for the new segments (lengths,
        vocabulary) are filled here, on the writer's thread, rather than by the next search.
        """
        if not add and not delete:
            return
        ix = self._index()
        try:
            writer = ix.writer(timeout=WRITE_TIMEOUT_S, codec=W3Codec(compression=0))
        except LockError as exc:
            raise IndexBusyError(
                "The search index is being updated by another fieldkit window or command; "
                "try again when it has finished."
            ) from exc
        try:
            stale = list(dict.fromkeys([*delete, *(d.doc_id for d in add)]))
            if stale:
                self._delete(writer, stale)
            small = len(add) + len(delete) <= SMALL_BATCH
            keep, merge = _plan_merges(writer.segments, SMALL_SEGMENT_DOCS if small else None)
            # A big batch: the build process writes part of it meanwhile, as a segment of its
            # own, merges included.
            ours = len(add)
            parallel = len(add) >= PARALLEL_BATCH
            if parallel:
                merge, theirs, ours = _share_work(merge, len(add))
                self._build_process().start(theirs, add[ours:])
            builder = SegmentBuilder(writer)
            for segment in merge:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                try:
                    builder.add_segment(reader)
                finally:
                    reader.close()
            for doc in add[:ours]:
                builder.add(record(doc))
            builder.finish()
            new = [builder.finalize()] if writer._added else []
            if parallel:
                new.append(self._build_process().result())
            writer.commit(mergetype=lambda _writer, _segments: [*keep, *new])
        except BaseException:
            writer.cancel()
            self._stop_build_process()
            raise
        with self._snapshot() as snap:
            snap.warm()

    def _build_process(self) -> BuildProcess:
        if self._builder is None:
            self._builder = BuildProcess(self._dir, INDEX_NAME)
        return self._builder

    def _stop_build_process(self) -> None:
        if self._builder is not None:
            self._builder.close()
            self._builder = None

    def _delete(self, writer: Any, doc_ids: list[str]) -> None:
        """Mark the documents deleted, found through a pooled snapshot (Whoosh's own
        ``delete_by_term`` first opens a reader on every segment). The snapshot is refreshed
        to the latest generation after the writer took the lock, so it numbers documents
        exactly as the writer does."""
        with self._snapshot() as snap:
            for doc_id in doc_ids:
                for docnum in snap.docnums_of(doc_id):
                    writer.delete_document(docnum)

    # -- reading (any thread) -------------------------------------------------------------------

    @contextmanager
    def _snapshot(self) -> Iterator[Snapshot]:
        ix = self._index()
        with self._lock:
            snap = self._idle.pop() if self._idle else None
            epoch = self._epoch
            live_segments = self._segments
        try:
            if snap is None:
                snap = Snapshot(
                    _open_searcher(ix, None), live_segments, self._raw, epoch, self._dir
                )
            elif not snap.searcher.up_to_date():
                snap = Snapshot(
                    _open_searcher(ix, snap.searcher), live_segments, self._raw, epoch, self._dir
                )
                self._forget_old_segments(snap)
        except OSError as exc:
            raise IndexDamagedError(f"The search index could not be read ({exc}).") from exc
        try:
            yield snap
        finally:
            with self._lock:
                if snap.epoch == self._epoch and len(self._idle) < 4:
                    self._idle.append(snap)
                else:
                    snap.close()

    def _forget_old_segments(self, snap: Snapshot) -> None:
        current = {leaf.segment().segment_id() for leaf, _ in snap.leaves if leaf.segment()}
        with self._lock:
            for key in [k for k in self._segments if k not in current]:
                del self._segments[key]

    def doc_ids(self) -> set[str]:
        with self._snapshot() as snap:
            return {snap.metas[d].doc_id for d in snap.live}

    def suggest(self, query: str) -> str | None:
        """The query with likely typos replaced by words from the index, or None."""
        text = cap_query(query)
        with self._snapshot() as snap:
            fixes = _corrections(snap, parse(text), thorough=True)
            return _substitute(text, fixes) if fixes else None

    def search(self, request: SearchRequest) -> SearchResults:
        text = cap_query(request.query)
        limit = max(0, min(request.limit, MAX_LIMIT))
        offset = max(0, request.offset)
        with self._snapshot() as snap:
            return _Search(snap, request, text, limit, offset).run()


# -- one search -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fix:
    start: int
    end: int
    replacement: str
    is_stem: bool


def _corrections(snap: Snapshot, root: Node | None, *, thorough: bool) -> list[_Fix]:
    """A replacement for each plain word that looks like a typo (rare, with a common neighbour).

    Only short queries are checked: a typo matters when there are few words to carry the search,
    and a long question has many rare words that are not typos.
    """
    plain = [w for w in words(root) if not w.prefix]
    if len(plain) > MAX_SPELL_WORDS:
        return []
    fixes: list[_Fix] = []
    for word in plain:
        terms = analyze(word.text)
        if len(terms) != 1:
            continue
        df = snap.frequency(terms[0])
        if df > RARE:
            continue
        best = best_correction(
            word.text, snap.candidate_frequency, snap.near_terms, thorough=thorough
        )
        # A word the library does not contain takes any known neighbour (a small library has
        # no frequent words to lean on); a rare word needs a far more common one.
        if best is not None and (df == 0 or best.frequency > df * 10):
            fixes.append(_Fix(word.start, word.end, best.word, best.is_stem))
    return fixes


def _substitute(text: str, fixes: Iterable[_Fix]) -> str:
    out: list[str] = []
    pos = 0
    for fix in sorted(fixes, key=lambda f: f.start):
        out.append(text[pos : fix.start])
        out.append(fix.replacement)
        pos = fix.end
    out.append(text[pos:])
    return "".join(out)


@dataclass(frozen=True)
class _Allowed:
    within: tuple[frozenset[int], ...]  # request filters: a hit is in each
    hidden: tuple[frozenset[int], ...]  # withdrawn, archived: a hit is in none


class _Search:
    def __init__(
        self, snap: Snapshot, request: SearchRequest, text: str, limit: int, offset: int
    ) -> None:
        self.snap = snap
        self.request = request
        self.text = text
        self.offset = offset
        self.depth = offset + limit if limit else 0  # ranked hits needed for the page

    def run(self) -> SearchResults:
        allowed = self._allowed()
        root = parse(self.text)
        plan = Planner(self.snap).plan(root)
        docs = self._matching(plan, allowed)
        few = len(docs) < FEW_HITS
        # Two-edit corrections cost up to a few hundred milliseconds on a big index: only
        # when nothing at all was found.
        thorough = not docs
        fixes = _corrections(self.snap, root, thorough=thorough) if root is not None else []
        applied: list[_Fix] = []
        did_you_mean: str | None = None
        if fixes:
            fixed_text = _substitute(self.text, fixes)
            if few:
                fixed_plan = Planner(self.snap).plan(parse(fixed_text))
                fixed_docs = self._matching(fixed_plan, allowed)
                if len(fixed_docs) > len(docs):
                    plan, docs, applied = fixed_plan, fixed_docs, fixes
                elif fixed_docs:
                    did_you_mean = fixed_text
            else:
                did_you_mean = fixed_text
        ranked = self._rank(plan, docs)
        hits = self._hits(plan, ranked[self.offset :])
        corrected = self._readable(applied, ranked[0][1]) if applied and ranked else None
        return SearchResults(
            query=self.text,
            total=len(docs),
            corrected=corrected,
            did_you_mean=did_you_mean,
            hits=hits,
            facets=self.snap.facets(docs),
        )

    def _allowed(self) -> _Allowed:
        snap = self.snap
        within = []
        for key, value in self.request.filters.items():
            field = _FILTER_KEYS.get(key.lower())
            if field is None:
                raise UsageError(f"Unknown search filter {key!r}.")
            if value.strip():
                within.append(snap.filter_docs(field, value))
        hidden = []
        if not self.request.include_withdrawn:
            hidden.append(snap.filter_docs("status", "withdrawn"))
        if not self.request.include_archived:
            hidden.append(snap.filter_docs("status", "archived"))
        return _Allowed(tuple(within), tuple(h for h in hidden if h))

    def _matching(self, plan: Plan, allowed: _Allowed) -> set[int]:
        if plan.docs is None:  # an empty query lists everything; stop words alone find nothing
            docs = set(self.snap.live) if not self.text else set()
        else:
            docs = set(plan.docs)  # live documents only: posting lists skip deleted ones
        docs.intersection_update(*allowed.within)
        docs.difference_update(*allowed.hidden)
        return docs

    def _rank(self, plan: Plan, docs: set[int]) -> list[tuple[float, int]]:
        if not docs or self.depth == 0:
            return []
        metas = self.snap.metas
        if self.request.sort == "title":
            order = heapq.nsmallest(self.depth, docs, key=lambda d: (metas[d].title_key, d))
            return [(0.0, d) for d in order]
        if self.request.sort == "modified" or not plan.ranking:
            newest = heapq.nlargest(self.depth, docs, key=lambda d: (metas[d].modified, -d))
            return [(0.0, d) for d in newest]
        matching = np.fromiter(docs, np.int64, len(docs))
        found = self.snap.scores(plan.ranking)[matching]
        scored = found > 0
        ranked = matching[scored]
        values = found[scored] * self.snap.factor_array[ranked]
        full = all_words(plan.side_by_side, docs)
        if full is not None:
            in_full = np.isin(ranked, np.fromiter(full, np.int64, len(full)))
            values = values * np.where(in_full, 1.0, PARTIAL_FACTOR)
        if len(values) > self.depth:  # the best ``depth``, ties at the edge included
            edge = np.partition(values, len(values) - self.depth)[len(values) - self.depth]
            best = values >= edge
            values, ranked = values[best], ranked[best]
        best_first = np.lexsort((ranked, -values))[: self.depth]  # ties: the lower docnum
        top = list(zip(values[best_first].tolist(), ranked[best_first].tolist(), strict=True))
        if len(top) < self.depth and len(top) < len(docs):  # matches that no ranked word scores
            rest = heapq.nlargest(
                self.depth - len(top),
                matching[~scored].tolist(),
                key=lambda d: (metas[d].modified, -d),
            )
            top.extend((0.0, d) for d in rest)
        return top

    def _hits(self, plan: Plan, ranked: list[tuple[float, int]]) -> tuple[Hit, ...]:
        locator = Locator(plan.highlight())
        hits: list[Hit] = []
        for n, (score, docnum) in enumerate(ranked):
            stored = self.snap.searcher.stored_fields(docnum)
            units: tuple[UnitText, ...] = stored.get("units", ())
            kind: str | None = None
            number: int | None = None
            also: tuple[int, ...] = ()
            snippet = ""
            if n < SNIPPET_HITS:
                where = locator.locate(units)
                kind, number, also, snippet = where.kind, where.number, where.also, where.snippet
            modified = stored.get("modified")
            hits.append(
                Hit(
                    doc_id=stored["doc_id"],
                    path=stored.get("path", ""),
                    title=stored.get("title", ""),
                    format=stored.get("format", ""),
                    score=round(score, 4),
                    location_kind=kind,
                    location_number=number,
                    also=also,
                    snippet=snippet,
                    status=stored.get("status", ""),
                    version=stored.get("version"),
                    modified=modified if isinstance(modified, datetime) else datetime.min,
                    folder=stored.get("folder", ""),
                    tags=tuple(stored.get("tags", ())),
                    personal=bool(stored.get("personal", False)),
                )
            )
        return tuple(hits)

    def _readable(self, fixes: list[_Fix], top_docnum: int) -> str:
        """The corrected query, with stems from two-edit corrections shown as the top hit
        spells them."""
        units = self.snap.searcher.stored_fields(top_docnum).get("units", ())
        shown = [
            _Fix(f.start, f.end, surface(units, f.replacement) or f.replacement, False)
            if f.is_stem
            else f
            for f in fixes
        ]
        return _substitute(self.text, shown)
