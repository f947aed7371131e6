"""Typo corrections from the index's own vocabulary.

Whoosh's fuzzy terms do not count a swap of two letters as one edit, and reps' typos are often
swaps, so candidates one Damerau edit away (delete, swap, replace, insert) are generated here and
looked up in the index. Stems are what the index holds, so each candidate is stemmed before the
look-up while the surface word is kept for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from fieldkit.core.index.analysis import analyze_token, fold

_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
MIN_WORD = 3
MAX_WORD = 30


def edits1(word: str) -> Iterator[str]:
    """Every string one Damerau edit (delete, adjacent swap, replace, insert) away."""
    letters = _ALPHABET + "".join(sorted({c for c in word if c not in _ALPHABET}))
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    for i in range(len(word)):
        for c in letters:
            if c != word[i]:
                yield word[:i] + c + word[i + 1 :]
    for i in range(len(word) + 1):
        for c in letters:
            yield word[:i] + c + word[i:]


def damerau(a: str, b: str) -> int:
    """Optimal-string-alignment distance (a swap of two neighbours is one edit)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


@dataclass(frozen=True)
class Correction:
    """``word`` is a surface word, or an index term (a stem) when ``is_stem``."""

    word: str
    frequency: int
    is_stem: bool


def swaps(word: str) -> Iterator[str]:
    """Every string one adjacent swap away."""
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def best_correction(
    word: str,
    frequency: Callable[[str], int],
    near_terms: Callable[[str, int], Iterable[str]],
) -> Correction | None:
    """The most frequent known word near ``word``.

    ``frequency(term)`` gives an index term's document frequency; ``near_terms(term, n)``
    yields index terms up to ``n`` insertions, deletions or replacements from ``term``. One
    Damerau edit is tried first (surface words, so the correction reads well); long words then
    get two edits, swaps included, among index terms (stems).
    """
    folded = fold(word)
    if not MIN_WORD <= len(folded) <= MAX_WORD or not folded.isalpha():
        return None
    own = analyze_token(folded)
    best: Correction | None = None
    seen: set[str] = set()
    for candidate in edits1(folded):
        term = analyze_token(candidate)
        if term is None or term == own or term in seen:
            continue
        seen.add(term)
        df = frequency(term)
        if df and (best is None or df > best.frequency):
            best = Correction(candidate, df, False)
    if best is not None or len(folded) < 6 or own is None:
        return best
    far: set[str] = set(near_terms(own, 2))
    for swapped in swaps(folded):
        term = analyze_token(swapped)
        if term is not None:
            far.update(near_terms(term, 1))
            far.update(t for twice in swaps(swapped) if (t := analyze_token(twice)) is not None)
    for term in sorted(far):
        if term == own or damerau(term, own) > 2:
            continue
        df = frequency(term)
        if df and (best is None or df > best.frequency):
            best = Correction(term, df, True)
    return best
