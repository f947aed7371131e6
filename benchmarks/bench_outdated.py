"""The Outdated view at scale: how long the UI thread stalls while freshness is read and a big
Downloads folder is scanned for old copies, beside the naive peer (the same work on the UI thread).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_outdated.py [--docs N] [--files M]

A real hub on 127.0.0.1 publishes N documents, the laptop syncs them, the hub publishes a second
version of each and the laptop learns of it without downloading (all N are "update available").
A Downloads folder gets M files, one in a hundred an old copy (v1 bytes). Then, in a window with
the Outdated view:

* fieldkit: ``FreshnessFeature.rescan()`` (an incremental scan, then the freshness read, on task
  runners) until the view lists the N documents and the copies. A 5 ms QTimer on the UI thread
  records its longest gap.
* peer: the same reads and the same scan called on the UI thread, then the rows set.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "core"), str(REPO / "tests" / "ui")]

from freshness_support import Laptop, RunningHub, write  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from ui_support import RecordingLauncher  # noqa: E402

from fieldkit.core.open_latest import prepare_open  # noqa: E402
from fieldkit.core.source import HubSource  # noqa: E402
from fieldkit.core.sync import SyncControl, Syncer  # noqa: E402
from fieldkit.ui.freshness_feature import FreshnessFeature  # noqa: E402
from fieldkit.ui.latest_opener import LatestOpener  # noqa: E402
from fieldkit.ui.outdated_view import OutdatedView  # noqa: E402
from fieldkit.ui.status_bar import StatusPanel  # noqa: E402
from fieldkit.ui.tasks import TaskRunner  # noqa: E402


class GapMeter:
    """The longest time the UI thread went without running a 5 ms timer."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.longest = 0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.longest = 0
        self.clock.start()
        self.timer.start()

    def tick(self) -> None:
        self.longest = max(self.longest, self.clock.restart())

    def stop(self) -> int:
        self.timer.stop()
        self.tick()
        return self.longest


def prepare(root: Path, docs: int, files: int) -> tuple[RunningHub, Laptop, Path]:
    approved = root / "approved"
    for n in range(docs):
        write(approved, f"Area {n % 20}/Doc {n}.txt", f"document {n}, version one\n")
    hub = RunningHub(approved, root / "hub.sqlite3")
    laptop = Laptop(root / "home")
    laptop.sync(hub)
    for n in range(docs):
        write(approved, f"Area {n % 20}/Doc {n}.txt", f"document {n}, version two!\n")
    hub.rescan()
    control = SyncControl()
    control.cancel()  # learn the manifest, download nothing
    with HubSource(hub.url, hub.token) as source:
        Syncer(laptop.home, laptop.sessions, source, control=control).run()
    downloads = root / "Downloads"
    for n in range(files):
        folder = downloads / f"sub {n % 50}"
        if n % 100 == 0:
            write(folder, f"copy {n}.txt", f"document {n % docs}, version one\n")
        else:
            write(folder, f"file {n}.bin", b"x" * (100 + n % 5000))
    return hub, laptop, downloads


def wait(app: QApplication, done: object) -> None:
    while not done():  # type: ignore[operator]
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    app = QApplication([])
    with tempfile.TemporaryDirectory() as temp:
        started = time.perf_counter()
        hub, laptop, downloads = prepare(Path(temp), args.docs, args.files)
        print(f"prepared {args.docs} documents and {args.files} files in "
              f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f}")
        runner, scan_runner = TaskRunner(threads=2), TaskRunner(threads=1)
        launcher = RecordingLauncher()
        feature = FreshnessFeature(
            laptop.client, runner=runner, scan_runner=scan_runner, launcher=launcher, watch=False
        )
        feature.stale.add_folder(downloads)
        status = StatusPanel(QAction("Sync"), QAction("Pause"))
        opener = LatestOpener(
            prepare=lambda ref: prepare_open(
                laptop.home, laptop.sessions, ref, fetch=None, expiring_days=14
            ),
            runner=runner,
            launcher=launcher,
            status=status,
        )
        view = OutdatedView(feature, opener)
        view.resize(1280, 800)
        view.show()
        began = time.perf_counter()
        first = feature.stale.scan()
        print(f"first scan of Downloads: {first.files} files, {first.hashed} hashed, "
              f"{len(first.copies)} old copies, {time.perf_counter() - began:.2f} s; the runs "
              "below rescan it incrementally")
        meter = GapMeter()
        copies = args.files // 100
        ours: list[tuple[int, float]] = []
        peers: list[tuple[int, float]] = []
        for run in range(args.runs):
            view.documents_model.set_rows(())
            view.copies_model.set_rows(())
            app.processEvents()
            # fieldkit: off the UI thread.
            meter.start()
            began = time.perf_counter()
            feature.rescan()
            wait(app, lambda: view.documents_model.rowCount() == args.docs
                 and view.copies_model.rowCount() == copies)
            ours.append((meter.stop(), time.perf_counter() - began))
            # peer: the same work on the UI thread.
            view.documents_model.set_rows(())
            view.copies_model.set_rows(())
            app.processEvents()
            meter.start()
            began = time.perf_counter()
            feature.stale.scan()
            snapshot = feature._read()  # the very read the feature runs
            view.documents_model.set_rows(snapshot.attention())
            view.copies_model.set_rows(snapshot.copies)
            app.processEvents()
            peers.append((meter.stop(), time.perf_counter() - began))
            print(f"run {run + 1}: fieldkit longest UI stall {ours[-1][0]} ms "
                  f"(done in {ours[-1][1]:.2f} s); peer {peers[-1][0]} ms "
                  f"(done in {peers[-1][1]:.2f} s)")
        print(f"median longest UI-thread stall: fieldkit {statistics.median(o[0] for o in ours)} "
              f"ms, peer {statistics.median(p[0] for p in peers)} ms; median time to the full "
              f"list: fieldkit {statistics.median(o[1] for o in ours):.2f} s, peer "
              f"{statistics.median(p[1] for p in peers):.2f} s; load average "
              f"{os.getloadavg()[0]:.1f}")
        feature.stop()
        runner.shutdown()
        view.close()
        laptop.close()
        hub.stop()


if __name__ == "__main__":
    main()
