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
def hub_process(root: Path, work: Path) -> Iterator[tuple[str, str]]:
    """``fieldkit hub serve`` over ``root``; yields (url, token)."""
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
        yield url, token
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def rclone_server(root: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        ["rclone", "serve", "http", str(root), "--addr", f"127.0.0.1:{port}", "--read-only"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: httpx.get(url).status_code == 200, "rclone serve http")
        yield url
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


def full_sync(work: Path, files: int, megabytes: int) -> None:
    tree = work / "tree"
    print(f"generating {files} files, about {megabytes} MB ...", flush=True)
    total = make_tree(tree, files, megabytes * 1_000_000)
    print(f"tree: {files} files, {total / 1e6:.1f} MB")

    with hub_process(tree, work) as (url, token):
        client = Client(work / "fieldkit-home")
        seconds, result = client.sync(url, token)
        assert result.ok and result.downloaded == files, result
        again, again_cpu = client.no_change_cpu(url, token, runs=5)
        cli = cli_no_change(client, url, token, runs=3)
        client.close()
        wide = Client(work / "fieldkit-home-8")
        seconds_8, result = wide.sync(url, token, jobs=8)
        assert result.ok and result.downloaded == files, result
        wide.close()

    local = Client(work / "fieldkit-home-folder")
    local_seconds, result = local.sync_folder(tree)
    assert result.ok and result.downloaded == files, result
    local.close()
    copy_seconds = run_timed(["cp", "-a", str(tree), str(work / "cp-copy")])

    with rclone_server(tree) as rclone_url:
        dest = work / "rclone-copy"
        command = ["rclone", "copy", ":http:", str(dest), "--http-url", rclone_url]
        rclone_full = run_timed(command)
        rclone_again = run_timed(command)

    print()
    print(f"| full sync, {files} files, {total / 1e6:.0f} MB | time | throughput | no-change run |")
    print("|---|---|---|---|")
    print(f"| fieldkit sync from the hub, 4 downloads (in-process) | {seconds:.2f} s "
          f"| {mb_s(total, seconds)} | {again * 1000:.0f} ms wall, {again_cpu * 1000:.0f} ms CPU "
          f"(whole `fieldkit sync` process: {cli * 1000:.0f} ms) |")
    print(f"| fieldkit sync from the hub, 8 downloads | {seconds_8:.2f} s "
          f"| {mb_s(total, seconds_8)} | |")
    print(f"| fieldkit sync from the same tree as a local folder source | {local_seconds:.2f} s "
          f"| {mb_s(total, local_seconds)} | |")
    print(f"| rclone copy from rclone serve http | {rclone_full:.2f} s "
          f"| {mb_s(total, rclone_full)} | {rclone_again * 1000:.0f} ms |")
    print(f"| cp -a (local floor, no hashing, no fsync) | {copy_seconds:.2f} s "
          f"| {mb_s(total, copy_seconds)} | |")
    print(f"ratio fieldkit (hub, 4) / rclone time: {seconds / rclone_full:.2f}", flush=True)


def no_change_library(work: Path, documents: int) -> None:
    tree = work / "library"
    print(f"\ngenerating a {documents}-document library ...", flush=True)
    make_tree(tree, documents, documents * 2_000, seed=11)
    with hub_process(tree, work) as (url, token):
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
    args = parser.parse_args()
    if shutil.which("rclone") is None:
        raise SystemExit("rclone is needed: apt-get install -y rclone")
    work = args.work or Path(tempfile.mkdtemp(prefix="fieldkit-bench-sync-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.only != "library":
            full_sync(work, args.files, args.mb)
        if args.only != "full":
            no_change_library(work, args.library)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
