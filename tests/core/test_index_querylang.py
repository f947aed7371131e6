"""The search box language and the typo candidates, without an index."""

from __future__ import annotations

from fieldkit.core.index.querylang import (
    MAX_LEAVES,
    MAX_QUERY_CHARS,
    Filter,
    Group,
    Not,
    Phrase,
    Word,
    cap_query,
    parse,
    words,
)
from fieldkit.core.index.spelling import edits1, swaps


def test_words_side_by_side_are_a_soft_group() -> None:
    node = parse("price list")
    assert isinstance(node, Group) and node.op == "soft"
    assert [w.text for w in words(node)] == ["price", "list"]


def test_operators_bind_or_tighter_than_side_by_side() -> None:
    node = parse("alpha beta OR gamma")
    assert isinstance(node, Group) and node.op == "soft"
    first, second = node.children
    assert isinstance(first, Word) and first.text == "alpha"
    assert isinstance(second, Group) and second.op == "or"


def test_and_not_and_minus() -> None:
    node = parse("alpha AND beta NOT gamma -delta")
    assert isinstance(node, Group) and node.op == "soft"
    kinds = [type(c).__name__ for c in node.children]
    assert kinds == ["Group", "Not", "Not"]
    assert isinstance(node.children[0], Group) and node.children[0].op == "and"


def test_lower_case_operators_are_words() -> None:
    assert [w.text for w in words(parse("cats and dogs or not"))] == [
        "cats", "and", "dogs", "or", "not"]


def test_phrases_fields_and_prefixes() -> None:
    node = parse('"price list" type:PPTX tag:"q3 launch" folder:Decks/2024 title:roadmap pric*')
    assert isinstance(node, Group)
    phrase, fmt, tag, folder, title, prefix = node.children
    assert phrase == Phrase("price list", None)
    assert fmt == Filter("format", "PPTX")
    assert tag == Filter("tags", "q3 launch")
    assert folder == Filter("folder", "Decks/2024")
    assert isinstance(title, Word) and (title.field, title.text) == ("title", "roadmap")
    assert isinstance(prefix, Word) and prefix.prefix and prefix.text == "pric"


def test_word_positions_point_into_the_query() -> None:
    text = "  quarterly (revenue OR -sales)"
    for word in words(parse(text)):
        assert text[word.start : word.end] == word.text


def test_unknown_field_is_plain_text() -> None:
    node = parse("colour:red")
    assert isinstance(node, Word) and node.text == "colour:red" and node.field is None


def test_garbage_parses_to_nothing_or_words() -> None:
    assert parse("") is None
    assert parse("*") is None
    assert parse(":") is None
    assert parse("( ) AND OR NOT") is None
    assert parse('"') is None
    assert parse("type:") is None
    node = parse('"unclosed phrase')
    assert node == Phrase("unclosed phrase", None)
    assert parse("a)") == parse("a")
    deep = parse("(" * 300 + "deep" + ")" * 300)
    assert deep is None or [w.text for w in words(deep)] in ([], ["deep"])


def test_long_queries_are_capped() -> None:
    text = cap_query("word " * 1000)
    assert len(text) <= MAX_QUERY_CHARS and text.endswith("word")
    node = parse(text)
    assert len(words(node)) == MAX_LEAVES
    assert cap_query("a\x00b\tc") == "a b c"


def test_negation_of_nothing_is_dropped() -> None:
    assert parse("NOT") is None
    assert parse("- -") is None
    assert parse("NOT alpha") == Not(Word("alpha", None, 4, 9))


def test_edits_include_swaps_and_are_one_edit_away() -> None:
    candidates = set(edits1("directroy"))
    assert "directory" in candidates  # a swap
    assert "directry" in candidates and "ddirectroy" in candidates and "dyrectroy" in candidates
    assert "directroy" not in candidates
    assert set(swaps("abc")) == {"bac", "acb"}
