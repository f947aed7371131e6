"""Full index (extract + index + commit), fieldkit beside Recoll, in the same run.

    .venv/bin/python benchmarks/bench_index.py [--docs N] [--skip-shared]

Corpora: ../shared/data/docs (real files of every format, many hostile) when present, and a
generated corpus of N real-text documents (default 20,000). Each engine runs as its own process
from a cold start; the figures are wall time, documents and MB per second, and the peak RSS of
the largest process. Needs Debian's `recoll` for the comparison.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from textcorpus import build_text_corpus

REPO = Path(__file__).resolve().parents[1]
SHARED_DOCS = REPO.parent / "shared" / "data" / "docs"
OUT = REPO / "benchmarks" / "out"

# Runs a command and reports its wall time and the peak RSS of any process it waited for.
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:] if r.returncode else '')\n"
    "print(wall, rss, r.returncode)\n"
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float


def measure(cmd: list[str]) -> Run:
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    wall, rss_kb, code = result.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"{cmd[0]} failed ({code}): {result.stderr}")
    return Run(float(wall), int(rss_kb) / 1024)


def corpus_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return len(files), sum(p.stat().st_size for p in files)


def run_fieldkit(folder: Path, work: Path) -> Run:
    home = work / "fieldkit-home"
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), "add-folder", str(folder),
         "--no-index"],
        check=True, capture_output=True,
    )
    run = measure([sys.executable, "-m", "fieldkit", "--home", str(home), "index", "--json"])
    status = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), "status", "--json"],
        check=True, capture_output=True, text=True,
    )
    counts = json.loads(status.stdout)
    print(f"    fieldkit: {counts['indexed']} indexed, {counts['failed']} failed")
    return run


def run_recoll(folder: Path, work: Path) -> Run | None:
    if shutil.which("recollindex") is None:
        print("    recollindex not installed (apt-get install recoll): no comparison")
        return None
    conf = work / "recoll-conf"
    shutil.rmtree(conf, ignore_errors=True)
    conf.mkdir(parents=True)
    (conf / "recoll.conf").write_text(
        f"topdirs = {folder}\nindexStemmingLanguages = english\nloglevel = 1\n"
        "skippedNames+ = .complete-*\n"
    )
    return measure(["recollindex", "-c", str(conf), "-z"])


def report(name: str, folder: Path, work: Path) -> dict[str, object]:
    count, size = corpus_size(folder)
    print(f"\n{name}: {count} files, {size / 1e6:.1f} MB")
    ours = run_fieldkit(folder, work)
    theirs = run_recoll(folder, work)
    rows = [("fieldkit", ours)] + ([("recoll", theirs)] if theirs else [])
    print(f"  {'engine':10} {'seconds':>8} {'docs/s':>8} {'MB/s':>7} {'peak RSS MB':>12}")
    for engine, run in rows:
        print(
            f"  {engine:10} {run.seconds:8.1f} {count / run.seconds:8.0f} "
            f"{size / 1e6 / run.seconds:7.2f} {run.peak_rss_mb:12.0f}"
        )
    result: dict[str, object] = {"files": count, "fieldkit_s": round(ours.seconds, 2)}
    if theirs:
        speed = theirs.seconds / ours.seconds
        print(f"  speed vs Recoll: {speed:.2f}x (above 1.0 means fieldkit is faster)")
        result.update(recoll_s=round(theirs.seconds, 2), speed_vs_recoll=round(speed, 2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--skip-shared", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fk-bench-") as tmp:
        work = Path(tmp)
        if SHARED_DOCS.is_dir() and not args.skip_shared:
            report("shared/data/docs", SHARED_DOCS, work)
        corpus = OUT / f"text-{args.docs}"
        build_text_corpus(corpus, args.docs)
        report(f"generated text corpus ({args.docs} docs)", corpus, work)


if __name__ == "__main__":
    main()
