"""SearchRequest.offset: pages of ranked hits, each located and quoted like the first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fieldkit.core.index import IndexDocument, IndexUnit, SearchIndex, SearchRequest
from fieldkit.core.index.engine import SNIPPET_HITS

DOCS = 130


def doc(i: int) -> IndexDocument:
    # Document i says "discount" i+1 times on its second page: a strict ranking by i.
    pages = (
        IndexUnit("page", 1, f"Cover page of report {i}."),
        IndexUnit("page", 2, "The discount policy. " * (i + 1) + "filler words " * 200),
    )
    return IndexDocument(
        doc_id=f"d{i:03d}",
        path=f"/library/d{i:03d}.pdf",
        title=f"Report {i}",
        filename=f"d{i:03d}.pdf",
        format="pdf",
        folder="",
        tags=(),
        modified=datetime(2024, 1, 1 + i % 28, tzinfo=UTC),
        status="current",
        version=1,
        personal=False,
        units=pages,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    ix = SearchIndex(Path(tmp_path_factory.mktemp("paging")) / "index")
    assert ix.open().ok
    ix.apply([doc(i) for i in range(DOCS)], [])
    yield ix
    ix.close()


@pytest.mark.parametrize("sort", ["relevance", "modified", "title"])
def test_pages_follow_each_other_without_gaps_or_repeats(index: SearchIndex, sort: str) -> None:
    everything = index.search(SearchRequest("discount", limit=DOCS, sort=sort))  # type: ignore[arg-type]
    assert everything.total == DOCS
    paged = []
    for offset in range(0, DOCS, 40):
        page = index.search(SearchRequest("discount", limit=40, offset=offset, sort=sort))  # type: ignore[arg-type]
        assert page.total == DOCS
        assert page.facets == everything.facets
        paged.extend(h.doc_id for h in page.hits)
    assert paged == [h.doc_id for h in everything.hits]


def test_hits_beyond_the_first_page_are_located_and_quoted(index: SearchIndex) -> None:
    first = index.search(SearchRequest("discount", limit=DOCS))
    assert first.hits[0].doc_id == f"d{DOCS - 1:03d}"  # the most mentions first
    assert first.hits[SNIPPET_HITS].snippet == ""  # one long request quotes its first 50 only
    page = index.search(SearchRequest("discount", limit=SNIPPET_HITS, offset=SNIPPET_HITS))
    assert [h.doc_id for h in page.hits] == [
        h.doc_id for h in first.hits[SNIPPET_HITS : 2 * SNIPPET_HITS]
    ]
    for hit in page.hits:
        assert (hit.location_kind, hit.location_number) == ("page", 2)
        assert "<b>discount</b>" in hit.snippet.lower()


def test_an_offset_past_the_end_gives_no_hits_but_the_total(index: SearchIndex) -> None:
    results = index.search(SearchRequest("discount", limit=10, offset=DOCS + 5))
    assert results.hits == ()
    assert results.total == DOCS
    negative = index.search(SearchRequest("discount", limit=3, offset=-4))
    assert [h.doc_id for h in negative.hits] == [f"d{DOCS - 1 - i:03d}" for i in range(3)]
