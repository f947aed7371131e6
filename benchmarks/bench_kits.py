"""Meeting kits at scale: the readiness check of every kit, and how long the UI thread stalls
while the Kits tab refreshes, each beside a naive peer in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_kits.py [--kits K] [--size S]

A real hub on 127.0.0.1 publishes K×S documents; the laptop syncs them and makes K kits of S
documents each (meetings tomorrow). Then:

* readiness: ``Kits.check_all()`` (one reading of the manifest for every kit) beside the peer,
  ``Kits.check(name)`` once per kit (a reading per kit).
* UI stall: ``KitsController.check()`` (on the task runner) until the Kits view shows the kits,
  beside the same read called on the UI thread and the rows set; a 5 ms QTimer on the UI thread
  records the longest gap.

Prints figures (medians of --runs); asserts nothing.
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
sys.path[:0] = [str(REPO / "tests" / "core")]

from freshness_support import Laptop, RunningHub, write  # noqa: E402
from keyring.backends import fail  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from fieldkit.core.credentials import TokenStore  # noqa: E402
from fieldkit.core.kits import Kits  # noqa: E402
from fieldkit.ui.freshness_feature import latest_preparer  # noqa: E402
from fieldkit.ui.kits_controller import KitsController, KitsSnapshot  # noqa: E402
from fieldkit.ui.kits_view import KitsView  # noqa: E402
from fieldkit.ui.latest_opener import LatestOpener  # noqa: E402
from fieldkit.ui.launcher import DesktopLauncher  # noqa: E402
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
        self.tick()
        self.timer.stop()
        return self.longest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kits", type=int, default=20)
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "approved"
        for n in range(args.kits * args.size):
            write(root, f"Docs/doc{n:05}.txt", f"approved document {n}\n")
        hub = RunningHub(root, Path(tmp) / "hub.sqlite3")
        laptop = Laptop(Path(tmp) / "home")
        try:
            laptop.sync(hub)
            kits = Kits(laptop.home, laptop.sessions, expiring_days=14)
            tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86_400))
            for k in range(args.kits):
                kits.create(f"Kit {k}", customer=f"Customer {k}", meeting=f"{tomorrow} 10:00")
                docs = range(k * args.size, (k + 1) * args.size)
                kits.add(f"Kit {k}", [f"Docs/doc{n:05}.txt" for n in docs])
            names = [kit.name for kit in kits.all()]
            ours, peer = [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                kits.check_all()
                ours.append(time.perf_counter() - started)
                started = time.perf_counter()
                for name in names:
                    kits.check(name)
                peer.append(time.perf_counter() - started)
            print(f"{args.kits} kits of {args.size} documents, load {os.getloadavg()[0]:.1f}")
            print(f"readiness  check_all: {statistics.median(ours) * 1000:7.1f} ms   "
                  f"per-kit check (peer): {statistics.median(peer) * 1000:7.1f} ms")

            runner = TaskRunner(threads=2)
            controller = KitsController(lambda: kits, runner)
            view = KitsView(controller, make_opener(laptop, runner), DesktopLauncher())
            view.resize(1200, 700)
            view.show()
            meter = GapMeter()
            stalls_ours, stalls_peer = [], []
            for _ in range(args.runs):
                loop = QEventLoop()
                controller.kits_read.connect(loop.quit)
                meter.start()
                controller.check()
                loop.exec()
                controller.kits_read.disconnect(loop.quit)
                stalls_ours.append(meter.stop())
                meter.start()
                app.processEvents()
                snapshot = KitsSnapshot(kits.check_all(), controller.snapshot().now, frozenset())
                view.kits_model.set_kits(snapshot.kits, snapshot.now)
                app.processEvents()
                stalls_peer.append(meter.stop())
            print(f"UI stall   controller: {statistics.median(stalls_ours):5.0f} ms   "
                  f"read on the UI thread (peer): {statistics.median(stalls_peer):5.0f} ms")
            controller.stop()
            runner.shutdown()
            view.close()
        finally:
            laptop.close()
            hub.stop()
    app.quit()


def make_opener(laptop: Laptop, runner: TaskRunner) -> LatestOpener:
    """The app's open-latest, which the Kits view opens documents through (nothing opens here)."""
    tokens = TokenStore(laptop.home, fail.Keyring())
    return LatestOpener(
        prepare=latest_preparer(laptop.client, tokens, lambda _paths: None),
        runner=runner,
        launcher=DesktopLauncher(),
        status=StatusPanel(QAction("Sync now"), QAction("Pause")),
    )


if __name__ == "__main__":
    main()
