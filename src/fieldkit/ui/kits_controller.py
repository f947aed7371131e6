"""Meeting kits in the app: every read and change of the kits runs on the task runner.

``KitsController`` wraps the core's :class:`~fieldkit.core.kits.Kits`. Each change (new kit, add,
remove, rename, delete, export) runs off the UI thread and is followed by a readiness check of
every kit; the result comes back as one frozen :class:`KitsSnapshot` (``kits_read``).

Readiness is checked after each sync (``check_after_sync``) and on a timer, so a kit whose
meeting is within a day is checked the day before. A kit that turns not ready, or is not ready
the day before its meeting, gives one notification (``kit_warned``): "ACME kit: 1 item
outdated — update now".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from fieldkit.core import freshness
from fieldkit.core.errors import FieldkitError
from fieldkit.core.kits import KitExport, KitReadiness, Kits
from fieldkit.core.sync import SyncResult
from fieldkit.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

# How often the kits are checked for a meeting coming within a day.
DUE_CHECK_MS = 30 * 60 * 1000

@dataclass(frozen=True)
class KitForm:
    """What the rep typed for a kit. ``meeting`` is "" (no date), ``2026-12-01`` or
    ``2026-12-01 10:00``."""

    name: str
    customer: str
    meeting: str


@dataclass(frozen=True)
class KitsSnapshot:
    kits: tuple[KitReadiness, ...]
    now: datetime  # local wall-clock time of the check (words meeting dates: "Tue 10:00")
    due: frozenset[str]  # names of the kits whose meeting is within a day

    def find(self, name: str) -> KitReadiness | None:
        folded = name.casefold()
        return next((k for k in self.kits if k.kit.name.casefold() == folded), None)


@dataclass(frozen=True)
class _Outcome:
    snapshot: KitsSnapshot
    changed: str | None  # the kit a change was made to (the view selects it)
    notice: str  # what to tell the rep about the change ("" for none)
    automatic: bool  # a check after a sync or on the timer (may notify)


def warning_title(name: str) -> str:
    """The notification's title: "ACME kit" (a name already ending in "kit" is kept)."""
    return name if name.casefold().endswith("kit") else f"{name} kit"


class KitsController(QObject):
    # The kits and their readiness were read (after any change or check).
    kits_read = Signal(KitsSnapshot)
    # A change was made to this kit (the view selects it).
    kit_changed = Signal(str)
    # Something the rep should read ("Exported …", an error a rep understands).
    notice_posted = Signal(str)
    # A kit turned not ready, or is not ready the day before its meeting: (title, text, kit).
    kit_warned = Signal(str, str, str)
    # An export finished.
    kit_exported = Signal(KitExport)

    def __init__(
        self,
        kits: Callable[[], Kits],
        runner: TaskRunner,
        *,
        clock: freshness.Clock = freshness.utc_now,
        due_check_ms: int = DUE_CHECK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._kits = kits
        self._runner = runner
        self._clock = clock
        self._snapshot = KitsSnapshot((), _local_now(clock), frozenset())
        self._ready: dict[str, bool] = {}
        self._warned_due: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(due_check_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.timeout.connect(self._on_timer_timeout)

    # -- schedule ----------------------------------------------------------------------------

    def start(self, delay_ms: int = 0) -> None:
        """Check every kit after ``delay_ms`` (a kit due tomorrow and not ready is reported),
        then on the timer."""
        self._start_timer.start(delay_ms)
        self._timer.start()

    def stop(self) -> None:
        self._start_timer.stop()
        self._timer.stop()

    def check_after_sync(self, _result: SyncResult) -> None:
        self.check(automatic=True)

    def _on_timer_timeout(self) -> None:
        self.check(automatic=True)

    # -- reads and changes -------------------------------------------------------------------

    def snapshot(self) -> KitsSnapshot:
        return self._snapshot

    def check(self, *, automatic: bool = False) -> None:
        self._change(lambda kits: None, "", automatic=automatic)

    def create(self, form: KitForm, refs: Sequence[str] = ()) -> None:
        """A new kit, with documents (paths or ids) already in it when ``refs`` are given."""

        def create(kits: Kits) -> str:
            kit = kits.create(form.name, customer=form.customer, meeting=form.meeting)
            if refs:
                kit = kits.add(kit.name, list(refs))
            return kit.name

        self._change(create, "Created the kit “{}”.")

    def update(self, name: str, form: KitForm) -> None:
        """Rename the kit and change its customer and meeting date."""

        def update(kits: Kits) -> str:
            renamed = kits.rename(name, form.name)
            return kits.edit(renamed.name, customer=form.customer, meeting=form.meeting).name

        self._change(update, "Saved the kit “{}”.")

    def delete(self, name: str) -> None:
        def delete(kits: Kits) -> None:
            kits.delete(name)

        self._change(delete, f"Deleted the kit “{name}”; its documents stay in the library.")

    def add(self, name: str, refs: Sequence[str]) -> None:
        """Add documents (paths of files in the mirror, or document ids) to a kit."""
        count = len(refs)
        noun = "document" if count == 1 else "documents"

        def add(kits: Kits) -> str:
            return kits.add(name, list(refs)).name

        self._change(add, f"Added {count} {noun} to “{{}}”.")

    def remove(self, name: str, doc_ids: Sequence[str]) -> None:
        def remove(kits: Kits) -> str:
            return kits.remove(name, list(doc_ids)).name

        self._change(remove, "Removed from “{}”.")

    def export(self, name: str, dest: Path, *, as_zip: bool, anyway: bool = False) -> None:
        kits = self._kits
        self._runner.run(
            lambda: kits().export(name, dest, as_zip=as_zip, anyway=anyway),
            self._on_exported,
            self._on_failed,
        )

    def _change(
        self, change: Callable[[Kits], str | None], notice: str, *, automatic: bool = False
    ) -> None:
        # The task holds the kits and the clock, never this QObject (it must die on this thread).
        kits, clock = self._kits, self._clock

        def work() -> _Outcome:
            current = kits()  # made per task: it reads the settings of the moment
            changed = change(current)
            return _Outcome(
                _read(current, clock), changed, notice.format(changed or ""), automatic
            )

        self._runner.run(work, self._on_outcome, self._on_failed)

    # -- results -----------------------------------------------------------------------------

    def _on_outcome(self, outcome: _Outcome) -> None:
        snapshot = outcome.snapshot
        if outcome.automatic:
            self._warn(snapshot)
        self._ready = {k.kit.name: k.ready for k in snapshot.kits}
        self._warned_due &= snapshot.due
        self._snapshot = snapshot
        self.kits_read.emit(snapshot)
        if outcome.changed is not None:
            self.kit_changed.emit(outcome.changed)
        if outcome.notice:
            self.notice_posted.emit(outcome.notice)

    def _warn(self, snapshot: KitsSnapshot) -> None:
        for readiness in snapshot.kits:
            name = readiness.kit.name
            if readiness.ready or not readiness.items:
                continue
            turned = self._ready.get(name) is True
            due_first_time = name in snapshot.due and name not in self._warned_due
            if name in snapshot.due:
                self._warned_due.add(name)
            if turned or due_first_time:
                self.kit_warned.emit(warning_title(name), readiness.message, name)

    def _on_exported(self, result: KitExport) -> None:
        count = len(result.files) - 1
        noun = "document" if count == 1 else "documents"
        self.notice_posted.emit(f"Exported {count} {noun} and a version stamp to {result.path}")
        self.kit_exported.emit(result)

    def _on_failed(self, error: BaseException) -> None:
        if isinstance(error, FieldkitError):
            self.notice_posted.emit(str(error))
        else:
            self._runner.task_failed.emit(error)  # a bug: the window shows it


def _read(kits: Kits, clock: freshness.Clock) -> KitsSnapshot:
    """Every kit's readiness, and which meetings are within a day (on the task runner)."""
    readiness = kits.check_all()
    due = frozenset(kit.name for kit in kits.due())
    return KitsSnapshot(readiness, _local_now(clock), due)


def _local_now(clock: freshness.Clock) -> datetime:
    return clock().astimezone().replace(tzinfo=None)
