"""A deterministic corpus of real English text files for the search benchmarks.

Text comes from this machine's documentation (/usr/share/doc, /usr/share/common-licenses, gzip
or plain) and Python's standard-library docstrings, cut into documents of 1-16 KB. About half
the documents are "paged" (pages separated by form feeds, as a PDF's would be) and some are
"slide decks" (short units): the index is told their format and units, so hits get located.

The files are written once under ``<cache>/corpus-<n>`` with a ``manifest.jsonl`` beside them
and reused by later runs (Recoll indexes the same files).
"""

from __future__ import annotations

import ast
import gzip
import json
import random
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SEED = 20240611
MAX_FROM_ONE_FILE = 150_000
DOC_SOURCES = (Path("/usr/share/common-licenses"), Path("/usr/share/doc"))
PY_SOURCES = (Path("/usr/lib/python3.11"),)
_SKIP_SUFFIXES = (
    ".html", ".htm", ".png", ".jpg", ".gif", ".svg", ".css", ".js", ".pdf", ".xml", ".json",
    ".ico", ".woff", ".ttf", ".py", ".c", ".h", ".sh", ".pl", ".patch", ".diff",
)
TAGS = ("pricing", "install", "legal", "training", "security", "release", "support", "q3")
_PRINTABLE = re.compile(r"[^\x09\x0a\x0c\x0d\x20-\x7e\u00a0-\uffff]")


@dataclass(frozen=True)
class CorpusDoc:
    path: Path
    title: str
    format: str
    folder: str
    tags: tuple[str, ...]


def _gunzip(path: Path) -> bytes:
    with gzip.open(path) as f:
        return f.read()


def cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "fieldkit-bench"


def _doc_texts() -> Iterator[tuple[str, str]]:
    for root in DOC_SOURCES:
        for path in sorted(root.rglob("*")):
            name = path.name.lower()
            if not path.is_file() or path.is_symlink() or name.removesuffix(".gz").endswith(
                _SKIP_SUFFIXES
            ):
                continue
            try:
                raw = _gunzip(path) if name.endswith(".gz") else path.read_bytes()
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
            if b"\0" in raw[:4096] or len(raw) < 400:
                continue
            text = _PRINTABLE.sub(" ", raw[:MAX_FROM_ONE_FILE].decode("utf-8", "replace"))
            top = "licenses" if root.name == "common-licenses" else "doc"
            package = path.relative_to(root).parts[0] if top == "doc" else ""
            yield f"{top}/{package}".rstrip("/"), text


def _py_texts() -> Iterator[tuple[str, str]]:
    for root in PY_SOURCES:
        for path in sorted(root.rglob("*.py")):
            if "test" in path.parts or "tests" in path.parts:
                continue
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, OSError):
                continue
            docs = [
                d
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                and (d := ast.get_docstring(node))
            ]
            if docs:
                yield f"python/{path.parent.name}", "\n\n".join(docs)


def _chunks(text: str, rng: random.Random) -> Iterator[str]:
    pos = 0
    while pos < len(text) - 300:
        size = int(2 ** rng.uniform(10, 14))  # 1 KB .. 16 KB, log-uniform
        end = min(len(text), pos + size)
        if end < len(text):
            cut = text.rfind("\n", pos + size // 2, end)
            end = cut if cut > 0 else end
        yield text[pos:end]
        pos = end


def _title(chunk: str, fallback: str) -> str:
    for line in chunk.splitlines():
        words = re.findall(r"[A-Za-z][A-Za-z'-]+", line)
        if len(words) >= 2:
            return " ".join(words[:10])
    return fallback


def _paginate(chunk: str, size: int) -> str:
    pages: list[str] = []
    pos = 0
    while pos < len(chunk):
        end = min(len(chunk), pos + size)
        if end < len(chunk):
            cut = chunk.rfind("\n", pos + size // 2, end)
            end = cut if cut > 0 else end
        pages.append(chunk[pos:end])
        pos = end
    return "\f".join(pages)


def build(n_docs: int = 20_000, root: Path | None = None) -> tuple[Path, list[CorpusDoc]]:
    """Write (or reuse) the corpus; returns its folder and its documents."""
    folder = (root or cache_dir()) / f"search-corpus-{n_docs}"
    manifest = folder / "manifest.jsonl"
    if manifest.exists():
        return folder, _read_manifest(folder, manifest)
    rng = random.Random(SEED)
    sources = list(_doc_texts()) + list(_py_texts())
    rng.shuffle(sources)
    docs: list[CorpusDoc] = []
    files = folder / "files"
    round_ = 0
    while len(docs) < n_docs:
        for source_folder, text in sources:
            offset = (round_ * 997) % max(1, len(text) // 2) if round_ else 0
            for chunk in _chunks(text[offset:], rng):
                n = len(docs)
                kind = rng.random()
                fmt = "pdf" if kind < 0.45 else "pptx" if kind < 0.6 else "txt"
                body = _paginate(chunk, 2500 if fmt == "pdf" else 700) if fmt != "txt" else chunk
                rel = Path(source_folder) / f"d{n:05d}.txt"
                (files / rel.parent).mkdir(parents=True, exist_ok=True)
                (files / rel).write_text(body, encoding="utf-8")
                picked = {TAGS[rng.randrange(len(TAGS))] for _ in range(rng.randrange(3))}
                title = _title(chunk, rel.stem)
                tags = tuple(sorted(picked))
                docs.append(CorpusDoc(files / rel, title, fmt, source_folder, tags))
                if len(docs) >= n_docs:
                    break
            if len(docs) >= n_docs:
                break
        round_ += 1
    with manifest.open("w", encoding="utf-8") as out:
        for d in docs:
            row = {"path": str(d.path.relative_to(folder)), "title": d.title, "format": d.format,
                   "folder": d.folder, "tags": list(d.tags)}
            out.write(json.dumps(row) + "\n")
    return folder, docs


def _read_manifest(folder: Path, manifest: Path) -> list[CorpusDoc]:
    docs = []
    with manifest.open(encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            docs.append(CorpusDoc(folder / row["path"], row["title"], row["format"],
                                  row["folder"], tuple(row["tags"])))
    return docs


if __name__ == "__main__":
    where, corpus = build()
    size = sum(d.path.stat().st_size for d in corpus)
    print(f"{len(corpus)} documents, {size / 1e6:.0f} MB in {where}")
