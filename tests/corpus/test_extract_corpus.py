"""Robustness over ../shared/data/docs: 975 real files, many hostile, through the worker pool.

Runs only with ``-m corpus`` (``./dev corpus``). Prints a summary table of outcomes.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from fieldkit.core.extract import DEFAULT_MAX_CHARS, REASONS, Extracted, ExtractionPool

DOCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "docs"
TIMEOUT_S = 20.0
SLACK_S = 5.0  # killing and replacing a worker, and a loaded machine


@pytest.mark.corpus
def test_every_shared_document_ends_extracted_or_failed_within_its_limits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert DOCS.is_dir(), f"the shared corpus is missing: {DOCS}"
    files = sorted(p for p in DOCS.rglob("*") if p.is_file())
    assert len(files) > 900

    outcomes: Counter[str] = Counter()
    seen: list[Path] = []
    longest_wait = 0.0
    started = time.monotonic()
    with ExtractionPool(workers=2, timeout_s=TIMEOUT_S) as pool:
        last = time.monotonic()
        for path, result in pool.extract_many(files):
            now = time.monotonic()
            longest_wait = max(longest_wait, now - last)
            last = now
            seen.append(path)
            if isinstance(result, Extracted):
                assert result.chars <= DEFAULT_MAX_CHARS, path
                assert result.chars == sum(len(u.text) for u in result.units), path
                assert result.title, path
                outcomes[f"extracted {result.format}"] += 1
            else:
                assert result.reason in REASONS, (path, result)
                outcomes[result.reason] += 1
    elapsed = time.monotonic() - started

    assert sorted(seen) == files  # every file exactly once
    # With two workers, results never stop for longer than one file's limit.
    assert longest_wait <= TIMEOUT_S + SLACK_S

    megabytes = sum(p.stat().st_size for p in files) / 1e6
    lines = [f"{count:6d}  {outcome}" for outcome, count in sorted(outcomes.items())]
    lines.append(
        f"{len(files):6d}  files, {megabytes:.1f} MB in {elapsed:.1f} s "
        f"({len(files) / elapsed:.1f} files/s, {megabytes / elapsed:.1f} MB/s); "
        f"longest wait for a result {longest_wait:.2f} s"
    )
    with capsys.disabled():
        print("\nExtraction over the shared corpus\n" + "\n".join(lines))
