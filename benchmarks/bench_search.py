"""Search latency on a 20,000-document index, fieldkit (Whoosh) beside Recoll, in one run.

    .venv/bin/python benchmarks/bench_search.py [--docs 20000] [--repeat 3] [--keep] [--reuse DIR]

1. Generates (once, then reuses) a deterministic corpus of real English text files
   (benchmarks/search_corpus.py): about half are paged like PDFs, some are slide decks.
2. Builds the fieldkit index through SearchIndex.apply in batches, and Recoll's index of the
   same files with ``recollindex`` (private config folder), timing both.
3. Runs 55 queries (words, several words, phrases, prefixes, typos) once cold and then
   ``--repeat`` times warm, after a warm-up with other queries: fieldkit through
   SearchIndex.search with 10 hits, each with its location and marked snippet; Recoll
   in-process through its Python module (query, 10 results and their abstracts) and as the
   ``recollq -A -n 10`` command (process start included).
4. Times a one-file update on the full index until the change is searchable.

Needs Debian's ``recoll`` and ``python3-recoll`` for the comparison. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_corpus import CorpusDoc, build, cache_dir

from fieldkit.core.index import IndexDocument, IndexUnit, SearchIndex, SearchRequest

BATCH = 500
QUERIES: dict[str, list[str]] = {
    "word": ["license", "copyright", "warranty", "kernel", "socket", "unicode", "python",
             "debian", "compiler", "thread", "encryption", "memory", "keyboard", "printer",
             "timezone"],
    "words": ["free software foundation", "memory leak fix", "security vulnerability",
              "default configuration file", "network interface", "unicode string encoding",
              "bug report", "package maintainer upload", "thread safe queue",
              "command line option"],
    "phrase": ['"general public license"', '"without any warranty"', '"source code"',
               '"regular expression"', '"file system"', '"command line"', '"error message"',
               '"new upstream release"', '"merchantability or fitness"',
               '"standard library"'],
    "prefix": ["config*", "licen*", "encod*", "pars*", "crypt*", "instal*", "compil*",
               "thread*", "serial*", "docum*"],
    "typo": ["licnese", "warrnaty", "sotfware", "pyhton", "directroy", "cofniguration",
             "kernle", "encyrption", "maintaner", "libary"],
}

# Runs a command; prints its wall time and the peak RSS of the children (the command alone).
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL,"
    " stderr=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)
WARM_UP = ["manual", "window manager", '"user interface"', "pack*", "displya"]

# Runs inside /usr/bin/python3 (Debian's python3-recoll): times query + 10 results + abstracts.
_RECOLL_TIMER = r"""
import json, sys, time
from recoll import recoll
confdir, repeat = sys.argv[1], int(sys.argv[2])
queries = json.loads(sys.stdin.read())
db = recoll.connect(confdir=confdir)
out = {}
def run(text):
    q = db.query()
    total = q.execute(text, stemming=1, stemlang="english")
    docs = [q.fetchone() for _ in range(min(10, q.rowcount))]
    for d in docs:
        q.makedocabstract(d)
    return q.rowcount
for text in ["manual", "window manager", '"user interface"', "pack*", "displya"]:
    run(text)
for text in queries:
    times = []
    for _ in range(1 + repeat):
        t = time.perf_counter()
        total = run(text)
        times.append((time.perf_counter() - t) * 1000)
    out[text] = {"ms": times, "total": total}
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Timing:
    ms: list[float]
    total: int
    corrected: str | None = None
    located: int = 0


def units_of(doc: CorpusDoc, text: str) -> tuple[IndexUnit, ...]:
    if doc.format == "txt":
        return (IndexUnit(None, None, text),)
    kind = "page" if doc.format == "pdf" else "slide"
    return tuple(IndexUnit(kind, n, t) for n, t in enumerate(text.split("\f"), start=1))


def index_document(n: int, doc: CorpusDoc) -> IndexDocument:
    text = doc.path.read_text(encoding="utf-8")
    status = "expired" if n % 17 == 0 else "superseded" if n % 23 == 0 else "current"
    return IndexDocument(
        doc_id=f"d{n}", path=str(doc.path), title=doc.title, filename=doc.path.name,
        format=doc.format, folder=doc.folder, tags=doc.tags,
        modified=datetime.fromtimestamp(1_600_000_000 + n * 3600, UTC), status=status,
        version=1, personal=False, units=units_of(doc, text),
    )


def build_fieldkit(docs: Sequence[CorpusDoc], where: Path) -> tuple[SearchIndex, float]:
    index = SearchIndex(where)
    index.open()
    started = time.perf_counter()
    batch: list[IndexDocument] = []
    for n, doc in enumerate(docs):
        batch.append(index_document(n, doc))
        if len(batch) == BATCH:
            index.apply(batch, [])
            batch = []
    index.apply(batch, [])
    return index, time.perf_counter() - started


def build_recoll(files: Path, confdir: Path) -> tuple[float, float] | None:
    """recollindex's wall time and peak RSS (MB), measured from a small parent process."""
    if shutil.which("recollindex") is None:
        return None
    confdir.mkdir(parents=True, exist_ok=True)
    (confdir / "recoll.conf").write_text(
        f"topdirs = {files}\nindexStemmingLanguages = english\nloglevel = 1\n"
        "idxflushmb = 50\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _MEASURE, "recollindex", "-c", str(confdir),
                           "-z"], check=True, capture_output=True, text=True)
    wall, rss_kb = done.stdout.split()
    return float(wall), int(rss_kb) / 1024


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def time_fieldkit(index: SearchIndex, repeat: int) -> dict[str, Timing]:
    """The first run of each query (``ms[0]``: nothing cached for it yet) then ``repeat`` more
    (posting sets of its words are cached per index generation, as when a rep refines a query).
    The warm-up searches other words, so the code paths are hot but the queries are not."""
    for text in WARM_UP:
        index.search(SearchRequest(text, limit=10))
    out: dict[str, Timing] = {}
    for text in (q for qs in QUERIES.values() for q in qs):
        times = []
        for _ in range(1 + repeat):
            started = time.perf_counter()
            results = index.search(SearchRequest(text, limit=10))
            times.append((time.perf_counter() - started) * 1000)
        located = sum(h.location_number is not None for h in results.hits)
        out[text] = Timing(times, results.total, results.corrected, located)
    return out


def time_fieldkit_page(index: SearchIndex) -> list[float]:
    """Each query once more with a results page of 50 hits, all located with snippets."""
    times = []
    for text in (q for qs in QUERIES.values() for q in qs):
        started = time.perf_counter()
        index.search(SearchRequest(text, limit=50))
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_recoll(confdir: Path, repeat: int) -> dict[str, Timing] | None:
    python = Path("/usr/bin/python3")
    probe = subprocess.run([str(python), "-c", "import recoll.recoll"], capture_output=True)
    if probe.returncode != 0:
        return None
    every = [q for qs in QUERIES.values() for q in qs]
    done = subprocess.run([str(python), "-c", _RECOLL_TIMER, str(confdir), str(repeat)],
                          input=json.dumps(every), capture_output=True, text=True, check=True)
    rows = json.loads(done.stdout)
    return {q: Timing(row["ms"], row["total"]) for q, row in rows.items()}


def time_recollq(confdir: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for text in (q for qs in QUERIES.values() for q in qs):
        started = time.perf_counter()
        subprocess.run(["recollq", "-c", str(confdir), "-A", "-n", "10", text],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out[text] = (time.perf_counter() - started) * 1000
    return out


def time_update(index: SearchIndex, doc: CorpusDoc) -> tuple[float, float]:
    changed = index_document(0, doc)
    marker = "zebraquokka"
    changed = replace(changed, units=(*changed.units, IndexUnit("page", 999, marker)))
    started = time.perf_counter()
    index.apply([changed], [])
    applied = time.perf_counter() - started
    results = index.search(SearchRequest(marker, limit=10))
    searchable = time.perf_counter() - started
    assert results.total == 1, "the update is not searchable"
    return applied * 1000, searchable * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="time queries on the indexes an earlier --keep run left in DIR"
                        " (no builds, no update): before/after figures on the same indexes")
    args = parser.parse_args()
    folder, docs = build(args.docs)
    size_mb = sum(d.path.stat().st_size for d in docs) / 1e6
    print(f"corpus: {len(docs)} documents, {size_mb:.0f} MB of text ({folder})")
    if args.reuse is not None:
        time_queries(args.reuse, args.repeat)
        return
    work = Path(tempfile.mkdtemp(prefix="fieldkit-bench-search-", dir=cache_dir()))
    try:
        index, fk_build = build_fieldkit(docs, work / "fieldkit")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        recoll = build_recoll(folder / "files", work / "recoll")
        print("\nindex build (read files + index + commit)")
        print(f"  fieldkit (SearchIndex.apply, batches of {BATCH}): {fk_build:7.1f} s"
              f"  {len(docs) / fk_build:6.0f} docs/s  peak RSS {rss:.0f} MB (whole process)")
        if recoll is not None:
            rc_build, rc_rss = recoll
            print(f"  recollindex:                                {rc_build:7.1f} s"
                  f"  {len(docs) / rc_build:6.0f} docs/s  peak RSS {rc_rss:.0f} MB")
            print(f"  fieldkit / recoll time: {fk_build / rc_build:.2f}x")
        applied, searchable = time_update(index, docs[0])
        print(f"\none-file update on the full index: apply {applied:.0f} ms,"
              f" searchable after {searchable:.0f} ms")

        fk = time_fieldkit(index, args.repeat)
        page = time_fieldkit_page(index)
        rc = time_recoll(work / "recoll", args.repeat) if recoll is not None else None
        rq = time_recollq(work / "recoll") if recoll is not None else None
        index.close()
        report(fk, rc, rq, args.repeat)
        print(f"fieldkit with 50 hits a page (warm): p50 {statistics.median(page):.1f} ms,"
              f" p95 {pct(page, 0.95):.1f} ms")
    finally:
        if args.keep:
            print(f"\nindexes kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def time_queries(work: Path, repeat: int) -> None:
    index = SearchIndex(work / "fieldkit")
    health = index.open()
    assert health.ok, health.reason
    fk = time_fieldkit(index, repeat)
    page = time_fieldkit_page(index)
    index.close()
    recoll = work / "recoll"
    rc = time_recoll(recoll, repeat) if recoll.is_dir() else None
    rq = time_recollq(recoll) if recoll.is_dir() else None
    report(fk, rc, rq, repeat)
    print(f"fieldkit with 50 hits a page (warm): p50 {statistics.median(page):.1f} ms,"
          f" p95 {pct(page, 0.95):.1f} ms")


def report(fk: dict[str, Timing], rc: dict[str, Timing] | None, rq: dict[str, float] | None,
           repeat: int) -> None:
    print("\nquery latency, ms: first run of each query (cold), then its next"
          f" {repeat} runs (warm); fieldkit: 10 hits, each with location and marked snippet;"
          " recoll: 10 results with abstracts")
    print(f"{'kind':<7} {'n':>3}  {'fieldkit cold p50':>17} {'p95':>6}  {'warm p50':>8} {'p95':>6}"
          f"  {'recoll cold p50':>15} {'p95':>6}  {'cold p95 ratio':>14}"
          f"  {'recollq cmd p50':>15}  {'hits fk/rc':>12}")
    groups = [*QUERIES.items(), ("all", [q for qs in QUERIES.values() for q in qs])]
    for kind, queries in groups:
        cold = [fk[q].ms[0] for q in queries]
        warm = [t for q in queries for t in fk[q].ms[1:]]
        line = (f"{kind:<7} {len(queries):>3}  {statistics.median(cold):>17.1f}"
                f" {pct(cold, 0.95):>6.1f}  {statistics.median(warm):>8.1f}"
                f" {pct(warm, 0.95):>6.1f}")
        if rc is not None and rq is not None:
            rc_cold = [rc[q].ms[0] for q in queries]
            fk_hits = statistics.median(fk[q].total for q in queries)
            rc_hits = statistics.median(rc[q].total for q in queries)
            line += (f"  {statistics.median(rc_cold):>15.1f} {pct(rc_cold, 0.95):>6.1f}"
                     f"  {pct(cold, 0.95) / pct(rc_cold, 0.95):>13.1f}x"
                     f"  {statistics.median(rq[q] for q in queries):>15.0f}"
                     f"  {fk_hits:>5.0f} / {rc_hits:<5.0f}")
        print(line)
    corrected = [f"{q} -> {fk[q].corrected}" for q in QUERIES["typo"]]
    print("\ntypos corrected by fieldkit: " + "; ".join(corrected))
    located = sum(t.located for t in fk.values())
    print(f"hits located on a page or slide: {located} of the {10 * len(fk)} shown at most")


if __name__ == "__main__":
    main()
