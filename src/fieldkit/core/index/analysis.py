"""Text analysis shared by indexing, querying and snippets: English stemming with accent folding.

Stemming is Snowball English (Porter2): on the shared IR collections it ranks better than the
original Porter algorithm (nDCG@10 +2-4 %, see benchmarks/bench_quality.py).

The same analysis runs at index time (``WordAnalyzer``, the Whoosh fields' analyzer) and at
query time (``analyze``), so a query word and a document word meet as the same term.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

from whoosh.analysis import Tokenizer
from whoosh.analysis.acore import Token
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map

# Whoosh's default word pattern: "socket.socket" and "v2.5" stay one token.
TOKEN_PATTERN = r"\w+(\.?\w+)*"
MIN_TOKEN = 2
LANGUAGE = "en"
_STEM = stemmer_for_language(LANGUAGE)

# accent_map maps every accented character to exactly one character, so folding keeps offsets.
_FOLD_TABLE: dict[int, str] = {int(k): str(v) for k, v in accent_map.items()}
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_WORDS = re.compile(r"\w+(?:\.?\w+)*").findall  # TOKEN_PATTERN without its group
_TERM_OF: dict[str, str | None] = {}  # a word as written -> its index term (None: dropped)
_UTF8_TERM_OF: dict[str, bytes | None] = {}  # the same, the term as the index stores it
_TERM_OF_MAX = 400_000
_T = TypeVar("_T", str, bytes)
# Whoosh's default English stop list.
STOP_WORDS: frozenset[str] = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if",
        "in", "is", "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to",
        "us", "we", "when", "will", "with", "yet", "you", "your",
    }
)


def make_analyzer() -> WordAnalyzer:
    """The index-time analyzer for text fields (pickled into the index's schema)."""
    return WordAnalyzer()


class WordAnalyzer(Tokenizer):  # type: ignore[misc]
    """The whole chain in one loop: find words (Whoosh's pattern), lower-case, fold accents,
    drop stop words and one-letter words, stem. Does what Whoosh's RegexTokenizer |
    LowercaseFilter | CharsetFilter | StopFilter | StemFilter does, in about half the time
    (one generator instead of five), and exactly what ``analyze`` does at query time.
    Positions count kept words only, as StopFilter's renumbering does."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        matches = _TOKEN_RE.finditer(value) if tokenize else [re.match(r".*", value, re.S)]
        for match in matches:
            assert match is not None
            word = match.group()
            folded = word.lower()
            if not folded.isascii():
                folded = folded.translate(_FOLD_TABLE)
            stopped = len(folded) < MIN_TOKEN or folded in STOP_WORDS
            if stopped and removestops:
                continue
            token.text = folded if stopped else stem_word(folded)
            token.stopped = stopped
            token.boost = 1.0
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def _fold_run(match: re.Match[str]) -> str:
    get = _FOLD_TABLE.get
    return "".join([get(ord(ch), ch) for ch in match.group()])


def fold(text: str) -> str:
    """Lower-case and strip accents; keeps the length of ASCII and accented Latin text.

    Only the runs of non-ASCII characters are looked up: ``str.translate`` looks up every
    character of a text that has any, 3-5x slower on a long text with a few accents."""
    low = text.lower()
    return low if low.isascii() else _NON_ASCII.sub(_fold_run, low)


@lru_cache(maxsize=200_000)
def stem_word(folded: str) -> str:
    """Stem one folded word the way the index does (no stop-word or length check)."""
    return str(_STEM(folded))


def analyze_token(word: str) -> str | None:
    """The index term for one token of text, or None when the index drops it."""
    folded = fold(word)
    if len(folded) < MIN_TOKEN or folded in STOP_WORDS:
        return None
    if folded.isdigit():  # a fifth of the spellings in text; no stemming rule touches digits
        return folded
    return stem_word(folded)


def term_positions(text: str) -> dict[str, list[int]]:
    """Each index term of ``text`` with its positions: what ``WordAnalyzer`` yields for a
    field value, grouped by term, at a fraction of the cost (the words are found by one
    ``findall`` and each distinct spelling is analysed once per process)."""
    return _positions_by_term(text, _TERM_OF, analyze_token)


def utf8_term_positions(text: str) -> dict[bytes, list[int]]:
    """``term_positions`` with each term as the index stores it (UTF-8): the index writer's
    form, each spelling's bytes made once per process rather than once per document."""
    return _positions_by_term(text, _UTF8_TERM_OF, _utf8_term)


def _utf8_term(word: str) -> bytes | None:
    term = analyze_token(word)
    return None if term is None else term.encode("utf-8")


def _positions_by_term(
    text: str, term_of: dict[str, _T | None], analyse: Callable[[str], _T | None]
) -> dict[_T, list[int]]:
    """The positions of each term of ``text``; ``term_of`` caches ``analyse`` per spelling."""
    words = _WORDS(text)
    unseen = set(words).difference(term_of)
    if unseen:
        if len(term_of) + len(unseen) > _TERM_OF_MAX:
            term_of.clear()
            unseen = set(words)
        for word in unseen:
            term_of[word] = analyse(word)
    return _grouped(filter(None, map(term_of.__getitem__, words)))


def _grouped(terms: Iterable[_T]) -> dict[_T, list[int]]:
    """Each term with the positions where it occurs, in order."""
    positions: dict[_T, list[int]] = {}
    get = positions.get
    for pos, term in enumerate(terms):
        found = get(term)
        if found is None:
            positions[term] = [pos]
        else:
            found.append(pos)
    return positions


def analyze(text: str) -> list[str]:
    """The index terms of ``text`` in order (stop words and one-letter words dropped)."""
    terms: list[str] = []
    for match in _TOKEN_RE.finditer(text):
        term = analyze_token(match.group())
        if term is not None:
            terms.append(term)
    return terms
