"""Work the rep waits for goes first: background scans step aside while a search runs.

Python runs one thread at a time (the interpreter lock). A background scan that is pure Python
(the reconcile scan walks every file of the library at each start) shares the lock with the
search the rep just typed, and with the window drawing its results, so each keystroke took two
or three times its own CPU. ``Pacer`` lets the scan wait instead: the search holds
``interactive()`` (or ``begin()``/``end()`` around work that spans callbacks), and a scan calls
``pause()`` between small chunks of its work, which returns at once unless a search is under
way, and otherwise waits for it to end. A scan is held back at most ``max_wait_s`` after the
interactive work began, however many pauses it makes: work that never ends (a hold whose end was
lost) cannot stall the scans for good.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT_S = 1.0


class Pacer:
    """Shared by the interactive side (searches) and the background scans of one client."""

    def __init__(self, max_wait_s: float = MAX_WAIT_S) -> None:
        self._max_wait_s = max_wait_s
        self._active = 0
        self._since = 0.0  # when the interactive work under way began
        self._quiet = threading.Condition()

    @property
    def busy(self) -> bool:
        """Interactive work is under way."""
        return self._active > 0

    def begin(self) -> None:
        """Interactive work starts; every ``begin`` is followed by one ``end``."""
        with self._quiet:
            if not self._active:
                self._since = time.monotonic()
            self._active += 1

    def end(self) -> None:
        with self._quiet:
            self._active = max(0, self._active - 1)
            if not self._active:
                self._quiet.notify_all()

    @contextmanager
    def interactive(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        finally:
            self.end()

    def pause(self) -> bool:
        """Between chunks of background work: wait while interactive work is under way (until
        ``max_wait_s`` after it began). Returns True if it waited."""
        if not self._active:  # the usual case, without taking the lock
            return False
        with self._quiet:
            left = self._since + self._max_wait_s - time.monotonic()
            if left <= 0:
                return False
            self._quiet.wait_for(lambda: not self._active, left)
        return True
