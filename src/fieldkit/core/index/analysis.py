"""Text analysis shared by indexing, querying and snippets: English stemming with accent folding.

Stemming is Snowball English (Porter2): on the shared IR collections it ranks better than the
original Porter algorithm (nDCG@10 +2-4 %, see benchmarks/bench_quality.py).

The same chain runs at index time (through the Whoosh field analyzer) and at query time
(``analyze``), so a query word and a document word meet as the same term.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.analysis.acore import Token
from whoosh.analysis.analyzers import Analyzer
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
# Whoosh's default English stop list.
_STOP_WORDS: frozenset[str] = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if",
        "in", "is", "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to",
        "us", "we", "when", "will", "with", "yet", "you", "your",
    }
)


def make_analyzer() -> Analyzer:
    """The index-time analyzer for text fields (pickled into the index's schema)."""
    chain: Analyzer = (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=_STOP_WORDS, minsize=MIN_TOKEN)
        | StemmingFilter()
    )
    return chain


class StemmingFilter(Filter):  # type: ignore[misc]
    """Stems with ``stem_word`` (functools' cache: Whoosh's own cache wrapper costs more)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not token.stopped:
                token.text = stem_word(token.text)
            yield token


def fold(text: str) -> str:
    """Lower-case and strip accents; keeps the length of ASCII and accented Latin text."""
    low = text.lower()
    return low if low.isascii() else low.translate(_FOLD_TABLE)


@lru_cache(maxsize=200_000)
def stem_word(folded: str) -> str:
    """Stem one folded word the way the index does (no stop-word or length check)."""
    return str(_STEM(folded))


def analyze_token(word: str) -> str | None:
    """The index term for one token of text, or None when the index drops it."""
    folded = fold(word)
    if len(folded) < MIN_TOKEN or folded in _STOP_WORDS:
        return None
    return stem_word(folded)


def analyze(text: str) -> list[str]:
    """The index terms of ``text`` in order (stop words and one-letter words dropped)."""
    terms: list[str] = []
    for match in _TOKEN_RE.finditer(text):
        term = analyze_token(match.group())
        if term is not None:
            terms.append(term)
    return terms


def is_stop_word(word: str) -> bool:
    return fold(word) in _STOP_WORDS
