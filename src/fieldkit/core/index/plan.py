"""A parsed query turned into work on one index snapshot.

Three things come out of a plan: the exact set of matching documents (from posting lists, with
C-speed set operations: cheap even when thousands match, and what totals and facets need), the
terms that rank them (positive words only: membership is already decided), and what to
highlight. Prefixes expand to at most ``PREFIX_DOC_TERMS`` words (the most frequent) and only
the ``PREFIX_SCORE_TERMS`` most frequent of those take part in ranking, so ``a*`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from whoosh.lang import stopwords_for_language

from fieldkit.core.index.analysis import analyze, fold, stem_word
from fieldkit.core.index.querylang import Filter, Group, Node, Not, Phrase, Word, words
from fieldkit.core.index.schema import TEXT_FIELDS
from fieldkit.core.index.snippets import Highlight

if TYPE_CHECKING:
    from fieldkit.core.index.engine import Snapshot

TITLE_BOOST = 0.25  # on top of the title's words counted in the body (tuned on the IR sets)
PREFIX_SCAN_TERMS = 2000
PREFIX_DOC_TERMS = 32
PREFIX_SCORE_TERMS = 8
MIN_PREFIX = 2
# A query of this many words reads as a question: its function words ("what", "which",
# "about") are dropped; shorter queries keep every word the index has.
VERBOSE_WORDS = 5
QUERY_STOP_WORDS = frozenset(stopwords_for_language("en"))

DocSet = frozenset[int] | set[int]


@dataclass
class Plan:
    docs: set[int] | None  # None: the query has nothing searchable (only stop words, say)
    # (field, term, boost) to rank by; a term may appear twice (it then counts twice)
    ranking: list[tuple[str, str, float]] = field(default_factory=list)
    # The document sets of the top-level words side by side (for the all-words bonus).
    side_by_side: list[DocSet] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    phrases: list[tuple[str, ...]] = field(default_factory=list)

    def highlight(self) -> Highlight:
        return Highlight(frozenset(self.terms), frozenset(self.prefixes), tuple(self.phrases))


def _fields(field_name: str | None) -> tuple[str, ...]:
    """The fields a word is ranked by."""
    return TEXT_FIELDS if field_name is None else (field_name,)


def _match_fields(field_name: str | None) -> tuple[str, ...]:
    """The fields that decide whether a word matches (the body repeats the title)."""
    return ("body",) if field_name is None else (field_name,)


def _ranked(fields: tuple[str, ...], term: str) -> list[tuple[str, str, float]]:
    return [(f, term, TITLE_BOOST if f == "title" else 1.0) for f in fields]


class Planner:
    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        self._verbose = False

    def plan(self, root: Node | None) -> Plan:
        plan = Plan(docs=None)
        if root is None:
            return plan
        self._verbose = sum(1 for w in words(root) if not w.prefix) >= VERBOSE_WORDS
        if isinstance(root, Group) and root.op == "soft":
            sets = self._soft_sets(root, plan, True)
            if len(sets) >= 2:
                plan.side_by_side = sets
            plan.docs = self._combine_soft(root, sets, plan)
        else:
            docs = self._docs(root, plan, True)
            plan.docs = set(docs) if docs is not None else None
        return plan

    # -- document sets -----------------------------------------------------------------------

    def _docs(self, node: Node, plan: Plan, positive: bool) -> DocSet | None:
        if isinstance(node, Word):
            return self._word(node, plan, positive)
        if isinstance(node, Phrase):
            return self._phrase(node.text, node.field, plan, positive)
        if isinstance(node, Filter):
            return self._snap.filter_docs(node.field, node.value, node.prefix)
        if isinstance(node, Not):
            inner = self._docs(node.child, plan, not positive)
            return None if inner is None else self._snap.live - inner
        if node.op == "soft":
            return self._combine_soft(node, self._soft_sets(node, plan, positive), plan)
        children = [s for c in node.children if (s := self._docs(c, plan, positive)) is not None]
        if not children:
            return None
        if node.op == "or":
            return set().union(*children)
        both = set(children[0])
        both.intersection_update(*children[1:])
        return both

    def _soft_sets(self, node: Group, plan: Plan, positive: bool) -> list[DocSet]:
        """The document sets of the words side by side (not the filters or exclusions)."""
        return [
            s
            for c in node.children
            if not isinstance(c, Not) and not _is_filter(c)
            and (s := self._docs(c, plan, positive)) is not None
        ]

    def _combine_soft(self, node: Group, sets: list[DocSet], plan: Plan) -> set[int] | None:
        """Any of the words side by side, within every filter, minus the exclusions."""
        negatives = [
            s
            for c in node.children
            if isinstance(c, Not) and (s := self._docs(c.child, plan, False)) is not None
        ]
        filters = [
            s for c in node.children if _is_filter(c) and (s := self._docs(c, plan, True))
            is not None
        ]
        if sets:
            docs: set[int] = set().union(*sets)
        elif filters or negatives:
            docs = set(self._snap.live)
        else:
            return None
        docs.intersection_update(*filters)
        for s in negatives:
            docs -= s
        return docs

    def _word(self, word: Word, plan: Plan, positive: bool) -> DocSet | None:
        if self._verbose and not word.prefix and fold(word.text) in QUERY_STOP_WORDS:
            return None
        if word.prefix:
            prefix = fold(word.text).strip("._")
            if len(prefix) >= MIN_PREFIX:
                return self._prefix(word.field, prefix, plan, positive)
        return self._phrase(word.text, word.field, plan, positive)

    def _phrase(
        self, text: str, field_name: str | None, plan: Plan, positive: bool
    ) -> DocSet | None:
        terms = analyze(text)
        if not terms:
            return None
        if positive:
            plan.terms.update(terms)
            ranked = _fields(field_name)
            for t in dict.fromkeys(terms):
                plan.ranking.extend(_ranked(ranked, t))
        fields = _match_fields(field_name)
        if len(terms) == 1:
            return self._snap.term_docs(fields, terms[0])
        if positive:
            plan.phrases.append(tuple(terms))
        return self._snap.phrase_docs(fields, tuple(terms))

    def _prefix(
        self, field_name: str | None, prefix: str, plan: Plan, positive: bool
    ) -> DocSet:
        """Index terms starting with the prefix, plus the stem of the prefix read as a whole
        word ("installing*" finds "install"), but not everything starting with that stem
        ("pars*" must not become "par*")."""
        fields = _match_fields(field_name)
        chosen = self._snap.expand(fields, [prefix], PREFIX_SCAN_TERMS)[:PREFIX_DOC_TERMS]
        stemmed = stem_word(prefix)
        if stemmed != prefix and stemmed not in chosen and self._snap.term_docs(fields, stemmed):
            chosen.append(stemmed)
        if positive:
            plan.prefixes.add(prefix)
            if stemmed in chosen:
                plan.terms.add(stemmed)
            ranked = _fields(field_name)
            for t in chosen[:PREFIX_SCORE_TERMS]:
                plan.ranking.extend(_ranked(ranked, t))
        return self._snap.union_docs(fields, chosen)


def _is_filter(node: Node) -> bool:
    """A field filter, or filters combined with AND/OR: a constraint, not a word to rank by."""
    if isinstance(node, Filter):
        return True
    return isinstance(node, Group) and all(_is_filter(c) for c in node.children)


def all_words(sets: list[DocSet], docs: Iterable[int]) -> set[int] | None:
    """The documents holding every top-level word (None: no such bonus for this query)."""
    if len(sets) < 2:
        return None
    full = set(docs)
    full.intersection_update(*sets)
    return full or None
