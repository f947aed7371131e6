"""Search quality: nDCG@10 and MRR@10 of fieldkit's search on the shared IR collections.

    .venv/bin/python benchmarks/bench_quality.py [--data ../shared/data/ir]

Each collection (corpus.jsonl, queries.jsonl, qrels.tsv) is indexed through SearchIndex.apply
(title + text) and every judged query runs through SearchIndex.search, the code path the app
and the CLI use. Figures are printed beside the BM25 reference in bm25_reference.tsv (bm25s,
Lucene BM25, k1=1.2 b=0.75, English stop words and stemming; pytrec_eval): nDCG with graded
gains as pytrec_eval computes it (gain = grade, log2 discount), MRR counting any grade > 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fieldkit.core.index import IndexDocument, IndexUnit, SearchIndex, SearchRequest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ir"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
BATCH = 1000


@dataclass(frozen=True)
class Scores:
    collection: str
    queries: int
    docs: int
    ndcg10: float
    mrr10: float
    index_s: float
    query_ms_p50: float
    query_ms_p95: float


def read_jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return qrels


def read_reference(path: Path) -> dict[str, dict[str, float]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    header = lines[0].split("\t")
    out: dict[str, dict[str, float]] = {}
    for line in lines[1:]:
        cells = dict(zip(header, line.split("\t"), strict=False))
        out[cells["collection"]] = {k: float(v) for k, v in cells.items()
                                    if k != "collection" and v}
    return out


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    dcg = sum(grades.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def rr_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if grades.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(folder: Path, work: Path) -> Scores:
    corpus = read_jsonl(folder / "corpus.jsonl")
    queries = {q["_id"]: q["text"] for q in read_jsonl(folder / "queries.jsonl")}
    qrels = read_qrels(folder / "qrels.tsv")
    index = SearchIndex(work / folder.name)
    index.open()
    started = time.perf_counter()
    docs = [
        IndexDocument(
            doc_id=row["_id"], path="", title=row.get("title", ""), filename="", format="txt",
            folder="", tags=(), modified=EPOCH, status="current", version=None, personal=False,
            units=(IndexUnit(None, None, row.get("text", "")),),
        )
        for row in corpus
    ]
    for start in range(0, len(docs), BATCH):
        index.apply(docs[start : start + BATCH], [])
    index_s = time.perf_counter() - started
    ndcgs: list[float] = []
    rrs: list[float] = []
    times: list[float] = []
    for qid in sorted(qrels, key=lambda q: (len(q), q)):
        if qid not in queries:
            continue
        started = time.perf_counter()
        results = index.search(SearchRequest(queries[qid], limit=10))
        times.append((time.perf_counter() - started) * 1000)
        ranked = [hit.doc_id for hit in results.hits]
        ndcgs.append(ndcg_at(ranked, qrels[qid]))
        rrs.append(rr_at(ranked, qrels[qid]))
    index.close()
    times.sort()
    return Scores(
        collection=folder.name,
        queries=len(ndcgs),
        docs=len(docs),
        ndcg10=statistics.fmean(ndcgs),
        mrr10=statistics.fmean(rrs),
        index_s=index_s,
        query_ms_p50=statistics.median(times),
        query_ms_p95=times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no IR collections at {args.data}")
    reference = read_reference(args.data / "bm25_reference.tsv")
    collections = sorted(p for p in args.data.iterdir() if (p / "corpus.jsonl").exists())
    print(f"{'collection':<10} {'queries':>7} {'docs':>5}  {'nDCG@10':>7} {'ref':>6} {'ratio':>5}"
          f"  {'MRR@10':>6} {'ref':>6}  {'index s':>7} {'query ms p50/p95':>17}")
    with tempfile.TemporaryDirectory(prefix="fieldkit-quality-") as tmp:
        for folder in collections:
            s = evaluate(folder, Path(tmp))
            ref = reference.get(s.collection, {})
            ref_ndcg = ref.get("ndcg10", float("nan"))
            ref_mrr = ref.get("mrr10", float("nan"))
            print(f"{s.collection:<10} {s.queries:>7} {s.docs:>5}  {s.ndcg10:>7.4f}"
                  f" {ref_ndcg:>6.4f} {s.ndcg10 / ref_ndcg:>5.2f}  {s.mrr10:>6.4f} {ref_mrr:>6.4f}"
                  f"  {s.index_s:>7.1f} {s.query_ms_p50:>8.1f} / {s.query_ms_p95:<7.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
