"""Where a hit matched best (page, slide or sheet), the other matching units, and a snippet.

Works on the unit texts stored with each document, without re-tokenising whole documents: a
C-speed substring test finds the units that can contain a query term, a regular expression finds
candidate words in them, and only candidates are stemmed to confirm they are query terms. Work
per document is bounded (``FOLD_BUDGET`` characters looked at, ``SCAN_BUDGET`` scanned), so a
huge text never stalls a result page; matches past the budget are not located.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from fieldkit.core.index.analysis import analyze_token, fold

SNIPPET_CHARS = 220
SNIPPET_LEAD = 50
FOLD_BUDGET = 2_000_000
SCAN_BUDGET = 300_000
MAX_ALSO = 200
MAX_MATCHES = 400
_PHRASE_GAP = 8

UnitText = tuple[str | None, int | None, str]


@dataclass(frozen=True)
class Highlight:
    """What to look for: index terms, term prefixes (``pric*``) and phrases (term sequences)."""

    terms: frozenset[str]
    prefixes: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes)


@dataclass(frozen=True)
class Location:
    kind: str | None
    number: int | None
    also: tuple[int, ...]
    snippet: str


class _Match(NamedTuple):  # thousands per results page: a tuple is cheap to make
    start: int
    end: int
    key: str


class Locator:
    """Finds query terms in stored unit texts; build one per query, use it for each hit."""

    def __init__(self, highlight: Highlight) -> None:
        self._hl = highlight
        roots = {t[:-1] if len(t) >= 3 else t for t in highlight.terms} | set(highlight.prefixes)
        self._roots = sorted(roots, key=len, reverse=True)
        self._keys: dict[str, str | None] = {}  # candidate word -> its key, per query
        # Each root carries its own "not inside a word" check after it, not one before the
        # group: a pattern that starts with a literal lets the regex engine skip ahead to the
        # roots' first letters instead of testing a look-behind at every character (4-5x
        # faster scans of long texts, the same matches).
        self._rx = (
            re.compile(
                "(?:"
                + "|".join(f"{re.escape(r)}(?<!\\w{re.escape(r)})" for r in self._roots)
                + r")\w*(?:\.\w+)*"
            )
            if self._roots
            else None
        )

    def locate(self, units: Sequence[UnitText]) -> Location:
        if self._rx is None:  # nothing to find (the library listed without a query)
            return Location(None, None, (), _plain_snippet(units))
        folded_budget = FOLD_BUDGET
        scan_budget = SCAN_BUDGET
        best: tuple[float, int] | None = None
        found: list[tuple[int, list[_Match]]] = []
        for index, (_, _, text) in enumerate(units):
            if folded_budget <= 0 or scan_budget <= 0:
                break
            part = text[:folded_budget]
            folded_budget -= len(part)
            low = _fold_same_length(part)
            first = min((p for root in self._roots if (p := low.find(root)) >= 0), default=-1)
            if first < 0:
                continue
            end = min(len(low), first + scan_budget)
            scan_budget -= end - first
            matches = self._matches(low, first, end)
            if not matches:
                continue
            found.append((index, matches))
            score = self._score(low, matches)
            if best is None or score > best[0]:
                best = (score, index)
        if best is None:
            return Location(None, None, (), _plain_snippet(units))
        best_index = best[1]
        kind, number, text = units[best_index]
        best_matches = next(m for i, m in found if i == best_index)
        also: tuple[int, ...] = ()
        if kind is not None:
            also = tuple(
                sorted(
                    n
                    for i, _ in found
                    if i != best_index and (n := units[i][1]) is not None and n != number
                )[:MAX_ALSO]
            )
        return Location(kind if number is not None else None, number, also,
                        _snippet(text, best_matches))

    def _key(self, word: str) -> str | None:
        """The query term or prefix a candidate word counts for (None: it is no match)."""
        term = analyze_token(word)
        if term is None:
            key = None
        elif term in self._hl.terms:
            key = term
        else:
            key = next((p for p in self._hl.prefixes if term.startswith(p)), None)
        self._keys[word] = key
        return key

    def _matches(self, low: str, start: int, end: int) -> list[_Match]:
        assert self._rx is not None
        known = self._keys
        out: list[_Match] = []
        for m in self._rx.finditer(low, start, end):
            word = m.group()
            key = known[word] if word in known else self._key(word)
            if key is not None:
                out.append(_Match(m.start(), m.end(), key))
                if len(out) >= MAX_MATCHES:
                    break
        return out

    def _score(self, low: str, matches: list[_Match]) -> float:
        distinct = len({m.key for m in matches})
        score = distinct * 4.0 + min(len(matches), 8) * 0.5
        for phrase in self._hl.phrases:
            score += 6.0 * _phrase_hits(low, matches, phrase)
        return score


def surface(units: Sequence[UnitText], term: str) -> str | None:
    """A word of the text whose index term is ``term`` (to show a correction readably)."""
    budget = SCAN_BUDGET
    root = term[:-1] if len(term) >= 3 else term
    candidates = re.compile(r"(?<!\w)" + re.escape(root) + r"\w*")
    for _, _, text in units:
        low = _fold_same_length(text[:budget])
        budget -= len(low)
        for m in candidates.finditer(low):
            if analyze_token(m.group()) == term:
                return m.group()
        if budget <= 0:
            break
    return None


def _phrase_hits(low: str, matches: list[_Match], phrase: tuple[str, ...]) -> int:
    hits = 0
    n = len(phrase)
    for i in range(len(matches) - n + 1):
        if all(
            matches[i + k].key == phrase[k]
            and (k == 0 or matches[i + k].start - matches[i + k - 1].end <= _PHRASE_GAP)
            for k in range(n)
        ):
            hits += 1
    return hits


def _fold_same_length(text: str) -> str:
    low = fold(text)
    if len(low) == len(text):
        return low
    # A few characters (e.g. "İ") lower-case to two; fold one character at a time instead.
    return "".join(f if len(f := fold(ch)) == 1 else ch for ch in text)


_SPACES = re.compile(r"\s+")
_VISIBLE = re.compile(r"\S")


def _clean(text: str) -> str:
    return html.escape(_SPACES.sub(" ", text), quote=False)


def _snippet(text: str, matches: list[_Match]) -> str:
    """HTML-escaped text around the densest cluster of matches, matched words in <b>."""
    anchor = 0
    best = 0
    wanted = len({m.key for m in matches})
    for i, m in enumerate(matches):
        limit = m.start + SNIPPET_CHARS - SNIPPET_LEAD
        keys: set[str] = set()
        for x in matches[i:]:
            if x.start >= limit:
                break
            keys.add(x.key)
        if len(keys) > best:
            best, anchor = len(keys), i
            if best == wanted:
                break
    start = max(0, matches[anchor].start - SNIPPET_LEAD)
    if start > 0:
        space = text.find(" ", start, matches[anchor].start)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", matches[anchor].end, end)
        end = space if space > 0 else end
    parts = ["…"] if start > 0 else []
    pos = start
    for m in matches[anchor:]:
        if m.start < pos:
            continue
        if m.end > end:
            break
        parts.append(_clean(text[pos : m.start]))
        parts.append("<b>" + _clean(text[m.start : m.end]) + "</b>")
        pos = m.end
    parts.append(_clean(text[pos:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts).strip()


def _plain_snippet(units: Sequence[UnitText]) -> str:
    for _, _, text in units:
        first = _VISIBLE.search(text)  # no copy of the whole text, as strip() would make
        if first is not None:
            head = text[first.start() : first.start() + SNIPPET_CHARS + 1]
            if len(head) > SNIPPET_CHARS:
                space = head.rfind(" ", 0, SNIPPET_CHARS)
                return _clean(head[: space if space > 0 else SNIPPET_CHARS]).strip() + " …"
            return _clean(head).strip()
    return ""
