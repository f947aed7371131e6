"""SegmentBuilder writes what Whoosh's own writer writes, for new documents and for merges."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.reading import SegmentReader

from fieldkit.core.index import SearchIndex, SearchRequest, engine
from fieldkit.core.index.analysis import make_analyzer, term_positions, utf8_term_positions
from fieldkit.core.index.bulk import (
    SegmentBuilder,
    drain,
    segment_postings,
    vocabulary_of,
    vocabulary_path,
)
from fieldkit.core.index.model import IndexDocument, IndexUnit
from fieldkit.core.index.schema import make_schema, record

TEXTS = (
    "The quick brown fox jumps over the lazy dog; foxes jumped again and again.",
    "Pricing for 2024: socket.socket, v2.5 and x.y.z — café naïve résumé İstanbul ŞEKER.",
    "Stop words: a an and the of to in is it; one-letter words x y z are dropped too.",
    "Running runners ran; connection connected connecting connections " * 40,
    "Invoice 4711 of 2024-05-01, order 0042 and ²³ ٣٤ (digits), 12th 3rd 1990s v10 A4.",
)


def docs(count: int) -> list[IndexDocument]:
    found = []
    for i in range(count):
        text = " ".join(TEXTS[(i + k) % len(TEXTS)] for k in range(1 + i % 3)) + f" doc{i}"
        units = (
            (IndexUnit("page", 1, text[:60]), IndexUnit("page", 2, text[60:]))
            if i % 2
            else (IndexUnit(None, None, text),)
        )
        found.append(
            IndexDocument(
                doc_id=f"d{i}",
                path=f"/library/d{i}.txt",
                title=f"Report {i} résumé",
                filename=f"quarter_{i}.txt",
                format="pdf" if i % 2 else "txt",
                folder="sales/emea" if i % 3 else "",
                tags=("pricing", "q1") if i % 4 else (),
                modified=datetime(2024, 1, 1 + i % 28, tzinfo=UTC),
                status="current" if i % 5 else "expired",
                version=None if i % 2 else i,
                personal=i % 6 == 0,
                units=units,
            )
        )
    return found


def contents(folder: Path) -> dict[Any, Any]:
    """Everything a reader sees: each term's statistics and postings, stored fields, lengths."""
    ix = windex.open_dir(str(folder), indexname="MAIN")
    out: dict[Any, Any] = {}
    with ix.reader() as reader:
        terms = reader._terms
        for (field, term), info in terms.items():
            matcher = terms._codec.postings_reader(
                terms._postfile, info, reader.schema[field].format
            )
            ids, weights, values = drain(matcher)
            stats = (info._weight, info._df, info._minlength, info._maxlength, info._maxweight)
            out[(field, term)] = (stats, info._minid, info._maxid, ids, weights, list(values))
        count = reader.doc_count_all()
        out["stored"] = [reader.stored_fields(d) for d in range(count)]
        out["lengths"] = [
            (reader.doc_field_length(d, "body"), reader.doc_field_length(d, "title"))
            for d in range(count)
        ]
        out["meta"] = list(reader.column_reader("meta", translate=False))
        out["totals"] = (reader.field_length("body"), reader.field_length("title"))
    return out


def test_term_positions_are_the_analyzers() -> None:
    analyzer = make_analyzer()
    for text in TEXTS:
        expected: dict[str, list[int]] = {}
        for token in analyzer(text, positions=True):
            expected.setdefault(token.text, []).append(token.pos)
        assert term_positions(text) == expected


def test_utf8_term_positions_are_term_positions_encoded() -> None:
    for text in (*TEXTS, *(d.units[0].text for d in docs(30))):
        expected = {t.encode("utf-8"): p for t, p in term_positions(text).items()}
        assert utf8_term_positions(text) == expected


def test_segment_postings_reads_what_whooshs_matchers_read(tmp_path: Path) -> None:
    # Whoosh's own writer, compressed blocks included, and lists longer than a block (128).
    for name, codec in (("plain", W3Codec(compression=0)), ("zlib", W3Codec())):
        ix = create(tmp_path / name)
        writer = ix.writer(codec=codec)
        for doc in docs(300):
            writer.add_document(**record(doc))
        writer.commit(merge=False)
        with ix.reader() as reader:
            fixedsizes = {
                n: f.format.fixed_value_size() for n, f in reader.schema.items() if f.format
            }
            terms, codec_, schema = reader._terms, reader._codec, reader.schema
            expected = [
                (n, t, drain(codec_.postings_reader(terms._postfile, info, schema[n].format)))
                for (n, t), info in terms.items()
            ]
            found = list(segment_postings(reader, fixedsizes))
        assert found == expected
        assert any(len(ids) > 128 for _, _, (ids, _, _) in found)
        assert {n for n, _, _ in found} >= {"body", "title", "tags", "doc_id"}


def create(folder: Path) -> Any:
    folder.mkdir()
    return windex.create_in(str(folder), make_schema(), indexname="MAIN")


@pytest.mark.parametrize("count", [40, 300])  # 300: posting lists of several blocks
def test_new_segment_equals_whoosh_writer(tmp_path: Path, count: int) -> None:
    batch = docs(count)
    ix = create(tmp_path / "whoosh")
    writer = ix.writer(codec=W3Codec(compression=0))
    for doc in batch:
        writer.add_document(**record(doc))
    writer.commit(merge=False)

    ix = create(tmp_path / "ours")
    writer = ix.writer(codec=W3Codec(compression=0))
    builder = SegmentBuilder(writer)
    for doc in batch:
        builder.add(record(doc))
    builder.finish()
    segment = builder.finalize()
    writer.commit(mergetype=lambda _w, _s: [segment])

    assert contents(tmp_path / "ours") == contents(tmp_path / "whoosh")
    # the spelling vocabulary was written with the segment, as searches would compute it
    with windex.open_dir(str(tmp_path / "ours"), indexname="MAIN").reader() as reader:
        path = vocabulary_path(tmp_path / "ours", reader.segment().segment_id())
        assert path.read_bytes() == vocabulary_of(reader.lexicon("body")).tobytes()


@pytest.mark.parametrize("count", [30, 300])
def test_merge_keeps_live_documents_and_renumbers(tmp_path: Path, count: int) -> None:
    batch = docs(count)
    split = count * 2 // 3
    ix = create(tmp_path / "whoosh")
    writer = ix.writer(codec=W3Codec(compression=0))
    for doc in batch[:12] + batch[13:]:
        writer.add_document(**record(doc))
    writer.commit(merge=False)

    ix = create(tmp_path / "ours")
    writer = ix.writer(codec=W3Codec(compression=0))
    builder = SegmentBuilder(writer)
    for doc in batch[:split]:
        builder.add(record(doc))
    builder.finish()
    first = builder.finalize()
    writer.commit(mergetype=lambda _w, _s: [first])
    writer = ix.writer(codec=W3Codec(compression=0))
    writer.delete_document(12)  # a short document: its length byte is exact
    builder = SegmentBuilder(writer)
    for segment in writer.segments:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        builder.add_segment(reader)
        reader.close()
    for doc in batch[split:]:
        builder.add(record(doc))
    builder.finish()
    writer.commit(mergetype=lambda _w, _s: [])

    ours, theirs = contents(tmp_path / "ours"), contents(tmp_path / "whoosh")
    assert ours.keys() == theirs.keys()
    assert ours["stored"] == theirs["stored"]
    assert ours["meta"] == theirs["meta"]
    assert ours["totals"] == theirs["totals"]  # BM25's average lengths survive the merge
    # A merge reads lengths back as Whoosh stores them (one byte, approximate), as Whoosh's
    # own merge does; postings are otherwise the same.
    for key in ours.keys() - {"stored", "meta", "lengths", "totals"}:
        assert ours[key][1:] == theirs[key][1:], key


def test_big_batch_written_by_two_processes_equals_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = docs(60)
    indexes = {}
    for name, parallel_from in (("one", 1000), ("two", 20)):
        monkeypatch.setattr(engine, "PARALLEL_BATCH", parallel_from)
        ix = SearchIndex(tmp_path / name)
        assert ix.open().ok
        ix.apply(add=batch[:30], delete=())
        ix.apply(add=batch[30:], delete=["d3"])
        indexes[name] = ix
    one, two = indexes["one"], indexes["two"]
    with two._snapshot() as snap:
        assert len(snap.leaves) == 4  # the first batch's two segments and the second's two
    for query in ("fox", "connection", '"brown fox"', "run*", "pricing", "résumé", "doc7"):
        request = SearchRequest(query, limit=100)
        assert two.search(request) == one.search(request), query
    assert two.doc_ids() == one.doc_ids() == {d.doc_id for d in batch} - {"d3"}
    one.close()
    two.close()


def test_a_dead_build_process_fails_the_batch_and_the_next_one_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PARALLEL_BATCH", 20)
    batch = docs(60)
    ix = SearchIndex(tmp_path / "index")
    assert ix.open().ok
    ix.apply(add=batch[:30], delete=())
    builder = ix._build_process()
    builder._process.kill()
    builder._process.join()
    with pytest.raises(RuntimeError, match="index build process"):
        ix.apply(add=batch[30:], delete=())
    assert ix.doc_ids() == {d.doc_id for d in batch[:30]}  # the last commit still stands
    ix.apply(add=batch[30:], delete=())
    assert ix.doc_ids() == {d.doc_id for d in batch}
    assert ix.search(SearchRequest("doc45")).hits[0].doc_id == "d45"
    ix.close()


class _Sized:
    """Stands in for a Whoosh segment where only its size matters."""

    def __init__(self, docs: int) -> None:
        self.docs = docs

    def doc_count(self) -> int:
        return self.docs


def test_share_work_splits_merges_and_new_documents_in_order() -> None:
    cost, share = engine.MERGE_COST, engine.WRITER_SHARE
    segments = [_Sized(n) for n in (1000, 900, 300, 200, 100)]
    ours = round(share * (cost * 2500 + 2500) - cost * 2500)
    assert engine._share_work(segments, 2500) == (segments, [], ours)
    assert engine._share_work([], 300) == ([], [], round(share * 300))
    # more merging than new documents: the split falls between segments, the build process
    # takes the later segments and every new document
    big = [_Sized(5000), _Sized(4000), _Sized(3000)]
    assert engine._share_work(big, 2000) == (big[:1], big[1:], 0)
    pair = [_Sized(5000), _Sized(100)]
    assert engine._share_work(pair, 200) == ([], pair, 0)


@pytest.mark.parametrize("deleting", [False, True])
def test_merges_shared_with_the_build_process_equal_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deleting: bool
) -> None:
    batch = docs(200)
    deleted = {f"d{start - 5}" for start in range(40, 200, 40)} if deleting else set()
    indexes = {}
    for name, parallel_from in (("one", 1000), ("two", 20)):
        monkeypatch.setattr(engine, "PARALLEL_BATCH", parallel_from)
        ix = SearchIndex(tmp_path / name)
        assert ix.open().ok
        for start in range(0, 200, 40):
            gone = [f"d{start - 5}"] if start and deleting else []
            ix.apply(add=batch[start : start + 40], delete=gone)
        indexes[name] = ix
    one, two = indexes["one"], indexes["two"]
    with two._snapshot() as snap:
        # two segments a batch (the writer's thread indexing 40 %); in the fourth batch the
        # writer's thread merged four of the first six segments (deletions dropped), the build
        # process the other two and the batch's documents
        counts = [reader.doc_count_all() for reader, _ in snap.leaves]
        assert counts == ([78, 79, 16, 24] if deleting else [80, 80, 16, 24])
    for query in ("fox", "connection", '"brown fox"', "run*", "pricing", "résumé", "doc7"):
        request = SearchRequest(query, limit=300)
        ours, theirs = two.search(request), one.search(request)
        if deleting:
            # A merge drops the deleted documents' lengths from BM25's average length (one
            # index merged, the other not): the same documents match, scores differ a little.
            assert {h.doc_id for h in ours.hits} == {h.doc_id for h in theirs.hits}, query
            assert ours.total == theirs.total
        else:
            assert ours == theirs, query
    assert two.doc_ids() == one.doc_ids() == {d.doc_id for d in batch} - deleted
    one.close()
    two.close()
