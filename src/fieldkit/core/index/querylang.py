"""The search box language, parsed without Whoosh's query parser.

Whoosh's parser is quadratic on long inputs and raises on odd syntax; this one is linear, never
raises, and knows our field names. Grammar (loosest first)::

    query := or+                 words side by side: any may match, all-words first
    or    := and ("OR" and)*
    and   := unary ("AND" unary)*
    unary := ("NOT" | "-") unary | "(" query ")" | '"' phrase '"' | field ":" value | word["*"]

Garbage never raises: an unbalanced quote runs to the end, a stray ")" or dangling operator is
dropped, an unknown ``field:`` is read as plain words, a lone ``*`` or ``:`` is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MAX_QUERY_CHARS = 1024
MAX_LEAVES = 64
MAX_DEPTH = 8

# Field names a user may type, mapped to what they search.
TEXT_FIELDS = {"title": "title", "body": "body", "text": "body", "content": "body"}
FILTER_FIELDS = {
    "type": "format",
    "format": "format",
    "ext": "format",
    "tag": "tags",
    "tags": "tags",
    "folder": "folder",
    "status": "status",
    "file": "filename",
    "filename": "filename",
    "name": "filename",
    "personal": "personal",
}

GroupOp = Literal["soft", "and", "or"]


@dataclass(frozen=True)
class Word:
    """A word (or ``word*`` prefix) as typed; ``field`` None means title and body."""

    text: str
    field: str | None
    start: int
    end: int
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None


@dataclass(frozen=True)
class Filter:
    """``type:pptx``, ``tag:pricing``, ``folder:Decks`` ...; ``field`` is the canonical name."""

    field: str
    value: str
    prefix: bool = False


@dataclass(frozen=True)
class Group:
    op: GroupOp
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Word | Phrase | Filter | Group | Not


@dataclass(frozen=True)
class _Tok:
    kind: Literal["word", "phrase", "field", "lpar", "rpar", "and", "or", "not", "neg"]
    text: str = ""
    start: int = 0
    end: int = 0
    field: str = ""
    quoted: bool = False


_SPECIAL = set('()"')


def cap_query(text: str) -> str:
    """The query cut to ``MAX_QUERY_CHARS`` at a word boundary, control characters removed."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text[: MAX_QUERY_CHARS * 2])
    if len(cleaned) <= MAX_QUERY_CHARS:
        return cleaned.strip()
    cut = cleaned[:MAX_QUERY_CHARS]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_QUERY_CHARS // 2 else cut).strip()


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            toks.append(_Tok("lpar", start=i, end=i + 1))
            i += 1
        elif ch == ")":
            toks.append(_Tok("rpar", start=i, end=i + 1))
            i += 1
        elif ch == '"':
            close = text.find('"', i + 1)
            end = n if close < 0 else close
            toks.append(_Tok("phrase", text[i + 1 : end], i + 1, end))
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            i = _lex_chunk(text, i, j, toks)
    return toks


def _lex_chunk(text: str, i: int, j: int, toks: list[_Tok]) -> int:
    """Lex the chunk text[i:j]; returns where lexing continues."""
    chunk = text[i:j]
    if chunk in ("AND", "&&"):
        toks.append(_Tok("and", start=i, end=j))
        return j
    if chunk in ("OR", "||"):
        toks.append(_Tok("or", start=i, end=j))
        return j
    if chunk == "NOT":
        toks.append(_Tok("not", start=i, end=j))
        return j
    if chunk.startswith("-") and len(chunk) > 1:
        toks.append(_Tok("neg", start=i, end=i + 1))
        return _lex_chunk(text, i + 1, j, toks) if j > i + 1 else j
    if chunk.startswith("+"):
        return _lex_chunk(text, i + 1, j, toks) if j > i + 1 else j
    name, colon, value = chunk.partition(":")
    key = name.lower()
    if colon and (key in FILTER_FIELDS or key in TEXT_FIELDS):
        field = FILTER_FIELDS.get(key) or TEXT_FIELDS[key]
        if value:
            toks.append(_Tok("field", value, i + len(name) + 1, j, field=field))
            return j
        if j < len(text) and text[j] == '"':
            close = text.find('"', j + 1)
            end = len(text) if close < 0 else close
            toks.append(_Tok("field", text[j + 1 : end], j + 1, end, field=field, quoted=True))
            return end + 1
        return j
    toks.append(_Tok("word", chunk, i, j))
    return j


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.pos = 0
        self.leaves = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def parse_soft(self, depth: int) -> Node | None:
        items: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "rpar":
                if depth > 0:
                    break
                self.pos += 1  # a stray ")" at the top level
                continue
            node = self.parse_or(depth)
            if node is not None:
                items.append(node)
        return _group("soft", items)

    def parse_or(self, depth: int) -> Node | None:
        items = [self.parse_and(depth)]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.pos += 1
            items.append(self.parse_and(depth))
        return _group("or", [i for i in items if i is not None])

    def parse_and(self, depth: int) -> Node | None:
        items = [self.parse_unary(depth)]
        while (tok := self.peek()) is not None and tok.kind == "and":
            self.pos += 1
            items.append(self.parse_unary(depth))
        return _group("and", [i for i in items if i is not None])

    def parse_unary(self, depth: int) -> Node | None:
        tok = self.peek()
        if tok is None or tok.kind == "rpar":
            return None
        self.pos += 1
        if tok.kind in ("not", "neg"):
            child = self.parse_unary(depth)
            return Not(child) if child is not None else None
        if tok.kind == "lpar":
            if depth >= MAX_DEPTH:
                return None  # nesting this deep is garbage: drop the parenthesis
            inner = self.parse_soft(depth + 1)
            closing = self.peek()
            if closing is not None and closing.kind == "rpar":
                self.pos += 1
            return inner
        if tok.kind in ("and", "or"):
            return None  # dangling operator
        return self.leaf(tok)

    def leaf(self, tok: _Tok) -> Node | None:
        if self.leaves >= MAX_LEAVES:
            return None
        node = _leaf(tok)
        if node is not None:
            self.leaves += 1
        return node


_WORDISH = re.compile(r"\w")


def _leaf(tok: _Tok) -> Node | None:
    text = tok.text.strip()
    if tok.kind == "phrase":
        return Phrase(text, None) if _WORDISH.search(text) else None
    if tok.kind == "field" and tok.field not in ("title", "body"):
        prefix = text.endswith("*") and not tok.quoted
        value = text.rstrip("*").strip() if prefix else text
        return Filter(tok.field, value, prefix) if value else None
    field = tok.field or None
    if tok.quoted:
        return Phrase(text, field) if _WORDISH.search(text) else None
    prefix = text.endswith("*")
    stem = text.rstrip("*")
    if not _WORDISH.search(stem):
        return None
    return Word(stem, field, tok.start, tok.start + len(stem), prefix)


def _group(op: GroupOp, items: list[Node]) -> Node | None:
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return Group(op, tuple(items))


def parse(text: str) -> Node | None:
    """Parse a (capped) query; None when nothing searchable is left."""
    return _Parser(_lex(text)).parse_soft(0)


def words(node: Node | None) -> list[Word]:
    """Every plain word of the query, in order (for spelling suggestions)."""
    found: list[Word] = []

    def walk(n: Node | None) -> None:
        if isinstance(n, Word):
            found.append(n)
        elif isinstance(n, Group):
            for child in n.children:
                walk(child)
        elif isinstance(n, Not):
            walk(n.child)

    walk(node)
    return found
