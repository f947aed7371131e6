"""The text fields' posting arrays beside each segment hold exactly Whoosh's postings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_index_bulk import create, docs
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.reading import SegmentReader

from fieldkit.core.index import SearchIndex, SearchRequest, engine, fastpostings
from fieldkit.core.index.bulk import SegmentBuilder
from fieldkit.core.index.model import IndexDocument
from fieldkit.core.index.schema import TEXT_FIELDS, record


def whoosh_postings(folder: Path) -> dict[str, dict[tuple[str, bytes], tuple[list[int], ...]]]:
    """Per segment id: each text term's docnums, frequencies and positions as Whoosh reads
    them through its own matchers."""
    out: dict[str, dict[tuple[str, bytes], tuple[list[int], ...]]] = {}
    ix = windex.open_dir(str(folder), indexname="MAIN")
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            found: dict[tuple[str, bytes], tuple[list[int], ...]] = {}
            terms = leaf._terms
            for (field, term), info in terms.items():
                if field in TEXT_FIELDS:
                    # The segment's own postings, deleted documents included.
                    matcher = terms._codec.postings_reader(
                        terms._postfile, info, leaf.schema[field].format
                    )
                    ids, counts, positions = [], [], []
                    while matcher.is_active():
                        ids.append(matcher.id())
                        poses = matcher.value_as("positions")
                        counts.append(len(poses))
                        positions.extend(poses)
                        matcher.next()
                    found[(field, term)] = (ids, counts, positions)
            out[leaf.segment().segment_id()] = found
    return out


def array_postings(folder: Path, segment_id: str) -> dict[tuple[str, bytes], tuple[list[int], ...]]:
    arrays = fastpostings.load(fastpostings.path_for(folder, segment_id))
    found: dict[tuple[str, bytes], tuple[list[int], ...]] = {}
    for field, postings in arrays.items():
        for i, term in enumerate(postings.terms):
            one = postings.at(i)
            found[(field, term)] = (one.ids.tolist(), one.counts.tolist(), one.positions.tolist())
            assert postings.find(term) is not None
        assert postings.find(b"\xff-not-a-term") is None
    return found


def live_part(found: dict[tuple[str, bytes], tuple[list[int], ...]], deleted: set[int]) -> dict:
    """Whoosh's postings without the deleted documents (a merge drops them)."""
    out = {}
    for key, (ids, counts, positions) in found.items():
        kept_ids, kept_counts, kept_positions, at = [], [], [], 0
        for d, n in zip(ids, counts, strict=True):
            if d not in deleted:
                kept_ids.append(d)
                kept_counts.append(n)
                kept_positions.extend(positions[at : at + n])
            at += n
        if kept_ids:
            out[key] = (kept_ids, kept_counts, kept_positions)
    return out


def write_segment(ix: Any, batch: list[IndexDocument]) -> None:
    """``batch`` as a new segment written by ``SegmentBuilder``, beside the index's others."""
    writer = ix.writer(codec=W3Codec(compression=0))
    builder = SegmentBuilder(writer)
    for doc in batch:
        builder.add(record(doc))
    builder.finish()
    new = builder.finalize()
    writer.commit(mergetype=lambda _w, segments: [*segments, new])


def test_new_segment_arrays_equal_whooshs_postings(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    write_segment(create(folder), docs(300))  # posting lists of several blocks

    ((segment_id, expected),) = whoosh_postings(folder).items()
    assert array_postings(folder, segment_id) == expected


def test_merged_segment_arrays_drop_deleted_documents_and_renumber(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    ix = create(folder)
    batch = docs(240)
    for part in (batch[:100], batch[100:200]):
        write_segment(ix, part)
    writer = ix.writer(codec=W3Codec(compression=0))
    for docnum in (0, 7, 99, 100, 150, 199):
        writer.delete_document(docnum)
    builder = SegmentBuilder(writer)
    for segment in writer.segments:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        builder.add_segment(reader)
        reader.close()
    for doc in batch[200:]:
        builder.add(record(doc))
    builder.finish()
    merged = builder.finalize()
    writer.commit(mergetype=lambda _w, _s: [merged])

    ((segment_id, expected),) = whoosh_postings(folder).items()
    assert array_postings(folder, segment_id) == expected
    assert len(expected) > 100


def test_segments_are_merged_before_documents_are_added(tmp_path: Path) -> None:
    ix = create(tmp_path / "index")
    write_segment(ix, docs(5))
    writer = ix.writer(codec=W3Codec(compression=0))
    builder = SegmentBuilder(writer)
    builder.add(record(docs(6)[5]))
    reader = SegmentReader(writer.storage, writer.schema, writer.segments[0])
    try:
        with pytest.raises(ValueError, match="merged before"):
            builder.add_segment(reader)
    finally:
        reader.close()
        writer.cancel()


def test_index_arrays_follow_updates_deletions_and_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "TIER_FANOUT", 2)  # merge at every second segment
    index = SearchIndex(tmp_path / "index")
    assert index.open().ok
    batch = docs(120)
    for start in range(0, 120, 30):
        index.apply(batch[start : start + 30], [f"d{n}" for n in range(start % 7, start, 9)])
    index.close()
    folder = tmp_path / "index"
    ix = windex.open_dir(str(folder), indexname="MAIN")
    deleted: dict[str, set[int]] = {}
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            deleted[leaf.segment().segment_id()] = set(leaf.deleted_docs_set)
    for segment_id, expected in whoosh_postings(folder).items():
        ours = array_postings(folder, segment_id)
        # A segment's arrays keep its deleted documents, as its Whoosh postings do.
        assert ours == expected
        assert live_part(ours, deleted[segment_id]) == live_part(expected, deleted[segment_id])


def test_missing_or_damaged_arrays_make_the_index_rebuild(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    assert index.open().ok
    index.apply(docs(20), [])
    index.close()
    (path,) = (tmp_path / "index").glob("*" + fastpostings.SUFFIX)
    path.write_bytes(path.read_bytes()[:-16])
    damaged = SearchIndex(tmp_path / "index")
    health = damaged.open()
    assert not health.ok and "damaged" in (health.reason or "")
    path.unlink()
    assert not SearchIndex(tmp_path / "index").open().ok
    damaged.reset()
    damaged.apply(docs(20), [])
    assert damaged.search(SearchRequest("fox", limit=5)).total > 0
    damaged.close()


@pytest.mark.parametrize("runs_at_a_time", [1, 2, 1 << 16])
def test_gather_takes_runs_in_order(monkeypatch: pytest.MonkeyPatch, runs_at_a_time: int) -> None:
    monkeypatch.setattr(fastpostings, "_GATHER_RUNS", runs_at_a_time)
    values = np.arange(10, 20, dtype=np.uint32)
    starts = np.array([7, 0, 3, 4, 9], np.int64)
    lengths = np.array([2, 1, 0, 3, 1], np.int64)
    assert fastpostings.gather(values, starts, lengths).tolist() == [17, 18, 10, 14, 15, 16, 19]
    assert fastpostings.gather(values, starts[:0], lengths[:0]).tolist() == []


def test_save_and_load_keep_every_array(tmp_path: Path) -> None:
    part = fastpostings.Part(
        [b"alpha", b"beta"],
        np.array([0, 0, 1], np.int64),
        np.array([1, 4, 2], np.uint32),
        np.array([2, 1, 3], np.uint32),
        np.array([0, 5, 2, 1, 2, 3], np.uint32),
    )
    later = fastpostings.Part(
        [b"alpha"], np.array([0], np.int64), np.array([9], np.uint32),
        np.array([1], np.uint32), np.array([7], np.uint32),
    )
    combined = fastpostings.combine([part, later], [b"alpha", b"beta", b"gamma"])
    path = tmp_path / "x.fkpost"
    fastpostings.save(path, {"body": combined, "title": fastpostings.combine([], [])})
    loaded = fastpostings.load(path)
    alpha = loaded["body"].find(b"alpha")
    beta = loaded["body"].find(b"beta")
    assert alpha is not None and beta is not None
    assert (alpha.ids.tolist(), alpha.counts.tolist(), alpha.positions.tolist()) == (
        [1, 4, 9], [2, 1, 1], [0, 5, 2, 7]
    )
    assert (beta.ids.tolist(), beta.positions.tolist()) == ([2], [1, 2, 3])
    assert loaded["title"].find(b"alpha") is None
    path.write_bytes(b"FKPOST01" + b"\xff" * 12)
    with pytest.raises(fastpostings.FastPostingsError):
        fastpostings.load(path)
