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
    *,
    thorough: bool = True,
) -> Correction | None:
    """The most frequent known word near ``word``.

    ``frequency(term)`` gives an index term's document frequency; ``near_terms(term, n)``
    yields index terms up to ``n`` insertions, deletions or replacements from ``term``. One
    Damerau edit is tried first (surface words, so the correction reads well); when
    ``thorough``, long words then get two edits, swaps included, among index terms (stems).
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
    if best is not None or not thorough or len(folded) < 6 or own is None:
        return best
    far: set[str] = set(near_terms(own, 2))
    for swapped in swaps(folded):
        term = analyze_token(swapped)
        if term is not None:
            far.update(near_terms(term, 1))
            far.update(t for twice in swaps(swapped) if (t := analyze_token(twice)) is not None)
    for term in sorted(far):  # each is two edits (a swap counting as one) from the word
        if term == own:
            continue
        df = frequency(term)
        if df and (best is None or df > best.frequency):
            best = Correction(term, df, True)
    return best
