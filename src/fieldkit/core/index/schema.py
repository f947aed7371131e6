"""The Whoosh schema: one record per document, with its unit texts stored for locating hits.

Text fields (title, body) are indexed for ranking, with positions for phrases; the body
(title and text) is not stored.
The pages, slides and sheets are stored as one list so a hit can be located and quoted without
a second record per unit (which would double the indexing work). Filter fields are indexed
lower-case with the original value stored for display. A single byte column (``meta``) holds
what sorting and facet counting need per document, so those never load stored fields.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, NamedTuple

from whoosh import columns, fields

from fieldkit.core.index.analysis import analyze, fold, make_analyzer
from fieldkit.core.index.model import IndexDocument

# Bump when the schema or the analysis changes: an index with another version is rebuilt.
SCHEMA_VERSION = 5

TEXT_FIELDS = ("title", "body")
_SEP = "\x1f"
_TAG_SEP = "\x1e"


def make_schema() -> fields.Schema:
    text = make_analyzer()
    return fields.Schema(
        doc_id=fields.ID(stored=True, unique=True),
        path=fields.STORED(),
        title=fields.TEXT(analyzer=text, stored=True, phrase=True),
        body=fields.TEXT(analyzer=text, stored=False, phrase=True),
        filename=fields.ID(stored=True),
        format=fields.ID(stored=True),
        folder=fields.ID(stored=True),
        tags=fields.KEYWORD(stored=True, lowercase=True, commas=True, scorable=False),
        status=fields.ID(stored=True),
        personal=fields.BOOLEAN(stored=True),
        modified=fields.STORED(),
        version=fields.STORED(),
        units=fields.STORED(),
        meta=fields.COLUMN(columns.VarBytesColumn()),
    )


def top_folder(folder: str) -> str:
    return folder.strip("/").split("/", 1)[0]


def _clean_tag(tag: str) -> str:
    return " ".join(tag.replace(",", " ").split())


def record(doc: IndexDocument) -> dict[str, Any]:
    """The keyword arguments for ``writer.add_document``."""
    tags = tuple(t for t in (_clean_tag(t) for t in doc.tags) if t)
    folder = doc.folder.strip("/")
    title_text = doc.title
    name_words = PurePosixPath(doc.filename).stem.replace("_", " ")
    if name_words and not set(analyze(name_words)) <= set(analyze(doc.title)):
        title_text = f"{doc.title}\n{name_words}"
    meta = Meta(
        doc_id=doc.doc_id,
        format=doc.format.lower(),
        status=doc.status.lower(),
        top=top_folder(folder),
        tags=tags,
        modified=doc.modified.timestamp(),
        title_key=fold(doc.title).strip(),
        personal=doc.personal,
    )
    fields_: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "path": doc.path,
        "title": title_text,
        "_stored_title": doc.title,
        # The body repeats the title (and file name words), so ranking sees title and text as
        # one field, the title field adding a bonus on top: better on every shared IR
        # collection than a title apart. Matching then only needs the body.
        "body": "\n".join([title_text, *(u.text for u in doc.units)]),
        "format": doc.format.lower(),
        "_stored_format": doc.format.lower(),
        "status": doc.status.lower(),
        "personal": doc.personal,
        "modified": doc.modified,
        "version": doc.version,
        "units": tuple((u.kind, u.number, u.text) for u in doc.units),
        "meta": meta.encode(),
        "_stored_tags": tags,
        "_stored_folder": folder,
        "_stored_filename": doc.filename,
    }
    if tags:
        fields_["tags"] = ",".join(tags)
    if folder:
        fields_["folder"] = folder.lower()
    if doc.filename:
        fields_["filename"] = doc.filename.lower()
    return fields_


class Meta(NamedTuple):
    """Per-document values for sorting and facets, kept in one column. A named tuple: a
    process that opens the index decodes one per document (a frozen dataclass took twice as long
    to build, a tenth of a second at 20,000 documents)."""

    doc_id: str
    format: str
    status: str
    top: str
    tags: tuple[str, ...]
    modified: float
    title_key: str
    personal: bool

    def encode(self) -> bytes:
        parts = (
            self.doc_id,
            self.format,
            self.status,
            self.top,
            _TAG_SEP.join(self.tags),
            repr(self.modified),
            self.title_key.replace(_SEP, " "),
            "1" if self.personal else "0",
        )
        return _SEP.join(parts).encode("utf-8")

    @classmethod
    def decode(cls, raw: bytes) -> Meta:
        doc_id, fmt, status, top, tags, modified, title_key, personal = raw.decode(
            "utf-8"
        ).split(_SEP)
        return cls(
            doc_id,
            fmt,
            status,
            top,
            tuple(tags.split(_TAG_SEP)) if tags else (),
            float(modified),
            title_key,
            personal == "1",
        )
