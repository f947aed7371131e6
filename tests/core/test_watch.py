"""The folder watcher hears changes, not reads."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from fieldkit.core.watch import FolderWatcher


def test_reading_a_file_is_not_a_change_but_writing_one_is(tmp_path: Path) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    read_me = folder / "read me.txt"
    read_me.write_text("unchanged\n", encoding="utf-8")
    requests: list[list[Path]] = []
    written = threading.Event()
    target = (folder / "new.txt").resolve()

    def request(paths: Iterable[Path] | None) -> None:
        if paths is None:
            return  # the start-up reconcile scan
        batch = list(paths)
        requests.append(batch)
        if target in batch:
            written.set()

    watcher = FolderWatcher(request, quiet_s=0.05, max_delay_s=0.3)
    watcher.watch(folder)
    watcher.start()
    try:
        for _ in range(20):  # opened and read, as the scan, an extraction or a backup does
            assert read_me.read_text(encoding="utf-8") == "unchanged\n"
        (folder / "new.txt").write_text("new\n", encoding="utf-8")
        assert written.wait(20)
    finally:
        watcher.stop()
    assert all(read_me.resolve() not in batch for batch in requests), requests
