"""How soon a file written into a watched folder is searchable while fieldkit runs.

    .venv/bin/python benchmarks/bench_watch.py [--docs N] [--rounds R]

Builds (once, cached under benchmarks/out/) a library of N real-text documents, then runs the same
objects the app runs (IndexService + FolderWatcher) and, R times, writes a new file with a unique
word, or rewrites an existing one, and searches until it is found. Target: at most 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from textcorpus import build_text_corpus

from fieldkit.core.client import open_client
from fieldkit.core.home import HomePaths
from fieldkit.core.index import SearchRequest
from fieldkit.core.indexer import IndexService
from fieldkit.core.watch import FolderWatcher

OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    corpus = OUT / f"text-{args.docs}"
    build_text_corpus(corpus, args.docs)
    home = HomePaths(OUT / f"watch-home-{args.docs}")
    live = corpus / "live"
    live.mkdir(exist_ok=True)
    with open_client(home) as client:
        if not any(f.kind == "personal" for f in client.library.folders()):
            client.library.add_folder(corpus)
        started = time.perf_counter()
        report = client.library.index()
        print(
            f"library: {args.docs} documents ({report.indexed} indexed now, "
            f"{report.unchanged} unchanged) in {time.perf_counter() - started:.1f} s"
        )
        service = IndexService(client.library)
        watcher = FolderWatcher(service.request)
        watcher.watch(corpus)
        service.start()
        watcher.start()
        assert service.wait_idle(600)
        latencies: list[float] = []
        try:
            for n in range(args.rounds):
                word = "zq" + uuid.uuid4().hex[:10]
                target = live / (f"new-{n}.txt" if n % 2 == 0 else "edited.txt")
                written = time.perf_counter()
                target.write_text(f"Meeting notes about {word} and the renewal.\n")
                deadline = written + 30
                while time.perf_counter() < deadline:
                    hits = client.library.search(SearchRequest(query=word)).hits
                    if hits:
                        break
                    time.sleep(0.005)
                else:
                    raise SystemExit(f"round {n}: not searchable after 30 s")
                latencies.append(time.perf_counter() - written)
        finally:
            watcher.stop()
            service.stop()
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    print(
        f"write -> searchable over {len(latencies)} rounds: "
        f"p50 {statistics.median(latencies):.3f} s, "
        f"p95 {p95:.3f} s, max {latencies[-1]:.3f} s (target <= 1 s)"
    )


if __name__ == "__main__":
    main()
