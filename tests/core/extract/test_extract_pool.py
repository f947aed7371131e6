"""ExtractionPool: worker processes with a time limit and a memory cap, streaming results."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import extract_samples as samples
import pypdfium2 as pdfium
import pytest

from fieldkit.core.extract import Extracted, ExtractionPool, Failure, extract_file

BIG = 100_000_000  # a text cap that never cuts the slow PDF short


@pytest.fixture(scope="module")
def slow_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 4,000-page PDF: several seconds of PDFium work on any machine."""
    folder = tmp_path_factory.mktemp("slow")
    seed = samples.many_page_pdf(folder / "seed.pdf", 20)
    source = pdfium.PdfDocument(seed)
    grown = pdfium.PdfDocument.new()
    try:
        for _ in range(200):
            grown.import_pages(source)
        grown.save(folder / "catalogue.pdf")
    finally:
        grown.close()
        source.close()
    return folder / "catalogue.pdf"


def text_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def worker_pids() -> list[int]:
    return [
        p.pid
        for p in multiprocessing.active_children()
        if p.name == "fieldkit-extract" and p.pid is not None
    ]


def test_pool_extracts_like_extract_file_and_reports_every_file(tmp_path: Path) -> None:
    good = [
        samples.pdf(tmp_path / "a.pdf", ["page one", "page two"], title="Alpha"),
        samples.docx_file(tmp_path / "b.docx"),
        samples.pptx_file(tmp_path / "c.pptx"),
        samples.xlsx_file(tmp_path / "d.xlsx"),
        text_file(tmp_path / "e.md", "# Heading\nbody"),
    ]
    empty = text_file(tmp_path / "empty.txt", "")
    missing = tmp_path / "missing.docx"
    locked = samples.pdf(tmp_path / "locked.pdf", ["x"], password="pw")
    with ExtractionPool(workers=2) as pool:
        results = dict(pool.extract_many([*good, empty, missing, locked]))
    assert set(results) == {*good, empty, missing, locked}
    for path in good:
        assert results[path] == extract_file(path)
    assert results[empty] == Failure("empty file", "0 bytes")
    assert isinstance(results[missing], Failure)
    assert results[missing].reason == "can't be read"
    assert isinstance(results[locked], Failure)
    assert results[locked].reason == "password-protected"


def test_files_over_the_size_limit_are_too_large(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 300_000)  # 1.5 MB
    small = text_file(tmp_path / "small.txt", "fits")
    with ExtractionPool(workers=1, max_file_mb=1) as pool:
        results = dict(pool.extract_many([big, small]))
    assert isinstance(results[big], Failure)
    assert results[big].reason == "too large"
    assert isinstance(results[small], Extracted)


def test_text_cap_is_applied_in_the_workers(tmp_path: Path) -> None:
    path = text_file(tmp_path / "long.txt", "y" * 50_000)
    with ExtractionPool(workers=1, max_chars=1_000) as pool:
        [(_, result)] = list(pool.extract_many([path]))
    assert isinstance(result, Extracted)
    assert result.truncated and result.chars == 1_000


def test_results_stream_back_as_each_file_finishes(tmp_path: Path, slow_pdf: Path) -> None:
    quick = text_file(tmp_path / "quick.txt", "done at once")
    with ExtractionPool(workers=2, max_chars=300_000) as pool:
        order = [path for path, _ in pool.extract_many([slow_pdf, quick])]
    assert order == [quick, slow_pdf]


def test_overrunning_file_is_killed_and_the_pool_goes_on(tmp_path: Path, slow_pdf: Path) -> None:
    before = [text_file(tmp_path / f"before{i}.txt", f"file before {i}") for i in range(3)]
    after = [text_file(tmp_path / f"after{i}.txt", f"file after {i}") for i in range(3)]
    timeout_s = 1.0
    with ExtractionPool(workers=1, timeout_s=timeout_s, max_chars=BIG) as pool:
        started = time.monotonic()
        seen: dict[Path, Extracted | Failure] = {}
        for path, result in pool.extract_many([*before, slow_pdf, *after]):
            seen[path] = result
            if path == slow_pdf:
                elapsed = time.monotonic() - started
    failure = seen[slow_pdf]
    assert isinstance(failure, Failure)
    assert failure.reason == "took too long"
    assert timeout_s <= elapsed < timeout_s + 5.0
    for path in [*before, *after]:
        result = seen[path]
        assert isinstance(result, Extracted)
        assert result.units[0].text == path.read_text()


def test_memory_cap_turns_into_out_of_memory(tmp_path: Path) -> None:
    hog = tmp_path / "hog.txt"
    hog.write_bytes(b"memory " * 10_000_000)  # 70 MB of text, several copies while decoding
    after = text_file(tmp_path / "after.txt", "still working")
    with ExtractionPool(workers=1, memory_mb=150, max_chars=BIG) as pool:
        results = dict(pool.extract_many([hog, after]))
    assert isinstance(results[hog], Failure)
    assert results[hog].reason == "out of memory"
    assert isinstance(results[after], Extracted)


@pytest.mark.parametrize(
    ("sig", "reason"), [(signal.SIGSEGV, "damaged file"), (signal.SIGKILL, "out of memory")]
)
def test_dead_worker_costs_only_its_file(
    tmp_path: Path, slow_pdf: Path, sig: signal.Signals, reason: str
) -> None:
    after = text_file(tmp_path / "after.txt", "survivor")

    def paths() -> Iterator[Path]:
        yield slow_pdf
        # The pool asks for the next path right after handing the PDF to its only worker.
        [pid] = worker_pids()
        os.kill(pid, sig)
        yield after

    with ExtractionPool(workers=1, max_chars=BIG) as pool:
        results = dict(pool.extract_many(paths()))
    assert isinstance(results[slow_pdf], Failure)
    assert results[slow_pdf].reason == reason
    assert isinstance(results[after], Extracted)
    assert results[after].units[0].text == "survivor"


def test_abandoned_run_leaves_the_pool_usable(tmp_path: Path, slow_pdf: Path) -> None:
    files = [text_file(tmp_path / f"f{i}.txt", f"file {i}") for i in range(4)]
    with ExtractionPool(workers=2, max_chars=BIG) as pool:
        for _ in pool.extract_many([slow_pdf, *files]):
            break
        again = dict(pool.extract_many(files))
    assert set(again) == set(files)
    assert all(isinstance(result, Extracted) for result in again.values())


def test_one_run_at_a_time(tmp_path: Path) -> None:
    path = text_file(tmp_path / "a.txt", "a")
    with ExtractionPool(workers=1) as pool:
        running = pool.extract_many([path])
        next(running)
        with pytest.raises(RuntimeError):
            next(pool.extract_many([path]))
        running.close()


def test_close_stops_the_workers(tmp_path: Path) -> None:
    path = text_file(tmp_path / "a.txt", "a")
    pool = ExtractionPool(workers=2)
    assert len(worker_pids()) == 2
    assert len(list(pool.extract_many([path]))) == 1
    pool.close()
    pool.close()
    assert worker_pids() == []
    with pytest.raises(RuntimeError):
        next(pool.extract_many([path]))


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ExtractionPool(workers=0)


def test_worker_that_died_while_idle_is_replaced(tmp_path: Path) -> None:
    path = text_file(tmp_path / "a.txt", "still served")
    with ExtractionPool(workers=1) as pool:
        [pid] = worker_pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid in worker_pids() and time.monotonic() < deadline:
            os.sched_yield()
        [(_, result)] = list(pool.extract_many([path]))
    assert isinstance(result, Extracted)
    assert result.units[0].text == "still served"
