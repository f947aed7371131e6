"""The desktop app at 20,000 documents: start to a usable window, and keystroke to results.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_ui.py [--docs N] [--runs R]

The first run writes N real-text documents (benchmarks/textcorpus.py, shared with
bench_index.py) and indexes them into a client home under benchmarks/out/ui-home-N; later runs
reuse both. Prints figures; asserts nothing.

* Start to usable window: a fresh process (Python, Qt, the client, the window) until the window
  is painted, until it lists the library (the newest documents on screen: the first window lists
  them from the index while the rest of the app loads), and until the whole window is built and
  has answered its first search. Measured from before the process is spawned, so interpreter
  and import time count; modules compiled to bytecode as in an installed app (see
  ``child_env``).
* Keystroke to results: a keystroke in the search field until the results for the new text are
  in the list (model updated and the view repainted), in two phases of one process: while the
  start-up background work runs (reconcile scan, freshness, old-copy and kits checks, outbox,
  begun after the first listing), then with the app idle. "Single key": the last letter typed
  after a pause. "Typing": a whole query typed at 8 keys per second, measured from its last key.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from textcorpus import build_text_corpus

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
QUERIES = (
    "license",
    "warranty",
    "copyright holders",
    "documentation",
    "software freedom",
    "redistribution",
    "kernel",
    "python",
    '"without warranty"',
    "config*",
    "permission notice",
    "maintainer",
    "changelog",
    "upstream",
    "bug report",
    "compiler",
    "database",
    "network",
    "security",
    "translation",
)
TYPING_INTERVAL_MS = 125


def ensure_home(docs: int) -> Path:
    """A client home whose library is the N-document corpus, fully indexed (cached)."""
    from fieldkit.core.client import open_client
    from fieldkit.core.home import HomePaths

    corpus = OUT / f"text-{docs}"
    home_dir = OUT / f"ui-home-{docs}"
    marker = home_dir / ".indexed"
    build_text_corpus(corpus, docs)
    if marker.exists():
        return home_dir
    print(f"indexing {docs:,} documents into {home_dir} (once; reused later)…", flush=True)
    started = time.perf_counter()
    with open_client(HomePaths(home_dir).ensure()) as client:
        if not any(f.path == str(corpus.resolve()) for f in client.library.folders()):
            client.library.add_folder(corpus)
        report = client.library.index()
    print(f"  {report.indexed:,} indexed in {time.perf_counter() - started:.0f} s", flush=True)
    marker.write_text("", encoding="utf-8")
    return home_dir


# -- start to usable window (child process) -----------------------------------------------------


def child_start(home_dir: Path, settings_file: Path) -> None:
    """Open the app as ``fieldkit app`` does (fieldkit.ui.launch); print when the window is
    painted and when it lists the library."""
    from PySide6.QtCore import QSettings

    from fieldkit.core.home import HomePaths
    from fieldkit.ui.launch import Launch, LibraryLoader, make_application

    app = make_application(sys.argv[:1])
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    settings.setValue("first_run/done", True)
    marks: dict[str, float] = {}
    loader = LibraryLoader()  # as fieldkit.ui.launch.run opens the library

    def build(client: Any) -> Any:
        from fieldkit.ui.app import build_gui
        from fieldkit.ui.launcher import DesktopLauncher

        return build_gui(client, launcher=DesktopLauncher(), qsettings=settings)

    def mark_listed() -> None:
        if "listed" not in marks:
            marks["listed"] = time.time()
            marks["listed_cpu"] = time.process_time()

    def on_listed() -> None:
        launch.shell.repaint()
        mark_listed()

    def on_results(_results: object) -> None:
        if "results" not in marks and launch.gui is not None:
            launch.gui.window.repaint()
            mark_listed()
            marks["results"] = time.time()
            marks["results_cpu"] = time.process_time()
            app.quit()

    def on_ready(gui: Any) -> None:
        gui.window.search_view.results_shown.connect(on_results)

    launch = Launch(
        HomePaths(home_dir),
        settings,
        build=build,
        open_client=loader.open_client,
        list_library=loader.list_newest,
    )
    launch.listed.connect(on_listed)
    launch.gui_ready.connect(on_ready)
    launch.start()
    launch.shell.repaint()
    marks["painted"] = time.time()
    marks["painted_cpu"] = time.process_time()
    app.exec()
    launch.close()
    print(json.dumps(marks))


def child_env() -> dict[str, str]:
    """The app starts as an installed one does, with its modules compiled to bytecode (pip
    compiles them on install). This machine sets PYTHONDONTWRITEBYTECODE, which would compile
    every fieldkit module again at each start (~0.3 s of CPU); here the bytecode is kept in
    benchmarks/out/pycache, written by an untimed first start."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    return env


@dataclass
class StartFigures:
    painted: list[float]
    listed: list[float]
    built: list[float]
    painted_cpu: list[float]
    listed_cpu: list[float]
    built_cpu: list[float]


def measure_start(home_dir: Path, runs: int) -> StartFigures:
    figures = StartFigures([], [], [], [], [], [])
    settings_file = OUT / "bench-ui.ini"
    command = [sys.executable, __file__, "--child-start", str(home_dir), str(settings_file)]
    env = child_env()
    subprocess.run(command, capture_output=True, text=True, check=True, env=env)  # untimed
    for _ in range(runs):
        spawned = time.time()
        result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        marks = json.loads(result.stdout.strip().splitlines()[-1])
        figures.painted.append(marks["painted"] - spawned)
        figures.listed.append(marks["listed"] - spawned)
        figures.built.append(marks["results"] - spawned)
        figures.painted_cpu.append(marks["painted_cpu"])
        figures.listed_cpu.append(marks["listed_cpu"])
        figures.built_cpu.append(marks["results_cpu"])
    return figures


# -- keystroke to results (in process) ----------------------------------------------------------


@dataclass
class KeyFigures:
    """Keystroke figures of one phase, and the CPU the app's other threads used meanwhile."""

    single: list[float]
    typing: list[float]
    search_only: list[float]
    seconds: float
    background_cpu: float


def measure_keystrokes(
    home_dir: Path, busy_queries: int
) -> tuple[KeyFigures, KeyFigures, list[float]]:
    """Keystrokes while the start-up background work runs (the reconcile scan, the freshness,
    old-copy and kits checks, the outbox: they start ``scan_delay_ms`` after the window), then
    with the app idle. Each phase reports how much CPU the other threads of the process used
    while it ran, so "busy" is shown to be busy."""
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest

    from fieldkit.core.client import open_client
    from fieldkit.core.home import HomePaths
    from fieldkit.core.index import SearchRequest
    from fieldkit.ui.app import build_gui, make_application
    from fieldkit.ui.launcher import DesktopLauncher
    from fieldkit.ui.search_view import PAGE_SIZE

    app = make_application(sys.argv[:1])
    client = open_client(HomePaths(home_dir))
    settings = QSettings(str(OUT / "bench-ui.ini"), QSettings.Format.IniFormat)
    settings.setValue("first_run/done", True)
    gui = build_gui(client, launcher=DesktopLauncher(), qsettings=settings)
    view = gui.window.search_view
    gui.window.show()
    gui.start(sync_now=False)
    field = view.search_field

    arrived: dict[str, float] = {}

    def on_results(results: object) -> None:
        query = getattr(results, "query", "")
        view.results_view.viewport().repaint()
        arrived.setdefault(query, time.perf_counter())

    view.results_shown.connect(on_results)

    def wait_for(text: str, timeout_s: float = 60.0) -> float:
        deadline = time.monotonic() + timeout_s
        while text not in arrived:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no results for {text!r}")
            app.processEvents()
        return arrived[text]

    def phase(queries: tuple[str, ...], with_typing: bool) -> KeyFigures:
        started, cpu0, main0 = time.monotonic(), time.process_time(), time.thread_time()
        figures = KeyFigures([], [], [], 0.0, 0.0)
        for query in queries:
            # Single key: all but the last letter, a pause, then the last letter.
            field.setFocus()
            field.clear()
            arrived.clear()
            QTest.keyClicks(field, query[:-1])
            wait_for(query[:-1].strip())
            QTest.qWait(300)
            arrived.clear()
            pressed = time.perf_counter()
            QTest.keyClick(field, query[-1])
            figures.single.append(wait_for(query) - pressed)
            figures.search_only.append(view.last_latency_s)
            if not with_typing:
                continue
            # Typing the whole query at a steady pace.
            QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            QTest.keyClick(field, Qt.Key.Key_Delete)
            QTest.qWait(300)
            arrived.clear()
            for char in query:
                QTest.keyClick(field, char)
                pressed = time.perf_counter()
                QTest.qWait(TYPING_INTERVAL_MS)
            figures.typing.append(wait_for(query) - pressed)
        figures.seconds = time.monotonic() - started
        figures.background_cpu = (time.process_time() - cpu0) - (time.thread_time() - main0)
        return figures

    wait_for("")  # the library listed: the start-up work begins scan_delay_ms later
    busy = phase(QUERIES[:busy_queries], with_typing=False)

    # Idle: the reconcile scan done, no task queued, the other threads quiet for a second.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        cpu0, main0 = time.process_time(), time.thread_time()
        QTest.qWait(1000)
        others = (time.process_time() - cpu0) - (time.thread_time() - main0)
        if gui.index_service.wait_idle(0) and gui.runner.pending() == 0 and others < 0.02:
            break
    idle = phase(QUERIES, with_typing=True)

    # The index alone, on this thread: its CPU time is what an idle machine would wait for.
    search_cpu: list[float] = []
    for query in QUERIES:
        started = time.thread_time()
        client.library.search(SearchRequest(query=query, limit=PAGE_SIZE))
        search_cpu.append(time.thread_time() - started)

    gui.close()
    client.close()
    return busy, idle, search_cpu


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):6.0f} ms   p95 {p95:6.0f} ms   max {ms[-1]:6.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5, help="cold starts to time (0: none)")
    parser.add_argument(
        "--busy-queries", type=int, default=10, help="keystrokes timed during the start-up work"
    )
    parser.add_argument("--child-start", nargs=2, metavar=("HOME", "SETTINGS"), help="internal")
    args = parser.parse_args()
    if args.child_start:
        child_start(Path(args.child_start[0]), Path(args.child_start[1]))
        return 0

    home_dir = ensure_home(args.docs)
    print(f"fieldkit desktop app, {args.docs:,} documents ({home_dir})")
    if args.runs:
        start = measure_start(home_dir, args.runs)
        starts = f"({args.runs} cold starts)"
        print(f"start → window painted           {summary(start.painted)}   {starts}")
        print(f"start → usable (library listed)  {summary(start.listed)}   target ≤ 1500 ms")
        print(f"start → whole window, 1st search {summary(start.built)}")
        print(f"  CPU time of the process until painted  {summary(start.painted_cpu)}")
        print(f"  CPU time of the process until listed   {summary(start.listed_cpu)}")
        print(f"  CPU time until the whole window        {summary(start.built_cpu)}")
        print(f"  (load average when measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    busy, idle, search_cpu = measure_keystrokes(home_dir, args.busy_queries)
    print(
        f"while the start-up work runs ({len(busy.single)} queries in {busy.seconds:.1f} s, "
        f"{busy.background_cpu:.1f} s CPU in the other threads):"
    )
    print(f"  keystroke → results, single key  {summary(busy.single)}   target ≤ 100 ms")
    print(f"    search issued → results shown  {summary(busy.search_only)}")
    print(
        f"app idle ({len(idle.single)} queries in {idle.seconds:.1f} s, "
        f"{idle.background_cpu:.1f} s CPU in the other threads):"
    )
    print(f"  keystroke → results, single key  {summary(idle.single)}   target ≤ 100 ms")
    print(f"    search issued → results shown  {summary(idle.search_only)}")
    print(f"  keystroke → results, typing      {summary(idle.typing)}   (last key of a burst)")
    print(f"CPU time of the search alone       {summary(search_cpu)}")
    print(f"  (load average when measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
