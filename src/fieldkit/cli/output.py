"""Shared pieces of CLI output: JSON documents, and a progress line on terminals."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO


def emit_json(document: Any, stream: TextIO | None = None) -> None:
    """Write exactly one JSON document on one line."""
    out = stream or sys.stdout
    out.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
    out.flush()


class ProgressLine:
    """A one-line progress display with counts and an ETA, only on a terminal (stderr).

    Redraws at most ten times a second, so it costs nothing on fast runs.
    """

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool = True) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._enabled = enabled and self._stream.isatty()
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: int, total: int, detail: str = "", force: bool = False) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1 and done < total:
            return
        self._last_draw = now
        elapsed = now - self._started
        eta = ""
        if 0 < done < total and elapsed > 0.5:
            remaining = elapsed / done * (total - done)
            eta = f" · about {_duration(remaining)} left"
        width = 24
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        text = f"\r{self._label} [{bar}] {done}/{total}{eta} {detail}"
        self._stream.write(text[:120].ljust(120))
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\r" + " " * 120 + "\r")
            self._stream.flush()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds) + 1} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
