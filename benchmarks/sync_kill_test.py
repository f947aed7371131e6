"""Fault proof: SIGKILL the sync client at random points, many times; it must never leave a
partial or wrong file under a final name, and the next sync must converge exactly to the hub.

    .venv/bin/python benchmarks/sync_kill_test.py --runs 100          # the full proof
    .venv/bin/python benchmarks/sync_kill_test.py --runs 10 --files 500 --mb 40

The hub is the real one (``fieldkit hub serve`` in its own process). Each run:

1. changes things: on the hub a few files change, one is added, one deleted, one renamed and
   one withdrawn or restored; on the laptop a third of the mirror is deleted, one mirrored file
   is edited by "the rep" and one file of the rep's own is dropped into the mirror;
2. starts a sync in a child process and kills it with SIGKILL at a random moment of the sync;
3. checks the mirror: no ``.part`` file, and every file is a complete version the hub served
   at that path, or a file the rep wrote there (not yet moved to My edits);
4. syncs again to the end and checks the mirror equals the hub's manifest exactly, every rep
   file is in My edits, and no partial download is left.

Figures are printed; any violation is listed and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync import FIELDKIT, hub_process, make_tree, wait_until

KEYRING_ENV = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def child(home: Path) -> None:
    """The client process that gets killed: the same core sync the CLI runs."""
    from fieldkit.core.catalog import CATALOG_MIGRATIONS, CATALOG_SCHEMA_VERSION, CatalogBase
    from fieldkit.core.credentials import TokenStore
    from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema
    from fieldkit.core.home import HomePaths
    from fieldkit.core.sync import Syncer, open_source

    paths = HomePaths(home)
    engine = make_engine(sqlite_url(paths.catalog_db))
    upgrade_schema(engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
    sessions = session_factory(engine)
    source = open_source(sessions, TokenStore(paths))
    print("syncing", flush=True)
    result = Syncer(paths, sessions, source).run()
    source.close()
    print(json.dumps(result.to_json()), flush=True)
    raise SystemExit(0 if result.ok else 1)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files(root: Path) -> dict[str, Path]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


class Bench:
    def __init__(self, work: Path, url: str, token: str, tree: Path, rng: random.Random) -> None:
        self.work = work
        self.url = url
        self.token = token
        self.tree = tree
        self.rng = rng
        self.home = work / "client"
        self.mirror = self.home / "Approved content"
        self.edits = self.home / "My edits"
        self.served: dict[str, set[str]] = {}  # every sha the hub listed at each path
        self.rep_files: dict[str, set[str]] = {}  # what the rep wrote at each mirror path
        self.rep_contents: Counter[str] = Counter()  # every rep file ever written, by sha
        self.counter = 0

    def manifest(self) -> dict[str, Any]:
        response = httpx.get(
            self.url + "/api/v1/manifest", headers={"Authorization": f"Bearer {self.token}"}
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        for doc in data["documents"]:
            self.served.setdefault(doc["path"], set()).add(doc["sha256"])
        return data

    def generation(self) -> int:
        return int(httpx.get(self.url + "/api/v1/health").json()["generation"])

    def change_hub(self) -> None:
        before = self.generation()
        docs = sorted(p for p in files(self.tree) if not p.endswith(".meta.toml"))
        for rel in self.rng.sample(docs, 3):
            (self.tree / rel).write_bytes(os.urandom(self.rng.randint(1, 400_000)))
        doomed, moved = self.rng.sample(docs, 2)
        (self.tree / doomed).unlink()
        (self.tree / f"{doomed}.meta.toml").unlink(missing_ok=True)
        self.counter += 1
        target = self.tree / "Moved" / f"moved {self.counter}.bin"
        target.parent.mkdir(exist_ok=True)
        if (self.tree / moved).exists():
            os.rename(self.tree / moved, target)
        new = self.tree / "New" / f"new {self.counter}.bin"
        new.parent.mkdir(exist_ok=True)
        new.write_bytes(os.urandom(self.rng.randint(1, 2_000_000)))
        now = sorted(p for p in files(self.tree) if not p.endswith(".meta.toml"))
        sidecar = self.tree / (self.rng.choice(now) + ".meta.toml")
        if sidecar.exists():
            sidecar.unlink()  # withdrawn before: restored now
        else:
            sidecar.write_text('withdrawn = "Replaced by a newer deck"\n')
        wait_until(lambda: self.generation() != before, "the hub to see the change", 60)
        stable_since, seen = time.monotonic(), self.generation()
        while time.monotonic() - stable_since < 1.5:  # the hub's watcher has settled
            time.sleep(0.25)
            now = self.generation()
            if now != seen:
                stable_since, seen = time.monotonic(), now

    def change_laptop(self) -> None:
        mirrored = sorted(files(self.mirror))
        for rel in self.rng.sample(mirrored, len(mirrored) // 3):
            (self.mirror / rel).unlink()
        remaining = sorted(files(self.mirror))
        if remaining:
            self.rep_write(self.rng.choice(remaining), b"rep's edit " + os.urandom(64))
        self.counter += 1
        self.rep_write(f"Notes/rep note {self.counter}.txt", b"rep's own " + os.urandom(64))

    def rep_write(self, rel: str, content: bytes) -> None:
        path = self.mirror / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        digest = hashlib.sha256(content).hexdigest()
        self.rep_files.setdefault(rel, set()).add(digest)
        self.rep_contents[digest] += 1

    def run_sync(self, kill_after: float | None) -> tuple[str, float]:
        """Run the child; kill it ``kill_after`` seconds into the sync. Returns how it ended."""
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", str(self.home)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, **KEYRING_ENV},
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "syncing"
        started = time.monotonic()
        if kill_after is None:
            process.wait()
            return ("ok" if process.returncode == 0 else "failed"), time.monotonic() - started
        try:
            process.wait(kill_after)
            outcome = "finished before the kill"
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            outcome = "killed"
        process.stdout.close()
        return outcome, time.monotonic() - started

    def check_after_kill(self) -> list[str]:
        problems = []
        for rel, path in files(self.mirror).items():
            if rel.endswith(".part"):
                problems.append(f"partial file in the mirror: {rel}")
                continue
            digest = sha(path)
            if digest not in self.served.get(rel, set()) | self.rep_files.get(rel, set()):
                problems.append(f"wrong file under a final name: {rel}")
        return problems

    def check_converged(self, manifest: dict[str, Any]) -> list[str]:
        problems = []
        want = {d["path"]: d["sha256"] for d in manifest["documents"] if not d["withdrawn"]}
        have = {rel: sha(p) for rel, p in files(self.mirror).items()}
        if have != want:
            extra = sorted(set(have) - set(want))[:3]
            missing = sorted(set(want) - set(have))[:3]
            wrong = sorted(k for k in set(want) & set(have) if want[k] != have[k])[:3]
            problems.append(f"mirror differs: extra {extra}, missing {missing}, wrong {wrong}")
        kept = Counter(sha(p) for p in files(self.edits).values())
        lost = self.rep_contents - kept
        if lost:
            problems.append(f"{sum(lost.values())} rep files are not in My edits")
        leftovers = list((self.home / "downloads").glob("*"))
        if leftovers:
            names = sorted(p.name for p in leftovers)[:3]
            problems.append(f"{len(leftovers)} leftovers in downloads/: {names}")
        return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--mb", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
    rng = random.Random(args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="fieldkit-kill-"))
    tree = work / "tree"
    total = make_tree(tree, args.files, args.mb * 1_000_000, seed=args.seed)
    print(f"hub tree: {args.files} files, {total / 1e6:.0f} MB; {args.runs} runs", flush=True)
    violations: list[str] = []
    outcomes: Counter[str] = Counter()
    try:
        with hub_process(tree, work) as (url, token, _pid):
            bench = Bench(work, url, token, tree, rng)
            subprocess.run(
                [*FIELDKIT, "--home", str(bench.home), "connect", url, "--token", token],
                check=True, stdout=subprocess.DEVNULL, env={**os.environ, **KEYRING_ENV},
            )
            bench.manifest()
            outcome, full = bench.run_sync(kill_after=None)  # calibrate: a full sync's length
            print(f"a full sync takes {full:.1f} s ({outcome})", flush=True)
            # Kills land uniformly over how long one run's sync takes, learnt as runs go.
            window = full / 2
            for run in range(1, args.runs + 1):
                bench.change_hub()
                bench.change_laptop()
                manifest = bench.manifest()
                delay = rng.uniform(0.0, window)
                outcome, took = bench.run_sync(kill_after=delay)
                outcomes[outcome] += 1
                if outcome != "killed":
                    window = (window + 1.1 * took) / 2
                problems = [f"run {run}: {p}" for p in bench.check_after_kill()]
                ended, seconds = bench.run_sync(kill_after=None)
                if ended != "ok":
                    problems.append(f"run {run}: the sync after the kill did not succeed")
                problems += [f"run {run}: {p}" for p in bench.check_converged(manifest)]
                violations += problems
                print(
                    f"run {run:3d}: {outcome} at {delay:.2f} s; converged in {seconds:.1f} s"
                    + ("" if not problems else f"; PROBLEMS: {problems}"),
                    flush=True,
                )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"runs: {args.runs}; " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    print(f"violations: {len(violations)}")
    for problem in violations:
        print("  " + problem)
    raise SystemExit(1 if violations else 0)


if __name__ == "__main__":
    main()
