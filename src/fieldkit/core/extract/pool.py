"""Extraction in worker processes: a time limit and a memory cap per file, every core busy.

The parent sends paths (never file contents) down one pipe per worker and keeps several files
queued at each worker, so a worker rarely waits for the parent. Workers send results back in
small batches: one pipe write per file costs more than a small text file's extraction. Each worker
also writes which file it is reading, and since when, into a little shared memory; from that the
parent enforces the time limit and blames the right file, batches or not.

A worker that overruns the time limit is killed and replaced; one that crashes costs only the file
it was reading; files it had finished but not yet reported are read again by its successor.
Workers start from a fork server (never a plain fork of the Qt process), or by spawn off Linux.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from fieldkit.core.extract.model import (
    DAMAGED,
    DEFAULT_MAX_CHARS,
    EMPTY,
    OUT_OF_MEMORY,
    TOO_LARGE,
    TOO_SLOW,
    UNREADABLE,
    Extracted,
    ExtractionFailed,
    Failure,
)

log = logging.getLogger(__name__)

MAX_QUEUED: Final = 48  # files sent to one worker and not yet reported
MAX_QUEUED_BYTES: Final = 8 * 1024 * 1024  # ... unless it would hold more than this much file
MAX_TASKS_PER_WORKER: Final = 2000  # a fresh process now and then bounds leaks in C libraries
_BATCH: Final = 16  # results a worker holds back at most
_BATCH_CHARS: Final = 4_000_000  # ... or this much text
_HOLD_S: Final = 0.05  # ... or for this long
_BIG_FILE: Final = 1024 * 1024  # a worker reports what it holds before reading a bigger file
# The parent sends while the worker may be sending a big batch: the paths in flight must fit in
# the pipe's buffer, or both would wait for each other.
_MAX_QUEUED_NAMES: Final = 16 * 1024
_STOP_GRACE_S: Final = 5.0
_START_TIMEOUT_S: Final = 60.0
_READY: Final = "ready"
_MB: Final = 1024 * 1024

Result = Extracted | Failure


def _context() -> BaseContext:
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        # Workers fork from a server that has already imported the main module and the parsers.
        ctx.set_forkserver_preload(["__main__", "fieldkit.core.extract"])
        return ctx
    return multiprocessing.get_context("spawn")


def _cap_memory(memory_mb: int) -> None:
    if sys.platform == "win32":
        return  # no address-space limit on Windows; the time limit still bounds a runaway file
    import resource

    limit = memory_mb * _MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError) as exc:  # macOS refuses some limits
        log.warning("Could not cap extraction memory at %d MB: %s", memory_mb, exc)


@dataclass(frozen=True)
class _Outcome:
    """What a worker reports for one file."""

    task_id: int
    result: Result
    retire: bool  # the worker exits after this report and must be replaced
    bug: str | None = None  # the traceback of an unexpected exception, for the parent's log


def _extract_one(task_id: int, path: Path, max_chars: int) -> _Outcome:
    from fieldkit.core.extract import extract_file

    try:
        return _Outcome(task_id, extract_file(path, max_chars=max_chars), retire=False)
    except ExtractionFailed as exc:
        return _Outcome(task_id, Failure(exc.reason, exc.detail), retire=False)
    except MemoryError:
        failure = Failure(OUT_OF_MEMORY, "the file needs more memory than a worker may use")
        return _Outcome(task_id, failure, retire=True)
    except Exception as exc:
        failure = Failure(DAMAGED, f"unexpected {type(exc).__name__}: {exc}")
        return _Outcome(task_id, failure, retire=True, bug=traceback.format_exc())


def _chars(outcome: _Outcome) -> int:
    return outcome.result.chars if isinstance(outcome.result, Extracted) else 0


class _Reporter:
    """The worker's side of the result pipe: holds results back briefly and sends them together."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._held: list[_Outcome] = []
        self._chars = 0
        self._since = 0.0

    def add(self, outcome: _Outcome) -> None:
        if not self._held:
            self._since = time.monotonic()
        self._held.append(outcome)
        self._chars += _chars(outcome)

    def due(self) -> bool:
        """Whether to send now: a full batch, an old one, or no more files waiting in the pipe."""
        if not self._held:
            return False
        return (
            len(self._held) >= _BATCH
            or self._chars >= _BATCH_CHARS
            or time.monotonic() - self._since >= _HOLD_S
            or not self._conn.poll()
        )

    def send(self) -> None:
        if not self._held:
            return
        try:
            self._conn.send(self._held)
        except MemoryError:
            failure = Failure(OUT_OF_MEMORY, "the text did not fit in memory")
            self._conn.send([_Outcome(o.task_id, failure, retire=True) for o in self._held])
        self._held, self._chars = [], 0


def _worker_main(conn: Connection, status: Any, memory_mb: int, max_chars: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _cap_memory(memory_mb)
    conn.send(_READY)
    reporter = _Reporter(conn)
    done = 0
    while True:
        if reporter.due():
            reporter.send()
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        task_id, raw_path, size = message
        if size > _BIG_FILE:
            reporter.send()  # a big file may take long: report what is done first
        status[1] = time.monotonic()  # the start time first, then whose: see _Worker.running
        status[0] = task_id
        outcome = _extract_one(task_id, Path(raw_path), max_chars)
        status[0] = 0
        done += 1
        if done >= MAX_TASKS_PER_WORKER:
            outcome = dataclasses.replace(outcome, retire=True)
        reporter.add(outcome)
        if outcome.retire:
            reporter.send()
            return


@dataclass(frozen=True)
class _Task:
    task_id: int
    path: Path
    size: int


class _Worker:
    def __init__(self, ctx: BaseContext, memory_mb: int, max_chars: int) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.status = ctx.RawArray("d", 2)
        self.process = ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(child_end, self.status, memory_mb, max_chars),
            name="fieldkit-extract",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self.conn = parent_end
        self.queue: deque[_Task] = deque()  # sent and not yet reported, in order
        self.queued_bytes = 0
        self.queued_names = 0  # path characters in the pipe: it must never fill up
        self.exitcode: int | None = None  # set once the process is gone and released

    def wait_ready(self) -> None:
        """Waits for the worker's greeting: a worker that cannot start is a bug, not a bad file."""
        try:
            greeting = self.conn.recv() if self.conn.poll(_START_TIMEOUT_S) else None
        except (EOFError, OSError):
            greeting = None
        if greeting != _READY:
            self.kill()
            raise RuntimeError(f"an extraction worker failed to start (exit {self.exitcode})")

    def has_room(self) -> bool:
        if len(self.queue) < 2:
            return True
        return (
            len(self.queue) < MAX_QUEUED
            and self.queued_bytes < MAX_QUEUED_BYTES
            and self.queued_names < _MAX_QUEUED_NAMES
        )

    def send(self, task: _Task) -> None:
        name = str(task.path)
        self.queue.append(task)
        self.queued_bytes += task.size
        self.queued_names += len(name)
        with contextlib.suppress(OSError):  # a worker that just died shows as end-of-file
            self.conn.send((task.task_id, name, task.size))

    def reported(self, task_id: int) -> _Task:
        task = self.queue.popleft()
        if task.task_id != task_id:
            raise RuntimeError(f"extraction result {task_id} came for {task.task_id}")
        self.queued_bytes -= task.size
        self.queued_names -= len(str(task.path))
        return task

    def running(self) -> tuple[_Task, float] | None:
        """The file the worker is reading and since when, or None between files."""
        task_id = int(self.status[0])  # read before the time, which the worker writes first
        started = float(self.status[1])
        return next(((t, started) for t in self.queue if t.task_id == task_id), None)

    def crash_reason(self) -> str:
        """Why the worker died; releases it."""
        self.process.join(_STOP_GRACE_S)
        self.kill()
        if self.exitcode == -signal.SIGKILL:
            return OUT_OF_MEMORY  # the system's out-of-memory killer
        return DAMAGED

    def kill(self) -> None:
        if self.exitcode is not None:
            return
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.exitcode = self.process.exitcode
        self.conn.close()
        self.process.close()

    def stop(self) -> None:
        if self.exitcode is not None:
            return
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(_STOP_GRACE_S)
        self.kill()


class ExtractionPool:
    """Worker processes that extract files with a time limit and a memory cap per file."""

    def __init__(
        self,
        *,
        workers: int = 2,
        timeout_s: float = 20.0,
        memory_mb: int = 1024,
        max_chars: int = DEFAULT_MAX_CHARS,
        max_file_mb: int = 512,
    ) -> None:
        if workers < 1 or timeout_s <= 0 or memory_mb < 1 or max_chars < 1 or max_file_mb < 1:
            raise ValueError("ExtractionPool limits must be positive")
        self._ctx = _context()
        self._timeout_s = timeout_s
        self._memory_mb = memory_mb
        self._max_chars = max_chars
        self._max_file_bytes = max_file_mb * _MB
        self._workers = [self._spawn() for _ in range(workers)]
        self._next_id = 0
        self._running = False
        self._closed = False
        try:
            for worker in self._workers:
                worker.wait_ready()
        except RuntimeError:
            self.close()
            raise

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stops the workers; files still queued are dropped."""
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            if worker.queue:
                worker.kill()
            else:
                worker.stop()
        self._workers = []

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self._memory_mb, self._max_chars)

    def _replace(self, index: int, *, kill: bool) -> list[_Task]:
        """Starts a fresh worker in place of ``index``; returns the old one's unreported tasks."""
        old = self._workers[index]
        if kill:
            old.kill()
        else:
            old.stop()
        self._workers[index] = fresh = self._spawn()
        fresh.wait_ready()
        return list(old.queue)

    def _precheck(self, path: Path) -> Failure | int:
        """A failure known from the file's size alone, without reading it; else the size."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            return Failure(UNREADABLE, str(exc))
        if size == 0:
            return Failure(EMPTY, "0 bytes")
        if size > self._max_file_bytes:
            return Failure(TOO_LARGE, f"{size} bytes")
        return size

    def _dispatch(self, task: _Task) -> None:
        index = min(range(len(self._workers)), key=lambda i: len(self._workers[i].queue))
        if not self._workers[index].queue and not self._workers[index].process.is_alive():
            self._replace(index, kill=True)  # died while idle, e.g. by the system's OOM killer
        self._workers[index].send(task)

    def _resend(self, tasks: list[_Task]) -> None:
        for task in tasks:
            self._dispatch(task)

    def extract_many(self, paths: Iterable[Path]) -> Iterator[tuple[Path, Result]]:
        """Extracts every path and yields ``(path, result)`` as files finish, in any order."""
        if self._closed:
            raise RuntimeError("ExtractionPool is closed")
        if self._running:
            raise RuntimeError("ExtractionPool.extract_many is already running")
        self._running = True
        try:
            yield from self._run(iter(paths))
        finally:
            self._running = False
            if not self._closed:
                for index, worker in enumerate(self._workers):
                    if worker.queue:  # abandoned half-way: start clean next time
                        self._replace(index, kill=True)

    def _run(self, pending: Iterator[Path]) -> Iterator[tuple[Path, Result]]:
        exhausted = False
        while True:
            while not exhausted and any(w.has_room() for w in self._workers):
                path = next(pending, None)
                if path is None:
                    exhausted = True
                    break
                checked = self._precheck(path)
                if isinstance(checked, Failure):
                    yield path, checked
                    continue
                self._next_id += 1
                self._dispatch(_Task(self._next_id, path, checked))
            busy = [w for w in self._workers if w.queue]
            if not busy:
                return
            yield from self._collect(busy)

    def _collect(self, busy: list[_Worker]) -> Iterator[tuple[Path, Result]]:
        """Waits for the next results or the next overrun, and handles them."""
        now = time.monotonic()
        deadline = now + self._timeout_s
        for worker in busy:
            running = worker.running()
            if running is not None:
                deadline = min(deadline, running[1] + self._timeout_s)
        ready = wait([w.conn for w in busy], timeout=max(0.0, deadline - now))
        for worker in busy:
            if worker.conn in ready:
                yield from self._receive(worker)
        for index, worker in enumerate(self._workers):
            running = worker.running()
            # poll(): a report (or a crash) may have arrived while the caller held a yield
            if running is not None and not worker.conn.poll():
                task, started = running
                if time.monotonic() - started > self._timeout_s:
                    yield from self._overrun(index, task)

    def _receive(self, worker: _Worker) -> Iterator[tuple[Path, Result]]:
        index = self._workers.index(worker)
        try:
            outcomes: list[_Outcome] = worker.conn.recv()
        except (EOFError, OSError):
            yield from self._crashed(index)
            return
        reports = []
        for outcome in outcomes:
            task = worker.reported(outcome.task_id)
            if outcome.bug is not None:
                log.error("Extraction of %s failed unexpectedly:\n%s", task.path, outcome.bug)
            reports.append((task.path, outcome.result))
        if any(outcome.retire for outcome in outcomes):
            self._resend(self._replace(index, kill=False))
        yield from reports

    def _crashed(self, index: int) -> Iterator[tuple[Path, Result]]:
        worker = self._workers[index]
        running = worker.running()
        task = running[0] if running is not None else worker.queue[0]
        reason = worker.crash_reason()
        log.warning("Extraction worker died reading %s (%s)", task.path, reason)
        self._resend([t for t in self._replace(index, kill=True) if t is not task])
        yield task.path, Failure(reason, "the reader stopped on this file")

    def _overrun(self, index: int, task: _Task) -> Iterator[tuple[Path, Result]]:
        log.info("Extraction of %s took over %g s; restarting it", task.path, self._timeout_s)
        self._resend([t for t in self._replace(index, kill=True) if t is not task])
        yield task.path, Failure(TOO_SLOW, f"over {self._timeout_s:g} s")
