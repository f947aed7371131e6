"""Search behaviour of fieldkit.core.index on small real indexes built under tmp_path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fieldkit.core.errors import UsageError
from fieldkit.core.index import (
    IndexBusyError,
    IndexDamagedError,
    IndexDocument,
    IndexUnit,
    SearchIndex,
    SearchRequest,
    SearchResults,
    engine,
)
from fieldkit.core.index.analysis import analyze, make_analyzer


def make_doc(doc_id: str, title: str, *texts: str, **changes: object) -> IndexDocument:
    units = tuple(IndexUnit(None, None, t) for t in texts)
    doc = IndexDocument(
        doc_id=doc_id,
        path=f"/library/{doc_id}.txt",
        title=title,
        filename=f"{doc_id}.txt",
        format="txt",
        folder="",
        tags=(),
        modified=datetime(2024, 1, 1, tzinfo=UTC),
        status="current",
        version=1,
        personal=False,
        units=units,
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


def paged(kind: str, *pages: str) -> tuple[IndexUnit, ...]:
    return tuple(IndexUnit(kind, n, text) for n, text in enumerate(pages, start=1))


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    ix = SearchIndex(tmp_path / "index")
    assert ix.open().ok
    yield ix
    ix.close()


def search(ix: SearchIndex, query: str, **kwargs: object) -> SearchResults:
    return ix.search(SearchRequest(query, **kwargs))  # type: ignore[arg-type]


def ids(results: SearchResults) -> list[str]:
    return [h.doc_id for h in results.hits]


# -- analysis -------------------------------------------------------------------------------


ANALYSIS_SAMPLE = "Configuring the Café's servers: résumés, e-mail, socket.socket, ÉTÉ pricing"


def test_query_analysis_is_the_index_analysis() -> None:
    assert analyze(ANALYSIS_SAMPLE) == [t.text for t in make_analyzer()(ANALYSIS_SAMPLE)]


def test_index_analysis_equals_whoosh_chain() -> None:
    from whoosh.analysis import (
        CharsetFilter,
        LowercaseFilter,
        RegexTokenizer,
        StemFilter,
        StopFilter,
    )
    from whoosh.support.charset import accent_map

    from fieldkit.core.index.analysis import MIN_TOKEN, STOP_WORDS, TOKEN_PATTERN

    chain = (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS, minsize=MIN_TOKEN)
        | StemFilter(lang="en")
    )
    text = ANALYSIS_SAMPLE + " It is the end of a test, and an a-b."
    expected = [(t.text, t.pos) for t in chain(text, positions=True)]
    first = expected[0][1]
    assert [(t.text, t.pos + first) for t in make_analyzer()(text, positions=True)] == expected


def test_stemming_matches_other_forms_of_a_word(index: SearchIndex) -> None:
    index.apply([make_doc("a", "Setup", "Configuring the servers takes a while.")], [])
    results = search(index, "configured server")
    assert ids(results) == ["a"]
    assert "<b>Configuring</b>" in results.hits[0].snippet
    assert "<b>servers</b>" in results.hits[0].snippet


def test_accents_are_folded_both_ways(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("fr", "Menu", "Le café propose un résumé."),
            make_doc("en", "Menu", "The cafe resume is short."),
        ],
        [],
    )
    assert sorted(ids(search(index, "cafe"))) == ["en", "fr"]
    assert sorted(ids(search(index, "Résumé"))) == ["en", "fr"]


# -- query language ----------------------------------------------------------------------------


def test_phrase_needs_the_words_together(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("together", "A", "See the price list for details."),
            make_doc("apart", "B", "The list is long and the price is high."),
        ],
        [],
    )
    results = search(index, '"price list"')
    assert ids(results) == ["together"]
    assert results.total == 1
    assert "<b>price</b> <b>list</b>" in results.hits[0].snippet



def test_a_repeated_phrase_sees_later_changes(index: SearchIndex) -> None:
    """Phrase answers are kept per index generation: a commit's changes still show."""
    index.apply([make_doc("one", "A", "See the price list for details.")], [])
    assert ids(search(index, '"price list"')) == ["one"]
    assert ids(search(index, '"price list" details')) == ["one"]  # the kept answer
    index.apply([make_doc("two", "B", "The new price list is out.")], ["one"])
    assert ids(search(index, '"price list"')) == ["two"]
    assert search(index, '"list price"').total == 0

def test_prefix_matches_word_starts(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("a", "Guide", "Installation steps."),
            make_doc("b", "Notes", "How to install it."),
            make_doc("c", "Other", "Instruments and tools."),
        ],
        [],
    )
    assert sorted(ids(search(index, "instal*"))) == ["a", "b"]
    # A prefix typed as a whole word still finds the other forms of that word.
    assert sorted(ids(search(index, "installing*"))) == ["a", "b"]
    assert ids(search(index, "instru*")) == ["c"]


def test_field_filters(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("deck", "Q3 deck", "pricing slides", format="pptx", folder="Decks/2024",
                     tags=("Pricing", "q3")),
            make_doc("sheet", "Q3 sheet", "pricing table", format="xlsx", folder="Decks",
                     tags=("pricing",)),
            make_doc("other", "Decksxyz", "pricing notes", format="pdf", folder="Decksxyz",
                     status="expired"),
        ],
        [],
    )
    assert ids(search(index, "type:pptx")) == ["deck"]
    assert ids(search(index, "pricing type:xlsx")) == ["sheet"]
    assert sorted(ids(search(index, "tag:pricing"))) == ["deck", "sheet"]
    assert sorted(ids(search(index, "folder:Decks"))) == ["deck", "sheet"]
    assert ids(search(index, "folder:decks/2024")) == ["deck"]
    assert ids(search(index, "status:expired")) == ["other"]
    assert ids(search(index, "pricing", filters={"format": "pdf"})) == ["other"]
    assert sorted(ids(search(index, "pricing", filters={"type": "pdf,xlsx"}))) == ["other",
                                                                                   "sheet"]
    assert sorted(ids(search(index, "pricing", filters={"tag": "q3"}))) == ["deck"]


def test_not_or_and(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("a", "A", "alpha beta"),
            make_doc("b", "B", "alpha gamma"),
            make_doc("c", "C", "delta"),
        ],
        [],
    )
    assert ids(search(index, "alpha NOT gamma")) == ["a"]
    assert ids(search(index, "alpha -beta")) == ["b"]
    assert sorted(ids(search(index, "beta OR delta"))) == ["a", "c"]
    assert ids(search(index, "alpha AND gamma")) == ["b"]
    assert sorted(ids(search(index, "NOT alpha"))) == ["c"]
    assert sorted(ids(search(index, "(beta OR gamma) -delta"))) == ["a", "b"]


def test_documents_with_all_words_rank_first(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("one", "Notes", "quarterly " * 20 + "report"),
            make_doc("both", "Summary", "The quarterly revenue summary, long text " * 5),
            make_doc("other", "Revenue", "revenue " * 20),
        ],
        [],
    )
    results = search(index, "quarterly revenue")
    assert results.total == 3  # any word still matches
    assert results.hits[0].doc_id == "both"


def test_title_counts_more_than_body(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("body", "Unrelated", "A note about onboarding and other things."),
            make_doc("title", "Onboarding", "A note about other things and more."),
        ],
        [],
    )
    assert ids(search(index, "onboarding")) == ["title", "body"]


def test_file_name_words_are_searchable(index: SearchIndex) -> None:
    index.apply([make_doc("a", "Deck", "slides", filename="Q3_pricing_overview.pptx")], [])
    assert ids(search(index, "overview")) == ["a"]
    assert ids(search(index, "filename:q3_pricing*")) == ["a"]


# -- typo tolerance ---------------------------------------------------------------------------


def vocabulary_docs() -> list[IndexDocument]:
    docs = [make_doc(f"dir{i}", f"Directory {i}", "The directory lists users.")
            for i in range(12)]
    docs += [make_doc(f"srv{i}", f"Service {i}", "Service desk hours.") for i in range(12)]
    docs.append(make_doc("typo", "Typo", "A sevrice note with a typo."))
    return docs


def test_transposed_letters_are_corrected(index: SearchIndex) -> None:
    index.apply(vocabulary_docs(), [])
    results = search(index, "directroy")
    assert results.corrected == "directory"
    assert results.total == 12
    assert "<b>directory</b>" in results.hits[0].snippet


def test_two_edit_typos_are_corrected_with_a_readable_word(index: SearchIndex) -> None:
    index.apply(vocabulary_docs(), [])
    assert search(index, "dierctroy").corrected == "directory"  # two swaps
    assert search(index, "directroyy").corrected == "directory"  # a swap and an insertion
    assert search(index, "dirextory users").did_you_mean == "directory users"  # found some


def test_few_hits_for_a_rare_spelling_show_the_common_one(index: SearchIndex) -> None:
    index.apply(vocabulary_docs(), [])
    results = search(index, "sevrice")  # one document has the typo: too few
    assert results.corrected == "service"
    assert results.total == 12
    assert index.suggest("sevrice") == "service"
    assert index.suggest("directory service") is None


def test_spelling_vocabulary_is_kept_beside_the_index(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    first = SearchIndex(directory)
    assert first.open().ok
    first.apply(vocabulary_docs(), [])
    assert search(first, "directroy").corrected == "directory"
    first.close()
    kept = sorted(directory.glob("*.fkvocab"))
    assert kept
    kept[0].write_bytes(b"bad")  # damaged: rebuilt from the index
    second = SearchIndex(directory)
    assert second.open().ok
    assert search(second, "directroy").corrected == "directory"
    second.close()


def test_did_you_mean_with_enough_results(index: SearchIndex) -> None:
    index.apply(vocabulary_docs(), [])
    results = search(index, "directory OR sevrice")
    assert results.total == 13
    assert results.corrected is None
    assert results.did_you_mean == "directory OR service"


# -- results: facets, locations, snippets, sorting ----------------------------------------------


def test_facets_cover_the_whole_result_set(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("a", "A", "widget", format="pdf", folder="Decks/2024", tags=("pricing",)),
            make_doc("b", "B", "widget", format="pdf", folder="Decks", tags=("pricing", "q3")),
            make_doc("c", "C", "widget", format="pptx", folder="Manuals", status="expired"),
            make_doc("d", "D", "widget", format="docx"),
            make_doc("e", "E", "gadget", format="xlsx"),
        ],
        [],
    )
    results = search(index, "widget", limit=1)
    assert results.total == 4
    assert len(results.hits) == 1
    assert results.facets["format"] == {"pdf": 2, "pptx": 1, "docx": 1}
    assert results.facets["folder"] == {"Decks": 2, "Manuals": 1}
    assert results.facets["tag"] == {"pricing": 2, "q3": 1}
    assert results.facets["status"] == {"current": 3, "expired": 1}


def test_hit_names_best_page_other_pages_and_marks_snippet(index: SearchIndex) -> None:
    pages = paged(
        "page",
        "Welcome to the handbook.",
        "Discounts are mentioned once here.",
        "Discount rules: the discount policy and discount approvals for enterprise deals.",
        "Nothing here.",
        "Contact sales about a discount.",
    )
    index.apply([make_doc("pdf", "Handbook", format="pdf", units=pages)], [])
    hit = search(index, "discount policy").hits[0]
    assert (hit.location_kind, hit.location_number) == ("page", 3)
    assert hit.also == (2, 5)
    assert "<b>Discount</b> rules: the <b>discount</b> <b>policy</b>" in hit.snippet


def test_slides_and_sheets_are_located(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("deck", "Deck", format="pptx",
                     units=paged("slide", "Agenda", "Roadmap for 2025", "Questions")),
            make_doc("book", "Book", format="xlsx",
                     units=(IndexUnit("sheet", 1, "Summary"),
                            IndexUnit("sheet", 2, "Roadmap items and dates"))),
        ],
        [],
    )
    by_id = {h.doc_id: h for h in search(index, "roadmap").hits}
    assert (by_id["deck"].location_kind, by_id["deck"].location_number) == ("slide", 2)
    assert (by_id["book"].location_kind, by_id["book"].location_number) == ("sheet", 2)
    assert by_id["deck"].also == by_id["book"].also == ()


def test_documents_without_pages_have_no_location(index: SearchIndex) -> None:
    index.apply([make_doc("a", "Memo", "The memo text mentions budget twice: budget.")], [])
    hit = search(index, "budget").hits[0]
    assert hit.location_kind is None and hit.location_number is None
    assert hit.snippet.count("<b>budget</b>") == 2


def test_title_only_match_gets_plain_snippet(index: SearchIndex) -> None:
    index.apply([make_doc("a", "Budget", "Opening words of the text.")], [])
    hit = search(index, "budget").hits[0]
    assert hit.snippet == "Opening words of the text."


def test_snippet_is_html_escaped(index: SearchIndex) -> None:
    index.apply([make_doc("a", "X", 'Use <script>alert("x")</script> & budget <b>now</b>')], [])
    snippet = search(index, "budget").hits[0].snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert "<b>budget</b>" in snippet
    assert "&lt;b&gt;now&lt;/b&gt;" in snippet


def test_snippet_of_a_huge_text_stays_short(index: SearchIndex) -> None:
    text = "filler words here. " * 50_000 + "the needle is here. " + "more filler. " * 1000
    index.apply([make_doc("big", "Big", text)], [])
    hit = search(index, "needle").hits[0]
    assert "<b>needle</b>" in hit.snippet
    assert len(hit.snippet) < 400


def test_sort_orders(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("old", "Zebra report", "report", modified=datetime(2020, 1, 1, tzinfo=UTC)),
            make_doc("new", "alpha report", "report report report",
                     modified=datetime(2024, 1, 1, tzinfo=UTC)),
            make_doc("mid", "Mango report", "report", modified=datetime(2022, 1, 1, tzinfo=UTC)),
        ],
        [],
    )
    assert ids(search(index, "report", sort="modified")) == ["new", "mid", "old"]
    assert ids(search(index, "report", sort="title")) == ["new", "mid", "old"]
    assert ids(search(index, "", sort="title")) == ["new", "mid", "old"]
    relevance = search(index, "report")
    assert relevance.hits[0].doc_id == "new"
    assert relevance.hits[0].score >= relevance.hits[1].score > 0


def test_expired_and_superseded_rank_below_current(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("expired", "Price list", "price list", status="expired"),
            make_doc("superseded", "Price list", "price list", status="superseded"),
            make_doc("current", "Price list", "price list"),
        ],
        [],
    )
    assert ids(search(index, "price list"))[0] == "current"
    assert ids(search(index, "price list"))[-1] == "expired"


def test_withdrawn_and_archived_are_hidden_unless_asked(index: SearchIndex) -> None:
    index.apply(
        [
            make_doc("w", "Policy", "policy", status="withdrawn"),
            make_doc("a", "Policy", "policy", status="archived"),
            make_doc("c", "Policy", "policy"),
        ],
        [],
    )
    assert ids(search(index, "policy")) == ["c"]
    assert sorted(ids(search(index, "policy", include_withdrawn=True))) == ["c", "w"]
    assert sorted(ids(search(index, "policy", include_archived=True))) == ["a", "c"]
    assert search(index, "policy").facets["status"] == {"current": 1}


def test_hit_carries_document_metadata(index: SearchIndex) -> None:
    modified = datetime(2023, 5, 6, 7, 8, tzinfo=UTC)
    index.apply(
        [make_doc("a", "Deck", "widget", path="/lib/Decks/deck.pptx", format="pptx",
                  folder="Decks", tags=("pricing",), modified=modified, version=3,
                  personal=True, status="personal")],
        [],
    )
    hit = search(index, "widget").hits[0]
    assert (hit.path, hit.title, hit.format, hit.folder) == ("/lib/Decks/deck.pptx", "Deck",
                                                             "pptx", "Decks")
    assert (hit.tags, hit.version, hit.personal, hit.status) == (("pricing",), 3, True,
                                                                 "personal")
    assert hit.modified == modified
    assert ids(search(index, "widget", filters={"personal": "yes"})) == ["a"]
    assert ids(search(index, "widget", filters={"personal": "no"})) == []


# -- odd input ---------------------------------------------------------------------------------


GARBAGE = [
    "",
    " ",
    '"',
    '"unbalanced quote',
    "(((",
    ")))",
    "((a) OR",
    "*",
    "**",
    ":",
    "type:",
    "tag:*",
    "AND",
    "OR OR NOT",
    "NOT",
    "- - -",
    "a:b:c",
    "title:",
    'title:"',
    "\x00\x01\x02",
    "\u200b\ufeff",
    "🙂 emoji",
    "x" * 10_000,
    "word " * 5_000,
    "(" * 500 + "a" + ")" * 500,
    "%s %d {0} \\ \\\\ ' ` ~ ^ & | ! ? < > [ ] { }",
    "NOT (a OR (b AND NOT c)) d*",
]


@pytest.mark.parametrize("query", GARBAGE)
def test_garbage_queries_do_not_raise(index: SearchIndex, query: str) -> None:
    index.apply([make_doc("a", "Alpha", "a word and some text")], [])
    results = search(index, query)
    assert results.total >= 0
    assert len(results.query) <= 1024


def test_stop_words_alone_find_nothing_and_empty_lists_all(index: SearchIndex) -> None:
    index.apply([make_doc("a", "Alpha", "the text"), make_doc("b", "Beta", "text")], [])
    assert search(index, "the").total == 0
    assert search(index, "").total == 2


def test_unknown_filter_is_a_usage_error(index: SearchIndex) -> None:
    with pytest.raises(UsageError, match="colour"):
        search(index, "x", filters={"colour": "red"})


def test_broad_prefix_is_capped_but_finds_documents(index: SearchIndex) -> None:
    docs = [make_doc(f"d{i}", f"Doc {i}", f"term{i:03d} common") for i in range(200)]
    index.apply(docs, [])
    results = search(index, "term*")
    assert 0 < results.total <= 200
    assert len(results.hits) == 20


# -- updates ---------------------------------------------------------------------------------


def test_apply_replaces_a_document(index: SearchIndex) -> None:
    index.apply([make_doc("a", "Plan", "old wording")], [])
    assert ids(search(index, "wording")) == ["a"]
    index.apply([make_doc("a", "Plan", "new phrasing")], [])
    assert search(index, "wording").total == 0
    assert ids(search(index, "phrasing")) == ["a"]
    assert index.doc_ids() == {"a"}


def test_apply_deletes(index: SearchIndex) -> None:
    index.apply([make_doc("a", "A", "shared"), make_doc("b", "B", "shared")], [])
    index.apply([], ["a", "never-indexed"])
    assert ids(search(index, "shared")) == ["b"]
    assert index.doc_ids() == {"b"}


def test_many_small_commits_merge_into_few_segments(index: SearchIndex, tmp_path: Path) -> None:
    for i in range(40):
        index.apply([make_doc(f"d{i}", f"Doc {i}", f"update number{i} shared")], [])
    index.apply([make_doc("d5", "Doc 5", "replaced shared")], ["d7"])
    assert search(index, "shared").total == 39
    assert ids(search(index, "number6")) == ["d6"]
    assert search(index, "number5").total == 0
    tocs = sorted((tmp_path / "index").glob("_MAIN_*.toc"))
    assert len(tocs) == 1
    segments = {p.stem for p in (tmp_path / "index").iterdir() if p.stem.startswith("MAIN_")}
    assert len(segments) < 2 * engine.TIER_FANOUT


def test_searches_see_updates_from_another_thread(index: SearchIndex) -> None:
    index.apply([make_doc("seed", "Seed", "seed")], [])
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for i in range(30):
                index.apply([make_doc(f"w{i}", "W", f"written wordw{i}")], [])
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    while not done.is_set():
        assert search(index, "seed").total == 1
    thread.join()
    assert not errors
    assert search(index, "written").total == 30
    assert ids(search(index, "wordw29")) == ["w29"]


def test_writer_lock_held_elsewhere_is_busy(index: SearchIndex, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import index as windex

    monkeypatch.setattr(engine, "WRITE_TIMEOUT_S", 0.05)
    other = windex.open_dir(str(tmp_path / "index")).writer()
    try:
        with pytest.raises(IndexBusyError, match="another fieldkit"):
            index.apply([make_doc("a", "A", "text")], [])
    finally:
        other.cancel()
    index.apply([make_doc("a", "A", "text")], [])
    assert index.doc_ids() == {"a"}


# -- a rebuildable cache -------------------------------------------------------------------------


def segment_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".seg", ".trm", ".pst"))


def test_reopening_keeps_the_documents(tmp_path: Path) -> None:
    first = SearchIndex(tmp_path / "index")
    assert first.open().ok
    first.apply([make_doc("a", "A", "persistent")], [])
    first.close()
    second = SearchIndex(tmp_path / "index")
    assert second.open().ok
    assert ids(search(second, "persistent")) == ["a"]
    second.close()


@pytest.mark.parametrize("damage", ["garbage-segment", "missing-segment", "garbage-toc"])
def test_damaged_index_is_reported_then_reset(tmp_path: Path, damage: str) -> None:
    directory = tmp_path / "index"
    ix = SearchIndex(directory)
    assert ix.open().ok
    ix.apply([make_doc(f"d{i}", "Doc", f"text number{i}") for i in range(50)], [])
    ix.close()
    if damage == "garbage-toc":
        toc = next(directory.glob("_MAIN_*.toc"))
        toc.write_bytes(b"\x00garbage" * 10)
    else:
        victim = segment_files(directory)[0]
        if damage == "missing-segment":
            victim.unlink()
        else:
            victim.write_bytes(b"\xff\x00garbage" * 100)

    reopened = SearchIndex(directory)
    health = reopened.open()
    assert not health.ok
    assert health.reason and "damaged" in health.reason
    with pytest.raises(IndexDamagedError):
        search(reopened, "text")
    reopened.reset()
    assert reopened.open().ok
    assert search(reopened, "text").total == 0
    reopened.apply([make_doc("a", "A", "rebuilt text")], [])
    assert ids(search(reopened, "rebuilt")) == ["a"]
    reopened.close()


def test_other_schema_version_is_outdated(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    ix = SearchIndex(directory)
    assert ix.open().ok
    ix.close()
    (directory / engine.VERSION_FILE).write_text('{"schema_version": 0}', encoding="utf-8")
    health = SearchIndex(directory).open()
    assert not health.ok and health.reason and "version" in health.reason
    (directory / engine.VERSION_FILE).unlink()
    assert not SearchIndex(directory).open().ok


def test_files_without_an_index_are_incomplete(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    directory.mkdir()
    (directory / "stray.bin").write_bytes(b"junk")
    health = SearchIndex(directory).open()
    assert not health.ok and health.reason == "the search index is incomplete"


def test_open_is_cheap_to_repeat_and_notices_a_wipe(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    ix = SearchIndex(directory)
    assert ix.open().ok
    ix.apply([make_doc("a", "A", "text")], [])
    assert ix.open().ok
    (directory / engine.VERSION_FILE).unlink()
    assert not ix.open().ok
    ix.close()
