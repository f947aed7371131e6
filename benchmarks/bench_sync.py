"""Sync speed: a full sync of a mixed tree and a no-change sync, side by side with rclone.

Figures are printed, not asserted. Both tools copy the same generated tree over loopback:
fieldkit from the real hub (``fieldkit hub serve`` in its own process), rclone from
``rclone serve http`` (Debian package ``rclone``) with ``rclone copy :http:``.

    .venv/bin/python benchmarks/bench_sync.py                    # 2,000 files, ~500 MB; 10,000 docs
    .venv/bin/python benchmarks/bench_sync.py --files 500 --mb 100 --library 2000   # quicker
    .venv/bin/python benchmarks/bench_sync.py --only library     # just the 10,000-document part

fieldkit's sync runs in this process (``Syncer.run``: manifest, plan, 4 parallel downloads,
sha256 while streaming, fsync of every file and its folder, rename into place); the
no-change sync is also timed as a whole ``fieldkit sync`` process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from fieldkit.core.catalog import CATALOG_MIGRATIONS, CATALOG_SCHEMA_VERSION, CatalogBase
from fieldkit.core.db import make_engine, session_factory, sqlite_url, upgrade_schema
from fieldkit.core.home import HomePaths
from fieldkit.core.source import FolderSource, HubSource
from fieldkit.core.sync import Syncer, SyncResult

FIELDKIT = [sys.executable, "-m", "fieldkit"]


def make_tree(root: Path, files: int, total_bytes: int, seed: int = 7) -> int:
    """``files`` files of mixed sizes (log-normal: many small, a few large) adding up to
    about ``total_bytes``, in nested folders. Returns the exact total."""
    rng = random.Random(seed)
    weights = [rng.lognormvariate(0, 1.6) for _ in range(files)]
    scale = total_bytes / sum(weights)
    folders = [f"Area {a}/Topic {t}" for a in range(8) for t in range(6)]
    total = 0
    for n, weight in enumerate(weights):
        size = max(1, int(weight * scale))
        path = root / rng.choice(folders) / f"document {n:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        total += size
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: object, what: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


@contextmanager
def hub_process(root: Path, work: Path) -> Iterator[tuple[str, str, int]]:
    """``fieldkit hub serve`` over ``root``; yields (url, token, pid)."""
    db = str(work / f"hub-{root.name}.sqlite3")
    added = subprocess.run(
        [*FIELDKIT, "hub", "add-rep", "bench", "--json", "--db", db],
        check=True, capture_output=True, text=True,
    )
    token = json.loads(added.stdout)["token"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [*FIELDKIT, "hub", "serve", "--root", str(root), "--db", db, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: httpx.get(url + "/api/v1/health").status_code == 200, "the hub")
        yield url, token, process.pid
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def rclone_server(root: Path) -> Iterator[tuple[str, int]]:
    """``rclone serve http`` over ``root``; yields (url, pid)."""
    port = free_port()
    process = subprocess.Popen(
        ["rclone", "serve", "http", str(root), "--addr", f"127.0.0.1:{port}", "--read-only"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: httpx.get(url).status_code == 200, "rclone serve http")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(30)


class Client:
    def __init__(self, root: Path) -> None:
        self.home = HomePaths(root).ensure()
        self.engine = make_engine(sqlite_url(self.home.catalog_db))
        upgrade_schema(self.engine, CatalogBase, CATALOG_SCHEMA_VERSION, CATALOG_MIGRATIONS)
        self.sessions = session_factory(self.engine)

    def sync(self, url: str, token: str, jobs: int = 4) -> tuple[float, SyncResult]:
        with HubSource(url, token, connections=jobs) as source:
            started = time.perf_counter()
            result = Syncer(self.home, self.sessions, source, jobs=jobs).run()
            return time.perf_counter() - started, result

    def sync_folder(self, folder: Path) -> tuple[float, SyncResult]:
        source = FolderSource(folder, self.sessions)
        started = time.perf_counter()
        result = Syncer(self.home, self.sessions, source).run()
        return time.perf_counter() - started, result

    def no_change_cpu(self, url: str, token: str, runs: int) -> tuple[float, float]:
        """Median wall and CPU seconds of in-process no-change syncs."""
        walls, cpus = [], []
        for _ in range(runs):
            cpu = time.process_time()
            seconds, result = self.sync(url, token)
            cpus.append(time.process_time() - cpu)
            walls.append(seconds)
            assert result.not_modified, result
        return statistics.median(walls), statistics.median(cpus)

    def close(self) -> None:
        self.engine.dispose()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def cli_no_change(client: Client, url: str, token: str, runs: int) -> float:
    home = str(client.home.root)
    # The token goes to the home folder's private file, not the machine's keyring.
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    subprocess.run(
        [*FIELDKIT, "--home", home, "connect", url, "--token", token],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [*FIELDKIT, "--home", home, "sync", "--json"], check=True, env=env,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def mb_s(total: int, seconds: float) -> str:
    return f"{total / seconds / 1e6:.0f} MB/s"


def settle_disk() -> None:
    """Write out what earlier runs left in the page cache, so no run pays for another's."""
    os.sync()


def full_sync(work: Path, files: int, megabytes: int, rounds: int) -> None:
    tree = work / "tree"
    print(f"generating {files} files, about {megabytes} MB ...", flush=True)
    total = make_tree(tree, files, megabytes * 1_000_000)
    print(f"tree: {files} files, {total / 1e6:.1f} MB")

    ours: list[float] = []
    theirs: list[float] = []
    our_cpu: list[float] = []
    their_cpu: list[float] = []
    with hub_process(tree, work) as (url, token, hub_pid), rclone_server(tree) as (
        rclone_url, rclone_pid
    ):
        # Untimed: both servers read the tree once (the hub has hashed it at start).
        warm = Client(work / "fieldkit-warm-up")
        warm.sync(url, token)
        warm.close()

        def rclone_copy(dest: Path) -> float:
            return run_timed(["rclone", "copy", ":http:", str(dest), "--http-url", rclone_url])

        # Alternating rounds: a change in the machine's load hits both tools alike. Nothing is
        # deleted between rounds: ext4 skips inodes freed in the last minute when it creates
        # files, so creating 2,000 files right after deleting 2,000 costs several times more
        # kernel time, which a rep's sync never pays.
        for n in range(rounds):
            home = work / f"fieldkit-home-{n}"
            client = Client(home)
            settle_disk()
            cpu = time.process_time() + process_cpu(hub_pid)
            seconds, result = client.sync(url, token)
            our_cpu.append(time.process_time() + process_cpu(hub_pid) - cpu)
            assert result.ok and result.downloaded == files, result
            ours.append(seconds)
            if n < rounds - 1:
                client.close()
            dest = work / f"rclone-copy-{n}"
            settle_disk()
            cpu = children_cpu() + process_cpu(rclone_pid)
            theirs.append(rclone_copy(dest))
            their_cpu.append(children_cpu() + process_cpu(rclone_pid) - cpu)
            print(f"round {n + 1}: fieldkit {seconds:.2f} s ({our_cpu[-1]:.2f} s CPU, client and "
                  f"hub), rclone {theirs[-1]:.2f} s ({their_cpu[-1]:.2f} s CPU, client and "
                  "server)", flush=True)
        again, again_cpu = client.no_change_cpu(url, token, runs=5)
        cli = cli_no_change(client, url, token, runs=3)
        client.close()
        rclone_again = rclone_copy(dest)
        wide = Client(work / "fieldkit-home-8")
        settle_disk()
        seconds_8, result = wide.sync(url, token, jobs=8)
        assert result.ok and result.downloaded == files, result
        wide.close()

    local = Client(work / "fieldkit-home-folder")
    settle_disk()
    local_seconds, result = local.sync_folder(tree)
    assert result.ok and result.downloaded == files, result
    local.close()
    settle_disk()
    copy_seconds = run_timed(["cp", "-a", str(tree), str(work / "cp-copy")])

    seconds, rclone_full = statistics.median(ours), statistics.median(theirs)
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    print()
    print(f"| full sync, {files} files, {total / 1e6:.0f} MB (median of {rounds} alternating "
          "rounds) | time | throughput | no-change run |")
    print("|---|---|---|---|")
    print(f"| fieldkit sync from the hub, 4 downloads (in-process) | {seconds:.2f} s "
          f"| {mb_s(total, seconds)} | {again * 1000:.0f} ms wall, {again_cpu * 1000:.0f} ms CPU "
          f"(whole `fieldkit sync` process: {cli * 1000:.0f} ms) |")
    print(f"| fieldkit sync from the hub, 8 downloads (one run) | {seconds_8:.2f} s "
          f"| {mb_s(total, seconds_8)} | |")
    print(f"| fieldkit sync from the same tree as a local folder source (one run) "
          f"| {local_seconds:.2f} s | {mb_s(total, local_seconds)} | |")
    print(f"| rclone copy from rclone serve http | {rclone_full:.2f} s "
          f"| {mb_s(total, rclone_full)} | {rclone_again * 1000:.0f} ms |")
    print(f"| cp -a (local floor, no hashing, no fsync) | {copy_seconds:.2f} s "
          f"| {mb_s(total, copy_seconds)} | |")
    print(f"ratio fieldkit (hub, 4) / rclone time, per round: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}")
    print(f"CPU of a full sync, client and server, median: fieldkit "
          f"{statistics.median(our_cpu):.2f} s, rclone {statistics.median(their_cpu):.2f} s "
          f"(ratio {statistics.median(our_cpu) / statistics.median(their_cpu):.2f})", flush=True)


def no_change_library(work: Path, documents: int) -> None:
    tree = work / "library"
    print(f"\ngenerating a {documents}-document library ...", flush=True)
    make_tree(tree, documents, documents * 2_000, seed=11)
    with hub_process(tree, work) as (url, token, _pid):
        client = Client(work / "library-home")
        first, result = client.sync(url, token, jobs=8)
        assert result.ok and result.downloaded == documents, result
        wall, cpu = client.no_change_cpu(url, token, runs=7)
        cli = cli_no_change(client, url, token, runs=5)
        client.close()
    print()
    print(f"| {documents} documents | time |")
    print("|---|---|")
    print(f"| first sync (8 downloads) | {first:.2f} s |")
    print(f"| no-change sync, in-process (median of 7) | {wall * 1000:.0f} ms wall, "
          f"{cpu * 1000:.0f} ms CPU |")
    print(f"| no-change `fieldkit sync --json` process (median of 5) | {cli * 1000:.0f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--library", type=int, default=10000)
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--only", choices=("full", "library"), help="run just one of the two")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating fieldkit/rclone full syncs (default 3)")
    args = parser.parse_args()
    if shutil.which("rclone") is None:
        raise SystemExit("rclone is needed: apt-get install -y rclone")
    work = args.work or Path(tempfile.mkdtemp(prefix="fieldkit-bench-sync-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.only != "library":
            full_sync(work, args.files, args.mb, args.rounds)
        if args.only != "full":
            no_change_library(work, args.library)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
