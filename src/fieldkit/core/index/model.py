"""The values that cross the index boundary: documents in, search results out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from fieldkit.core.errors import FieldkitError, StorageError

SortOrder = Literal["relevance", "modified", "title"]


@dataclass(frozen=True)
class IndexUnit:
    """A page, slide or sheet (``kind`` None for formats without pages)."""

    kind: str | None
    number: int | None
    text: str


@dataclass(frozen=True)
class IndexDocument:
    doc_id: str
    path: str
    title: str
    filename: str
    format: str
    folder: str  # relative to its library folder, POSIX, "" at the top
    tags: tuple[str, ...]
    modified: datetime
    status: str  # current expired expiring withdrawn superseded outdated personal archived
    version: int | None
    personal: bool
    units: tuple[IndexUnit, ...]


@dataclass(frozen=True)
class IndexHealth:
    ok: bool
    reason: str | None = None


@dataclass(frozen=True)
class SearchRequest:
    """A search. ``filters`` keys: format (or type), tag, folder, status, personal; a value may
    list alternatives separated by commas ("pdf,pptx"). ``offset`` skips that many ranked hits
    (paging): the hits returned are ranks offset+1 to offset+limit, each page located and
    quoted like the first."""

    query: str
    limit: int = 20
    offset: int = 0
    sort: SortOrder = "relevance"
    filters: Mapping[str, str] = field(default_factory=dict)
    include_withdrawn: bool = False
    include_archived: bool = False


@dataclass(frozen=True)
class Hit:
    doc_id: str
    path: str
    title: str
    format: str
    score: float
    location_kind: str | None
    location_number: int | None
    also: tuple[int, ...]
    snippet: str  # HTML-escaped; matched words wrapped in <b>...</b>
    status: str
    version: int | None
    modified: datetime
    folder: str
    tags: tuple[str, ...]
    personal: bool


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    corrected: str | None  # "showing results for ..." when the query was corrected
    did_you_mean: str | None
    hits: tuple[Hit, ...]
    facets: Mapping[str, Mapping[str, int]]  # "format", "folder" (top level), "tag", "status"


class IndexDamagedError(StorageError):
    """The search index could not be read; it has to be rebuilt."""


class IndexBusyError(FieldkitError):
    """Another fieldkit process is writing the search index."""
